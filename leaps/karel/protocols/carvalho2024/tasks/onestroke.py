"""OneStroke: visit cells without coming back; each cell left becomes a wall."""

from __future__ import annotations

import numba as nb

from leaps.karel.protocols.carvalho2024 import legacy_rng
from leaps.karel.protocols.carvalho2024.tasks.base import InitialWorld, drawn_world, fill_border, set_world

HEIGHT, WIDTH = 8, 8


@nb.njit(cache=True, nogil=True)
def draw(rng, walls, markers, agent, params, food):
    h, w = walls.shape
    col = legacy_rng.randint(rng, 1, w - 1)  # column first (reference order)
    row = legacy_rng.randint(rng, 1, h - 1)
    fill_border(walls)
    set_world(markers, agent, params, row, col, 1)
    params[0] = row
    params[1] = col
    params[2] = (h - 2) * (w - 2)


def generate(seed: int, height: int = HEIGHT, width: int = WIDTH) -> InitialWorld:
    return drawn_world(draw, seed, height, width)


@nb.njit(cache=True, nogil=True)
def init_state(params, istate):
    istate[0] = params[0]  # agent cell at the previous check
    istate[1] = params[1]
    istate[2] = 0  # cells changed


@nb.njit(cache=True, nogil=True, inline="always")
def reward(walls, markers, r, c, d, total, n_over1, params, istate, food):
    rew = 0.0
    if r != istate[0] or c != istate[1]:
        istate[2] += 1
        rew = 1.0 / params[2]
        walls[istate[0], istate[1]] = True
    istate[0] = r
    istate[1] = c
    return istate[2] == params[2], rew


@nb.njit(cache=True, nogil=True, inline="always")
def settled(walls, r, c):
    """Whether the return is final: the agent is walled in on all four sides
    (the cells it left are walls for good, the border too), so it never moves
    again, and only moves score (no crash penalty). A climbed program often
    ends so, then spends the rest of its 10,000 calls turning in place."""
    return walls[r - 1, c] and walls[r + 1, c] and walls[r, c - 1] and walls[r, c + 1]
