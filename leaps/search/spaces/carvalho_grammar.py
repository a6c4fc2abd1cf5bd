"""The probabilistic grammar and node mutation of Carvalho, Tjhia & Lelis's
hill climbing (ICLR 2024; lelis-research/prog_policies), on token id arrays
in compiled code: the program space of ``searcher.variant=first_improvement``.

Written from their grammar, not copied. Their AST has a node for every
statement, condition, negation, repeat count and ``Concatenate`` (a block
of n statements is a right-nested chain of n-1 of them: a ``Concatenate``
node stands for a statement and all that follow it in its block). The rules
followed (their file and function for each):

- production probabilities (``prog_policies/karel/dsl.py``,
  ``KarelDSL.get_dsl_nodes_probs``, ``action_probs``, ``bool_feat_probs``,
  ``const_int_probs``): a statement is WHILE .15, REPEAT .03, a sequence .5,
  IF .08, IFELSE .04, an action .2; a condition a perception .9 or its
  negation .1; repeat counts 0..19 uniform;
- which productions a slot admits (``prog_policies/base/dsl.py``,
  ``BaseDSL.prod_rules``): the first statement of a sequence is no
  sequence, an IFELSE's condition and a negated perception are no negation;
- sampling (``prog_policies/search/stochastic_hill_climbing2.py``,
  ``fill_children_of_node``): at depth >= the limit no WHILE/REPEAT/IF/IFELSE;
  a sequence's second statement is no sequence once the chain would reach
  the sequence limit; a fresh program (``random_program``) has depth <= 4 and
  at most 6 statements in a row;
- a neighbour (``mutate_node``, ``search_iteration``): a node other than the
  program, uniformly, re-drawn from its slot's productions, its children
  filled with depth limit 2 and sequence limit 4; accepted only if the
  program has depth <= 4 (``get_max_depth``: the program counts 1, every
  WHILE/REPEAT/IF/IFELSE 1), at most 6 statements in a row
  (``get_max_sequence``) and at most 45 tokens, else drawn again.

Every draw comes from a NumPy ``Generator`` passed in (numba shares its
state), so a search is reproducible and resumable from its generator state.
"""

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

# Node kinds and slots --------------------------------------------------------
K_WHILE, K_REPEAT, K_CONCAT, K_IF, K_ITE, K_ACTION, K_FEATURE, K_NOT, K_INT = range(9)
NUM_KINDS = 9
S_STMT, S_STMT_NO_SEQ, S_BOOL, S_BOOL_NO_NOT, S_INT = range(5)
KIND_NAMES = ("while", "repeat", "sequence", "if", "ifelse", "action", "perception", "not", "repeat_count")
SLOT_NAMES = ("statement", "statement (no sequence)", "condition", "condition (no not)", "repeat count")

STATEMENT_PROBS = {K_WHILE: 0.15, K_REPEAT: 0.03, K_CONCAT: 0.5, K_IF: 0.08, K_ITE: 0.04, K_ACTION: 0.2}
CONDITION_PROBS = {K_FEATURE: 0.9, K_NOT: 0.1}
ACTION_PROBS = {"move": 0.5, "turnLeft": 0.15, "turnRight": 0.15, "putMarker": 0.1, "pickMarker": 0.1}
PERCEPTION_PROBS = {"frontIsClear": 0.5, "leftIsClear": 0.15, "rightIsClear": 0.15, "markersPresent": 0.1,
                    "noMarkersPresent": 0.1}
REPEAT_COUNTS = 20  # R=0..19, uniform
CONTROL_KINDS = (K_WHILE, K_REPEAT, K_IF, K_ITE)
"""Kinds that add a level of depth (their ``node_depth`` 1)."""

PROGRAM_MAX_DEPTH, PROGRAM_MAX_SEQUENCE = 4, 6
"""Limits of a fresh program and of every accepted neighbour."""
MUTATION_MAX_DEPTH, MUTATION_MAX_SEQUENCE = 2, 4
"""Limits while filling the children of a re-drawn node."""
MAX_TOKENS = dsl.MAX_PROGRAM_TOKENS
"""Tokens of an accepted neighbour, ``DEF run m( ... m)`` included (a fresh program has no such limit)."""


def _slot_weights() -> np.ndarray:
    """(slot, kind) -> production probability, zero where the slot does not admit the kind."""
    w = np.zeros((5, NUM_KINDS))
    for kind, p in STATEMENT_PROBS.items():
        w[S_STMT, kind] = p
        w[S_STMT_NO_SEQ, kind] = 0.0 if kind == K_CONCAT else p
    for kind, p in CONDITION_PROBS.items():
        w[S_BOOL, kind] = p
        w[S_BOOL_NO_NOT, kind] = 0.0 if kind == K_NOT else p
    w[S_INT, K_INT] = 1.0
    return w


def _leaf_table(probs: dict[str, float]) -> tuple[np.ndarray, np.ndarray]:
    ids = np.array([dsl.TOKEN_ID[name] for name in probs], dtype=np.int64)
    cumulative = np.cumsum(list(probs.values()))
    return ids, cumulative / cumulative[-1]


SLOT_WEIGHTS = _slot_weights()
IS_CONTROL = np.array([k in CONTROL_KINDS for k in range(NUM_KINDS)])
_ACTION_IDS, _ACTION_CUM = _leaf_table(ACTION_PROBS)
_FEATURE_IDS, _FEATURE_CUM = _leaf_table(PERCEPTION_PROBS)



# Sampling ---------------------------------------------------------------------
@nb.njit(cache=True)
def _pick(rng, cumulative: np.ndarray) -> int:
    u = rng.random()
    for i in range(cumulative.shape[0] - 1):
        if u < cumulative[i]:
            return i
    return cumulative.shape[0] - 1


@nb.njit(cache=True)
def _choose(rng, weights: np.ndarray, slot: int, no_control: bool, no_sequence: bool) -> int:
    """A kind for ``slot`` drawn in proportion to its probabilities, without
    the kinds the limits rule out."""
    total = 0.0
    for k in range(NUM_KINDS):
        if weights[slot, k] > 0 and not (no_control and IS_CONTROL[k]) and not (no_sequence and k == K_CONCAT):
            total += weights[slot, k]
    u = rng.random() * total
    last = -1
    for k in range(NUM_KINDS):
        w = weights[slot, k]
        if w > 0 and not (no_control and IS_CONTROL[k]) and not (no_sequence and k == K_CONCAT):
            last = k
            if u < w:
                return k
            u -= w
    return last


@nb.njit(cache=True)
def _child(rng, weights, slot, in_sequence, depth, seq, max_depth, max_seq):
    """Kind of a child in ``slot`` of a node filled at (``depth``, ``seq``)
    and the (depth, seq) its own children are filled at, as
    ``fill_children_of_node`` computes them."""
    kind = _choose(rng, weights, slot, depth >= max_depth, in_sequence and seq + 1 >= max_seq)
    return kind, depth + (1 if IS_CONTROL[kind] else 0), (seq + 1) if in_sequence else 1


@nb.njit(cache=True)
def _put(buf: np.ndarray, pos: int, token: int) -> int:
    if pos < 0 or pos >= buf.shape[0]:
        return -1
    buf[pos] = token
    return pos + 1


_T_TOKEN, _T_CHILD, _T_NODE = range(3)  # tasks of emit_node's stack


@nb.njit(cache=True)
def _push(stack, sp, op, a, b, c, d):
    if sp < 0 or sp >= stack.shape[0]:
        return -1
    stack[sp, 0], stack[sp, 1], stack[sp, 2], stack[sp, 3], stack[sp, 4] = op, a, b, c, d
    return sp + 1


@nb.njit(cache=True)
def emit_node(rng, weights, kind, depth, seq, max_depth, max_seq, buf, pos):
    """Write a node of ``kind`` whose children are filled at (``depth``,
    ``seq``) into ``buf`` from ``pos``; the position after it, or -1 when
    ``buf`` is too small (the draw is then void). Children are drawn in
    order, each filled before the next is drawn, as the recursive original;
    the recursion is an explicit stack (numba cannot cache recursive code)."""
    # Every pending task writes at least one token, so a stack deeper than
    # the room left in ``buf`` means an overflow.
    return emit_node_with(rng, weights, kind, depth, seq, max_depth, max_seq, buf, pos,
                          np.empty((buf.shape[0] + 16, 5), dtype=np.int64))


@nb.njit(cache=True)
def emit_node_with(rng, weights, kind, depth, seq, max_depth, max_seq, buf, pos, stack):
    """emit_node with the caller's task stack (at least ``buf``'s size + 16 rows)."""
    sp = _push(stack, 0, _T_NODE, kind, 0, depth, seq)
    while sp > 0:
        if pos < 0:
            return -1
        sp -= 1
        op, a, b, c, d = stack[sp, 0], stack[sp, 1], stack[sp, 2], stack[sp, 3], stack[sp, 4]
        if op == _T_TOKEN:
            pos = _put(buf, pos, a)
            continue
        if op == _T_CHILD:  # (slot, in a sequence, depth, seq): draw the kind, fill it next
            k, cd, cs = _child(rng, weights, a, b == 1, c, d, max_depth, max_seq)
            sp = _push(stack, sp, _T_NODE, k, 0, cd, cs)
        elif a == K_ACTION:
            pos = _put(buf, pos, _ACTION_IDS[_pick(rng, _ACTION_CUM)])
        elif a == K_FEATURE:
            pos = _put(buf, pos, _FEATURE_IDS[_pick(rng, _FEATURE_CUM)])
        elif a == K_INT:
            pos = _put(buf, pos, REPEAT_COUNT_0 + rng.integers(0, REPEAT_COUNTS))
        elif a == K_NOT:  # not c( <condition> c)
            pos = _put(buf, _put(buf, pos, NOT), C_OPEN)
            sp = _push(stack, sp, _T_TOKEN, C_CLOSE, 0, 0, 0)
            sp = _push(stack, sp, _T_CHILD, S_BOOL_NO_NOT, 0, c, d)
        elif a == K_CONCAT:  # <statement, no sequence> <statement>, pushed in reverse
            sp = _push(stack, sp, _T_CHILD, S_STMT, 1, c, d)
            sp = _push(stack, sp, _T_CHILD, S_STMT_NO_SEQ, 1, c, d)
        elif a == K_REPEAT:  # REPEAT <count> r( <statement> r)
            pos = _put(buf, pos, REPEAT)
            sp = _push(stack, sp, _T_TOKEN, R_CLOSE, 0, 0, 0)
            sp = _push(stack, sp, _T_CHILD, S_STMT, 0, c, d)
            sp = _push(stack, sp, _T_TOKEN, R_OPEN, 0, 0, 0)
            sp = _push(stack, sp, _T_CHILD, S_INT, 0, c, d)
        else:  # WHILE / IF / IFELSE: head c( <condition> c) open <statement> close [ELSE e( <statement> e)]
            head = WHILE if a == K_WHILE else IF if a == K_IF else IFELSE
            pos = _put(buf, _put(buf, pos, head), C_OPEN)
            if a == K_ITE:
                sp = _push(stack, sp, _T_TOKEN, E_CLOSE, 0, 0, 0)
                sp = _push(stack, sp, _T_CHILD, S_STMT, 0, c, d)
                sp = _push(stack, sp, _T_TOKEN, E_OPEN, 0, 0, 0)
                sp = _push(stack, sp, _T_TOKEN, ELSE, 0, 0, 0)
            sp = _push(stack, sp, _T_TOKEN, W_CLOSE if a == K_WHILE else I_CLOSE, 0, 0, 0)
            sp = _push(stack, sp, _T_CHILD, S_STMT, 0, c, d)
            sp = _push(stack, sp, _T_TOKEN, W_OPEN if a == K_WHILE else I_OPEN, 0, 0, 0)
            sp = _push(stack, sp, _T_TOKEN, C_CLOSE, 0, 0, 0)
            sp = _push(stack, sp, _T_CHILD, S_BOOL_NO_NOT if a == K_ITE else S_BOOL, 0, c, d)
        if sp < 0:
            return -1
    return pos


@nb.njit(cache=True)
def sample_program(rng, weights, max_depth, max_seq, buf) -> int:
    """A fresh program (their ``random_program``) in ``buf``: its length, or -1 if ``buf`` is too small."""
    pos = _put(buf, _put(buf, _put(buf, 0, DEF), RUN), M_OPEN)
    k, d, s = _child(rng, weights, S_STMT, False, 1, 0, max_depth, max_seq)
    return _put(buf, emit_node(rng, weights, k, d, s, max_depth, max_seq, buf, pos), M_CLOSE)


def sample(rng: np.random.Generator, max_depth: int = PROGRAM_MAX_DEPTH,
           max_seq: int = PROGRAM_MAX_SEQUENCE) -> np.ndarray:
    """One fresh program as token ids. Its size has no fixed bound: on
    overflow the draw is repeated from the same generator state with a
    larger buffer, so the result never depends on the buffer."""
    size = 256
    while True:
        saved = rng.bit_generator.state
        buf = np.empty(size, dtype=np.int64)
        n = sample_program(rng, SLOT_WEIGHTS, max_depth, max_seq, buf)
        if n >= 0:
            return buf[:n].copy()
        rng.bit_generator.state = saved
        size *= 4


# The nodes of a program --------------------------------------------------------
@nb.njit(cache=True)
def _node(starts, ends, slots, kinds, count, start, end, slot, kind):
    i = count[0]
    count[0] += 1
    starts[i], ends[i], slots[i], kinds[i] = start, end, slot, kind
    return i


@nb.njit(cache=True)
def program_nodes(tokens):
    """Every node of a (valid) program but the program itself, as token
    spans [start, end), slots and kinds, in no particular order. One pass
    with a stack of open blocks (no recursion: numba cannot cache it)."""
    n = tokens.shape[0]
    cap = 2 * n + 4
    starts = np.zeros(cap, dtype=np.int64)
    ends = np.zeros(cap, dtype=np.int64)
    slots = np.zeros(cap, dtype=np.int64)
    kinds = np.zeros(cap, dtype=np.int64)
    count = np.zeros(1, dtype=np.int64)
    statements = np.empty(n, dtype=np.int64)  # statement nodes of the open blocks, innermost last
    n_statements = 0
    block_base = np.empty(n, dtype=np.int64)  # where each open block's statements begin in ``statements``
    owner = np.empty(n, dtype=np.int64)  # the statement node each open block belongs to (-1: the program)
    top = 0
    block_base[0], owner[0] = 0, -1
    pos = 3
    while pos < n:
        t = tokens[pos]
        if ACTION_FIRST_ID <= t <= ACTION_LAST_ID:
            statements[n_statements] = _node(starts, ends, slots, kinds, count, pos, pos + 1, S_STMT, K_ACTION)
            n_statements += 1
            pos += 1
        elif t == REPEAT:  # REPEAT R=k r(
            node = _node(starts, ends, slots, kinds, count, pos, pos, S_STMT, K_REPEAT)
            statements[n_statements] = node
            n_statements += 1
            _node(starts, ends, slots, kinds, count, pos + 1, pos + 2, S_INT, K_INT)
            top += 1
            block_base[top], owner[top] = n_statements, node
            pos += 3
        elif t in (WHILE, IF, IFELSE):  # head c( [not c(] p [c)] c) open
            node = _node(starts, ends, slots, kinds, count, pos, pos,
                         S_STMT, K_WHILE if t == WHILE else K_IF if t == IF else K_ITE)
            statements[n_statements] = node
            n_statements += 1
            cond_slot = S_BOOL_NO_NOT if t == IFELSE else S_BOOL
            if tokens[pos + 2] == NOT:
                _node(starts, ends, slots, kinds, count, pos + 2, pos + 6, cond_slot, K_NOT)
                _node(starts, ends, slots, kinds, count, pos + 4, pos + 5, S_BOOL_NO_NOT, K_FEATURE)
                pos += 8
            else:
                _node(starts, ends, slots, kinds, count, pos + 2, pos + 3, cond_slot, K_FEATURE)
                pos += 5
            top += 1
            block_base[top], owner[top] = n_statements, node
        else:  # a block's closing token: its statements' slots and sequence nodes
            base = block_base[top]
            for j in range(base, n_statements):
                slots[statements[j]] = S_STMT if j == n_statements - 1 else S_STMT_NO_SEQ
            for j in range(base, n_statements - 1):  # statement j and all that follow it in the block
                _node(starts, ends, slots, kinds, count, starts[statements[j]], pos, S_STMT, K_CONCAT)
            n_statements = base
            node = owner[top]
            top -= 1
            if node < 0:
                break  # m)
            if t == I_CLOSE and kinds[node] == K_ITE:  # i) ELSE e(
                top += 1
                block_base[top], owner[top] = n_statements, node
                pos += 3
            else:
                ends[node] = pos + 1
                pos += 1
    k = count[0]
    return starts[:k], ends[:k], slots[:k], kinds[:k]


@nb.njit(cache=True)
def shape(tokens, n):
    """(depth, longest sequence) of a program: 1 for the program plus its
    deepest nesting of WHILE/REPEAT/IF/IFELSE, and the most statements of
    one block (their ``get_max_depth`` and ``get_max_sequence``)."""
    return shape_with(tokens, n, np.zeros(n + 1, dtype=np.int64))


@nb.njit(cache=True)
def shape_with(tokens, n, counts):
    """shape with the caller's scratch (at least ``n`` + 1 entries)."""
    top = 0
    max_nesting = 0
    max_seq = 1
    for i in range(n):
        t = tokens[i]
        if t in (M_OPEN, W_OPEN, I_OPEN, E_OPEN, R_OPEN):
            top += 1
            counts[top] = 0
            if top - 1 > max_nesting:
                max_nesting = top - 1
        elif t in (M_CLOSE, W_CLOSE, I_CLOSE, E_CLOSE, R_CLOSE):
            top -= 1
        elif ACTION_FIRST_ID <= t <= ACTION_LAST_ID or t in (WHILE, IF, IFELSE, REPEAT):
            counts[top] += 1
            if counts[top] > max_seq:
                max_seq = counts[top]
    return 1 + max_nesting, max_seq


# Neighbours --------------------------------------------------------------------
MAX_TRIES = 1_000_000
"""Draws of one neighbour before giving up and returning the program itself
(theirs draws until one is accepted; a valid program always has acceptable
mutations, e.g. its whole body re-drawn as one action)."""


@nb.njit(cache=True)
def neighbours_into(rng, weights, tokens, k, max_tokens, max_depth, max_seq, sub_depth, sub_seq, out, lengths):
    """``k`` accepted mutations of ``tokens`` into rows of ``out`` (padded), their lengths into ``lengths``."""
    starts, ends, slots, kinds = program_nodes(tokens)
    n_nodes = starts.shape[0]
    n = tokens.shape[0]
    scratch = np.empty(max_tokens + 1, dtype=np.int64)
    stack = np.empty((scratch.shape[0] + 16, 5), dtype=np.int64)
    counts = np.zeros(max_tokens + 1, dtype=np.int64)
    for i in range(k):
        row = out[i]
        accepted = False
        for _ in range(MAX_TRIES if n_nodes > 0 else 0):
            m = rng.integers(0, n_nodes)
            kind = _choose(rng, weights, slots[m], False, False)
            new_len = emit_node_with(rng, weights, kind, 1, 0, sub_depth, sub_seq, scratch, 0, stack)
            if new_len < 0:
                continue  # longer than any accepted program
            total = n - (ends[m] - starts[m]) + new_len
            if total > max_tokens:
                continue
            a = starts[m]
            row[:a] = tokens[:a]
            row[a:a + new_len] = scratch[:new_len]
            row[a + new_len:total] = tokens[ends[m]:]
            depth, seq = shape_with(row, total, counts)
            if depth <= max_depth and seq <= max_seq:
                accepted = True
                lengths[i] = total
                break
        if not accepted:
            row[:n] = tokens
            lengths[i] = n
        row[lengths[i]:] = PAD_ID


def neighbours(rng: np.random.Generator, tokens: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """``k`` neighbours of ``tokens`` (one program's ids): a (k, MAX_TOKENS)
    id matrix padded with PAD_ID and the lengths."""
    out = np.empty((k, max(MAX_TOKENS, 1)), dtype=np.int64)
    lengths = np.empty(k, dtype=np.int64)
    neighbours_into(rng, SLOT_WEIGHTS, np.ascontiguousarray(tokens, dtype=np.int64), k, MAX_TOKENS,
                    PROGRAM_MAX_DEPTH, PROGRAM_MAX_SEQUENCE, MUTATION_MAX_DEPTH, MUTATION_MAX_SEQUENCE, out, lengths)
    return out, lengths
