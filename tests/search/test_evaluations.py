"""The counting wrapper (leaps.search.evaluations): what it charges, and the
trace of improvements the sample-efficiency report reads."""

from __future__ import annotations

import pytest

from leaps.search.evaluations import Evaluations
from tests.search.fakes import NumberEvaluator, batch


def test_the_trace_lists_every_improvement_at_its_evaluation_number():
    evaluate = Evaluations(NumberEvaluator(), eval_budget=100)
    evaluate(batch(0.2, 0.1, 0.5, 0.5, 0.3))
    evaluate(batch(0.4, 0.7))
    evaluate(batch(float("-inf"), 0.7))
    assert evaluate.trace == [(1, 0.2), (3, 0.5), (7, 0.7)]
    assert evaluate.best.mean_return == 0.7 and evaluate.count == 9
    again = Evaluations(NumberEvaluator(), eval_budget=100)
    again.load(evaluate.state())
    again(batch(0.9))
    assert again.trace[-1] == (10, 0.9)


def test_until_solved_charges_only_up_to_the_first_program_at_the_maximum():
    evaluate = Evaluations(NumberEvaluator(), eval_budget=100)
    scores = evaluate.until_solved(batch(0.2, 1.0, 0.4, 1.0))
    assert list(scores.mean_return) == [0.2, 1.0] and evaluate.count == 2 and evaluate.solved()
    assert evaluate.trace == [(1, 0.2), (2, 1.0)]
    unsolved = evaluate.until_solved(batch(0.3, 0.4))
    assert len(unsolved) == 2 and evaluate.count == 4
    with pytest.raises(RuntimeError, match="exceed"):
        Evaluations(NumberEvaluator(), eval_budget=1).until_solved(batch(0.1, 0.2))
