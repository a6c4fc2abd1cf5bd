"""``space=latent``: the program embedding space of a stage-1 model
(``model=NAME|PATH``; its hyperparameters come from the model's own
config.json). Individuals are latent vectors: samples of the prior N(0, I),
neighbours ``z + neighbour_sigma * N(0, I)``, decoded greedily by the
model's grammar-masked decoder; ``decode_vectors`` can sample the decoder
instead (CEM's ``population_decoding=sample``)."""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np
import torch

from leaps.karel import dsl
from leaps.search.evaluations import Programs
from leaps.search.spaces import SPACES
from leaps.search.spaces.base import NEIGHBOURS, SAMPLES, VECTORS, VectorSpace


class LatentDecoder(Protocol):
    latent_dim: int

    def decode(self, z: torch.Tensor, greedy: bool = True, generator: torch.Generator | None = None) -> torch.Tensor:
        ...


def ids_to_texts(ids: np.ndarray) -> list[str]:
    """Decoder output (N, L) -> program text; ids past an unknown token are kept as text too."""
    out = []
    for row in ids:
        try:
            out.append(dsl.ids_to_text(row))
        except dsl.ProgramError:
            out.append(" ".join(str(int(i)) for i in dsl.strip_padding(row)))
    return out


@SPACES.register
class LatentSpace(VectorSpace):
    name = "latent"
    provides = frozenset({SAMPLES, NEIGHBOURS, VECTORS})

    def __init__(self, decoder: LatentDecoder, neighbour_sigma: float = 0.5, model: str | None = None):
        if not neighbour_sigma > 0:
            raise ValueError(f"space.neighbour_sigma must be > 0, got {neighbour_sigma}")
        self.decoder = decoder
        self.dim = int(decoder.latent_dim)
        self.neighbour_sigma = float(neighbour_sigma)
        self.model = model

    @classmethod
    def from_config(cls, model: str | None = None, neighbour_sigma: float = 0.5, **other: Any) -> LatentSpace:
        if other:
            raise ValueError(f"space=latent has no settings {', '.join(sorted(other))}")
        if not model:
            raise ValueError("space=latent needs a stage-1 model: model=NAME (shipped) or model=PATH")
        return cls(load_decoder(str(model)), neighbour_sigma, str(model))

    def sample(self, n: int, rng: np.random.Generator) -> list[torch.Tensor]:
        return list(torch.from_numpy(rng.standard_normal((n, self.dim))).float())

    def neighbours(self, individual: torch.Tensor, n: int, rng: np.random.Generator) -> list[torch.Tensor]:
        noise = torch.from_numpy(rng.standard_normal((n, self.dim))).float()
        return list(individual + self.neighbour_sigma * noise)

    def decode(self, individuals: list[torch.Tensor]) -> Programs:
        return self.decode_vectors(torch.stack(individuals), greedy=True)

    def decode_vectors(self, z: torch.Tensor, greedy: bool = True,
                       generator: torch.Generator | None = None) -> Programs:
        with torch.no_grad():
            ids = self.decoder.decode(z, greedy=greedy, generator=generator).cpu().numpy()
        return Programs(ids_to_texts(ids), ids)

    def to_json(self, individual: torch.Tensor) -> list[float]:
        return individual.tolist()

    def from_json(self, data: list[float]) -> torch.Tensor:
        return torch.tensor(data, dtype=torch.float32)

    def describe(self) -> str | None:
        return self.model


def load_decoder(model: str) -> LatentDecoder:
    """A stage-1 model's decoder by shipped name or path; ``ValueError`` in one line if it cannot be loaded."""
    from leaps.models import CheckpointError, load_model

    try:
        return load_model(model)
    except FileNotFoundError as err:
        raise ValueError(f"space=latent needs a stage-1 model: {err}; or search program space with space=program") \
            from None
    except CheckpointError as err:
        raise ValueError(str(err)) from None
