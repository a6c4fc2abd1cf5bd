"""Stage 2: CEM over the latent program space, and program-space baselines."""

from leaps.search.base import IterationReport, SearchResult
from leaps.search.cem import CEMConfig, run_cem
from leaps.search.hill_climbing import HillClimbingConfig, run_hill_climbing
from leaps.search.random_search import RandomSearchConfig, run_random_search

__all__ = [
    "CEMConfig",
    "HillClimbingConfig",
    "IterationReport",
    "RandomSearchConfig",
    "SearchResult",
    "run_cem",
    "run_hill_climbing",
    "run_random_search",
]
