"""The LEAPS protocol's tasks by name: every module of ``tasks/`` registers
its class with ``@register_task``, so a new task is one new file there
(plus its ``conf/task/<name>.yaml``)."""

from __future__ import annotations

from leaps.karel.protocols.leaps.tasks.base import RENAMED_BUDGET, Task
from leaps.registry import Registry

TASKS: Registry[type[Task]] = Registry("task", "leaps.karel.protocols.leaps.tasks")
register_task = TASKS.register


def task_names() -> tuple[str, ...]:
    return TASKS.names()


def get_task(name: str, **overrides) -> Task:
    """A task by name, e.g. ``get_task("harvester", height=100, width=100, call_budget=1000)``
    (settings given as None keep the task's own)."""
    cls = TASKS.get(name)
    if "budget" in overrides:
        raise ValueError(RENAMED_BUDGET)
    overrides = {k: v for k, v in overrides.items() if v is not None}
    try:
        return cls(**overrides)
    except TypeError as err:
        raise ValueError(f"task {name!r} does not accept {sorted(overrides)}: {err}") from None
