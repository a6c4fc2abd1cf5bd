"""The one place a search's program evaluations are counted: one evaluation
is one program on all of the task's worlds, the unit of ``eval_budget``
whatever the method, space or protocol. The evaluators of
leaps.karel.protocols count nothing; rendering, the held-out test and the
generalisation test go to them directly and so never count."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from leaps.karel.protocols.base import Evaluator, Scores, first_scores, join_scores
from leaps.search.results import BestTracker
from leaps.search.score_cache import ScoreCache, stop_mask


@dataclass
class Programs:
    """A batch of candidate programs: their text (for the best program,
    ties and logs) and the form the evaluator reads fastest (a token id
    matrix from a decoder, ASTs, or the texts themselves). ``texts`` may be
    made lazily (leaps.search.spaces.tokens.LazyTexts): only the best
    program's is read."""

    texts: Sequence[str]
    encoded: Any

    @classmethod
    def from_texts(cls, texts: list[str]) -> Programs:
        return cls(list(texts), list(texts))

    def __len__(self) -> int:
        return len(self.texts)


@dataclass(frozen=True)
class WorldRedraws:
    """A search whose worlds are redrawn every ``every`` iterations
    (``protocol.redraw_every``): iteration i (1-based) scores programs on the
    worlds of draw ceil(i / every), those of ``evaluator_for(draw)``. The
    reference's CEM runs so: each of its environments evaluates one program
    per iteration and resets, drawing new worlds, after 100 steps (its
    ``max_episode_steps``), and once more before the first."""

    every: int
    evaluator_for: Callable[[int], Evaluator]

    def __post_init__(self) -> None:
        if self.every < 1:
            raise ValueError(f"redraw_every must be >= 1 iteration, got {self.every}")

    def draw_at(self, iteration: int) -> int:
        return (iteration - 1) // self.every + 1


class Evaluations:
    """A search's evaluator, counting every program it scores against
    ``eval_budget`` and keeping the best program seen."""

    def __init__(self, evaluator: Evaluator, eval_budget: int, remember: bool = True):
        """``remember``: run each distinct program once (leaps.search.score_cache);
        the count, the scores and so the search are the same either way."""
        if eval_budget < 1:
            raise ValueError(f"eval_budget must be >= 1 program evaluation, got {eval_budget}")
        self.remember = remember
        self.evaluator: Evaluator = ScoreCache(evaluator) if remember else evaluator
        self.draw = 0  # which of the search's sets of worlds ``evaluator`` scores on (WorldRedraws)
        self.eval_budget = eval_budget
        self.count = 0
        self.best = BestTracker()
        self.trace: list[tuple[int, float]] = []
        """(evaluations, return) at every improvement of the best return, in
        evaluation order: how fast a search got where it got."""

    @property
    def max_return(self) -> float:
        return self.evaluator.max_return

    @property
    def room(self) -> int:
        """Evaluations left in the budget."""
        return self.eval_budget - self.count

    def use_worlds(self, evaluator: Evaluator, draw: int) -> None:
        """Score from now on with ``evaluator`` (the worlds of ``draw``),
        forgetting every remembered score; the count and the best program
        (with the return it had when scored) stay."""
        self.evaluator = ScoreCache(evaluator) if self.remember else evaluator
        self.draw = draw

    def solved(self) -> bool:
        """Whether the best program reaches the task's maximum return."""
        return self.best.mean_return >= self.max_return

    def __call__(self, programs: Programs) -> Scores:
        if len(programs) > self.room:  # a method's bug, never a user's: methods ask for ``room`` first
            raise RuntimeError(f"{len(programs)} programs exceed the {self.room} evaluations left")
        scores = self.evaluator.evaluate(programs.encoded)
        self._trace(scores.mean_return)
        self.count += len(scores)
        self.best.update(programs.texts, scores)
        return scores

    def until_solved(self, programs: Programs) -> Scores:
        """Score ``programs`` as if one at a time, stopping after the first
        that reaches the task's maximum: only the programs up to it count
        and are returned (the successors' latent CEM evaluates this way)."""
        return self.first_better(programs, threshold=np.inf)

    def first_better(self, programs: Programs, threshold: float | None) -> Scores:
        """Score ``programs`` as a method that scores them one at a time and
        stops after the first whose return exceeds ``threshold`` (None: the
        first program's return) or reaches the task's maximum would: only the
        programs up to that one count, can become the best and are returned
        (first-improvement hill climbing). An evaluator with
        ``evaluate_until`` (leaps.karel.protocols.carvalho2024) stops in
        compiled code; others score the whole batch, then cut it."""
        if len(programs) > self.room:
            raise RuntimeError(f"{len(programs)} programs exceed the {self.room} evaluations left")
        until = getattr(self.evaluator, "evaluate_until", None)
        parts: list[Scores] = []
        returns = np.empty(0)
        while True:  # evaluate_until returns a prefix; the cut below is decided here, in NumPy, either way
            rest = programs.encoded[len(returns):] if parts else programs.encoded
            bar = threshold if threshold is not None or not len(returns) else float(returns[0])
            part = self.evaluator.evaluate(rest) if until is None else until(rest, bar)
            parts.append(part)
            returns = np.concatenate([returns, part.mean_return])
            keep = _first_stop(returns, threshold, self.max_return)
            if keep is not None or len(returns) >= len(programs):
                break
        scores = parts[0] if len(parts) == 1 else join_scores(parts)
        keep = len(returns) if keep is None else keep
        if keep < len(scores):
            scores = first_scores(scores, keep)
        programs = Programs(programs.texts[:keep], None)
        self._trace(scores.mean_return)
        self.count += len(scores)
        self.best.update(programs.texts, scores)
        return scores

    def _trace(self, returns: np.ndarray) -> None:
        """Add the batch's improvements, as if its programs were scored one by one."""
        if not len(returns):
            return
        best = self.trace[-1][1] if self.trace else -np.inf
        before = np.maximum.accumulate(np.concatenate([[best], returns[:-1]]))  # best before each program
        self.trace += [(self.count + int(i) + 1, float(returns[i])) for i in np.flatnonzero(returns > before)]

    def state(self) -> dict:
        return {"count": self.count, "best": self.best.state(), "trace": [list(t) for t in self.trace]}

    def load(self, state: dict) -> None:
        self.count = state["count"]
        self.best.load(state["best"])
        self.trace = [(int(n), float(r)) for n, r in state.get("trace", [])]  # absent from older states


def _first_stop(returns: np.ndarray, threshold: float | None, max_return: float) -> int | None:
    """How many of ``returns`` are scored up to the first better than
    ``threshold`` (None: than the first) or at ``max_return``; None if none is."""
    if not len(returns):
        return None
    bar = float(returns[0]) if threshold is None else threshold
    hits = np.flatnonzero(stop_mask(returns, bar, max_return, first_is_bar=threshold is None))
    return int(hits[0]) + 1 if len(hits) else None
