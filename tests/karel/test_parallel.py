import numba
import pytest

from leaps.karel.parallel import set_numba_threads


def test_set_numba_threads_caps_at_numba_maximum_and_none_keeps_the_default():
    before = numba.get_num_threads()
    try:
        set_numba_threads(1)
        assert numba.get_num_threads() == 1
        set_numba_threads(10_000)
        assert numba.get_num_threads() == numba.config.NUMBA_NUM_THREADS
        set_numba_threads(1)
        set_numba_threads(None)
        assert numba.get_num_threads() == 1
    finally:
        numba.set_num_threads(before)


@pytest.mark.parametrize("bad", [0, -1, True, 1.5, "2"])
def test_set_numba_threads_rejects_bad_values(bad):
    with pytest.raises(ValueError, match="numba_threads"):
        set_numba_threads(bad)
