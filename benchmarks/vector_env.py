"""Throughput of the vectorised Karel environment (leaps.karel.vector):
environment steps per second with random actions, observations included
(autoresets, Python's part of a call and the observation copy counted), for
every task of the chosen protocols.

    python benchmarks/vector_env.py [--num-envs 256] [--steps 2000] [--obs grid|abstract]
        [--protocol leaps|carvalho2024|all] [--task harvester]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from leaps.karel import protocols
from leaps.karel.vector import OBSERVATIONS, KarelVectorEnv


def steps_per_second(task: str, protocol: str, num_envs: int, steps: int, obs: str, repeats: int) -> float:
    env = KarelVectorEnv(task, num_envs, protocol=protocol, obs=obs)
    env.reset(seed=0)
    actions = np.random.default_rng(0).integers(0, 5, size=(steps, num_envs))
    env.step(actions[0])  # compile
    best = 0.0
    for _ in range(repeats):
        start = time.perf_counter()
        for a in actions:
            env.step(a)
        best = max(best, steps * num_envs / (time.perf_counter() - start))
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--protocol", choices=(*protocols.names(), "all"), default="leaps")
    parser.add_argument("--task", default=None, help="one task (default: every task of the protocol)")
    parser.add_argument("--num-envs", type=int, default=256)
    parser.add_argument("--steps", type=int, default=2000, help="calls of step() per measurement")
    parser.add_argument("--obs", choices=(*OBSERVATIONS, "all"), default="all")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    if args.num_envs < 1 or args.steps < 1 or args.repeats < 1:
        raise SystemExit("error: --num-envs, --steps and --repeats must be >= 1")
    kinds = OBSERVATIONS if args.obs == "all" else (args.obs,)
    print(f"N={args.num_envs} environments, {args.steps} calls of random actions, best of {args.repeats} "
          "(environment steps/s)")
    print(f"{'protocol':13s} {'task':13s} " + " ".join(f"{k:>12s}" for k in kinds))
    for name in protocols.names() if args.protocol == "all" else (args.protocol,):
        tasks = [args.task] if args.task else protocols.get(name).task_names()
        for task in tasks:
            rates = [steps_per_second(task, name, args.num_envs, args.steps, k, args.repeats) for k in kinds]
            print(f"{name:13s} {task:13s} " + " ".join(f"{r:12,.0f}" for r in rates))


if __name__ == "__main__":
    main()
