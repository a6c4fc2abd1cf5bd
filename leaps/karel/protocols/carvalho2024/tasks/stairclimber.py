"""StairClimber (sparse): climb the stairs to the marker without leaving them."""

from __future__ import annotations

import numba as nb

from leaps.karel.protocols.carvalho2024 import legacy_rng
from leaps.karel.protocols.carvalho2024.tasks.base import InitialWorld, drawn_world, fill_border, set_world

HEIGHT, WIDTH = 12, 12


@nb.njit(cache=True, nogil=True)
def draw(rng, walls, markers, agent, params, food):
    """The stairs are the cells (h - 1 - i, i), i = 1..w-2; step k is (h - 2 - k, 1 + k)."""
    h, w = walls.shape
    fill_border(walls)
    for i in range(1, w - 2):
        walls[h - 1 - i, i + 1] = True
        walls[h - 1 - i, i + 2] = True
    steps = w - 2
    start = legacy_rng.randint(rng, 0, steps - 1)  # never the last step
    goal = legacy_rng.randint(rng, start + 1, steps)
    set_world(markers, agent, params, h - 2 - start, 1 + start, 1)
    markers[h - 2 - goal, 1 + goal] = 1
    params[0] = h - 2 - goal
    params[1] = 1 + goal


def generate(seed: int, height: int = HEIGHT, width: int = WIDTH) -> InitialWorld:
    return drawn_world(draw, seed, height, width)


@nb.njit(cache=True, nogil=True)
def init_state(params, istate):
    pass


@nb.njit(cache=True, nogil=True, inline="always")
def reward(walls, markers, r, c, d, total, n_over1, params, istate, food):
    h, w = walls.shape
    if r == params[0] and c == params[1]:
        return True, 1.0
    on_stair = 1 <= c <= w - 2 and r == h - 1 - c
    above_stair = 1 <= c <= w - 3 and r == h - 2 - c
    if not (on_stair or above_stair):
        return True, -1.0
    return False, 0.0
