"""Per-step states of demonstrations, replayed in batch in compiled code
(the dataset stores only initial worlds and actions)."""

from __future__ import annotations

import numba as nb
import numpy as np

from leaps.karel import transitions as tr
from leaps.karel.world import NUM_STATE_CHANNELS


@nb.njit(cache=True, parallel=True)
def _replay(walls, markers, agents, actions, lengths, out):
    for i in nb.prange(actions.shape[0]):
        m = markers[i].astype(np.int8)
        a = agents[i].astype(np.int64)
        for t in range(min(lengths[i] + 1, out.shape[1])):
            tr.write_state(walls[i], m, a, out[i, t])
            if t < lengths[i]:
                tr.act(walls[i], m, a, actions[i, t], False)


def replay_demo_states(
    walls: np.ndarray, markers: np.ndarray, agents: np.ndarray, actions: np.ndarray, lengths: np.ndarray,
    steps: int,
) -> np.ndarray:
    """States before each of the first ``steps`` actions and, at a run's
    length, the state after its last action: (R, steps, H, W, 16) bool for R
    runs given as flat arrays; all False after that."""
    r, h, w = walls.shape
    out = np.zeros((r, steps, h, w, NUM_STATE_CHANNELS), dtype=np.bool_)
    if r and steps:
        _replay(np.ascontiguousarray(walls), np.ascontiguousarray(markers), np.ascontiguousarray(agents),
                np.ascontiguousarray(actions, dtype=np.int64), np.ascontiguousarray(lengths, dtype=np.int64), out)
    return out


def initial_states(walls: np.ndarray, markers: np.ndarray, agents: np.ndarray) -> np.ndarray:
    """(R, H, W, 16) bool initial states of flat runs."""
    r, h, w = walls.shape
    out = np.zeros((r, h, w, NUM_STATE_CHANNELS), dtype=np.bool_)
    for i in range(r):
        tr.write_state(walls[i], markers[i].astype(np.int8), agents[i].astype(np.int64), out[i])
    return out
