"""One compiler for both protocols' engines: with the LEAPS call counter (the
LEAPS interpreter's bytecode) or without it (carvalho2024's engine, which
counts calls itself and keeps a loop guard per WHILE head)."""

from __future__ import annotations

import numpy as np

from leaps.karel import compiler as cc
from leaps.karel import dsl
from leaps.karel.program_generator import ProgramGenerator

PROGRAM = ("DEF run m( WHILE c( frontIsClear c) w( move IF c( markersPresent c) i( pickMarker i) w) "
           "REPEAT R=3 r( turnLeft r) IFELSE c( not c( leftIsClear c) c) i( move i) ELSE e( putMarker e) m)")
COUNTER_OPS = (cc.CHECK, cc.INC, cc.LIST)


def ops(program: str, leaps_counter: bool) -> list[int]:
    compiled = cc.compile_programs([program], leaps_counter=leaps_counter)
    return [int(op) for op in compiled.code[compiled.starts[0]:compiled.starts[1], 0]]


def test_without_the_counter_only_control_flow_remains():
    with_counter, bare = ops(PROGRAM, True), ops(PROGRAM, False)
    assert any(op in COUNTER_OPS for op in with_counter) and cc.WHILE_IF_FALSE not in with_counter
    assert not any(op in COUNTER_OPS for op in bare)
    assert bare.count(cc.WHILE_IF_FALSE) == 1 and bare.count(cc.JUMP_IF_FALSE) == 2  # the IF and the IFELSE
    kept = [op for op in with_counter if op not in COUNTER_OPS]
    assert [cc.JUMP_IF_FALSE if op == cc.WHILE_IF_FALSE else op for op in bare[: len(kept)]] == kept


def test_validity_and_conditions_do_not_depend_on_the_counter():
    programs = ProgramGenerator().sample_many(300, np.random.default_rng(0))
    texts = [dsl.to_text(p) for p in programs] + ["DEF run m( m)", "DEF run m( move", "garbage"]
    a, b = cc.compile_programs(texts), cc.compile_programs(texts, leaps_counter=False)
    np.testing.assert_array_equal(a.valid, b.valid)
    np.testing.assert_array_equal(a.n_conditions, b.n_conditions)
    np.testing.assert_array_equal(a.error_position, b.error_position)
