"""Snake: eat food to grow, never run into the body.

The reference draws new food from the task's generator during the episode;
the draws are made here in advance (the generator's stream continued after
the initial world, restarted from the seed for every evaluation) and the
engine consumes them in order, rejecting as the reference does."""

from __future__ import annotations

import numba as nb
import numpy as np

from leaps.karel.protocols.carvalho2024.tasks.base import InitialWorld, border_walls, make_params

HEIGHT, WIDTH = 8, 8
INITIAL_LENGTH = 2
FOODS_TO_WIN = 20
FOOD_DRAWS = 4096
"""Pre-drawn food cells per world; a draw is rejected only under an agent facing
East (1/36 on 8x8), so 20 foods never come near this."""
BODY = 8  # istate offset of the body cells (row, col pairs, oldest first)


def generate(seed: int, height: int = HEIGHT, width: int = WIDTH) -> InitialWorld:
    rng = np.random.RandomState(seed)
    col = rng.randint(2, width - 2)  # column first (reference order)
    row = rng.randint(1, height - 1)
    while True:
        fr = rng.randint(1, height - 1)
        fc = rng.randint(1, width - 1)
        if (fr, fc) != (row, col):  # the agent faces East
            break
    markers = np.zeros((height, width), dtype=np.int8)
    markers[fr, fc] = 1
    if height == width:  # one call draws the same stream as alternating scalar draws of one range (~100x faster)
        food = rng.randint(1, height - 1, size=2 * FOOD_DRAWS).astype(np.int64).reshape(FOOD_DRAWS, 2)
    else:
        food = np.empty((FOOD_DRAWS, 2), dtype=np.int64)
        for i in range(FOOD_DRAWS):
            food[i, 0] = rng.randint(1, height - 1)
            food[i, 1] = rng.randint(1, width - 1)
    return InitialWorld(border_walls(height, width), markers, (row, col, 1), make_params(row, col, fr, fc), food)


@nb.njit(cache=True, nogil=True)
def init_state(params, istate):
    istate[0] = INITIAL_LENGTH  # body length limit
    istate[1] = 1  # body cells stored
    istate[2] = params[2]  # food cell
    istate[3] = params[3]
    istate[4] = 0  # next food draw
    istate[5] = 0  # 1 if the pre-drawn food ran out (never in practice)
    istate[BODY] = params[0]
    istate[BODY + 1] = params[1]


@nb.njit(cache=True, nogil=True)
def reward(walls, markers, r, c, d, total, n_over1, params, istate, food):
    term = False
    rew = 0.0
    if r == istate[2] and c == istate[3]:
        istate[0] += 1
        rew = 1.0 / FOODS_TO_WIN
        if istate[0] == FOODS_TO_WIN + INITIAL_LENGTH:
            term = True
        else:
            while True:
                i = istate[4]
                if i >= food.shape[0]:
                    istate[5] = 1
                    istate[2] = -1
                    istate[3] = -1
                    break
                istate[4] = i + 1
                fr, fc = food[i, 0], food[i, 1]
                if not (fr == r and fc == c and d == 1) and not walls[fr, fc]:
                    istate[2] = fr
                    istate[3] = fc
                    break
    n = istate[1]
    last_r, last_c = istate[BODY + 2 * (n - 1)], istate[BODY + 2 * (n - 1) + 1]
    hit = False
    for j in range(n - 1):
        if istate[BODY + 2 * j] == r and istate[BODY + 2 * j + 1] == c:
            hit = True
            break
    if hit:
        term = True
        rew = -1.0
    elif r != last_r or c != last_c:
        istate[BODY + 2 * n] = r
        istate[BODY + 2 * n + 1] = c
        n += 1
        if n > istate[0]:
            for j in range(n - 1):
                istate[BODY + 2 * j] = istate[BODY + 2 * j + 2]
                istate[BODY + 2 * j + 1] = istate[BODY + 2 * j + 3]
            n -= 1
        istate[1] = n
    return term, rew
