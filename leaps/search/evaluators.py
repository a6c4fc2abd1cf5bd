"""The evaluators of one search run, built from its config through the
protocol registry (leaps.karel.protocols): the worlds it searches on, the
held-out worlds its best program is tested on (``test_return``), and, where
the protocol has grid sizes, larger grids (``generalisation``).

The config's protocol is worked out here once per call, from
``protocol.name``; ``ValueError`` names any task setting the protocol lacks."""

from __future__ import annotations

from typing import Any

from omegaconf import DictConfig

from leaps.karel import protocols
from leaps.karel.protocols.base import EvaluationProtocol, EvaluationWorlds, Evaluator
from leaps.search.evaluations import Programs, WorldRedraws

GRID_KEYS = ("height", "width")


def protocol_of(cfg: DictConfig) -> EvaluationProtocol:
    """The run's protocol (``leaps`` when the config has none, as older runs)."""
    return protocols.get(str((cfg.get("protocol") or {}).get("name", protocols.DEFAULT)))


def _check_task(protocol: EvaluationProtocol, task: DictConfig) -> None:
    name = str(task.name)
    if name not in protocol.task_names():
        others = [p for p in protocols.names() if p != protocol.name and name in protocols.get(p).task_names()]
        hint = f"; it is a task of protocol={others[0]}" if others else ""
        raise ValueError(f"protocol={protocol.name} has no task {name!r}{hint}; its tasks: "
                         f"{', '.join(protocol.task_names())}")
    call_budget = task.get("call_budget")
    if call_budget is not None and protocol.call_budget_fixed:
        raise ValueError(f"task.call_budget does not apply to protocol={protocol.name}: its call budget is fixed "
                         f"({protocol.call_budget:,} calls per episode)")
    if call_budget is not None and int(call_budget) < 1:
        raise ValueError(f"task.call_budget must be >= 1 call, got {call_budget}")
    for key in GRID_KEYS:
        if task.get(key) is not None and not protocol.grid_sizes(name):
            raise ValueError(f"task.{key} does not apply to task={name} under protocol={protocol.name}: "
                             "its grid size is fixed")


def _evaluator(cfg: DictConfig, worlds: EvaluationWorlds, call_budget: int | None = None,
               **grid: Any) -> Evaluator:
    protocol = protocol_of(cfg)
    _check_task(protocol, cfg.task)
    if call_budget is None and cfg.task.get("call_budget") is not None:
        call_budget = int(cfg.task.call_budget)
    if protocol.grid_sizes(str(cfg.task.name)):
        grid = {key: grid.get(key, cfg.task.get(key)) for key in GRID_KEYS}
    return protocol.evaluator(str(cfg.task.name), call_budget, worlds, **grid)


def redraw_every(cfg: DictConfig) -> Any:
    """``protocol.redraw_every`` as configured (None: fixed worlds; unchecked, see leaps.search.checks)."""
    return (cfg.get("protocol") or {}).get("redraw_every")


def _redraws(cfg: DictConfig) -> bool:
    return redraw_every(cfg) is not None


def _search_worlds(cfg: DictConfig, draw: int = 0) -> EvaluationWorlds:
    n_worlds = cfg.task.get("n_worlds")
    if n_worlds is not None and int(n_worlds) < 1:
        raise ValueError(f"task.n_worlds must be >= 1, got {n_worlds}")
    return EvaluationWorlds(int(cfg.seed), None if n_worlds is None else int(n_worlds), draw=draw, reset=draw > 0)


def search_evaluator(cfg: DictConfig) -> Evaluator:
    """The task as the search sees it: ``task.n_worlds`` worlds (null: the protocol's default) for ``seed``."""
    return _evaluator(cfg, _search_worlds(cfg))


def world_redraws(cfg: DictConfig) -> WorldRedraws | None:
    """The search's redrawn worlds, every ``protocol.redraw_every`` iterations (null: none; its type is
    checked with the other settings, leaps.search.checks); ``ValueError`` for a protocol with fixed worlds."""
    if not _redraws(cfg):
        return None
    protocol = protocol_of(cfg)
    if not protocol.redraws_worlds:
        raise ValueError(f"protocol.redraw_every must stay null under protocol={protocol.name}: its worlds are fixed")
    return WorldRedraws(int(redraw_every(cfg)), lambda draw: _evaluator(cfg, _search_worlds(cfg, draw)))


def test_return(cfg: DictConfig, program: str) -> float:
    """``program``'s return on ``test_worlds`` worlds no search draws from
    (drawn as the search's redrawn worlds are, where it redrew them)."""
    worlds = EvaluationWorlds(int(cfg.seed), int(cfg.get("test_worlds") or protocol_of(cfg).test_worlds),
                              held_out=True, reset=_redraws(cfg))
    return float(_evaluator(cfg, worlds).evaluate(Programs.from_texts([program]).encoded).mean_return[0])


def generalisation(cfg: DictConfig, program: str) -> dict[str, float]:
    """``program``'s return on other grid sizes (the paper's generalisation
    test), for a task with grid sizes; {} otherwise."""
    out: dict[str, float] = {}
    if not protocol_of(cfg).grid_sizes(str(cfg.task.name)):
        return out  # fixed worlds (carvalho2024) or a fixed-size task (CleanHouse)
    gen = cfg.get("generalisation") or {}
    worlds = EvaluationWorlds(int(cfg.seed), int(gen.get("n_worlds", 10)))
    call_budget = gen.get("call_budget")
    for size in gen.get("sizes", []) or []:
        height, width = int(size[0]), int(size[1])
        evaluator = _evaluator(cfg, worlds, None if call_budget is None else int(call_budget), height=height,
                               width=width)
        out[f"{height}x{width}"] = float(evaluator.evaluate([program]).mean_return[0])
    return out
