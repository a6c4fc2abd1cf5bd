"""The LEAPS protocol as an :class:`EvaluationProtocol`: the six tasks,
worlds drawn at random from the search seed, any grid size, a call budget
per task (220 by default)."""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np

from leaps.karel.interpreter import DEFAULT_BUDGET
from leaps.karel.protocols.base import EvaluationProtocol, EvaluationWorlds
from leaps.karel.protocols.leaps.evaluation import DEFAULT_NUM_WORLDS, TaskEvaluator
from leaps.karel.protocols.leaps.gym_env import env_id
from leaps.karel.protocols.leaps.registry import TASKS, get_task, task_names

TEST_WORLDS_STREAM = 0x7E57
"""Spawn key of the generator that draws held-out worlds: with it the
stream differs from ``default_rng(seed)``, which draws a search's worlds,
for every search seed."""
REDRAW_STREAM = 0x4EDA
"""Spawn key of the generators of a search's redrawn worlds (``draw`` k: spawn key (REDRAW_STREAM, k))."""
PUBLISHED_RETURNS = {
    "stairclimber": 1.00,
    "fourcorner": 0.45,
    "topoff": 0.81,
    "maze": 1.00,
    "cleanhouse": 0.18,
    "harvester": 0.45,
}
"""Mean return over 5 seeds reported by LEAPS (NeurIPS 2021), in its table's order."""
PUBLISHED_DRL = {
    "DRL (paper)": ("ppo (grid)", {"stairclimber": 1.00, "fourcorner": 0.29, "topoff": 0.32, "maze": 1.00,
                                   "cleanhouse": 0.00, "harvester": 0.90}),
    "DRL-abs (paper)": ("ppo (abstract)", {"stairclimber": 0.13, "fourcorner": 0.36, "topoff": 0.63, "maze": 1.00,
                                           "cleanhouse": 0.01, "harvester": 0.32}),
}
"""The LEAPS paper's deep-RL rows (PPO on the grid state, DRL, and on the
abstract state, DRL-abs), shown beside ``rl.py``'s runs."""


def world_generator(worlds: EvaluationWorlds) -> np.random.Generator:
    """Search worlds come from ``default_rng(seed)``, held-out ones from the
    same seed with the TEST_WORLDS_STREAM spawn key, redrawn ones with
    (REDRAW_STREAM, draw)."""
    if worlds.held_out:
        return np.random.default_rng(np.random.SeedSequence(worlds.seed, spawn_key=(TEST_WORLDS_STREAM,)))
    if worlds.draw:
        return np.random.default_rng(np.random.SeedSequence(worlds.seed, spawn_key=(REDRAW_STREAM, worlds.draw)))
    return np.random.default_rng(worlds.seed)


class LeapsProtocol(EvaluationProtocol):
    name = "leaps"
    summary = ("LEAPS protocol (KAREL_SPEC.md): returns 0..1 after the program's last action, on random worlds "
               "drawn from the search seed (10 by default)")
    search_worlds = DEFAULT_NUM_WORLDS
    call_budget = DEFAULT_BUDGET
    redraws_worlds = True
    reference_returns = PUBLISHED_RETURNS
    published_baselines = PUBLISHED_DRL

    def task_names(self) -> tuple[str, ...]:
        return task_names()

    def grid_sizes(self, task: str) -> bool:
        return not TASKS.get(task).fixed_size

    def evaluator(self, task: str, call_budget: int | None = None, worlds: EvaluationWorlds | None = None,
                  **task_options: Any) -> TaskEvaluator:
        worlds = worlds or EvaluationWorlds()
        count = worlds.count or (self.test_worlds if worlds.held_out else self.search_worlds)
        bound = get_task(task, call_budget=call_budget, **task_options)
        if worlds.reset:  # drawn as the reference's environment reset draws them
            bound = bound.reset_variant()
        return TaskEvaluator(bound, worlds=bound.initial_worlds(count, world_generator(worlds)))

    def vector_backend(self, task: str, num_envs: int, **task_options: Any) -> Any:
        # the compiled kernels are imported on first use
        from leaps.karel.protocols.leaps.vector import LeapsVectorBackend

        return LeapsVectorBackend(task, num_envs, **task_options)

    def gym_ids(self) -> dict[str, str]:
        return {name: env_id(get_task(name)) for name in task_names()}

    def register_gym_envs(self) -> None:
        for name, gym_id in self.gym_ids().items():
            if gym_id not in gym.registry:
                gym.register(id=gym_id, entry_point="leaps.karel.protocols.leaps.gym_env:KarelTaskEnv",
                             kwargs={"task": name},
                             vector_entry_point="leaps.karel.protocols.leaps.vector:make_vector_env",
                             max_episode_steps=get_task(name).call_budget)
