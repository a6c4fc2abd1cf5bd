"""Choosing a program's demonstrations so that together they exercise as
many branch outcomes (true/false of every IF/IFELSE/WHILE condition) as
possible (KAREL_SPEC.md, "Ten demonstrations per program")."""

from __future__ import annotations

import numpy as np


def select_covering(usable: np.ndarray, branches: np.ndarray, count: int) -> np.ndarray | None:
    """Indices of ``count`` usable runs chosen greedily for branch coverage.

    ``usable`` (K,) marks candidate runs; ``branches`` (K, C, 2) their
    condition outcomes. Each step takes the first run adding the most
    uncovered outcomes; once nothing new can be covered the rest are taken in
    order. Returns None when fewer than ``count`` runs are usable.
    """
    candidates = np.flatnonzero(usable)
    if len(candidates) < count:
        return None
    outcomes = branches[candidates].reshape(len(candidates), -1)
    covered = np.zeros(outcomes.shape[1], dtype=bool)
    chosen: list[int] = []
    taken = np.zeros(len(candidates), dtype=bool)
    while len(chosen) < count:
        gains = (outcomes & ~covered).sum(axis=1)
        gains[taken] = -1
        best = int(np.argmax(gains))
        if gains[best] <= 0:
            break
        chosen.append(best)
        taken[best] = True
        covered |= outcomes[best]
    rest = np.flatnonzero(~taken)[: count - len(chosen)]
    return candidates[np.array(chosen + rest.tolist(), dtype=np.int64)]


def coverage(branches: np.ndarray) -> float:
    """Share of the 2C branch outcomes seen in ``branches`` (D, C, 2); 1.0
    for programs without conditions."""
    if branches.shape[1] == 0:
        return 1.0
    return float(branches.any(axis=0).mean())
