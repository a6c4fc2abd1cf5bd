"""run_until (leaps.karel.protocols.carvalho2024.until): the programs it
scores are a prefix of the batch ending at the first better than the
threshold (or at the maximum), each scored exactly as run() scores it,
with one evaluator thread or several."""

from __future__ import annotations

import numba
import numpy as np
import pytest

from leaps.karel import protocols
from leaps.search.spaces import carvalho_grammar
from leaps.search.spaces.tokens import TokenBatch


def first_stop(returns: np.ndarray, threshold: float | None, max_return: float) -> int:
    for i, r in enumerate(returns):
        if r >= max_return or (i > 0 or threshold is not None) and r > (returns[0] if threshold is None else threshold):
            return i + 1
    return len(returns)


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("task", ["doorkey", "harvester", "snake"])
def test_a_prefix_up_to_the_first_better_program_scored_as_run_does(task, threads):
    rng = np.random.default_rng(0)
    evaluator = protocols.get("carvalho2024").evaluator(task)
    before = numba.get_num_threads()
    numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
    try:
        for trial in range(12):
            batch = TokenBatch.stack([carvalho_grammar.sample(rng) for _ in range(60)]).ids
            if trial % 3 == 0:
                batch[5, 3] = 0  # an invalid program (DEF in the body) scores -inf, as in run()
            full = evaluator.evaluate(batch)
            for threshold in (None, -np.inf, float(np.median(full.mean_return)), 2.0):
                part = evaluator.evaluate_until(batch, threshold)
                n = len(part)
                assert n == first_stop(full.mean_return, threshold, evaluator.max_return)
                np.testing.assert_array_equal(part.mean_return, full.mean_return[:n])
                np.testing.assert_array_equal(part.per_world, full.per_world[:n])
                np.testing.assert_array_equal(part.valid, full.valid[:n])
                np.testing.assert_array_equal(part.calls, full.calls[:n])
    finally:
        numba.set_num_threads(before)
