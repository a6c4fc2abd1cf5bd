"""Task evaluation throughput: program evaluations per second (one program
on the task's 10 initial worlds = one evaluation) for random programs.

    python benchmarks/tasks.py [--programs 2000] [--repeats 3]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from leaps.karel import dsl
from leaps.karel.program_generator import ProgramGenerator
from leaps.karel.tasks import TASK_NAMES, TaskEvaluator


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--programs", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    texts = [dsl.to_text(p) for p in ProgramGenerator().sample_many(args.programs, np.random.default_rng(0))]
    print(f"{args.programs} random programs x 10 worlds, from program text, best of {args.repeats}")
    for name in TASK_NAMES:
        evaluator = TaskEvaluator(name, n_worlds=10, seed=0)
        evaluator.evaluate(texts[:8])  # JIT warm-up
        best = min(_timed(evaluator, texts) for _ in range(args.repeats))
        print(f"{name:13s} {args.programs / best:>10,.0f} program evaluations/s")


def _timed(evaluator: TaskEvaluator, texts: list[str]) -> float:
    start = time.perf_counter()
    evaluator.evaluate(texts)
    return time.perf_counter() - start


if __name__ == "__main__":
    main()
