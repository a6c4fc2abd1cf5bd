"""Stochastic hill climbing with restarts (``searcher=hill_climbing``; after
Carvalho, Tjhia & Lelis, ICLR 2024): from an individual of the space's
prior, evaluate ``neighbours`` random neighbours, move to the best one while
it improves, restart from a new individual when none does. In
``space=program`` neighbours are subtree mutations; in ``space=latent``,
perturbed latent vectors."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from leaps.search.evaluations import Evaluations
from leaps.search.methods import METHODS
from leaps.search.methods.base import SearchMethod, Step
from leaps.search.spaces.base import NEIGHBOURS, SAMPLES, SearchSpace


@METHODS.register
@dataclass
class HillClimbing(SearchMethod):
    name = "hill_climbing"
    needs = frozenset({SAMPLES, NEIGHBOURS})

    neighbours: int = 250  # neighbours evaluated per step

    def __post_init__(self) -> None:
        if self.neighbours < 1:
            raise ValueError(f"neighbours must be >= 1, got {self.neighbours}")

    def start(self, space: SearchSpace | None, seed: int) -> None:
        assert space is not None
        self.space = space
        self.rng = np.random.default_rng(seed)
        self.current: Any = None  # None: (re)start from the prior at the next step
        self.current_return = -np.inf

    def state(self) -> dict:
        current = None if self.current is None else self.space.to_json(self.current)
        return {"rng": self.rng.bit_generator.state, "current": current, "current_return": self.current_return}

    def load(self, state: dict) -> None:
        self.rng.bit_generator.state = state["rng"]
        self.current = None if state["current"] is None else self.space.from_json(state["current"])
        self.current_return = state["current_return"]

    def step(self, evaluate: Evaluations, iteration: int) -> Step | None:
        if self.current is None:
            self.current = self.space.sample(1, self.rng)[0]
            self.current_return = float(evaluate(self.space.decode([self.current])).mean_return[0])
        count = min(self.neighbours, evaluate.room)
        if count == 0:
            return None
        neighbours = self.space.neighbours(self.current, count, self.rng)
        result = evaluate(self.space.decode(neighbours))
        i = result.best()
        improved = bool(result.mean_return[i] > self.current_return)
        if improved:
            self.current, self.current_return = neighbours[i], float(result.mean_return[i])
        else:
            self.current = None
        return Step(result.mean_return, {"restart": not improved})
