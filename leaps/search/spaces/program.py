"""``space=program``: programs themselves, as token id arrays (mutated in
compiled code, evaluated without text round trips), under one of two grammars:

- ``leaps`` (the default): samples of the DSL's probabilistic grammar
  (KAREL_SPEC.md's prior, at most 45 tokens); neighbours are subtree
  mutations (leaps.search.spaces.mutation; compiled as
  leaps.search.spaces.leaps_grammar, draw for draw the same programs).
- ``carvalho2024``: the grammar of Carvalho et al. (depth <= 4, at most 6
  statements in a row); neighbours re-draw one AST node
  (leaps.search.spaces.carvalho_grammar), as their hill climbing, which
  ``searcher=hill_climbing searcher.variant=first_improvement`` climbs in.

Individuals are 1-d id arrays; a batch of neighbours is a TokenBatch.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from leaps.karel.program_generator import ProgramGenerator
from leaps.search.evaluations import Programs
from leaps.search.spaces import SPACES, carvalho_grammar
from leaps.search.spaces.base import NEIGHBOURS, SAMPLES, SearchSpace
from leaps.search.spaces.leaps_grammar import LeapsGrammar
from leaps.search.spaces.tokens import LazyTexts, TokenBatch, ids_to_text, text_to_ids

GRAMMARS = ("leaps", "carvalho2024")
SWEEPS_SEQUENCE_DEPTH = 1
"""The LEAPS prior's ``sequence_depth`` in this space unless ``space.sequence_depth`` says otherwise: 1, the
prior every program-space sweep in results/ was made with; the reference's (and the dataset's) is 2
(:data:`leaps.karel.program_generator.SEQUENCE_DEPTH`)."""


@SPACES.register
class ProgramSpace(SearchSpace):
    name = "program"
    provides = frozenset({SAMPLES, NEIGHBOURS})
    always_valid = True

    def __init__(self, prior: ProgramGenerator | None = None, grammar: str = "leaps"):
        if grammar not in GRAMMARS:
            raise ValueError(f"space=program has no grammar {grammar!r}; its grammars: {', '.join(GRAMMARS)}")
        self.grammar = grammar
        self.prior = prior or ProgramGenerator(sequence_depth=SWEEPS_SEQUENCE_DEPTH)
        self.leaps = LeapsGrammar(self.prior)

    @classmethod
    def from_config(cls, **settings: Any) -> ProgramSpace:
        if "model" in settings:
            raise ValueError("space=program uses no model: model=... applies to space=latent")
        sequence_depth = settings.pop("sequence_depth", SWEEPS_SEQUENCE_DEPTH)
        if settings:
            raise ValueError(f"space=program has no settings {', '.join(sorted(settings))}")
        try:
            prior = ProgramGenerator(sequence_depth=sequence_depth)
        except ValueError as err:  # its own check, named as the setting
            raise ValueError(f"space.{err}") from None
        return cls(prior)

    def for_climber(self, variant: str) -> ProgramSpace:
        grammar = "carvalho2024" if variant == "first_improvement" else "leaps"
        return self if grammar == self.grammar else ProgramSpace(self.prior, grammar)

    def sample(self, n: int, rng: np.random.Generator) -> list[np.ndarray]:
        draw = carvalho_grammar.sample if self.grammar == "carvalho2024" else self.leaps.sample
        return [draw(rng) for _ in range(n)]

    def neighbours(self, individual: np.ndarray, n: int, rng: np.random.Generator) -> TokenBatch:
        if self.grammar == "carvalho2024":
            return TokenBatch(*carvalho_grammar.neighbours(rng, individual, n))
        return TokenBatch(*self.leaps.neighbours(rng, individual, n))

    def decode(self, individuals: Sequence[np.ndarray]) -> Programs:
        batch = individuals if isinstance(individuals, TokenBatch) else TokenBatch.stack(individuals)
        return Programs(LazyTexts(batch), batch.ids)  # the evaluators compile the id matrix as it is

    def to_json(self, individual: np.ndarray) -> str:
        return ids_to_text(individual)

    def from_json(self, data: str) -> np.ndarray:
        return text_to_ids(data)
