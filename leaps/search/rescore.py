"""``python -m leaps.search.rescore DIR [DIR ...]``: score the best program of
every run under the directories on the run's held-out test worlds and write
``test_return`` into its results.json, as a search does since it records
one. For runs made before that: no search is run, only the stored best
programs are evaluated (seconds per sweep). Runs that have a
``test_return`` already are left as they are unless ``--force``.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from omegaconf import OmegaConf

from leaps.atomic_files import write_json_atomic
from leaps.search.evaluators import protocol_of, test_return


def rescore(path: Path, force: bool = False) -> float | None:
    """Add ``test_return`` (and ``test_worlds``) to one results.json; the
    value written, or None if the run had one and ``force`` is off."""
    results = json.loads(path.read_text())
    if results.get("test_return") is not None and not force:
        return None
    cfg = OmegaConf.create(results["config"])
    results["test_return"] = test_return(cfg, results["best_program"])
    results["test_worlds"] = int(cfg.get("test_worlds") or protocol_of(cfg).test_worlds)
    write_json_atomic(path, results)
    return results["test_return"]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dirs", nargs="+", type=Path)
    parser.add_argument("--force", action="store_true", help="re-score runs that have a test_return already")
    args = parser.parse_args(argv)
    paths = []
    for d in args.dirs:
        if not d.exists():
            raise SystemExit(f"error: {d} does not exist")
        paths += sorted(d.rglob("results.json"))
    if not paths:
        raise SystemExit(f"error: no results.json under {', '.join(map(str, args.dirs))}")
    scored = 0
    for path in paths:
        try:
            value = rescore(path, args.force)
        except (json.JSONDecodeError, KeyError, ValueError) as err:
            raise SystemExit(f"error: {path}: {err}") from None
        if value is not None:
            scored += 1
            print(f"{path.parent}: test_return {value:.4f}")
    print(f"{scored} of {len(paths)} runs scored on their test worlds")


if __name__ == "__main__":
    main()
