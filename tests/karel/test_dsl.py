import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leaps.karel import dsl
from leaps.karel.compiler import compile_programs
from leaps.karel.program_generator import ProgramGenerator


def test_vocabulary_ids_match_the_spec():
    assert dsl.VOCAB_SIZE == 50 and dsl.PAD_ID == 50
    expected = {0: "DEF", 1: "run", 2: "m(", 3: "m)", 4: "move", 5: "turnRight", 6: "turnLeft", 7: "pickMarker",
                8: "putMarker", 9: "r(", 10: "r)", 11: "R=0", 30: "R=19", 31: "REPEAT", 32: "c(", 33: "c)",
                34: "i(", 35: "i)", 36: "e(", 37: "e)", 38: "IF", 39: "IFELSE", 40: "ELSE", 41: "frontIsClear",
                42: "leftIsClear", 43: "rightIsClear", 44: "markersPresent", 45: "noMarkersPresent", 46: "not",
                47: "w(", 48: "w)", 49: "WHILE"}
    for i, tok in expected.items():
        assert dsl.VOCAB[i] == tok and dsl.TOKEN_ID[tok] == i


@pytest.fixture(scope="module")
def sampled_programs() -> list[dsl.Program]:
    return ProgramGenerator().sample_many(10_000, np.random.default_rng(42))


def test_round_trips_on_10k_sampled_programs(sampled_programs):
    for prog in sampled_programs:
        text = dsl.to_text(prog)
        ids = dsl.to_ids(prog)
        assert dsl.parse(text) == prog
        assert dsl.parse(ids) == prog
        assert dsl.parse(dsl.to_ids(prog, pad_to=dsl.MAX_PROGRAM_TOKENS)) == prog
        assert dsl.ids_to_text(ids) == text
        assert dsl.tokenize(text) == ids
        assert len(ids) <= dsl.MAX_PROGRAM_TOKENS
    compiled = compile_programs(sampled_programs)
    assert compiled.valid.all()


def test_pretty_form():
    prog = dsl.parse(
        "DEF run m( WHILE c( not c( frontIsClear c) c) w( turnLeft w) REPEAT R=4 r( IFELSE c( markersPresent c) "
        "i( pickMarker i) ELSE e( move e) r) m)"
    )
    assert dsl.pretty(prog) == (
        "def run():\n"
        "    while not frontIsClear():\n"
        "        turnLeft()\n"
        "    repeat 4:\n"
        "        if markersPresent():\n"
        "            pickMarker()\n"
        "        else:\n"
        "            move()"
    )


@pytest.mark.parametrize(
    ("text", "position", "fragment"),
    [
        ("DEF run m( m)", 3, "token 3 `m)`: expected a statement"),
        ("DEF run m( move", 4, "token 4 end of program: expected `m)`"),
        ("DEF run m( WHILE c( frontIsClear c) w( move m)", 9, "token 9 `m)`: expected a statement or `w)`"),
        ("DEF run m( IF c( move c) i( move i) m)", 5, "expected a perception or `not`"),
        ("DEF run m( REPEAT move r( move r) m)", 4, "expected a repeat count `R=k`"),
        ("DEF run m( IFELSE c( frontIsClear c) i( move i) e( move e) m)", 10, "expected `ELSE`"),
        ("DEF run m( move m) move", 5, "expected end of program after `m)`"),
        ("run m( move m)", 0, "expected `DEF`"),
        ("DEF run m( jump m)", 3, "`jump`: not a Karel token"),
        ("", 0, "expected `DEF`"),
    ],
)
def test_errors_name_position_and_expectation(text, position, fragment):
    with pytest.raises(dsl.ProgramError) as info:
        dsl.parse(text)
    assert info.value.position == position
    assert fragment in str(info.value)


def test_too_long_and_bad_ids():
    with pytest.raises(dsl.ProgramTooLongError):
        dsl.parse("DEF run m( " + "move " * 50 + "m)", max_tokens=dsl.MAX_PROGRAM_TOKENS)
    with pytest.raises(dsl.UnknownTokenError, match="outside"):
        dsl.parse([0, 1, 2, 77, 3])


@settings(max_examples=2000, deadline=None)
@given(st.lists(st.integers(0, dsl.VOCAB_SIZE), max_size=50))
def test_fuzz_random_ids_only_raise_program_error_and_agree_with_compiler(ids):
    try:
        prog = dsl.parse(ids)
    except dsl.ProgramError:
        prog = None
    compiled = compile_programs([ids])
    assert bool(compiled.valid[0]) == (prog is not None)
    if prog is not None:
        assert dsl.to_ids(prog) == dsl.strip_padding(ids)


_grammar_words = st.sampled_from(list(dsl.VOCAB) + ["foo", "", "R=20", "m(m)"])


@settings(max_examples=1000, deadline=None)
@given(st.lists(_grammar_words, max_size=40))
def test_fuzz_random_token_strings_only_raise_program_error(words):
    text = " ".join(words)
    try:
        dsl.parse(text)
    except dsl.ProgramError as err:
        assert err.position is not None
    compile_programs([text])  # never raises


@settings(max_examples=500, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(0, 44), st.integers(0, dsl.VOCAB_SIZE - 1))
def test_fuzz_mutated_valid_programs(seed, where, token):
    """One-token mutations of valid programs: parser and compiler agree."""
    prog = ProgramGenerator().sample_many(1, np.random.default_rng(seed))[0]
    ids = dsl.to_ids(prog)
    ids[where % len(ids)] = token
    try:
        dsl.parse(ids)
        ok = True
    except dsl.ProgramError:
        ok = False
    assert bool(compile_programs([ids]).valid[0]) == ok
