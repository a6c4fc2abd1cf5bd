"""Grammar-masked decoding: a table-driven pushdown automaton over token ids,
stepped for a whole batch at once with tensor operations.

At every step only tokens that keep the prefix completable into a valid
program within ``max_tokens`` are allowed. The grammar (KAREL_SPEC.md) is
LL(1): the top stack symbol and the next token decide the expansion, so
the automaton is three tables: allowed[symbol, token], the symbols each
(symbol, token) pushes, and the minimal number of tokens each symbol still
needs (for the length limit).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import torch

from leaps.karel import dsl

NUM_TOKENS = dsl.VOCAB_SIZE + 1  # the vocabulary plus PAD_ID (end of program)
_CLOSERS = {"m)": "m", "w)": "w", "i)": "i", "e)": "e", "r)": "r"}


def _symbols() -> list[str]:
    names = [f"T:{tok}" for tok in dsl.VOCAB]
    names += ["STMT", "COND", "PERC", "RCOUNT", "PROG"]
    names += [f"LIST1:{c}" for c in _CLOSERS] + [f"LIST:{c}" for c in _CLOSERS]
    return names


SYMBOLS = _symbols()
SYMBOL_ID = {s: i for i, s in enumerate(SYMBOLS)}
EMPTY = len(SYMBOLS)  # bottom-of-stack marker: only PAD may follow


def _statement_expansion(token: str) -> list[str] | None:
    """What a statement starting with ``token`` still expects after it."""
    if token in dsl.ACTIONS:
        return []
    if token == "WHILE":
        return ["T:c(", "COND", "T:c)", "T:w(", "LIST1:w)"]
    if token == "IF":
        return ["T:c(", "COND", "T:c)", "T:i(", "LIST1:i)"]
    if token == "IFELSE":
        return ["T:c(", "COND", "T:c)", "T:i(", "LIST1:i)", "T:ELSE", "T:e(", "LIST1:e)"]
    if token == "REPEAT":
        return ["RCOUNT", "T:r(", "LIST1:r)"]
    return None


def _expansion(symbol: str, token: str) -> list[str] | None:
    """Symbols replacing ``symbol`` (top first) when ``token`` is read; None if not allowed."""
    if symbol.startswith("T:"):
        return [] if symbol[2:] == token else None
    if symbol == "PROG":
        return ["T:run", "T:m(", "LIST1:m)"] if token == "DEF" else None
    if symbol == "STMT":
        return _statement_expansion(token)
    if symbol == "COND":
        if token in dsl.PERCEPTIONS:
            return []
        return ["T:c(", "PERC", "T:c)"] if token == "not" else None
    if symbol == "PERC":
        return [] if token in dsl.PERCEPTIONS else None
    if symbol == "RCOUNT":
        return [] if token.startswith("R=") else None
    kind, closer = symbol.split(":")
    if kind == "LIST" and token == closer:
        return []
    rest = _statement_expansion(token)
    return None if rest is None else rest + [f"LIST:{closer}"]


def _min_lengths() -> dict[str, int]:
    """Fewest tokens each symbol can still produce (fixed point)."""
    inf = 10**6
    best = {s: inf for s in SYMBOLS}
    changed = True
    while changed:
        changed = False
        for s in SYMBOLS:
            for tok in dsl.VOCAB:
                exp = _expansion(s, tok)
                if exp is None:
                    continue
                cost = 1 + sum(best[x] for x in exp)
                if cost < best[s]:
                    best[s] = cost
                    changed = True
    return best


@dataclass(frozen=True)
class GrammarTables:
    allowed: np.ndarray  # (S+1, NUM_TOKENS) bool; row EMPTY allows only PAD
    push: np.ndarray  # (S+1, NUM_TOKENS, K) symbols to push, bottom first, padded with EMPTY
    push_len: np.ndarray  # (S+1, NUM_TOKENS)
    push_cost: np.ndarray  # (S+1, NUM_TOKENS) min tokens the pushed symbols still need
    min_len: np.ndarray  # (S+1,) min tokens of each symbol (EMPTY: 0)


def build_tables() -> GrammarTables:
    n_sym = len(SYMBOLS) + 1
    min_len = _min_lengths()
    expansions = {}
    for s in SYMBOLS:
        for t, tok in enumerate(dsl.VOCAB):
            exp = _expansion(s, tok)
            if exp is not None:
                expansions[(SYMBOL_ID[s], t)] = exp
    k = max(len(e) for e in expansions.values())
    allowed = np.zeros((n_sym, NUM_TOKENS), dtype=bool)
    push = np.full((n_sym, NUM_TOKENS, k), EMPTY, dtype=np.int64)
    push_len = np.zeros((n_sym, NUM_TOKENS), dtype=np.int64)
    push_cost = np.zeros((n_sym, NUM_TOKENS), dtype=np.int64)
    for (s, t), exp in expansions.items():
        allowed[s, t] = True
        ids = [SYMBOL_ID[x] for x in reversed(exp)]  # bottom first: the first expected symbol ends on top
        push[s, t, : len(ids)] = ids
        push_len[s, t] = len(ids)
        push_cost[s, t] = sum(min_len[x] for x in exp)
    allowed[EMPTY, dsl.PAD_ID] = True
    lengths = np.array([min_len[s] for s in SYMBOLS] + [0], dtype=np.int64)
    return GrammarTables(allowed, push, push_len, push_cost, lengths)


@lru_cache(maxsize=1)
def grammar_tables() -> GrammarTables:
    """The automaton's tables, built once per process (read-only: every decoder shares them)."""
    return build_tables()


class GrammarMask:
    """Batched automaton state; ``allowed()`` then ``step(tokens)`` per position.

    Start state: the stack holds PROG, so the first token must be DEF.
    """

    def __init__(self, batch_size: int, max_tokens: int = dsl.MAX_PROGRAM_TOKENS, device: torch.device | str = "cpu"):
        t = grammar_tables()
        self.device = torch.device(device)
        self.allowed_table = torch.as_tensor(t.allowed, device=self.device)
        self.push = torch.as_tensor(t.push, device=self.device)
        self.push_len = torch.as_tensor(t.push_len, device=self.device)
        self.push_cost = torch.as_tensor(t.push_cost, device=self.device)
        self.min_len = torch.as_tensor(t.min_len, device=self.device)
        self.max_tokens = max_tokens
        depth_cap = max_tokens * t.push.shape[2] + 2
        self.stack = torch.full((batch_size, depth_cap + t.push.shape[2]), EMPTY, dtype=torch.long, device=self.device)
        self.stack[:, 0] = SYMBOL_ID["PROG"]
        self.depth = torch.ones(batch_size, dtype=torch.long, device=self.device)
        self.pending = self.min_len[self.stack[:, 0]].clone()  # min tokens the whole stack still needs
        self.length = torch.zeros(batch_size, dtype=torch.long, device=self.device)
        self.rows = torch.arange(batch_size, device=self.device)

    def top(self) -> torch.Tensor:
        top = self.stack[self.rows, (self.depth - 1).clamp(min=0)]
        return torch.where(self.depth > 0, top, torch.full_like(top, EMPTY))

    def allowed(self) -> torch.Tensor:
        """(B, NUM_TOKENS) bool: tokens that keep each prefix completable."""
        top = self.top()
        ok = self.allowed_table[top]
        rest = (self.pending - self.min_len[top])[:, None]
        fits = self.length[:, None] + 1 + rest + self.push_cost[top] <= self.max_tokens
        is_pad = torch.zeros_like(ok)
        is_pad[:, dsl.PAD_ID] = True
        return ok & (fits | is_pad)

    def step(self, tokens: torch.Tensor) -> None:
        """Advance every row by its token (assumed allowed; PAD keeps a
        finished row finished)."""
        top = self.top()
        finished = self.depth == 0
        n_push = torch.where(finished, torch.zeros_like(self.depth), self.push_len[top, tokens])
        base = torch.where(finished, self.depth, self.depth - 1)
        symbols = self.push[top, tokens]  # (B, K)
        k = symbols.shape[1]
        positions = base[:, None] + torch.arange(k, device=self.device)[None, :]
        keep = torch.arange(k, device=self.device)[None, :] < n_push[:, None]
        positions = torch.where(keep, positions, torch.full_like(positions, self.stack.shape[1] - 1))
        self.stack.scatter_(1, positions, torch.where(keep, symbols, torch.full_like(symbols, EMPTY)))
        self.pending = torch.where(
            finished, self.pending, self.pending - self.min_len[top] + self.push_cost[top, tokens]
        )
        self.depth = base + n_push
        self.length = self.length + (~finished).long()


def mask_sequence(tokens: torch.Tensor, max_tokens: int = dsl.MAX_PROGRAM_TOKENS) -> torch.Tensor:
    """Allowed-token masks along given sequences (teacher forcing):
    (B, L) ids -> (B, L, NUM_TOKENS) bool, the mask in force before each token."""
    b, length = tokens.shape
    mask = GrammarMask(b, max_tokens, tokens.device)
    out = torch.zeros(b, length, NUM_TOKENS, dtype=torch.bool, device=tokens.device)
    for i in range(length):
        allowed = mask.allowed()
        out[:, i] = allowed
        token = tokens[:, i]
        legal = allowed[mask.rows, token]
        # rows that went off the grammar stay put (they only occur in malformed input)
        mask.step(torch.where(legal, token, torch.full_like(token, dsl.PAD_ID)))
    return out
