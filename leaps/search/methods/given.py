"""``searcher=given``: no search, one program you wrote or edited
(``searcher.program='DEF run m( ... m)'``) scored like a search's best, its
per-world returns in the history. It needs nothing of a space."""

from __future__ import annotations

from dataclasses import dataclass

from leaps.karel import dsl
from leaps.search.evaluations import Evaluations, Programs
from leaps.search.methods import METHODS
from leaps.search.methods.base import SearchMethod, Step
from leaps.search.spaces.base import SearchSpace


@METHODS.register
@dataclass
class GivenProgram(SearchMethod):
    name = "given"

    program: str = ""

    def __post_init__(self) -> None:
        if not str(self.program).strip():
            raise ValueError("searcher=given needs a program: add searcher.program='DEF run m( ... m)'")
        try:
            self.text = dsl.to_text(dsl.parse(str(self.program), max_tokens=None))
        except dsl.ProgramError as err:
            raise ValueError(f"searcher.program is not a valid program: {err}") from None

    def start(self, space: SearchSpace | None, seed: int) -> None:
        pass

    def state(self) -> dict:
        return {}

    def load(self, state: dict) -> None:
        pass

    def step(self, evaluate: Evaluations, iteration: int) -> Step:
        result = evaluate(Programs.from_texts([self.text]))
        return Step(result.mean_return, {"per_world": result.per_world[0].tolist()})

    def done(self, evaluate: Evaluations) -> bool:
        return True
