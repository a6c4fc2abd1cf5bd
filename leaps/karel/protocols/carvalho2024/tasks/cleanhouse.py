"""CleanHouse (dense): collect the 11 markers along the walls of a fixed house."""

from __future__ import annotations

import numba as nb
import numpy as np

from leaps.karel.protocols.carvalho2024 import legacy_rng
from leaps.karel.protocols.carvalho2024.tasks.base import InitialWorld, drawn_world, set_world
from leaps.karel.protocols.carvalho2024.tasks.harvester import init_state, reward  # noqa: F401  (same rule)
from leaps.karel.protocols.leaps.tasks.cleanhouse import HOUSE

HEIGHT, WIDTH = 14, 22
AGENT = (1, 13, 2)  # facing South
EXCLUDED = {(1, 13), (2, 12), (3, 10), (4, 11), (5, 11), (6, 10)}
EXTRA_MARKER = (2, 12)
NUM_SCATTERED = 10


def house_walls() -> np.ndarray:
    return np.array([[ch == "#" for ch in line] for line in HOUSE.split("\n")], dtype=bool)


def candidate_cells(walls: np.ndarray) -> list[tuple[int, int]]:
    """Free cells beside a wall, in the reference's order: its set is filled by
    scanning walls row by row (up, down, left, right neighbours), the excluded
    cells are subtracted and the result listed. CPython's iteration order of a
    set of small-int tuples is deterministic (tuple hashing is not salted), so
    performing the same set operations reproduces the reference's list."""
    h, w = walls.shape
    found: set[tuple[int, int]] = set()
    for r in range(h):
        for c in range(w):
            if walls[r, c]:
                if r - 1 > 0 and not walls[r - 1, c]:
                    found.add((r - 1, c))
                if r + 1 < h - 1 and not walls[r + 1, c]:
                    found.add((r + 1, c))
                if c - 1 > 0 and not walls[r, c - 1]:
                    found.add((r, c - 1))
                if c + 1 < w - 1 and not walls[r, c + 1]:
                    found.add((r, c + 1))
    return list(found - EXCLUDED)


HOUSE_WALLS = house_walls()
CELLS = np.array([r * WIDTH + c for r, c in candidate_cells(HOUSE_WALLS)], dtype=np.int64)
"""The candidate cells as r * W + c, in the reference's order (computed once,
in Python, because the order is CPython's set order)."""


@nb.njit(cache=True, nogil=True)
def draw(rng, walls, markers, agent, params, food, house, cells):
    """``house``/``cells``: :data:`HOUSE_WALLS` and :data:`CELLS` (arguments,
    not globals, so a compiled copy never outlives a change of the house)."""
    w = walls.shape[1]
    walls[:, :] = house
    order = cells.copy()
    legacy_rng.shuffle(rng, order)
    set_world(markers, agent, params, AGENT[0], AGENT[1], AGENT[2])
    for k in range(min(NUM_SCATTERED, order.shape[0])):
        markers[order[k] // w, order[k] % w] = 1
    markers[EXTRA_MARKER[0], EXTRA_MARKER[1]] = 1
    params[0] = markers.sum()


def _draw(rng: np.ndarray, walls: np.ndarray, markers: np.ndarray, agent: np.ndarray, params: np.ndarray,
          food: np.ndarray) -> None:
    draw(rng, walls, markers, agent, params, food, HOUSE_WALLS, CELLS)


def generate(seed: int) -> InitialWorld:
    return drawn_world(_draw, seed, HEIGHT, WIDTH)
