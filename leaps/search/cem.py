"""The cross-entropy method over the program embedding space, with every
knob of the original LEAPS implementation (pretrain/CEM.py):

- each iteration samples ``population_size`` latents around the current mean
  with an isotropic ``sigma``, decodes them by sampling the decoder, and
  evaluates them; the elites (top ``elitism_rate``, ties broken by program
  text as the reference's sort does) give the new mean, plain or weighted by
  their (raw) returns;
- the mean itself is decoded greedily and evaluated every iteration; the
  search has converged once that program scored the maximum for 10
  iterations in a row;
- with ``use_exp_sig_decay`` sigma decays exponentially to ``final_sigma``
  over the first half of ``max_iterations`` and stays there (the reference's
  scheduler lags one iteration: see ``sigma_at``);
- the best program reported is the best over every program evaluated (the
  population's and the mean's); the reference saves the mean's latest program,
  which equals it once converged.

One knob is ours, off by default: ``restart_after`` (iterations without a
better best program, while the best is below the task's maximum) re-draws
the mean (``restart_mean``) and restarts the sigma schedule, as the LEAPS
successors' CEM does. The published LEAPS CEM often fixes on its first good
region for the rest of its 1,000 iterations; restarts spend those iterations
elsewhere within the same budget.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import torch

from leaps.search.base import (
    BestTracker,
    Callback,
    Checkpoint,
    Evaluator,
    IterationReport,
    SearchResult,
    finite_mean,
    ids_to_texts,
)

INIT_TYPES = ("normal", "tiny_normal", "ones", "zeros")
REDUCTIONS = ("mean", "weighted_mean")


class LatentDecoder(Protocol):
    latent_dim: int

    def decode(self, z: torch.Tensor, greedy: bool = True, generator: torch.Generator | None = None) -> torch.Tensor:
        ...


@dataclass
class CEMConfig:
    population_size: int = 32
    sigma: float = 0.5
    use_exp_sig_decay: bool = False
    final_sigma: float = 0.1
    elitism_rate: float = 0.1
    reduction: str = "weighted_mean"
    init_type: str = "normal"
    max_iterations: int = 1000
    converge_iterations: int = 10
    restart_after: int | None = None

    def __post_init__(self) -> None:
        if self.population_size < 1:
            raise ValueError(f"population_size must be >= 1, got {self.population_size}")
        if not 0 < self.elitism_rate <= 1:
            raise ValueError(f"elitism_rate must be in (0, 1], got {self.elitism_rate}")
        if self.sigma <= 0 or self.final_sigma <= 0:
            raise ValueError("sigma and final_sigma must be > 0")
        if self.reduction not in REDUCTIONS:
            raise ValueError(f"reduction must be one of {REDUCTIONS}, got {self.reduction!r}")
        if self.init_type not in INIT_TYPES:
            raise ValueError(f"init_type must be one of {INIT_TYPES}, got {self.init_type!r}")
        if self.max_iterations < 1 or self.converge_iterations < 1:
            raise ValueError("max_iterations and converge_iterations must be >= 1")
        if self.restart_after is not None and self.restart_after < 1:
            raise ValueError(f"restart_after must be >= 1 or null (no restarts), got {self.restart_after}")

    @property
    def n_elite(self) -> int:
        return max(1, round(self.population_size * self.elitism_rate))

    def worst_case_evaluations(self) -> int:
        return self.max_iterations * (self.population_size + 1)


def initial_mean(init_type: str, dim: int, generator: torch.Generator) -> torch.Tensor:
    if init_type == "normal":
        return torch.randn(dim, generator=generator)
    if init_type == "tiny_normal":
        return 0.1 * torch.randn(dim, generator=generator)
    if init_type == "ones":
        return 0.01 * torch.ones(dim)  # the reference's "ones" is 0.01 * 1
    return torch.zeros(dim)


def restart_mean(init_type: str, dim: int, generator: torch.Generator) -> torch.Tensor:
    """A restart's mean: a new draw of ``init_type``; the fixed inits (``ones``,
    ``zeros``, both at the origin's doorstep) draw from ``tiny_normal`` instead,
    since restarting at the same point would mostly repeat the search."""
    return initial_mean(init_type if init_type in ("normal", "tiny_normal") else "tiny_normal", dim, generator)


def sigma_at(cfg: CEMConfig, iteration: int) -> float:
    """Sigma used in ``iteration`` (0-based), as the reference schedules it:
    the scheduler steps after each iteration starting from exponent 0, so
    iterations 0 and 1 both use ``sigma``; iteration i uses
    ``sigma * gamma**(i - 1)`` with ``gamma = (final/sigma)**(1/H)``,
    ``H = max_iterations / 2``, and ``final_sigma`` once ``i - 1 > H``."""
    if not cfg.use_exp_sig_decay or cfg.sigma == cfg.final_sigma:
        return cfg.sigma
    horizon = cfg.max_iterations / 2
    step = max(iteration - 1, 0)
    if step > horizon:
        return cfg.final_sigma
    return cfg.sigma * (cfg.final_sigma / cfg.sigma) ** (step / horizon)


WEIGHT_FLOOR = 0.1
"""Weight of the worst elite when returns are not all positive (what the
LEAPS raw scale's syntax bonus gives a 0-return program)."""


def elite_weights(returns: np.ndarray) -> np.ndarray:
    """The elites' weights for ``weighted_mean``: their (raw) returns, which
    are positive under the LEAPS protocol. Under carvalho2024 returns may be
    0 or negative (crash penalties), or -inf (invalid programs): then the
    finite ones are shifted so that the lowest weighs WEIGHT_FLOOR when it is
    not positive, and -inf ones weigh 0 (all -inf: equal weights)."""
    returns = np.asarray(returns, dtype=np.float64)
    finite = np.isfinite(returns)
    if not finite.any():
        return np.ones_like(returns)
    low = returns[finite].min()
    shift = 0.0 if low > 0 else WEIGHT_FLOOR - low
    return np.where(finite, returns + shift, 0.0)


def elite_mean(population: torch.Tensor, rewards: np.ndarray, programs: list[str], cfg: CEMConfig) -> torch.Tensor:
    order = sorted(range(len(programs)), key=lambda i: (rewards[i], programs[i]))
    elites = order[-cfg.n_elite :]
    if cfg.reduction == "mean":
        return population[elites].mean(dim=0)
    weights = torch.as_tensor(elite_weights(rewards[elites]), dtype=population.dtype)
    return (weights[:, None] * population[elites]).sum(dim=0) / (weights.sum() + 1e-5)


def run_cem(
    decoder: LatentDecoder, evaluator: Evaluator, cfg: CEMConfig, seed: int, budget: int | None = None,
    callback: Callback | None = None, state: dict | None = None, checkpoint: Checkpoint | None = None
) -> SearchResult:
    generator = torch.Generator().manual_seed(seed)
    mean = initial_mean(cfg.init_type, decoder.latent_dim, generator)
    best = BestTracker()
    recent: deque[float] = deque(maxlen=cfg.converge_iterations)
    history: list[dict] = []
    converged = False
    start = 0
    phase_start = 0  # iteration the current restart began at (the sigma schedule counts from it)
    stall = 0  # iterations since the best program last improved
    restarts = 0
    if state is not None:
        generator.set_state(torch.tensor(state["generator"], dtype=torch.uint8))
        mean = torch.tensor(state["mean"], dtype=torch.float32)
        best.load(state["best"])
        recent.extend(state["recent"])
        history, start, evaluator.num_evaluations = state["history"], state["iteration"], state["evaluations"]
        phase_start, stall, restarts = state.get("phase_start", 0), state.get("stall", 0), state.get("restarts", 0)

    def snapshot(next_iteration: int) -> dict:
        return {"generator": generator.get_state().tolist(), "mean": mean.tolist(), "best": best.state(),
                "recent": list(recent), "history": list(history), "iteration": next_iteration,
                "evaluations": evaluator.num_evaluations, "phase_start": phase_start, "stall": stall,
                "restarts": restarts}

    iteration = start
    budget = budget if budget is not None else cfg.worst_case_evaluations()
    for iteration in range(start, cfg.max_iterations):
        last_state = snapshot(iteration)  # the state at an iteration boundary: resuming from it is exact
        if checkpoint is not None:
            checkpoint(last_state)
        if evaluator.num_evaluations + cfg.population_size + 1 > budget:
            break
        sigma = sigma_at(cfg, iteration - phase_start)
        best_before = best.mean_return
        population = mean + sigma * torch.randn(cfg.population_size, decoder.latent_dim, generator=generator)
        with torch.no_grad():
            ids = decoder.decode(population, greedy=False, generator=generator).cpu().numpy()
        programs = ids_to_texts(ids)
        result = evaluator.evaluate(ids)
        best.update(programs, result)
        mean = elite_mean(population, result.raw_return, programs, cfg)
        with torch.no_grad():
            mean_ids = decoder.decode(mean[None], greedy=True).cpu().numpy()
        mean_program = ids_to_texts(mean_ids)
        mean_result = evaluator.evaluate(mean_ids)
        best.update(mean_program, mean_result)
        mean_return = float(mean_result.mean_return[0])
        recent.append(mean_return)
        report = IterationReport(
            iteration + 1, evaluator.num_evaluations, best.mean_return, finite_mean(result.mean_return),
            float(result.mean_return.max()), best.program,
            {"sigma": sigma, "mean_program_return": mean_return, "mean_program": mean_program[0],
             "restarts": restarts},
        )
        history.append({k: v for k, v in report.__dict__.items() if k != "best_program"})
        if callback is not None:
            callback(report)
        if len(recent) == cfg.converge_iterations and min(recent) >= evaluator.max_return:
            converged = True
            break
        stall = 0 if best.mean_return > best_before else stall + 1
        if cfg.restart_after is not None and stall >= cfg.restart_after and best.mean_return < evaluator.max_return:
            mean = restart_mean(cfg.init_type, decoder.latent_dim, generator)
            phase_start, stall, restarts = iteration + 1, 0, restarts + 1
            recent.clear()
    return SearchResult(best.program, best.mean_return, best.raw_return, iteration + 1, evaluator.num_evaluations,
                        converged, history)
