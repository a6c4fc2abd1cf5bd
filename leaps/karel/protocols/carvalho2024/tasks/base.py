"""What every task of this protocol provides: its initial worlds and a numba
reward step run after every action.

A task's worlds are drawn once, in numba (``draw``: the reference's numpy
legacy ``RandomState`` draws, restated in legacy_rng, so seed i is the
reference's world i), into preallocated arrays: the vectorised environment
draws all its resetting worlds in one compiled call
(``carvalho2024.worlds.draw_worlds``) and the task's Python ``generate(seed)``
is a thin wrapper (:func:`drawn_world`) around the same draw.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numba as nb
import numpy as np

from leaps.karel.protocols.carvalho2024 import legacy_rng

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


Draw = Callable[[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray], None]
"""A task's compiled world draw: ``draw(rng, walls, markers, agent, params,
food)`` draws from the seeded legacy_rng state ``rng`` and overwrites every
array it is given except ``food`` (only Snake writes it, all of it)."""


def drawn_world(draw: Draw, seed: int, height: int, width: int, food_draws: int = 0) -> InitialWorld:
    """The world of ``seed`` from a compiled ``draw``, in fresh arrays."""
    walls = np.zeros((height, width), dtype=bool)
    markers = np.zeros((height, width), dtype=np.int8)
    agent = np.zeros(3, dtype=np.int64)
    params = np.zeros(NUM_PARAMS, dtype=np.int64)
    food = np.zeros((food_draws, 2), dtype=np.int64)
    draw(legacy_rng.new_state(int(seed)), walls, markers, agent, params, food)
    return InitialWorld(walls, markers, (int(agent[0]), int(agent[1]), int(agent[2])), params, food)


@nb.njit(cache=True, nogil=True)
def fill_border(walls: np.ndarray) -> None:
    """Walls on the outer ring only."""
    h, w = walls.shape
    walls[:, :] = False
    walls[0, :] = True
    walls[h - 1, :] = True
    walls[:, 0] = True
    walls[:, w - 1] = True


@nb.njit(cache=True, nogil=True)
def set_world(markers: np.ndarray, agent: np.ndarray, params: np.ndarray, r: int, c: int, d: int) -> None:
    """No markers, no params, the agent at (r, c) facing d: what a draw starts from."""
    markers[:, :] = 0
    params[:] = 0
    agent[0] = r
    agent[1] = c
    agent[2] = d


def border_walls(height: int, width: int) -> np.ndarray:
    walls = np.empty((height, width), dtype=bool)
    fill_border(walls)
    return walls


def make_params(*values: int) -> np.ndarray:
    params = np.zeros(NUM_PARAMS, dtype=np.int64)
    params[: len(values)] = values
    return params
