"""Evaluation API of this protocol, mirroring the LEAPS one: programs x
the task's 16 initial worlds (seeds 0..15 whatever the search seed, as the
reference) -> returns, through the compiled engine."""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

import numba as nb
import numpy as np

from leaps.karel import dsl
from leaps.karel.compiler import CompiledPrograms, ProgramsLike, compile_programs
from leaps.karel.protocols.carvalho2024 import engine
from leaps.karel.protocols.carvalho2024.registry import TaskSpec, get_task
from leaps.karel.protocols.carvalho2024.tasks.base import InitialWorld
from leaps.karel.world import World

NUM_WORLDS = 16
DEFAULT_SEEDS = tuple(range(NUM_WORLDS))
INVALID_RETURN = -np.inf
"""Return of a program that does not parse. The reference never scores one
(its latent search re-samples until the decoded program parses), so an
invalid program must lose to every valid one: -inf does."""


@dataclass
class WorldSet:
    """A task's initial worlds stacked for the engine."""

    task: TaskSpec
    seeds: tuple[int, ...]
    walls: np.ndarray  # (N, H, W) bool
    markers: np.ndarray  # (N, H, W) int8
    agents: np.ndarray  # (N, 3) int64
    params: np.ndarray  # (N, NUM_PARAMS) int64
    food: np.ndarray  # (N, F, 2) int64

    @classmethod
    def from_worlds(cls, task: TaskSpec, seeds: Iterable[int], worlds: list[InitialWorld]) -> WorldSet:
        f = max(w.food.shape[0] for w in worlds)
        food = np.zeros((len(worlds), max(f, 1), 2), dtype=np.int64)
        for i, w in enumerate(worlds):
            food[i, : w.food.shape[0]] = w.food
        return cls(
            task=task,
            seeds=tuple(seeds),
            walls=np.stack([w.walls for w in worlds]),
            markers=np.stack([w.markers for w in worlds]).astype(np.int8),
            agents=np.array([w.agent for w in worlds], dtype=np.int64),
            params=np.stack([w.params for w in worlds]),
            food=food,
        )

    def __len__(self) -> int:
        return len(self.seeds)


@lru_cache(maxsize=64)
def _cached_worlds(name: str, seeds: tuple[int, ...]) -> WorldSet:
    task = get_task(name)
    return WorldSet.from_worlds(task, seeds, [task.generate(s) for s in seeds])


def initial_worlds(task: str | TaskSpec, seeds: Iterable[int] = DEFAULT_SEEDS) -> WorldSet:
    """The task's initial worlds for ``seeds`` (cached; treat as read-only)."""
    name = task.name if isinstance(task, TaskSpec) else get_task(task).name
    return _cached_worlds(name, tuple(int(s) for s in seeds))


@dataclass
class EpisodeResult:
    mean_return: np.ndarray  # (P,) mean over worlds; INVALID_RETURN if invalid
    per_world: np.ndarray  # (P, N)
    valid: np.ndarray  # (P,) bool
    calls: np.ndarray  # (P, N) perception tests + actions counted
    end_reason: np.ndarray  # (P, N) engine.END_* codes
    num_actions: np.ndarray  # (P, N)

    @property
    def raw_return(self) -> np.ndarray:
        """Same as mean_return: this protocol has no syntax bonus."""
        return self.mean_return

    def __len__(self) -> int:
        return len(self.mean_return)

    def best(self) -> int:
        return int(np.argmax(self.mean_return))


def _threads() -> int:
    return max(1, nb.get_num_threads() if hasattr(nb, "get_num_threads") else os.cpu_count() or 1)


def compile_for_engine(programs: ProgramsLike) -> CompiledPrograms:
    """The shared compiler's bytecode without the LEAPS call-counter ops:
    this protocol's engine counts calls (perception tests and actions) itself."""
    return compile_programs(programs, leaps_counter=False)


def run(programs: ProgramsLike, worlds: WorldSet, settle: bool = False) -> EpisodeResult:
    """Every program on every world of ``worlds``. ``settle``: end an episode
    as soon as its return can no longer change (engine.END_SETTLED): the
    same returns, fewer calls run (for searches, which read only returns)."""
    compiled = compile_for_engine(programs)
    valid, offsets = compiled.valid, compiled.starts[:-1]
    h, w = worlds.walls.shape[1:]
    zob_agent, zob_marks, node_keys = engine.zobrist_keys(h, w, int(compiled.n_conditions.max(initial=0)))
    pairs = len(offsets) * len(worlds)
    n_chunks = max(1, min(pairs, 8 * _threads()))
    returns, calls, reasons, actions = engine.run_batch(
        compiled.code, offsets, worlds.task.task_id, worlds.walls, worlds.markers, worlds.agents, worlds.params,
        worlds.food, zob_agent, zob_marks, node_keys, compiled.repeat_stack_size, n_chunks, settle,
    )
    returns[~valid] = INVALID_RETURN
    mean = returns.mean(axis=1) if len(worlds) else np.zeros(len(offsets))
    mean[~valid] = INVALID_RETURN
    return EpisodeResult(mean, returns, valid, calls, reasons, actions)


def run_until(programs: ProgramsLike, worlds: WorldSet, threshold: float | None, max_return: float,
              settle: bool = False) -> EpisodeResult:
    """The programs in order until the first whose mean return exceeds
    ``threshold`` (None: the first program's) or reaches ``max_return``
    (see until.py): the results of the prefix of ``programs`` up to that
    program (or of all), each equal to run()'s."""
    from leaps.karel.protocols.carvalho2024.until import run_until as run_compiled

    compiled = compile_for_engine(programs)
    valid, offsets = compiled.valid, compiled.starts[:-1]
    h, w = worlds.walls.shape[1:]
    zob_agent, zob_marks, node_keys = engine.zobrist_keys(h, w, int(compiled.n_conditions.max(initial=0)))
    returns, calls, reasons, actions, done = run_compiled(
        compiled.code, offsets, valid, worlds.task.task_id, worlds.walls, worlds.markers, worlds.agents,
        worlds.params, worlds.food, zob_agent, zob_marks, node_keys, compiled.repeat_stack_size,
        -np.inf if threshold is None else float(threshold), threshold is None, float(max_return), _threads(), settle,
    )
    returns, valid = returns[:done], valid[:done]
    returns[~valid] = INVALID_RETURN
    mean = returns.mean(axis=1) if len(worlds) else np.zeros(done)
    mean[~valid] = INVALID_RETURN
    return EpisodeResult(mean, returns, valid, calls[:done], reasons[:done], actions[:done])


def evaluate(programs: ProgramsLike, task: str | TaskSpec, seeds: Iterable[int] = DEFAULT_SEEDS) -> EpisodeResult:
    """Mean return of each program over the task's worlds for ``seeds``."""
    return run(programs, initial_worlds(task, seeds))


class Evaluator:
    """A task's worlds bound once (seeds 0..15 by default), for everything
    that scores many batches of programs on them, as a search does:
    ``.evaluate(programs)`` returns an EpisodeResult. ``settle`` (on by
    default): episodes end once their return is settled (see run), so the
    returns are exact and the calls and end reasons those of the shortened
    episodes; ``settle=False`` runs every episode to its end."""

    def __init__(self, task: str | TaskSpec, seeds: Iterable[int] = DEFAULT_SEEDS, settle: bool = True):
        self.settle = settle
        self.task = task if isinstance(task, TaskSpec) else get_task(task)
        self.worlds = initial_worlds(self.task, seeds)
        self.max_return = self.task.max_return

    def evaluate(self, programs: ProgramsLike) -> EpisodeResult:
        return run(programs, self.worlds, self.settle)

    def evaluate_until(self, programs: ProgramsLike, threshold: float | None) -> EpisodeResult:
        """A prefix of ``programs`` holding the first better than ``threshold``
        (None: than the first program) or at the maximum; see run_until."""
        return run_until(programs, self.worlds, threshold, self.max_return, self.settle)

    def rollout(self, program: str) -> list[World]:
        """The frames of ``program``'s episode on the first world (see rollout.py)."""
        from leaps.karel.protocols.carvalho2024.rollout import rollout  # rollout.py builds on this module

        return rollout(dsl.parse(program, max_tokens=None), self.task, seed=self.worlds.seeds[0]).frames
