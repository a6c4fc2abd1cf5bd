"""A small, obviously-correct Karel interpreter written straight from the
pseudocode of KAREL_SPEC.md, used only to check the compiled one.

It rebuilds the reference's left-nested sequence tree and counts calls
exactly as the spec's pseudocode does, with its own world dynamics.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from leaps.karel import dsl

FRONT = {0: (-1, 0), 1: (0, 1), 2: (1, 0), 3: (0, -1)}


class _Abort(Exception):
    pass


class _ActionFailed(Exception):
    pass


@dataclass
class Seq:
    first: object
    second: object


def nest(body):
    """Flat statement list -> left-nested binary tree ((s1 s2) s3)."""
    node = nest_stmt(body[0])
    for stmt in body[1:]:
        node = Seq(node, nest_stmt(stmt))
    return node


def nest_stmt(stmt):
    match stmt:
        case dsl.Action():
            return stmt
        case dsl.While(c, b):
            return ("while", c, nest(b))
        case dsl.If(c, b):
            return ("if", c, nest(b))
        case dsl.IfElse(c, a, b):
            return ("ifelse", c, nest(a), nest(b))
        case dsl.Repeat(k, b):
            return ("repeat", k, nest(b))
    raise TypeError(stmt)


class PureInterpreter:
    def __init__(self, walls, markers, agent, strict: bool, budget: int = 220):
        self.walls = np.array(walls, dtype=bool)
        self.markers = np.array(markers, dtype=int)
        self.row, self.col, self.dir = (int(x) for x in agent)
        self.strict = strict
        self.budget = budget
        self.n = 0
        self.actions: list[int] = []
        self.branches: set[tuple[int, bool]] = set()

    # world -------------------------------------------------------------
    def clear(self, d):
        dr, dc = FRONT[d]
        r, c = self.row + dr, self.col + dc
        h, w = self.walls.shape
        return 0 <= r < h and 0 <= c < w and not self.walls[r, c]

    def test(self, cond: dsl.Condition) -> bool:
        p = cond.perception
        if p == "frontIsClear":
            v = self.clear(self.dir)
        elif p == "leftIsClear":
            v = self.clear((self.dir + 3) % 4)
        elif p == "rightIsClear":
            v = self.clear((self.dir + 1) % 4)
        elif p == "markersPresent":
            v = self.markers[self.row, self.col] > 0
        else:
            v = self.markers[self.row, self.col] == 0
        return (not v) if cond.negated else v

    def perform(self, name: str):
        ok = True
        if name == "move":
            if self.clear(self.dir):
                dr, dc = FRONT[self.dir]
                self.row += dr
                self.col += dc
            else:
                ok = False
                if not self.strict:
                    self.dir = (self.dir + 2) % 4
        elif name == "turnLeft":
            self.dir = (self.dir + 3) % 4
        elif name == "turnRight":
            self.dir = (self.dir + 1) % 4
        elif name == "pickMarker":
            if self.markers[self.row, self.col] > 0:
                self.markers[self.row, self.col] -= 1
            else:
                ok = False
        elif name == "putMarker":
            if self.markers[self.row, self.col] < 9:
                self.markers[self.row, self.col] += 1
            else:
                ok = False
        if not ok and self.strict:
            raise _ActionFailed
        self.actions.append(dsl.ACTIONS.index(name))

    # the spec's pseudocode ---------------------------------------------
    def check(self):
        if self.n > self.budget:
            raise _Abort

    def exec(self, node):
        self.check()
        self.n += 1
        self.check()
        if isinstance(node, dsl.Action):
            self.perform(node.name)
        elif isinstance(node, Seq):
            self.n += 1
            self.exec(node.first)
            self.check()
            self.exec(node.second)
        elif node[0] == "if":
            self.n += 1
            self.check()
            if self.record(node[1]):
                self.exec(node[2])
        elif node[0] == "ifelse":
            self.n += 1
            self.check()
            self.exec(node[2] if self.record(node[1]) else node[3])
        elif node[0] == "while":
            self.n += 1
            self.check()
            while self.record(node[1]):
                self.exec(node[2])
                self.check()
        elif node[0] == "repeat":
            self.n += 1
            for _ in range(node[1]):
                self.exec(node[2])

    def record(self, cond):
        value = self.test(cond)
        self.branches.add((id(cond), value))
        return value

    def run(self, program: dsl.Program) -> str:
        """Returns 'completed', 'budget' or 'error'."""
        try:
            self.check()
            self.n += 1
            self.exec(nest(program.body))
        except _Abort:
            return "budget"
        except _ActionFailed:
            return "error"
        return "completed"
