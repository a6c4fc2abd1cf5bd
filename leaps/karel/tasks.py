"""The LEAPS protocol's task API under its first name, kept for the imports
in the README and in user code: everything here is
:mod:`leaps.karel.protocols.leaps`."""

from leaps.karel.protocols.leaps import (
    INVALID_PROGRAM_SCORE,
    SYNTAX_BONUS,
    TASK_NAMES,
    EpisodeStats,
    EvaluationResult,
    Task,
    TaskEvaluator,
    evaluate,
    get_task,
    register_task,
    task_names,
)

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
