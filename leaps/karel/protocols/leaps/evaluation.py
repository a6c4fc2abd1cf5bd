"""Evaluation under the LEAPS protocol: programs x a task's initial worlds ->
returns, batched through the compiled interpreter."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from leaps.karel.compiler import CompiledPrograms, ProgramsLike, compile_programs
from leaps.karel.interpreter import Mode, run_pairs
from leaps.karel.protocols.leaps.registry import get_task
from leaps.karel.protocols.leaps.tasks.base import Task
from leaps.karel.rendering import rollout_worlds
from leaps.karel.world import World, WorldBatch

SYNTAX_BONUS = 0.1
"""Added to the return of any syntactically valid program (reference)."""
INVALID_PROGRAM_SCORE = 0.01
"""Raw score of a program that does not parse (reference)."""
DEFAULT_NUM_WORLDS = 10


@dataclass
class EvaluationResult:
    mean_return: np.ndarray  # (P,) the paper's 0..1 scale (no bonus)
    raw_return: np.ndarray  # (P,) the reference's printed scale: + 0.1 if valid, 0.01 if invalid
    per_world: np.ndarray  # (P, N) return on each initial world
    valid: np.ndarray  # (P,) bool
    actions: np.ndarray | None = None  # (P, N, T) when trajectories were requested
    lengths: np.ndarray | None = None  # (P, N)
    worlds: WorldBatch | None = None

    def __len__(self) -> int:
        return len(self.mean_return)

    def best(self) -> int:
        return int(np.argmax(self.mean_return))

    def trace(self, p: int, w: int) -> np.ndarray:
        if self.actions is None or self.lengths is None:
            raise ValueError("evaluate with trajectories=True to get traces")
        return self.actions[p, w, : self.lengths[p, w]]


def evaluate(
    programs: ProgramsLike | CompiledPrograms,
    task: Task | str,
    worlds: WorldBatch | None = None,
    n_worlds: int = DEFAULT_NUM_WORLDS,
    seed: int = 0,
    trajectories: bool = False,
) -> EvaluationResult:
    """Each program on each initial world (``worlds``, or ``n_worlds`` drawn
    from the task with ``seed``). Invalid programs score 0 (0.01 raw)."""
    task = get_task(task) if isinstance(task, str) else task
    if worlds is None:
        worlds = task.initial_worlds(n_worlds, np.random.default_rng(seed))
    compiled = programs if isinstance(programs, CompiledPrograms) else compile_programs(programs)
    p, n = len(compiled), len(worlds)
    run_program = np.repeat(np.arange(p, dtype=np.int64), n)
    run_world = np.tile(np.arange(n, dtype=np.int64), p)
    out = run_pairs(compiled, worlds, run_program, run_world, Mode.LENIENT, task.call_budget, trace=True)
    stats = task.episode_stats(worlds, run_world, out["markers"], out["agents"], out["actions"], out["lengths"])
    per_world = task.rewards(stats).reshape(p, n)
    valid = compiled.valid.copy()
    per_world[~valid] = 0.0
    mean = per_world.mean(axis=1) if n else np.zeros(p)
    raw = np.where(valid, mean + SYNTAX_BONUS, INVALID_PROGRAM_SCORE)
    result = EvaluationResult(mean, raw, per_world, valid)
    if trajectories:
        result.actions = out["actions"].reshape(p, n, -1)
        result.lengths = out["lengths"].reshape(p, n)
        result.worlds = worlds
    return result


class TaskEvaluator:
    """A task with its initial worlds fixed (``worlds``, or ``n_worlds``
    drawn from the task with ``seed``), for everything that scores many
    batches of programs on the same worlds, as a search does."""

    def __init__(
        self, task: Task | str, n_worlds: int = DEFAULT_NUM_WORLDS, seed: int = 0, worlds: WorldBatch | None = None
    ):
        self.task = get_task(task) if isinstance(task, str) else task
        self.worlds = worlds if worlds is not None else self.task.initial_worlds(n_worlds, np.random.default_rng(seed))

    @property
    def max_return(self) -> float:
        return self.task.max_return

    def evaluate(self, programs: ProgramsLike | CompiledPrograms, trajectories: bool = False) -> EvaluationResult:
        return evaluate(programs, self.task, worlds=self.worlds, trajectories=trajectories)

    def rollout(self, program: str) -> list[World]:
        """The worlds of ``program``'s episode on the first world."""
        trace = self.evaluate([program], trajectories=True)
        return rollout_worlds(self.worlds[0], trace.trace(0, 0))
