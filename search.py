"""Stage 2 entry point: search for a program that solves a task.

    python search.py task=harvester searcher=hill_climbing
    python search.py task=harvester -m seed=0..4
"""

import signal
import sys
from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig
from omegaconf.errors import OmegaConfBaseException

from leaps.karel import dsl
from leaps.search.ranges import check_choices, expand_ranges
from leaps.search.runner import SearchError, run_search


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
    print(f"best return {result.best_return:.3f} (raw {result.best_raw_return:.3f}) after {result.evaluations} "
          f"evaluations:\n{dsl.pretty(dsl.parse(result.best_program))}\n{result.best_program}")


if __name__ == "__main__":
    sys.argv = expand_ranges(sys.argv)
    check_choices(sys.argv, Path(__file__).parent / "conf")
    main()
