"""The agents ``rl.py agent=...`` trains, by name (``conf/agent/<name>.yaml``
holds each one's hyperparameters): the one list of agent names."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from leaps.rl.policies import KarelCNN

AGENTS = ("ppo",)


def check_agent(name: str) -> str:
    if name not in AGENTS:
        raise ValueError(f"unknown agent {name!r}; use one of {', '.join(AGENTS)}")
    return name


def _linear_decay(initial: float) -> Callable[[float], float]:
    return lambda progress_remaining: progress_remaining * initial


def make_ppo(cfg: Any, env: Any, obs_kind: str, seed: int) -> Any:
    """SB3's PPO with ``cfg`` (conf/agent/ppo.yaml): a CNN on the grid
    observation, an MLP on the abstract one."""
    from stable_baselines3 import PPO

    if obs_kind == "grid":
        policy_kwargs: dict[str, Any] = dict(features_extractor_class=KarelCNN,
                                             features_extractor_kwargs=dict(cfg.cnn), net_arch=list(cfg.head))
    else:
        policy_kwargs = dict(net_arch=list(cfg.mlp))
    policy_kwargs.update(activation_fn=nn.ReLU, optimizer_class=torch.optim.Adam,
                         optimizer_kwargs=dict(eps=float(cfg.adam_eps)))
    lr = float(cfg.learning_rate)
    return PPO("MlpPolicy", env, learning_rate=_linear_decay(lr) if cfg.linear_lr_decay else lr,
               n_steps=int(cfg.n_steps), batch_size=int(cfg.batch_size), n_epochs=int(cfg.n_epochs),
               gamma=float(cfg.gamma), gae_lambda=float(cfg.gae_lambda), clip_range=float(cfg.clip_range),
               ent_coef=float(cfg.ent_coef), vf_coef=float(cfg.vf_coef), max_grad_norm=float(cfg.max_grad_norm),
               policy_kwargs=policy_kwargs, seed=seed, device="cpu", verbose=0)


def make_agent(cfg: Any, env: Any, obs_kind: str, seed: int) -> Any:
    builders = {"ppo": make_ppo}
    return builders[check_agent(str(cfg.name))](cfg, env, obs_kind, seed)


def load_agent(name: str, path: str, env: Any) -> Any:
    """An agent saved by :func:`make_agent`'s model (``model.save``), bound to ``env``."""
    from stable_baselines3 import PPO

    classes = {"ppo": PPO}
    return classes[check_agent(name)].load(path, env=env, device="cpu")
