"""Maze (sparse): reach the marker of a depth-first-carved maze."""

from __future__ import annotations

import numba as nb
import numpy as np

from leaps.karel.protocols.carvalho2024.tasks.base import InitialWorld, make_params

HEIGHT, WIDTH = 12, 12


def generate(seed: int, height: int = HEIGHT, width: int = WIDTH) -> InitialWorld:
    rng = np.random.RandomState(seed)
    walls = np.ones((height, width), dtype=bool)
    start = (height - 2, 1)
    walls[start] = False
    visited = np.zeros((height, width), dtype=bool)
    visited[start] = True
    stack = [list(start)]
    while stack:
        r, c = stack.pop()
        # neighbours two cells away strictly inside: up, down, left, right
        neighbours = []
        if r - 2 > 0:
            neighbours.append([r - 2, c])
        if r + 2 < height - 1:
            neighbours.append([r + 2, c])
        if c - 2 > 0:
            neighbours.append([r, c - 2])
        if c + 2 < width - 1:
            neighbours.append([r, c + 2])
        rng.shuffle(neighbours)  # a list of lists, as the reference shuffles it
        for nr, nc in neighbours:
            if not visited[nr, nc]:
                visited[nr, nc] = True
                walls[(r + nr) // 2, (c + nc) // 2] = False
                walls[nr, nc] = False
                stack.append([nr, nc])
    while True:
        mr = rng.randint(1, height - 1)
        mc = rng.randint(1, width - 1)
        if not walls[mr, mc] and (mr, mc) != start:
            break
    markers = np.zeros((height, width), dtype=np.int8)
    markers[mr, mc] = 1
    return InitialWorld(walls, markers, (*start, 1), make_params(mr, mc))


@nb.njit(cache=True, nogil=True)
def init_state(params, istate):
    pass


@nb.njit(cache=True, nogil=True)
def reward(walls, markers, r, c, d, total, n_over1, params, istate, food):
    if r == params[0] and c == params[1]:
        return True, 1.0
    return False, 0.0
