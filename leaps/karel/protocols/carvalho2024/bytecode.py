"""Programs to a flat bytecode for this protocol's engine.

The LEAPS compiler's bytecode encodes that protocol's budget accounting; this
protocol counts perception tests and actions only and needs a loop-guard
slot per WHILE node, so it gets its own small bytecode (same AST, same
parser). Layout, one int64 array per program:

    END                              stop
    ACT a                            action index a (dsl.ACTIONS order)
    IF p neg target                  test perception p (negated if neg); false: jump
    JUMP target
    WHILE p neg node exit            loop head: test, loop guard of WHILE node `node`
    REPINIT slot                     REPEAT counter `slot` := 0
    REPTEST slot n exit              counter < n: counter += 1, else jump
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from leaps.karel import dsl

OP_END, OP_ACT, OP_IF, OP_JUMP, OP_WHILE, OP_REPINIT, OP_REPTEST = range(7)
_ACTION_INDEX = {name: i for i, name in enumerate(dsl.ACTIONS)}
_PERCEPTION_INDEX = {name: i for i, name in enumerate(dsl.PERCEPTIONS)}

ProgramsLike = Sequence[str | Sequence[int] | dsl.Program] | np.ndarray


class _Emitter:
    def __init__(self) -> None:
        self.code: list[int] = []
        self.n_while = 0
        self.n_repeat = 0

    def body(self, stmts: Sequence[dsl.Statement]) -> None:
        for s in stmts:
            self.statement(s)

    def statement(self, s: dsl.Statement) -> None:
        code = self.code
        if isinstance(s, dsl.Action):
            code += [OP_ACT, _ACTION_INDEX[s.name]]
        elif isinstance(s, dsl.If):
            at = len(code)
            code += [OP_IF, _PERCEPTION_INDEX[s.condition.perception], int(s.condition.negated), -1]
            self.body(s.body)
            code[at + 3] = len(code)
        elif isinstance(s, dsl.IfElse):
            at = len(code)
            code += [OP_IF, _PERCEPTION_INDEX[s.condition.perception], int(s.condition.negated), -1]
            self.body(s.then_body)
            jump = len(code)
            code += [OP_JUMP, -1]
            code[at + 3] = len(code)
            self.body(s.else_body)
            code[jump + 1] = len(code)
        elif isinstance(s, dsl.While):
            head = len(code)
            code += [OP_WHILE, _PERCEPTION_INDEX[s.condition.perception], int(s.condition.negated), self.n_while, -1]
            self.n_while += 1
            self.body(s.body)
            code += [OP_JUMP, head]
            code[head + 4] = len(code)
        elif isinstance(s, dsl.Repeat):
            slot = self.n_repeat
            self.n_repeat += 1
            code += [OP_REPINIT, slot]
            test = len(code)
            code += [OP_REPTEST, slot, s.count, -1]
            self.body(s.body)
            code += [OP_JUMP, test]
            code[test + 3] = len(code)
        else:  # pragma: no cover - the parser produces nothing else
            raise TypeError(f"unknown statement {s!r}")


def compile_program(program: dsl.Program) -> tuple[list[int], int, int]:
    """(code, number of WHILE nodes, number of REPEAT nodes)."""
    em = _Emitter()
    em.body(program.body)
    em.code.append(OP_END)
    return em.code, em.n_while, em.n_repeat


def _as_program(p: str | Sequence[int] | dsl.Program) -> dsl.Program | None:
    if isinstance(p, dsl.Program):
        return p
    try:
        if not isinstance(p, str):
            p = dsl.strip_padding(int(t) for t in p)
        return dsl.parse(p)
    except dsl.ProgramError:
        return None


def compile_batch(programs: ProgramsLike) -> tuple[np.ndarray, np.ndarray, np.ndarray, int, int]:
    """Concatenated bytecode of every program: (code, offsets (P,), valid (P,),
    max WHILE nodes, max REPEAT nodes). An invalid program is a lone END."""
    rows = list(programs) if not isinstance(programs, np.ndarray) else list(programs)
    code: list[int] = []
    offsets = np.empty(len(rows), dtype=np.int64)
    valid = np.zeros(len(rows), dtype=bool)
    max_while = max_repeat = 0
    for i, p in enumerate(rows):
        offsets[i] = len(code)
        prog = _as_program(p)
        if prog is None:
            code.append(OP_END)
            continue
        c, nw, nr = compile_program(prog)
        # jump targets are relative to the program's own start
        code += c
        valid[i] = True
        max_while, max_repeat = max(max_while, nw), max(max_repeat, nr)
    return np.asarray(code, dtype=np.int64), offsets, valid, max_while, max_repeat
