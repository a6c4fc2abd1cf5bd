"""Threads of the compiled (numba) interpreter and evaluators.

Their parallel loops run over a batch of programs; on a machine whose cores
are already busy (two jobs on two cores), OpenMP's barrier waits for a
descheduled thread and a small batch takes 2-4x longer with 2 threads than
with 1 (measured on the 2-core development machine). ``numba_threads=1`` in
``train.py`` / ``search.py`` avoids that when running jobs side by side.
"""

from __future__ import annotations

import numba


def set_numba_threads(threads: int | None) -> None:
    """Use ``threads`` threads (capped at numba's maximum); None keeps numba's default (all cores)."""
    if threads is None:
        return
    if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
        raise ValueError(f"numba_threads must be >= 1 or null, got {threads!r}")
    numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
