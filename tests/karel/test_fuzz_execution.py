"""Fuzzing execution: random, mutated and corrupted programs through every
LEAPS task, every task of the second protocol (carvalho2024) and every
searcher path, without a crash or a hang, with the budgets always enforced.

The fast test runs ~20,000 programs per task; the slow one ~200,000. A
watchdog (faulthandler) kills a hung run with its stack instead of waiting."""

from __future__ import annotations

import faulthandler

import numpy as np
import pytest

from leaps.karel import dsl
from leaps.karel.program_generator import ProgramGenerator
from leaps.karel.protocols.carvalho2024 import engine
from leaps.karel.protocols.carvalho2024.evaluation import INVALID_RETURN, Evaluator
from leaps.karel.protocols.carvalho2024.registry import TASK_NAMES as P2_TASKS
from leaps.karel.tasks import TaskEvaluator, task_names
from leaps.search import CEM, HillClimbing, LatentSpace, ProgramSpace, RandomSearch, search
from leaps.search.spaces.mutation import Mutator


@pytest.fixture(autouse=True)
def watchdog():
    faulthandler.dump_traceback_later(600, exit=True)  # a hang fails loudly instead of stalling the suite
    yield
    faulthandler.cancel_dump_traceback_later()


def fuzz_corpus(n: int, seed: int) -> list:
    """About ``n`` programs: valid samples, AST mutations of them, deep
    programs past the 45-token limit, random id strings, token-level
    corruptions (dropped, inserted, swapped tokens), id arrays and text."""
    rng = np.random.default_rng(seed)
    gen, mutator = ProgramGenerator(), Mutator()
    valid = gen.sample_many(n // 5, rng, unique=False)
    mutated = [mutator.mutate(p, rng) for p in valid]
    deep_gen = ProgramGenerator(max_depth=14, max_nesting=8)
    deep = [deep_gen.sample(rng) for _ in range(n // 50)]
    random_ids = [rng.integers(0, len(dsl.VOCAB), size=int(rng.integers(0, 60))).tolist() for _ in range(n // 5)]
    corrupted = []
    for p in valid:
        ids = dsl.to_ids(p)
        i = int(rng.integers(len(ids)))
        kind = rng.integers(3)
        if kind == 0:
            ids = ids[:i] + ids[i + 1:]
        elif kind == 1:
            ids = ids[:i] + [int(rng.integers(len(dsl.VOCAB)))] + ids[i:]
        else:
            j = int(rng.integers(len(ids)))
            ids[i], ids[j] = ids[j], ids[i]
        corrupted.append(ids)
    texts = [dsl.to_text(p) for p in mutated[: n // 20]] + ["", "DEF", "DEF run m(", "move", "m) m) m)"]
    return [*valid, *mutated, *deep, *random_ids, *corrupted, *texts]


def check_leaps_tasks(corpus: list, n_worlds: int) -> None:
    for name in task_names():
        evaluator = TaskEvaluator(name, n_worlds=n_worlds, seed=0)
        result = evaluator.evaluate(corpus, trajectories=True)
        assert result.per_world.shape == (len(corpus), n_worlds)
        assert np.isfinite(result.per_world).all()
        assert (result.mean_return <= evaluator.max_return + 1e-9).all()
        # >= 0 except Harvester, whose reference reward (cells - markers left) / cells goes negative when a
        # program puts markers (KAREL_SPEC.md); 9 markers per cell bound it at -8
        assert (result.mean_return >= (-8.0 if name == "harvester" else -1e-9)).all(), name
        assert (result.per_world[~result.valid] == 0).all()
        # the call budget bounds every episode: never more actions than calls
        assert result.lengths.max() <= evaluator.task.call_budget, name


def check_second_protocol(corpus: list) -> None:
    for name in P2_TASKS:
        evaluator = Evaluator(name)
        result = evaluator.evaluate(corpus)
        assert len(result) == len(corpus)
        ok = result.valid
        assert (result.mean_return[~ok] == INVALID_RETURN).all()
        assert np.isfinite(result.per_world[ok]).all()
        assert (result.per_world[ok] <= evaluator.max_return + 1e-9).all()
        # at most one call past the 10,000-call budget (the call that crosses it), never more
        assert result.calls.max() <= engine.MAX_CALLS + 1, name
        assert (result.num_actions <= result.calls).all()


class RandomIdsDecoder:
    """A stand-in decoder emitting arbitrary token ids (mostly invalid programs)."""

    latent_dim = 4

    def decode(self, z, greedy=True, generator=None):
        import torch

        rng = np.random.default_rng(abs(int(float(z.sum()) * 1e6)) % 2**32)
        return torch.as_tensor(rng.integers(0, len(dsl.VOCAB), size=(len(z), dsl.MAX_PROGRAM_TOKENS)))


def check_searchers(budget: int) -> None:
    """Every method in every space it runs in, on every LEAPS task: the
    evaluations stay within the budget (the search layer counts them)."""
    latent = LatentSpace(RandomIdsDecoder())
    runs = {
        "random": (RandomSearch(batch_size=37), ProgramSpace()),
        "hill_climbing": (HillClimbing(neighbours=23), ProgramSpace()),
        "random (latent)": (RandomSearch(batch_size=37), latent),
        "hill_climbing (latent)": (HillClimbing(neighbours=23), latent),
        "cem": (CEM(population_size=19, max_iterations=1000), latent),
    }
    for name in task_names():
        for searcher, (method, space) in runs.items():
            evaluator = TaskEvaluator(name, n_worlds=2, seed=0)
            result = search(method, space, evaluator, eval_budget=budget, seed=1)
            assert result.evaluations <= budget, (name, searcher)
            assert 0.0 <= result.best_return <= evaluator.max_return


def test_fuzz_every_task_protocol_and_searcher_fast():
    corpus = fuzz_corpus(20_000, seed=0)
    assert len(corpus) > 17_000
    check_leaps_tasks(corpus, n_worlds=2)
    check_second_protocol(corpus[::4])
    check_searchers(budget=100)


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2])
def test_fuzz_every_task_protocol_and_searcher_many(seed):
    corpus = fuzz_corpus(100_000, seed=seed)
    check_leaps_tasks(corpus, n_worlds=10)
    check_second_protocol(corpus)
    check_searchers(budget=3000)
