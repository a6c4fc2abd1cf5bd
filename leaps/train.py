"""The stage-1 command line, ``python -m leaps.train`` (and ``train.py``):
learn the program embedding space.

    python -m leaps.train model=leaps            # or leapsp, leapspr, leapspl
    python -m leaps.train model=leapspl trainer.max_epochs=2 logger=csv
"""

from __future__ import annotations

import sys
from pathlib import Path

from omegaconf import DictConfig
from omegaconf.errors import OmegaConfBaseException

from leaps.cli import run_hydra_app


def train_app(cfg: DictConfig) -> None:
    from hydra.core.hydra_config import HydraConfig

    from leaps.models.checkpoint import CheckpointError
    from leaps.models.training import TrainingError, train

    try:
        train(cfg, Path(HydraConfig.get().runtime.output_dir))
    except (TrainingError, CheckpointError, FloatingPointError, OmegaConfBaseException) as err:
        sys.exit(f"error: {err}")


def main() -> None:
    run_hydra_app(train_app, "train")


if __name__ == "__main__":
    main()
