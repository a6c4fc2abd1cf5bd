"""The neural-policy command line, ``python -m leaps.rl`` (and ``rl.py``):
train a deep RL agent on a Karel task, as the LEAPS paper's DRL baselines.

    python -m leaps.rl task=harvester agent=ppo obs=grid -m seed=0..4
    python -m leaps.rl task=maze obs=abstract obs.last_action=true total_steps=500000
"""

from __future__ import annotations

import signal
import sys
from pathlib import Path

from omegaconf import DictConfig
from omegaconf.errors import OmegaConfBaseException

from leaps.cli import run_hydra_app


def rl_app(cfg: DictConfig) -> None:
    from hydra.core.hydra_config import HydraConfig

    try:
        from leaps.rl.runner import TrainingError, train
    except ImportError as err:  # the rl extra is missing
        sys.exit(f"error: {err}; install the rl extra: pip install -e \".[rl]\"")

    def stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        result = train(cfg, Path(HydraConfig.get().runtime.output_dir))
    except (TrainingError, OmegaConfBaseException) as err:
        sys.exit(f"error: {err}")
    except KeyboardInterrupt:
        print("interrupted: run the same command with resume=true (same hydra.run.dir) to continue from the last "
              "checkpoint", file=sys.stderr)
        sys.exit(130)
    finally:
        signal.signal(signal.SIGTERM, previous)
    gen = ", ".join(f"{k}: {v:.3f}" for k, v in result["generalisation"].items())
    print(f"{result['searcher']} ({result['observation']}) on {result['task']}: return {result['best_return']:.3f}, "
          f"test return {result['test_return']:.3f} after {result['evaluations']:,} environment steps "
          f"({result['steps_per_s']:,.0f} steps/s)" + (f"; {gen}" if gen else ""))


def main() -> None:
    run_hydra_app(rl_app, "rl")
