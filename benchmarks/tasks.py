"""Task evaluation throughput under both protocols: program evaluations per
second for random programs, from program text (parse + compile + episodes) and
from already parsed ``Program`` objects. One evaluation = one program on the
task's initial worlds (10 under ``leaps``, 16 under ``carvalho2024``; every
protocol of the registry in leaps.karel.protocols).

    python benchmarks/tasks.py [--protocol leaps|carvalho2024|all] [--programs 2000] [--repeats 3]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Sequence

import numpy as np

from leaps.karel import dsl, protocols
from leaps.karel.program_generator import ProgramGenerator


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--protocol", choices=(*protocols.names(), "all"), default="all")
    parser.add_argument("--programs", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0, help="seed of the random programs")
    args = parser.parse_args()
    programs = ProgramGenerator().sample_many(args.programs, np.random.default_rng(args.seed))
    texts = [dsl.to_text(p) for p in programs]
    for name in protocols.names() if args.protocol == "all" else (args.protocol,):
        protocol = protocols.get(name)
        print(f"protocol={name}: {args.programs} random programs x {protocol.search_worlds} worlds, "
              f"best of {args.repeats}")
        _table({task: protocol.evaluator(task).evaluate for task in protocol.task_names()}, programs, texts,
               args.repeats)


def _table(evaluators: dict[str, Callable], programs: Sequence, texts: Sequence[str], repeats: int) -> None:
    print(f"{'task':13s} {'from text':>12s} {'from AST':>12s}  (program evaluations/s)")
    for name, evaluate in evaluators.items():
        evaluate(texts[:8])  # JIT warm-up
        per_text = min(_seconds(evaluate, texts) for _ in range(repeats))
        per_ast = min(_seconds(evaluate, programs) for _ in range(repeats))
        print(f"{name:13s} {len(texts) / per_text:>12,.0f} {len(programs) / per_ast:>12,.0f}")
    print()


def _seconds(evaluate: Callable, programs: Sequence) -> float:
    start = time.perf_counter()
    evaluate(programs)
    return time.perf_counter() - start


if __name__ == "__main__":
    main()
