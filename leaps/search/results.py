"""What every searcher shares: the budget unit, progress reports and the result."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

import numpy as np

from leaps.karel import dsl


class Evaluator(Protocol):
    """What a searcher needs of a task under any protocol (leaps.search.protocols):
    ``evaluate`` returns per-program ``mean_return``, ``raw_return``,
    ``per_world`` and ``best()``, and counts ``num_evaluations``."""

    num_evaluations: int

    @property
    def max_return(self) -> float: ...

    def evaluate(self, programs: Any) -> Any: ...


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


@dataclass
class SearchResult:
    best_program: str
    best_return: float  # 0..1, the paper's scale
    best_raw_return: float  # with the 0.1 syntax bonus (the reference's printed scale)
    iterations: int
    evaluations: int
    converged: bool
    history: list[dict] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)


Callback = Callable[[IterationReport], None]
Checkpoint = Callable[[dict], None]
"""Receives a searcher's JSON-able state at the start of every iteration;
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


def ids_to_texts(ids: np.ndarray) -> list[str]:
    """Decoder output (N, L) -> program text; ids past an unknown token are kept as text too."""
    out = []
    for row in ids:
        try:
            out.append(dsl.ids_to_text(row))
        except dsl.ProgramError:
            out.append(" ".join(str(int(i)) for i in dsl.strip_padding(row)))
    return out


def check_budget(evaluator: Evaluator, budget: int) -> bool:
    return evaluator.num_evaluations < budget
