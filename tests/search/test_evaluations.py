"""The counting wrapper (leaps.search.evaluations): what it charges, and the
trace of improvements the sample-efficiency report reads."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

from leaps.search.evaluations import Evaluations, Programs


@dataclass
class FakeScores:
    mean_return: np.ndarray
    raw_return: np.ndarray
    valid: np.ndarray

    def __len__(self) -> int:
        return len(self.mean_return)

    def best(self) -> int:
        return int(np.argmax(self.mean_return))


class FakeEvaluator:
    """Scores each program text as the number it spells."""

    max_return = 1.0

    def evaluate(self, programs):
        values = np.array([float(p) for p in programs])
        return FakeScores(values, values + 0.1, np.ones(len(values), bool))


def batch(*values: float) -> Programs:
    return Programs.from_texts([str(v) for v in values])


def test_the_trace_lists_every_improvement_at_its_evaluation_number():
    evaluate = Evaluations(FakeEvaluator(), eval_budget=100)
    evaluate(batch(0.2, 0.1, 0.5, 0.5, 0.3))
    evaluate(batch(0.4, 0.7))
    evaluate(batch(float("-inf"), 0.7))
    assert evaluate.trace == [(1, 0.2), (3, 0.5), (7, 0.7)]
    assert evaluate.best.mean_return == 0.7 and evaluate.count == 9
    again = Evaluations(FakeEvaluator(), eval_budget=100)
    again.load(evaluate.state())
    again(batch(0.9))
    assert again.trace[-1] == (10, 0.9)


def test_until_solved_charges_only_up_to_the_first_program_at_the_maximum():
    evaluate = Evaluations(FakeEvaluator(), eval_budget=100)
    scores = evaluate.until_solved(batch(0.2, 1.0, 0.4, 1.0))
    assert list(scores.mean_return) == [0.2, 1.0] and evaluate.count == 2 and evaluate.solved()
    assert evaluate.trace == [(1, 0.2), (2, 1.0)]
    unsolved = evaluate.until_solved(batch(0.3, 0.4))
    assert len(unsolved) == 2 and evaluate.count == 4
    with pytest.raises(RuntimeError, match="exceed"):
        Evaluations(FakeEvaluator(), eval_budget=1).until_solved(batch(0.1, 0.2))
