"""DoorKey: pick the key (opens a door in the middle wall), then top off the goal."""

from __future__ import annotations

from math import ceil

import numba as nb
import numpy as np

from leaps.karel.protocols.carvalho2024.tasks.base import InitialWorld, border_walls, make_params

HEIGHT, WIDTH = 8, 8
DOOR_ROWS = (2, 3)


def generate(seed: int, height: int = HEIGHT, width: int = WIDTH) -> InitialWorld:
    rng = np.random.RandomState(seed)
    walls = border_walls(height, width)
    wall_col = ceil(width / 2)
    walls[:, wall_col] = True
    key = (rng.randint(1, height - 1), rng.randint(1, wall_col))
    goal = (rng.randint(1, height - 1), rng.randint(wall_col + 1, width - 1))
    markers = np.zeros((height, width), dtype=np.int8)
    markers[key] = 1
    markers[goal] = 1
    while True:
        agent = (rng.randint(1, height - 1), rng.randint(1, wall_col))
        if markers[agent] == 0:
            break
    return InitialWorld(walls, markers, (*agent, 1), make_params(*key, *goal, wall_col, *DOOR_ROWS))


@nb.njit(cache=True, nogil=True)
def init_state(params, istate):
    istate[0] = 1  # door locked


@nb.njit(cache=True, nogil=True)
def reward(walls, markers, r, c, d, total, n_over1, params, istate, food):
    if istate[0] == 1:
        if total > 2:
            return True, -1.0
        if markers[params[0], params[1]] == 0:
            istate[0] = 0
            walls[params[5], params[4]] = False
            walls[params[6], params[4]] = False
            return False, 0.5
        return False, 0.0
    if total > 1:
        if markers[params[2], params[3]] == 2:
            return True, 0.5
        return True, -1.0
    if total == 0:
        return True, -1.0
    return False, 0.0
