"""TopOff (dense): put a second marker on every marked cell of the bottom row."""

from __future__ import annotations

import numba as nb
import numpy as np

from leaps.karel.protocols.carvalho2024 import legacy_rng
from leaps.karel.protocols.carvalho2024.tasks.base import InitialWorld, drawn_world, fill_border, set_world

HEIGHT, WIDTH = 12, 12


@nb.njit(cache=True, nogil=True)
def draw(rng, walls, markers, agent, params, food):
    """The reference shuffles the list of bottom-row cells [H-2, c]; shuffling
    their columns is the same permutation."""
    h, w = walls.shape
    fill_border(walls)
    cols = np.arange(2, w - 1)
    legacy_rng.shuffle(rng, cols)
    n = legacy_rng.randint(rng, 1, cols.shape[0])
    if 1 + 2 * n > params.shape[0]:
        raise ValueError("topoff: too many marked cells for the params vector")
    set_world(markers, agent, params, h - 2, 1, 1)
    params[0] = n
    for k in range(n):
        markers[h - 2, cols[k]] = 1
        params[1 + 2 * k] = h - 2
        params[2 + 2 * k] = cols[k]


def generate(seed: int, height: int = HEIGHT, width: int = WIDTH) -> InitialWorld:
    return drawn_world(draw, seed, height, width)


@nb.njit(cache=True, nogil=True)
def init_state(params, istate):
    istate[0] = 0  # cells topped off at the previous check


@nb.njit(cache=True, nogil=True, inline="always")
def reward(walls, markers, r, c, d, total, n_over1, params, istate, food):
    n = params[0]
    k = 0
    for i in range(n):
        m = markers[params[1 + 2 * i], params[2 + 2 * i]]
        if m == 2:
            k += 1
        elif m == 0:
            return True, -1.0  # previous count deliberately not updated (reference)
    rew = (k - istate[0]) / n
    term = False
    if total > k + n:
        term = True
        rew = -1.0
    elif k == n:
        term = True
    istate[0] = k
    return term, rew
