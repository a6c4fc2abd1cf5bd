"""FourCorners (dense): put one marker on each corner, nowhere else."""

from __future__ import annotations

import numba as nb

from leaps.karel.protocols.carvalho2024 import legacy_rng
from leaps.karel.protocols.carvalho2024.tasks.base import InitialWorld, drawn_world, fill_border, set_world

HEIGHT, WIDTH = 12, 12


@nb.njit(cache=True, nogil=True)
def draw(rng, walls, markers, agent, params, food):
    h, w = walls.shape
    fill_border(walls)
    set_world(markers, agent, params, h - 2, legacy_rng.randint(rng, 2, w - 2), 1)


def generate(seed: int, height: int = HEIGHT, width: int = WIDTH) -> InitialWorld:
    return drawn_world(draw, seed, height, width)


@nb.njit(cache=True, nogil=True)
def init_state(params, istate):
    istate[0] = 0  # corners marked at the previous check


@nb.njit(cache=True, nogil=True, inline="always")
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
