"""Where a search reports: W&B (offline by default), CSV files, or nowhere.
W&B never blocks a run: offline needs no network, and an online run whose
server cannot be reached logs offline after a 3-second probe
(``leaps.wandb_mode``; wandb's own ``init_timeout`` is the last resort)."""

from __future__ import annotations

import csv
import os
from pathlib import Path
from typing import Any

from leaps.loggers import LOGGER_KINDS, check_logger
from leaps.search.results import IterationReport


class RunLogger:
    """Logs nowhere (``logger=none``); the base of the others, which share its constructor."""

    def __init__(self, cfg: Any = None, out_dir: Path | None = None, group: str = "", name: str = "",
                 config: dict | None = None):
        pass

    def log_iteration(self, report: IterationReport) -> None:
        pass

    def log_summary(self, summary: dict[str, Any], media: dict[str, Path]) -> None:
        pass

    def close(self) -> None:
        pass


class CsvLogger(RunLogger):
    def __init__(self, cfg: Any, out_dir: Path, group: str = "", name: str = "", config: dict | None = None):
        self.path = out_dir / "metrics.csv"
        self._file = self.path.open("w", newline="")
        self._writer: csv.DictWriter | None = None

    def log_iteration(self, report: IterationReport) -> None:
        row = {"iteration": report.iteration, "evaluations": report.evaluations, "best_return": report.best_return,
               "mean_return": report.mean_return, "iteration_best_return": report.iteration_best_return}
        row.update({k: v for k, v in report.extra.items() if isinstance(v, (int, float, bool))})
        if self._writer is None:
            self._writer = csv.DictWriter(self._file, fieldnames=list(row))
            self._writer.writeheader()
        self._writer.writerow({k: row.get(k) for k in self._writer.fieldnames})
        self._file.flush()

    def close(self) -> None:
        self._file.close()


class WandbLogger(RunLogger):
    def __init__(self, cfg: Any, out_dir: Path, group: str = "", name: str = "", config: dict | None = None):
        import wandb

        from leaps.wandb_mode import resolve_mode

        os.environ.setdefault("WANDB_SILENT", "true")
        mode = resolve_mode(cfg.get("mode", "offline"))
        settings = wandb.Settings(init_timeout=15, silent=True)
        kwargs = dict(project=cfg.get("project", "leaps"), entity=cfg.get("entity"), group=group, name=name,
                      config=config, dir=str(out_dir), tags=list(cfg.get("tags", [])), reinit="finish_previous")
        try:
            self.run = wandb.init(mode=mode, settings=settings, **kwargs)
        except Exception as err:  # no network / no login: keep the run, log offline
            if mode != "online":
                raise
            print(f"W&B online mode failed ({err.__class__.__name__}); logging offline, `wandb sync` later")
            self.run = wandb.init(mode="offline", settings=settings, **kwargs)
        self.run.define_metric("evaluations")
        for key in ("best_return", "mean_return", "iteration_best_return"):
            self.run.define_metric(f"{key}_vs_evaluations", step_metric="evaluations")

    def log_iteration(self, report: IterationReport) -> None:
        data = {"iteration": report.iteration, "evaluations": report.evaluations, "best_return": report.best_return,
                "mean_return": report.mean_return, "iteration_best_return": report.iteration_best_return}
        for key in ("best_return", "mean_return", "iteration_best_return"):
            data[f"{key}_vs_evaluations"] = data[key]
        data.update({k: v for k, v in report.extra.items() if isinstance(v, (int, float))})
        self.run.log(data, step=report.iteration)

    def log_summary(self, summary: dict[str, Any], media: dict[str, Path]) -> None:
        import wandb

        for key, value in summary.items():
            self.run.summary[key] = value
        self.run.log({"best_program": wandb.Html(f"<pre>{summary.get('best_program_pretty', '')}</pre>")})
        table = wandb.Table(columns=["task", "searcher", "seed", "return", "raw_return", "test_return", "evaluations",
                                     "program"])
        table.add_data(summary.get("task"), summary.get("searcher"), summary.get("seed"), summary.get("best_return"),
                       summary.get("best_raw_return"), summary.get("test_return"), summary.get("evaluations"),
                       summary.get("best_program"))
        self.run.log({"best_programs": table})
        for key, path in media.items():
            if path.suffix == ".gif":
                self.run.log({key: wandb.Video(str(path), format="gif")})

    def close(self) -> None:
        self.run.finish()


LOGGERS: dict[str, type[RunLogger]] = {"wandb": WandbLogger, "csv": CsvLogger, "none": RunLogger}
"""The search's logger for each kind of leaps.loggers."""
assert set(LOGGERS) == set(LOGGER_KINDS)


def make_logger(cfg: Any, out_dir: Path, group: str, name: str, config: dict) -> RunLogger:
    return LOGGERS[check_logger(cfg)](cfg, out_dir, group, name, config)
