"""The score cache (leaps.search.score_cache) answers exactly what the
evaluator would, call after call, while running each distinct program once."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leaps.karel import dsl, protocols
from leaps.search import HillClimbing, ProgramSpace, search
from leaps.search.score_cache import ScoreCache, program_keys

POOL = 12  # distinct programs; their scores come from a table the test draws
VALUES = (-np.inf, 0.0, 0.25, 0.5, 1.0)  # ties, invalid programs and the maximum all occur


@dataclass
class TableScores:
    mean_return: np.ndarray
    raw_return: np.ndarray
    per_world: np.ndarray
    valid: np.ndarray

    def __len__(self) -> int:
        return len(self.mean_return)


class TableEvaluator:
    """Program i (ids [DEF, run, i]) scores table[i]; evaluate_until is the
    reference rule written plainly: score all, keep the prefix up to the
    first better than the threshold (None: the first) or at the maximum."""

    max_return = 1.0

    def __init__(self, table: list[float]):
        self.table = np.array(table)
        self.ran = 0

    def _scores(self, ids: np.ndarray) -> TableScores:
        self.ran += len(ids)
        values = self.table[ids[:, 2]]
        return TableScores(values, values + 0.1, np.stack([values, -values], axis=1), np.isfinite(values))

    def evaluate(self, ids: np.ndarray) -> TableScores:
        return self._scores(ids)

    def evaluate_until(self, ids: np.ndarray, threshold: float | None) -> TableScores:
        s = self._scores(ids)
        r = s.mean_return
        stop = r >= self.max_return
        if threshold is None:
            stop[1:] |= r[1:] > r[0]
        else:
            stop |= r > threshold
        n = int(np.flatnonzero(stop)[0]) + 1 if stop.any() else len(r)
        return TableScores(r[:n], s.raw_return[:n], s.per_world[:n], s.valid[:n])


def id_matrix(indices: list[int], width: int) -> np.ndarray:
    ids = np.full((len(indices), max(3, width)), dsl.PAD_ID, dtype=np.int64)
    ids[:, 0], ids[:, 1], ids[:, 2] = dsl.DEF, dsl.RUN, indices
    return ids


def same(a, b) -> None:
    assert len(a) == len(b)
    for name in ("mean_return", "raw_return", "per_world", "valid"):
        np.testing.assert_array_equal(np.asarray(getattr(a, name)), np.asarray(getattr(b, name)), err_msg=name)


call = st.tuples(
    st.lists(st.integers(0, POOL - 1), min_size=1, max_size=40),  # a batch, repeats allowed, over several chunks
    st.integers(3, 6),  # its padding width
    st.one_of(st.just("evaluate"), st.none(), st.sampled_from(VALUES[1:])),  # evaluate, or until with this bar
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(VALUES), min_size=POOL, max_size=POOL), st.lists(call, min_size=1, max_size=8),
       st.integers(1, 20))
def test_every_call_answers_what_the_evaluator_answers(table, calls, max_entries):
    reference, inner = TableEvaluator(table), TableEvaluator(table)
    cache = ScoreCache(inner, max_entries=max_entries)
    for indices, width, how in calls:
        ids = id_matrix(indices, width)
        if how == "evaluate":
            same(cache.evaluate(ids), reference.evaluate(ids))
        else:
            same(cache.evaluate_until(ids, how), reference.evaluate_until(ids, how))
    assert cache.scored <= cache.requested


@pytest.mark.parametrize("better_at", [0, 15, 16, 17, 47, 48, 99, None])
def test_a_long_batch_is_read_chunk_after_chunk_without_a_gap(better_at):
    table = [0.25] * POOL
    table[7] = 0.5
    indices = [i % 5 for i in range(100)]  # 0..4 repeating: all 0.25, remembered after the first chunk
    if better_at is not None:
        indices[better_at] = 7
    for threshold in (0.25, None):
        reference, cache = TableEvaluator(table), ScoreCache(TableEvaluator(table))
        cache.evaluate(id_matrix([1], 3))  # one program remembered from before
        ids = id_matrix(indices, 4)
        got = cache.evaluate_until(ids, threshold)
        same(got, reference.evaluate_until(ids, threshold))
        assert len(got) == (100 if better_at is None or better_at == 0 and threshold is None else better_at + 1)


def test_a_program_is_run_once_whatever_its_padding():
    inner = TableEvaluator([0.5] * POOL)
    cache = ScoreCache(inner)
    cache.evaluate(id_matrix([1, 2, 1, 1], 3))
    cache.evaluate(id_matrix([2, 1, 3], 7))
    assert inner.ran == 3 and cache.requested == 7 and len(cache) == 3
    assert len(set(program_keys(id_matrix([1, 1], 3)) + program_keys(id_matrix([1], 9)))) == 1


def test_texts_go_straight_to_the_evaluator():
    from tests.search.fakes import NumberEvaluator

    inner = NumberEvaluator()
    cache = ScoreCache(inner)
    cache.evaluate(["0.5", "0.5"])
    assert inner.scored == 2 and len(cache) == 0


@pytest.mark.parametrize("variant", ["first_improvement", "best_improvement"])
def test_a_search_is_the_same_with_and_without_memory(variant):
    evaluator = protocols.get("carvalho2024").evaluator("doorkey")
    runs = [search(HillClimbing(neighbours=50, variant=variant), ProgramSpace(), evaluator, eval_budget=4000,
                   seed=3, remember=remember) for remember in (True, False)]
    a, b = runs
    assert (a.best_program, a.best_return, a.evaluations, a.iterations) == (
        b.best_program, b.best_return, b.evaluations, b.iterations)
    assert a.history == b.history
