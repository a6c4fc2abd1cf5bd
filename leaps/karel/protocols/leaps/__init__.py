"""The LEAPS evaluation protocol (Trivedi et al., NeurIPS 2021;
KAREL_SPEC.md), the default: six tasks (``tasks/``, one module each),
10 random worlds per task drawn from the search seed, 220 calls per episode
(a task's ``call_budget``), returns 0..1 after the last action and a 0.1
syntax bonus on the raw scale.

    from leaps.karel.protocols.leaps import evaluate, get_task
    evaluate(["DEF run m( move m)"], get_task("harvester", call_budget=1000), seed=0).mean_return
"""

from leaps.karel.protocols.leaps.evaluation import (
    INVALID_PROGRAM_SCORE,
    SYNTAX_BONUS,
    EvaluationResult,
    TaskEvaluator,
    evaluate,
)
from leaps.karel.protocols.leaps.protocol import LeapsProtocol
from leaps.karel.protocols.leaps.registry import get_task, register_task, task_names
from leaps.karel.protocols.leaps.tasks.base import EpisodeStats, Task

PROTOCOL = LeapsProtocol()
TASK_NAMES = task_names()

__all__ = [
    "INVALID_PROGRAM_SCORE",
    "PROTOCOL",
    "SYNTAX_BONUS",
    "TASK_NAMES",
    "EpisodeStats",
    "EvaluationResult",
    "Task",
    "TaskEvaluator",
    "evaluate",
    "get_task",
    "register_task",
    "task_names",
]
