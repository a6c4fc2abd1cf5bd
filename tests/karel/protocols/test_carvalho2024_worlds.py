"""The carvalho2024 tasks' initial worlds are pinned: world seed i must stay
the reference's world i (KAREL_SPEC_P2.md), whatever draws them.

``carvalho2024_world_digests.npz`` was recorded from the original Python
generators (numpy's own ``RandomState``, before the compiled ones replaced
them): one 64-bit digest of every world of the seeds 0..499 and a few near
the ends of the seed range, per task. A digest covers every array of the
world (walls, markers, agent, params, Snake's food draws) with its dtype and
shape, so any change of any cell or draw shows, and the failing seeds are
named."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest

from leaps.karel.protocols.carvalho2024 import TASK_NAMES, get_task
from leaps.karel.protocols.carvalho2024.tasks import snake
from leaps.karel.protocols.carvalho2024.tasks.base import NUM_PARAMS, InitialWorld
from leaps.karel.protocols.carvalho2024.worlds import draw_worlds

FIXTURE = Path(__file__).with_name("carvalho2024_world_digests.npz")
LARGE_SEEDS = (2**32 - 1, 2**32 - 2, 2**32 - 3, 2**32 - 1000, 2**31 - 1, 2**31, 2**31 + 1, 2**16, 2**16 - 1,
               123_456_789, 3_141_592_653, 4_000_000_000)
SEEDS = (*range(500), *LARGE_SEEDS)


def world_digest(world: InitialWorld) -> int:
    """The first 8 bytes of a sha256 over every array of ``world``, with
    their dtypes and shapes, as an unsigned int."""
    h = hashlib.sha256()
    agent = np.asarray(world.agent)
    for a in (world.walls, world.markers, agent, world.params, world.food):
        h.update(f"{a.dtype.str}{a.shape};".encode())
        h.update(np.ascontiguousarray(a).tobytes())
    return int.from_bytes(h.digest()[:8], "little")


def digests(task: str, seeds: tuple[int, ...] = SEEDS) -> np.ndarray:
    generate = get_task(task).generate
    return np.array([world_digest(generate(s)) for s in seeds], dtype=np.uint64)


@pytest.mark.parametrize("task", TASK_NAMES)
def test_worlds_match_the_recorded_ones(task):
    recorded = np.load(FIXTURE)
    assert tuple(recorded["seeds"].tolist()) == SEEDS
    now = digests(task)
    differ = [s for s, a, b in zip(SEEDS, now, recorded[task], strict=True) if a != b]
    assert not differ, f"{task}: the worlds of seeds {differ[:10]} changed"


def test_the_digest_sees_every_array():
    base = world_digest(get_task("snake").generate(0))
    for field, index, value in (("walls", (3, 3), True), ("markers", (3, 3), 2), ("params", 5, 1),
                                ("food", (4095, 1), 0)):
        w = get_task("snake").generate(0)
        getattr(w, field)[index] = value
        assert world_digest(w) != base, field
    w = get_task("snake").generate(0)
    w.agent = (w.agent[0], w.agent[1], 2)
    assert world_digest(w) != base
    w = get_task("snake").generate(0)
    w.markers = w.markers.astype(np.int16)
    assert world_digest(w) != base


@pytest.mark.parametrize("task", TASK_NAMES)
def test_batched_draws_are_the_generated_worlds(task):
    """draw_worlds (the vectorised environment's resets) writes exactly
    ``generate``'s world into each slot it is given, whatever the slot held
    (an episode may have changed its walls and markers), and nothing else."""
    spec = get_task(task)
    n, seeds = 7, np.array([3, 2**32 - 1, 0, 499, 3], dtype=np.int64)
    slots = np.array([5, 0, 2, 6, 3], dtype=np.int64)
    f = snake.FOOD_DRAWS if task == "snake" else 1
    rng = np.random.default_rng(0)
    walls = rng.integers(0, 2, size=(n, spec.height, spec.width)).astype(bool)
    markers = rng.integers(0, 10, size=(n, spec.height, spec.width)).astype(np.int8)
    agents = rng.integers(0, 9, size=(n, 3))
    params = rng.integers(0, 9, size=(n, NUM_PARAMS))
    food = rng.integers(0, 9, size=(n, f, 2))
    before = [a.copy() for a in (walls, markers, agents, params, food)]
    draw_worlds(spec.task_id, seeds, slots, walls, markers, agents, params, food)
    for seed, i in zip(seeds, slots, strict=True):
        w = spec.generate(int(seed))
        assert np.array_equal(walls[i], w.walls) and np.array_equal(markers[i], w.markers)
        assert tuple(agents[i]) == w.agent and np.array_equal(params[i], w.params)
        assert np.array_equal(food[i], w.food if task == "snake" else before[4][i])
    untouched = np.setdiff1d(np.arange(n), slots)
    for a, b in zip((walls, markers, agents, params, food), before, strict=True):
        assert np.array_equal(a[untouched], b[untouched])


def test_bad_seeds_raise():
    with pytest.raises(ValueError, match="seed"):
        get_task("maze").generate(2**32)
    with pytest.raises(ValueError, match="seeds for"):
        draw_worlds(0, np.zeros(2), np.zeros(3), *[np.zeros(1)] * 5)
