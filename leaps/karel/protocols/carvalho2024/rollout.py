"""The worlds of one episode under this protocol, for pictures (GIFs of a
program's rollout) and for the Gymnasium environments (an action sequence
replayed through the engine, so both share the engine's every rule).

Frames show what the reference draws: walls as they stand (DoorKey's open
door, OneStroke's trail), and for Snake its body and food instead of the
marker-count grid that its perceptions read (KAREL_SPEC_P2.md's quirk).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from leaps.karel import compiler, dsl
from leaps.karel.protocols.carvalho2024 import engine
from leaps.karel.protocols.carvalho2024.evaluation import WorldSet, compile_for_engine, initial_worlds
from leaps.karel.protocols.carvalho2024.registry import TaskSpec, get_task
from leaps.karel.protocols.carvalho2024.tasks import snake
from leaps.karel.world import World

MAX_FRAMES = 1000
"""Frames kept of a rollout by default: the worlds after the first 998
actions and the final world (an episode may run 10,000 actions)."""


@dataclass
class Rollout:
    frames: list[World]  # the initial world, then after each action (see MAX_FRAMES), the last the final world
    episode_return: float
    end_reason: int  # engine.END_* code
    num_actions: int
    calls: int

    @property
    def end_name(self) -> str:
        return engine.END_NAMES[self.end_reason]


def shown_markers(task: TaskSpec, markers: np.ndarray, istate: np.ndarray) -> np.ndarray:
    """The marker grid a frame shows: the counts, except for Snake, drawn as
    its body (the cells behind the head) and its food."""
    if task.task_id != engine.SNAKE:
        return markers.copy()
    shown = np.zeros_like(markers)
    n = int(istate[1])
    for j in range(n - 1):
        shown[istate[snake.BODY + 2 * j], istate[snake.BODY + 2 * j + 1]] = 1
    if istate[2] >= 0:
        shown[istate[2], istate[3]] = 1
    return shown


def _episode(code: np.ndarray, n_nodes: int, worlds: WorldSet, index: int, n_frames: int):
    """One program's bytecode (``code``, all of it) on world ``index``."""
    h, w = worlds.walls.shape[1:]
    zob_agent, zob_marks, node_keys = engine.zobrist_keys(h, w, n_nodes)
    return engine.trace_episode(
        code, worlds.task.task_id, worlds.walls[index], worlds.markers[index], worlds.agents[index],
        worlds.params[index], worlds.food[index], zob_agent, zob_marks, node_keys, n_frames,
    )


def _to_rollout(task: TaskSpec, out: tuple) -> Rollout:
    ret, calls, reason, n_actions, agents, walls, markers, istates = out
    frames = [World(walls[i], shown_markers(task, markers[i], istates[i]), agents[i]) for i in range(len(agents))]
    return Rollout(frames, float(ret), int(reason), int(n_actions), int(calls))


def rollout(program: str | dsl.Program, task: str | TaskSpec, seed: int = 0, max_frames: int = MAX_FRAMES) -> Rollout:
    """``program``'s episode on the task's world ``seed`` (one of the
    evaluation's seeds 0..15 by default), with its frames."""
    if max_frames < 1:
        raise ValueError(f"max_frames must be >= 1, got {max_frames}")
    spec = task if isinstance(task, TaskSpec) else get_task(task)
    parsed = program if isinstance(program, dsl.Program) else dsl.parse(program, max_tokens=None)
    compiled = compile_for_engine([parsed])
    code = compiled.code[compiled.starts[0]:compiled.starts[1]]
    worlds = initial_worlds(spec, [seed])
    return _to_rollout(spec, _episode(code, int(compiled.n_conditions[0]), worlds, 0, max_frames))


def replay_actions(actions: Sequence[int], worlds: WorldSet, index: int = 0) -> Rollout:
    """The action sequence run as a straight-line program on world ``index``
    of ``worlds``: its return, end and final world (the only frame kept)."""
    code = np.zeros((len(actions) + 1, compiler.INSTRUCTION_WIDTH), dtype=np.int32)  # the last row: HALT
    code[:-1, 0] = compiler.ACT
    code[:-1, 1] = np.asarray(actions, dtype=np.int32)
    out = _episode(code, 0, worlds, index, 1)
    return _to_rollout(worlds.task, out)
