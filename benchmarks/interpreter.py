"""Interpreter throughput: 1,000 random programs x 10 random 8x8 worlds,
lenient mode, budget 220, everything included (program text -> ids ->
bytecode, copying worlds, running, collecting traces).

    python benchmarks/interpreter.py [--programs 1000] [--worlds 10] [--repeats 5]
"""

from __future__ import annotations

import argparse
import os
import time

import numba
import numpy as np

from leaps.karel import dsl
from leaps.karel.interpreter import execute
from leaps.karel.program_generator import ProgramGenerator
from leaps.karel.world_generator import WorldGenerator


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--programs", type=int, default=1000)
    parser.add_argument("--worlds", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    rng = np.random.default_rng(args.seed)
    texts = [dsl.to_text(p) for p in ProgramGenerator().sample_many(args.programs, rng)]
    worlds = WorldGenerator().sample_batch(args.worlds, rng)
    execute(texts[:10], worlds)  # compile the kernels (numba JIT / cache) outside the timing

    times, actions = [], 0
    for _ in range(args.repeats):
        start = time.perf_counter()
        result = execute(texts, worlds)  # parse + compile + run, from text
        times.append(time.perf_counter() - start)
        actions = int(result.lengths.sum())
    best, median = min(times), float(np.median(times))
    runs = args.programs * args.worlds
    print(f"workload: {args.programs} programs x {args.worlds} worlds = {runs} executions, {actions} actions "
          f"({actions / runs:.1f} per execution), threads={numba.get_num_threads()} cpus={os.cpu_count()}")
    print(f"best of {args.repeats}: {best * 1e3:.1f} ms  median: {median * 1e3:.1f} ms")
    print(f"executions/s: {runs / best:,.0f} (median {runs / median:,.0f})")
    print(f"actions/s:    {actions / best:,.0f} (median {actions / median:,.0f})")


if __name__ == "__main__":
    main()
