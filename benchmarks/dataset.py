"""Dataset generation speed and size: a 5,000-program dataset with the
default settings, both cores.

    python benchmarks/dataset.py [--programs 5000] [--workers 2]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from omegaconf import OmegaConf

from leaps.data.format import read_dataset
from leaps.data.generate import CONF_DIR, generate_dataset
from leaps.data.stats import describe


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--programs", type=int, default=5000)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    cfg = OmegaConf.load(CONF_DIR / "karel.yaml")
    with tempfile.TemporaryDirectory() as tmp:
        cfg.merge_with({"num_programs": args.programs, "workers": args.workers, "progress": False,
                        "path": str(Path(tmp) / "bench.h5")})
        start = time.perf_counter()
        path = generate_dataset(cfg)
        elapsed = time.perf_counter() - start
        size = path.stat().st_size
        rate, per_program = args.programs / elapsed, size / args.programs
        print(f"{args.programs} programs, {args.workers} workers: {elapsed:.1f} s, {rate:,.0f} programs/s, "
              f"{size / 1e6:.2f} MB, {per_program:.0f} bytes/program")
        print(f"projected for 50,000: {50000 / rate / 60:.1f} min, {per_program * 5e4 / 1e6:.0f} MB")
        print()
        print(describe(read_dataset(path)))


if __name__ == "__main__":
    main()
