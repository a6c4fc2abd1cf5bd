"""The stage-2 command line, ``python -m leaps.search`` (and ``search.py``):
search for a program that solves a task.

    python -m leaps.search task=harvester -m seed=0..4
    python -m leaps.search task=harvester searcher=hill_climbing
    python -m leaps.search task=maze searcher=hill_climbing space=latent model=leaps
    python -m leaps.search protocol=carvalho2024 task=snake searcher=hill_climbing
"""

from __future__ import annotations

from pathlib import Path

from omegaconf import DictConfig

from leaps.cli import refuse_keys, rewrite_aliases, run_hydra_app, run_job
from leaps.search.checks import RENAMED_KEYS, training_only_keys

ALIASES = {"model": "++space.model"}
"""``model=NAME|PATH`` on the command line is ``space.model`` (the latent space's stage-1 model)."""


def search_app(cfg: DictConfig) -> None:
    from hydra.core.hydra_config import HydraConfig

    from leaps.search.runner import SearchError, pretty_program, run_search

    output_dir = Path(HydraConfig.get().runtime.output_dir)
    result = run_job(lambda: run_search(cfg, output_dir), (SearchError,),
                     "the search state is saved; run the same command with resume=true to continue")
    pretty = pretty_program(result.best_program) or "(not a valid program)"
    print(f"best return {result.best_return:.3f} (raw {result.best_raw_return:.3f}) after {result.evaluations} "
          f"evaluations; test return {result.test_return:.3f} on unseen worlds:\n{pretty}\n{result.best_program}")


def prepare(argv: list[str]) -> list[str]:
    """Old spellings and training settings end in one line; ``model=`` is rewritten."""
    refuse_keys(argv, RENAMED_KEYS)
    argv = rewrite_aliases(argv, ALIASES)
    refuse_keys(argv, training_only_keys())
    return argv


def main() -> None:
    run_hydra_app(search_app, "search", prepare)
