"""A Gymnasium environment per task of this protocol
(``leaps/Carvalho2024Harvester-v0``, ...; registered by ``import
leaps.karel.gym_envs``).

Observations are the (H, W, 16) state of the shown world (see rollout.py:
Snake's body and food, DoorKey's door, OneStroke's trail); actions are the
five Karel actions. Every step replays the actions so far through the
protocol's engine, so rewards (crash penalties included), termination and
the episode's return are exactly the protocol's for that action sequence.
An episode is truncated after the protocol's 10,000 calls (actions).
``reset(options={"world_seed": i})`` gives the evaluation's world i;
otherwise the world's seed is drawn from the environment's generator.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from leaps.karel.dsl import ACTIONS
from leaps.karel.protocols.carvalho2024 import engine
from leaps.karel.protocols.carvalho2024.evaluation import WorldSet
from leaps.karel.protocols.carvalho2024.registry import TaskSpec, get_task
from leaps.karel.protocols.carvalho2024.rollout import replay_actions
from leaps.karel.rendering import render_world
from leaps.karel.world import NUM_STATE_CHANNELS, World

MAX_WORLD_SEED = 2**32 - 1
"""numpy's legacy RandomState takes seeds below 2**32."""


def env_id(task: str) -> str:
    return f"leaps/Carvalho2024{get_task(task).title}-v0"


class Carvalho2024TaskEnv(gym.Env):
    metadata = {"render_modes": ["rgb_array", "ansi"], "render_fps": 8}

    def __init__(self, task: str | TaskSpec = "harvester", render_mode: str | None = None):
        self.task = task if isinstance(task, TaskSpec) else get_task(task)
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(f"render_mode must be one of {self.metadata['render_modes']}, got {render_mode!r}")
        self.render_mode = render_mode
        self.observation_space = spaces.Box(0, 1, shape=(self.task.height, self.task.width, NUM_STATE_CHANNELS),
                                            dtype=np.uint8)
        self.action_space = spaces.Discrete(len(ACTIONS))
        self._worlds: WorldSet | None = None
        self._world: World | None = None
        self._actions: list[int] = []
        self._return = 0.0

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        world_seed = (options or {}).get("world_seed")
        if world_seed is None:
            world_seed = int(self.np_random.integers(MAX_WORLD_SEED))
        world_seed = int(world_seed)
        self._worlds = WorldSet.from_worlds(self.task, [world_seed], [self.task.generate(world_seed)])
        self._actions = []
        self._return = 0.0
        self._world = replay_actions([], self._worlds).frames[-1]
        return self._observation(), {"world_seed": world_seed}

    def _observation(self) -> np.ndarray:
        assert self._world is not None
        return self._world.to_state().astype(np.uint8)

    def step(self, action):
        if self._worlds is None:
            raise RuntimeError("call reset() before step()")
        action = int(action)
        if not self.action_space.contains(action):
            raise ValueError(f"action must be in 0..{len(ACTIONS) - 1}, got {action}")
        self._actions.append(action)
        episode = replay_actions(self._actions, self._worlds)
        self._world = episode.frames[-1]
        reward, self._return = episode.episode_return - self._return, episode.episode_return
        terminated = episode.end_reason in (engine.END_TERMINATED, engine.END_BUDGET)
        info: dict[str, Any] = {"episode_return": episode.episode_return, "end": episode.end_name}
        return self._observation(), reward, terminated, False, info

    def render(self):
        if self._world is None or self.render_mode is None:
            return None
        if self.render_mode == "ansi":
            return str(self._world)
        return np.asarray(render_world(self._world))
