"""The carvalho2024 protocol as an :class:`EvaluationProtocol`: ten tasks
on the worlds of fixed task seeds (0..15 for a search, 16.. held out),
10,000 calls per episode, no other grid sizes."""

from __future__ import annotations

from typing import Any

import gymnasium as gym

from leaps.karel.protocols.base import EvaluationProtocol, EvaluationWorlds
from leaps.karel.protocols.carvalho2024.engine import MAX_CALLS
from leaps.karel.protocols.carvalho2024.evaluation import NUM_WORLDS, Evaluator
from leaps.karel.protocols.carvalho2024.gym_env import env_id
from leaps.karel.protocols.carvalho2024.registry import TASK_NAMES, get_task


def world_seeds(worlds: EvaluationWorlds, default_test_count: int) -> range:
    """Task seeds 0..n-1 for a search (whatever its seed, as the reference),
    the next ones (16, 17, ...) held out."""
    if worlds.held_out:
        return range(NUM_WORLDS, NUM_WORLDS + (worlds.count or default_test_count))
    return range(worlds.count or NUM_WORLDS)


PUBLISHED_HC = {"HC (paper)": ("hill_climbing [first_improvement]", {"doorkey": 0.84})}
"""What we could confirm of Carvalho et al.'s Table 1 (hill climbing, 10^6
evaluations, 32 seeds): DoorKey 0.84, as its public review quotes it."""


class Carvalho2024Protocol(EvaluationProtocol):
    name = "carvalho2024"
    summary = ("carvalho2024 protocol (Carvalho et al., ICLR 2024; 10,000 calls per episode, crash penalties): "
               "mean returns on the task's worlds of seeds 0..15, up to 1, down to -1")
    search_worlds = NUM_WORLDS
    call_budget = MAX_CALLS
    call_budget_fixed = True
    published_baselines = PUBLISHED_HC

    def task_names(self) -> tuple[str, ...]:
        return TASK_NAMES

    def evaluator(self, task: str, call_budget: int | None = None, worlds: EvaluationWorlds | None = None,
                  **task_options: Any) -> Evaluator:
        if call_budget is not None:
            raise ValueError(f"protocol {self.name} has a fixed call budget of {MAX_CALLS:,} calls per episode")
        given = sorted(k for k, v in task_options.items() if v is not None)
        if given:
            raise ValueError(f"protocol {self.name} has fixed worlds: its tasks take no {', '.join(given)}")
        if worlds is not None and (worlds.draw or worlds.reset):
            raise ValueError(f"protocol {self.name} has fixed worlds: a search cannot redraw them")
        try:
            spec = get_task(task)
        except KeyError as err:
            raise ValueError(err.args[0]) from None
        return Evaluator(spec, seeds=world_seeds(worlds or EvaluationWorlds(), self.test_worlds))

    def vector_backend(self, task: str, num_envs: int, **task_options: Any) -> Any:
        # the compiled kernels are imported on first use
        from leaps.karel.protocols.carvalho2024.vector import Carvalho2024VectorBackend

        return Carvalho2024VectorBackend(task, num_envs, **task_options)

    def gym_ids(self) -> dict[str, str]:
        return {name: env_id(name) for name in TASK_NAMES}

    def register_gym_envs(self) -> None:
        for name, gym_id in self.gym_ids().items():
            if gym_id not in gym.registry:
                gym.register(id=gym_id, entry_point="leaps.karel.protocols.carvalho2024.gym_env:Carvalho2024TaskEnv",
                             kwargs={"task": name},
                             vector_entry_point="leaps.karel.protocols.carvalho2024.vector:make_vector_env",
                             max_episode_steps=MAX_CALLS)
