"""``space=program``: programs themselves. Individuals are ASTs drawn from
the DSL's probabilistic grammar (KAREL_SPEC.md's prior, at most 45 tokens);
neighbours are subtree mutations."""

from __future__ import annotations

from typing import Any

import numpy as np

from leaps.karel import dsl
from leaps.karel.program_generator import ProgramGenerator
from leaps.search.evaluations import Programs
from leaps.search.spaces import SPACES
from leaps.search.spaces.base import NEIGHBOURS, SAMPLES, SearchSpace
from leaps.search.spaces.mutation import Mutator


@SPACES.register
class ProgramSpace(SearchSpace):
    name = "program"
    provides = frozenset({SAMPLES, NEIGHBOURS})

    def __init__(self, prior: ProgramGenerator | None = None):
        self.prior = prior or ProgramGenerator()
        self.mutator = Mutator(self.prior)

    @classmethod
    def from_config(cls, **settings: Any) -> ProgramSpace:
        if "model" in settings:
            raise ValueError("space=program uses no model: model=... applies to space=latent")
        if settings:
            raise ValueError(f"space=program has no settings {', '.join(sorted(settings))}")
        return cls()

    def sample(self, n: int, rng: np.random.Generator) -> list[dsl.Program]:
        return self.prior.sample_many(n, rng, unique=False)

    def neighbours(self, individual: dsl.Program, n: int, rng: np.random.Generator) -> list[dsl.Program]:
        return [self.mutator.mutate(individual, rng) for _ in range(n)]

    def decode(self, individuals: list[dsl.Program]) -> Programs:
        return Programs.from_texts([dsl.to_text(p) for p in individuals])  # text compiles faster than an AST

    def to_json(self, individual: dsl.Program) -> str:
        return dsl.to_text(individual)

    def from_json(self, data: str) -> dsl.Program:
        return dsl.parse(data)
