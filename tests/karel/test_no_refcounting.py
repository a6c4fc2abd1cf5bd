"""The compiled inner loops run without numba's reference counting.

With it, every array a step hands to a helper (walls, markers, the task's
state) costs an atomic increment and decrement, shared between threads:
measured, 83% of an episode's time under carvalho2024 and a third under
LEAPS (README, "Speed"). The kernels below are compiled with ``_nrt=False``
(they allocate nothing; their callers hand them scratch) and the helpers they
call on every step are inlined into them, so these must stay so."""

from __future__ import annotations

import sys

import pytest

from leaps.karel import interpreter, transitions
from leaps.karel.protocols.carvalho2024 import engine
from leaps.karel.protocols.carvalho2024 import vector as c24_vector
from leaps.karel.protocols.carvalho2024.registry import TASKS
from leaps.karel.protocols.leaps import vector as leaps_vector
from leaps.karel.protocols.leaps.tasks import base as leaps_tasks
from leaps.karel.vector import observations

KERNELS = {
    "carvalho2024 episode": engine.run_episode,
    "LEAPS interpreter": interpreter._run_one,
    "LEAPS reward replay": leaps_tasks._replay_one,
    "LEAPS vector step": leaps_vector._step,
    "carvalho2024 vector step": c24_vector._step,
    "grid observation": observations.write_grid,
    "abstract observation": observations.write_abstract,
}
PER_STEP_HELPERS = {
    "transitions": [transitions.is_clear, transitions.perceive, transitions.act],
    "engine": [engine._reward, engine._perceive, engine._clear, engine._settled],
    # every carvalho2024 task module's per-action functions, read from the registry (a new task is checked too)
    "task rewards": [getattr(module, name) for module in {sys.modules[t.generate.__module__] for t in TASKS.values()}
                     for name in ("reward", "settled") if hasattr(module, name)],
    "vector": [leaps_vector._reward, c24_vector._act, c24_vector._draw_snake, observations._write_grid,
               observations._write_abstract],
}


@pytest.mark.parametrize("name", list(KERNELS))
def test_inner_loops_are_compiled_without_reference_counting(name):
    assert KERNELS[name].targetoptions.get("_nrt") is False, name


@pytest.mark.parametrize("group", list(PER_STEP_HELPERS))
def test_per_step_helpers_are_inlined(group):
    for helper in PER_STEP_HELPERS[group]:
        assert helper.targetoptions.get("inline") == "always", helper.py_func.__qualname__
