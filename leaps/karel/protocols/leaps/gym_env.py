"""A Gymnasium environment per LEAPS task (``leaps/Harvester-v0``, ...;
registered by ``import leaps.karel.gym_envs``).

Observations are the (H, W, 16) state; actions are the five Karel actions
(lenient mode). The step reward is the change of the task's reward, so an
episode's return equals the LEAPS return of the same action sequence. An
episode ends when the task's reward reaches its maximum (terminated) or
after ``max_episode_steps`` actions (truncated; default: the task's call
budget).
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from leaps.karel.dsl import ACTIONS
from leaps.karel.protocols.leaps.registry import get_task
from leaps.karel.protocols.leaps.tasks.base import Task
from leaps.karel.rendering import render_world
from leaps.karel.world import NUM_STATE_CHANNELS, World, WorldBatch


def env_id(task: Task) -> str:
    return f"leaps/{type(task).__name__}-v0"


class KarelTaskEnv(gym.Env):
    metadata = {"render_modes": ["rgb_array", "ansi"], "render_fps": 8}

    def __init__(self, task: str | Task = "harvester", render_mode: str | None = None, **task_kwargs: Any):
        self.task = get_task(task, **task_kwargs) if isinstance(task, str) else task
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(f"render_mode must be one of {self.metadata['render_modes']}, got {render_mode!r}")
        self.render_mode = render_mode
        h, w = self.task.height, self.task.width
        self.observation_space = spaces.Box(0, 1, shape=(h, w, NUM_STATE_CHANNELS), dtype=np.uint8)
        self.action_space = spaces.Discrete(len(ACTIONS))
        self._initial: World | None = None
        self._world: World | None = None
        self._actions: list[int] = []
        self._last_reward = 0.0

    def _observation(self) -> np.ndarray:
        assert self._world is not None
        return self._world.to_state().astype(np.uint8)

    def _task_reward(self) -> float:
        """The task's reward after the actions so far (the LEAPS return)."""
        assert self._initial is not None and self._world is not None
        batch = WorldBatch.stack([self._initial])
        actions = np.array([self._actions + [0]], dtype=np.int8)
        stats = self.task.episode_stats(
            batch, np.zeros(1, dtype=np.int64), self._world.markers[None].copy(), self._world.agent[None].copy(),
            actions, np.array([len(self._actions)], dtype=np.int64),
        )
        return float(self.task.rewards(stats)[0])

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        self._initial = self.task.sample_world(self.np_random)
        self._world = self._initial.copy()
        self._actions = []
        self._last_reward = 0.0
        return self._observation(), {}

    def step(self, action):
        if self._world is None:
            raise RuntimeError("call reset() before step()")
        action = int(action)
        if not self.action_space.contains(action):
            raise ValueError(f"action must be in 0..{len(ACTIONS) - 1}, got {action}")
        self._world.act(action)
        self._actions.append(action)
        reward = self._task_reward()
        step_reward, self._last_reward = reward - self._last_reward, reward
        terminated = reward >= self.task.max_return
        return self._observation(), step_reward, terminated, False, {"task_reward": reward}

    def render(self):
        if self._world is None or self.render_mode is None:
            return None
        if self.render_mode == "ansi":
            return str(self._world)
        return np.asarray(render_world(self._world))
