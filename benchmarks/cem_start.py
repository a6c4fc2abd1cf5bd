"""Where the published CEM starts, in each embedding space: its first population.

Each LEAPS task's published CEM settings start the mean at or near the origin
(``tiny_normal``: N(0, 0.1^2); ``ones``: 0.01 * 1; Harvester's ``normal``:
N(0, 1)) and draw the first population around it with the task's sigma. What
that neighbourhood decodes to is a property of the space, not of the search:
this script draws the first population of CEM for ``--seeds`` generator seeds
(exactly as ``leaps.search.methods.cem`` draws it: the seed's mean, then
``population_size`` samples), decodes each greedily and scores it on the
task's 10 search worlds of that seed (LEAPS protocol, KAREL_SPEC.md's worlds).
It prints, per task and space, how many of those programs solve the task (per
1,000) and the mean over seeds of a first population's best return; and the
program the origin itself decodes to.

    python benchmarks/cem_start.py --models leaps leapsp leapspr leapspl imported/hprl imported/prog_policies_128
"""

from __future__ import annotations

import argparse

import numpy as np
import torch
from omegaconf import DictConfig, OmegaConf

from leaps import config_dir
from leaps.karel import dsl, protocols
from leaps.karel.protocols.base import EvaluationWorlds
from leaps.models.checkpoint import load_model
from leaps.models.vae import ProgramVAE
from leaps.search.methods.cem import initial_mean

TASKS = ("stairclimber", "fourcorner", "topoff", "maze", "cleanhouse", "harvester")


def first_population(cem: DictConfig, dim: int, seed: int) -> torch.Tensor:
    """CEM's first population under a task's published settings ``cem`` at generator seed ``seed``."""
    generator = torch.Generator().manual_seed(seed)
    mean = initial_mean(str(cem.init_type), dim, generator)
    return mean + float(cem.sigma) * torch.randn(int(cem.population_size), dim, generator=generator)


def start_figures(vae: ProgramVAE, task: str, seeds: int) -> tuple[float, float]:
    """(solving programs per 1,000 of the first populations, mean over seeds of a first population's best return)."""
    cem = OmegaConf.load(config_dir() / "task" / f"{task}.yaml").cem
    protocol = protocols.get("leaps")
    solving, best = [], []
    for seed in range(seeds):
        ids = vae.decode(first_population(cem, vae.latent_dim, seed)).numpy()
        evaluator = protocol.evaluator(task, None, EvaluationWorlds(seed=seed))
        returns = evaluator.evaluate(ids).mean_return
        best.append(float(returns.max()))
        solving.extend(returns >= evaluator.max_return - 1e-9)
    return 1000 * float(np.mean(solving)), float(np.mean(best))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", nargs="+", default=["leaps", "leapsp", "leapspr", "leapspl"])
    parser.add_argument("--seeds", type=int, default=100, help="first populations per task and model")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(f"CEM's first population with each task's published settings, {args.seeds} seeds: programs that solve "
          "the task per 1,000 / mean of the population's best return")
    print()
    print("| task | " + " | ".join(args.models) + " |")
    print("|---|" + "---|" * len(args.models))
    vaes = {model: load_model(model) for model in args.models}
    for task in TASKS:
        cells = [start_figures(vaes[model], task, args.seeds) for model in args.models]
        print(f"| {task} | " + " | ".join(f"{per_mille:.1f} / {best:.2f}" for per_mille, best in cells) + " |")
    print()
    for model, vae in vaes.items():
        origin = vae.decode(torch.zeros(1, vae.latent_dim))[0].tolist()
        print(f"- {model}: the origin decodes to `{dsl.to_text(dsl.parse(origin))}`")


if __name__ == "__main__":
    main()
