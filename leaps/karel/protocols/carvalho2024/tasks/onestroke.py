"""OneStroke: visit cells without coming back; each cell left becomes a wall."""

from __future__ import annotations

import numba as nb
import numpy as np

from leaps.karel.protocols.carvalho2024.tasks.base import InitialWorld, border_walls, make_params

HEIGHT, WIDTH = 8, 8


def generate(seed: int, height: int = HEIGHT, width: int = WIDTH) -> InitialWorld:
    rng = np.random.RandomState(seed)
    col = rng.randint(1, width - 1)  # column first (reference order)
    row = rng.randint(1, height - 1)
    markers = np.zeros((height, width), dtype=np.int8)
    return InitialWorld(border_walls(height, width), markers, (row, col, 1),
                        make_params(row, col, (height - 2) * (width - 2)))


@nb.njit(cache=True, nogil=True)
def init_state(params, istate):
    istate[0] = params[0]  # agent cell at the previous check
    istate[1] = params[1]
    istate[2] = 0  # cells changed


@nb.njit(cache=True, nogil=True)
def reward(walls, markers, r, c, d, total, n_over1, params, istate, food):
    rew = 0.0
    if r != istate[0] or c != istate[1]:
        istate[2] += 1
        rew = 1.0 / params[2]
        walls[istate[0], istate[1]] = True
    istate[0] = r
    istate[1] = c
    return istate[2] == params[2], rew
