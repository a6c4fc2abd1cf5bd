import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leaps.cli import expand_ranges
from leaps.karel import dsl
from leaps.karel.program_generator import ProgramGenerator
from leaps.karel.tasks import TaskEvaluator
from leaps.search import HillClimbing, ProgramSpace, RandomSearch, search
from leaps.search.spaces.mutation import Mutator, statement_paths


def run(method, evaluator, budget: int, seed: int, **kwargs):
    return search(method, ProgramSpace(), evaluator, eval_budget=budget, seed=seed, **kwargs)


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_mutations_are_valid_and_within_the_limit(seed):
    rng = np.random.default_rng(seed)
    program = ProgramGenerator().sample_many(1, rng)[0]
    mutator = Mutator()
    for _ in range(5):
        child = mutator.mutate(program, rng)
        text = dsl.to_text(child)
        assert dsl.parse(text, max_tokens=dsl.MAX_PROGRAM_TOKENS) == child
        program = child


def test_statement_paths_cover_every_statement():
    prog = dsl.parse("DEF run m( move WHILE c( frontIsClear c) w( IFELSE c( markersPresent c) i( move i) ELSE e( "
                     "turnLeft REPEAT R=2 r( putMarker r) e) w) m)")
    paths = statement_paths(prog.body)
    assert len(paths) == len(list(dsl.iter_statements(prog.body))) == 7
    assert max(n for _, n in paths) == 3


def test_hill_climbing_and_random_search_budget_and_determinism():
    for method in (HillClimbing(neighbours=50), RandomSearch(batch_size=64)):
        a = run(method, TaskEvaluator("harvester", seed=0), 600, seed=3)
        b = run(method, TaskEvaluator("harvester", seed=0), 600, seed=3)
        assert a.evaluations <= 600 and a.best_program == b.best_program and a.best_return == b.best_return
        assert 0.0 < a.best_return <= 1.0
        assert dsl.parse(a.best_program)


def test_hill_climbing_solves_an_easy_task():
    result = run(HillClimbing(neighbours=100), TaskEvaluator("maze", seed=1), 5000, seed=0)
    assert result.best_return == 1.0 and result.converged


def test_inclusive_ranges_and_multirun_flag():
    argv = ["search.py", "task=maze", "-m", "seed=0..4", "x.y=-1..1", "eval_budget=5"]
    assert expand_ranges(argv) == ["search.py", "-m", "task=maze", "seed=range(0,5)", "x.y=range(-1,2)",
                                   "eval_budget=5"]
    assert expand_ranges(["search.py", "seed=range(0,3)"]) == ["search.py", "seed=range(0,3)"]


def _resumed_equals_uninterrupted(method, budget, make_evaluator, stop_at):
    full = run(method, make_evaluator(), budget, seed=5)
    states = []
    run(method, make_evaluator(), budget, seed=5, checkpoint=states.append)
    state = states[min(stop_at, len(states) - 1)]
    resumed = run(method, make_evaluator(), budget, seed=5, state=state)
    assert (resumed.best_program, resumed.best_return, resumed.evaluations, resumed.iterations) == (
        full.best_program, full.best_return, full.evaluations, full.iterations)
    assert resumed.history == full.history


def test_resume_equals_uninterrupted():
    _resumed_equals_uninterrupted(HillClimbing(neighbours=40), 2000, lambda: TaskEvaluator("harvester", seed=0), 7)
    _resumed_equals_uninterrupted(RandomSearch(batch_size=64), 2000, lambda: TaskEvaluator("topoff", seed=0), 5)


def test_program_space_prior_depth_is_a_setting_with_the_sweeps_default():
    """space.sequence_depth: 1 (the prior the program-space sweeps in results/ were made with) unless set; the
    reference's 2 draws shorter programs."""
    from hydra import compose, initialize_config_dir

    from leaps import config_dir

    with initialize_config_dir(config_dir=str(config_dir()), version_base="1.3"):
        cfg = compose("search", overrides=["searcher=hill_climbing", "space=program"])
    assert cfg.space.sequence_depth == 1 and ProgramSpace.from_config().prior.sequence_depth == 1
    rng = np.random.default_rng(0)
    lengths = {depth: np.mean([len(p) for p in ProgramSpace.from_config(sequence_depth=depth).sample(300, rng)])
               for depth in (1, 2)}
    assert lengths[2] + 4 < lengths[1]
    for bad in (0, "2", True):
        with pytest.raises(ValueError, match="space.sequence_depth must be an integer >= 1"):
            ProgramSpace.from_config(sequence_depth=bad)
