"""The evaluation protocols a search runs under (``protocol=`` in
conf/protocol/): what the runner needs of each, an evaluator for the task,
the frames of the best program's rollout, and whether the generalisation
test applies.

- ``leaps`` (default; KAREL_SPEC.md, leaps.karel.tasks): the six LEAPS tasks,
  ``task.n_worlds`` random worlds from the search seed, 220 calls per episode
  (``task.call_budget``), any grid size (``task.height``/``task.width``),
  returns 0..1 plus a 0.1 syntax bonus on the raw scale.
- ``carvalho2024`` (KAREL_SPEC_P2.md, leaps.karel.protocols.carvalho2024): ten
  tasks (the six and doorkey, onestroke, seeder, snake) on the worlds of task
  seeds 0..15 whatever the search seed (``task.n_worlds``: seeds
  0..n-1), 10,000 calls, crash penalties (returns down to -1), invalid
  programs -inf; fixed grids, so no generalisation test.

Every evaluator counts ``num_evaluations`` (one program on all its worlds)
and returns results with ``mean_return``, ``raw_return``, ``per_world`` and
``best()``, which is all a searcher reads.
"""

from __future__ import annotations

from omegaconf import DictConfig

from leaps.karel import dsl
from leaps.karel.protocols import carvalho2024
from leaps.karel.rendering import rollout_worlds
from leaps.karel.tasks import TASK_NAMES, TaskEvaluator, get_task
from leaps.karel.world import World
from leaps.search.base import Evaluator

PROTOCOLS = ("leaps", carvalho2024.PROTOCOL_NAME)
DEFAULT_PROTOCOL = "leaps"
LEAPS_ONLY_TASK_KEYS = ("height", "width", "call_budget")
"""Task settings that only the LEAPS protocol has (carvalho2024's worlds and budget are fixed)."""


def protocol_name(cfg: DictConfig) -> str:
    """The run's protocol (``leaps`` when the config has none, as older runs)."""
    name = str((cfg.get("protocol") or {}).get("name", DEFAULT_PROTOCOL))
    if name not in PROTOCOLS:
        raise ValueError(f"unknown protocol {name!r}; use one of {', '.join(PROTOCOLS)}")
    return name


def task_names(protocol: str) -> tuple[str, ...]:
    return carvalho2024.TASK_NAMES if protocol == carvalho2024.PROTOCOL_NAME else TASK_NAMES


def make_evaluator(cfg: DictConfig) -> Evaluator:
    """The evaluator of ``cfg.task`` under ``cfg.protocol``; ``ValueError``
    naming the setting for a task or setting the protocol lacks."""
    protocol = protocol_name(cfg)
    name = str(cfg.task.name)
    if name not in task_names(protocol):
        others = [p for p in PROTOCOLS if p != protocol and name in task_names(p)]
        hint = f"; it is a task of protocol={others[0]}" if others else ""
        raise ValueError(f"protocol={protocol} has no task {name!r}{hint}; its tasks: "
                         f"{', '.join(task_names(protocol))}")
    n_worlds = cfg.task.get("n_worlds")
    if n_worlds is not None and int(n_worlds) < 1:
        raise ValueError(f"task.n_worlds must be >= 1, got {n_worlds}")
    if protocol == carvalho2024.PROTOCOL_NAME:
        for key in LEAPS_ONLY_TASK_KEYS:
            if cfg.task.get(key) is not None:
                raise ValueError(f"task.{key} applies to protocol=leaps only; protocol={protocol} has fixed "
                                 "worlds and a 10,000-call budget")
        n = carvalho2024.NUM_WORLDS if n_worlds is None else int(n_worlds)
        return carvalho2024.Evaluator(name, seeds=range(n))
    task = get_task(name, height=cfg.task.get("height"), width=cfg.task.get("width"))
    if cfg.task.get("call_budget") is not None:
        if int(cfg.task.call_budget) < 1:
            raise ValueError(f"task.call_budget must be >= 1 call, got {cfg.task.call_budget}")
        task.budget = int(cfg.task.call_budget)
    kwargs = {} if n_worlds is None else {"n_worlds": int(n_worlds)}
    return TaskEvaluator(task, seed=int(cfg.seed), **kwargs)


def rollout_frames(evaluator: Evaluator, program: str) -> list[World]:
    """The worlds of ``program``'s episode on the evaluator's first world (not
    counted as an evaluation)."""
    if isinstance(evaluator, carvalho2024.Evaluator):
        return carvalho2024.rollout(dsl.parse(program, max_tokens=None), evaluator.task,
                                    seed=evaluator.worlds.seeds[0]).frames
    assert isinstance(evaluator, TaskEvaluator)
    trace = evaluator.evaluate([program], trajectories=True)
    evaluator.num_evaluations -= 1
    return rollout_worlds(evaluator.worlds[0], trace.trace(0, 0))


def has_generalisation(cfg: DictConfig) -> bool:
    """Whether the generalisation test (other grid sizes) applies: LEAPS only."""
    return protocol_name(cfg) == DEFAULT_PROTOCOL
