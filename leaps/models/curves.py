"""Validation figures after each epoch of training runs, read from their CSV
logs (``logger=csv``), as a markdown table: how the README's training curves
are made from the logs committed under ``results/training/``.

    python -m leaps.models.curves RUN_DIR [RUN_DIR ...] [--every 5]
        [--columns greedy_program_accuracy,program_loss,train/program_loss]

A column is a validation metric (logged once per epoch, named without its
``val/`` prefix) or ``train/NAME``: the mean of the training rows the run
logged in that epoch (every ``log_every_n_steps`` steps), which sets the
training side beside the validation side of a generalisation gap.

A run resumed with ``ckpt_path=`` logs each process to its own
``csv/version_N/metrics.csv``; they are read in order, so a later process's
epoch replaces an earlier one's.
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
from pathlib import Path

COLUMNS = ("greedy_program_accuracy", "execution_accuracy")


def _version(path: Path) -> int:
    match = re.search(r"version_(\d+)", str(path))
    return int(match.group(1)) if match else -1


def read_curve(run_dir: str | Path) -> dict[int, dict[str, float]]:
    """``{epoch (1-based): {metric: value}}`` from every metrics.csv under ``run_dir``: validation
    metrics without their ``val/`` prefix, ``train/NAME`` the epoch's mean of its logged training rows."""
    files = sorted(Path(run_dir).rglob("metrics.csv"), key=_version)
    if not files:
        raise FileNotFoundError(f"no metrics.csv under {run_dir} (train with logger=csv)")
    curve: dict[int, dict[str, float]] = {}
    for path in files:
        val: dict[int, dict[str, float]] = {}
        train: dict[int, dict[str, list[float]]] = {}
        with path.open(newline="") as f:
            for row in csv.DictReader(f):
                epoch = int(float(row["epoch"])) + 1
                if row.get("val/greedy_program_accuracy"):
                    val[epoch] = {k.removeprefix("val/"): float(v)
                                  for k, v in row.items() if k.startswith("val/") and v}
                for k, v in row.items():
                    if k.startswith("train/") and v:
                        train.setdefault(epoch, {}).setdefault(k, []).append(float(v))
        for epoch, metrics in val.items():  # a process's validated epochs replace an earlier process's
            means = {k: sum(v) / len(v) for k, v in train.get(epoch, {}).items()}
            curve[epoch] = {**means, **metrics}
    return curve


def curve_table(curves: dict[str, dict[int, dict[str, float]]], every: int = 1,
                columns: tuple[str, ...] = COLUMNS) -> str:
    """One row per epoch (every ``every``-th, and each run's last), one column per run: its ``columns``
    joined by ' / '; '-' where a run has no such epoch."""
    lasts = {max(c) for c in curves.values() if c}
    epochs = sorted({e for c in curves.values() for e in c if e % every == 0 or e in lasts})
    labels = " / ".join(c.replace("/", " ").replace("_", " ") for c in columns)
    head = ["after epoch", *(f"{name}: {labels}" for name in curves)]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for epoch in epochs:
        cells = []
        for curve in curves.values():
            row = curve.get(epoch)
            cells.append(" / ".join(f"{row[c]:.3f}" if c in row else "-" for c in columns) if row else "-")
        lines.append(f"| {epoch} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m leaps.models.curves", description=__doc__.split("\n\n")[0])
    parser.add_argument("runs", nargs="+", help="training run dirs (their csv/ logs)")
    parser.add_argument("--every", type=int, default=1, help="show every N-th epoch (and each run's last)")
    parser.add_argument("--columns", default=",".join(COLUMNS),
                        help="validation metrics to show, comma-separated (default: %(default)s)")
    args = parser.parse_args(argv)
    if args.every < 1:
        parser.error(f"--every must be at least 1, got {args.every}")
    try:
        curves = {Path(run).name: read_curve(run) for run in args.runs}
    except FileNotFoundError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(curve_table(curves, args.every, tuple(args.columns.split(","))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
