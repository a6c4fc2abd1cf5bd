"""Thread counts of torch and of the compiled (numba) kernels, set together in the one order that holds.

numba's parallel kernels run on OpenMP, and with torch imported first they share torch's libgomp. Once torch has
run anything, the first ``numba.set_num_threads`` (which starts numba's pool) sets libgomp's thread count back to
numba's maximum, silently undoing an earlier ``torch.set_num_threads``: ``torch_threads=1 numba_threads=1`` left
torch on all cores in search.py, train.py and rl.py. Setting numba's count first, then torch's, keeps both (two
CEBS searches side by side on DoorKey, 20,000 evaluations each: 1,300-1,360 -> 1,440-1,470 evaluations/s).
"""

from __future__ import annotations

from leaps.karel.parallel import set_numba_threads


def check_threads(torch_threads: object, numba_threads: object) -> None:
    """Raise ValueError naming the first count that is neither None nor an integer >= 1."""
    for key, value in (("torch_threads", torch_threads), ("numba_threads", numba_threads)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
            raise ValueError(f"{key} must be >= 1 or null, got {value!r}")


def set_threads(torch_threads: int | None, numba_threads: int | None) -> None:
    """numba's threads, then torch's (None keeps a library's default); bad values raise ValueError."""
    check_threads(torch_threads, numba_threads)
    set_numba_threads(numba_threads)
    if torch_threads is None:
        return
    import torch  # here: program-space searches never import it

    torch.set_num_threads(torch_threads)
