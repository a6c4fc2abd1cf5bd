"""A Gymnasium ``VectorEnv`` that steps N Karel episodes of one task per
call in compiled code, for training neural policies (leaps.rl): the same
worlds, rewards and termination as the single environments of
``leaps.karel.gym_envs`` (tests/karel/test_vector_env.py checks it action by
action), at hundreds of thousands of steps per second instead of thousands.

    from leaps.karel.vector import KarelVectorEnv
    env = KarelVectorEnv("harvester", num_envs=256, protocol="leaps", obs="grid")
    obs, info = env.reset(seed=0)                   # env i's worlds come from seed + i, as SyncVectorEnv
    obs, rewards, terminated, truncated, info = env.step(env.action_space.sample())

Autoreset follows Gymnasium's modes: ``next_step`` (the default, as
SyncVectorEnv: the call after an episode ends resets that env, reward 0) or
``same_step`` (the ending call already returns the next episode's first
observation; the last one is in ``info["final_obs"]``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from gymnasium import spaces
from gymnasium.utils import seeding
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space

from leaps.karel import protocols
from leaps.karel.vector.backend import VectorBackend
from leaps.karel.vector.observations import (
    NO_ACTION,
    NUM_ACTIONS,
    check_observation,
    observation_space,
    write_abstract,
    write_grid,
)

AUTORESET_MODES = {"next_step": AutoresetMode.NEXT_STEP, "same_step": AutoresetMode.SAME_STEP}


class KarelVectorEnv(VectorEnv):
    """``num_envs`` episodes of ``task`` under ``protocol`` (``task_options``:
    the protocol's task settings, e.g. height/width/call_budget under
    leaps). ``max_episode_steps``: actions before truncation (None: the
    single environment's). ``copy``: return fresh observation arrays (False
    reuses one buffer, overwritten by the next call)."""

    def __init__(self, task: str = "harvester", num_envs: int = 1, protocol: str = protocols.DEFAULT,
                 obs: str = "grid", last_action: bool = False, max_episode_steps: int | None = None,
                 autoreset_mode: str = "next_step", copy: bool = True, **task_options: Any):
        if int(num_envs) < 1:
            raise ValueError(f"num_envs must be >= 1, got {num_envs}")
        if autoreset_mode not in AUTORESET_MODES:
            raise ValueError(f"autoreset_mode must be one of {', '.join(AUTORESET_MODES)}, got {autoreset_mode!r}")
        self.obs_kind = check_observation(obs)
        self.last_action = bool(last_action)
        self.protocol = protocols.get(protocol)
        self.backend: VectorBackend = self.protocol.vector_backend(task, int(num_envs), **task_options)
        self.num_envs = int(num_envs)
        self.max_episode_steps = int(max_episode_steps or self.backend.default_max_steps)
        if self.max_episode_steps < 1:
            raise ValueError(f"max_episode_steps must be >= 1, got {max_episode_steps}")
        self.copy = copy
        self.metadata = {"autoreset_mode": AUTORESET_MODES[autoreset_mode], "render_modes": []}
        self.single_observation_space = observation_space(obs, self.backend.height, self.backend.width, last_action)
        self.single_action_space = spaces.Discrete(NUM_ACTIONS)
        self.observation_space = batch_space(self.single_observation_space, self.num_envs)
        self.action_space = batch_space(self.single_action_space, self.num_envs)
        n = self.num_envs
        self._obs = np.zeros((n, *self.single_observation_space.shape), dtype=np.uint8)
        self._rewards = np.zeros(n, dtype=np.float64)
        self._terminated = np.zeros(n, dtype=np.bool_)
        self._truncated = np.zeros(n, dtype=np.bool_)
        self._needs_reset = np.zeros(n, dtype=np.bool_)
        self._steps = np.zeros(n, dtype=np.int64)
        self._last_actions = np.full(n, NO_ACTION, dtype=np.int64)
        self._all = np.ones(n, dtype=np.bool_)
        self._rngs: list[np.random.Generator] = []
        self._fixed: list[Any] | None = None

    @property
    def task(self) -> Any:
        return self.backend.task

    # ------------------------------------------------------------------
    def _seed(self, seed: int | Sequence[int] | None) -> None:
        if seed is None and self._rngs:
            return
        if seed is None or isinstance(seed, (int, np.integer)):
            seeds = [None if seed is None else int(seed) + i for i in range(self.num_envs)]
        else:
            seeds = [int(s) for s in seed]
            if len(seeds) != self.num_envs:
                raise ValueError(f"got {len(seeds)} seeds for {self.num_envs} environments")
        self._rngs = [seeding.np_random(s)[0] for s in seeds]

    def _begin(self, indices: np.ndarray) -> dict[str, Any]:
        """New episodes in the slots ``indices``: the given worlds (reset with
        ``options={"worlds": ...}``) or fresh random ones, all slots in one
        backend call (resets come on most steps, so no Python work per slot
        here)."""
        out: dict[str, Any] = {}
        if self._fixed is not None:
            self.backend.load_many(indices, self._fixed)
        else:
            infos = self.backend.draw_many(indices, self._rngs)
            if infos:
                mask = np.zeros(self.num_envs, dtype=np.bool_)
                mask[indices] = True
                for key, values in infos.items():
                    out[key] = np.zeros(self.num_envs, dtype=np.int64)
                    out[key][indices] = values
                    out["_" + key] = mask.copy()
        self.backend.start(indices)
        self._steps[indices] = 0
        self._last_actions[indices] = NO_ACTION
        return out

    def _observe(self) -> np.ndarray:
        b = self.backend
        if self.obs_kind == "grid":
            write_grid(b.walls, b.shown, b.agents, self._obs)
        else:
            write_abstract(b.walls, b.markers, b.agents, self._last_actions, self._obs)
        return self._obs.copy() if self.copy else self._obs

    def reset(self, *, seed: int | Sequence[int] | None = None, options: dict | None = None):
        """All episodes anew. ``options={"worlds": [...]}`` gives env i the
        i-th world (the protocol's kind: a World under leaps, a task seed under
        carvalho2024) for this and every later episode, e.g. the worlds a
        search is scored on (``backend.evaluation_worlds(evaluator)``)."""
        self._seed(seed)
        worlds = (options or {}).get("worlds")
        if worlds is not None:
            worlds = list(worlds)
            if len(worlds) != self.num_envs:
                raise ValueError(f"got {len(worlds)} worlds for {self.num_envs} environments")
        self._fixed = worlds
        self._needs_reset[:] = False
        info = self._begin(np.arange(self.num_envs))
        return self._observe(), info

    def step(self, actions):
        actions = np.asarray(actions, dtype=np.int64).reshape(self.num_envs)
        if actions.min(initial=0) < 0 or actions.max(initial=0) >= NUM_ACTIONS:
            raise ValueError(f"actions must be in 0..{NUM_ACTIONS - 1}")
        if not self._rngs and self._fixed is None:
            raise RuntimeError("call reset() before step()")
        same_step = self.metadata["autoreset_mode"] == AutoresetMode.SAME_STEP
        info: dict[str, Any] = {}
        resetting = np.flatnonzero(self._needs_reset)
        active = ~self._needs_reset if len(resetting) else self._all
        if len(resetting):
            info.update(self._begin(resetting))
        self.backend.step(actions, active, self._rewards, self._terminated)
        self._steps[active] += 1
        self._last_actions[active] = actions[active]
        np.greater_equal(self._steps, self.max_episode_steps, out=self._truncated)
        self._truncated &= active
        done = self._terminated | self._truncated
        self._needs_reset[:] = done
        if same_step and done.any():
            ended = np.flatnonzero(done)
            final = self._observe() if self.copy else self._observe().copy()
            info["final_obs"] = np.empty(self.num_envs, dtype=object)
            for i in ended:
                info["final_obs"][i] = final[i]
            info["_final_obs"] = done.copy()
            info.update(self._begin(ended))
            self._needs_reset[:] = False
        obs = self._observe()
        return obs, self._rewards.copy(), self._terminated.copy(), self._truncated.copy(), info

    def close_extras(self, **kwargs: Any) -> None:
        pass
