"""torch_threads and numba_threads hold together (numba's OpenMP pool start used to reset torch's count)."""

import subprocess
import sys

import numba
import pytest

PROBE = """
import torch  # first, as in a search or training process: numba's OpenMP layer then shares torch's libgomp
torch.get_num_threads()  # torch's pool already started, as after any torch op
from leaps.threads import set_threads
set_threads({torch}, {numba})
print(torch.get_num_threads())
"""


def threads_after(torch_threads, numba_threads) -> int:
    code = PROBE.format(torch=torch_threads, numba=numba_threads)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    return int(out.stdout.split()[-1])


@pytest.mark.skipif(numba.config.NUMBA_NUM_THREADS < 2, reason="one core: nothing to reset")
def test_torch_keeps_its_thread_count_after_numba_starts_its_pool():
    assert threads_after(1, 1) == 1  # numba first started its pool at its maximum and torch followed it (2 here)


def test_bad_torch_threads_raise():
    from leaps.threads import set_threads

    with pytest.raises(ValueError, match="torch_threads must be >= 1 or null, got 0"):
        set_threads(0, None)
