"""Evaluations that stop an episode once its return is settled (engine
END_SETTLED, OneStroke's walled-in agent) give every program the return of
its full episode; other tasks are untouched; rollouts stay whole."""

from __future__ import annotations

import numpy as np
import pytest

from leaps.karel.protocols.carvalho2024.engine import END_SETTLED
from leaps.karel.protocols.carvalho2024.evaluation import Evaluator, initial_worlds, run, run_until
from leaps.search import HillClimbing, ProgramSpace, search


class Recording:
    def __init__(self, evaluator: Evaluator):
        self.evaluator, self.batches, self.max_return = evaluator, [], evaluator.max_return

    def evaluate(self, programs):
        self.batches.append(programs)
        return self.evaluator.evaluate(programs)

    def evaluate_until(self, programs, threshold):
        self.batches.append(programs)
        return self.evaluator.evaluate_until(programs, threshold)


@pytest.fixture(scope="module")
def climbed():
    """The programs a OneStroke climb scores: many of the later ones wall the agent in."""
    recording = Recording(Evaluator("onestroke", settle=False))
    search(HillClimbing(neighbours=100, variant="first_improvement"), ProgramSpace(), recording,
           eval_budget=20_000, seed=1, remember=False)
    return recording.batches[-60:]


@pytest.mark.parametrize("task", ["onestroke", "doorkey", "snake"])
def test_settled_episodes_keep_their_returns(climbed, task):
    worlds = initial_worlds(task)
    settled_any = False
    for programs in climbed:
        full, short = run(programs, worlds), run(programs, worlds, settle=True)
        np.testing.assert_array_equal(short.per_world, full.per_world)
        np.testing.assert_array_equal(short.mean_return, full.mean_return)
        assert (short.calls <= full.calls).all()
        settled = short.end_reason == END_SETTLED
        np.testing.assert_array_equal(short.calls[~settled], full.calls[~settled])
        settled_any |= bool(settled.any())
        if task != "onestroke":
            assert not settled.any()
    assert settled_any == (task == "onestroke")


def test_the_stop_at_the_first_better_program_is_the_same(climbed):
    worlds = initial_worlds("onestroke")
    for programs in climbed[:20]:
        for threshold in (None, 0.5):
            a = run_until(programs, worlds, threshold, 1.0)
            b = run_until(programs, worlds, threshold, 1.0, settle=True)
            np.testing.assert_array_equal(a.per_world, b.per_world)


def test_the_search_evaluator_settles_and_a_rollout_does_not():
    assert Evaluator("onestroke").settle
    program = "DEF run m( REPEAT R=19 r( move turnRight move turnLeft r) REPEAT R=19 r( turnLeft r) m)"
    evaluator = Evaluator("onestroke")
    frames = evaluator.rollout(program)
    result = Evaluator("onestroke", settle=False).evaluate([program])
    assert len(frames) == result.num_actions[0, 0] + 1
