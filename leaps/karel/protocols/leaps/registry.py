"""Task registry: each task module registers its class under a name, so a
new task is one new file (plus its ``conf/task/<name>.yaml``)."""

from __future__ import annotations

from leaps.karel.tasks.base import Task

_REGISTRY: dict[str, type[Task]] = {}


def register_task(cls: type[Task]) -> type[Task]:
    """Class decorator; the name is ``cls.name`` (lower case)."""
    name = cls.name.lower()
    if not name:
        raise ValueError(f"{cls.__name__} has no task name")
    if name in _REGISTRY and _REGISTRY[name] is not cls:
        raise ValueError(f"task name {name!r} is already registered by {_REGISTRY[name].__name__}")
    _REGISTRY[name] = cls
    return cls


def task_names() -> tuple[str, ...]:
    return tuple(sorted(_REGISTRY))


def get_task(name: str, **overrides) -> Task:
    """A task by name, e.g. ``get_task("harvester", height=100, width=100)``."""
    cls = _REGISTRY.get(name.lower())
    if cls is None:
        raise ValueError(f"unknown task {name!r}; known tasks: {', '.join(task_names())}")
    overrides = {k: v for k, v in overrides.items() if v is not None}
    try:
        return cls(**overrides)
    except TypeError as err:
        raise ValueError(f"task {name!r} does not accept {sorted(overrides)}: {err}") from None
