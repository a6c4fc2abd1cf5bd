"""Random programs from the reference's probabilistic grammar (KAREL_SPEC.md,
"Random programs"): top-down sampling with depth and nesting limits."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from leaps.karel import dsl

STATEMENT_PROBS: dict[str, float] = {
    "while": 0.15,
    "repeat": 0.03,
    "stmt_stmt": 0.5,
    "action": 0.2,
    "if": 0.08,
    "ifelse": 0.04,
}
CONDITION_PROBS: dict[str, float] = {"percept": 0.9, "not": 0.1}
PERCEPTION_PROBS: dict[str, float] = {
    "frontIsClear": 0.5,
    "leftIsClear": 0.15,
    "rightIsClear": 0.15,
    "markersPresent": 0.1,
    "noMarkersPresent": 0.1,
}
ACTION_PROBS: dict[str, float] = {
    "move": 0.5,
    "turnRight": 0.15,
    "turnLeft": 0.15,
    "pickMarker": 0.1,
    "putMarker": 0.1,
}
MAX_DEPTH = 6
MAX_NESTING = 4
SEQUENCE_DEPTH = 2
"""How much deeper each ``stmt`` of a ``stmt stmt`` expansion is than the
``stmt`` it replaces: 2, as in the reference, where ``stmt -> stmt_stmt ->
stmt stmt`` passes through a non-terminal of its own. This repository's
sampler had 1 until 2026-11-28 (its programs: mean 28 tokens instead of 19,
22% over 45 tokens instead of 0.05%); the datasets and program-space sweeps
made then used it, and ``sequence_depth=1`` still gives them."""


def _choice_table(probs: dict[str, float]) -> tuple[tuple[str, ...], np.ndarray]:
    names = tuple(probs)
    cumulative = np.cumsum([probs[n] for n in names])
    return names, cumulative / cumulative[-1]


@dataclass
class ProgramGenerator:
    """Samples :class:`~leaps.karel.dsl.Program` s.

    A ``stmt`` expanded at depth > ``max_depth`` or nesting > ``max_nesting``
    becomes an action. Every expansion of a non-terminal is one level
    deeper, so a control statement's body is two levels below the ``stmt``
    it replaces (``stmt -> while -> stmt``) and so is each half of a sequence
    (``stmt -> stmt_stmt -> stmt stmt``; ``sequence_depth``); entering
    while/repeat/if/ifelse also nests one level.
    """

    max_depth: int = MAX_DEPTH
    max_nesting: int = MAX_NESTING
    sequence_depth: int = SEQUENCE_DEPTH
    statement_probs: dict[str, float] = field(default_factory=lambda: dict(STATEMENT_PROBS))
    condition_probs: dict[str, float] = field(default_factory=lambda: dict(CONDITION_PROBS))
    perception_probs: dict[str, float] = field(default_factory=lambda: dict(PERCEPTION_PROBS))
    action_probs: dict[str, float] = field(default_factory=lambda: dict(ACTION_PROBS))

    def __post_init__(self) -> None:
        if isinstance(self.sequence_depth, bool) or not isinstance(self.sequence_depth, int) or self.sequence_depth < 1:
            raise ValueError(f"sequence_depth must be an integer >= 1, got {self.sequence_depth!r}")
        for name, probs, allowed in (
            ("statement", self.statement_probs, set(STATEMENT_PROBS)),
            ("condition", self.condition_probs, set(CONDITION_PROBS)),
            ("perception", self.perception_probs, set(dsl.PERCEPTIONS)),
            ("action", self.action_probs, set(dsl.ACTIONS)),
        ):
            unknown = set(probs) - allowed
            if unknown or any(p < 0 for p in probs.values()) or sum(probs.values()) <= 0:
                raise ValueError(f"bad {name} probabilities {probs}: keys must be among {sorted(allowed)}")
        self._stmt_table = _choice_table(self.statement_probs)
        self._cond_table = _choice_table(self.condition_probs)
        self._percept_table = _choice_table(self.perception_probs)
        self._action_table = _choice_table(self.action_probs)

    @staticmethod
    def _pick(table: tuple[tuple[str, ...], np.ndarray], u: float) -> str:
        names, cumulative = table
        return names[min(int(np.searchsorted(cumulative, u, side="right")), len(names) - 1)]

    def _action_stmt(self, rng: np.random.Generator) -> dsl.Action:
        return dsl.Action(self._pick(self._action_table, rng.random()))

    def _condition(self, rng: np.random.Generator) -> dsl.Condition:
        negated = self._pick(self._cond_table, rng.random()) == "not"
        return dsl.Condition(self._pick(self._percept_table, rng.random()), negated)

    def _stmt(self, rng: np.random.Generator, depth: int, nesting: int) -> list[dsl.Statement]:
        """Expand one ``stmt`` non-terminal into a flat statement list."""
        if depth > self.max_depth or nesting > self.max_nesting:
            return [self._action_stmt(rng)]
        kind = self._pick(self._stmt_table, rng.random())
        if kind == "action":
            return [self._action_stmt(rng)]
        if kind == "stmt_stmt":
            inner = depth + self.sequence_depth
            return self._stmt(rng, inner, nesting) + self._stmt(rng, inner, nesting)
        # Control flow: the construct is one level deeper, its parts two.
        inner_depth, inner_nesting = depth + 2, nesting + 1
        if kind == "while":
            return [dsl.While(self._condition(rng), tuple(self._stmt(rng, inner_depth, inner_nesting)))]
        if kind == "repeat":
            count = int(rng.integers(0, dsl.MAX_REPEAT + 1))
            return [dsl.Repeat(count, tuple(self._stmt(rng, inner_depth, inner_nesting)))]
        if kind == "if":
            return [dsl.If(self._condition(rng), tuple(self._stmt(rng, inner_depth, inner_nesting)))]
        cond = self._condition(rng)
        then_body = tuple(self._stmt(rng, inner_depth, inner_nesting))
        else_body = tuple(self._stmt(rng, inner_depth, inner_nesting))
        return [dsl.IfElse(cond, then_body, else_body)]

    def sample(self, rng: np.random.Generator) -> dsl.Program:
        """One program, with no length limit (see :meth:`sample_many`)."""
        return dsl.Program(tuple(self._stmt(rng, 1, 0)))

    def sample_many(
        self, n: int, rng: np.random.Generator, max_tokens: int = dsl.MAX_PROGRAM_TOKENS, unique: bool = True
    ) -> list[dsl.Program]:
        """``n`` programs of at most ``max_tokens`` tokens, rejecting longer
        ones and (by default) duplicates, as the reference does."""
        seen: set[dsl.Program] = set()
        out: list[dsl.Program] = []
        while len(out) < n:
            prog = self.sample(rng)
            if dsl.count_tokens(prog) > max_tokens or (unique and prog in seen):
                continue
            seen.add(prog)
            out.append(prog)
        return out
