"""A plain-Python episode runner written from KAREL_SPEC_P2.md, deliberately
naive (worlds copied into lists, loop memory scanned linearly, rewards
recomputed from the whole grid), used only to check the compiled engine."""

from __future__ import annotations

import contextlib

import numpy as np

from leaps.karel import dsl
from leaps.karel.protocols.carvalho2024.tasks.base import InitialWorld

MAX_CALLS = 10_000
DR = (-1, 0, 1, 0)
DC = (0, 1, 0, -1)


class Crash(Exception):
    pass


class Stop(Exception):
    pass


class Episode:
    def __init__(self, task: str, world: InitialWorld):
        self.task = task
        self.walls = world.walls.copy()
        self.markers = world.markers.astype(int).copy()
        self.r, self.c, self.d = (int(x) for x in world.agent)
        self.p = [int(x) for x in world.params]
        self.food = [tuple(int(v) for v in f) for f in world.food]
        self.calls = 0
        self.crashed = False
        self.ret = 0.0
        self.memory: dict[int, list] = {}
        h, w = self.walls.shape
        self.M = (h - 2) * (w - 2)
        t = task
        if t == "topoff":
            self.cells = [(self.p[1 + 2 * i], self.p[2 + 2 * i]) for i in range(self.p[0])]
            self.prev = 0
        elif t in ("harvester", "cleanhouse"):
            self.prev = int(self.markers.sum())
        elif t in ("fourcorner", "seeder"):
            self.prev = 0
        elif t == "doorkey":
            self.locked = True
        elif t == "onestroke":
            self.prev_cell = (self.r, self.c)
            self.changes = 0
        elif t == "snake":
            self.length = 2
            self.snake = [(self.r, self.c)]
            self.food_cell = (self.p[2], self.p[3])
            self.next_food = 0

    # ---- execution -------------------------------------------------------
    def count(self) -> None:
        self.calls += 1
        if self.calls > MAX_CALLS:
            self.crashed = True

    def clear(self, r: int, c: int) -> bool:
        h, w = self.walls.shape
        return 0 <= r < h and 0 <= c < w and not self.walls[r, c]

    def test(self, cond: dsl.Condition) -> bool:
        self.count()
        d = {"frontIsClear": self.d, "leftIsClear": (self.d + 3) % 4, "rightIsClear": (self.d + 1) % 4}
        if cond.perception in d:
            k = d[cond.perception]
            v = self.clear(self.r + DR[k], self.c + DC[k])
        elif cond.perception == "markersPresent":
            v = self.markers[self.r, self.c] > 0
        else:
            v = self.markers[self.r, self.c] == 0
        return v != cond.negated

    def act(self, name: str) -> None:
        if self.crashed:
            return
        self.count()
        if name == "move":
            nr, nc = self.r + DR[self.d], self.c + DC[self.d]
            if not self.crashed and self.clear(nr, nc):
                self.r, self.c = nr, nc
            else:
                self.d = (self.d + 2) % 4
        elif name == "turnLeft":
            self.d = (self.d + 3) % 4
        elif name == "turnRight":
            self.d = (self.d + 1) % 4
        elif name == "pickMarker":
            if self.markers[self.r, self.c] > 0:
                self.markers[self.r, self.c] -= 1
        elif self.markers[self.r, self.c] < 10:
            self.markers[self.r, self.c] += 1
        terminated, reward = self.reward()
        self.ret += reward
        if terminated or self.crashed:
            raise Stop

    def body(self, stmts, path) -> None:
        for i, s in enumerate(stmts):
            here = path + (i,)
            if isinstance(s, dsl.Action):
                self.act(s.name)
            elif isinstance(s, dsl.If):
                if self.test(s.condition):
                    self.body(s.body, here)
            elif isinstance(s, dsl.IfElse):
                self.body(s.then_body if self.test(s.condition) else s.else_body, here)
            elif isinstance(s, dsl.Repeat):
                for _ in range(s.count):
                    self.body(s.body, here)
            else:
                seen = self.memory.setdefault(here, [])
                while self.test(s.condition):
                    world = (self.r, self.c, self.d, self.markers.tobytes())
                    if world in seen:
                        self.crashed = True
                    seen.append(world)
                    if self.crashed:
                        break
                    self.body(s.body, here)
            if self.crashed:
                # nothing a crashed run does can be rewarded any more
                raise Stop

    # ---- rewards ---------------------------------------------------------
    def reward(self) -> tuple[bool, float]:
        t, m = self.task, self.markers
        h, w = m.shape
        total = int(m.sum())
        pos = (self.r, self.c)
        if t == "stairclimber":
            if pos == (self.p[0], self.p[1]):
                return True, 1.0
            valid = [(h - 1 - i, i) for i in range(1, w - 1)] + [(h - 2 - i, i) for i in range(1, w - 2)]
            return (True, -1.0) if pos not in valid else (False, 0.0)
        if t == "maze":
            return (True, 1.0) if pos == (self.p[0], self.p[1]) else (False, 0.0)
        if t == "topoff":
            n = len(self.cells)
            if any(m[cell] == 0 for cell in self.cells):
                return True, -1.0
            k = sum(m[cell] == 2 for cell in self.cells)
            out = (True, -1.0) if total > k + n else (k == n, (k - self.prev) / n)
            self.prev = k
            return out
        if t in ("harvester", "cleanhouse"):
            out = (True, -1.0) if total > self.prev else (total == 0, (self.prev - total) / self.p[0])
            self.prev = total
            return out
        if t == "fourcorner":
            k = sum(m[cell] > 0 for cell in ((1, 1), (h - 2, 1), (1, w - 2), (h - 2, w - 2)))
            out = (True, -1.0) if total > k else (k == 4, (k - self.prev) / 4)
            self.prev = k
            return out
        if t == "seeder":
            if (m > 1).any() or total < self.prev:
                out = (True, -1.0)
            else:
                out = (total == self.M, (total - self.prev) / self.M)
            self.prev = total
            return out
        if t == "doorkey":
            key, goal, col = (self.p[0], self.p[1]), (self.p[2], self.p[3]), self.p[4]
            if self.locked:
                if total > 2:
                    return True, -1.0
                if m[key] == 0:
                    self.locked = False
                    self.walls[2, col] = self.walls[3, col] = False
                    return False, 0.5
                return False, 0.0
            if total > 1:
                return (True, 0.5) if m[goal] == 2 else (True, -1.0)
            return (True, -1.0) if total == 0 else (False, 0.0)
        if t == "onestroke":
            reward = 0.0
            if pos != self.prev_cell:
                self.changes += 1
                reward = 1.0 / self.M
                self.walls[self.prev_cell] = True
            self.prev_cell = pos
            return self.changes == self.M, reward
        # snake
        terminated, reward = False, 0.0
        if pos == self.food_cell:
            self.length += 1
            reward = 1 / 20
            if self.length == 22:
                terminated = True
            else:
                while True:
                    cell = self.food[self.next_food]
                    self.next_food += 1
                    if not (cell == pos and self.d == 1) and not self.walls[cell]:
                        self.food_cell = cell
                        break
        if pos in self.snake[:-1]:
            return True, -1.0
        if pos != self.snake[-1]:
            self.snake.append(pos)
            if len(self.snake) > self.length:
                self.snake.pop(0)
        return terminated, reward


def run_episode(program: dsl.Program, task: str, world: InitialWorld) -> tuple[float, int]:
    """(return, calls) of one episode."""
    ep = Episode(task, world)
    with contextlib.suppress(Stop):
        ep.body(program.body, ())
    return ep.ret, min(ep.calls, MAX_CALLS + 1)


def as_world(worlds, i: int) -> InitialWorld:
    return InitialWorld(worlds.walls[i], worlds.markers[i], tuple(worlds.agents[i]), worlds.params[i],
                        worlds.food[i])


__all__ = ["as_world", "run_episode", "np"]
