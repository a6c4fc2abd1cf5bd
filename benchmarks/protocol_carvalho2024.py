"""carvalho2024 protocol throughput: program evaluations per second (one
program on the task's 16 initial worlds = one evaluation) for random programs,
end to end from program text (parse + bytecode + episodes), and from already
parsed ``Program`` objects.

    python benchmarks/protocol_carvalho2024.py [--programs 2000] [--repeats 3]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from leaps.karel import dsl
from leaps.karel.program_generator import ProgramGenerator
from leaps.karel.protocols.carvalho2024 import TASK_NAMES, Evaluator


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--programs", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    programs = ProgramGenerator().sample_many(args.programs, np.random.default_rng(args.seed))
    texts = [dsl.to_text(p) for p in programs]
    print(f"{args.programs} random programs x 16 worlds, best of {args.repeats}")
    print(f"{'task':13s} {'from text':>12s} {'from AST':>12s}  (program evaluations/s)   mean calls/episode")
    for name in TASK_NAMES:
        evaluator = Evaluator(name)
        evaluator.evaluate(texts[:8])  # JIT warm-up
        t_text = min(_timed(evaluator, texts) for _ in range(args.repeats))
        t_ast = min(_timed(evaluator, programs) for _ in range(args.repeats))
        calls = evaluator.evaluate(programs).calls.mean()
        print(f"{name:13s} {args.programs / t_text:>12,.0f} {args.programs / t_ast:>12,.0f}   {calls:>30.0f}")


def _timed(evaluator: Evaluator, programs) -> float:
    start = time.perf_counter()
    evaluator.evaluate(programs)
    return time.perf_counter() - start


if __name__ == "__main__":
    main()
