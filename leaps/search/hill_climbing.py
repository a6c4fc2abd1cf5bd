"""Stochastic hill climbing in program space with restarts (after Carvalho,
Tjhia & Lelis, ICLR 2024): from a program of the DSL prior, evaluate
``neighbours`` subtree mutations, move to the best one while it improves,
restart from a new random program when none does."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from leaps.karel import dsl
from leaps.karel.program_generator import ProgramGenerator
from leaps.search.base import BestTracker, Callback, Checkpoint, Evaluator, IterationReport, SearchResult, finite_mean
from leaps.search.mutation import Mutator


@dataclass
class HillClimbingConfig:
    neighbours: int = 250
    budget: int = 32_000

    def __post_init__(self) -> None:
        if self.neighbours < 1 or self.budget < 1:
            raise ValueError("neighbours and budget must be >= 1")


def run_hill_climbing(
    evaluator: Evaluator, cfg: HillClimbingConfig, seed: int, callback: Callback | None = None,
    state: dict | None = None, checkpoint: Checkpoint | None = None,
) -> SearchResult:
    rng = np.random.default_rng(seed)
    prior = ProgramGenerator()
    mutator = Mutator(prior)
    best = BestTracker()
    history: list[dict] = []
    current: dsl.Program | None = None
    current_return = -np.inf
    iteration = 0
    if state is not None:
        rng.bit_generator.state = state["rng"]
        best.load(state["best"])
        history = state["history"]
        current = dsl.parse(state["current"]) if state["current"] else None
        current_return = state["current_return"]
        iteration = state["iteration"]
        evaluator.num_evaluations = state["evaluations"]

    def snapshot() -> dict:
        return {"rng": rng.bit_generator.state, "best": best.state(), "history": list(history),
                "current": dsl.to_text(current) if current is not None else None,
                "current_return": current_return, "iteration": iteration, "evaluations": evaluator.num_evaluations}

    while evaluator.num_evaluations < cfg.budget:
        last_state = snapshot()  # the state at an iteration boundary: resuming from it is exact
        if checkpoint is not None:
            checkpoint(last_state)
        iteration += 1
        if current is None:  # (re)start
            current = prior.sample_many(1, rng)[0]
            start = evaluator.evaluate([current])
            best.update([dsl.to_text(current)], start)
            current_return = float(start.mean_return[0])
        room = cfg.budget - evaluator.num_evaluations
        neighbours = [mutator.mutate(current, rng) for _ in range(min(cfg.neighbours, room))]
        if not neighbours:
            break
        texts = [dsl.to_text(p) for p in neighbours]
        result = evaluator.evaluate(texts)
        best.update(texts, result)
        i = result.best()
        improved = result.mean_return[i] > current_return
        if improved:
            current, current_return = neighbours[i], float(result.mean_return[i])
        else:
            current = None
        report = IterationReport(iteration, evaluator.num_evaluations, best.mean_return,
                                 finite_mean(result.mean_return), float(result.mean_return.max()), best.program,
                                 {"restart": not improved})
        history.append({k: v for k, v in report.__dict__.items() if k != "best_program"})
        if callback is not None:
            callback(report)
        if best.mean_return >= evaluator.max_return:
            break
    converged = best.mean_return >= evaluator.max_return
    return SearchResult(best.program, best.mean_return, best.raw_return, iteration, evaluator.num_evaluations,
                        converged, history)
