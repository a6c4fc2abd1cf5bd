"""What every task of this protocol provides: its initial worlds (drawn in
Python with the reference's numpy legacy generator, so seed i is the
reference's world i) and a numba reward step run after every action."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

NUM_PARAMS = 24
"""Length of the per-world integer parameter vector a reward step reads."""
NUM_TASK_STATE = 64
"""Length of the per-episode integer scratch vector a reward step updates."""


@dataclass
class InitialWorld:
    """One initial world with the task facts its reward step needs."""

    walls: np.ndarray  # (H, W) bool
    markers: np.ndarray  # (H, W) int8, the marker-count grid perceptions read
    agent: tuple[int, int, int]  # (row, col, dir), dir 0..3 = N, E, S, W
    params: np.ndarray = field(default_factory=lambda: np.zeros(NUM_PARAMS, np.int64))
    food: np.ndarray = field(default_factory=lambda: np.zeros((0, 2), np.int64))  # Snake's food draws


def border_walls(height: int, width: int) -> np.ndarray:
    walls = np.zeros((height, width), dtype=bool)
    walls[0, :] = walls[-1, :] = True
    walls[:, 0] = walls[:, -1] = True
    return walls


def make_params(*values: int) -> np.ndarray:
    params = np.zeros(NUM_PARAMS, dtype=np.int64)
    params[: len(values)] = values
    return params
