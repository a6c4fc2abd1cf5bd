"""Maze (sparse): reach the marker of a depth-first-carved maze."""

from __future__ import annotations

import numba as nb
import numpy as np

from leaps.karel.protocols.carvalho2024 import legacy_rng
from leaps.karel.protocols.carvalho2024.tasks.base import InitialWorld, drawn_world, set_world

HEIGHT, WIDTH = 12, 12


@nb.njit(cache=True, nogil=True)
def draw(rng, walls, markers, agent, params, food):
    """Depth-first carving from the start cell with an explicit stack; a
    cell's neighbours are listed as the reference lists them (as cells
    r * w + c: shuffling those is shuffling its list of [r, c] lists)."""
    h, w = walls.shape
    walls[:, :] = True
    sr, sc = h - 2, 1
    walls[sr, sc] = False
    visited = np.zeros((h, w), dtype=np.bool_)
    visited[sr, sc] = True
    stack = np.empty(h * w, dtype=np.int64)
    stack[0] = sr * w + sc
    top = 1
    neighbours = np.empty(4, dtype=np.int64)
    while top > 0:
        top -= 1
        r, c = divmod(stack[top], w)
        k = 0  # neighbours two cells away strictly inside: up, down, left, right
        if r - 2 > 0:
            neighbours[k] = (r - 2) * w + c
            k += 1
        if r + 2 < h - 1:
            neighbours[k] = (r + 2) * w + c
            k += 1
        if c - 2 > 0:
            neighbours[k] = r * w + c - 2
            k += 1
        if c + 2 < w - 1:
            neighbours[k] = r * w + c + 2
            k += 1
        legacy_rng.shuffle(rng, neighbours[:k])
        for j in range(k):
            nr, nc = divmod(neighbours[j], w)
            if not visited[nr, nc]:
                visited[nr, nc] = True
                walls[(r + nr) // 2, (c + nc) // 2] = False
                walls[nr, nc] = False
                stack[top] = neighbours[j]
                top += 1
    while True:
        mr = legacy_rng.randint(rng, 1, h - 1)
        mc = legacy_rng.randint(rng, 1, w - 1)
        if not walls[mr, mc] and (mr != sr or mc != sc):
            break
    set_world(markers, agent, params, sr, sc, 1)
    markers[mr, mc] = 1
    params[0] = mr
    params[1] = mc


def generate(seed: int, height: int = HEIGHT, width: int = WIDTH) -> InitialWorld:
    return drawn_world(draw, seed, height, width)


@nb.njit(cache=True, nogil=True)
def init_state(params, istate):
    pass


@nb.njit(cache=True, nogil=True, inline="always")
def reward(walls, markers, r, c, d, total, n_over1, params, istate, food):
    if r == params[0] and c == params[1]:
        return True, 1.0
    return False, 0.0
