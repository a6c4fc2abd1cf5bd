"""The six LEAPS tasks, their registry and the evaluation API.

Importing this package registers every task module listed below; a new task
is one module with a ``@register_task`` class, added here, plus a
``conf/task/<name>.yaml``.
"""

from leaps.karel.tasks import cleanhouse, fourcorner, harvester, maze, stairclimber, topoff  # noqa: F401  (registers)
from leaps.karel.tasks.base import EpisodeStats, Task
from leaps.karel.tasks.evaluation import (
    INVALID_PROGRAM_SCORE,
    SYNTAX_BONUS,
    EvaluationResult,
    TaskEvaluator,
    evaluate,
)
from leaps.karel.tasks.registry import get_task, register_task, task_names

TASK_NAMES = task_names()

__all__ = [
    "INVALID_PROGRAM_SCORE",
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
