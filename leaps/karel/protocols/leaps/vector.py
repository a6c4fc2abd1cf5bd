"""The LEAPS protocol's tasks for the vectorised environment
(leaps.karel.vector): the rewards of ``tasks/`` computed incrementally in
compiled code, one action of every episode per call.

A step's reward is the change of the task's reward after the actions so far
(as the single environment, protocols/leaps/gym_env.py), with the protocol's
quirks: no reward before 2 actions, the lagging marker total of Harvester
and FourCorner (the total before the last action), StairClimber's first
arrival. An episode terminates when the task's reward reaches its maximum.
"""

from __future__ import annotations

from typing import Any

import numba as nb
import numpy as np

from leaps.karel import transitions as tr
from leaps.karel.protocols.leaps.registry import get_task
from leaps.karel.protocols.leaps.tasks.base import MIN_ACTIONS_FOR_REWARD, Task
from leaps.karel.vector.backend import VectorBackend
from leaps.karel.world import World

STAIRCLIMBER, FOURCORNER, TOPOFF, MAZE, CLEANHOUSE, HARVESTER = range(6)
REWARD_KINDS = {"stairclimber": STAIRCLIMBER, "fourcorner": FOURCORNER, "topoff": TOPOFF, "maze": MAZE,
                "cleanhouse": CLEANHOUSE, "harvester": HARVESTER}
"""The compiled reward of each task of the registry (tests check that none is missing)."""


@nb.njit(cache=True, nogil=True, inline="always")
def _reward(kind, markers, init, agent, total_before, first, steps, target, n_marked):
    """The task's reward after ``steps`` actions (before the 2-action rule)."""
    h, w = markers.shape
    if kind == STAIRCLIMBER:
        return 1.0 if first == steps - 1 else 0.0
    if kind == MAZE:
        return 1.0 if agent[0] == target[0] and agent[1] == target[1] else 0.0
    if kind == HARVESTER:
        cells = (h - 2) * (w - 2)
        return (cells - total_before) / cells
    if kind == FOURCORNER:
        correct = 0
        if markers[1, 1] == 1:
            correct += 1
        if markers[h - 2, 1] == 1:
            correct += 1
        if markers[h - 2, w - 2] == 1:
            correct += 1
        if markers[1, w - 2] == 1:
            correct += 1
        return 0.0 if total_before - correct > 0 else 0.25 * correct
    if kind == CLEANHOUSE:
        cleaned = 0
        for r in range(h):
            for c in range(w):
                if init[r, c] == 1 and markers[r, c] == 0:
                    cleaned += 1
        return cleaned / n_marked
    # TOPOFF: the bottom row walked from column 1 to the agent's, up to the first wrong cell
    score = 0
    for c in range(1, w - 1):
        now = markers[h - 2, c]
        right = now == 2 if init[h - 2, c] > 0 else now == 0
        if not (right and c <= agent[1]):
            break
        score += 1
    if score == w - 2 and agent[0] == h - 2 and agent[1] == w - 2:
        score += 1
    return score / (w - 1)


@nb.njit(cache=True, nogil=True, _nrt=False)
def _step(kind, max_return, actions, active, walls, markers, agents, init, total, first, steps, last, target,
          n_marked, rewards, terminated):
    for i in range(actions.shape[0]):
        rewards[i] = 0.0
        terminated[i] = False
        if not active[i]:
            continue
        a = actions[i]
        before = total[i]
        if tr.act(walls[i], markers[i], agents[i], a, False) == tr.OK:
            if a == tr.PICK_MARKER:
                total[i] -= 1
            elif a == tr.PUT_MARKER:
                total[i] += 1
        steps[i] += 1
        if first[i] < 0 and agents[i, 0] == target[i, 0] and agents[i, 1] == target[i, 1]:
            first[i] = steps[i] - 1
        reward = 0.0
        if steps[i] >= MIN_ACTIONS_FOR_REWARD:
            reward = _reward(kind, markers[i], init[i], agents[i], before, first[i], steps[i], target[i],
                             n_marked[i])
        rewards[i] = reward - last[i]
        last[i] = reward
        terminated[i] = reward >= max_return


@nb.njit(cache=True)
def _start(indices, markers, init, total, first, steps, last, n_marked):
    for i in indices:
        init[i] = markers[i]
        count = 0
        single = 0
        for r in range(markers.shape[1]):
            for c in range(markers.shape[2]):
                if markers[i, r, c] > 0:
                    count += 1
                if markers[i, r, c] == 1:
                    single += 1
        total[i] = count  # the reference's running total counts marked cells
        n_marked[i] = single
        first[i] = -1
        steps[i] = 0
        last[i] = 0.0


class LeapsVectorBackend(VectorBackend):
    """Episodes of one LEAPS task (``get_task(name, **options)``: grid size,
    call budget, marker probability); truncated after the task's call budget
    by default, as the registered single environments."""

    def __init__(self, task: str | Task, num_envs: int, **task_options: Any):
        self.task = get_task(task, **task_options) if isinstance(task, str) else task
        if self.task.name not in REWARD_KINDS:
            raise ValueError(f"task {self.task.name!r} has no compiled reward for the vector environment")
        self.kind = REWARD_KINDS[self.task.name]
        self.height, self.width = self.task.height, self.task.width
        self.default_max_steps = self.task.call_budget
        super().__init__(num_envs)
        n = num_envs
        self.init = np.zeros_like(self.markers)
        self.total = np.zeros(n, dtype=np.int64)
        self.first = np.zeros(n, dtype=np.int64)
        self.steps = np.zeros(n, dtype=np.int64)
        self.last = np.zeros(n, dtype=np.float64)
        self.target = np.zeros((n, 2), dtype=np.int64)
        self.n_marked = np.zeros(n, dtype=np.int64)

    def load(self, i: int, world: World) -> None:
        if world.shape != (self.height, self.width):
            raise ValueError(f"a {world.shape[0]}x{world.shape[1]} world does not fit a "
                             f"{self.height}x{self.width} environment")
        self.walls[i] = world.walls
        self.markers[i] = world.markers
        self.agents[i] = world.agent
        # the cell whose arrival StairClimber and Maze reward: the (first) most-marked cell, as the task's targets
        self.target[i] = np.unravel_index(int(np.argmax(world.markers)), world.markers.shape)

    def draw(self, i: int, rng: np.random.Generator) -> dict[str, Any]:
        self.load(i, self.task.sample_world(rng))
        return {}

    def start(self, indices: np.ndarray) -> None:
        _start(np.asarray(indices, dtype=np.int64), self.markers, self.init, self.total, self.first, self.steps,
               self.last, self.n_marked)

    def step(self, actions: np.ndarray, active: np.ndarray, rewards: np.ndarray, terminated: np.ndarray) -> None:
        _step(self.kind, float(self.task.max_return), actions, active, self.walls, self.markers, self.agents,
              self.init, self.total, self.first, self.steps, self.last, self.target, self.n_marked, rewards,
              terminated)

    def evaluation_worlds(self, evaluator: Any) -> list[World]:
        return evaluator.worlds.worlds()


def make_vector_env(task: str, num_envs: int, **options: Any) -> Any:
    """Gymnasium's vector entry point of this protocol's ids:
    ``gym.make_vec("leaps/Harvester-v0", num_envs=256, obs="abstract")``."""
    from leaps.karel.vector.env import KarelVectorEnv

    return KarelVectorEnv(task, num_envs, protocol="leaps", **options)
