"""The one interface every evaluation protocol provides (one folder per
protocol under ``leaps/karel/protocols/``, found by the registry in this
package's ``__init__``), so that search, report, the Gymnasium registration
and the benchmarks never ask which protocol they hold."""

from __future__ import annotations

import dataclasses
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from leaps.karel.world import World


@dataclass(frozen=True)
class EvaluationWorlds:
    """Which of a task's initial worlds an evaluator scores programs on.

    ``count`` None takes the protocol's default (``search_worlds``, or
    ``test_worlds`` when ``held_out``). Held-out worlds come from a stream no
    search draws from, so a program's return on them says how it does on
    worlds it was not selected on. For a protocol with ``redraws_worlds``
    (``protocol.redraw_every``): ``draw`` k >= 1 is a search's k-th set of
    redrawn worlds, each from a stream of its own (0: the first set), and
    ``reset`` draws worlds as the reference's environment reset draws them
    (``Task.reset_variant``), as redrawn worlds and their held-out test are."""

    seed: int = 0
    count: int | None = None
    held_out: bool = False
    draw: int = 0
    reset: bool = False

    def __post_init__(self) -> None:
        if self.count is not None and self.count < 1:
            raise ValueError(f"an evaluation needs at least one world, got count={self.count}")
        if self.draw < 0 or (self.draw and self.held_out):
            raise ValueError(f"draw must be >= 0 and 0 for held-out worlds, got {self.draw}")


class Scores(Protocol):
    """What an evaluation returns, whatever the protocol: per program
    ``mean_return`` (the reported scale), ``raw_return`` (the protocol's
    printed scale), ``per_world`` and ``valid``."""

    mean_return: np.ndarray
    raw_return: np.ndarray
    per_world: np.ndarray
    valid: np.ndarray

    def __len__(self) -> int: ...

    def best(self) -> int: ...


def join_scores(parts: list[Scores]) -> Scores:
    """Scores of consecutive batches as one (every per-program array field joined)."""
    first = parts[0]
    assert dataclasses.is_dataclass(first)
    joined = {f.name: np.concatenate([getattr(p, f.name) for p in parts]) for f in dataclasses.fields(first)
              if isinstance(getattr(first, f.name), np.ndarray)}
    return dataclasses.replace(first, **joined)


def first_scores(scores: Scores, n: int) -> Scores:
    """The scores of the first ``n`` programs (every per-program array field cut)."""
    assert dataclasses.is_dataclass(scores)
    cut = {f.name: value[:n] for f in dataclasses.fields(scores)
           if isinstance(value := getattr(scores, f.name), np.ndarray)}
    return dataclasses.replace(scores, **cut)


class Evaluator(Protocol):
    """A task with its call budget and worlds bound: scores batches of
    programs (text, token ids or ASTs) and renders one program's episode.
    Evaluators count nothing: a search counts its evaluations itself."""

    max_return: float

    def evaluate(self, programs: Any) -> Scores: ...

    def rollout(self, program: str) -> list[World]:
        """The worlds of ``program``'s episode on the first world, for pictures."""
        ...


class EvaluationProtocol(ABC):
    """How programs are scored: which tasks exist, on which worlds, with
    which call budget and rewards."""

    name: str
    summary: str
    """One sentence for report tables: what a return under this protocol means."""
    search_worlds: int
    """Worlds a search averages over when the task does not say."""
    test_worlds: int = 100
    """Held-out worlds the best program of a search is scored on."""
    call_budget: int
    """Calls per episode when the task does not say."""
    call_budget_fixed: bool = False
    """True when a task's call budget cannot be changed."""
    redraws_worlds: bool = False
    """True when a search may redraw its worlds as it goes (``protocol.redraw_every``, ``EvaluationWorlds.draw``)."""
    reference_returns: Mapping[str, float] = {}
    """Returns the protocol's paper reports, by task, shown beside the report tables (in the paper's order)."""
    published_baselines: Mapping[str, tuple[str, Mapping[str, float]]] = {}
    """Other published returns under this protocol, each shown beside a report table that has runs to compare it
    with: column label -> (the start of those runs' column labels, returns by task)."""

    @abstractmethod
    def task_names(self) -> tuple[str, ...]:
        """Every task of the protocol, in the order tables list them."""

    def grid_sizes(self, task: str) -> bool:
        """Whether ``task`` runs on other grid sizes (``height``/``width``
        options), hence whether the generalisation test applies to it."""
        return False

    @abstractmethod
    def evaluator(self, task: str, call_budget: int | None = None, worlds: EvaluationWorlds | None = None,
                  **task_options: Any) -> Evaluator:
        """An evaluator of ``task`` with ``call_budget`` calls per episode
        (None: the task's own) on ``worlds``; ``ValueError`` for an unknown
        task or a setting the protocol lacks."""

    def vector_backend(self, task: str, num_envs: int, **task_options: Any) -> Any:
        """The compiled episodes of ``task`` for :class:`leaps.karel.vector.KarelVectorEnv`
        (a :class:`leaps.karel.vector.backend.VectorBackend`)."""
        raise ValueError(f"protocol {self.name} has no vectorised environment")

    @abstractmethod
    def gym_ids(self) -> dict[str, str]:
        """Gymnasium environment id of every task."""

    @abstractmethod
    def register_gym_envs(self) -> None:
        """Register the environments of :meth:`gym_ids` with Gymnasium."""

    def __repr__(self) -> str:
        return f"<protocol {self.name}>"
