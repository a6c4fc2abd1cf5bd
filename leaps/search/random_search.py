"""Random search: programs drawn from the DSL prior, evaluated in batches."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from leaps.karel import dsl
from leaps.karel.program_generator import ProgramGenerator
from leaps.search.base import BestTracker, Callback, Checkpoint, Evaluator, IterationReport, SearchResult, finite_mean


@dataclass
class RandomSearchConfig:
    batch_size: int = 256
    budget: int = 32_000

    def __post_init__(self) -> None:
        if self.batch_size < 1 or self.budget < 1:
            raise ValueError("batch_size and budget must be >= 1")


def run_random_search(
    evaluator: Evaluator, cfg: RandomSearchConfig, seed: int, callback: Callback | None = None,
    state: dict | None = None, checkpoint: Checkpoint | None = None,
) -> SearchResult:
    rng = np.random.default_rng(seed)
    prior = ProgramGenerator()
    best = BestTracker()
    history: list[dict] = []
    iteration = 0
    if state is not None:
        rng.bit_generator.state = state["rng"]
        best.load(state["best"])
        history, iteration, evaluator.num_evaluations = state["history"], state["iteration"], state["evaluations"]

    def snapshot() -> dict:
        return {"rng": rng.bit_generator.state, "best": best.state(), "history": list(history), "iteration": iteration,
                "evaluations": evaluator.num_evaluations}

    while evaluator.num_evaluations < cfg.budget:
        last_state = snapshot()  # the state at an iteration boundary: resuming from it is exact
        if checkpoint is not None:
            checkpoint(last_state)
        iteration += 1
        n = min(cfg.batch_size, cfg.budget - evaluator.num_evaluations)
        texts = [dsl.to_text(p) for p in prior.sample_many(n, rng, unique=False)]
        result = evaluator.evaluate(texts)
        best.update(texts, result)
        report = IterationReport(iteration, evaluator.num_evaluations, best.mean_return,
                                 finite_mean(result.mean_return), float(result.mean_return.max()), best.program)
        history.append({k: v for k, v in report.__dict__.items() if k != "best_program"})
        if callback is not None:
            callback(report)
        if best.mean_return >= evaluator.max_return:
            break
    converged = best.mean_return >= evaluator.max_return
    return SearchResult(best.program, best.mean_return, best.raw_return, iteration, evaluator.num_evaluations,
                        converged, history)
