"""Subtree mutation of program ASTs (the program space's neighbours): replace one
statement by a fresh sample of the DSL prior, or re-draw one condition or
repeat count; results are always valid programs within the token limit."""

from __future__ import annotations

import dataclasses

import numpy as np

from leaps.karel import dsl
from leaps.karel.program_generator import ProgramGenerator

Path = tuple[tuple[int, str | None], ...]
"""Steps (index in the body, field of the nested body to enter); the last
step's field is None: the statement itself."""


def _bodies(stmt: dsl.Statement) -> list[str]:
    match stmt:
        case dsl.IfElse():
            return ["then_body", "else_body"]
        case dsl.While() | dsl.If() | dsl.Repeat():
            return ["body"]
    return []


def statement_paths(body: tuple[dsl.Statement, ...], prefix: Path = (), nesting: int = 0) -> list[tuple[Path, int]]:
    """Every statement's path with its nesting level, in token order."""
    out: list[tuple[Path, int]] = []
    for i, stmt in enumerate(body):
        out.append((prefix + ((i, None),), nesting))
        for name in _bodies(stmt):
            out += statement_paths(getattr(stmt, name), prefix + ((i, name),), nesting + 1)
    return out


def _replace(body: tuple[dsl.Statement, ...], path: Path, new: list[dsl.Statement]) -> tuple[dsl.Statement, ...]:
    (i, name), rest = path[0], path[1:]
    if name is None:
        return body[:i] + tuple(new) + body[i + 1 :]
    stmt = body[i]
    inner = _replace(getattr(stmt, name), rest, new)
    return body[:i] + (dataclasses.replace(stmt, **{name: inner}),) + body[i + 1 :]


def _get(body: tuple[dsl.Statement, ...], path: Path) -> dsl.Statement:
    (i, name), rest = path[0], path[1:]
    return body[i] if name is None else _get(getattr(body[i], name), rest)


class Mutator:
    def __init__(self, generator: ProgramGenerator | None = None, max_tokens: int = dsl.MAX_PROGRAM_TOKENS,
                 max_tries: int = 50):
        self.generator = generator or ProgramGenerator()
        self.max_tokens = max_tokens
        self.max_tries = max_tries

    def mutate(self, program: dsl.Program, rng: np.random.Generator) -> dsl.Program:
        """One random neighbour of ``program`` (the program itself if no
        valid mutation was found in ``max_tries`` draws)."""
        paths = statement_paths(program.body)
        for _ in range(self.max_tries):
            path, nesting = paths[int(rng.integers(len(paths)))]
            stmt = _get(program.body, path)
            if rng.random() < 0.2 and not isinstance(stmt, dsl.Action):
                new = [self._redraw_header(stmt, rng)]
            else:
                depth = 1 + 2 * nesting
                new = self.generator._stmt(rng, depth, nesting)
            candidate = dsl.Program(_replace(program.body, path, new))
            if candidate != program and dsl.count_tokens(candidate) <= self.max_tokens:
                return candidate
        return program

    def _redraw_header(self, stmt: dsl.Statement, rng: np.random.Generator) -> dsl.Statement:
        if isinstance(stmt, dsl.Repeat):
            return dataclasses.replace(stmt, count=int(rng.integers(dsl.MAX_REPEAT + 1)))
        return dataclasses.replace(stmt, condition=self.generator._condition(rng))
