"""StairClimber (sparse): climb the stairs to the marker without leaving them."""

from __future__ import annotations

import numba as nb
import numpy as np

from leaps.karel.protocols.carvalho2024.tasks.base import InitialWorld, border_walls, make_params

HEIGHT, WIDTH = 12, 12


def stair_cells(height: int, width: int) -> list[tuple[int, int]]:
    return [(height - 1 - i, i) for i in range(1, width - 1)]


def generate(seed: int, height: int = HEIGHT, width: int = WIDTH) -> InitialWorld:
    rng = np.random.RandomState(seed)
    walls = border_walls(height, width)
    for i in range(1, width - 2):
        walls[height - 1 - i, i + 1] = True
        walls[height - 1 - i, i + 2] = True
    stairs = stair_cells(height, width)
    start = rng.randint(0, len(stairs) - 1)  # never the last step
    goal = rng.randint(start + 1, len(stairs))
    markers = np.zeros((height, width), dtype=np.int8)
    markers[stairs[goal]] = 1
    return InitialWorld(walls, markers, (*stairs[start], 1), make_params(*stairs[goal]))


@nb.njit(cache=True, nogil=True)
def init_state(params, istate):
    pass


@nb.njit(cache=True, nogil=True)
def reward(walls, markers, r, c, d, total, n_over1, params, istate, food):
    h, w = walls.shape
    if r == params[0] and c == params[1]:
        return True, 1.0
    on_stair = 1 <= c <= w - 2 and r == h - 1 - c
    above_stair = 1 <= c <= w - 3 and r == h - 2 - c
    if not (on_stair or above_stair):
        return True, -1.0
    return False, 0.0
