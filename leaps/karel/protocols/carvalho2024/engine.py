"""Compiled episode engine of this protocol (KAREL_SPEC_P2.md).

Runs every (program, initial world) pair in numba, parallel over pairs. One
episode: the program's bytecode (leaps.karel.compiler's, compiled without the
LEAPS call-counter ops) is interpreted with this protocol's call counter
(every perception test and every action), the loop guard of each WHILE node,
and the task's reward step after every action.

Loop guard: the world a WHILE node sees at the start of an iteration
(agent row, column, direction and marker grid) is reduced to a 64-bit
Zobrist hash, updated incrementally on every action; each node's memory is a
set of those hashes in an open-addressing table (keyed by hash XOR a per-node
key), so a check costs O(1) instead of the reference's scan of every earlier
world. Two different worlds share a hash with probability ~2^-64 per pair.
"""

from __future__ import annotations

from functools import lru_cache

import numba as nb
import numpy as np

from leaps.karel.compiler import ACT, JUMP, JUMP_IF_FALSE, REPEAT_INIT, REPEAT_NEXT, WHILE_IF_FALSE
from leaps.karel.protocols.carvalho2024.tasks import (
    doorkey,
    fourcorner,
    harvester,
    maze,
    onestroke,
    seeder,
    snake,
    stairclimber,
    topoff,
)
from leaps.karel.protocols.carvalho2024.tasks.base import NUM_TASK_STATE

MAX_CALLS = 10_000
"""Perception tests + actions; the call that exceeds it crashes the run."""
MAX_MARKERS = 10
"""A put on a cell holding this many markers does nothing."""

# Task ids of the reward dispatch (CleanHouse shares Harvester's rule).
STAIRCLIMBER, MAZE, TOPOFF, HARVESTER, FOURCORNERS, CLEANHOUSE, DOORKEY, ONESTROKE, SEEDER, SNAKE = range(10)

# Why an episode ended.
END_PROGRAM, END_TERMINATED, END_BUDGET, END_LOOP_GUARD, END_SETTLED = range(5)
END_NAMES = ("program ended", "task terminated", "budget exceeded", "loop guard", "return settled")
"""``return settled``: stopped early by an evaluation (``settle=True``) once no
later action could change the return (see :func:`_settled`); the return is
the full episode's, the calls and actions counted so far are fewer."""

_TABLE_BITS = 15  # 32768 slots > 2 x the most WHILE iterations of one episode
_TABLE_SIZE = 1 << _TABLE_BITS
_HASH_SEED = 20240101
"""Fixed seed of the Zobrist keys: they only need to be random-looking and
the same in every run (no result depends on them)."""

_DR = (-1, 0, 1, 0)  # row step for N, E, S, W
_DC = (0, 1, 0, -1)


@lru_cache(maxsize=256)
def zobrist_keys(height: int, width: int, max_nodes: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Keys of the agent states, of the marker counts per cell, and of the
    condition nodes (``max_nodes``: a loop guard per WHILE node). Cached:
    every evaluation call asks for them (treat them as read-only)."""
    rng = np.random.default_rng(_HASH_SEED)
    hi = np.iinfo(np.int64).max
    agent = rng.integers(1, hi, size=(height, width, 4), dtype=np.int64)
    marks = rng.integers(1, hi, size=(height, width, MAX_MARKERS + 1), dtype=np.int64)
    nodes = rng.integers(1, hi, size=max(1, max_nodes), dtype=np.int64)
    return agent, marks, nodes


@nb.njit(cache=True, nogil=True)
def _init_task(task, params, istate):
    if task == TOPOFF:
        topoff.init_state(params, istate)
    elif task in (HARVESTER, CLEANHOUSE):
        harvester.init_state(params, istate)
    elif task == FOURCORNERS:
        fourcorner.init_state(params, istate)
    elif task == DOORKEY:
        doorkey.init_state(params, istate)
    elif task == ONESTROKE:
        onestroke.init_state(params, istate)
    elif task == SEEDER:
        seeder.init_state(params, istate)
    elif task == SNAKE:
        snake.init_state(params, istate)


@nb.njit(cache=True, nogil=True, inline="always")
def _reward(task, walls, markers, r, c, d, total, n_over1, params, istate, food):
    if task == STAIRCLIMBER:
        return stairclimber.reward(walls, markers, r, c, d, total, n_over1, params, istate, food)
    if task == MAZE:
        return maze.reward(walls, markers, r, c, d, total, n_over1, params, istate, food)
    if task == TOPOFF:
        return topoff.reward(walls, markers, r, c, d, total, n_over1, params, istate, food)
    if task in (HARVESTER, CLEANHOUSE):
        return harvester.reward(walls, markers, r, c, d, total, n_over1, params, istate, food)
    if task == FOURCORNERS:
        return fourcorner.reward(walls, markers, r, c, d, total, n_over1, params, istate, food)
    if task == DOORKEY:
        return doorkey.reward(walls, markers, r, c, d, total, n_over1, params, istate, food)
    if task == ONESTROKE:
        return onestroke.reward(walls, markers, r, c, d, total, n_over1, params, istate, food)
    if task == SEEDER:
        return seeder.reward(walls, markers, r, c, d, total, n_over1, params, istate, food)
    return snake.reward(walls, markers, r, c, d, total, n_over1, params, istate, food)


@nb.njit(cache=True, nogil=True, inline="always")
def _clear(walls, r, c):
    h, w = walls.shape
    if r < 0 or c < 0 or r >= h or c >= w:
        return False
    return not walls[r, c]


@nb.njit(cache=True, nogil=True, inline="always")
def _settled(task, walls, r, c):
    """Whether no later action can change the episode's return (by task; only OneStroke can tell)."""
    if task == ONESTROKE:
        return onestroke.settled(walls, r, c)
    return False


@nb.njit(cache=True, nogil=True, inline="always")
def _perceive(p, walls, markers, r, c, d):
    if p == 0:
        return _clear(walls, r + _DR[d], c + _DC[d])
    if p == 1:
        dl = (d + 3) % 4
        return _clear(walls, r + _DR[dl], c + _DC[dl])
    if p == 2:
        dr = (d + 1) % 4
        return _clear(walls, r + _DR[dr], c + _DC[dr])
    if p == 3:
        return markers[r, c] > 0
    return markers[r, c] == 0


@nb.njit(cache=True, nogil=True)
def _record(i, r, c, d, walls, markers, istate, frames):
    """Frame ``i`` into slot i, or into the last slot once the others are
    full (so the last slot ends up holding the final world)."""
    agents, f_walls, f_markers, f_istate = frames
    k = min(i, agents.shape[0] - 1)
    agents[k, 0] = r
    agents[k, 1] = c
    agents[k, 2] = d
    for y in range(walls.shape[0]):  # element loops: run_episode runs without reference counting (no NRT)
        for x in range(walls.shape[1]):
            f_walls[k, y, x] = walls[y, x]
            f_markers[k, y, x] = markers[y, x]
    for j in range(istate.shape[0]):
        f_istate[k, j] = istate[j]


@nb.njit(cache=True, nogil=True, _nrt=False)
def run_episode(code, base, task, walls0, markers0, agent0, params, food,
                zob_agent, zob_marks, node_keys, table, used, walls, markers, istate, rep, frames=None,
                settle=False):
    """One episode of the program whose bytecode starts at row ``base`` of
    ``code``; ``table``/``used``/``walls``/``markers``/``istate``/``rep`` are
    caller-owned scratch (the table must be all zero on entry and is left so;
    ``rep``, the REPEAT counters' stack, as deep as the program's nesting).
    Returns (return, calls, end reason, actions run).

    ``frames``, if given, is (agents (F, 3), walls (F, H, W), marker counts
    (F, H, W), task states (F, S)), F >= 1: slot i receives the world after
    action i (slot 0: before the first action) for i < F - 1, and the last
    slot the latest world. The evaluation path passes None, and numba then
    compiles the recording away (its speed is unchanged). ``settle``: stop
    once the return can no longer change (END_SETTLED), for evaluations,
    which read only the return."""
    for i in range(istate.shape[0]):
        istate[i] = 0
    _init_task(task, params, istate)
    r, c, d = agent0[0], agent0[1], agent0[2]
    h, w = markers.shape
    total = 0
    n_over1 = 0
    key = zob_agent[r, c, d]
    for i in range(h):
        for j in range(w):
            walls[i, j] = walls0[i, j]
            m = markers0[i, j]
            markers[i, j] = m
            total += m
            if m > 1:
                n_over1 += 1
            key ^= zob_marks[i, j, m]
    if frames is not None:
        _record(0, r, c, d, walls, markers, istate, frames)
    calls = 0
    n_used = 0
    n_actions = 0
    ret = 0.0
    reason = END_PROGRAM
    crashed = False
    mask = table.shape[0] - 1
    top = -1  # of the REPEAT counters' stack
    pc = base
    while True:
        op = code[pc, 0]
        if op == ACT:
            a = code[pc, 1]
            calls += 1
            if calls > MAX_CALLS:
                crashed = True
            n_actions += 1
            if a == 0:  # move; blocked or crashed: turn around
                nr, nc = r + _DR[d], c + _DC[d]
                if not crashed and _clear(walls, nr, nc):
                    key ^= zob_agent[r, c, d] ^ zob_agent[nr, nc, d]
                    r, c = nr, nc
                else:
                    nd = (d + 2) % 4
                    key ^= zob_agent[r, c, d] ^ zob_agent[r, c, nd]
                    d = nd
            elif a == 1:
                nd = (d + 3) % 4
                key ^= zob_agent[r, c, d] ^ zob_agent[r, c, nd]
                d = nd
            elif a == 2:
                nd = (d + 1) % 4
                key ^= zob_agent[r, c, d] ^ zob_agent[r, c, nd]
                d = nd
            elif a == 3:
                m = markers[r, c]
                if m > 0:
                    key ^= zob_marks[r, c, m] ^ zob_marks[r, c, m - 1]
                    markers[r, c] = m - 1
                    total -= 1
                    if m == 2:
                        n_over1 -= 1
            else:
                m = markers[r, c]
                if m < MAX_MARKERS:
                    key ^= zob_marks[r, c, m] ^ zob_marks[r, c, m + 1]
                    markers[r, c] = m + 1
                    total += 1
                    if m == 1:
                        n_over1 += 1
            term, rew = _reward(task, walls, markers, r, c, d, total, n_over1, params, istate, food)
            ret += rew
            if frames is not None:
                _record(n_actions, r, c, d, walls, markers, istate, frames)
            if term:
                reason = END_TERMINATED
                break
            if crashed:
                reason = END_BUDGET
                break
            if settle and _settled(task, walls, r, c):
                reason = END_SETTLED
                break
            pc += 1
        elif op == JUMP_IF_FALSE:
            calls += 1
            if calls > MAX_CALLS:
                reason = END_BUDGET  # no action, hence no reward, can follow
                break
            cond = code[pc, 1]  # perception * 2 + negated
            v = _perceive(cond >> 1, walls, markers, r, c, d)
            if cond & 1:
                v = not v
            pc = pc + 1 if v else base + code[pc, 2]
        elif op == JUMP:
            pc = base + code[pc, 1]
        elif op == WHILE_IF_FALSE:
            calls += 1
            if calls > MAX_CALLS:
                reason = END_BUDGET
                break
            cond = code[pc, 1]
            v = _perceive(cond >> 1, walls, markers, r, c, d)
            if cond & 1:
                v = not v
            if not v:
                pc = base + code[pc, 2]
                continue
            k = key ^ node_keys[code[pc, 3]]
            if k == 0:
                k = 1
            slot = k & mask
            seen = False
            while table[slot] != 0:
                if table[slot] == k:
                    seen = True
                    break
                slot = (slot + 1) & mask
            if seen:
                reason = END_LOOP_GUARD
                break
            table[slot] = k
            used[n_used] = slot
            n_used += 1
            pc += 1
        elif op == REPEAT_INIT:
            top += 1
            rep[top] = code[pc, 1]
            pc += 1
        elif op == REPEAT_NEXT:
            if rep[top] == 0:
                top -= 1
                pc = base + code[pc, 2]
            else:
                rep[top] -= 1
                pc += 1
        else:  # HALT
            break
    for i in range(n_used):
        table[used[i]] = 0
    return ret, calls, reason, n_actions


@nb.njit(cache=True, parallel=True)
def run_batch(code, offsets, task, walls0, markers0, agents0, params, food,
              zob_agent, zob_marks, node_keys, stack_size, n_chunks, settle=False):
    """Every program (first bytecode rows ``offsets`` (P,)) on every world
    (N): returns, calls, end reasons and action counts, each (P, N). Work is
    split in ``n_chunks`` contiguous chunks of pairs, each with its own
    scratch; ``stack_size`` bounds the programs' REPEAT nesting; ``settle``: see run_episode."""
    p_count = offsets.shape[0]
    n = walls0.shape[0]
    h, w = walls0.shape[1], walls0.shape[2]
    total_pairs = p_count * n
    returns = np.zeros((p_count, n), dtype=np.float64)
    calls = np.zeros((p_count, n), dtype=np.int64)
    reasons = np.zeros((p_count, n), dtype=np.int8)
    actions = np.zeros((p_count, n), dtype=np.int64)
    per_chunk = (total_pairs + n_chunks - 1) // n_chunks
    for ch in nb.prange(n_chunks):
        table = np.zeros(_TABLE_SIZE, dtype=np.int64)
        used = np.empty(MAX_CALLS + 1, dtype=np.int64)
        walls = np.empty((h, w), dtype=np.bool_)
        markers = np.empty((h, w), dtype=np.int8)
        istate = np.zeros(NUM_TASK_STATE, dtype=np.int64)
        rep = np.zeros(max(1, stack_size), dtype=np.int64)
        lo = ch * per_chunk
        hi = min(total_pairs, lo + per_chunk)
        for q in range(lo, hi):
            i = q // n
            j = q % n
            ret, cl, rs, na = run_episode(code, offsets[i], task, walls0[j], markers0[j], agents0[j], params[j],
                                          food[j], zob_agent, zob_marks, node_keys, table, used, walls, markers,
                                          istate, rep, None, settle)
            returns[i, j] = ret
            calls[i, j] = cl
            reasons[i, j] = rs
            actions[i, j] = na
    return returns, calls, reasons, actions


@nb.njit(cache=True)
def trace_episode(code, task, walls0, markers0, agent0, params, food, zob_agent, zob_marks, node_keys, n_frames):
    """One program (all of ``code``) on one world, recording frames
    (see run_episode; ``n_frames`` >= 1): (return, calls, end reason, actions
    run, agents, walls, markers, task states), the frames cut to those
    filled: the worlds after actions 0..F-2 and, last, the final world."""
    h, w = walls0.shape
    frames = (np.zeros((n_frames, 3), dtype=np.int64), np.zeros((n_frames, h, w), dtype=np.bool_),
              np.zeros((n_frames, h, w), dtype=np.int8), np.zeros((n_frames, NUM_TASK_STATE), dtype=np.int64))
    ret, calls, reason, n_actions = run_episode(
        code, 0, task, walls0, markers0, agent0, params, food, zob_agent, zob_marks, node_keys,
        np.zeros(_TABLE_SIZE, dtype=np.int64), np.empty(MAX_CALLS + 1, dtype=np.int64),
        np.empty((h, w), dtype=np.bool_), np.empty((h, w), dtype=np.int8), np.zeros(NUM_TASK_STATE, dtype=np.int64),
        np.zeros(code.shape[0], dtype=np.int64), frames,
    )
    n = min(n_actions + 1, n_frames)
    return ret, calls, reason, n_actions, frames[0][:n], frames[1][:n], frames[2][:n], frames[3][:n]


init_task = _init_task
"""A task's episode state set up from its parameters (for other compiled steppers: leaps.karel.vector)."""
task_reward = _reward
"""(terminated, reward) after an action, by task id (for other compiled steppers: leaps.karel.vector)."""
