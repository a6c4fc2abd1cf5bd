"""The LEAPS prior (leaps.karel.program_generator) and subtree mutation
(leaps.search.spaces.mutation) on token id arrays in compiled code: the
program space of ``searcher.variant=best_improvement``.

Same draws from the same NumPy ``Generator`` in the same order as the
Python versions (numba's ``Generator.random``/``integers`` consume the
stream as NumPy's do), hence the same programs: a search gives the same
result either way, only faster. The Python versions stay the reference
(tests/search/test_hill_climbing_variants.py compares them)."""

from __future__ import annotations

import numba as nb
import numpy as np

from leaps.karel import dsl
from leaps.karel.dsl import (
    ACTION_FIRST_ID,
    ACTION_LAST_ID,
    C_CLOSE,
    C_OPEN,
    DEF,
    E_CLOSE,
    E_OPEN,
    ELSE,
    I_CLOSE,
    I_OPEN,
    IF,
    IFELSE,
    M_CLOSE,
    M_OPEN,
    NOT,
    PAD_ID,
    R_CLOSE,
    R_OPEN,
    REPEAT,
    REPEAT_COUNT_0,
    RUN,
    W_CLOSE,
    W_OPEN,
    WHILE,
)
from leaps.karel.program_generator import ProgramGenerator

# Statement kinds, in the order of the generator's table (STATEMENT_PROBS).
_KIND_CODES = {"while": 0, "repeat": 1, "stmt_stmt": 2, "action": 3, "if": 4, "ifelse": 5}
_WHILE_K, _REPEAT_K, _SEQ_K, _ACTION_K, _IF_K, _IFELSE_K = range(6)

_T_TOKEN, _T_STMT, _T_COND = range(3)

_REPEAT_COUNTS = dsl.MAX_REPEAT + 1
SCRATCH = 4096
"""Tokens a mutation's new subtree may have: the default prior's subtrees
have at most ~450 (depth <= 6), and a draw is always made whole, as in Python."""
HEADER_REDRAW = 0.2
"""Chance that a mutation re-draws a control statement's condition or count instead of the statement (Mutator)."""


class Tables:
    """A :class:`ProgramGenerator`'s choice tables as arrays for compiled code."""

    def __init__(self, generator: ProgramGenerator):
        names, self.stmt_cum = generator._stmt_table
        self.stmt_kinds = np.array([_KIND_CODES[n] for n in names], dtype=np.int64)
        names, self.cond_cum = generator._cond_table
        self.cond_negated = np.array([n == "not" for n in names], dtype=np.bool_)
        names, self.percept_cum = generator._percept_table
        self.percept_ids = np.array([dsl.TOKEN_ID[n] for n in names], dtype=np.int64)
        names, self.action_cum = generator._action_table
        self.action_ids = np.array([dsl.TOKEN_ID[n] for n in names], dtype=np.int64)
        self.max_depth, self.max_nesting = generator.max_depth, generator.max_nesting
        self.seq_depth = generator.sequence_depth

    def args(self) -> tuple:
        return (self.stmt_cum, self.stmt_kinds, self.cond_cum, self.cond_negated, self.percept_cum,
                self.percept_ids, self.action_cum, self.action_ids, self.max_depth, self.max_nesting, self.seq_depth)


@nb.njit(cache=True)
def _pick(cumulative: np.ndarray, u: float) -> int:
    """ProgramGenerator._pick: the index ``searchsorted(cumulative, u, 'right')``, at most the last."""
    i = 0
    while i < cumulative.shape[0] and cumulative[i] <= u:
        i += 1
    return min(i, cumulative.shape[0] - 1)


@nb.njit(cache=True)
def _put(buf, pos, token):
    if pos < 0 or pos >= buf.shape[0]:
        return -1
    buf[pos] = token
    return pos + 1


@nb.njit(cache=True)
def _push(stack, sp, op, a, b):
    if sp < 0 or sp >= stack.shape[0]:
        return -1
    stack[sp, 0], stack[sp, 1], stack[sp, 2] = op, a, b
    return sp + 1


@nb.njit(cache=True)
def _condition(rng, cond_cum, cond_negated, percept_cum, percept_ids, buf, pos):
    """ProgramGenerator._condition's draws (negation, then perception) as tokens."""
    negated = cond_negated[_pick(cond_cum, rng.random())]
    percept = percept_ids[_pick(percept_cum, rng.random())]
    pos = _put(buf, pos, C_OPEN)
    if negated:
        pos = _put(buf, _put(buf, pos, NOT), C_OPEN)
    pos = _put(buf, pos, percept)
    if negated:
        pos = _put(buf, pos, C_CLOSE)
    return _put(buf, pos, C_CLOSE)


@nb.njit(cache=True)
def stmt(rng, stmt_cum, stmt_kinds, cond_cum, cond_negated, percept_cum, percept_ids, action_cum, action_ids,
         max_depth, max_nesting, seq_depth, depth, nesting, buf, pos):
    """ProgramGenerator._stmt(rng, depth, nesting) written to ``buf`` from
    ``pos``: the position after it, or -1 if ``buf`` is too small. The
    recursion is an explicit stack (numba cannot cache recursive code)."""
    return stmt_with(rng, stmt_cum, stmt_kinds, cond_cum, cond_negated, percept_cum, percept_ids, action_cum,
                     action_ids, max_depth, max_nesting, seq_depth, depth, nesting, buf, pos,
                     np.empty((buf.shape[0] + 16, 3), dtype=np.int64))  # every pending task writes >= 1 token


@nb.njit(cache=True)
def stmt_with(rng, stmt_cum, stmt_kinds, cond_cum, cond_negated, percept_cum, percept_ids, action_cum, action_ids,
              max_depth, max_nesting, seq_depth, depth, nesting, buf, pos, stack):
    """stmt with the caller's task stack (at least ``buf``'s size + 16 rows)."""
    sp = _push(stack, 0, _T_STMT, depth, nesting)
    while sp > 0:
        if pos < 0:
            return -1
        sp -= 1
        op, d, n = stack[sp, 0], stack[sp, 1], stack[sp, 2]
        if op == _T_TOKEN:
            pos = _put(buf, pos, d)
            continue
        if op == _T_COND:
            pos = _condition(rng, cond_cum, cond_negated, percept_cum, percept_ids, buf, pos)
            continue
        if d > max_depth or n > max_nesting:
            pos = _put(buf, pos, action_ids[_pick(action_cum, rng.random())])
            continue
        kind = stmt_kinds[_pick(stmt_cum, rng.random())]
        if kind == _ACTION_K:
            pos = _put(buf, pos, action_ids[_pick(action_cum, rng.random())])
        elif kind == _SEQ_K:
            sp = _push(stack, sp, _T_STMT, d + seq_depth, n)
            sp = _push(stack, sp, _T_STMT, d + seq_depth, n)
        elif kind == _REPEAT_K:  # count drawn before the body
            pos = _put(buf, _put(buf, _put(buf, pos, REPEAT), REPEAT_COUNT_0 + rng.integers(0, _REPEAT_COUNTS)), R_OPEN)
            sp = _push(stack, sp, _T_TOKEN, R_CLOSE, 0)
            sp = _push(stack, sp, _T_STMT, d + 2, n + 1)
        else:  # WHILE / IF / IFELSE: condition, then the bodies
            pos = _put(buf, pos, WHILE if kind == _WHILE_K else IF if kind == _IF_K else IFELSE)
            if kind == _IFELSE_K:
                sp = _push(stack, sp, _T_TOKEN, E_CLOSE, 0)
                sp = _push(stack, sp, _T_STMT, d + 2, n + 1)
                sp = _push(stack, sp, _T_TOKEN, E_OPEN, 0)
                sp = _push(stack, sp, _T_TOKEN, ELSE, 0)
            sp = _push(stack, sp, _T_TOKEN, W_CLOSE if kind == _WHILE_K else I_CLOSE, 0)
            sp = _push(stack, sp, _T_STMT, d + 2, n + 1)
            sp = _push(stack, sp, _T_TOKEN, W_OPEN if kind == _WHILE_K else I_OPEN, 0)
            sp = _push(stack, sp, _T_COND, 0, 0)
        if sp < 0:
            return -1
    return pos


@nb.njit(cache=True)
def sample_into(rng, stmt_cum, stmt_kinds, cond_cum, cond_negated, percept_cum, percept_ids, action_cum,
                action_ids, max_depth, max_nesting, seq_depth, max_tokens, buf):
    """ProgramGenerator.sample_many(1, rng, max_tokens, unique=False): draw
    programs until one has at most ``max_tokens`` tokens; its length in ``buf``
    (-1 if ``buf`` was too small for a draw)."""
    while True:
        pos = _put(buf, _put(buf, _put(buf, 0, DEF), RUN), M_OPEN)
        pos = stmt(rng, stmt_cum, stmt_kinds, cond_cum, cond_negated, percept_cum, percept_ids, action_cum,
                   action_ids, max_depth, max_nesting, seq_depth, 1, 0, buf, pos)
        pos = _put(buf, pos, M_CLOSE)
        if pos < 0:
            return -1
        if pos <= max_tokens:
            return pos


@nb.njit(cache=True)
def statements(tokens):
    """Every statement in token order (statement_paths' order): start, end,
    nesting, and its header's span (the condition's ``c( ... c)`` or the
    repeat count; empty for an action)."""
    n = tokens.shape[0]
    starts = np.empty(n, dtype=np.int64)
    ends = np.empty(n, dtype=np.int64)
    nesting = np.empty(n, dtype=np.int64)
    head_start = np.empty(n, dtype=np.int64)
    head_end = np.empty(n, dtype=np.int64)
    owner = np.empty(n, dtype=np.int64)  # the statement of each open block, innermost last
    top = 0
    count = 0
    pos = 3
    while pos < n:
        t = tokens[pos]
        if ACTION_FIRST_ID <= t <= ACTION_LAST_ID:
            starts[count], ends[count], nesting[count] = pos, pos + 1, top
            head_start[count], head_end[count] = pos, pos
            count += 1
            pos += 1
        elif t == REPEAT:  # REPEAT R=k r(
            starts[count], nesting[count], head_start[count], head_end[count] = pos, top, pos + 1, pos + 2
            owner[top] = count
            top += 1
            count += 1
            pos += 3
        elif t in (WHILE, IF, IFELSE):  # head c( [not c(] p [c)] c) open
            width = 6 if tokens[pos + 2] == NOT else 3
            starts[count], nesting[count], head_start[count], head_end[count] = pos, top, pos + 1, pos + 1 + width
            owner[top] = count
            top += 1
            count += 1
            pos += 2 + width
        elif t == M_CLOSE or top == 0:
            break
        else:  # the closing token of a block
            top -= 1
            s = owner[top]
            if t == I_CLOSE and tokens[starts[s]] == IFELSE:  # i) ELSE e(
                top += 1
                pos += 3
            else:
                ends[s] = pos + 1
                pos += 1
    return starts[:count], ends[:count], nesting[:count], head_start[:count], head_end[:count]


@nb.njit(cache=True)
def mutate_into(rng, stmt_cum, stmt_kinds, cond_cum, cond_negated, percept_cum, percept_ids, action_cum, action_ids,
                max_depth, max_nesting, seq_depth, tokens, starts, ends, nesting, head_start, head_end, max_tokens,
                max_tries, scratch, stack, row):
    """Mutator.mutate: one neighbour of ``tokens`` into ``row``; its length."""
    n = tokens.shape[0]
    n_stmts = starts.shape[0]
    for _ in range(max_tries):
        j = rng.integers(0, n_stmts)
        is_action = head_start[j] == head_end[j]
        if rng.random() < HEADER_REDRAW and not is_action:
            a, b = head_start[j], head_end[j]
            if tokens[starts[j]] == REPEAT:
                new_len = _put(scratch, 0, REPEAT_COUNT_0 + rng.integers(0, _REPEAT_COUNTS))
            else:
                new_len = _condition(rng, cond_cum, cond_negated, percept_cum, percept_ids, scratch, 0)
        else:
            a, b = starts[j], ends[j]
            new_len = stmt_with(rng, stmt_cum, stmt_kinds, cond_cum, cond_negated, percept_cum, percept_ids,
                                action_cum, action_ids, max_depth, max_nesting, seq_depth, 1 + 2 * nesting[j],
                                nesting[j], scratch, 0, stack)
        if new_len < 0:  # a draw must be whole to leave the generator as the Python version does
            raise RuntimeError("a mutation's subtree is longer than the scratch buffer")
        total = n - (b - a) + new_len
        if total > max_tokens:
            continue
        same = total == n and new_len == b - a
        if same:
            for i in range(new_len):
                if scratch[i] != tokens[a + i]:
                    same = False
                    break
        if same:
            continue
        row[:a] = tokens[:a]
        row[a:a + new_len] = scratch[:new_len]
        row[a + new_len:total] = tokens[b:]
        return total
    row[:n] = tokens
    return n


@nb.njit(cache=True)
def neighbours_into(rng, stmt_cum, stmt_kinds, cond_cum, cond_negated, percept_cum, percept_ids, action_cum,
                    action_ids, max_depth, max_nesting, seq_depth, tokens, k, max_tokens, max_tries, out, lengths):
    """``k`` calls of Mutator.mutate on ``tokens``, into rows of ``out`` (padded)."""
    starts, ends, nesting, head_start, head_end = statements(tokens)
    scratch = np.empty(SCRATCH, dtype=np.int64)
    stack = np.empty((SCRATCH + 16, 3), dtype=np.int64)
    for i in range(k):
        lengths[i] = mutate_into(rng, stmt_cum, stmt_kinds, cond_cum, cond_negated, percept_cum, percept_ids,
                                 action_cum, action_ids, max_depth, max_nesting, seq_depth, tokens, starts, ends,
                                 nesting, head_start, head_end, max_tokens, max_tries, scratch, stack, out[i])
        out[i, lengths[i]:] = PAD_ID


class LeapsGrammar:
    """Samples and neighbours of ``generator``'s prior as token ids, as
    ``generator.sample_many(n, rng, unique=False)`` and ``Mutator(generator).mutate``."""

    def __init__(self, generator: ProgramGenerator, max_tokens: int = dsl.MAX_PROGRAM_TOKENS, max_tries: int = 50):
        self.tables = Tables(generator)
        self.max_tokens, self.max_tries = max_tokens, max_tries

    def sample(self, rng: np.random.Generator) -> np.ndarray:
        size = 1024
        while True:  # a draw longer than the buffer repeats from the same state with a larger one
            saved = rng.bit_generator.state
            buf = np.empty(size, dtype=np.int64)
            n = sample_into(rng, *self.tables.args(), self.max_tokens, buf)
            if n >= 0:
                return buf[:n].copy()
            rng.bit_generator.state = saved
            size *= 4

    def neighbours(self, rng: np.random.Generator, tokens: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        out = np.empty((k, self.max_tokens), dtype=np.int64)
        lengths = np.empty(k, dtype=np.int64)
        neighbours_into(rng, *self.tables.args(), np.ascontiguousarray(tokens, dtype=np.int64), k,
                        self.max_tokens, self.max_tries, out, lengths)
        return out, lengths
