"""FourCorners (dense): put one marker on each corner, nowhere else."""

from __future__ import annotations

import numba as nb
import numpy as np

from leaps.karel.protocols.carvalho2024.tasks.base import InitialWorld, border_walls, make_params

HEIGHT, WIDTH = 12, 12


def generate(seed: int, height: int = HEIGHT, width: int = WIDTH) -> InitialWorld:
    rng = np.random.RandomState(seed)
    walls = border_walls(height, width)
    col = rng.randint(2, width - 2)
    markers = np.zeros((height, width), dtype=np.int8)
    return InitialWorld(walls, markers, (height - 2, col, 1), make_params())


@nb.njit(cache=True, nogil=True)
def init_state(params, istate):
    istate[0] = 0  # corners marked at the previous check


@nb.njit(cache=True, nogil=True)
def reward(walls, markers, r, c, d, total, n_over1, params, istate, food):
    h, w = walls.shape
    k = 0
    if markers[1, 1] != 0:
        k += 1
    if markers[h - 2, 1] != 0:
        k += 1
    if markers[1, w - 2] != 0:
        k += 1
    if markers[h - 2, w - 2] != 0:
        k += 1
    rew = (k - istate[0]) / 4
    term = False
    if total > k:
        term = True
        rew = -1.0
    elif k == 4:
        term = True
    istate[0] = k
    return term, rew
