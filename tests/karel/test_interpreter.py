import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leaps.karel import dsl
from leaps.karel.compiler import compile_programs
from leaps.karel.interpreter import Mode, Status, execute, run_pairs, run_program
from leaps.karel.program_generator import ProgramGenerator
from leaps.karel.world import World, WorldBatch
from leaps.karel.world_generator import WorldGenerator
from tests.karel.pure_interpreter import PureInterpreter

STATUS_OF = {"completed": Status.COMPLETED, "budget": Status.OUT_OF_BUDGET, "error": Status.ACTION_ERROR}


def condition_nodes(program: dsl.Program) -> list[dsl.Condition]:
    return [s.condition for s in dsl.iter_statements(program.body) if hasattr(s, "condition")]


def compare_with_pure(programs, worlds: WorldBatch, mode: Mode, budget: int = 220) -> dict[str, int]:
    result = execute(programs, worlds, mode=mode, budget=budget, record_branches=True)
    seen = {"completed": 0, "budget": 0, "error": 0}
    for p, prog in enumerate(programs):
        conds = condition_nodes(prog)
        for w in range(len(worlds)):
            ref = PureInterpreter(worlds.walls[w], worlds.markers[w], worlds.agents[w], mode == Mode.STRICT, budget)
            outcome = ref.run(prog)
            seen[outcome] += 1
            ctx = f"program {dsl.to_text(prog)} world {w}\n{worlds[w]}"
            assert result.status[p, w] == STATUS_OF[outcome], ctx
            assert result.trace(p, w).tolist() == ref.actions, ctx
            if outcome != "error":  # strict errors: world state at the failure is not specified
                assert np.array_equal(result.markers[p, w], ref.markers), ctx
                assert tuple(result.agents[p, w]) == (ref.row, ref.col, ref.dir), ctx
            expected = np.zeros((max(len(conds), 1), 2), dtype=bool)
            index = {id(c): i for i, c in enumerate(conds)}
            for cid, value in ref.branches:
                expected[index[cid], int(value)] = True
            assert np.array_equal(result.branches[p, w, : len(expected)], expected), ctx
    return seen


@pytest.mark.parametrize("mode", [Mode.LENIENT, Mode.STRICT])
def test_matches_pure_interpreter_on_random_programs(mode):
    rng = np.random.default_rng(1234 + int(mode))
    programs = ProgramGenerator().sample_many(400, rng)
    worlds = WorldGenerator().sample_batch(8, rng)
    seen = compare_with_pure(programs, worlds, mode)
    assert seen["completed"] > 100 and seen["budget"] > 100  # both endings are exercised
    if mode == Mode.STRICT:
        assert seen["error"] > 100


@pytest.mark.parametrize("budget", [0, 1, 2, 3, 5, 9, 30])
def test_matches_pure_interpreter_at_small_budgets(budget):
    rng = np.random.default_rng(budget)
    programs = ProgramGenerator().sample_many(150, rng)
    worlds = WorldGenerator().sample_batch(4, rng)
    compare_with_pure(programs, worlds, Mode.LENIENT, budget)


def test_matches_pure_interpreter_with_markers_and_repeats():
    """Worlds dense with markers and programs heavy in repeats and puts
    exercise the put cap and long loops."""
    rng = np.random.default_rng(7)
    gen = ProgramGenerator(
        statement_probs={"while": 0.1, "repeat": 0.2, "stmt_stmt": 0.4, "action": 0.2, "if": 0.05, "ifelse": 0.05},
        action_probs={"move": 0.2, "turnRight": 0.1, "turnLeft": 0.1, "pickMarker": 0.2, "putMarker": 0.4},
    )
    programs = gen.sample_many(200, rng)
    worlds = WorldGenerator(marker_prob=0.6).sample_batch(4, rng)
    worlds.markers[worlds.markers > 0] = 8
    for mode in (Mode.LENIENT, Mode.STRICT):
        compare_with_pure(programs, worlds, mode)


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(0, 400))
def test_matches_pure_interpreter_hypothesis(seed, budget):
    rng = np.random.default_rng(seed)
    programs = ProgramGenerator().sample_many(3, rng)
    worlds = WorldGenerator(height=int(rng.integers(3, 10)), width=int(rng.integers(3, 10))).sample_batch(2, rng)
    for mode in (Mode.LENIENT, Mode.STRICT):
        compare_with_pure(programs, worlds, mode, budget)


def corridor() -> World:
    return World.from_string("#####\n#>..#\n#####")


def test_budget_counts_exactly_for_a_simple_loop():
    # run: n=1; exec(while) adds 1 and the while node 1 more (n=3); the k-th move runs at n=3+k <= 220.
    world = World.from_string("#" * 300 + "\n#>" + "." * 297 + "#\n" + "#" * 300)
    _, actions, status = run_program("DEF run m( WHILE c( frontIsClear c) w( move w) m)", world)
    assert status == Status.OUT_OF_BUDGET
    assert len(actions) == 217
    _, actions, status = run_program("DEF run m( WHILE c( frontIsClear c) w( move w) m)", world, budget=10)
    assert len(actions) == 7


def test_repeat_zero_and_seq_costs():
    world = corridor()
    _, actions, status = run_program("DEF run m( REPEAT R=0 r( move r) turnLeft m)", world)
    assert actions == [1] and status == Status.COMPLETED
    # three statements: 2 seq nodes cost 4 up front
    _, actions, status = run_program("DEF run m( turnLeft turnLeft turnLeft m)", world, budget=6)
    assert actions == [1] and status == Status.OUT_OF_BUDGET


def test_lenient_blocked_move_turns_around_and_strict_errors():
    world = corridor()
    final, actions, status = run_program("DEF run m( move move move m)", world)
    assert actions == [0, 0, 0] and status == Status.COMPLETED
    assert (final.row, final.col, final.direction) == (1, 3, 3)  # the third move bounces: facing west
    final, actions, status = run_program("DEF run m( move move move m)", world, mode="strict")
    assert actions == [0, 0] and status == Status.ACTION_ERROR


def test_pick_on_empty_and_put_on_nine():
    world = corridor()
    world.markers[1, 1] = 9
    final, actions, status = run_program("DEF run m( putMarker move pickMarker m)", world)
    assert actions == [4, 0, 3] and status == Status.COMPLETED
    assert final.markers[1, 1] == 9 and final.markers[1, 2] == 0
    _, _, status = run_program("DEF run m( putMarker m)", world, mode="strict")
    assert status == Status.ACTION_ERROR
    _, _, status = run_program("DEF run m( move pickMarker m)", world, mode="strict")
    assert status == Status.ACTION_ERROR


def test_invalid_programs_get_a_status_not_an_exception():
    result = execute(["DEF run m( m)", "not a program", [0, 1, 2, 4, 3]], [corridor()])
    assert result.status[:, 0].tolist() == [Status.INVALID_PROGRAM, Status.INVALID_PROGRAM, Status.COMPLETED]
    with pytest.raises(dsl.ProgramError):
        run_program("DEF run m( m)", corridor())


def test_inputs_are_not_modified_and_states_replay():
    world = corridor()
    world.markers[1, 2] = 1
    before = world.copy()
    result = execute(["DEF run m( move pickMarker move m)"], [world])
    assert world == before
    states = result.states(0, 0)
    assert states.shape == (4, 3, 5, 16)
    assert World.from_state(states[0]) == before
    assert World.from_state(states[-1]) == result.final_world(0, 0)


def test_run_pairs_and_id_matrix_input():
    rng = np.random.default_rng(0)
    programs = ProgramGenerator().sample_many(20, rng)
    ids = np.array([dsl.to_ids(p, pad_to=dsl.MAX_PROGRAM_TOKENS) for p in programs])
    worlds = WorldGenerator().sample_batch(20, rng)
    full = execute(ids, worlds)
    pairs = run_pairs(compile_programs(ids), worlds, np.arange(20), np.arange(20))
    for i in range(20):
        assert pairs["lengths"][i] == full.lengths[i, i]
        assert np.array_equal(pairs["actions"][i], full.actions[i, i])


@pytest.mark.parametrize("depth", [63, 64, 65, 130])
def test_repeats_nested_deeper_than_the_preallocated_stack_run_as_the_pure_interpreter(depth):
    """Only hand-written programs nest this deep (the token limit stops
    generated ones); the counters' stack grows instead of overflowing."""
    text = "DEF run m( " + "REPEAT R=2 r( " * depth + "turnLeft " + "r) " * depth + "m)"
    program = dsl.parse(text, max_tokens=None)
    worlds = WorldGenerator().sample_batch(2, np.random.default_rng(0))
    compare_with_pure([program], worlds, Mode.LENIENT, budget=1000)
    compare_with_pure([program], worlds, Mode.LENIENT, budget=10**7)
