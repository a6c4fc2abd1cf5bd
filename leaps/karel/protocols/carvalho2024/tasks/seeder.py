"""Seeder: put exactly one marker on every free cell."""

from __future__ import annotations

import numba as nb

from leaps.karel.protocols.carvalho2024 import legacy_rng
from leaps.karel.protocols.carvalho2024.tasks.base import InitialWorld, drawn_world, fill_border, set_world

HEIGHT, WIDTH = 8, 8


@nb.njit(cache=True, nogil=True)
def draw(rng, walls, markers, agent, params, food):
    h, w = walls.shape
    col = legacy_rng.randint(rng, 2, w - 2)  # column first (reference order)
    row = legacy_rng.randint(rng, 1, h - 1)
    fill_border(walls)
    set_world(markers, agent, params, row, col, 1)
    params[0] = (h - 2) * (w - 2)


def generate(seed: int, height: int = HEIGHT, width: int = WIDTH) -> InitialWorld:
    return drawn_world(draw, seed, height, width)


@nb.njit(cache=True, nogil=True)
def init_state(params, istate):
    istate[0] = 0  # marker total at the previous check


@nb.njit(cache=True, nogil=True, inline="always")
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
