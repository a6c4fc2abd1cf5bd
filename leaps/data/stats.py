"""``python -m leaps.data.stats PATH``: a dataset's statistics as markdown
(program and demonstration length histograms, control-flow shares)."""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from leaps.data.format import ProgramDataset, read_dataset
from leaps.karel import dsl


def _histogram(values: np.ndarray, edges: list[int]) -> str:
    counts, _ = np.histogram(values, bins=edges)
    rows = ["| range | share |", "|---|---|"]
    for lo, hi, count in zip(edges[:-1], edges[1:], counts, strict=True):
        rows.append(f"| {lo}-{hi - 1} | {count / len(values):.1%} |")
    return "\n".join(rows)


def describe(data: ProgramDataset) -> str:
    ids = data.programs
    has = {name: (ids == dsl.TOKEN_ID[name]).any(axis=1).mean() for name in ("WHILE", "REPEAT", "IF", "IFELSE")}
    branches = ((ids == dsl.IF) | (ids == dsl.IFELSE)).any(axis=1).mean()
    loops = ((ids == dsl.WHILE) | (ids == dsl.REPEAT)).any(axis=1).mean()
    lengths = data.program_lengths.astype(int)
    demo = data.action_lengths.astype(int).ravel()
    return "\n".join([
        f"{len(data)} programs ({', '.join(f'{k} {e - s}' for k, (s, e) in data.splits.items())}), "
        f"{data.action_lengths.shape[1]} demonstrations each",
        f"- program tokens: mean {lengths.mean():.1f}, median {np.median(lengths):.0f}, max {lengths.max()}",
        f"- demonstration actions: mean {demo.mean():.1f}, median {np.median(demo):.0f}, max {demo.max()}",
        f"- programs with a loop {loops:.1%}, with a branch {branches:.1%}; "
        + ", ".join(f"{k} {v:.1%}" for k, v in has.items()),
        "",
        "Program length (tokens):",
        "",
        _histogram(lengths, [4, 10, 15, 20, 25, 30, 35, 40, 46]),
        "",
        "Demonstration length (actions):",
        "",
        _histogram(demo, [0, 1, 3, 5, 8, 12, 16, 21]),
    ])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("path", type=Path)
    print(describe(read_dataset(parser.parse_args().path)))


if __name__ == "__main__":
    main()
