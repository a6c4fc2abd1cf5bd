"""CleanHouse (dense): collect the 11 markers along the walls of a fixed house."""

from __future__ import annotations

import numpy as np

from leaps.karel.protocols.carvalho2024.tasks.base import InitialWorld, make_params
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


def generate(seed: int) -> InitialWorld:
    rng = np.random.RandomState(seed)
    walls = house_walls()
    candidates = candidate_cells(walls)
    rng.shuffle(candidates)
    markers = np.zeros(walls.shape, dtype=np.int8)
    for cell in candidates[:NUM_SCATTERED]:
        markers[cell] = 1
    markers[EXTRA_MARKER] = 1
    return InitialWorld(walls, markers, AGENT, make_params(int(markers.sum())))
