"""Batched, compiled execution of Karel programs.

Programs are compiled once (:mod:`leaps.karel.compiler`) and every
(program, world) run executes the bytecode in a numba kernel, in parallel
over runs. The call counter follows KAREL_SPEC.md exactly, so trajectories
match the reference, also for runs that exhaust the budget.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum

import numba as nb
import numpy as np

from leaps.karel import compiler as cc
from leaps.karel import dsl
from leaps.karel import transitions as tr
from leaps.karel.world import NUM_STATE_CHANNELS, World, WorldBatch

DEFAULT_BUDGET = 220
"""The reference's call budget (lenient mode, KAREL_SPEC.md)."""


class Mode(IntEnum):
    LENIENT = 0
    STRICT = 1


class Status(IntEnum):
    COMPLETED = 0
    OUT_OF_BUDGET = 1
    ACTION_ERROR = 2  # strict mode only
    INVALID_PROGRAM = 3


@nb.njit(cache=True, nogil=True, _nrt=False)
def _run_one(
    code: np.ndarray, pc: int, walls: np.ndarray, markers: np.ndarray, agent: np.ndarray, strict: bool,
    budget: int, actions: np.ndarray, trace: bool, branches: np.ndarray, record_branches: bool,
    loop_counters: np.ndarray,
) -> tuple[int, int, int]:
    """Execute from ``pc``; returns (status, number of actions, outcome of
    the failing action in strict mode). ``loop_counters``: scratch for the
    REPEAT counters, as deep as the program nests.

    Compiled without reference counting (``_nrt=False``; the transitions are
    inlined): with it, every array passed to a helper costs an atomic
    increment and decrement per call, most of an action's time."""
    base = pc  # jump targets are relative to the program's first instruction
    n = 0
    n_actions = 0
    loop_top = -1
    while True:
        op = code[pc, 0]
        if op == cc.CHECK:
            if n > budget:
                return 1, n_actions, 0
            pc += 1
        elif op == cc.INC:
            n += code[pc, 1]
            pc += 1
        elif op == cc.ACT:
            if n > budget:
                return 1, n_actions, 0
            a = code[pc, 1]
            outcome = tr.act(walls, markers, agent, a, strict)
            if strict and outcome != tr.OK:
                return 2, n_actions, outcome
            if trace:
                actions[n_actions] = a
            n_actions += 1
            pc += 1
        elif op == cc.JUMP_IF_FALSE:
            cond = code[pc, 1]
            value = tr.perceive(walls, markers, agent, cond >> 1)
            if cond & 1:
                value = not value
            if record_branches:
                branches[code[pc, 3], 1 if value else 0] = True
            if value:
                pc += 1
            else:
                pc = base + code[pc, 2]
        elif op == cc.JUMP:
            pc = base + code[pc, 1]
        elif op == cc.LIST:
            k = code[pc, 1]
            if k >= 2:
                n += 2 * k - 3
                if n > budget:
                    return 1, n_actions, 0
                n += 1
            pc += 1
        elif op == cc.REPEAT_INIT:
            loop_top += 1
            loop_counters[loop_top] = code[pc, 1]
            pc += 1
        elif op == cc.REPEAT_NEXT:
            if loop_counters[loop_top] == 0:
                loop_top -= 1
                pc = base + code[pc, 2]
            else:
                loop_counters[loop_top] -= 1
                pc += 1
        else:  # HALT
            return 0, n_actions, 0


@nb.njit(cache=True, parallel=True)
def _run_batch(
    code: np.ndarray, starts: np.ndarray, valid: np.ndarray, run_program: np.ndarray, run_world: np.ndarray,
    walls: np.ndarray, markers_out: np.ndarray, agents_out: np.ndarray, strict: bool, budget: int,
    actions: np.ndarray, trace: bool, lengths: np.ndarray, status: np.ndarray, outcome: np.ndarray,
    branches: np.ndarray, record_branches: bool, stack_size: int,
) -> None:
    for i in nb.prange(run_program.shape[0]):
        p = run_program[i]
        if not valid[p]:
            lengths[i] = 0
            status[i] = 3
            continue
        loop_counters = np.empty(stack_size, np.int64)
        s, n_act, o = _run_one(
            code, starts[p], walls[run_world[i]], markers_out[i], agents_out[i], strict, budget,
            actions[i], trace, branches[i], record_branches, loop_counters,
        )
        status[i] = s
        lengths[i] = n_act
        outcome[i] = o


@dataclass
class ExecutionResult:
    """Results of P programs x N worlds, every array indexed [p, w, ...]."""

    programs: cc.CompiledPrograms
    initial: WorldBatch
    markers: np.ndarray  # (P, N, H, W) final marker counts
    agents: np.ndarray  # (P, N, 3) final agent
    actions: np.ndarray | None  # (P, N, T) action indices, NO_ACTION after the end
    lengths: np.ndarray  # (P, N) number of actions taken
    status: np.ndarray  # (P, N) Status codes
    error_outcome: np.ndarray  # (P, N) transitions outcome of the failing strict action
    branches: np.ndarray | None  # (P, N, C, 2): condition node c evaluated False/True
    mode: Mode

    @property
    def completed(self) -> np.ndarray:
        return self.status == Status.COMPLETED

    @property
    def out_of_budget(self) -> np.ndarray:
        return self.status == Status.OUT_OF_BUDGET

    @property
    def action_error(self) -> np.ndarray:
        return self.status == Status.ACTION_ERROR

    def final_world(self, p: int, w: int) -> World:
        return World(self.initial.walls[w].copy(), self.markers[p, w].copy(), self.agents[p, w].copy())

    def trace(self, p: int, w: int) -> np.ndarray:
        if self.actions is None:
            raise ValueError("actions were not recorded (trace=False)")
        return self.actions[p, w, : self.lengths[p, w]]

    def states(self, p: int, w: int) -> np.ndarray:
        """Every state of run (p, w): (length+1, H, W, 16), the initial
        state first, replayed from the recorded actions."""
        actions = self.trace(p, w)
        h, wd = self.initial.walls.shape[1:]
        out = np.zeros((len(actions) + 1, h, wd, NUM_STATE_CHANNELS), dtype=np.bool_)
        tr.replay_states(
            self.initial.walls[w], self.initial.markers[w], self.initial.agents[w], actions.astype(np.int64),
            self.mode == Mode.STRICT, out,
        )
        return out


def _as_mode(mode: Mode | str) -> Mode:
    if isinstance(mode, Mode):
        return mode
    try:
        return Mode[mode.upper()]
    except KeyError:
        raise ValueError(f"unknown execution mode {mode!r}: use 'lenient' or 'strict'") from None


def _as_batch(worlds: World | WorldBatch | Sequence[World]) -> WorldBatch:
    if isinstance(worlds, WorldBatch):
        return worlds
    if isinstance(worlds, World):
        return WorldBatch.stack([worlds])
    return WorldBatch.stack(list(worlds))


def _as_compiled(programs) -> cc.CompiledPrograms:
    if isinstance(programs, cc.CompiledPrograms):
        return programs
    if isinstance(programs, (str, dsl.Program)):
        programs = [programs]
    return cc.compile_programs(programs)


def run_pairs(
    programs,
    worlds: World | WorldBatch | Sequence[World],
    run_program: np.ndarray,
    run_world: np.ndarray,
    mode: Mode | str = Mode.LENIENT,
    budget: int = DEFAULT_BUDGET,
    trace: bool = True,
    record_branches: bool = False,
) -> dict[str, np.ndarray]:
    """Run program ``run_program[i]`` on world ``run_world[i]`` for every i.

    The low-level entry point (flat arrays, no reshaping); :func:`execute`
    covers the common all-programs-on-all-worlds case.
    """
    compiled = _as_compiled(programs)
    batch = _as_batch(worlds)
    mode = _as_mode(mode)
    if budget < 0:
        raise ValueError(f"budget must be >= 0, got {budget}")
    run_program = np.ascontiguousarray(run_program, dtype=np.int64)
    run_world = np.ascontiguousarray(run_world, dtype=np.int64)
    n_runs = len(run_program)
    markers = batch.markers[run_world]
    agents = batch.agents[run_world]
    max_actions = budget + 1 if trace else 1
    actions = np.full((n_runs, max_actions), dsl.NO_ACTION, dtype=np.int8)
    n_conds = max(int(compiled.n_conditions.max(initial=0)), 1) if record_branches else 1
    branches = np.zeros((n_runs, n_conds, 2), dtype=np.bool_)
    lengths = np.zeros(n_runs, dtype=np.int64)
    status = np.zeros(n_runs, dtype=np.int8)
    outcome = np.zeros(n_runs, dtype=np.int8)
    if n_runs:
        _run_batch(
            compiled.code, compiled.starts, compiled.valid, run_program, run_world, batch.walls, markers, agents,
            mode == Mode.STRICT, budget, actions, trace, lengths, status, outcome, branches, record_branches,
            compiled.repeat_stack_size,
        )
    return {
        "markers": markers,
        "agents": agents,
        "actions": actions if trace else None,
        "lengths": lengths,
        "status": status,
        "error_outcome": outcome,
        "branches": branches if record_branches else None,
    }


def execute(
    programs,
    worlds: World | WorldBatch | Sequence[World],
    mode: Mode | str = Mode.LENIENT,
    budget: int = DEFAULT_BUDGET,
    trace: bool = True,
    record_branches: bool = False,
) -> ExecutionResult:
    """Run every program on every world (copies; the inputs are unchanged).

    ``programs``: one program or a sequence of text / ids / ASTs, a (P, L)
    padded id matrix, or :class:`~leaps.karel.compiler.CompiledPrograms`.
    Malformed programs are not raised: their runs get
    ``Status.INVALID_PROGRAM`` and no actions.
    """
    compiled = _as_compiled(programs)
    batch = _as_batch(worlds)
    p, n = len(compiled), len(batch)
    run_program = np.repeat(np.arange(p, dtype=np.int64), n)
    run_world = np.tile(np.arange(n, dtype=np.int64), p)
    out = run_pairs(compiled, batch, run_program, run_world, mode, budget, trace, record_branches)
    h, w = batch.walls.shape[1:]

    def shaped(a: np.ndarray | None, *tail: int) -> np.ndarray | None:
        return None if a is None else a.reshape(p, n, *tail)

    return ExecutionResult(
        programs=compiled,
        initial=batch,
        markers=shaped(out["markers"], h, w),
        agents=shaped(out["agents"], 3),
        actions=shaped(out["actions"], -1),
        lengths=shaped(out["lengths"]),
        status=shaped(out["status"]),
        error_outcome=shaped(out["error_outcome"]),
        branches=shaped(out["branches"], *(out["branches"].shape[1:] if record_branches else ())),
        mode=_as_mode(mode),
    )


def run_program(
    program: str | Sequence[int] | dsl.Program,
    world: World,
    mode: Mode | str = Mode.LENIENT,
    budget: int = DEFAULT_BUDGET,
) -> tuple[World, list[int], Status]:
    """Convenience for one program on one world: raises ``ProgramError``
    for malformed programs; returns (final world, actions, status)."""
    if not isinstance(program, dsl.Program):
        dsl.parse(program)  # raises a clear ProgramError
    result = execute([program], [world], mode, budget)
    return result.final_world(0, 0), [int(a) for a in result.trace(0, 0)], Status(int(result.status[0, 0]))
