"""The neural-policy command line, ``python -m leaps.rl`` (and ``rl.py``):
train a deep RL agent on a Karel task, as the LEAPS paper's DRL baselines.

    python -m leaps.rl task=harvester agent=ppo obs=grid -m seed=0..4
    python -m leaps.rl task=maze obs=abstract obs.last_action=true total_steps=500000
"""

from __future__ import annotations

import sys
from pathlib import Path

from omegaconf import DictConfig

from leaps.cli import run_hydra_app, run_job


def rl_app(cfg: DictConfig) -> None:
    from hydra.core.hydra_config import HydraConfig

    try:
        from leaps.rl.runner import TrainingError, train
    except ImportError as err:  # the rl extra is missing
        sys.exit(f"error: {err}; install the rl extra: pip install -e \".[rl]\"")

    output_dir = Path(HydraConfig.get().runtime.output_dir)
    result = run_job(lambda: train(cfg, output_dir), (TrainingError,),
                     "run the same command with resume=true (same hydra.run.dir) to continue from the last checkpoint")
    gen = ", ".join(f"{k}: {v:.3f}" for k, v in result["generalisation"].items())
    print(f"{result['searcher']} ({result['observation']}) on {result['task']}: return {result['best_return']:.3f}, "
          f"test return {result['test_return']:.3f} after {result['evaluations']:,} environment steps "
          f"({result['steps_per_s']:,.0f} steps/s)" + (f"; {gen}" if gen else ""))


def main() -> None:
    run_hydra_app(rl_app, "rl")
