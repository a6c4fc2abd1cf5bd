"""Stage 2: search for a program that maximises a task's return.

A search is a method (``methods/``: cem, latent_cem, cebs, hill_climbing, random, given) run
in a space (``spaces/``: latent, a stage-1 model's embedding space; program,
programs themselves) by one loop (``loop.search``) that counts evaluations
against ``eval_budget`` (``evaluations.py``); ``runner.py`` builds one from a
Hydra config and writes its files.
"""

from leaps.search.evaluations import Evaluations, Programs
from leaps.search.loop import SpaceMismatch, search
from leaps.search.methods import METHODS, SearchMethod
from leaps.search.methods.cebs import CEBS
from leaps.search.methods.cem import CEM
from leaps.search.methods.given import GivenProgram
from leaps.search.methods.hill_climbing import HillClimbing
from leaps.search.methods.latent_cem import LatentCEM
from leaps.search.methods.random import RandomSearch
from leaps.search.results import IterationReport, SearchResult
from leaps.search.spaces import SPACES, SearchSpace
from leaps.search.spaces.latent import LatentSpace
from leaps.search.spaces.program import ProgramSpace

__all__ = [
    "CEBS",
    "CEM",
    "METHODS",
    "SPACES",
    "Evaluations",
    "GivenProgram",
    "HillClimbing",
    "IterationReport",
    "LatentCEM",
    "LatentSpace",
    "ProgramSpace",
    "Programs",
    "RandomSearch",
    "SearchMethod",
    "SearchResult",
    "SearchSpace",
    "SpaceMismatch",
    "search",
]
