"""The cross-entropy method (``searcher=cem``), with every knob of the
original LEAPS implementation (pretrain/CEM.py). It works on vectors, so it
runs in a space that provides them (``space=latent``, the program embedding
space of a stage-1 model):

- each iteration samples ``population_size`` latents around the current mean
  with an isotropic ``sigma``, decodes them greedily (the reference's decoder
  takes the argmax whenever it runs under CEM, whatever its ``deterministic``
  flag says: pretrain/models.py, ``setup == 'CEM'``), and evaluates them;
  ``population_decoding=sample`` samples the decoder instead, as this
  repository did before 2026-11-28 (the CEM sweeps in results/ made before
  then); the elites (top ``elitism_rate``, ties broken by program
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
  which equals it once converged, and reports its return: the result keeps
  that one too (``final_program`` / ``final_return``).

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

import numpy as np
import torch

from leaps.search.evaluations import Evaluations
from leaps.search.methods import METHODS
from leaps.search.methods.base import SearchMethod, Step, check_counts, check_positive
from leaps.search.spaces.base import VECTORS, SearchSpace, VectorSpace

INIT_TYPES = ("normal", "tiny_normal", "ones", "zeros")
REDUCTIONS = ("mean", "weighted_mean")
POPULATION_DECODINGS = ("greedy", "sample")


@METHODS.register
@dataclass
class CEM(SearchMethod):
    name = "cem"
    needs = frozenset({VECTORS})

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
    population_decoding: str = "greedy"

    def __post_init__(self) -> None:
        check_counts(population_size=self.population_size, max_iterations=self.max_iterations,
                     converge_iterations=self.converge_iterations, restart_after=self.restart_after)
        check_positive(sigma=self.sigma, final_sigma=self.final_sigma)
        if not 0 < self.elitism_rate <= 1:
            raise ValueError(f"elitism_rate must be in (0, 1], got {self.elitism_rate}")
        if self.reduction not in REDUCTIONS:
            raise ValueError(f"reduction must be one of {REDUCTIONS}, got {self.reduction!r}")
        if self.population_decoding not in POPULATION_DECODINGS:
            raise ValueError(f"population_decoding must be one of {POPULATION_DECODINGS}, "
                             f"got {self.population_decoding!r}")
        if self.init_type not in INIT_TYPES:
            raise ValueError(f"init_type must be one of {INIT_TYPES}, got {self.init_type!r}")

    @property
    def n_elite(self) -> int:
        return max(1, round(self.population_size * self.elitism_rate))

    def worst_case_evaluations(self) -> int:
        return self.max_iterations * (self.population_size + 1)

    def step_evaluations(self) -> int:
        return self.population_size + 1  # the population and the mean's program

    def start(self, space: SearchSpace | None, seed: int) -> None:
        assert isinstance(space, VectorSpace)
        self.space = space
        self.generator = torch.Generator().manual_seed(seed)
        self.mean = initial_mean(self.init_type, space.dim, self.generator)
        self.recent: deque[float] = deque(maxlen=self.converge_iterations)  # the mean's program's last returns
        self.phase_start = 0  # iteration the current restart began at (the sigma schedule counts from it)
        self.stall = 0  # iterations since the best program last improved
        self.restarts = 0
        self.is_converged = False
        self.last_mean: tuple[str, float] | None = None  # the mean's greedy program at the latest iteration

    def state(self) -> dict:
        return {"generator": self.generator.get_state().tolist(), "mean": self.mean.tolist(),
                "recent": list(self.recent), "phase_start": self.phase_start, "stall": self.stall,
                "restarts": self.restarts, "last_mean": self.last_mean}

    def load(self, state: dict) -> None:
        self.generator.set_state(torch.tensor(state["generator"], dtype=torch.uint8))
        self.mean = torch.tensor(state["mean"], dtype=torch.float32)
        self.recent.extend(state["recent"])
        self.phase_start, self.stall, self.restarts = state["phase_start"], state["stall"], state["restarts"]
        last_mean = state.get("last_mean")  # absent from states saved before it was kept
        self.last_mean = None if last_mean is None else (str(last_mean[0]), float(last_mean[1]))

    def step(self, evaluate: Evaluations, iteration: int) -> Step:
        index = iteration - 1  # 0-based, as the reference's schedule counts
        sigma = sigma_at(self, index - self.phase_start)
        best_before = evaluate.best.mean_return
        population = self.mean + sigma * torch.randn(self.population_size, self.space.dim, generator=self.generator)
        programs = self.space.decode_vectors(population, greedy=self.population_decoding == "greedy",
                                             generator=self.generator)
        result = evaluate(programs)
        self.mean = elite_mean(population, result.raw_return, programs.texts, self)
        mean_program = self.space.decode_vectors(self.mean[None], greedy=True)
        mean_return = float(evaluate(mean_program).mean_return[0])
        self.recent.append(mean_return)
        self.last_mean = (mean_program.texts[0], mean_return)
        extra = {"sigma": sigma, "mean_program_return": mean_return, "mean_program": mean_program.texts[0],
                 "restarts": self.restarts}
        self.is_converged = len(self.recent) == self.converge_iterations and min(self.recent) >= evaluate.max_return
        if not self.is_converged:
            self._maybe_restart(evaluate, best_before, index)
        return Step(result.mean_return, extra)

    def _maybe_restart(self, evaluate: Evaluations, best_before: float, index: int) -> None:
        self.stall = 0 if evaluate.best.mean_return > best_before else self.stall + 1
        if self.restart_after is not None and self.stall >= self.restart_after and not evaluate.solved():
            self.mean = restart_mean(self.init_type, self.space.dim, self.generator)
            self.phase_start, self.stall, self.restarts = index + 1, 0, self.restarts + 1
            self.recent.clear()

    def done(self, evaluate: Evaluations) -> bool:
        return self.is_converged

    def converged(self, evaluate: Evaluations) -> bool:
        return self.is_converged

    def final_program(self) -> tuple[str, float] | None:
        """What the reference's pretrain/CEM.py reports: the mean's greedy
        program at the last iteration (with restarts: the current restart's)."""
        return self.last_mean


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


def sigma_at(cfg: CEM, iteration: int) -> float:
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


def elite_mean(population: torch.Tensor, rewards: np.ndarray, programs: list[str], cfg: CEM) -> torch.Tensor:
    order = sorted(range(len(programs)), key=lambda i: (rewards[i], programs[i]))
    elites = order[-cfg.n_elite :]
    if cfg.reduction == "mean":
        return population[elites].mean(dim=0)
    weights = torch.as_tensor(elite_weights(rewards[elites]), dtype=population.dtype)
    return (weights[:, None] * population[elites]).sum(dim=0) / (weights.sum() + 1e-5)
