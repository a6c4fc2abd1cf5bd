"""The carvalho2024 protocol (KAREL_SPEC_P2.md): engine, ten tasks, worlds."""

from __future__ import annotations

import numpy as np
import pytest

from leaps.karel import dsl
from leaps.karel.program_generator import ProgramGenerator
from leaps.karel.protocols.carvalho2024 import (
    INVALID_RETURN,
    TASK_NAMES,
    Evaluator,
    WorldSet,
    evaluate,
    get_task,
    initial_worlds,
    run,
)
from leaps.karel.protocols.carvalho2024.engine import END_BUDGET, END_LOOP_GUARD, END_PROGRAM, END_TERMINATED
from leaps.karel.protocols.carvalho2024.tasks import cleanhouse, harvester, maze, snake, stairclimber
from leaps.karel.protocols.carvalho2024.tasks.base import InitialWorld, border_walls, make_params
from tests.karel.protocols.spec_runner import as_world, run_episode


def prog(body: str) -> str:
    return f"DEF run m( {body} m)"


def episode(task: str, world: InitialWorld, body: str):
    """(return, end reason, calls) of one program on one hand-built world."""
    res = run([prog(body)], WorldSet.from_worlds(get_task(task), [0], [world]))
    assert res.valid[0]
    return float(res.per_world[0, 0]), int(res.end_reason[0, 0]), int(res.calls[0, 0])


def empty_world(h=8, w=8, agent=(3, 3, 1), params=(), markers=None, food=None) -> InitialWorld:
    m = np.zeros((h, w), np.int8) if markers is None else markers
    f = np.zeros((0, 2), np.int64) if food is None else np.asarray(food, np.int64)
    return InitialWorld(border_walls(h, w), m, agent, make_params(*params), f)


# ---------------------------------------------------------------- worlds ----
def test_seeded_worlds_are_the_reference_ones():
    # hand-checked against the reference generators (seeds 0..3)
    expect_agents = {
        "stairclimber": [(5, 6, 1), (5, 6, 1), (2, 9, 1), (2, 9, 1)],
        "harvester": [(6, 2, 1), (6, 3, 1), (6, 2, 1), (6, 4, 1)],
        "fourcorner": [(10, 6, 1), (10, 7, 1), (10, 2, 1), (10, 4, 1)],
        "doorkey": [(4, 2, 1), (2, 2, 1), (4, 3, 1), (1, 1, 1)],
        "onestroke": [(6, 5, 1), (4, 6, 1), (6, 1, 1), (1, 3, 1)],
        "seeder": [(6, 2, 1), (4, 3, 1), (6, 2, 1), (1, 4, 1)],
        "snake": [(6, 2, 1), (4, 3, 1), (6, 2, 1), (1, 4, 1)],
        "maze": [(10, 1, 1)] * 4,
        "cleanhouse": [(1, 13, 2)] * 4,
        "topoff": [(10, 1, 1)] * 4,
    }
    expect_markers = {
        "stairclimber": [[(4, 7)], [(1, 10)], [(1, 10)], [(1, 10)]],
        "maze": [[(7, 9)], [(4, 5)], [(2, 7)], [(7, 1)]],
        "topoff": [[(10, 3), (10, 4), (10, 6), (10, 8), (10, 9), (10, 10)], [(10, 10)],
                   [(10, 3), (10, 6), (10, 8)], [(10, 4), (10, 6), (10, 8), (10, 9)]],
        "doorkey": [[(1, 6), (5, 2)], [(1, 6), (6, 1)], [(1, 2), (1, 5)], [(2, 6), (3, 1)]],
        "snake": [[(1, 4)], [(5, 1)], [(1, 4)], [(2, 4)]],
        "cleanhouse": [
            [(2, 7), (2, 12), (3, 16), (4, 15), (5, 18), (6, 19), (7, 12), (8, 20), (11, 5), (11, 10), (12, 3)],
            [(1, 16), (2, 5), (2, 12), (2, 13), (4, 19), (6, 1), (6, 6), (6, 14), (6, 19), (9, 10), (12, 5)],
        ],
    }
    for name in TASK_NAMES:
        ws = initial_worlds(name, range(4))
        assert [tuple(int(x) for x in a) for a in ws.agents] == expect_agents[name], name
        for i, cells in enumerate(expect_markers.get(name, [])):
            assert [tuple(x) for x in np.argwhere(ws.markers[i]).tolist()] == cells, (name, i)
    assert initial_worlds("harvester", [0]).markers[0].sum() == 36
    assert initial_worlds("cleanhouse", [5]).markers[0].sum() == 11


def test_generators_restated():
    # straightforward restatements of the draw order
    for s in range(16):
        rs = np.random.RandomState(s)
        col = rs.randint(2, 6)
        w = harvester.generate(s)
        assert w.agent == (6, col, 1)
        rs = np.random.RandomState(s)
        a = rs.randint(0, 9)
        m = rs.randint(a + 1, 10)
        w = stairclimber.generate(s)
        assert w.agent == (11 - 1 - a, 1 + a, 1) and w.markers[10 - m, 1 + m] == 1
        rs = np.random.RandomState(s)
        c, r = rs.randint(2, 6), rs.randint(1, 7)
        while True:
            fr, fc = rs.randint(1, 7), rs.randint(1, 7)
            if (fr, fc) != (r, c):
                break
        w = snake.generate(s)
        assert w.agent == (r, c, 1) and w.markers[fr, fc] == 1
        assert tuple(w.food[0]) == (rs.randint(1, 7), rs.randint(1, 7))


def test_worlds_reproducible_and_maze_connected():
    for name in TASK_NAMES:
        a, b = get_task(name).generate(7), get_task(name).generate(7)
        assert np.array_equal(a.walls, b.walls) and np.array_equal(a.markers, b.markers) and a.agent == b.agent
    w = maze.generate(3)
    open_cells = {tuple(x) for x in np.argwhere(~w.walls).tolist()}
    seen, todo = {(10, 1)}, [(10, 1)]
    while todo:
        r, c = todo.pop()
        for dr, dc in ((1, 0), (-1, 0), (0, 1), (0, -1)):
            if (r + dr, c + dc) in open_cells and (r + dr, c + dc) not in seen:
                seen.add((r + dr, c + dc))
                todo.append((r + dr, c + dc))
    assert seen == open_cells
    assert len(cleanhouse.candidate_cells(cleanhouse.house_walls())) > 10


# ------------------------------------------------------- known solutions ----
SOLUTIONS = {
    "stairclimber": "WHILE c( noMarkersPresent c) w( turnLeft move turnRight move w)",
    "maze": "WHILE c( noMarkersPresent c) w( IFELSE c( rightIsClear c) i( turnRight move i) "
            "ELSE e( IFELSE c( frontIsClear c) i( move i) ELSE e( turnLeft e) e) w)",
    "topoff": "WHILE c( frontIsClear c) w( IF c( markersPresent c) i( putMarker i) move w) "
              "IF c( markersPresent c) i( putMarker i)",
    "fourcorner": "REPEAT R=4 r( WHILE c( frontIsClear c) w( move w) putMarker turnLeft r)",
    "harvester": "turnLeft turnLeft WHILE c( frontIsClear c) w( move w) turnLeft turnLeft "
                 "REPEAT R=3 r( WHILE c( frontIsClear c) w( pickMarker move w) pickMarker turnLeft move turnLeft "
                 "WHILE c( frontIsClear c) w( pickMarker move w) pickMarker turnRight move turnRight r)",
}


@pytest.mark.parametrize("task", sorted(SOLUTIONS))
def test_known_solutions_score_one(task):
    res = evaluate([prog(SOLUTIONS[task])], task)
    assert res.per_world.shape == (1, 16)
    np.testing.assert_allclose(res.per_world[0], 1.0)


# ------------------------------------------------------------- execution ----
REP_10000 = "REPEAT R=10 r( REPEAT R=10 r( REPEAT R=10 r( REPEAT R=10 r( turnLeft r) r) r) r)"


def test_budget_call_past_limit_still_acts_then_stops():
    w = harvester.generate(0)
    ret, reason, calls = episode("harvester", w, REP_10000 + " pickMarker pickMarker")
    assert (ret, reason, calls) == (pytest.approx(1 / 36), END_BUDGET, 10_001)
    ret, reason, calls = episode("harvester", w, REP_10000)
    assert (ret, reason, calls) == (0.0, END_PROGRAM, 10_000)
    # a perception past the budget crashes the run: no action follows
    ret, reason, calls = episode("harvester", w, REP_10000 + " IF c( markersPresent c) i( pickMarker i)")
    assert (ret, reason, calls) == (0.0, END_BUDGET, 10_001)


def test_crashed_move_turns_around():
    # OneStroke: 10000 turns (facing East again), then a move past the budget
    # turns around instead of moving, so no cell change is rewarded
    w = empty_world(agent=(3, 3, 1), params=(3, 3, 36))
    assert episode("onestroke", w, "move")[0] == pytest.approx(1 / 36)
    assert episode("onestroke", w, REP_10000 + " move")[:2] == (0.0, END_BUDGET)


def test_loop_guard_crashes_on_revisited_world():
    w = harvester.generate(0)
    ret, reason, calls = episode("seeder", empty_world(params=(36,)), "WHILE c( frontIsClear c) w( turnLeft w)")
    assert reason == END_LOOP_GUARD and calls == 9  # 4 tests + 4 turns, the 5th test sees the first world again
    # a loop whose body changes the world never trips it
    ret, reason, _ = episode("harvester", w, "WHILE c( markersPresent c) w( pickMarker w)")
    assert reason == END_PROGRAM and ret == pytest.approx(1 / 36)
    # memory survives re-entry: the inner loop sees its first world again on
    # the second pass of the REPEAT
    body = (
        "REPEAT R=2 r( WHILE c( frontIsClear c) w( move w) turnLeft turnLeft "
        "WHILE c( frontIsClear c) w( move w) turnLeft turnLeft r)"
    )
    _, reason, calls = episode("fourcorner", empty_world(12, 12, (10, 5, 1)), body)
    assert reason == END_LOOP_GUARD
    # a loop that is left and re-entered in a new world runs on
    body = "REPEAT R=2 r( WHILE c( noMarkersPresent c) w( putMarker w) move r)"
    ret, reason, _ = episode("seeder", empty_world(agent=(3, 3, 1), params=(36,)), body)
    assert (ret, reason) == (pytest.approx(2 / 36), END_PROGRAM)


def test_cap_is_ten_and_failed_actions_do_nothing():
    w = empty_world(agent=(3, 3, 1), params=(36,))
    # put 11 times: the 11th does nothing -> total stays 10; seeder crashes at 2
    ret, reason, _ = episode("seeder", w, "putMarker putMarker")
    assert (ret, reason) == (pytest.approx(1 / 36 - 1), END_TERMINATED)
    # pick on an empty cell does nothing (no crash)
    assert episode("seeder", w, "pickMarker putMarker")[:2] == (pytest.approx(1 / 36), END_PROGRAM)
    markers = np.zeros((8, 8), np.int8)
    markers[3, 3] = 10
    w = empty_world(agent=(3, 3, 1), params=(10,), markers=markers)
    # harvester: putting on 10 is a no-op, so no 'total grew' crash
    assert episode("harvester", w, "putMarker")[:2] == (0.0, END_PROGRAM)


def test_invalid_programs_lose_to_every_valid_one():
    res = evaluate(["DEF run m( move", prog("move"), "not a program"], "maze")
    assert list(res.valid) == [False, True, False]
    assert res.mean_return[0] == INVALID_RETURN and res.mean_return[1] > INVALID_RETURN
    ids = np.full((2, 45), dsl.PAD_ID, np.int64)
    ids[0, :5] = dsl.to_ids(dsl.parse(prog("move")))
    np.testing.assert_array_equal(evaluate(ids, "maze").valid, [True, False])


def test_evaluator_binds_the_worlds():
    ev = Evaluator("snake")
    first = ev.evaluate([prog("move"), prog("turnLeft")])
    again = ev.evaluate([prog("move")])
    assert first.per_world[0].tolist() == again.per_world[0].tolist()
    assert ev.max_return == 1.0 and len(ev.worlds) == 16
    with pytest.raises(KeyError, match="unknown carvalho2024 task"):
        get_task("nope")


# --------------------------------------------------------- task rewards ----
def test_stairclimber_rules():
    w = stairclimber.generate(0)
    w = InitialWorld(w.walls, np.zeros_like(w.markers), (10, 1, 1), make_params(9, 2))
    w.markers[9, 2] = 1
    assert episode("stairclimber", w, "turnLeft move turnRight move")[:2] == (1.0, END_TERMINATED)
    assert episode("stairclimber", w, "turnLeft move move")[:2] == (-1.0, END_TERMINATED)
    assert episode("stairclimber", w, "turnLeft move")[:2] == (0.0, END_PROGRAM)


def test_topoff_rules():
    markers = np.zeros((12, 12), np.int8)
    markers[10, 3] = markers[10, 5] = 1
    w = InitialWorld(border_walls(12, 12), markers, (10, 2, 1), make_params(2, 10, 3, 10, 5))
    assert episode("topoff", w, "move putMarker")[:2] == (pytest.approx(0.5), END_PROGRAM)
    assert episode("topoff", w, "move putMarker move move putMarker")[:2] == (pytest.approx(1.0), END_TERMINATED)
    assert episode("topoff", w, "move pickMarker")[:2] == (-1.0, END_TERMINATED)  # a marked cell emptied
    assert episode("topoff", w, "putMarker")[:2] == (-1.0, END_TERMINATED)  # marker elsewhere
    # taking back a top-off costs its reward
    assert episode("topoff", w, "move putMarker putMarker")[:2] == (pytest.approx(0.5 - 1.0), END_TERMINATED)
    assert episode("topoff", w, "move putMarker pickMarker")[:2] == (pytest.approx(0.0), END_PROGRAM)


def test_harvester_and_cleanhouse_rules():
    w = harvester.generate(0)
    assert episode("harvester", w, "pickMarker move pickMarker")[0] == pytest.approx(2 / 36)
    assert episode("harvester", w, "pickMarker putMarker")[:2] == (pytest.approx(1 / 36 - 1), END_TERMINATED)
    markers = np.zeros((8, 8), np.int8)
    markers[3, 4] = 1
    w = empty_world(agent=(3, 3, 1), params=(1,), markers=markers)
    assert episode("harvester", w, "move pickMarker turnLeft")[:2] == (1.0, END_TERMINATED)
    ch = cleanhouse.generate(0)
    assert ch.params[0] == 11 and ch.markers[2, 12] == 1
    # (1,13) facing South: move to (2,13), turn West, move to (2,12), pick the extra marker
    assert episode("cleanhouse", ch, "move turnRight move pickMarker")[0] == pytest.approx(1 / 11)


def test_fourcorner_rules():
    w = empty_world(12, 12, (10, 9, 1))
    assert episode("fourcorner", w, "move putMarker")[:2] == (pytest.approx(0.25), END_PROGRAM)
    assert episode("fourcorner", w, "putMarker")[:2] == (-1.0, END_TERMINATED)
    assert episode("fourcorner", w, "move putMarker putMarker")[:2] == (pytest.approx(0.25 - 1), END_TERMINATED)


def doorkey_world() -> InitialWorld:
    walls = border_walls(8, 8)
    walls[:, 4] = True
    markers = np.zeros((8, 8), np.int8)
    markers[2, 3] = markers[2, 5] = 1
    return InitialWorld(walls, markers, (2, 2, 1), make_params(2, 3, 2, 5, 4, 2, 3))


def test_doorkey_rules():
    w = doorkey_world()
    # key picked: +0.5, door (2,4) opens; walk through, top off the goal: +0.5
    assert episode("doorkey", w, "move pickMarker move move putMarker")[:2] == (1.0, END_TERMINATED)
    # locked: the door is a wall (blocked move turns around), seen by perceptions
    assert episode("doorkey", w, "move move turnLeft turnLeft IF c( frontIsClear c) i( putMarker i)")[:2] == (
        0.0, END_PROGRAM)
    # opened door is seen by perceptions; a put beside the goal crashes
    ret, reason, _ = episode("doorkey", w, "move pickMarker IF c( frontIsClear c) i( putMarker i)")
    assert (ret, reason) == (pytest.approx(-0.5), END_TERMINATED)
    # while locked: a third marker crashes
    assert episode("doorkey", w, "putMarker putMarker")[:2] == (-1.0, END_TERMINATED)
    # after the key: taking the goal marker (total 0) crashes
    assert episode("doorkey", w, "move pickMarker move move pickMarker")[:2] == (pytest.approx(-0.5), END_TERMINATED)


def test_onestroke_rules():
    w = empty_world(agent=(1, 1, 1), params=(1, 1, 36))
    # the cell left becomes a wall: turning back, the move is blocked (turn around)
    ret, reason, _ = episode("onestroke", w, "move turnLeft turnLeft move move")
    assert (ret, reason) == (pytest.approx(2 / 36), END_PROGRAM)
    # perceptions see the trail wall: frontIsClear is false, so no turn, and the move is blocked
    trail = "move turnLeft turnLeft IF c( frontIsClear c) i( turnLeft i) move"
    assert episode("onestroke", w, trail)[0] == pytest.approx(1 / 36)
    # the whole grid: 35 changes at most, never terminates
    snake_path = (
        "REPEAT R=3 r( REPEAT R=5 r( move r) turnRight move turnRight "
        "REPEAT R=5 r( move r) turnLeft move turnLeft r)"
    )
    ret, reason, _ = episode("onestroke", w, snake_path)
    assert ret == pytest.approx(35 / 36)


def test_seeder_rules():
    w = empty_world(agent=(3, 3, 1), params=(36,))
    assert episode("seeder", w, "putMarker move putMarker")[:2] == (pytest.approx(2 / 36), END_PROGRAM)
    assert episode("seeder", w, "putMarker pickMarker")[:2] == (pytest.approx(1 / 36 - 1), END_TERMINATED)
    full = np.zeros((8, 8), np.int8)
    full[1:-1, 1:-1] = 1
    full[3, 4] = 0
    w = empty_world(agent=(3, 3, 1), params=(36,), markers=full)
    # the previous total starts at 0 whatever the world holds (reference), so
    # completing a nearly full grid pays the whole 36/36
    assert episode("seeder", w, "move putMarker")[:2] == (pytest.approx(1.0), END_TERMINATED)


def snake_world(food_stream, agent=(3, 2, 1), food=(3, 3)) -> InitialWorld:
    markers = np.zeros((8, 8), np.int8)
    markers[food] = 1
    return empty_world(agent=agent, params=(agent[0], agent[1], *food), markers=markers, food=food_stream)


def test_snake_growth_collision_and_food():
    w = snake_world([(3, 5), (6, 6)])
    # eat at (3,3), next food (3,5): eat again
    assert episode("snake", w, "move move move")[:2] == (pytest.approx(2 / 20), END_PROGRAM)
    # reversing into the body crashes
    assert episode("snake", w, "move move turnLeft turnLeft move")[:2] == (pytest.approx(1 / 20 - 1), END_TERMINATED)
    # without growth a 2x2 square can be circled; with growth 3 it still can, body 4 could not
    square = "REPEAT R=3 r( move turnLeft move turnLeft move turnLeft move turnLeft r)"
    w2 = snake_world([(6, 6)], agent=(5, 2, 1), food=(1, 6))
    assert episode("snake", w2, square)[:2] == (0.0, END_PROGRAM)
    # a draw under the agent facing East is rejected
    w = snake_world([(3, 3), (6, 6)])
    assert episode("snake", w, "move turnLeft turnLeft turnLeft turnLeft")[0] == pytest.approx(1 / 20)
    # ... but accepted under an agent facing elsewhere (quirk): it eats again on the next action
    w = snake_world([(3, 3), (6, 6)], agent=(4, 3, 0))
    assert episode("snake", w, "move turnLeft")[0] == pytest.approx(2 / 20)


def test_snake_perceptions_read_the_stale_marker_grid():
    w = snake_world([(3, 5), (6, 6)])
    # after eating at (3,3) the food is gone from the world, but markersPresent
    # still reads the initial grid: it is true, so the agent turns back into its body
    ret, reason, _ = episode("snake", w, "move IF c( markersPresent c) i( turnLeft turnLeft move i)")
    assert (ret, reason) == (pytest.approx(1 / 20 - 1), END_TERMINATED)
    # the new food at (3,5) is not seen
    ret, _, _ = episode("snake", w, (
        "move move move IF c( noMarkersPresent c) i( turnLeft "
        "i) IF c( markersPresent c) i( move i)"
    ))
    assert ret == pytest.approx(2 / 20)


def test_snake_restarts_its_draws_for_every_evaluation():
    programs = [prog("WHILE c( frontIsClear c) w( move IF c( rightIsClear c) i( turnRight i) w)")]
    a = evaluate(programs, "snake").per_world
    b = evaluate(programs, "snake").per_world
    np.testing.assert_array_equal(a, b)


# ------------------------------------------------- against the spec runner ----
def _compare(n_programs: int, seeds, rng_seed: int):
    gen = ProgramGenerator()
    rng = np.random.default_rng(rng_seed)
    programs = [
        prog(REP_10000 + " move pickMarker putMarker"),
        prog("REPEAT R=19 r( REPEAT R=19 r( REPEAT R=19 r( IF c( frontIsClear c) i( move i) turnLeft r) r) r)"),
        prog("REPEAT R=19 r( REPEAT R=19 r( REPEAT R=19 r( IFELSE c( rightIsClear c) i( turnRight move i) "
             "ELSE e( putMarker move e) r) r) r)"),
        prog("WHILE c( frontIsClear c) w( move WHILE c( rightIsClear c) w( turnRight move w) w)"),
    ] + [dsl.to_text(p) for p in gen.sample_many(n_programs, rng)]
    parsed = [dsl.parse(p) for p in programs]
    reasons = []
    for name in TASK_NAMES:
        ws = initial_worlds(name, seeds)
        res = run(programs, ws)
        reasons.append(res.end_reason.ravel())
        for j in range(len(ws)):
            world = as_world(ws, j)
            for i, p in enumerate(parsed):
                ret, calls = run_episode(p, name, world)
                assert res.per_world[i, j] == pytest.approx(ret, abs=1e-12), (name, seeds[j], programs[i])
                assert res.calls[i, j] == calls, (name, seeds[j], programs[i])
    counts = np.bincount(np.concatenate(reasons), minlength=4)
    assert counts[END_BUDGET] > 0 and counts[END_LOOP_GUARD] > 0 and counts[END_TERMINATED] > 0
    return counts


def test_engine_matches_spec_runner():
    _compare(40, [0, 5, 11], rng_seed=0)


@pytest.mark.slow
def test_engine_matches_spec_runner_many():
    _compare(300, list(range(16)), rng_seed=1)
