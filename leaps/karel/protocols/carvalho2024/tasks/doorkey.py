"""DoorKey: pick the key (opens a door in the middle wall), then top off the goal."""

from __future__ import annotations

import numba as nb

from leaps.karel.protocols.carvalho2024 import legacy_rng
from leaps.karel.protocols.carvalho2024.tasks.base import InitialWorld, drawn_world, fill_border, set_world

HEIGHT, WIDTH = 8, 8
DOOR_ROWS = (2, 3)


@nb.njit(cache=True, nogil=True)
def draw(rng, walls, markers, agent, params, food):
    h, w = walls.shape
    fill_border(walls)
    wall_col = (w + 1) // 2  # ceil(w / 2)
    walls[:, wall_col] = True
    key_r = legacy_rng.randint(rng, 1, h - 1)
    key_c = legacy_rng.randint(rng, 1, wall_col)
    goal_r = legacy_rng.randint(rng, 1, h - 1)
    goal_c = legacy_rng.randint(rng, wall_col + 1, w - 1)
    set_world(markers, agent, params, 0, 0, 1)
    markers[key_r, key_c] = 1
    markers[goal_r, goal_c] = 1
    while True:
        r = legacy_rng.randint(rng, 1, h - 1)
        c = legacy_rng.randint(rng, 1, wall_col)
        if markers[r, c] == 0:
            break
    agent[0] = r
    agent[1] = c
    params[0] = key_r
    params[1] = key_c
    params[2] = goal_r
    params[3] = goal_c
    params[4] = wall_col
    params[5] = DOOR_ROWS[0]
    params[6] = DOOR_ROWS[1]


def generate(seed: int, height: int = HEIGHT, width: int = WIDTH) -> InitialWorld:
    return drawn_world(draw, seed, height, width)


@nb.njit(cache=True, nogil=True)
def init_state(params, istate):
    istate[0] = 1  # door locked


@nb.njit(cache=True, nogil=True, inline="always")
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
