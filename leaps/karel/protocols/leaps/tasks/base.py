"""What every task shares: the episode replay and the Task interface.

A LEAPS episode runs the program once (lenient mode, 220-call budget) and
scores the world after the program's last action. Rewards need a little of
the episode's history besides the final world (the reference's lagging
marker total, StairClimber's first arrival), so the recorded action traces
are replayed once, in compiled code, into :class:`EpisodeStats`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

import numba as nb
import numpy as np

from leaps.karel import transitions as tr
from leaps.karel.interpreter import DEFAULT_BUDGET
from leaps.karel.world import WorldBatch

MIN_ACTIONS_FOR_REWARD = 2
"""Episodes with fewer actions score 0 (the reference's rule)."""
RENAMED_BUDGET = (
    "a task's budget is now call_budget, a constructor argument: get_task(name, call_budget=N) "
    "(search.py: task.call_budget=N)"
)


@nb.njit(cache=True, nogil=True, _nrt=False)
def _replay_one(walls: np.ndarray, markers: np.ndarray, agent: np.ndarray, actions: np.ndarray, length: int,
                target_row: int, target_col: int) -> tuple[int, int]:
    """One run's replay on its own copy of the world: (marker total before
    its last action, index of its first arrival on the target or -1).
    Compiled without reference counting, as the interpreter's inner loop."""
    total = 0
    for r in range(markers.shape[0]):
        for c in range(markers.shape[1]):
            if markers[r, c] > 0:
                total += 1
    first = -1
    before_last = total
    for t in range(length):
        before_last = total
        act = actions[t]
        outcome = tr.act(walls, markers, agent, act, False)
        if outcome == tr.OK:
            if act == tr.PICK_MARKER:
                total -= 1
            elif act == tr.PUT_MARKER:
                total += 1
        if first < 0 and agent[0] == target_row and agent[1] == target_col:
            first = t
    return before_last, first


@nb.njit(cache=True, parallel=True)
def _replay_stats(
    walls: np.ndarray, markers: np.ndarray, agents: np.ndarray, run_world: np.ndarray, actions: np.ndarray,
    lengths: np.ndarray, targets: np.ndarray, total_before_last: np.ndarray, first_visit: np.ndarray,
) -> None:
    for i in nb.prange(actions.shape[0]):
        w = run_world[i]
        total_before_last[i], first_visit[i] = _replay_one(
            walls[w], markers[w].copy(), agents[w].copy(), actions[i], lengths[i], targets[w, 0], targets[w, 1])


@dataclass
class EpisodeStats:
    """What rewards read, per run (flat over program x world)."""

    initial: WorldBatch
    run_world: np.ndarray  # (R,) index of each run's initial world
    markers: np.ndarray  # (R, H, W) final marker counts
    agents: np.ndarray  # (R, 3) final agent
    lengths: np.ndarray  # (R,) actions taken
    total_before_last: np.ndarray  # (R,) reference's running marker total before the last action
    first_visit: np.ndarray  # (R,) action index of the first arrival on the task's target cell, -1 if none


class Task(ABC):
    """A LEAPS task: an initial-world distribution and a reward.

    Subclasses set ``name`` and the default grid size, draw initial worlds
    only from the given generator, and compute the reward after the last
    action from :class:`EpisodeStats`. ``call_budget`` (calls per episode,
    the LEAPS 220 by default) is fixed when the task is made, so every
    evaluation of one task object runs under the same budget.
    """

    name: str = ""
    default_height: int = 8
    default_width: int = 8
    fixed_size: bool = False
    min_size: int = 4
    max_return: float = 1.0

    def __init__(self, height: int | None = None, width: int | None = None, call_budget: int | None = None):
        self.height = self.default_height if height is None else int(height)
        self.width = self.default_width if width is None else int(width)
        self._call_budget = DEFAULT_BUDGET if call_budget is None else int(call_budget)
        if self._call_budget < 1:
            raise ValueError(f"call_budget must be >= 1 call, got {call_budget}")
        if self.fixed_size and (self.height, self.width) != (self.default_height, self.default_width):
            raise ValueError(
                f"task {self.name!r} has a fixed {self.default_height}x{self.default_width} map; "
                f"got {self.height}x{self.width}"
            )
        if min(self.height, self.width) < self.min_size:
            raise ValueError(
                f"task {self.name!r} needs a grid of at least {self.min_size}x{self.min_size}, "
                f"got {self.height}x{self.width}"
            )

    @property
    def call_budget(self) -> int:
        """Calls per episode (KAREL_SPEC.md's counter); set only by the constructor."""
        return self._call_budget

    @property
    def budget(self) -> int:
        raise AttributeError(RENAMED_BUDGET)

    @budget.setter
    def budget(self, value: int) -> None:
        raise AttributeError(RENAMED_BUDGET)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.height}x{self.width}, call_budget={self.call_budget})"

    @abstractmethod
    def sample_world(self, rng: np.random.Generator):
        """One initial :class:`~leaps.karel.world.World`."""

    def reset_variant(self) -> Task:
        """The task whose worlds a search redraws (``protocol.redraw_every``,
        ``EvaluationWorlds.reset``): the reference's environment reset draws
        them with its generators' default arguments, which differ from the
        first draw only for TopOff."""
        return self

    def initial_worlds(self, n: int, rng: np.random.Generator) -> WorldBatch:
        if n < 1:
            raise ValueError(f"need at least one initial world, got n={n}")
        return WorldBatch.stack([self.sample_world(rng) for _ in range(n)])

    def targets(self, worlds: WorldBatch) -> np.ndarray:
        """(N, 2) cell whose first visit the reward needs; (-1, -1) if none."""
        return np.full((len(worlds), 2), -1, dtype=np.int64)

    @abstractmethod
    def final_reward(self, stats: EpisodeStats) -> np.ndarray:
        """(R,) reward after each run's last action (before the fewer-than-2-actions rule)."""

    def episode_stats(
        self, worlds: WorldBatch, run_world: np.ndarray, markers: np.ndarray, agents: np.ndarray,
        actions: np.ndarray, lengths: np.ndarray,
    ) -> EpisodeStats:
        n_runs = len(run_world)
        total_before_last = np.zeros(n_runs, dtype=np.int64)
        first_visit = np.full(n_runs, -1, dtype=np.int64)
        if n_runs:
            _replay_stats(
                worlds.walls, worlds.markers, worlds.agents, np.ascontiguousarray(run_world, dtype=np.int64),
                actions, np.ascontiguousarray(lengths, dtype=np.int64), self.targets(worlds), total_before_last,
                first_visit,
            )
        return EpisodeStats(worlds, run_world, markers, agents, lengths, total_before_last, first_visit)

    def rewards(self, stats: EpisodeStats) -> np.ndarray:
        """(R,) the episode's return: reward after the last action, 0 below 2 actions."""
        reward = np.asarray(self.final_reward(stats), dtype=np.float64)
        return np.where(stats.lengths >= MIN_ACTIONS_FOR_REWARD, reward, 0.0)
