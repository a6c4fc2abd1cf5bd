"""Stage 1 entry point: learn the program embedding space.

    python train.py model=leaps            # or leapsp, leapspr, leapspl
    python train.py model=leapspl trainer.max_epochs=2 logger=csv
"""

import sys
from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig
from omegaconf.errors import OmegaConfBaseException

from leaps.models.checkpoint import CheckpointError
from leaps.models.training import TrainingError, train
from leaps.search.ranges import check_choices, expand_ranges


@hydra.main(config_path="conf", config_name="train", version_base="1.3")
def main(cfg: DictConfig) -> None:
    try:
        train(cfg, Path(HydraConfig.get().runtime.output_dir))
    except (TrainingError, CheckpointError, FloatingPointError, OmegaConfBaseException) as err:
        sys.exit(f"error: {err}")


if __name__ == "__main__":
    sys.argv = expand_ranges(sys.argv)
    check_choices(sys.argv, Path(__file__).parent / "conf")
    main()
