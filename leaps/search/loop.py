"""The one search loop every method runs in: budget, best program, progress
reports, snapshots to resume from, and the result.

    from leaps.karel import protocols
    from leaps.search import CEM, LatentSpace, search
    evaluator = protocols.get("leaps").evaluator("maze")
    result = search(CEM(population_size=16), LatentSpace.from_config(model="leaps"), evaluator, eval_budget=1700,
                    seed=0)
"""

from __future__ import annotations

from leaps.karel.protocols.base import Evaluator
from leaps.search.evaluations import Evaluations, WorldRedraws
from leaps.search.methods.base import SearchMethod
from leaps.search.results import Callback, Checkpoint, IterationReport, SearchResult, finite_mean
from leaps.search.spaces import SPACES
from leaps.search.spaces.base import CAPABILITIES, SearchSpace

STATE_VERSION = 2
"""Version of the saved search state (2: one layout for every method)."""


class SpaceMismatch(ValueError):
    """A method that needs what its space does not provide."""


def check_fit(method: SearchMethod, space: SearchSpace | type[SearchSpace] | None) -> None:
    """``SpaceMismatch`` naming what ``method`` needs and ``space`` (an
    instance, or its class before it is built) lacks."""
    if not method.needs:
        return
    if space is None:
        raise SpaceMismatch(f"searcher={method.name} needs a search space")
    missing = sorted(method.needs - space.provides)
    if missing:
        fitting = [name for name in SPACES.names() if method.needs <= SPACES.get(name).provides]
        hint = f"; use {' or '.join(f'space={name}' for name in fitting)}" if fitting else ""
        raise SpaceMismatch(
            f"searcher={method.name} needs {' and '.join(CAPABILITIES[c] for c in missing)}, which "
            f"space={space.name} does not provide{hint}"
        )


def search(
    method: SearchMethod, space: SearchSpace | None, evaluator: Evaluator, eval_budget: int, seed: int,
    callback: Callback | None = None, state: dict | None = None, checkpoint: Checkpoint | None = None,
    remember: bool = True, redraws: WorldRedraws | None = None,
) -> SearchResult:
    """Run ``method`` in ``space`` on ``evaluator``'s task for at most
    ``eval_budget`` program evaluations. ``checkpoint`` receives the state at
    every iteration boundary (those its ``due()`` accepts, if it has one); passing one back as ``state`` continues the
    search exactly where that state was taken. ``remember``: run each distinct
    program once (leaps.search.score_cache; the result is the same either way).
    ``redraws``: score each iteration on the worlds of its draw (the
    reference's CEM); None: on ``evaluator``'s worlds throughout."""
    check_fit(method, space)
    evaluate = Evaluations(evaluator, eval_budget, remember)
    history: list[dict] = []
    iteration = 0
    method.start(space, seed)
    if state is not None:
        if state.get("version") != STATE_VERSION or state.get("method_name") != method.name:
            raise ValueError("the saved search state is of another version or searcher; delete it to start the "
                             "search afresh")
        method.load(state["method"])
        evaluate.load(state["evaluations"])
        history, iteration = list(state["history"]), state["iteration"]

    def snapshot() -> dict:
        return {"version": STATE_VERSION, "method_name": method.name, "method": method.state(),
                "evaluations": evaluate.state(), "history": list(history), "iteration": iteration}

    due = getattr(checkpoint, "due", None)  # a checkpoint may take only some boundaries (runner.StateSaver)
    while method.max_iterations is None or iteration < method.max_iterations:
        if checkpoint is not None and (due is None or due()):
            checkpoint(snapshot())  # an iteration boundary: resuming from here is exact
        if evaluate.room < method.step_evaluations():
            break
        iteration += 1
        draw = 0 if redraws is None else redraws.draw_at(iteration)  # the iteration's alone: resumes redraw alike
        if draw != evaluate.draw:
            evaluate.use_worlds(redraws.evaluator_for(draw), draw)
        step = method.step(evaluate, iteration)
        if step is None:
            break
        best = evaluate.best
        report = IterationReport(iteration, evaluate.count, best.mean_return, finite_mean(step.returns),
                                 float(step.returns.max()), best.program, step.extra)
        history.append(report.record())
        if callback is not None:
            callback(report)
        if method.done(evaluate):
            break
    best = evaluate.best
    final = method.final_program()
    return SearchResult(best.program, best.mean_return, best.raw_return, iteration, evaluate.count,
                        method.converged(evaluate), history, final_program=None if final is None else final[0],
                        final_return=None if final is None else final[1], trace=list(evaluate.trace))
