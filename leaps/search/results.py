"""What a search reports: a progress report per iteration, the best program
so far, and the final result."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np


def finite_mean(values: np.ndarray) -> float:
    """Mean over the finite returns (carvalho2024 scores invalid programs
    -inf); -inf if there is none."""
    finite = values[np.isfinite(values)]
    return float(finite.mean()) if len(finite) else float("-inf")


@dataclass
class IterationReport:
    """Sent to the logger after every iteration of a search."""

    iteration: int
    evaluations: int
    best_return: float  # best over everything evaluated so far (0..1)
    mean_return: float  # mean over this iteration's programs (0..1)
    iteration_best_return: float
    best_program: str
    extra: dict = field(default_factory=dict)

    def record(self) -> dict:
        """The history entry (history.json): everything but the program text."""
        return {k: v for k, v in self.__dict__.items() if k != "best_program"}


@dataclass
class SearchResult:
    best_program: str
    best_return: float  # 0..1, the paper's scale
    best_raw_return: float  # with the 0.1 syntax bonus (the reference's printed scale)
    iterations: int
    evaluations: int
    converged: bool
    history: list[dict] = field(default_factory=list)
    test_return: float | None = None  # the best program on held-out worlds, once the runner has scored it
    final_program: str | None = None  # the program the method ends on, where its publication reports that one
    final_return: float | None = None  # (CEM: the mean's greedy program; see SearchMethod.final_program)
    trace: list[tuple[int, float]] = field(default_factory=list)  # (evaluations, best return) at each improvement

    def to_dict(self) -> dict:
        return asdict(self)


Callback = Callable[[IterationReport], None]
Checkpoint = Callable[[dict], None]
"""Receives a search's JSON-able state at the start of every iteration;
passing that state back as ``state=`` continues the search exactly."""


class BestTracker:
    """Keeps the best program seen across all evaluations of a search."""

    def __init__(self) -> None:
        self.program: str = ""
        self.mean_return = -np.inf
        self.raw_return = -np.inf

    def state(self) -> dict:
        return {"program": self.program, "mean_return": self.mean_return, "raw_return": self.raw_return}

    def load(self, state: dict) -> None:
        self.program, self.mean_return, self.raw_return = state["program"], state["mean_return"], state["raw_return"]

    def update(self, programs: list[str], result: Any) -> None:
        i = result.best()
        if result.mean_return[i] > self.mean_return or not self.program:  # a first program even if scored -inf
            self.program = programs[i]
            self.mean_return = float(result.mean_return[i])
            self.raw_return = float(result.raw_return[i])
