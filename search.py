"""Stage 2 entry point: search for a program that solves a task.

    python search.py task=harvester searcher=hill_climbing
    python search.py task=harvester -m seed=0..4
    python search.py protocol=carvalho2024 task=snake searcher=hill_climbing
"""

import signal
import sys
from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig
from omegaconf.errors import OmegaConfBaseException

from leaps.search.ranges import check_choices, expand_ranges
from leaps.search.runner import SearchError, pretty_program, run_search


@hydra.main(config_path="conf", config_name="search", version_base="1.3")
def main(cfg: DictConfig) -> None:
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
          f"evaluations:\n{pretty}\n{result.best_program}")


if __name__ == "__main__":
    sys.argv = expand_ranges(sys.argv)
    check_choices(sys.argv, Path(__file__).parent / "conf")
    main()
