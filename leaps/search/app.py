"""The stage-2 command line, ``python -m leaps.search`` (and ``search.py``):
search for a program that solves a task.

    python -m leaps.search task=harvester -m seed=0..4
    python -m leaps.search task=harvester searcher=hill_climbing
    python -m leaps.search task=maze searcher=hill_climbing space=latent model=leaps
    python -m leaps.search protocol=carvalho2024 task=snake searcher=hill_climbing
"""

from __future__ import annotations

import signal
import sys
from pathlib import Path

from omegaconf import DictConfig
from omegaconf.errors import OmegaConfBaseException

from leaps.cli import refuse_keys, rewrite_aliases, run_hydra_app
from leaps.search.checks import RENAMED_KEYS, training_only_keys

ALIASES = {"model": "++space.model"}
"""``model=NAME|PATH`` on the command line is ``space.model`` (the latent space's stage-1 model)."""


def search_app(cfg: DictConfig) -> None:
    from hydra.core.hydra_config import HydraConfig

    from leaps.search.runner import SearchError, pretty_program, run_search

    def stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt  # the runner saves the search state at the last iteration boundary

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        result = run_search(cfg, Path(HydraConfig.get().runtime.output_dir))
    except (SearchError, OmegaConfBaseException) as err:
        sys.exit(f"error: {err}")
    except KeyboardInterrupt:
        print("interrupted: the search state is saved; run the same command with resume=true to continue",
              file=sys.stderr)
        sys.exit(130)
    finally:
        signal.signal(signal.SIGTERM, previous)
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
