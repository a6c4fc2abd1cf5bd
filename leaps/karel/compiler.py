"""Token ids -> flat bytecode, for a whole batch of programs in compiled code,
for both protocols' engines.

With ``leaps_counter`` (the default, the LEAPS interpreter's bytecode) the
bytecode spells out the reference's call counter (KAREL_SPEC.md, "Execution
budget") op by op, so the interpreter needs no knowledge of the left-nested
statement tree: a list of k statements costs the k-1 ``seq`` nodes up front
(``LIST``) and a check between consecutive statements. Without it the
bytecode is bare control flow for an engine that counts calls itself
(carvalho2024: one call per action and per condition test), and a WHILE
head is ``WHILE_IF_FALSE`` so that engine can keep a loop guard per node.

Each instruction is four int32: (op, a, b, c).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

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
    MAX_REPEAT,
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

# Opcodes ------------------------------------------------------------------
HALT = 0  # end of program
CHECK = 1  # abort when n > budget
INC = 2  # n += a
ACT = 3  # check, then perform action a
JUMP = 4  # pc = a
JUMP_IF_FALSE = 5  # test condition a (perception*2 + negated), record node c, jump to b if false
REPEAT_INIT = 6  # push loop counter a
REPEAT_NEXT = 7  # if counter is 0: pop and jump to b, else decrement it
LIST = 8  # cost of the k-1 seq nodes of a k-statement list (a = k)
WHILE_IF_FALSE = 9  # a WHILE head without leaps_counter: as JUMP_IF_FALSE (c: the node, for loop guards)

OP_NAMES = ("HALT", "CHECK", "INC", "ACT", "JUMP", "JUMP_IF_FALSE", "REPEAT_INIT", "REPEAT_NEXT", "LIST",
            "WHILE_IF_FALSE")
INSTRUCTION_WIDTH = 4
_OPS_PER_TOKEN = 6
_OPS_FIXED = 8

# Frame kinds of the parser's explicit stack.
_F_PROGRAM, _F_IF, _F_IFELSE_THEN, _F_IFELSE_ELSE, _F_WHILE, _F_REPEAT = range(6)

# Token ids as plain ints (numba reads module globals as constants).
_ACTION_OF_TOKEN = np.full(ACTION_LAST_ID + 1, -1, dtype=np.int64)
for _t in dsl.ACTION_TOKEN_IDS:
    _ACTION_OF_TOKEN[_t] = dsl.ACTIONS.index(dsl.VOCAB[_t])
_PERCEPTION_ID_FIRST = dsl.PERCEPTION_TOKEN_IDS[0]
_NUM_PERCEPTIONS = len(dsl.PERCEPTIONS)


@nb.njit(cache=True, nogil=True)
def _emit(code: np.ndarray, pc: int, op: int, a: int = 0, b: int = 0, c: int = 0) -> int:
    code[pc, 0] = op
    code[pc, 1] = a
    code[pc, 2] = b
    code[pc, 3] = c
    return pc + 1


@nb.njit(cache=True, nogil=True)
def _emit_count(code: np.ndarray, pc: int, op: int, a: int, leaps_counter: bool) -> int:
    """A call-counter op (CHECK, INC, LIST), emitted only for the LEAPS counter."""
    return _emit(code, pc, op, a) if leaps_counter else pc


@nb.njit(cache=True, nogil=True)
def _parse_condition(ids: np.ndarray, pos: int, n: int) -> tuple[int, int]:
    """Returns (condition code, next position); code -1 means a syntax error
    at the returned position."""
    if pos >= n or ids[pos] != C_OPEN:
        return -1, pos
    pos += 1
    negated = 0
    if pos < n and ids[pos] == NOT:
        negated = 1
        pos += 1
        if pos >= n or ids[pos] != C_OPEN:
            return -1, pos
        pos += 1
    if pos >= n:
        return -1, pos
    p = ids[pos] - _PERCEPTION_ID_FIRST
    if p < 0 or p >= _NUM_PERCEPTIONS:
        return -1, pos
    pos += 1
    if pos >= n or ids[pos] != C_CLOSE:
        return -1, pos
    pos += 1
    if negated == 1:
        if pos >= n or ids[pos] != C_CLOSE:
            return -1, pos
        pos += 1
    return p * 2 + negated, pos


@nb.njit(cache=True, nogil=True)
def compile_one(ids: np.ndarray, n: int, code: np.ndarray, leaps_counter: bool = True) -> tuple[int, int, int]:
    """Compile ``ids[:n]`` into ``code`` (the call-counter ops only with ``leaps_counter``).

    Returns (number of instructions, number of condition nodes, error
    position); the error position is -1 for a valid program.
    """
    # Explicit parser stack: kind, closing token, LIST instruction index,
    # statement count, loop start, instruction to patch.
    stack = np.empty((6, n + 2), np.int64)  # one allocation: most of a short program's compile time
    kind, close, list_at, count, loop_at, patch_at = stack[0], stack[1], stack[2], stack[3], stack[4], stack[5]
    if n < 4 or ids[0] != DEF:
        return 0, 0, 0
    if ids[1] != RUN:
        return 0, 0, 1
    if ids[2] != M_OPEN:
        return 0, 0, 2
    pc = 0
    pc = _emit_count(code, pc, CHECK, 0, leaps_counter)
    pc = _emit_count(code, pc, INC, 1, leaps_counter)
    top = 0
    kind[0] = _F_PROGRAM
    close[0] = M_CLOSE
    list_at[0] = pc
    count[0] = 0
    pc = _emit_count(code, pc, LIST, 0, leaps_counter)
    n_conds = 0
    pos = 3
    while True:
        if pos >= n:
            return 0, 0, pos
        tok = ids[pos]
        if tok == close[top]:
            if count[top] == 0:
                return 0, 0, pos  # expected a statement
            if leaps_counter:
                code[list_at[top], 1] = count[top]
            pos += 1
            k = kind[top]
            if k == _F_PROGRAM:
                pc = _emit(code, pc, HALT)
                if pos != n:
                    return 0, 0, pos
                return pc, n_conds, -1
            if k == _F_IF:
                code[patch_at[top], 2] = pc
                top -= 1
            elif k == _F_WHILE:
                pc = _emit_count(code, pc, CHECK, 0, leaps_counter)
                pc = _emit(code, pc, JUMP, loop_at[top])
                code[patch_at[top], 2] = pc
                top -= 1
            elif k == _F_REPEAT:
                pc = _emit(code, pc, JUMP, loop_at[top])
                code[patch_at[top], 2] = pc
                top -= 1
            elif k == _F_IFELSE_THEN:
                if pos >= n or ids[pos] != ELSE:
                    return 0, 0, pos
                pos += 1
                if pos >= n or ids[pos] != E_OPEN:
                    return 0, 0, pos
                pos += 1
                jump_over_else = pc
                pc = _emit(code, pc, JUMP, 0)
                code[patch_at[top], 2] = pc
                kind[top] = _F_IFELSE_ELSE
                close[top] = E_CLOSE
                patch_at[top] = jump_over_else
                list_at[top] = pc
                count[top] = 0
                pc = _emit_count(code, pc, LIST, 0, leaps_counter)
            else:  # _F_IFELSE_ELSE
                code[patch_at[top], 1] = pc
                top -= 1
            continue
        # A statement.
        if count[top] > 0:
            pc = _emit_count(code, pc, CHECK, 0, leaps_counter)
        count[top] += 1
        pc = _emit_count(code, pc, CHECK, 0, leaps_counter)
        pc = _emit_count(code, pc, INC, 1, leaps_counter)
        pc = _emit_count(code, pc, CHECK, 0, leaps_counter)
        if ACTION_FIRST_ID <= tok <= ACTION_LAST_ID:
            pc = _emit(code, pc, ACT, _ACTION_OF_TOKEN[tok])
            pos += 1
            continue
        if tok in (IF, IFELSE, WHILE):
            cond, pos = _parse_condition(ids, pos + 1, n)
            if cond < 0:
                return 0, 0, pos
            opener = W_OPEN if tok == WHILE else I_OPEN
            if pos >= n or ids[pos] != opener:
                return 0, 0, pos
            pos += 1
            pc = _emit_count(code, pc, INC, 1, leaps_counter)
            pc = _emit_count(code, pc, CHECK, 0, leaps_counter)
            top += 1
            loop_at[top] = pc
            patch_at[top] = pc
            test = JUMP_IF_FALSE if leaps_counter or tok != WHILE else WHILE_IF_FALSE
            pc = _emit(code, pc, test, cond, 0, n_conds)
            n_conds += 1
            if tok == IF:
                kind[top] = _F_IF
                close[top] = I_CLOSE
            elif tok == IFELSE:
                kind[top] = _F_IFELSE_THEN
                close[top] = I_CLOSE
            else:
                kind[top] = _F_WHILE
                close[top] = W_CLOSE
            list_at[top] = pc
            count[top] = 0
            pc = _emit_count(code, pc, LIST, 0, leaps_counter)
            continue
        if tok == REPEAT:
            pos += 1
            if pos >= n:
                return 0, 0, pos
            k = ids[pos] - REPEAT_COUNT_0
            if k < 0 or k > MAX_REPEAT:
                return 0, 0, pos
            pos += 1
            if pos >= n or ids[pos] != R_OPEN:
                return 0, 0, pos
            pos += 1
            pc = _emit_count(code, pc, INC, 1, leaps_counter)
            pc = _emit(code, pc, REPEAT_INIT, k)
            top += 1
            kind[top] = _F_REPEAT
            close[top] = R_CLOSE
            loop_at[top] = pc
            patch_at[top] = pc
            pc = _emit(code, pc, REPEAT_NEXT, 0, 0)
            list_at[top] = pc
            count[top] = 0
            pc = _emit_count(code, pc, LIST, 0, leaps_counter)
            continue
        return 0, 0, pos  # expected a statement


@nb.njit(cache=True, nogil=True)
def _compile_batch(
    ids: np.ndarray, lengths: np.ndarray, starts: np.ndarray, code: np.ndarray, sizes: np.ndarray,
    n_conds: np.ndarray, error_pos: np.ndarray, leaps_counter: bool,
) -> None:
    # One thread: compiling 2,000 programs takes ~0.3 ms, less than waking a
    # parallel loop's threads costs on a busy machine (measured 4-8 ms there).
    for p in range(ids.shape[0]):
        s = starts[p]
        e = starts[p + 1]
        size, nc, err = compile_one(ids[p], lengths[p], code[s:e], leaps_counter)
        sizes[p] = size
        n_conds[p] = nc
        error_pos[p] = err
        if err >= 0:
            _emit(code, s, HALT)  # invalid programs do nothing


@dataclass
class CompiledPrograms:
    """Bytecode of a batch of programs; invalid ones compile to a HALT."""

    code: np.ndarray  # (total, 4) int32
    starts: np.ndarray  # (P+1,) offsets into code
    valid: np.ndarray  # (P,) bool
    n_conditions: np.ndarray  # (P,) condition nodes (IF/IFELSE/WHILE) in token order
    error_position: np.ndarray  # (P,) first bad token, -1 when valid

    def __len__(self) -> int:
        return len(self.valid)

    @property
    def repeat_stack_size(self) -> int:
        """REPEAT counters an executor must hold for any of these programs
        (>= 1): a program's rows bound its nesting."""
        return int(np.diff(self.starts).max(initial=1))

    def disassemble(self, p: int) -> str:
        lines = []
        for pc in range(self.starts[p], self.starts[p + 1]):
            op, a, b, c = (int(x) for x in self.code[pc])
            lines.append(f"{pc - self.starts[p]:4d} {OP_NAMES[op]:14s} {a} {b} {c}")
            if op == HALT:
                break
        return "\n".join(lines)


ProgramsLike = Sequence[str | Sequence[int] | np.ndarray | dsl.Program] | np.ndarray
"""Text, ids or ASTs, or a (P, L) id matrix padded with PAD_ID."""


def ids_matrix(programs: ProgramsLike) -> tuple[np.ndarray, np.ndarray]:
    """Programs of any form -> (P, L) int64 ids padded with PAD_ID, lengths.

    An unknown word in program text becomes id -1, which fails to compile
    (the program is scored as invalid, never raised).
    """
    if isinstance(programs, np.ndarray) and programs.ndim == 2:
        ids = np.ascontiguousarray(programs, dtype=np.int64)
        is_pad = ids == PAD_ID
        lengths = np.where(is_pad.any(axis=1), is_pad.argmax(axis=1), ids.shape[1]).astype(np.int64)
        return ids, lengths
    rows: list[list[int]] = []
    for prog in programs:
        if isinstance(prog, dsl.Program):
            rows.append(dsl.to_ids(prog))
        elif isinstance(prog, str):
            words = prog.split()
            rows.append([dsl.TOKEN_ID.get(w, -1) for w in words])
        else:
            rows.append(dsl.strip_padding(prog))
    width = max((len(r) for r in rows), default=1) or 1
    ids = np.full((len(rows), width), PAD_ID, dtype=np.int64)
    lengths = np.empty(len(rows), dtype=np.int64)
    for i, r in enumerate(rows):
        ids[i, : len(r)] = r
        lengths[i] = len(r)
    return ids, lengths


def compile_programs(programs: ProgramsLike, leaps_counter: bool = True) -> CompiledPrograms:
    """Compile a batch; never raises for a malformed program (see ``valid``).
    ``leaps_counter=False``: bare control flow for an engine that counts
    calls itself (module docstring)."""
    ids, lengths = ids_matrix(programs)
    per_program = _OPS_PER_TOKEN * lengths + _OPS_FIXED
    starts = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(per_program, out=starts[1:])
    code = np.zeros((max(int(starts[-1]), 1), INSTRUCTION_WIDTH), dtype=np.int32)
    sizes = np.zeros(len(lengths), dtype=np.int64)
    n_conds = np.zeros(len(lengths), dtype=np.int64)
    error_pos = np.zeros(len(lengths), dtype=np.int64)
    if len(lengths):
        _compile_batch(ids, lengths, starts, code, sizes, n_conds, error_pos, leaps_counter)
    return CompiledPrograms(code, starts, error_pos < 0, n_conds, error_pos)
