"""carvalho2024 rollouts (leaps.karel.protocols.carvalho2024.rollout): the
recorded episode is the evaluated one, frames show what the task draws."""

from __future__ import annotations

import numpy as np
import pytest

from leaps.karel import dsl
from leaps.karel.program_generator import ProgramGenerator
from leaps.karel.protocols.carvalho2024 import TASK_NAMES, evaluate, initial_worlds
from leaps.karel.protocols.carvalho2024.engine import END_TERMINATED
from leaps.karel.protocols.carvalho2024.rollout import MAX_FRAMES, replay_actions, rollout
from tests.karel.protocols.test_carvalho2024 import SOLUTIONS, prog


@pytest.mark.parametrize("task", TASK_NAMES)
def test_rollout_is_the_evaluated_episode(task):
    programs = [dsl.to_text(p) for p in ProgramGenerator().sample_many(12, np.random.default_rng(1))]
    result = evaluate(programs, task, seeds=[2])
    for i, text in enumerate(programs):
        episode = rollout(text, task, seed=2)
        assert episode.episode_return == pytest.approx(result.per_world[i, 0])
        assert episode.num_actions == result.num_actions[i, 0] and episode.end_reason == result.end_reason[i, 0]
        assert len(episode.frames) == min(episode.num_actions + 1, MAX_FRAMES)


def test_frames_start_at_the_initial_world_and_end_at_the_final_one():
    text = prog(SOLUTIONS["harvester"])
    full = rollout(text, "harvester", seed=0)
    assert full.episode_return == pytest.approx(1.0) and full.end_reason == END_TERMINATED
    start = initial_worlds("harvester", [0])
    assert np.array_equal(full.frames[0].markers, start.markers[0]) and tuple(full.frames[0].agent) == tuple(
        start.agents[0])
    assert full.frames[-1].markers.sum() == 0
    short = rollout(text, "harvester", seed=0, max_frames=5)
    assert len(short.frames) == 5
    assert all(short.frames[i] == full.frames[i] for i in range(4))
    assert short.frames[-1] == full.frames[-1]  # the last frame is the final world


def test_replayed_actions_equal_the_straight_line_program():
    actions = np.random.default_rng(0).integers(0, len(dsl.ACTIONS), size=40)
    text = prog(" ".join(dsl.ACTIONS[a] for a in actions))
    for task in ("snake", "seeder", "doorkey"):
        replay = replay_actions(actions, initial_worlds(task, [4]))
        episode = rollout(text, task, seed=4)
        assert replay.episode_return == pytest.approx(episode.episode_return)
        assert len(replay.frames) == 1 and replay.frames[0] == episode.frames[-1]


def test_onestroke_frames_show_the_trail_as_walls():
    episode = rollout(prog("move move turnRight move"), "onestroke", seed=1)
    walls = [int(f.walls.sum()) for f in episode.frames]
    assert walls == sorted(walls) and walls[-1] > walls[0]


def test_snake_frames_show_body_and_food_not_the_count_grid():
    episode = rollout(prog("move move"), "snake", seed=0)  # seed 0: agent (6, 2) East, food (1, 4)
    first, last = episode.frames[0], episode.frames[-1]
    assert first.markers.sum() == 1 and first.markers[1, 4] == 1  # only the food
    assert tuple(last.agent) == (6, 4, 1)
    assert last.markers[6, 3] == 1 and last.markers[6, 2] == 0  # body of length 2 behind the head
    assert last.markers[1, 4] == 1


def test_max_frames_must_be_positive():
    with pytest.raises(ValueError, match="max_frames"):
        rollout(prog("move"), "maze", max_frames=0)
