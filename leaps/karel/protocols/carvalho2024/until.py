"""Programs scored in order until one is better than a threshold, in one
compiled call: how a first-improvement hill climber scores its neighbours
(one at a time, stopping at the first better one) without paying a call per
neighbour: the call stops at the first program whose mean return exceeds
the threshold or reaches the task's maximum. The episodes are the
evaluation path's (engine.run_episode), so every return equals run()'s."""

from __future__ import annotations

import numba as nb
import numpy as np

from leaps.karel.protocols.carvalho2024.engine import _TABLE_SIZE, MAX_CALLS, run_episode
from leaps.karel.protocols.carvalho2024.tasks.base import NUM_TASK_STATE


@nb.njit(cache=True)
def _mean(row: np.ndarray) -> float:
    total = 0.0
    for x in row:
        total += x
    return total / max(1, row.shape[0])


@nb.njit(cache=True, parallel=True)
def run_until(code, offsets, valid, task, walls0, markers0, agents0, params, food, zob_agent, zob_marks, node_keys,
              stack_size, threshold, relative, max_return, n_slots, settle=False):
    """As engine.run_batch, for the programs in order until the stop (see
    the module); ``relative``: the threshold is the first program's return.
    Returns (returns, calls, end reasons, actions) of every program and how
    many count (the stop included; rows past it are partial or zero).

    Slot s (a thread) runs programs s, s + n_slots, ... each on all its
    worlds, and quits at a program past a stop some slot has found: no
    barrier between programs. Every program before the first stop is run
    whole, whichever slot finds what when. ``settle``: see engine.run_episode."""
    p_count = offsets.shape[0]
    n = walls0.shape[0]
    h, w = walls0.shape[1], walls0.shape[2]
    returns = np.zeros((p_count, n), dtype=np.float64)
    calls = np.zeros((p_count, n), dtype=np.int64)
    reasons = np.zeros((p_count, n), dtype=np.int8)
    actions = np.zeros((p_count, n), dtype=np.int64)
    tables = np.zeros((n_slots, _TABLE_SIZE), dtype=np.int64)  # left all zero by every episode
    used = np.empty((n_slots, MAX_CALLS + 1), dtype=np.int64)
    walls = np.empty((n_slots, h, w), dtype=np.bool_)
    markers = np.empty((n_slots, h, w), dtype=np.int8)
    istate = np.zeros((n_slots, NUM_TASK_STATE), dtype=np.int64)
    rep = np.zeros((n_slots, max(1, stack_size)), dtype=np.int64)
    first = 0
    if relative and p_count > 0:  # the first program sets the threshold: its worlds over the slots
        if valid[0]:
            for s in nb.prange(n_slots):
                for j in range(s, n, n_slots):
                    ret, cl, rs, na = run_episode(code, offsets[0], task, walls0[j], markers0[j], agents0[j],
                                                  params[j], food[j], zob_agent, zob_marks, node_keys, tables[s],
                                                  used[s], walls[s], markers[s], istate[s], rep[s], None, settle)
                    returns[0, j], calls[0, j], reasons[0, j], actions[0, j] = ret, cl, rs, na
        threshold = _mean(returns[0]) if valid[0] else -np.inf
        if threshold >= max_return:
            return returns, calls, reasons, actions, 1
        first = 1
    hits = np.full(n_slots, p_count, dtype=np.int64)  # the stop each slot found (p_count: none)
    for s in nb.prange(n_slots):
        for i in range(first + s, p_count, n_slots):
            seen = p_count
            for t in range(n_slots):
                seen = min(seen, hits[t])
            if seen < i:
                break
            m = -np.inf
            if valid[i]:
                for j in range(n):
                    ret, cl, rs, na = run_episode(code, offsets[i], task, walls0[j], markers0[j], agents0[j],
                                                  params[j], food[j], zob_agent, zob_marks, node_keys, tables[s],
                                                  used[s], walls[s], markers[s], istate[s], rep[s], None, settle)
                    returns[i, j], calls[i, j], reasons[i, j], actions[i, j] = ret, cl, rs, na
                m = _mean(returns[i])
            if m >= max_return or m > threshold:
                hits[s] = i
                break
    stop = p_count
    for t in range(n_slots):
        stop = min(stop, hits[t])
    return returns, calls, reasons, actions, p_count if stop >= p_count else stop + 1
