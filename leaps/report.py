"""``python -m leaps.report DIR [DIR ...]``: search results (``results.json``
files under the sweep directories) -> the paper-style markdown table.

    python -m leaps.report multirun/2026-11-24_13-00-00 --out results.md
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from pathlib import Path

import numpy as np

PUBLISHED_LEAPS = {
    "stairclimber": 1.00,
    "fourcorner": 0.45,
    "topoff": 0.81,
    "maze": 1.00,
    "cleanhouse": 0.18,
    "harvester": 0.45,
}
"""Mean return over 5 seeds reported by LEAPS (NeurIPS 2021)."""
TASK_ORDER = tuple(PUBLISHED_LEAPS)


def load_results(dirs: list[Path]) -> list[dict]:
    results = []
    for d in dirs:
        if not d.exists():
            raise SystemExit(f"error: {d} does not exist")
        for path in sorted(d.rglob("results.json")):
            try:
                results.append(json.loads(path.read_text()))
            except json.JSONDecodeError:
                print(f"warning: skipping unreadable {path}")
    return results


def table(results: list[dict]) -> str:
    groups: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for r in results:
        label = r["searcher"] + (f" ({r['model']})" if r.get("model") else "")
        groups[(r["task"], label)].append(r)
    searchers = sorted({label for _, label in groups})
    tasks = [t for t in TASK_ORDER if any(t == task for task, _ in groups)]
    tasks += sorted({task for task, _ in groups} - set(tasks))
    header = "| task | LEAPS (paper) | " + " | ".join(searchers) + " |"
    lines = [header, "|" + "---|" * (2 + len(searchers))]
    for task in tasks:
        cells = [task, f"{PUBLISHED_LEAPS[task]:.2f}" if task in PUBLISHED_LEAPS else "-"]
        for s in searchers:
            runs = groups.get((task, s), [])
            if not runs:
                cells.append("-")
                continue
            returns = np.array([r["best_return"] for r in runs])
            evals = np.mean([r["evaluations"] for r in runs])
            wall = np.mean([r["wall_time_s"] for r in runs])
            cells.append(
                f"{returns.mean():.2f} ± {returns.std():.2f} (n={len(runs)}, {evals:,.0f} evals, {wall:.0f} s)"
            )
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dirs", nargs="+", type=Path)
    parser.add_argument("--out", type=Path, help="also write the table to this markdown file")
    args = parser.parse_args(argv)
    results = load_results(args.dirs)
    if not results:
        raise SystemExit(f"error: no results.json under {', '.join(map(str, args.dirs))}")
    text = (
        "Mean ± std of the best program's return (0..1) over seeds; evaluations = programs evaluated on the "
        "task's 10 worlds.\n\n" + table(results)
    )
    print(text)
    if args.out:
        args.out.write_text(text + "\n")


if __name__ == "__main__":
    main()
