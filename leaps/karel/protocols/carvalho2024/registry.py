"""The ten tasks of this protocol by name (the LEAPS registry's names for
the six shared tasks), in the order its tables list them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from leaps.karel.protocols.carvalho2024 import engine
from leaps.karel.protocols.carvalho2024.tasks import (
    cleanhouse,
    doorkey,
    fourcorner,
    harvester,
    maze,
    onestroke,
    seeder,
    snake,
    stairclimber,
    topoff,
)
from leaps.karel.protocols.carvalho2024.tasks.base import InitialWorld


@dataclass(frozen=True)
class TaskSpec:
    name: str
    task_id: int  # the engine's reward dispatch id
    generate: Callable[[int], InitialWorld]
    height: int
    width: int
    max_return: float
    """The best return an episode can reach (1.0 for all ten; OneStroke's
    1 - 1/M is its true ceiling, since the start cell counts as used)."""
    title: str
    """The name as written in its Gymnasium id (``leaps/Carvalho2024<title>-v0``)."""


TASKS: dict[str, TaskSpec] = {
    s.name: s
    for s in (
        TaskSpec("stairclimber", engine.STAIRCLIMBER, stairclimber.generate, 12, 12, 1.0, "StairClimber"),
        TaskSpec("maze", engine.MAZE, maze.generate, 12, 12, 1.0, "Maze"),
        TaskSpec("topoff", engine.TOPOFF, topoff.generate, 12, 12, 1.0, "TopOff"),
        TaskSpec("fourcorner", engine.FOURCORNERS, fourcorner.generate, 12, 12, 1.0, "FourCorner"),
        TaskSpec("harvester", engine.HARVESTER, harvester.generate, 8, 8, 1.0, "Harvester"),
        TaskSpec("cleanhouse", engine.CLEANHOUSE, cleanhouse.generate, 14, 22, 1.0, "CleanHouse"),
        TaskSpec("doorkey", engine.DOORKEY, doorkey.generate, 8, 8, 1.0, "DoorKey"),
        TaskSpec("onestroke", engine.ONESTROKE, onestroke.generate, 8, 8, 1.0, "OneStroke"),
        TaskSpec("seeder", engine.SEEDER, seeder.generate, 8, 8, 1.0, "Seeder"),
        TaskSpec("snake", engine.SNAKE, snake.generate, 8, 8, 1.0, "Snake"),
    )
}
TASK_NAMES: tuple[str, ...] = tuple(TASKS)


def get_task(name: str) -> TaskSpec:
    key = name.lower().replace("_", "")
    if key not in TASKS:
        raise KeyError(f"unknown carvalho2024 task {name!r}; choose one of {', '.join(TASK_NAMES)}")
    return TASKS[key]
