"""The interface of a search method. A method is a dataclass of its
settings (``conf/searcher/<name>.yaml``) that, once started on a space,
holds its search state; the one loop (leaps.search.loop) asks it for one
iteration at a time and does everything else: the budget, the best program,
progress reports, snapshots for resuming, the result."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field, fields
from types import NoneType, UnionType
from typing import Any, ClassVar, get_args, get_type_hints

import numpy as np

from leaps.search.evaluations import Evaluations
from leaps.search.spaces.base import SearchSpace


def check_counts(**counts: int | None) -> None:
    """``ValueError`` for a count setting below 1 (population sizes,
    iterations, restart patience); None means the setting is off."""
    for name, value in counts.items():
        if value is not None and value < 1:
            off = f" or null ({OPTIONAL_COUNTS[name]})" if name in OPTIONAL_COUNTS else ""
            raise ValueError(f"{name} must be >= 1{off}, got {value}")


OPTIONAL_COUNTS = {"restart_after": "no restarts"}
"""Count settings that may be null, and what null means."""


def check_positive(**values: float) -> None:
    """``ValueError`` for a scale setting (a sigma) that is not > 0."""
    for name, value in values.items():
        if not value > 0:
            raise ValueError(f"{name} must be > 0, got {value}")


@dataclass
class Step:
    """One iteration's outcome: the returns of the programs it evaluated
    (for the report's mean and iteration best) and method-specific values
    for the logs."""

    returns: np.ndarray
    extra: dict[str, Any] = field(default_factory=dict)


class SearchMethod(ABC):
    name: ClassVar[str]
    needs: ClassVar[frozenset[str]] = frozenset()
    """Capabilities of the space the method uses (leaps.search.spaces.base)."""
    max_iterations: int | None = None
    """Iterations after which the search stops (None: only the budget stops it)."""

    @classmethod
    def from_config(cls, **settings: Any) -> SearchMethod:
        """The method made from its config (``name`` aside); ``ValueError``
        naming a setting that is unknown, of the wrong type or out of range."""
        hints = get_type_hints(cls)
        known = {f.name: hints[f.name] for f in fields(cls)}  # type: ignore[arg-type]
        for key, value in settings.items():
            if key not in known:
                raise ValueError(f"searcher={cls.name} has no setting {key!r}; its settings: {', '.join(known)}")
            _check_type(value, known[key], f"searcher.{key}")
        try:
            return cls(**settings)
        except ValueError as err:
            raise ValueError(f"searcher={cls.name}: {err}") from None

    def check_budget(self, eval_budget: int) -> None:
        """``ValueError`` when ``eval_budget`` cannot hold what one iteration
        needs (checked before a run writes anything); by default any budget."""
        return None

    def step_evaluations(self) -> int:
        """Evaluations the next iteration needs at least; the search stops when fewer are left."""
        return 1

    @abstractmethod
    def start(self, space: SearchSpace | None, seed: int) -> None:
        """Set up a fresh search state; every random draw comes from ``seed``."""

    @abstractmethod
    def state(self) -> dict:
        """The search state as JSON data (between iterations)."""

    @abstractmethod
    def load(self, state: dict) -> None:
        """Continue from :meth:`state`'s data (after :meth:`start`)."""

    @abstractmethod
    def step(self, evaluate: Evaluations, iteration: int) -> Step | None:
        """Iteration ``iteration`` (1, 2, ...); None when the budget left
        cannot hold a useful iteration (the search then ends)."""

    def done(self, evaluate: Evaluations) -> bool:
        """Whether to stop after an iteration: by default once a program reaches the task's maximum."""
        return evaluate.solved()

    def converged(self, evaluate: Evaluations) -> bool:
        """What the result reports as ``converged``."""
        return evaluate.solved()

    def final_program(self) -> tuple[str, float] | None:
        """The program the method itself ends on and its return, where that
        is what its original publication reports instead of the best program
        seen (CEM: the mean's greedy program); None for methods whose result
        is the best program."""
        return None


def _check_type(value: Any, annotation: Any, key: str) -> None:
    """``ValueError`` unless ``value`` fits a setting's type (int, float, bool, str, or one of them or None)."""
    allowed = get_args(annotation) if isinstance(annotation, UnionType) else (annotation,)
    if value is None and NoneType in allowed:
        return
    if bool in allowed and isinstance(value, bool):
        return
    if int in allowed and isinstance(value, int) and not isinstance(value, bool):
        return
    if float in allowed and isinstance(value, int | float) and not isinstance(value, bool):
        return
    if str in allowed and isinstance(value, str):
        return
    names = {int: "an integer", float: "a number", bool: "true or false", str: "a string", NoneType: "null"}
    expected = " or ".join(names.get(t, str(t)) for t in allowed)
    raise ValueError(f"{key} must be {expected}, got {value!r}")
