"""Stochastic hill climbing with restarts (``searcher=hill_climbing``), in
two variants (``searcher.variant``):

- ``first_improvement``: the hill climbing of Carvalho, Tjhia & Lelis (ICLR
  2024; their ``StochasticHillClimbing2``, k = 250): draw ``neighbours``
  neighbours, score them one at a time and move to the first that is better
  (only those scored count), restart from a fresh individual at a local
  maximum. In ``space=program`` it climbs their grammar with their node
  mutation (leaps.search.spaces.carvalho_grammar); in ``space=latent`` it is
  their latent hill climbing (their ``HillClimbing`` in a ``LatentSpace``):
  neighbours that decode to no valid program are drawn again (at most 50
  times each), never scored. The batch is scored in one call and charged
  up to its first better neighbour (Evaluations.prefix).
- ``best_improvement`` (ours, the default under protocol=leaps): score all
  ``neighbours`` and move to the best while it improves; in program space
  neighbours are subtree mutations of the LEAPS prior."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from leaps.karel.compiler import compile_programs
from leaps.search.evaluations import Evaluations, Programs
from leaps.search.methods import METHODS
from leaps.search.methods.base import SearchMethod, Step, check_counts
from leaps.search.spaces.base import NEIGHBOURS, SAMPLES, SearchSpace

VARIANTS = ("best_improvement", "first_improvement")
REDRAWS = 50
"""Draws of a latent neighbour until it decodes to a valid program (their LatentSpace.get_neighbors)."""


@METHODS.register
@dataclass
class HillClimbing(SearchMethod):
    name = "hill_climbing"
    needs = frozenset({SAMPLES, NEIGHBOURS})

    neighbours: int = 250  # neighbours drawn per step (their k)
    variant: str = "best_improvement"  # best_improvement | first_improvement (Carvalho et al.'s)

    def __post_init__(self) -> None:
        check_counts(neighbours=self.neighbours)
        if self.variant not in VARIANTS:
            raise ValueError(f"variant must be one of {', '.join(VARIANTS)}, got {self.variant!r}")

    def check_budget(self, eval_budget: int) -> None:
        if eval_budget < self.neighbours:
            raise ValueError(f"eval_budget={eval_budget} is less than one neighbourhood (searcher.neighbours="
                             f"{self.neighbours}); give eval_budget >= {self.neighbours} or fewer neighbours")

    def start(self, space: SearchSpace | None, seed: int) -> None:
        assert space is not None
        self.space = space.for_climber(self.variant)
        self.rng = np.random.default_rng(seed)
        self.current: Any = None  # None: (re)start from the prior at the next step
        self.current_return = -np.inf

    def state(self) -> dict:
        current = None if self.current is None else self.space.to_json(self.current)
        return {"rng": self.rng.bit_generator.state, "current": current, "current_return": self.current_return}

    def load(self, state: dict) -> None:
        self.rng.bit_generator.state = state["rng"]
        self.current = None if state["current"] is None else self.space.from_json(state["current"])
        self.current_return = state["current_return"]

    def step(self, evaluate: Evaluations, iteration: int) -> Step | None:
        if self.variant == "first_improvement":
            return self._first_improvement(evaluate)
        if self.current is None:
            self.current = self.space.sample(1, self.rng)[0]
            self.current_return = float(evaluate(self.space.decode([self.current])).mean_return[0])
        count = min(self.neighbours, evaluate.room)
        if count == 0:
            return None
        neighbours = self.space.neighbours(self.current, count, self.rng)
        result = evaluate(self.space.decode(neighbours))
        i = result.best()
        improved = bool(result.mean_return[i] > self.current_return)
        if improved:
            self.current, self.current_return = neighbours[i], float(result.mean_return[i])
        else:
            self.current = None
        return Step(result.mean_return, {"restart": not improved})

    def _first_improvement(self, evaluate: Evaluations) -> Step | None:
        """One step of their loop: a restart scores its fresh individual first,
        then the neighbours until the first better one, in one batch charged
        up to that one (Evaluations.first_better)."""
        restart = self.current is None
        if restart:
            fresh, fresh_programs = self._valid(lambda n: self.space.sample(n, self.rng), 1)
            start = fresh[0]
        else:
            start = self.current
        neighbours, programs = self._valid(lambda n: self.space.neighbours(start, n, self.rng), self.neighbours)
        if restart:  # one batch: the fresh individual, then its neighbours
            neighbours = [start, *neighbours]
            programs = self.space.decode(neighbours) if self.space.always_valid else \
                Programs.from_texts([*fresh_programs.texts, *programs.texts])  # no second decoding
        total = min(len(neighbours), evaluate.room)
        if total == 0:
            return None
        if total < len(neighbours):  # the budget's last evaluations
            programs = Programs(programs.texts[:total], programs.encoded[:total])
        returns = evaluate.first_better(programs, None if restart else self.current_return).mean_return
        first = 1 if restart else 0
        if restart:
            self.current, self.current_return = start, float(returns[0])
        if len(returns) > first and returns[-1] > self.current_return:
            better = neighbours[len(returns) - 1]
            self.current = better.copy() if isinstance(better, np.ndarray) else better  # not a view of the batch
            self.current_return = float(returns[-1])
        elif len(returns) - first == self.neighbours:  # a local maximum: restart at the next step
            self.current = None
        return Step(returns, {"restart": self.current is None})

    def _valid(self, draw: Callable[[int], Sequence[Any]], n: int) -> tuple[Sequence[Any], Programs]:
        """``n`` individuals of ``draw`` and their programs, every one valid:
        invalid ones are drawn again, up to REDRAWS times each (kept after that)."""
        individuals = draw(n)
        programs = self.space.decode(individuals)
        if self.space.always_valid:
            return individuals, programs
        individuals, texts = list(individuals), list(programs.texts)
        for _ in range(REDRAWS - 1):
            bad = np.flatnonzero(~compile_programs(texts, leaps_counter=False).valid)
            if not len(bad):
                break
            again = draw(len(bad))
            again_texts = self.space.decode(again).texts
            for j, i in enumerate(bad):
                individuals[i], texts[i] = again[j], again_texts[j]
        return individuals, Programs.from_texts(texts)
