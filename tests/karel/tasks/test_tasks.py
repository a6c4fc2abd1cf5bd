import numpy as np
import pytest

from leaps.karel.interpreter import Mode, execute
from leaps.karel.tasks import (
    INVALID_PROGRAM_SCORE,
    TASK_NAMES,
    TaskEvaluator,
    evaluate,
    get_task,
)
from leaps.karel.world import World, WorldBatch

SOLUTIONS = {
    "harvester": "DEF run m( WHILE c( markersPresent c) w( WHILE c( markersPresent c) w( pickMarker move w) turnRight "
    "move turnLeft WHILE c( markersPresent c) w( pickMarker move w) turnLeft move turnRight w) m)",
    # two leading turns: a marker on the start cell still gets the 2 actions the reward needs
    "maze": "DEF run m( turnLeft turnRight WHILE c( noMarkersPresent c) w( IFELSE c( rightIsClear c) i( turnRight i) "
    "ELSE e( WHILE c( not c( frontIsClear c) c) w( turnLeft w) e) move w) m)",
    "fourcorner": "DEF run m( WHILE c( noMarkersPresent c) w( WHILE c( frontIsClear c) w( move w) IF c( "
    "noMarkersPresent c) i( putMarker turnLeft move i) w) m)",
    "topoff": "DEF run m( WHILE c( frontIsClear c) w( IF c( markersPresent c) i( putMarker i) move w) m)",
    "stairclimber": "DEF run m( WHILE c( noMarkersPresent c) w( turnLeft move turnRight move w) m)",
}


@pytest.mark.parametrize("name", sorted(SOLUTIONS))
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_known_solutions_reach_full_return(name, seed):
    result = evaluate([SOLUTIONS[name]], name, seed=seed, n_worlds=10)
    assert result.mean_return[0] == pytest.approx(1.0), result.per_world
    assert result.raw_return[0] == pytest.approx(1.1)


CLEANHOUSE_FOLLOWER = (
    "DEF run m( REPEAT R=19 r( REPEAT R=19 r( IF c( markersPresent c) i( pickMarker i) IFELSE c( leftIsClear c) "
    "i( turnLeft move i) ELSE e( IFELSE c( frontIsClear c) i( move i) ELSE e( turnRight e) e) r) r) m)"
)


def test_cleanhouse_needs_more_than_the_budget():
    """A left-hand wall follower cleans the house, but needs ~1,700 calls,
    not 220: no single program we found fits the LEAPS budget."""
    task = get_task("cleanhouse")
    worlds = task.initial_worlds(10, np.random.default_rng(0))
    assert evaluate([CLEANHOUSE_FOLLOWER], task, worlds=worlds).mean_return[0] < 0.5
    task = get_task("cleanhouse", call_budget=2000)
    assert evaluate([CLEANHOUSE_FOLLOWER], task, worlds=worlds).mean_return[0] == pytest.approx(1.0)


def test_invalid_and_tiny_programs():
    result = evaluate(["DEF run m( m)", "garbage", "DEF run m( pickMarker m)"], "harvester", seed=0)
    assert result.valid.tolist() == [False, False, True]
    assert result.raw_return[:2].tolist() == [INVALID_PROGRAM_SCORE, INVALID_PROGRAM_SCORE]
    assert result.mean_return.tolist() == [0.0, 0.0, 0.0]  # one action: fewer than 2 -> 0
    assert result.raw_return[2] == pytest.approx(0.1)


def run_on(task, world: World, program: str) -> float:
    return float(evaluate([program], task, worlds=WorldBatch.stack([world])).per_world[0, 0])


def test_harvester_marker_count_lags_one_action():
    task = get_task("harvester")
    world = task.sample_world(np.random.default_rng(0))
    cells = task.cells
    # pick, move, pick: the last pick is not counted
    assert run_on(task, world, "DEF run m( pickMarker move pickMarker m)") == pytest.approx(1 / cells)
    assert run_on(task, world, "DEF run m( pickMarker move pickMarker turnLeft m)") == pytest.approx(2 / cells)
    # a failed pick changes nothing
    assert run_on(task, world, "DEF run m( pickMarker pickMarker turnLeft m)") == pytest.approx(1 / cells)


def test_fourcorner_exactly_one_marker_and_extra_markers():
    task = get_task("fourcorner")
    world = task.sample_world(np.random.default_rng(0))  # agent (10, 2) facing East
    walk = "turnRight move turnLeft turnLeft turnLeft move move move move move move move move move turnLeft"
    # a marker in the (10, 1) corner, placed by the last action: the put is lagging, corner counts
    assert run_on(task, world, "DEF run m( turnLeft turnLeft move putMarker m)") == pytest.approx(0.25)
    # two markers in the corner: not "exactly one"
    assert run_on(task, world, "DEF run m( turnLeft turnLeft move putMarker putMarker turnLeft m)") == 0.0
    # a marker elsewhere (not a corner) zeroes the reward once counted
    assert run_on(task, world, "DEF run m( putMarker turnLeft turnLeft move putMarker turnLeft m)") == 0.0
    # ... but not while it is the lagging last action
    assert run_on(task, world, "DEF run m( turnLeft turnLeft move putMarker turnRight turnRight move putMarker m)") \
        == pytest.approx(0.25)
    del walk


def test_topoff_counts_left_to_right_until_first_wrong_cell():
    task = get_task("topoff", height=6, width=7)
    world = World.empty(6, 7, (4, 1, 1))
    world.markers[4, 2] = 1
    world.markers[4, 4] = 1
    w_minus_1 = 6
    # agent walks to column 3 topping off column 2: columns 1..3 right -> 3
    assert run_on(task, world, "DEF run m( move putMarker move m)") == pytest.approx(3 / w_minus_1)
    # stops at column 2 without topping off: column 1 right, column 2 wrong -> 1
    assert run_on(task, world, "DEF run m( move move m)") == pytest.approx(1 / w_minus_1)
    # everything right and at the end (4, 5): 5 cells + 1 bonus
    full = "DEF run m( move putMarker move move putMarker move m)"
    assert run_on(task, world, full) == pytest.approx(1.0)
    # right cells but not standing at the end: no bonus
    assert run_on(task, world, "DEF run m( move putMarker move move putMarker m)") == pytest.approx(4 / w_minus_1)
    assert run_on(task, world, full[:-2] + "turnLeft m)") == pytest.approx(1.0)  # turning at the end keeps it
    # counting only reaches the agent's column, even from another row
    assert run_on(task, world, "DEF run m( move putMarker turnLeft move m)") == pytest.approx(2 / w_minus_1)


def test_stairclimber_rewards_only_a_first_arrival_by_the_last_action():
    task = get_task("stairclimber")
    world = task.sample_world(np.random.default_rng(3))
    marker = tuple(np.argwhere(world.markers == 1)[0])
    walker = "DEF run m( WHILE c( noMarkersPresent c) w( turnLeft move turnRight move w) m)"
    assert run_on(task, world, walker) == 1.0
    # arrive, then step off and back: not the first arrival any more
    back_and_forth = walker[:-2] + "turnLeft turnLeft move turnLeft turnLeft move m)"
    final, _ = _final(back_and_forth, world)
    assert (final.row, final.col) == marker
    assert run_on(task, world, back_and_forth) == 0.0
    # arrive, then turn: the last action did not bring the agent there
    assert run_on(task, world, walker[:-2] + "turnLeft m)") == 0.0


def _final(program: str, world: World):
    result = execute([program], [world], Mode.LENIENT)
    return result.final_world(0, 0), result.trace(0, 0)


def test_maze_goal_and_fewer_than_two_actions():
    task = get_task("maze")
    world = World.from_string("#####\n#>..#\n#####")
    world.markers[1, 2] = 1
    assert run_on(task, world, "DEF run m( move turnLeft m)") == 1.0
    assert run_on(task, world, "DEF run m( move move m)") == 0.0
    assert run_on(task, world, "DEF run m( move m)") == 0.0  # one action -> 0


def test_cleanhouse_reward_counts_the_ten_cells():
    task = get_task("cleanhouse")
    world = task.sample_world(np.random.default_rng(0))
    assert (world.markers == 1).sum() == 10 and world.markers[2, 12] == 2
    assert (world.row, world.col, world.direction) == (1, 13, 2)
    for cell in [(1, 13), (2, 12), (3, 10), (4, 11), (5, 11), (6, 10)]:
        assert world.markers[cell] != 1
    assert np.all(np.argwhere(world.markers == 1)[:, 1] < 13)
    # clean one marked cell by hand: put the agent on it
    r, c = np.argwhere(world.markers == 1)[0]
    world.agent[:] = (r, c, 0)
    assert run_on(task, world, "DEF run m( pickMarker turnLeft m)") == pytest.approx(0.1)


@pytest.mark.parametrize("name", TASK_NAMES)
def test_initial_worlds_are_seeded(name):
    task = get_task(name)
    a = task.initial_worlds(10, np.random.default_rng(5))
    b = task.initial_worlds(10, np.random.default_rng(5))
    c = task.initial_worlds(10, np.random.default_rng(6))
    assert np.array_equal(a.markers, b.markers) and np.array_equal(a.walls, b.walls)
    if name not in ("fourcorner", "harvester"):  # deterministic worlds by design
        assert not (np.array_equal(a.markers, c.markers) and np.array_equal(a.walls, c.walls))


@pytest.mark.parametrize("name", ["stairclimber", "fourcorner", "topoff", "maze", "harvester"])
def test_large_grids(name):
    task = get_task(name, height=100, width=100)
    worlds = task.initial_worlds(2, np.random.default_rng(0))
    assert worlds.walls.shape == (2, 100, 100)


def test_bad_task_arguments():
    with pytest.raises(ValueError, match="unknown task"):
        get_task("nosuchtask")
    with pytest.raises(ValueError, match="fixed"):
        get_task("cleanhouse", height=20)
    with pytest.raises(ValueError, match="at least"):
        get_task("harvester", height=2, width=2)


def test_the_call_budget_is_a_constructor_argument():
    assert get_task("maze").call_budget == 220 and get_task("maze", call_budget=500).call_budget == 500
    task = get_task("maze")
    with pytest.raises(AttributeError, match="call_budget"):
        task.budget = 2000  # the old spelling, written after construction
    with pytest.raises(AttributeError, match="call_budget"):
        _ = task.budget
    with pytest.raises(ValueError, match="call_budget"):
        get_task("maze", budget=500)
    with pytest.raises(ValueError, match="call_budget must be >= 1"):
        get_task("maze", call_budget=0)


def test_task_evaluator_fixes_worlds():
    ev = TaskEvaluator("maze", n_worlds=10, seed=3)
    first = ev.evaluate([SOLUTIONS["maze"], "DEF run m( move move m)"])
    again = ev.evaluate([SOLUTIONS["maze"]])
    assert ev.max_return == 1.0 and not hasattr(ev, "num_evaluations")  # counting is the search's (one wrapper)
    assert first.per_world[0].tolist() == again.per_world[0].tolist()
