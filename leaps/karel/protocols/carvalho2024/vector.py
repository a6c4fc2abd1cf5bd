"""The carvalho2024 protocol's tasks for the vectorised environment
(leaps.karel.vector): one action of every episode per call, with the
engine's own action rules, call counter and task reward steps
(engine.task_reward), so rewards, crash penalties and termination are the
protocol's (and the single environment's, protocols/carvalho2024/gym_env.py).

Worlds are drawn as the single environment draws them: a task seed from the
environment's generator, then the task's world of that seed (all resetting
environments' worlds in one compiled call, carvalho2024.worlds). The grid
observation shows what the protocol's pictures show (rollout.py): Snake's
body and food instead of the marker counts its perceptions read.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numba as nb
import numpy as np

from leaps.karel.protocols.carvalho2024 import engine
from leaps.karel.protocols.carvalho2024.gym_env import MAX_WORLD_SEED
from leaps.karel.protocols.carvalho2024.registry import TaskSpec, get_task
from leaps.karel.protocols.carvalho2024.tasks import snake
from leaps.karel.protocols.carvalho2024.tasks.base import NUM_PARAMS, NUM_TASK_STATE, InitialWorld
from leaps.karel.protocols.carvalho2024.worlds import draw_worlds
from leaps.karel.vector.backend import VectorBackend

_DR = np.array([-1, 0, 1, 0], dtype=np.int64)
_DC = np.array([0, 1, 0, -1], dtype=np.int64)


@nb.njit(cache=True, nogil=True, inline="always")
def _act(walls, markers, agent, a, crashed):
    """The engine's action rules: returns the marker change (-1, 0, +1) and
    whether a cell went from 1 to 2 markers (+1) or 2 to 1 (-1)."""
    r, c, d = agent[0], agent[1], agent[2]
    if a == 0:
        nr, nc = r + _DR[d], c + _DC[d]
        h, w = walls.shape
        if not crashed and 0 <= nr < h and 0 <= nc < w and not walls[nr, nc]:
            agent[0] = nr
            agent[1] = nc
        else:
            agent[2] = (d + 2) % 4
    elif a == 1:
        agent[2] = (d + 3) % 4
    elif a == 2:
        agent[2] = (d + 1) % 4
    elif a == 3:
        m = markers[r, c]
        if m > 0:
            markers[r, c] = m - 1
            return -1, -1 if m == 2 else 0
    else:
        m = markers[r, c]
        if m < engine.MAX_MARKERS:
            markers[r, c] = m + 1
            return 1, 1 if m == 1 else 0
    return 0, 0


@nb.njit(cache=True, nogil=True, inline="always")
def _draw_snake(markers, istate, shown):
    """Snake's picture: the body behind the head and the food (rollout.shown_markers)."""
    for r in range(shown.shape[0]):  # element loops: inlined into a step compiled without reference counting
        for c in range(shown.shape[1]):
            shown[r, c] = 0
    n = istate[1]
    for j in range(n - 1):
        shown[istate[snake.BODY + 2 * j], istate[snake.BODY + 2 * j + 1]] = 1
    if istate[2] >= 0:
        shown[istate[2], istate[3]] = 1


@nb.njit(cache=True, nogil=True, _nrt=False)
def _step(task, actions, active, walls, markers, shown, agents, params, istate, food, total, n_over1, calls,
          rewards, terminated):
    for i in range(actions.shape[0]):
        rewards[i] = 0.0
        terminated[i] = False
        if not active[i]:
            continue
        calls[i] += 1
        crashed = calls[i] > engine.MAX_CALLS
        d_total, d_over1 = _act(walls[i], markers[i], agents[i], actions[i], crashed)
        total[i] += d_total
        n_over1[i] += d_over1
        a = agents[i]
        term, rew = engine.task_reward(task, walls[i], markers[i], a[0], a[1], a[2], total[i], n_over1[i],
                                       params[i], istate[i], food[i])
        rewards[i] = rew
        terminated[i] = term or crashed
        if task == engine.SNAKE:
            _draw_snake(markers[i], istate[i], shown[i])


@nb.njit(cache=True)
def _start(task, indices, markers, shown, params, istate, total, n_over1, calls):
    for i in indices:
        istate[i, :] = 0
        engine.init_task(task, params[i], istate[i])
        t = 0
        over = 0
        for r in range(markers.shape[1]):
            for c in range(markers.shape[2]):
                t += markers[i, r, c]
                if markers[i, r, c] > 1:
                    over += 1
        total[i] = t
        n_over1[i] = over
        calls[i] = 0
        if task == engine.SNAKE:
            _draw_snake(markers[i], istate[i], shown[i])


class Carvalho2024VectorBackend(VectorBackend):
    """Episodes of one carvalho2024 task; truncated after the protocol's
    10,000 calls by default, as the registered single environments."""

    default_max_steps = engine.MAX_CALLS

    def __init__(self, task: str | TaskSpec, num_envs: int, **task_options: Any):
        given = sorted(k for k, v in task_options.items() if v is not None)
        if given:
            raise ValueError(f"protocol carvalho2024 has fixed worlds: its tasks take no {', '.join(given)}")
        self.task = task if isinstance(task, TaskSpec) else get_task(task)
        self.height, self.width = self.task.height, self.task.width
        super().__init__(num_envs)
        n = num_envs
        if self.task.task_id == engine.SNAKE:
            self.shown = np.zeros_like(self.markers)
        self.params = np.zeros((n, NUM_PARAMS), dtype=np.int64)
        self.istate = np.zeros((n, NUM_TASK_STATE), dtype=np.int64)
        self.food = np.zeros((n, snake.FOOD_DRAWS if self.task.task_id == engine.SNAKE else 1, 2), dtype=np.int64)
        self.total = np.zeros(n, dtype=np.int64)
        self.n_over1 = np.zeros(n, dtype=np.int64)
        self.calls = np.zeros(n, dtype=np.int64)

    def load(self, i: int, world: int | InitialWorld) -> None:
        """World ``i`` from a task seed (or a generated InitialWorld)."""
        if isinstance(world, (int, np.integer)):
            self._draw_seeds(np.array([i]), np.array([int(world)]))
            return
        self.walls[i] = world.walls
        self.markers[i] = world.markers
        self.agents[i] = world.agent
        self.params[i] = world.params
        self.food[i] = 0
        self.food[i, : len(world.food)] = world.food[: self.food.shape[1]]

    def load_many(self, indices: np.ndarray, worlds: Sequence[int | InitialWorld]) -> None:
        chosen = [worlds[i] for i in indices]
        if all(isinstance(w, (int, np.integer)) for w in chosen):
            self._draw_seeds(np.asarray(indices), np.array([int(w) for w in chosen], dtype=np.int64))
        else:
            super().load_many(indices, worlds)

    def draw(self, i: int, rng: np.random.Generator) -> dict[str, Any]:
        world_seed = int(rng.integers(MAX_WORLD_SEED))
        self._draw_seeds(np.array([i]), np.array([world_seed]))
        return {"world_seed": world_seed}

    def draw_many(self, indices: np.ndarray, rngs: Sequence[np.random.Generator]) -> dict[str, np.ndarray]:
        """A task seed from each slot's generator (as the single environment's
        reset draws it), then all their worlds in one compiled call."""
        seeds = np.array([rngs[i].integers(MAX_WORLD_SEED) for i in indices], dtype=np.int64)
        self._draw_seeds(np.asarray(indices), seeds)
        return {"world_seed": seeds}

    def _draw_seeds(self, indices: np.ndarray, seeds: np.ndarray) -> None:
        draw_worlds(self.task.task_id, seeds, indices, self.walls, self.markers, self.agents, self.params, self.food)

    def start(self, indices: np.ndarray) -> None:
        _start(self.task.task_id, np.asarray(indices, dtype=np.int64), self.markers, self.shown, self.params,
               self.istate, self.total, self.n_over1, self.calls)

    def step(self, actions: np.ndarray, active: np.ndarray, rewards: np.ndarray, terminated: np.ndarray) -> None:
        _step(self.task.task_id, actions, active, self.walls, self.markers, self.shown, self.agents, self.params,
              self.istate, self.food, self.total, self.n_over1, self.calls, rewards, terminated)

    def evaluation_worlds(self, evaluator: Any) -> list[int]:
        return list(evaluator.worlds.seeds)


def make_vector_env(task: str, num_envs: int, **options: Any) -> Any:
    """Gymnasium's vector entry point of this protocol's ids:
    ``gym.make_vec("leaps/Carvalho2024Harvester-v0", num_envs=256, obs="abstract")``."""
    from leaps.karel.vector.env import KarelVectorEnv

    return KarelVectorEnv(task, num_envs, protocol="carvalho2024", **options)
