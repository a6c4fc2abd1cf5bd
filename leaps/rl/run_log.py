"""Where a training run reports (``logger=wandb|csv|none``, the kinds of
leaps.loggers): W&B offline by default, or metrics.csv in the run directory."""

from __future__ import annotations

import csv
import os
from pathlib import Path
from typing import Any

from leaps.loggers import check_logger


class TrainingLog:
    """Logs nowhere (``logger=none``); the base of the others."""

    def __init__(self, cfg: Any, out_dir: Path, name: str, config: dict):
        pass

    def log(self, metrics: dict[str, float], step: int) -> None:
        pass

    def summary(self, values: dict[str, Any]) -> None:
        pass

    def close(self) -> None:
        pass


class CsvLog(TrainingLog):
    def __init__(self, cfg: Any, out_dir: Path, name: str, config: dict):
        self._file = (out_dir / "metrics.csv").open("a", newline="")
        self._writer: csv.DictWriter | None = None

    def log(self, metrics: dict[str, float], step: int) -> None:
        row = {"env_steps": step, **metrics}
        if self._writer is None:
            self._writer = csv.DictWriter(self._file, fieldnames=list(row))
            if self._file.tell() == 0:
                self._writer.writeheader()
        self._writer.writerow({k: row.get(k) for k in self._writer.fieldnames})
        self._file.flush()

    def close(self) -> None:
        self._file.close()


class WandbLog(TrainingLog):
    def __init__(self, cfg: Any, out_dir: Path, name: str, config: dict):
        import wandb

        from leaps.wandb_mode import resolve_mode

        os.environ.setdefault("WANDB_SILENT", "true")
        self.run = wandb.init(mode=resolve_mode(cfg.get("mode", "offline")), project=cfg.get("project", "leaps"),
                              entity=cfg.get("entity"), group="rl", name=name, config=config, dir=str(out_dir),
                              tags=list(cfg.get("tags", [])), reinit="finish_previous",
                              settings=wandb.Settings(init_timeout=15, silent=True))
        self.run.define_metric("env_steps")
        self.run.define_metric("*", step_metric="env_steps")

    def log(self, metrics: dict[str, float], step: int) -> None:
        self.run.log({"env_steps": step, **metrics})

    def summary(self, values: dict[str, Any]) -> None:
        for key, value in values.items():
            if isinstance(value, (int, float, str)) or value is None:
                self.run.summary[key] = value

    def close(self) -> None:
        self.run.finish()


LOGS: dict[str, type[TrainingLog]] = {"wandb": WandbLog, "csv": CsvLog, "none": TrainingLog}


def make_log(cfg: Any, out_dir: Path, name: str, config: dict) -> TrainingLog:
    return LOGS[check_logger(cfg)](cfg, out_dir, name, config)
