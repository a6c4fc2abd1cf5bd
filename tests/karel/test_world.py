import numpy as np
import pytest

from leaps.karel import transitions as tr
from leaps.karel.world import ActionError, World, WorldBatch
from leaps.karel.world_generator import WorldGenerator


def room() -> World:
    return World.from_string(
        "#####\n"
        "#...#\n"
        "#.^.#\n"
        "#..##\n"
        "#####"
    )


def test_from_string_and_str_round_trip():
    w = room()
    assert (w.row, w.col, w.direction) == (2, 2, 0)
    w.markers[1, 1] = 3
    w.markers[3, 2] = 10
    assert str(w) == "#####\n#3..#\n#.^.#\n#.X##\n#####"
    assert World.from_string(str(w)) == w


@pytest.mark.parametrize(
    ("direction", "front", "left", "right"),
    [(0, True, True, False), (1, False, True, True), (2, True, False, True), (3, True, True, True)],
)
def test_perceptions_by_direction(direction, front, left, right):
    w = World.from_string("#####\n#...#\n#.^##\n#..##\n#####")
    w.agent[:] = (2, 2, direction)
    # neighbours: N (1,2) free, E (2,3) wall, S (3,2) free, W (2,1) free
    assert w.front_is_clear() == front
    assert w.left_is_clear() == left
    assert w.right_is_clear() == right


def test_perceptions_off_grid_and_markers():
    w = World(np.zeros((2, 2), dtype=bool), None, (0, 0, 0))
    assert not w.front_is_clear()  # off the grid counts as blocked
    assert not w.left_is_clear()
    assert w.right_is_clear()
    assert w.no_markers_present() and not w.markers_present()
    w.markers[0, 0] = 1
    assert w.markers_present() and not w.no_markers_present()


def test_each_action():
    w = room()
    assert w.act("move") == tr.OK and (w.row, w.col) == (1, 2)
    assert w.act("turnLeft") == tr.OK and w.direction == 3
    assert w.act("turnRight") == tr.OK and w.direction == 0
    w.act("turnRight")
    assert w.direction == 1
    assert w.act("putMarker") == tr.OK and w.markers[1, 2] == 1
    assert w.act("pickMarker") == tr.OK and w.markers[1, 2] == 0


def test_blocked_move_lenient_turns_around_strict_raises():
    w = room()
    w.act("move")
    assert w.act("move") == tr.BLOCKED_MOVE
    assert (w.row, w.col, w.direction) == (1, 2, 2)
    w = room()
    w.act("move")
    with pytest.raises(ActionError, match="wall"):
        w.act("move", strict=True)
    assert (w.row, w.col, w.direction) == (1, 2, 0)  # unchanged


def test_pick_on_empty_and_put_on_nine():
    w = room()
    assert w.act("pickMarker") == tr.EMPTY_PICK and w.markers.sum() == 0
    with pytest.raises(ActionError):
        w.act("pickMarker", strict=True)
    w.markers[2, 2] = 9
    assert w.act("putMarker") == tr.FULL_PUT and w.markers[2, 2] == 9
    with pytest.raises(ActionError):
        w.act("putMarker", strict=True)
    w.markers[2, 2] = 8
    assert w.act("putMarker") == tr.OK and w.markers[2, 2] == 9


def test_state_channels_and_round_trip():
    w = room()
    w.markers[1, 1] = 2
    s = w.to_state()
    assert s.shape == (5, 5, 16) and s.dtype == bool
    assert s[2, 2, 0] and s[:, :, :4].sum() == 1
    assert s[0, 0, 4] and not s[1, 1, 4]
    assert s[1, 1, 5 + 2] and s[2, 2, 5 + 0]
    assert np.all(s[:, :, 5:].sum(axis=2) == 1)
    assert World.from_state(s) == w


def test_state_round_trip_on_random_worlds():
    rng = np.random.default_rng(0)
    batch = WorldGenerator(height=9, width=7).sample_batch(50, rng)
    states = batch.to_states()
    back = WorldBatch.from_states(states)
    assert np.array_equal(back.walls, batch.walls)
    assert np.array_equal(back.markers, batch.markers)
    assert np.array_equal(back.agents, batch.agents)


def test_invalid_worlds_are_rejected():
    with pytest.raises(ValueError, match="wall"):
        World.from_string("#####\n#.>.#\n#####").__class__(np.ones((3, 3), bool), None, (1, 1, 0))
    with pytest.raises(ValueError, match="outside"):
        World(np.zeros((3, 3), bool), None, (5, 0, 0))
    with pytest.raises(ValueError, match="exactly one agent"):
        World.from_state(np.zeros((3, 3, 16), bool))
