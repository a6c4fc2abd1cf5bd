"""Scores of programs already evaluated in a search, kept so that a program
drawn again is not run again. Hill climbing draws the same neighbour over
and over (about a third of the programs scored in a 10^6-evaluation search
under carvalho2024 were scored before): the budget still charges every
evaluation, as the published methods do, but the engine runs each distinct
program once. Every evaluator of leaps.karel.protocols scores a program on
worlds fixed at its construction, so a remembered score is the score.

Only programs given as a token id matrix (what the program and latent
spaces hand over) are remembered; anything else goes straight through."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from leaps.karel import dsl
from leaps.karel.protocols.base import Evaluator, Scores, first_scores, join_scores

MAX_ENTRIES = 1_000_000
"""Programs remembered before the cache starts afresh (~300 MB at 16 worlds):
a search revisits mostly its recent neighbourhoods, so forgetting costs
little, and results never depend on it."""


FIRST_CHUNK = 16
"""Programs of a first-improvement batch looked at first; each next chunk is twice as long."""


@dataclass
class CachedScores:
    """The fields of :class:`~leaps.karel.protocols.base.Scores` a search reads, per program."""

    mean_return: np.ndarray
    raw_return: np.ndarray
    per_world: np.ndarray
    valid: np.ndarray

    def __len__(self) -> int:
        return len(self.mean_return)

    def best(self) -> int:
        return int(np.argmax(self.mean_return))


def stop_mask(returns: np.ndarray, bar: float, max_return: float, first_is_bar: bool) -> np.ndarray:
    """Which programs end a first-improvement batch: those better than
    ``bar`` or at the maximum (``first_is_bar``: the bar is the first
    program's own return, so it ends the batch only at the maximum)."""
    stops = (returns >= max_return) | (returns > bar)
    if first_is_bar and len(stops):
        stops[0] = returns[0] >= max_return
    return stops


def program_keys(ids: np.ndarray) -> list[bytes]:
    """One key per row of a PAD-padded id matrix, whatever its padding width."""
    is_pad = ids == dsl.PAD_ID
    lengths = np.where(is_pad.any(axis=1), is_pad.argmax(axis=1), ids.shape[1])
    small = ids.astype(np.int8)  # the vocabulary (51 ids, -1 for unknown words) fits a byte
    return [small[i, :n].tobytes() for i, n in enumerate(lengths.tolist())]


class ScoreCache:
    """``evaluator`` with a memory: ``evaluate`` (and ``evaluate_until`` where
    the evaluator has it) return exactly what the evaluator would, running
    only the programs not seen before."""

    def __init__(self, evaluator: Evaluator, max_entries: int = MAX_ENTRIES):
        if max_entries < 1:
            raise ValueError(f"max_entries must be >= 1, got {max_entries}")
        self.evaluator = evaluator
        self.max_return = evaluator.max_return
        self.max_entries = max_entries
        self.requested = 0
        """Programs asked for (counted up to the cut of ``evaluate_until``)..."""
        self.scored = 0
        """...and those of them the evaluator ran."""
        self._rows: dict[bytes, int] = {}
        self._store: CachedScores | None = None
        self._size = 0  # rows of the store in use
        if hasattr(evaluator, "evaluate_until"):
            self.evaluate_until = self._evaluate_until

    def __getattr__(self, name: str) -> Any:  # rollout and the rest: the evaluator's own
        if name == "evaluator":
            raise AttributeError(name)
        return getattr(self.evaluator, name)

    def __len__(self) -> int:
        return len(self._rows)

    # ------------------------------------------------------------------
    def evaluate(self, programs: Any) -> Scores:
        if not _is_id_matrix(programs):
            return self.evaluator.evaluate(programs)
        keys = program_keys(programs)
        out, known = self._lookup(keys, len(programs))
        todo = _first_occurrences(keys, ~known)
        if todo:
            self._fill(out, keys, todo, self.evaluator.evaluate(programs[todo]))
        self._copy_repeats(out, keys, known, todo)
        self.requested += len(out)
        return out

    def _evaluate_until(self, programs: Any, threshold: float | None) -> Scores:
        """The evaluator's ``evaluate_until`` (the prefix of ``programs`` up to
        the first whose return exceeds ``threshold``, None: the first
        program's, or reaches the maximum), run on the unseen programs only.
        The batch is read in growing chunks: a climb usually stops within its
        first few neighbours, and the rest need no key, lookup or compiling."""
        if not _is_id_matrix(programs):
            return self.evaluator.evaluate_until(programs, threshold)
        parts: list[CachedScores] = []
        start, size, bar = 0, FIRST_CHUNK, threshold
        while start < len(programs):
            chunk = programs[start:start + size]
            scores, ended = self._until_in_chunk(chunk, bar, first_is_bar=bar is None)
            bar = float(scores.mean_return[0]) if bar is None else bar
            parts.append(scores)
            if ended:
                break
            start, size = start + len(chunk), 2 * size
        return parts[0] if len(parts) == 1 else join_scores(parts)

    def _until_in_chunk(self, programs: np.ndarray, threshold: float | None,
                        first_is_bar: bool) -> tuple[CachedScores, bool]:
        """One chunk of :meth:`_evaluate_until`: its prefix up to the first stop, and whether it has one."""
        keys = program_keys(programs)
        n = len(programs)
        out, known = self._lookup(keys, n)
        if first_is_bar and not known[0]:  # the bar is the first program's return: score it first
            self._fill(out, keys, [0], self.evaluator.evaluate(programs[:1]))
            known[0] = True
            self._copy_repeats(out, keys, known, [0])
            known |= np.array([k == keys[0] for k in keys])
        bar = float(out.mean_return[0]) if threshold is None else threshold
        stops = stop_mask(out.mean_return, bar, self.max_return, first_is_bar)
        known_stops = np.flatnonzero(known & stops)
        limit = int(known_stops[0]) + 1 if len(known_stops) else n
        ended = bool(len(known_stops))
        todo = _first_occurrences(keys[:limit], ~known[:limit])
        cut = limit
        if todo:
            part = self.evaluator.evaluate_until(programs[todo], bar)
            done = todo[: len(part)]
            self._fill(out, keys, done, part)
            if len(done) < len(todo) or stop_mask(part.mean_return[-1:], bar, self.max_return, False)[0]:
                cut, ended = done[-1] + 1, True  # an unseen program ended it, before any remembered one could
        self._copy_repeats(out, keys[:cut], known[:cut], [i for i in todo if i < cut])
        self.requested += cut
        return first_scores(out, cut), ended

    # ------------------------------------------------------------------
    def _lookup(self, keys: list[bytes], n: int) -> tuple[CachedScores, np.ndarray]:
        rows = np.array([self._rows.get(k, -1) for k in keys], dtype=np.int64)
        known = rows >= 0
        store = self._store
        width = store.per_world.shape[1] if store is not None else 0
        out = CachedScores(np.full(n, np.nan), np.full(n, np.nan), np.full((n, width), np.nan),
                           np.zeros(n, dtype=bool))
        if known.any():
            assert store is not None
            hit = rows[known]
            out.mean_return[known] = store.mean_return[hit]
            out.raw_return[known] = store.raw_return[hit]
            out.per_world[known] = store.per_world[hit]
            out.valid[known] = store.valid[hit]
        return out, known

    def _fill(self, out: CachedScores, keys: list[bytes], indices: list[int], scores: Scores) -> None:
        """Put the evaluator's ``scores`` of programs ``indices`` in ``out`` and in memory."""
        per_world = np.asarray(scores.per_world, dtype=np.float64)
        if out.per_world.shape[1] != per_world.shape[1]:  # the first scores give the world count
            out.per_world = np.full((len(out), per_world.shape[1]), np.nan)
        out.mean_return[indices] = scores.mean_return
        out.raw_return[indices] = scores.raw_return
        out.per_world[indices] = per_world
        out.valid[indices] = scores.valid
        self.scored += len(indices)
        self._remember([keys[i] for i in indices], scores, per_world)

    def _remember(self, keys: list[bytes], scores: Scores, per_world: np.ndarray) -> None:
        if self._size + len(keys) > self.max_entries:
            self._rows.clear()
            self._store, self._size = None, 0
        store = self._store
        start = self._size
        need = start + len(keys)
        if store is None or len(store) < need:
            size = max(need, 2 * (len(store) if store is not None else 1024))
            grown = CachedScores(np.empty(size), np.empty(size), np.empty((size, per_world.shape[1])),
                                 np.empty(size, dtype=bool))
            if store is not None:
                for name in ("mean_return", "raw_return", "per_world", "valid"):
                    getattr(grown, name)[:start] = getattr(store, name)[:start]
            store = self._store = grown
        store.mean_return[start:need] = scores.mean_return
        store.raw_return[start:need] = scores.raw_return
        store.per_world[start:need] = per_world
        store.valid[start:need] = scores.valid
        self._rows.update(zip(keys, range(start, need), strict=True))
        self._size = need

    @staticmethod
    def _copy_repeats(out: CachedScores, keys: list[bytes], known: np.ndarray, scored: list[int]) -> None:
        """Programs repeated within the batch get their first occurrence's scores."""
        first = {keys[i]: i for i in reversed(scored)}
        for i in np.flatnonzero(~known).tolist():
            j = first.get(keys[i], i)
            if j != i:
                out.mean_return[i], out.raw_return[i] = out.mean_return[j], out.raw_return[j]
                out.per_world[i], out.valid[i] = out.per_world[j], out.valid[j]


def _is_id_matrix(programs: Any) -> bool:
    return isinstance(programs, np.ndarray) and programs.ndim == 2 and programs.dtype.kind in "iu"


def _first_occurrences(keys: list[bytes], unknown: np.ndarray) -> list[int]:
    """Indices of the unknown programs, each distinct program once (its first occurrence)."""
    seen: set[bytes] = set()
    out = []
    for i in np.flatnonzero(unknown).tolist():
        if keys[i] not in seen:
            seen.add(keys[i])
            out.append(i)
    return out
