"""A trained policy scored as the searchers' programs are: its mean return
over the protocol's worlds (the search worlds of the seed, the held-out test
worlds, larger grids), one episode per world, the episode ending where the
single environment's would (the task's maximum reached, a crash, or the
call budget spent as actions)."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from leaps.karel import protocols
from leaps.karel.protocols.base import EvaluationWorlds
from leaps.karel.vector import KarelVectorEnv


def policy_actions(policy: Any, obs: np.ndarray, deterministic: bool) -> np.ndarray:
    """Actions of an SB3 policy for a batch of observations of any grid size
    (``policy.predict`` would refuse a grid other than the training one)."""
    with torch.no_grad():
        distribution = policy.get_distribution(torch.as_tensor(obs))
        return distribution.get_actions(deterministic=deterministic).cpu().numpy()


def episode_returns(policy: Any, env: KarelVectorEnv, worlds: list[Any], deterministic: bool = True) -> np.ndarray:
    """Each world's first episode's return under ``policy`` (``env`` has one slot per world)."""
    obs, _ = env.reset(seed=0, options={"worlds": worlds})
    returns = np.zeros(env.num_envs)
    running = np.ones(env.num_envs, dtype=bool)
    policy.set_training_mode(False)
    while running.any():
        obs, rewards, terminated, truncated, _ = env.step(policy_actions(policy, obs, deterministic))
        returns += np.where(running, rewards, 0.0)
        running &= ~(terminated | truncated)
    return returns


def evaluate_policy(policy: Any, protocol: str, task: str, obs: str, last_action: bool, worlds: EvaluationWorlds,
                    call_budget: int | None = None, deterministic: bool = True, **task_options: Any) -> float:
    """Mean return on the protocol's ``worlds`` of ``task`` (``call_budget``:
    actions per episode, None the task's own)."""
    spec = protocols.get(protocol)
    evaluator = spec.evaluator(task, call_budget, worlds, **task_options)
    options = {k: v for k, v in task_options.items() if v is not None}
    if call_budget is not None:
        options["call_budget"] = call_budget
    env = KarelVectorEnv(task, 1, protocol=protocol, obs=obs, last_action=last_action, **options)
    chosen = env.backend.evaluation_worlds(evaluator)
    env = KarelVectorEnv(task, len(chosen), protocol=protocol, obs=obs, last_action=last_action, **options)
    return float(episode_returns(policy, env, chosen, deterministic).mean())
