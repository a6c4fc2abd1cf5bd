"""The LEAPS successors' cross-entropy method (``searcher=latent_cem``):
Carvalho, Tjhia & Lelis (ICLR 2024) re-ran LEAPS's CEM with their own loop
(``LatentCEM`` in lelis-research/prog_policies, the "CEM" column of their
table, run by ``LatentCEM_LEAPS_Original`` with the settings of their
``sample_args/paper/CEM/``). It is a different algorithm from the LEAPS
reference that ``searcher=cem`` reproduces:

- the first population is ``population_size`` draws of N(0, I) (no mean);
- every latent is decoded greedily and evaluated in order; the search stops
  at the first program that reaches the task's maximum, counting only the
  programs evaluated up to it;
- the ``int(population_size * elitism_rate)`` best latents are the elites
  (their mean, with ``reduce_to_mean``); the next population draws
  ``population_size`` of them uniformly with replacement and adds
  ``sigma * N(0, I)`` to each;
- with ``exp_decay`` sigma shrinks by 0.998 per iteration down to 0.1;
- with ``restart_after`` (their ``restart_timeout``; null: never) the search
  starts afresh (new population, initial sigma) once the elites' mean return
  has not beaten its best since the last restart for that many iterations;
- there is no iteration limit: the evaluation budget ends the search.

Their CEBS (``searcher=cebs``) is this loop with other settings."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from leaps.search.evaluations import Evaluations
from leaps.search.methods import METHODS
from leaps.search.methods.base import SearchMethod, Step, check_counts, check_positive
from leaps.search.spaces.base import VECTORS, SearchSpace, VectorSpace

SIGMA_DECAY = 0.998
"""Their ``exp_decay``: sigma's factor per iteration..."""
MIN_SIGMA = 0.1
"""...and the floor it stops at."""


@METHODS.register
@dataclass
class LatentCEM(SearchMethod):
    name = "latent_cem"
    needs = frozenset({VECTORS})

    population_size: int = 32
    elitism_rate: float = 0.1
    sigma: float = 0.25
    reduce_to_mean: bool = True
    exp_decay: bool = False
    restart_after: int | None = None

    def __post_init__(self) -> None:
        check_counts(population_size=self.population_size, restart_after=self.restart_after)
        check_positive(sigma=self.sigma)
        if not 0 < self.elitism_rate <= 1 or self.n_elite < 1:
            raise ValueError(f"elitism_rate must leave at least one elite of population_size "
                             f"{self.population_size} (int(population_size * elitism_rate) >= 1), got "
                             f"{self.elitism_rate}")

    @property
    def n_elite(self) -> int:
        return int(self.population_size * self.elitism_rate)  # their floor, not a rounding

    def step_evaluations(self) -> int:
        return 1  # a population cut short by the budget is evaluated in part, as theirs

    def start(self, space: SearchSpace | None, seed: int) -> None:
        assert isinstance(space, VectorSpace)
        self.space = space
        self.generator = torch.Generator().manual_seed(seed)
        self.restarts = 0
        self._last_elite_mean = float("nan")  # of the latest full population, for the logs
        self._fresh_start()

    def _fresh_start(self) -> None:
        self.current_sigma = self.sigma
        self.stall = 0  # iterations whose elites did not beat best_elite_mean
        self.best_elite_mean = -np.inf  # since the last restart
        self.population = torch.randn(self.population_size, self.space.dim, generator=self.generator)

    def state(self) -> dict:
        return {"generator": self.generator.get_state().tolist(), "population": self.population.tolist(),
                "sigma": self.current_sigma, "stall": self.stall, "best_elite_mean": self.best_elite_mean,
                "restarts": self.restarts, "last_elite_mean": self._last_elite_mean}

    def load(self, state: dict) -> None:
        self.generator.set_state(torch.tensor(state["generator"], dtype=torch.uint8))
        self.population = torch.tensor(state["population"], dtype=torch.float32)
        self.current_sigma, self.stall = state["sigma"], state["stall"]
        self.best_elite_mean, self.restarts = state["best_elite_mean"], state["restarts"]
        self._last_elite_mean = state["last_elite_mean"]

    def step(self, evaluate: Evaluations, iteration: int) -> Step:
        sigma = self.current_sigma
        population = self.population[: evaluate.room]
        programs = self.space.decode_vectors(population, greedy=True)
        returns = evaluate.until_solved(programs).mean_return
        restarted = False
        if not evaluate.solved() and len(returns) == self.population_size:
            restarted = self._next_population(population, returns)
        if self.exp_decay:
            self.current_sigma = max(self.current_sigma * SIGMA_DECAY, MIN_SIGMA)
        return Step(returns, {"sigma": sigma, "elite_mean_return": self._last_elite_mean, "restart": restarted,
                              "restarts": self.restarts})

    def _next_population(self, population: torch.Tensor, returns: np.ndarray) -> bool:
        """The next population from this one's elites; True if the search restarted instead."""
        order = np.argsort(-returns, kind="stable")  # best first; ties: the earlier latent
        elites = population[torch.from_numpy(order[: self.n_elite].copy())]
        self._last_elite_mean = float(returns[order[: self.n_elite]].mean())
        if self._last_elite_mean <= self.best_elite_mean:
            self.stall += 1
        else:
            self.stall, self.best_elite_mean = 0, self._last_elite_mean
        if self.restart_after is not None and self.stall >= self.restart_after:
            self.restarts += 1
            self._fresh_start()
            return True
        picks = torch.randint(self.n_elite, (self.population_size,), generator=self.generator)
        if self.reduce_to_mean:
            elites = elites.mean(dim=0, keepdim=True).expand(self.n_elite, -1)
        noise = torch.randn(self.population_size, self.space.dim, generator=self.generator)
        self.population = elites[picks] + self.current_sigma * noise
        return False
