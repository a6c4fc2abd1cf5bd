"""The evaluation protocol of Carvalho, Tjhia & Lelis (ICLR 2024), the one of
the LEAPS successors (KAREL_SPEC_P2.md): 10,000-call budget, per-WHILE loop
guard, per-action rewards with crash penalties, 16 seeded worlds, ten tasks.

    from leaps.karel.protocols.carvalho2024 import evaluate, Evaluator
    evaluate(["DEF run m( move m)"], "harvester").mean_return
"""

from leaps.karel.protocols.carvalho2024.evaluation import (
    DEFAULT_SEEDS,
    INVALID_RETURN,
    NUM_WORLDS,
    EpisodeResult,
    Evaluator,
    WorldSet,
    evaluate,
    initial_worlds,
    run,
)
from leaps.karel.protocols.carvalho2024.protocol import Carvalho2024Protocol
from leaps.karel.protocols.carvalho2024.registry import TASK_NAMES, TASKS, TaskSpec, get_task
from leaps.karel.protocols.carvalho2024.rollout import Rollout, rollout

PROTOCOL = Carvalho2024Protocol()
PROTOCOL_NAME = PROTOCOL.name

__all__ = [
    "DEFAULT_SEEDS",
    "INVALID_RETURN",
    "NUM_WORLDS",
    "PROTOCOL",
    "PROTOCOL_NAME",
    "Rollout",
    "TASKS",
    "TASK_NAMES",
    "EpisodeResult",
    "Evaluator",
    "TaskSpec",
    "WorldSet",
    "evaluate",
    "get_task",
    "initial_worlds",
    "rollout",
    "run",
]
