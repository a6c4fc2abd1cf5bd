"""Seeder: put exactly one marker on every free cell."""

from __future__ import annotations

import numba as nb
import numpy as np

from leaps.karel.protocols.carvalho2024.tasks.base import InitialWorld, border_walls, make_params

HEIGHT, WIDTH = 8, 8


def generate(seed: int, height: int = HEIGHT, width: int = WIDTH) -> InitialWorld:
    rng = np.random.RandomState(seed)
    col = rng.randint(2, width - 2)  # column first (reference order)
    row = rng.randint(1, height - 1)
    markers = np.zeros((height, width), dtype=np.int8)
    return InitialWorld(border_walls(height, width), markers, (row, col, 1),
                        make_params((height - 2) * (width - 2)))


@nb.njit(cache=True, nogil=True)
def init_state(params, istate):
    istate[0] = 0  # marker total at the previous check


@nb.njit(cache=True, nogil=True)
def reward(walls, markers, r, c, d, total, n_over1, params, istate, food):
    rew = (total - istate[0]) / params[0]
    term = False
    if n_over1 > 0 or total < istate[0]:
        rew = -1.0
        term = True
    elif total == params[0]:
        term = True
    istate[0] = total
    return term, rew
