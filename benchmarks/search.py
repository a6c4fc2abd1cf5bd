"""Search speed on this machine: CEM iterations/s and program evaluations/s
(population 64, Harvester, a 256-d model with random weights, CPU), and
hill climbing's evaluations/s in program space.

    python benchmarks/search.py [--iterations 20] [--threads 1]
"""

from __future__ import annotations

import argparse
import time

import torch

from leaps.karel import protocols
from leaps.models import LeapsModule
from leaps.search import CEM, HillClimbing, LatentSpace, ProgramSpace, search


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--iterations", type=int, default=20)
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads (search.py's torch_threads)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    space = LatentSpace(LeapsModule().vae.eval())
    harvester = protocols.get("leaps").evaluator("harvester")
    cem = CEM(population_size=64, sigma=0.5, init_type="normal", max_iterations=args.iterations,
              converge_iterations=args.iterations + 1)
    search(CEM(population_size=4, max_iterations=1), space, harvester, eval_budget=5, seed=0)  # warm-up
    start = time.perf_counter()
    result = search(cem, space, harvester, eval_budget=cem.worst_case_evaluations(), seed=0)
    elapsed = time.perf_counter() - start
    print(f"CEM (population 64, Harvester, latent {space.dim}): {result.iterations / elapsed:.2f} iterations/s, "
          f"{result.evaluations / elapsed:,.0f} program evaluations/s ({args.threads} torch threads)")
    start = time.perf_counter()
    result = search(HillClimbing(neighbours=250), ProgramSpace(), harvester, eval_budget=20_000, seed=0)
    elapsed = time.perf_counter() - start
    print(f"hill climbing (250 neighbours, Harvester): {result.evaluations / elapsed:,.0f} program evaluations/s")


if __name__ == "__main__":
    main()
