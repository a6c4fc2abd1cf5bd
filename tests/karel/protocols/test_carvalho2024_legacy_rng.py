"""The compiled legacy RandomState draws (carvalho2024/legacy_rng.py) equal
numpy's own ``np.random.RandomState`` draw for draw."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leaps.karel.protocols.carvalho2024 import legacy_rng

seeds = st.one_of(st.integers(0, 1000), st.integers(0, legacy_rng.MAX_SEED),
                  st.integers(legacy_rng.MAX_SEED - 1000, legacy_rng.MAX_SEED))
spans = st.one_of(st.integers(1, 40), st.integers(1, 2**32), st.sampled_from([1, 2, 2**16, 2**31, 2**31 + 1, 2**32]))
bounds = st.tuples(st.integers(-(2**40), 2**40), spans).map(lambda t: (t[0], t[0] + t[1]))
ops = st.one_of(
    st.tuples(st.just("randint"), bounds),
    st.tuples(st.just("randint_size"), bounds, st.integers(0, 700)),
    st.tuples(st.just("shuffle"), st.integers(0, 40)),
)


def test_seeding_gives_numpys_state():
    for seed in (0, 1, 5489, 2**31, legacy_rng.MAX_SEED):
        _, words, pos, _, _ = np.random.RandomState(seed).get_state()
        state = legacy_rng.new_state(seed)
        assert np.array_equal(state[: legacy_rng.N], words.astype(np.int64)) and state[legacy_rng.N] == pos


@settings(max_examples=300, deadline=None)
@given(seeds, st.lists(ops, max_size=25))
def test_draw_sequences_equal_numpys(seed, sequence):
    ours, theirs = legacy_rng.new_state(seed), np.random.RandomState(seed)
    for op in sequence:
        if op[0] == "randint":
            low, high = op[1]
            assert legacy_rng.randint(ours, low, high) == theirs.randint(low, high), op
        elif op[0] == "randint_size":
            (low, high), n = op[1], op[2]
            out = np.empty(n, dtype=np.int64)
            legacy_rng.randint_fill(ours, low, high, out)
            assert np.array_equal(out, theirs.randint(low, high, size=n)), op
        else:
            x = np.arange(op[1], dtype=np.int64) * 3
            items = [[int(v), 0] for v in x]  # a list of lists, as the generators shuffle
            legacy_rng.shuffle(ours, x)
            theirs.shuffle(items)
            assert x.tolist() == [v for v, _ in items], op
    # the streams are still in step after the sequence (over a twist too)
    out = np.empty(1000, dtype=np.int64)
    legacy_rng.randint_fill(ours, 0, 2**32, out)
    assert np.array_equal(out, theirs.randint(0, 2**32, size=1000))


def test_a_one_value_range_draws_nothing():
    ours, theirs = legacy_rng.new_state(3), np.random.RandomState(3)
    assert legacy_rng.randint(ours, 7, 8) == theirs.randint(7, 8) == 7
    assert legacy_rng.randint(ours, 0, 1000) == theirs.randint(0, 1000)


def test_bad_arguments_raise_as_numpy():
    with pytest.raises(ValueError):
        legacy_rng.new_state(2**32)
    with pytest.raises(ValueError):
        legacy_rng.new_state(-1)
    with pytest.raises(ValueError):
        legacy_rng.randint(legacy_rng.new_state(0), 5, 5)
    with pytest.raises(ValueError):
        legacy_rng.randint(legacy_rng.new_state(0), 0, 2**32 + 1)  # wider than the 32-bit draws it implements
