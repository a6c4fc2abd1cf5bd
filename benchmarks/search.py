"""Search speed on this machine: program evaluations per second of hill
climbing end to end (a real search: drawing neighbours, scoring them,
counting, best program, restarts) under protocol=carvalho2024, for each
variant and task, beside the evaluator alone on the very batches the search
scored. A search that solves its task early is followed by the next seed
until the budget is spent. ``--cem`` adds CEM in a latent space (population
64, Harvester, the shipped ``leaps`` model or ``--cem-model``, CPU), with the
population decoded greedily (the reference's) and sampled.

    python benchmarks/search.py [--tasks doorkey,harvester,snake]
        [--variants first_improvement,best_improvement] [--budget 200000] [--seed 0] [--numba-threads N]
        [--memory on|off|both] [--cem] [--cem-model NAME]

Columns: charged evaluations/s end to end; the evaluator alone on the
calls it received (programs scored/s; first_improvement's calls stop at
the first better neighbour, in compiled code); programs the evaluator ran
per charged evaluation (below 1 with memory on: leaps.search.score_cache
runs a program drawn again only once; above 1 where threads ran past the
first better neighbour).
"""

from __future__ import annotations

import argparse
import time
from typing import Any

import numba

from leaps.karel import protocols
from leaps.karel.parallel import set_numba_threads
from leaps.search import HillClimbing, ProgramSpace, search


class Recording:
    """An evaluator that keeps every call it is given (to time the evaluator alone on them afterwards)."""

    def __init__(self, evaluator: Any):
        self.evaluator, self.calls = evaluator, []
        self.max_return = evaluator.max_return

    def evaluate(self, programs: Any) -> Any:
        self.calls.append((programs,))
        return self.evaluator.evaluate(programs)

    def evaluate_until(self, programs: Any, threshold: float | None) -> Any:
        self.calls.append((programs, threshold))
        return self.evaluator.evaluate_until(programs, threshold)

    def replay(self) -> int:
        """Every recorded call again; how many programs were scored."""
        scored = 0
        for call in self.calls:
            scored += len(self.evaluator.evaluate(*call) if len(call) == 1 else self.evaluator.evaluate_until(*call))
        return scored


def hill_climbing(task: str, variant: str, budget: int, seed: int, remember: bool) -> tuple[float, float, float, int]:
    """(end-to-end evaluations/s, evaluator-alone programs/s, programs scored per evaluation, seeds run)."""
    evaluator = protocols.get("carvalho2024").evaluator(task)
    search(HillClimbing(neighbours=250, variant=variant), ProgramSpace(), evaluator, eval_budget=500, seed=seed)
    recording = Recording(evaluator)
    charged, seeds, start = 0, 0, time.perf_counter()
    while charged < budget:
        result = search(HillClimbing(neighbours=250, variant=variant), ProgramSpace(), recording,
                        eval_budget=budget - charged, seed=seed + seeds, remember=remember)
        charged, seeds = charged + result.evaluations, seeds + 1
    end_to_end = charged / (time.perf_counter() - start)
    start = time.perf_counter()
    scored = recording.replay()
    alone = scored / (time.perf_counter() - start)
    return end_to_end, alone, scored / charged, seeds


def cem(iterations: int, threads: int, model: str) -> None:
    """CEM's iterations/s in a stage-1 model's space with each population decoding (greedy is the reference's)."""
    import torch

    from leaps.models import load_model
    from leaps.search import CEM, LatentSpace
    from leaps.search.methods.cem import POPULATION_DECODINGS

    torch.set_num_threads(threads)
    space = LatentSpace(load_model(model).eval())
    harvester = protocols.get("leaps").evaluator("harvester")
    search(CEM(population_size=4, max_iterations=1), space, harvester, eval_budget=5, seed=0)  # warm-up
    for decoding in POPULATION_DECODINGS:
        method = CEM(population_size=64, sigma=0.5, init_type="normal", max_iterations=iterations,
                     converge_iterations=iterations + 1, population_decoding=decoding)
        start = time.perf_counter()
        result = search(method, space, harvester, eval_budget=method.worst_case_evaluations(), seed=0)
        elapsed = time.perf_counter() - start
        print(f"CEM (population 64, Harvester, model {model}, latent {space.dim}, population decoded {decoding}): "
              f"{result.iterations / elapsed:.2f} iterations/s, {result.evaluations / elapsed:,.0f} program "
              f"evaluations/s ({threads} torch threads)", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tasks", default="doorkey,harvester,snake")
    parser.add_argument("--variants", default="first_improvement,best_improvement")
    parser.add_argument("--budget", type=int, default=200_000, help="charged evaluations per variant and task")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--numba-threads", type=int, default=None, help="evaluator threads (default: all)")
    parser.add_argument("--memory", choices=("on", "off", "both"), default="on",
                        help="the search's score cache (leaps.search.score_cache; on in every search)")
    parser.add_argument("--cem", action="store_true", help="also CEM in a latent space")
    parser.add_argument("--iterations", type=int, default=20, help="CEM iterations")
    parser.add_argument("--cem-model", default="leaps", help="the stage-1 model CEM searches (shipped name or path)")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads for CEM (search.py's torch_threads)")
    args = parser.parse_args()
    set_numba_threads(args.numba_threads)
    print(f"hill climbing (250 neighbours), protocol=carvalho2024, {args.budget:,} evaluations per row, "
          f"{numba.get_num_threads()} evaluator threads")
    memories = {"on": (True,), "off": (False,), "both": (False, True)}[args.memory]
    print(f"{'task':10s} {'variant':18s} {'memory':>6s} {'end to end':>12s} {'evaluator':>12s} {'ran/eval':>9s} "
          f"{'seeds':>6s}")
    for task in args.tasks.split(","):
        for variant in args.variants.split(","):
            for remember in memories:
                end_to_end, alone, ratio, seeds = hill_climbing(task, variant, args.budget, args.seed, remember)
                print(f"{task:10s} {variant:18s} {'on' if remember else 'off':>6s} {end_to_end:>12,.0f} "
                      f"{alone:>12,.0f} {ratio:>9.2f} {seeds:>6d}", flush=True)
    if args.cem:
        cem(args.iterations, args.threads, args.cem_model)


if __name__ == "__main__":
    main()
