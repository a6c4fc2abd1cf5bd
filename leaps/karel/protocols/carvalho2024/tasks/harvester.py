"""Harvester (dense): pick every marker of a full grid."""

from __future__ import annotations

import numba as nb
import numpy as np

from leaps.karel.protocols.carvalho2024.tasks.base import InitialWorld, border_walls, make_params

HEIGHT, WIDTH = 8, 8


def generate(seed: int, height: int = HEIGHT, width: int = WIDTH) -> InitialWorld:
    rng = np.random.RandomState(seed)
    walls = border_walls(height, width)
    col = rng.randint(2, width - 2)
    markers = np.zeros((height, width), dtype=np.int8)
    markers[1:-1, 1:-1] = 1
    return InitialWorld(walls, markers, (height - 2, col, 1), make_params((height - 2) * (width - 2)))


@nb.njit(cache=True, nogil=True)
def init_state(params, istate):
    istate[0] = params[0]  # marker total at the previous check


@nb.njit(cache=True, nogil=True)
def reward(walls, markers, r, c, d, total, n_over1, params, istate, food):
    """Shared with CleanHouse: collect all markers, never put one."""
    rew = (istate[0] - total) / params[0]
    term = False
    if total > istate[0]:
        rew = -1.0
        term = True
    elif total == 0:
        term = True
    istate[0] = total
    return term, rew
