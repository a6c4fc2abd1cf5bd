"""TopOff (dense): put a second marker on every marked cell of the bottom row."""

from __future__ import annotations

import numba as nb
import numpy as np

from leaps.karel.protocols.carvalho2024.tasks.base import InitialWorld, border_walls, make_params

HEIGHT, WIDTH = 12, 12


def generate(seed: int, height: int = HEIGHT, width: int = WIDTH) -> InitialWorld:
    rng = np.random.RandomState(seed)
    walls = border_walls(height, width)
    candidates = [[height - 2, c] for c in range(2, width - 1)]
    rng.shuffle(candidates)
    n = rng.randint(1, len(candidates))
    markers = np.zeros((height, width), dtype=np.int8)
    flat = []
    for r, c in candidates[:n]:
        markers[r, c] = 1
        flat += [r, c]
    return InitialWorld(walls, markers, (height - 2, 1, 1), make_params(n, *flat))


@nb.njit(cache=True, nogil=True)
def init_state(params, istate):
    istate[0] = 0  # cells topped off at the previous check


@nb.njit(cache=True, nogil=True)
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
