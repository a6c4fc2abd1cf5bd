"""Programs as token id arrays, for spaces that mutate ids directly (no
ASTs, no text round trips): a batch of neighbours as one padded id matrix
that the evaluators compile as it is, and program text made only for the
few programs anyone reads (the best one, saved states)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import overload

import numpy as np

from leaps.karel import dsl


def ids_to_text(ids: np.ndarray) -> str:
    """One program's ids (no padding) as the reference's one-line text."""
    return " ".join([dsl.VOCAB[int(i)] for i in ids])


def text_to_ids(text: str) -> np.ndarray:
    """The ids of a program's text, whatever its length (``ValueError`` for an unknown word)."""
    try:
        return np.array([dsl.TOKEN_ID[word] for word in text.split()], dtype=np.int64)
    except KeyError as err:
        raise ValueError(f"not a Karel token: {err}") from None


class TokenBatch(Sequence[np.ndarray]):
    """Programs as rows of a (n, width) id matrix padded with PAD_ID; item i
    is program i's ids without padding."""

    def __init__(self, ids: np.ndarray, lengths: np.ndarray):
        self.ids, self.lengths = ids, lengths

    @classmethod
    def stack(cls, programs: Sequence[np.ndarray]) -> TokenBatch:
        lengths = np.array([len(p) for p in programs], dtype=np.int64)
        ids = np.full((len(programs), max(int(lengths.max(initial=1)), 1)), dsl.PAD_ID, dtype=np.int64)
        for i, p in enumerate(programs):
            ids[i, : len(p)] = p
        return cls(ids, lengths)

    def __len__(self) -> int:
        return len(self.lengths)

    @overload
    def __getitem__(self, i: int) -> np.ndarray: ...
    @overload
    def __getitem__(self, i: slice) -> list[np.ndarray]: ...
    def __getitem__(self, i: int | slice) -> np.ndarray | list[np.ndarray]:
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        return self.ids[i, : self.lengths[i]]

    def rows(self, start: int, stop: int) -> TokenBatch:
        """Programs ``start:stop`` as a batch (views, no copies)."""
        return TokenBatch(self.ids[start:stop], self.lengths[start:stop])


class LazyTexts(Sequence[str]):
    """The texts of a :class:`TokenBatch`, each made when first read: a
    search reads one text per batch (its best program)."""

    def __init__(self, batch: TokenBatch):
        self.batch = batch

    def __len__(self) -> int:
        return len(self.batch)

    @overload
    def __getitem__(self, i: int) -> str: ...
    @overload
    def __getitem__(self, i: slice) -> LazyTexts: ...
    def __getitem__(self, i: int | slice) -> str | LazyTexts:
        if isinstance(i, slice):  # still lazy
            start, stop, step = i.indices(len(self))
            assert step == 1, "LazyTexts slices are contiguous"
            return LazyTexts(self.batch.rows(start, max(start, stop)))
        return ids_to_text(self.batch[i])
