"""What a vectorised Karel environment shows its agent, the one list of
observation kinds (``OBSERVATIONS``) that the vector env, the RL app and its
configs read:

- ``grid``: the (H, W, 16) state of KAREL_SPEC.md (agent direction, wall,
  exactly-k-markers channels), the single environments' observation;
- ``abstract``: the five perceptions a program can test (frontIsClear,
  leftIsClear, rightIsClear, markersPresent, noMarkersPresent), optionally
  followed by the one-hot previous action (5 actions + "none yet"): the
  LEAPS paper's DRL-abs input, which does not depend on the grid size.

Both are uint8 0/1 arrays, written for a whole batch in compiled code.
"""

from __future__ import annotations

import numba as nb
import numpy as np
from gymnasium import spaces

from leaps.karel import transitions as tr
from leaps.karel.world import NUM_STATE_CHANNELS

OBSERVATIONS = ("grid", "abstract")
NUM_PERCEPTIONS = 5
NUM_ACTIONS = 5
NO_ACTION = NUM_ACTIONS
"""The previous action of an episode's first step (its one-hot slot)."""


def check_observation(kind: str) -> str:
    if kind not in OBSERVATIONS:
        raise ValueError(f"unknown observation kind {kind!r}; use one of {', '.join(OBSERVATIONS)}")
    return kind


def observation_space(kind: str, height: int, width: int, last_action: bool = False) -> spaces.Box:
    """The space of one environment's observation."""
    if check_observation(kind) == "grid":
        return spaces.Box(0, 1, shape=(height, width, NUM_STATE_CHANNELS), dtype=np.uint8)
    size = NUM_PERCEPTIONS + (NUM_ACTIONS + 1 if last_action else 0)
    return spaces.Box(0, 1, shape=(size,), dtype=np.uint8)


@nb.njit(cache=True, nogil=True, inline="always")
def _write_grid(walls, shown, agent, out):
    h, w = walls.shape
    for r in range(h):
        for c in range(w):
            cell = out[r, c]
            for k in range(NUM_STATE_CHANNELS):
                cell[k] = 0
            cell[4] = walls[r, c]
            cell[5 + min(shown[r, c], tr.MAX_MARKERS)] = 1
    out[agent[0], agent[1], agent[2]] = 1


@nb.njit(cache=True, nogil=True, inline="always")
def _write_abstract(walls, markers, agent, last_action, out):
    for p in range(NUM_PERCEPTIONS):
        out[p] = tr.perceive(walls, markers, agent, p)
    if out.shape[0] > NUM_PERCEPTIONS:
        for k in range(NUM_ACTIONS + 1):
            out[NUM_PERCEPTIONS + k] = 0
        out[NUM_PERCEPTIONS + last_action] = 1


@nb.njit(cache=True, nogil=True, _nrt=False)
def write_grid(walls, shown, agents, out):
    """``out[i]`` = the 16-channel view of world i (``shown``: the marker
    grid drawn, which differs from the perceived one only for Snake)."""
    for i in range(walls.shape[0]):
        _write_grid(walls[i], shown[i], agents[i], out[i])


@nb.njit(cache=True, nogil=True, _nrt=False)
def write_abstract(walls, markers, agents, last_actions, out):
    """``out[i]`` = world i's perceptions (and previous action)."""
    for i in range(walls.shape[0]):
        _write_abstract(walls[i], markers[i], agents[i], last_actions[i], out[i])
