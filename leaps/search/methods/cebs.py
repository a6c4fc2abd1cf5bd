"""Cross-entropy beam search (``searcher=cebs``; Carvalho, Tjhia & Lelis,
ICLR 2024): the successors' latent CEM loop (leaps.search.methods.latent_cem)
with the settings of their ``sample_args/paper/CEBS/`` runs (class
``LatentCEM_LEAPS``): a population of 64, its best quarter kept as a beam of
elites (not reduced to their mean), each next latent one elite plus
``sigma * N(0, I)``, and a fresh start after 5 iterations in which the
elites' mean return did not improve. Sigma is the task's (``task.cem.sigma``,
as in their per-task files) and does not decay."""

from __future__ import annotations

from dataclasses import dataclass

from leaps.search.methods import METHODS
from leaps.search.methods.latent_cem import LatentCEM


@METHODS.register
@dataclass
class CEBS(LatentCEM):
    name = "cebs"

    population_size: int = 64
    elitism_rate: float = 0.25
    sigma: float = 0.25
    reduce_to_mean: bool = False
    exp_decay: bool = False
    restart_after: int | None = 5
