"""Harvester (dense): pick every marker of a full grid."""

from __future__ import annotations

import numba as nb

from leaps.karel.protocols.carvalho2024 import legacy_rng
from leaps.karel.protocols.carvalho2024.tasks.base import InitialWorld, drawn_world, fill_border, set_world

HEIGHT, WIDTH = 8, 8


@nb.njit(cache=True, nogil=True)
def draw(rng, walls, markers, agent, params, food):
    h, w = walls.shape
    fill_border(walls)
    set_world(markers, agent, params, h - 2, legacy_rng.randint(rng, 2, w - 2), 1)
    markers[1 : h - 1, 1 : w - 1] = 1
    params[0] = (h - 2) * (w - 2)


def generate(seed: int, height: int = HEIGHT, width: int = WIDTH) -> InitialWorld:
    return drawn_world(draw, seed, height, width)


@nb.njit(cache=True, nogil=True)
def init_state(params, istate):
    istate[0] = params[0]  # marker total at the previous check


@nb.njit(cache=True, nogil=True, inline="always")
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
