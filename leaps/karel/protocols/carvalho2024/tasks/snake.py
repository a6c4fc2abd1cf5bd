"""Snake: eat food to grow, never run into the body.

The reference draws new food from the task's generator during the episode;
the draws are made here in advance (the generator's stream continued after
the initial world, restarted from the seed for every evaluation) and the
engine consumes them in order, rejecting as the reference does."""

from __future__ import annotations

import numba as nb

from leaps.karel.protocols.carvalho2024 import legacy_rng
from leaps.karel.protocols.carvalho2024.tasks.base import InitialWorld, drawn_world, fill_border, set_world

HEIGHT, WIDTH = 8, 8
INITIAL_LENGTH = 2
FOODS_TO_WIN = 20
FOOD_DRAWS = 4096
"""Pre-drawn food cells per world; a draw is rejected only under an agent facing
East (1/36 on 8x8), so 20 foods never come near this."""
BODY = 8  # istate offset of the body cells (row, col pairs, oldest first)


@nb.njit(cache=True, nogil=True)
def draw(rng, walls, markers, agent, params, food):
    """``food``: as many (row, col) draws as it has rows (:data:`FOOD_DRAWS`)."""
    h, w = walls.shape
    col = legacy_rng.randint(rng, 2, w - 2)  # column first (reference order)
    row = legacy_rng.randint(rng, 1, h - 1)
    while True:
        fr = legacy_rng.randint(rng, 1, h - 1)
        fc = legacy_rng.randint(rng, 1, w - 1)
        if fr != row or fc != col:  # the agent faces East
            break
    fill_border(walls)
    set_world(markers, agent, params, row, col, 1)
    markers[fr, fc] = 1
    params[0] = row
    params[1] = col
    params[2] = fr
    params[3] = fc
    if h == w:  # one range: alternating scalar draws are one sized draw (~5x faster)
        legacy_rng.randint_fill(rng, 1, h - 1, food.reshape(-1))
    else:
        for i in range(food.shape[0]):
            food[i, 0] = legacy_rng.randint(rng, 1, h - 1)
            food[i, 1] = legacy_rng.randint(rng, 1, w - 1)


def generate(seed: int, height: int = HEIGHT, width: int = WIDTH) -> InitialWorld:
    return drawn_world(draw, seed, height, width, FOOD_DRAWS)


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


@nb.njit(cache=True, nogil=True, inline="always")
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
