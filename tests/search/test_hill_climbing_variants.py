"""searcher=hill_climbing's two variants: first_improvement (Carvalho et
al.'s: charged up to the first better neighbour, restarts at a local
maximum, invalid latent decodes drawn again) and best_improvement (ours,
unchanged by the compiled program space: the compiled LEAPS prior and
mutation draw the same programs as the Python ones)."""

from __future__ import annotations

import numpy as np
import pytest

from leaps.karel import dsl, protocols
from leaps.karel.program_generator import ProgramGenerator
from leaps.search import HillClimbing, ProgramSpace, search
from leaps.search.evaluations import Evaluations, Programs
from leaps.search.spaces.leaps_grammar import LeapsGrammar
from leaps.search.spaces.mutation import Mutator
from leaps.search.spaces.tokens import ids_to_text
from tests.search.fakes import FakeScores, NumberEvaluator, batch


class NumberEvaluatorUntil(NumberEvaluator):
    """With evaluate_until, returning a longer prefix than needed (as a threaded one may)."""

    def evaluate_until(self, programs, threshold):
        full = self.evaluate(programs)
        return FakeScores(*(a[: min(len(full), 3 + len(full) // 2)] for a in (full.mean_return, full.raw_return,
                                                                              full.valid)))


@pytest.mark.parametrize("evaluator", [NumberEvaluator, NumberEvaluatorUntil])
def test_first_better_charges_up_to_the_first_better_program(evaluator):
    evaluate = Evaluations(evaluator(), eval_budget=100)
    scores = evaluate.first_better(batch(0.1, 0.3, 0.2, 0.9, 0.5), threshold=0.25)
    assert list(scores.mean_return) == [0.1, 0.3] and evaluate.count == 2
    assert evaluate.best.mean_return == 0.3  # 0.9 was never charged: it cannot be the best
    scores = evaluate.first_better(batch(0.2, 0.1, 0.2, 0.15), threshold=None)  # a restart: the first sets the bar
    assert list(scores.mean_return) == [0.2, 0.1, 0.2, 0.15] and evaluate.count == 6
    scores = evaluate.first_better(batch(0.2, 0.1, 0.25), threshold=None)
    assert list(scores.mean_return) == [0.2, 0.1, 0.25] and evaluate.count == 9
    scores = evaluate.first_better(batch(1.0, 2.0), threshold=None)  # the maximum stops at once
    assert list(scores.mean_return) == [1.0] and evaluate.count == 10
    scores = evaluate.first_better(batch(*[0.0] * 30, 0.5, 0.0), threshold=0.4)  # past any first prefix
    assert len(scores) == 31 and evaluate.count == 41 and evaluate.trace[-1] == (10, 1.0)


def test_the_budget_cuts_a_neighbourhood_and_counts_only_what_was_charged():
    evaluator = protocols.get("carvalho2024").evaluator("snake")
    result = search(HillClimbing(neighbours=40, variant="first_improvement"), ProgramSpace(), evaluator,
                    eval_budget=333, seed=1)
    assert result.evaluations == 333
    assert sum(1 for _ in result.history) == result.iterations
    assert result.history[-1]["evaluations"] == 333


@pytest.mark.parametrize("task", ["doorkey", "harvester"])
def test_stopping_in_compiled_code_gives_the_same_search(task):
    """evaluate_until only saves work: a search with an evaluator that lacks it (scores whole batches, then cuts)
    ends the same."""

    class Plain:
        def __init__(self, inner):
            self.inner, self.max_return = inner, inner.max_return

        def evaluate(self, programs):
            return self.inner.evaluate(programs)

    evaluator = protocols.get("carvalho2024").evaluator(task)
    method = HillClimbing(neighbours=60, variant="first_improvement")
    a = search(method, ProgramSpace(), evaluator, eval_budget=3000, seed=2)
    b = search(method, ProgramSpace(), Plain(evaluator), eval_budget=3000, seed=2)
    assert (a.best_program, a.best_return, a.evaluations, a.iterations, a.history) == (
        b.best_program, b.best_return, b.evaluations, b.iterations, b.history)


def test_first_improvement_moves_to_the_first_better_neighbour_and_restarts_at_a_local_maximum():
    evaluator = protocols.get("carvalho2024").evaluator("harvester")
    method = HillClimbing(neighbours=30, variant="first_improvement")
    states: list[dict] = []
    result = search(method, ProgramSpace(), evaluator, eval_budget=1500, seed=4, checkpoint=states.append)
    previous = 0
    for record in result.history:
        charged = record["evaluations"] - previous
        previous = record["evaluations"]
        if record["extra"]["restart"]:  # a local maximum: a whole neighbourhood charged, nothing better
            assert charged in (30, 31)
        else:
            assert 1 <= charged <= 31 and record["iteration_best_return"] > -np.inf
    assert any(r["extra"]["restart"] for r in result.history) and not all(r["extra"]["restart"]
                                                                           for r in result.history)
    climbs = [s["method"]["current_return"] for s in states[1:] if s["method"]["current"] is not None]
    assert climbs and max(climbs) <= result.best_return


def test_resume_equals_uninterrupted_first_improvement():
    evaluator = protocols.get("carvalho2024").evaluator("snake")
    method = HillClimbing(neighbours=40, variant="first_improvement")
    full = search(method, ProgramSpace(), evaluator, eval_budget=2500, seed=5)
    states: list[dict] = []
    search(method, ProgramSpace(), evaluator, eval_budget=2500, seed=5, checkpoint=states.append)
    resumed = search(method, ProgramSpace(), evaluator, eval_budget=2500, seed=5, state=states[len(states) // 2])
    assert (resumed.best_program, resumed.best_return, resumed.evaluations, resumed.history) == (
        full.best_program, full.best_return, full.evaluations, full.history)


def test_the_variants_are_different_searches():
    evaluator = protocols.get("carvalho2024").evaluator("doorkey")
    runs = {v: search(HillClimbing(neighbours=50, variant=v), ProgramSpace(), evaluator, eval_budget=1000, seed=0)
            for v in ("first_improvement", "best_improvement")}
    assert runs["first_improvement"].history != runs["best_improvement"].history


def test_an_unknown_variant_is_refused():
    with pytest.raises(ValueError, match="variant must be one of best_improvement, first_improvement"):
        HillClimbing(variant="steepest")
    with pytest.raises(ValueError, match="less than one neighbourhood"):
        HillClimbing(neighbours=250).check_budget(249)
    HillClimbing(neighbours=250).check_budget(250)


# ---- the latent space: invalid decodes are drawn again, never scored -------------------------------------------
class FlakySpace(ProgramSpace):
    """Program space whose individuals of an odd token count decode to an invalid program (as a latent decoder's
    may)."""

    always_valid = False

    def decode(self, individuals):
        programs = super().decode(individuals)
        texts = [t if len(t.split()) % 2 == 0 else "DEF run m( m) m)" for t in programs.texts]
        return Programs.from_texts(texts)

    def for_climber(self, variant):
        return FlakySpace(grammar="carvalho2024")


def test_first_improvement_draws_invalid_individuals_again():
    evaluator = protocols.get("carvalho2024").evaluator("harvester")
    seen: list[str] = []

    class Watching:
        max_return = evaluator.max_return

        def evaluate(self, programs):
            seen.extend(programs)
            return evaluator.evaluate(programs)

    result = search(HillClimbing(neighbours=20, variant="first_improvement"), FlakySpace(), Watching(),
                    eval_budget=400, seed=0)
    assert result.evaluations == 400 and seen
    assert all(dsl.parse(t, max_tokens=None) for t in seen)  # no invalid program was ever scored


# ---- best_improvement: the compiled LEAPS grammar is the Python one, draw for draw ------------------------------
@pytest.mark.parametrize("sequence_depth", [1, 2])
@pytest.mark.parametrize("seed", range(12))
def test_compiled_leaps_prior_and_mutation_draw_what_python_draws(seed, sequence_depth):
    generator = ProgramGenerator(sequence_depth=sequence_depth)
    mutator, compiled = Mutator(generator), LeapsGrammar(generator)
    python_rng, compiled_rng = np.random.default_rng(seed), np.random.default_rng(seed)
    programs = generator.sample_many(4, python_rng, unique=False)
    ids = [compiled.sample(compiled_rng) for _ in range(4)]
    assert [dsl.to_text(p) for p in programs] == [ids_to_text(i) for i in ids]
    for program, tokens in zip(programs, ids, strict=True):
        expected = [dsl.to_text(mutator.mutate(program, python_rng)) for _ in range(60)]
        out, lengths = compiled.neighbours(compiled_rng, tokens, 60)
        assert expected == [ids_to_text(out[i, : lengths[i]]) for i in range(60)]
    assert python_rng.random() == compiled_rng.random()  # the generators are in the same state


@pytest.mark.parametrize(("protocol", "sigma"), [("carvalho2024", 0.25), ("leaps", 0.5)])
def test_latent_hill_climbing_takes_the_protocols_neighbour_sigma(protocol, sigma):
    from hydra import compose, initialize_config_dir

    from leaps import config_dir

    with initialize_config_dir(config_dir=str(config_dir()), version_base="1.3"):
        cfg = compose("search", overrides=[f"protocol={protocol}", "task=maze", "searcher=hill_climbing",
                                           "space=latent"])
        mine = compose("search", overrides=[f"protocol={protocol}", "task=maze", "searcher=hill_climbing",
                                            "space=latent", "space.neighbour_sigma=0.3"])
    assert cfg.space.neighbour_sigma == sigma and mine.space.neighbour_sigma == 0.3
