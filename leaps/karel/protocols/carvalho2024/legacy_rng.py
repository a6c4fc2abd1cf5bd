"""numpy's legacy ``RandomState`` draws that this protocol's world generators
use, in numba, so worlds are drawn in compiled code and stay the
reference's worlds (it draws world i from ``np.random.RandomState(i)``).

Written from the definitions: MT19937 (Matsumoto and Nishimura 1998) seeded
by ``init_genrand`` (what ``RandomState(seed)`` does with an integer seed),
32-bit outputs tempered as in the paper; and numpy's documented legacy
integer draws: ``randint(low, high)`` (default int64 dtype, a range of at
most 2**32 values) draws a 32-bit output, masks it with the smallest
all-ones mask covering ``high - 1 - low`` and rejects values above that; a
range of one value draws nothing. ``shuffle`` of a sequence is Fisher-Yates
from the end: for i = n-1 down to 1, j is drawn in 0..i the same masked way
and items i and j swap. ``randint`` with ``size=`` is that many scalar
draws in a row.

A generator's state is one int64 array (:func:`new_state`): the 624 words
of MT19937 (each below 2**32) and the position of the next one, so int64
arithmetic never overflows and states can be preallocated per batch.
"""

from __future__ import annotations

import numba as nb
import numpy as np

N = 624
"""Words of MT19937's state."""
M = 397
STATE_SIZE = N + 1
"""The words and the position of the next output."""
MAX_SEED = 2**32 - 1
_MATRIX_A = 0x9908B0DF
_UPPER = 0x80000000
_LOWER = 0x7FFFFFFF
_MASK32 = 0xFFFFFFFF


def new_state(seed: int | None = None) -> np.ndarray:
    """A state array, seeded when ``seed`` is given (as ``RandomState(seed)``)."""
    state = np.zeros(STATE_SIZE, dtype=np.int64)
    if seed is not None:
        seed_state(state, seed)
    return state


@nb.njit(cache=True, nogil=True)
def seed_state(state: np.ndarray, seed: int) -> None:
    """``init_genrand(seed)``: what ``RandomState(seed)`` does for an integer seed."""
    if seed < 0 or seed > MAX_SEED:
        raise ValueError("seed must be between 0 and 2**32 - 1")
    x = seed
    state[0] = x
    for i in range(1, N):
        x = (1812433253 * (x ^ (x >> 30)) + i) & _MASK32
        state[i] = x
    state[N] = N


@nb.njit(cache=True, nogil=True, inline="always")
def _mix(state, k, k1, km):
    y = (state[k] & _UPPER) | (state[k1] & _LOWER)
    v = state[km] ^ (y >> 1)
    if y & 1:
        v ^= _MATRIX_A
    state[k] = v


@nb.njit(cache=True, nogil=True)
def _twist(state):
    """The next 624 words, in place (each uses the already-renewed words, as the definition does)."""
    for k in range(N - M):
        _mix(state, k, k + 1, k + M)
    for k in range(N - M, N - 1):
        _mix(state, k, k + 1, k + M - N)
    _mix(state, N - 1, 0, M - 1)
    state[N] = 0


@nb.njit(cache=True, nogil=True, inline="always")
def _temper(y):
    y ^= y >> 11
    y ^= (y << 7) & 0x9D2C5680
    y ^= (y << 15) & 0xEFC60000
    return y ^ (y >> 18)


@nb.njit(cache=True, nogil=True)
def next_uint32(state: np.ndarray) -> int:
    """The next tempered 32-bit output."""
    pos = state[N]
    if pos >= N:
        _twist(state)
        pos = 0
    state[N] = pos + 1
    return _temper(state[pos])


@nb.njit(cache=True, nogil=True, inline="always")
def _mask_of(top):
    """The smallest all-ones mask covering ``top`` (< 2**32)."""
    mask = top
    mask |= mask >> 1
    mask |= mask >> 2
    mask |= mask >> 4
    mask |= mask >> 8
    return mask | (mask >> 16)


@nb.njit(cache=True, nogil=True)
def _masked(state, top, mask):
    """Outputs masked with ``mask`` until one is at most ``top`` (the
    position kept in a local between draws: ~5x faster than through the array)."""
    pos = state[N]
    while True:
        if pos >= N:
            _twist(state)
            pos = 0
        value = _temper(state[pos]) & mask
        pos += 1
        if value <= top:
            state[N] = pos
            return value


@nb.njit(cache=True, nogil=True)
def _check_top(top):
    if top < 0 or top > _MASK32:
        raise ValueError("randint: low >= high, or a range wider than 2**32 values")


@nb.njit(cache=True, nogil=True)
def interval(state: np.ndarray, top: int) -> int:
    """A value in 0..top (top < 2**32) by masked rejection; draws nothing when top is 0."""
    _check_top(top)
    if top == 0:
        return 0
    return _masked(state, top, _mask_of(top))


@nb.njit(cache=True, nogil=True)
def randint(state: np.ndarray, low: int, high: int) -> int:
    """``RandomState.randint(low, high)``: low..high-1 (at most 2**32 values)."""
    return low + interval(state, high - 1 - low)


@nb.njit(cache=True, nogil=True)
def randint_fill(state: np.ndarray, low: int, high: int, out: np.ndarray) -> None:
    """``out[:] = RandomState.randint(low, high, size=len(out))``."""
    top = high - 1 - low
    _check_top(top)
    mask = _mask_of(top)
    for i in range(out.shape[0]):
        out[i] = low + (_masked(state, top, mask) if top > 0 else 0)


@nb.njit(cache=True, nogil=True)
def shuffle(state: np.ndarray, x: np.ndarray) -> None:
    """``RandomState.shuffle`` of a 1-D sequence, in place (a list of lists
    is shuffled the same way: shuffle the indices of its items)."""
    for i in range(x.shape[0] - 1, 0, -1):
        j = _masked(state, i, _mask_of(i))
        x[i], x[j] = x[j], x[i]
