"""Perceptions and actions as compiled functions: the one definition of the
world's dynamics, shared by :class:`~leaps.karel.world.World` and the
batched interpreter.

A world is ``walls[H, W]`` (bool), ``markers[H, W]`` (int8, 0..10) and
``agent[3]`` = (row, col, dir); dir 0=N, 1=E, 2=S, 3=W; row 0 is the top.
"""

from __future__ import annotations

import numba as nb
import numpy as np

# Front offsets by direction; left is the front of dir+3, right of dir+1.
DIR_ROW = np.array([-1, 0, 1, 0], dtype=np.int64)
DIR_COL = np.array([0, 1, 0, -1], dtype=np.int64)
DIRECTION_NAMES = ("north", "east", "south", "west")

MAX_MARKERS = 10
"""Largest marker count a world (and its 16-channel view) can hold."""
PUT_CAP = 9
"""A put on a cell holding this many markers fails (the reference's cap)."""

# Outcome of an action.
OK = 0
BLOCKED_MOVE = 1
EMPTY_PICK = 2
FULL_PUT = 3
OUTCOME_NAMES = ("ok", "move into a wall or off the grid", "pick on an empty cell", "put on a full cell")

# Perception indices follow dsl.PERCEPTIONS.
FRONT_IS_CLEAR, LEFT_IS_CLEAR, RIGHT_IS_CLEAR, MARKERS_PRESENT, NO_MARKERS_PRESENT = range(5)
# Action indices follow dsl.ACTIONS.
MOVE, TURN_LEFT, TURN_RIGHT, PICK_MARKER, PUT_MARKER = range(5)


@nb.njit(cache=True, nogil=True, inline="always")
def is_clear(walls: np.ndarray, row: int, col: int, direction: int) -> bool:
    r = row + DIR_ROW[direction]
    c = col + DIR_COL[direction]
    if r < 0 or c < 0 or r >= walls.shape[0] or c >= walls.shape[1]:
        return False
    return not walls[r, c]


@nb.njit(cache=True, nogil=True, inline="always")
def perceive(walls: np.ndarray, markers: np.ndarray, agent: np.ndarray, perception: int) -> bool:
    row, col, d = agent[0], agent[1], agent[2]
    if perception == FRONT_IS_CLEAR:
        return is_clear(walls, row, col, d)
    if perception == LEFT_IS_CLEAR:
        return is_clear(walls, row, col, (d + 3) % 4)
    if perception == RIGHT_IS_CLEAR:
        return is_clear(walls, row, col, (d + 1) % 4)
    if perception == MARKERS_PRESENT:
        return markers[row, col] > 0
    return markers[row, col] == 0


@nb.njit(cache=True, nogil=True, inline="always")
def act(walls: np.ndarray, markers: np.ndarray, agent: np.ndarray, action: int, strict: bool) -> int:
    """Apply one action in place; returns its outcome (OK or the failure).

    Strict mode leaves the world unchanged on a failure (the caller aborts);
    lenient mode turns a blocked agent around and ignores a failed pick/put.
    """
    row, col, d = agent[0], agent[1], agent[2]
    if action == MOVE:
        if is_clear(walls, row, col, d):
            agent[0] = row + DIR_ROW[d]
            agent[1] = col + DIR_COL[d]
            return OK
        if not strict:
            agent[2] = (d + 2) % 4
        return BLOCKED_MOVE
    if action == TURN_LEFT:
        agent[2] = (d + 3) % 4
        return OK
    if action == TURN_RIGHT:
        agent[2] = (d + 1) % 4
        return OK
    if action == PICK_MARKER:
        if markers[row, col] == 0:
            return EMPTY_PICK
        markers[row, col] -= 1
        return OK
    # PUT_MARKER
    if markers[row, col] >= PUT_CAP:
        return FULL_PUT
    markers[row, col] += 1
    return OK


@nb.njit(cache=True, nogil=True)
def write_state(walls: np.ndarray, markers: np.ndarray, agent: np.ndarray, out: np.ndarray) -> None:
    """Fill ``out[H, W, 16]`` with the network view of the world."""
    out[:] = False
    for r in range(walls.shape[0]):
        for c in range(walls.shape[1]):
            out[r, c, 4] = walls[r, c]
            out[r, c, 5 + min(markers[r, c], MAX_MARKERS)] = True
    out[agent[0], agent[1], agent[2]] = True


@nb.njit(cache=True, nogil=True)
def replay_states(
    walls: np.ndarray, markers: np.ndarray, agent: np.ndarray, actions: np.ndarray, strict: bool, out: np.ndarray
) -> None:
    """States before each action and after the last: ``out[len+1, H, W, 16]``.

    Works on copies; the given world is left unchanged.
    """
    m = markers.copy()
    a = agent.copy()
    write_state(walls, m, a, out[0])
    for t in range(actions.shape[0]):
        act(walls, m, a, actions[t], strict)
        write_state(walls, m, a, out[t + 1])
