"""Many initial worlds of one task in one compiled call: each slot's world
seed drawn by its task's compiled ``draw`` (tasks/*.py, the same draw as
the task's ``generate``), straight into stacked world arrays, so resetting
environments (leaps.karel.vector) spend no Python time per world."""

from __future__ import annotations

import numba as nb
import numpy as np

from leaps.karel.protocols.carvalho2024 import engine, legacy_rng
from leaps.karel.protocols.carvalho2024.tasks import (
    cleanhouse,
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

_NO_HOUSE = np.zeros((0, 0), dtype=np.bool_)
_NO_CELLS = np.zeros(0, dtype=np.int64)


@nb.njit(cache=True, nogil=True)
def _draw_world(task, rng, walls, markers, agent, params, food, house, cells):
    if task == engine.STAIRCLIMBER:
        stairclimber.draw(rng, walls, markers, agent, params, food)
    elif task == engine.MAZE:
        maze.draw(rng, walls, markers, agent, params, food)
    elif task == engine.TOPOFF:
        topoff.draw(rng, walls, markers, agent, params, food)
    elif task == engine.HARVESTER:
        harvester.draw(rng, walls, markers, agent, params, food)
    elif task == engine.FOURCORNERS:
        fourcorner.draw(rng, walls, markers, agent, params, food)
    elif task == engine.CLEANHOUSE:
        cleanhouse.draw(rng, walls, markers, agent, params, food, house, cells)
    elif task == engine.DOORKEY:
        doorkey.draw(rng, walls, markers, agent, params, food)
    elif task == engine.ONESTROKE:
        onestroke.draw(rng, walls, markers, agent, params, food)
    elif task == engine.SEEDER:
        seeder.draw(rng, walls, markers, agent, params, food)
    else:
        snake.draw(rng, walls, markers, agent, params, food)


@nb.njit(cache=True, nogil=True)
def _draw_worlds(task, seeds, slots, walls, markers, agents, params, food, house, cells):
    rng = np.empty(legacy_rng.STATE_SIZE, dtype=np.int64)
    for k in range(slots.shape[0]):
        i = slots[k]
        legacy_rng.seed_state(rng, seeds[k])
        _draw_world(task, rng, walls[i], markers[i], agents[i], params[i], food[i], house, cells)


def draw_worlds(task_id: int, seeds: np.ndarray, slots: np.ndarray, walls: np.ndarray, markers: np.ndarray,
                agents: np.ndarray, params: np.ndarray, food: np.ndarray) -> None:
    """The worlds of ``seeds`` into the slots ``slots`` of the stacked
    arrays: walls (N, H, W) bool, markers (N, H, W) int8, agents (N, 3),
    params (N, NUM_PARAMS) and food (N, F, 2) int64 (Snake fills all F food
    draws of a slot; the other tasks leave food alone)."""
    seeds = np.asarray(seeds, dtype=np.int64)
    slots = np.asarray(slots, dtype=np.int64)
    if seeds.shape != slots.shape:
        raise ValueError(f"got {len(seeds)} seeds for {len(slots)} slots")
    if task_id == engine.CLEANHOUSE:
        house, cells = cleanhouse.HOUSE_WALLS, cleanhouse.CELLS
    else:
        house, cells = _NO_HOUSE, _NO_CELLS
    _draw_worlds(task_id, seeds, slots, walls, markers, agents, params, food, house, cells)
