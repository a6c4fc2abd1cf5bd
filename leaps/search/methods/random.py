"""Random search (``searcher=random``): individuals of the space's prior,
evaluated in batches of ``batch_size`` (DSL programs in ``space=program``,
decoded latent samples in ``space=latent``)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from leaps.search.evaluations import Evaluations
from leaps.search.methods import METHODS
from leaps.search.methods.base import SearchMethod, Step, check_counts
from leaps.search.spaces.base import SAMPLES, SearchSpace


@METHODS.register
@dataclass
class RandomSearch(SearchMethod):
    name = "random"
    needs = frozenset({SAMPLES})

    batch_size: int = 256

    def __post_init__(self) -> None:
        check_counts(batch_size=self.batch_size)

    def start(self, space: SearchSpace | None, seed: int) -> None:
        assert space is not None
        self.space = space
        self.rng = np.random.default_rng(seed)

    def state(self) -> dict:
        return {"rng": self.rng.bit_generator.state}

    def load(self, state: dict) -> None:
        self.rng.bit_generator.state = state["rng"]

    def step(self, evaluate: Evaluations, iteration: int) -> Step:
        individuals = self.space.sample(min(self.batch_size, evaluate.room), self.rng)
        return Step(evaluate(self.space.decode(individuals)).mean_return)
