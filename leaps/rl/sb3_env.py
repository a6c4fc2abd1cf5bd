"""The vectorised Karel environment as stable-baselines3 expects a VecEnv:
same-step autoreset with ``terminal_observation`` and ``TimeLimit.truncated``
in the infos (so PPO bootstraps truncated episodes), and each finished
episode's return and length under ``episode`` (what SB3's logs read).

Its state (worlds, episodes, generators) can be saved and restored, so a
training run resumes where its checkpoint left the environments."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
from stable_baselines3.common.vec_env import VecEnv

from leaps.karel.vector import KarelVectorEnv

_ENV_ARRAYS = ("_needs_reset", "_steps", "_last_actions")


class SB3KarelVecEnv(VecEnv):
    def __init__(self, env: KarelVectorEnv):
        if env.metadata["autoreset_mode"].value != "SameStep":
            raise ValueError("stable-baselines3 needs autoreset_mode='same_step'")
        self.env = env
        super().__init__(env.num_envs, env.single_observation_space, env.single_action_space)
        self.returns = np.zeros(env.num_envs, dtype=np.float64)
        self.lengths = np.zeros(env.num_envs, dtype=np.int64)
        self.episodes = 0
        self._actions: np.ndarray | None = None

    def reset(self) -> np.ndarray:
        seeds = self._seeds if any(s is not None for s in self._seeds) else None
        obs, _ = self.env.reset(seed=seeds)
        self._reset_seeds()
        self.returns[:] = 0
        self.lengths[:] = 0
        return obs

    def step_async(self, actions: np.ndarray) -> None:
        self._actions = actions

    def step_wait(self):
        obs, rewards, terminated, truncated, info = self.env.step(self._actions)
        self.returns += rewards
        self.lengths += 1
        dones = terminated | truncated
        infos: list[dict[str, Any]] = [{} for _ in range(self.num_envs)]
        for i in np.flatnonzero(dones):
            infos[i] = {"terminal_observation": info["final_obs"][i],
                        "TimeLimit.truncated": bool(truncated[i] and not terminated[i]),
                        "episode": {"r": float(self.returns[i]), "l": int(self.lengths[i])}}
            self.returns[i] = 0
            self.lengths[i] = 0
            self.episodes += 1
        return obs, rewards.astype(np.float32), dones, infos

    def close(self) -> None:
        self.env.close()

    def get_attr(self, attr_name: str, indices: Any = None) -> list[Any]:
        return [getattr(self.env, attr_name)] * len(self._get_indices(indices))

    def set_attr(self, attr_name: str, value: Any, indices: Any = None) -> None:
        setattr(self.env, attr_name, value)

    def env_method(self, method_name: str, *method_args: Any, indices: Any = None, **method_kwargs: Any) -> list:
        return [getattr(self.env, method_name)(*method_args, **method_kwargs)] * len(self._get_indices(indices))

    def env_is_wrapped(self, wrapper_class: type, indices: Any = None) -> list[bool]:
        return [False] * len(self._get_indices(indices))

    # ------------------------------------------------------------------
    def _arrays(self) -> dict[str, np.ndarray]:
        backend = self.env.backend
        arrays = {f"backend.{k}": v for k, v in vars(backend).items() if isinstance(v, np.ndarray)}
        arrays.update({f"env.{k}": getattr(self.env, k) for k in _ENV_ARRAYS})
        arrays.update(returns=self.returns, lengths=self.lengths)
        return arrays

    def save_state(self, path: Path) -> None:
        """The environments' state: arrays to ``path`` (.npz), generators and counters beside it (.json)."""
        tmp = path.with_name(path.name + ".tmp.npz")
        np.savez(tmp, **self._arrays())
        tmp.replace(path)
        meta = {"rngs": [g.bit_generator.state for g in self.env._rngs], "episodes": self.episodes}
        tmp_json = path.with_suffix(".json.tmp")
        tmp_json.write_text(json.dumps(meta))
        tmp_json.replace(path.with_suffix(".json"))

    def load_state(self, path: Path) -> np.ndarray:
        """Restore :meth:`save_state`'s state; returns the current observations."""
        with np.load(path, allow_pickle=False) as data:
            for key, target in self._arrays().items():
                target[...] = data[key]
        meta = json.loads(path.with_suffix(".json").read_text())
        self.env._rngs = [np.random.Generator(np.random.PCG64()) for _ in meta["rngs"]]
        for g, state in zip(self.env._rngs, meta["rngs"], strict=True):
            g.bit_generator.state = state
        self.episodes = int(meta["episodes"])
        return self.env._observe()
