"""The protocol registry (leaps.karel.protocols): one list of protocols, each
behind the same interface, so that search, report, the Gymnasium
registration and the benchmarks need not know which one they hold."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import leaps.karel.protocols as protocols
from leaps.karel.protocols import EvaluationWorlds
from leaps.karel.protocols.base import EvaluationProtocol

MAZE = "DEF run m( turnLeft turnRight WHILE c( noMarkersPresent c) w( IFELSE c( rightIsClear c) i( turnRight i) " \
       "ELSE e( WHILE c( not c( frontIsClear c) c) w( turnLeft w) e) move w) m)"


def test_names_lists_both_protocols_the_default_first():
    out = subprocess.run([sys.executable, "-c", "import leaps.karel.protocols as p; print(p.names())"],
                         capture_output=True, text=True, check=True).stdout
    assert out.strip() == "('leaps', 'carvalho2024')"
    assert protocols.names()[0] == protocols.DEFAULT == "leaps"


def test_unknown_protocol_names_the_known_ones():
    with pytest.raises(ValueError, match="use one of leaps, carvalho2024"):
        protocols.get("carvalho")


@pytest.mark.parametrize("name", protocols.names())
def test_every_protocol_has_the_same_interface(name):
    protocol = protocols.get(name)
    assert isinstance(protocol, EvaluationProtocol) and protocol.name == name
    tasks = protocol.task_names()
    assert "maze" in tasks and set(protocol.gym_ids()) == set(tasks)
    evaluator = protocol.evaluator("maze", worlds=EvaluationWorlds(seed=3))
    scores = evaluator.evaluate([MAZE, "DEF run m( move"])
    assert scores.per_world.shape == (2, protocol.search_worlds) and scores.valid.tolist() == [True, False]
    assert scores.mean_return[0] == pytest.approx(evaluator.max_return)
    frames = evaluator.rollout("DEF run m( move turnLeft m)")
    assert len(frames) == 3  # the initial world, then one per action
    with pytest.raises(ValueError, match="nosuch"):
        protocol.evaluator("nosuch")


@pytest.mark.parametrize("name", protocols.names())
def test_held_out_worlds_are_not_the_search_worlds(name):
    protocol = protocols.get(name)
    search = protocol.evaluator("harvester", worlds=EvaluationWorlds(seed=0))
    test = protocol.evaluator("harvester", worlds=EvaluationWorlds(seed=0, held_out=True))
    assert test.evaluate([MAZE]).per_world.shape == (1, protocol.test_worlds)
    assert search.evaluate([MAZE]).per_world.shape == (1, protocol.search_worlds)
    again = protocol.evaluator("harvester", worlds=EvaluationWorlds(seed=0, count=7, held_out=True))
    assert again.evaluate([MAZE]).per_world.shape == (1, 7)


def test_leaps_held_out_worlds_come_from_another_stream_of_the_seed():
    protocol = protocols.get("leaps")
    for seed in (0, 1, 5):  # 20x20 mazes: two draws of one stream would almost never coincide
        search = protocol.evaluator("maze", worlds=EvaluationWorlds(seed=seed, count=20), height=20, width=20).worlds
        test = protocol.evaluator("maze", worlds=EvaluationWorlds(seed=seed, count=20, held_out=True), height=20,
                                  width=20).worlds
        searched = {w.walls.tobytes() + w.markers.tobytes() for w in search}
        assert not any(w.walls.tobytes() + w.markers.tobytes() in searched for w in test)
    same = protocol.evaluator("maze", worlds=EvaluationWorlds(seed=1, held_out=True)).worlds
    assert np.array_equal(same.walls, protocol.evaluator("maze", worlds=EvaluationWorlds(seed=1, held_out=True))
                          .worlds.walls)  # the same seed, the same test worlds


def test_carvalho2024_test_worlds_are_the_seeds_after_the_search_ones():
    protocol = protocols.get("carvalho2024")
    assert protocol.evaluator("snake").worlds.seeds == tuple(range(16))
    assert protocol.evaluator("snake", worlds=EvaluationWorlds(seed=9, held_out=True)).worlds.seeds == \
        tuple(range(16, 116))


def test_call_budget_and_grid_sizes_follow_the_protocol():
    leaps_protocol, carvalho = protocols.get("leaps"), protocols.get("carvalho2024")
    assert leaps_protocol.evaluator("cleanhouse", call_budget=2000).task.call_budget == 2000
    assert leaps_protocol.grid_sizes("maze") and not leaps_protocol.grid_sizes("cleanhouse")
    assert leaps_protocol.evaluator("maze", height=20, width=20).worlds.walls.shape[1:] == (20, 20)
    assert not carvalho.grid_sizes("maze")
    with pytest.raises(ValueError, match="fixed call budget of 10,000"):
        carvalho.evaluator("maze", call_budget=500)
    with pytest.raises(ValueError, match="fixed worlds"):
        carvalho.evaluator("maze", height=20)
