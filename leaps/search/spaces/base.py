"""What a search space offers a search method: individuals to start from,
neighbours of an individual, and decoding of individuals to programs.

A space says which of these it ``provides`` and a method which it
``needs``; a method runs in every space that provides what it needs."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from leaps.search.evaluations import Programs

if TYPE_CHECKING:
    import torch

SAMPLES = "samples"
"""Individuals drawn from the space's prior (:meth:`SearchSpace.sample`)."""
NEIGHBOURS = "neighbours"
"""Random neighbours of an individual (:meth:`SearchSpace.neighbours`)."""
VECTORS = "vectors"
"""Individuals are real vectors a method may perturb and average itself (:class:`VectorSpace`)."""
CAPABILITIES = {
    SAMPLES: "samples of a prior",
    NEIGHBOURS: "neighbours of an individual",
    VECTORS: "vectors to perturb and average",
}
"""What each capability means, for messages."""


class SearchSpace(ABC):
    """Individuals a method moves between, and how they become programs.

    Individuals are whatever the space works in (a program's AST, a latent
    vector); a method never looks inside them. Every random draw comes from
    the generator the method passes in."""

    name: ClassVar[str]
    provides: ClassVar[frozenset[str]]
    always_valid: ClassVar[bool] = False
    """Whether every individual decodes to a valid program (a method that
    never evaluates invalid ones then need not check)."""

    @classmethod
    @abstractmethod
    def from_config(cls, **settings: Any) -> SearchSpace:
        """The space made from its config (``conf/space/<name>.yaml``); ``ValueError`` for a bad setting."""

    def sample(self, n: int, rng: np.random.Generator) -> list[Any]:
        """``n`` individuals of the space's prior."""
        raise NotImplementedError(f"space={self.name} does not provide {SAMPLES}")

    def neighbours(self, individual: Any, n: int, rng: np.random.Generator) -> list[Any]:
        """``n`` random neighbours of ``individual``."""
        raise NotImplementedError(f"space={self.name} does not provide {NEIGHBOURS}")

    @abstractmethod
    def decode(self, individuals: list[Any]) -> Programs:
        """The programs of ``individuals``, ready to evaluate."""

    @abstractmethod
    def to_json(self, individual: Any) -> Any:
        """``individual`` as JSON data, for a search's saved state."""

    @abstractmethod
    def from_json(self, data: Any) -> Any:
        """The individual :meth:`to_json` wrote."""

    def for_climber(self, variant: str) -> SearchSpace:
        """The space a hill climber of ``variant`` moves in: by default this
        one; program space gives first_improvement the grammar and node
        mutation of Carvalho et al. (leaps.search.spaces.carvalho_grammar)."""
        return self

    def describe(self) -> str | None:
        """What results.json records as the space's model (None: no model)."""
        return None


class VectorSpace(SearchSpace):
    """A space of real vectors of size ``dim`` (torch tensors), decoded to
    programs by a model, greedily or by sampling."""

    dim: int

    @abstractmethod
    def decode_vectors(self, z: torch.Tensor, greedy: bool = True,
                       generator: torch.Generator | None = None) -> Programs:
        """The programs of the rows of ``z``."""
