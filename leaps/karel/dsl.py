"""The Karel DSL: vocabulary, AST, parser and printers.

The vocabulary and its integer ids are those of the reference implementation
(KAREL_SPEC.md), so ids flow unchanged between dataset, models and search.
Statement lists are kept flat in the AST; the left-nested binary form of the
reference only matters for the execution budget and is produced by the
compiler (``leaps.karel.compiler``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

# --------------------------------------------------------------------------
# Vocabulary (one source of truth for every token id in the project)
# --------------------------------------------------------------------------
ACTIONS: tuple[str, ...] = ("move", "turnLeft", "turnRight", "pickMarker", "putMarker")
"""Action tokens in the order of their action index (0..4)."""
NO_ACTION = 5
"""Action index used by the behaviour policy for "end of trajectory"."""
NUM_ACTIONS = len(ACTIONS)

PERCEPTIONS: tuple[str, ...] = (
    "frontIsClear",
    "leftIsClear",
    "rightIsClear",
    "markersPresent",
    "noMarkersPresent",
)
"""Perception tokens in the order of their perception index (0..4)."""

MAX_REPEAT = 19

VOCAB: tuple[str, ...] = (
    ("DEF", "run", "m(", "m)", "move", "turnRight", "turnLeft", "pickMarker", "putMarker", "r(", "r)")
    + tuple(f"R={k}" for k in range(MAX_REPEAT + 1))
    + ("REPEAT", "c(", "c)", "i(", "i)", "e(", "e)", "IF", "IFELSE", "ELSE")
    + PERCEPTIONS
    + ("not", "w(", "w)", "WHILE")
)
TOKEN_ID: dict[str, int] = {tok: i for i, tok in enumerate(VOCAB)}
VOCAB_SIZE = len(VOCAB)  # 50
PAD_ID = VOCAB_SIZE  # 50: padding / end of program
MAX_PROGRAM_TOKENS = 45

# Frequently used ids, derived from the vocabulary (never written twice).
DEF, RUN, M_OPEN, M_CLOSE = (TOKEN_ID[t] for t in ("DEF", "run", "m(", "m)"))
R_OPEN, R_CLOSE, REPEAT = TOKEN_ID["r("], TOKEN_ID["r)"], TOKEN_ID["REPEAT"]
C_OPEN, C_CLOSE = TOKEN_ID["c("], TOKEN_ID["c)"]
I_OPEN, I_CLOSE, E_OPEN, E_CLOSE = (TOKEN_ID[t] for t in ("i(", "i)", "e(", "e)"))
IF, IFELSE, ELSE = TOKEN_ID["IF"], TOKEN_ID["IFELSE"], TOKEN_ID["ELSE"]
NOT, W_OPEN, W_CLOSE, WHILE = (TOKEN_ID[t] for t in ("not", "w(", "w)", "WHILE"))
REPEAT_COUNT_0 = TOKEN_ID["R=0"]
ACTION_TOKEN_IDS: tuple[int, ...] = tuple(TOKEN_ID[a] for a in ACTIONS)
ACTION_FIRST_ID, ACTION_LAST_ID = min(ACTION_TOKEN_IDS), max(ACTION_TOKEN_IDS)
assert len(ACTIONS) == ACTION_LAST_ID - ACTION_FIRST_ID + 1, "action ids are contiguous (compiled range checks)"
PERCEPTION_TOKEN_IDS: tuple[int, ...] = tuple(TOKEN_ID[p] for p in PERCEPTIONS)


# --------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------
class ProgramError(ValueError):
    """Any malformed program. ``position`` is the 0-based token index."""

    def __init__(self, message: str, position: int | None = None, token: str | None = None):
        self.position = position
        self.token = token
        if position is not None:
            shown = "end of program" if token is None else f"`{token}`"
            message = f"token {position} {shown}: {message}"
        super().__init__(message)


class UnknownTokenError(ProgramError):
    """A word or id that is not in the vocabulary."""


class ProgramSyntaxError(ProgramError):
    """Known tokens in an order the grammar does not allow."""


class ProgramTooLongError(ProgramError):
    """A program over a caller-given token limit."""


# --------------------------------------------------------------------------
# AST
# --------------------------------------------------------------------------
@dataclass(frozen=True)
class Action:
    name: str


@dataclass(frozen=True)
class Condition:
    perception: str
    negated: bool = False


@dataclass(frozen=True)
class If:
    condition: Condition
    body: tuple[Statement, ...]


@dataclass(frozen=True)
class IfElse:
    condition: Condition
    then_body: tuple[Statement, ...]
    else_body: tuple[Statement, ...]


@dataclass(frozen=True)
class While:
    condition: Condition
    body: tuple[Statement, ...]


@dataclass(frozen=True)
class Repeat:
    count: int
    body: tuple[Statement, ...]


Statement = Action | If | IfElse | While | Repeat


@dataclass(frozen=True)
class Program:
    body: tuple[Statement, ...]

    def __str__(self) -> str:
        return to_text(self)


# --------------------------------------------------------------------------
# Tokenizing
# --------------------------------------------------------------------------
def tokenize(text: str) -> list[int]:
    """Program text (space-separated reference tokens) to ids."""
    ids = []
    for pos, word in enumerate(text.split()):
        tid = TOKEN_ID.get(word)
        if tid is None:
            raise UnknownTokenError("not a Karel token", pos, word)
        ids.append(tid)
    return ids


def strip_padding(ids: Iterable[int]) -> list[int]:
    """Ids up to the first PAD_ID (the end-of-program marker)."""
    out = []
    for i in ids:
        i = int(i)
        if i == PAD_ID:
            break
        out.append(i)
    return out


def ids_to_text(ids: Iterable[int]) -> str:
    words = []
    for pos, i in enumerate(strip_padding(ids)):
        if not 0 <= i < VOCAB_SIZE:
            raise UnknownTokenError(f"id {i} is outside 0..{VOCAB_SIZE}", pos, str(i))
        words.append(VOCAB[i])
    return " ".join(words)


# --------------------------------------------------------------------------
# Parsing
# --------------------------------------------------------------------------
class _Parser:
    """Recursive descent over ids; depth is bounded by the token count."""

    def __init__(self, ids: Sequence[int]):
        self.ids = ids
        self.pos = 0

    def _token(self) -> str | None:
        return VOCAB[self.ids[self.pos]] if self.pos < len(self.ids) else None

    def _fail(self, expected: str) -> ProgramSyntaxError:
        return ProgramSyntaxError(f"expected {expected}", self.pos, self._token())

    def _expect(self, tid: int) -> None:
        if self.pos >= len(self.ids) or self.ids[self.pos] != tid:
            raise self._fail(f"`{VOCAB[tid]}`")
        self.pos += 1

    def program(self) -> Program:
        self._expect(DEF)
        self._expect(RUN)
        self._expect(M_OPEN)
        body = self.statements(M_CLOSE)
        if self.pos != len(self.ids):
            raise self._fail("end of program after `m)`")
        return Program(body)

    def statements(self, close: int) -> tuple[Statement, ...]:
        body = [self.statement("a statement")]
        while self.pos < len(self.ids) and self.ids[self.pos] != close:
            body.append(self.statement(f"a statement or `{VOCAB[close]}`"))
        self._expect(close)
        return tuple(body)

    def statement(self, expected: str) -> Statement:
        tid = self.ids[self.pos] if self.pos < len(self.ids) else None
        if tid in ACTION_TOKEN_IDS:
            self.pos += 1
            return Action(VOCAB[tid])
        if tid == WHILE:
            self.pos += 1
            cond = self.condition()
            self._expect(W_OPEN)
            return While(cond, self.statements(W_CLOSE))
        if tid in (IF, IFELSE):
            self.pos += 1
            cond = self.condition()
            self._expect(I_OPEN)
            then_body = self.statements(I_CLOSE)
            if tid == IF:
                return If(cond, then_body)
            self._expect(ELSE)
            self._expect(E_OPEN)
            return IfElse(cond, then_body, self.statements(E_CLOSE))
        if tid == REPEAT:
            self.pos += 1
            count_id = self.ids[self.pos] if self.pos < len(self.ids) else None
            if count_id is None or not REPEAT_COUNT_0 <= count_id <= REPEAT_COUNT_0 + MAX_REPEAT:
                raise self._fail("a repeat count `R=k`")
            self.pos += 1
            self._expect(R_OPEN)
            return Repeat(count_id - REPEAT_COUNT_0, self.statements(R_CLOSE))
        raise self._fail(expected)

    def condition(self) -> Condition:
        self._expect(C_OPEN)
        negated = self.pos < len(self.ids) and self.ids[self.pos] == NOT
        if negated:
            self.pos += 1
            self._expect(C_OPEN)
        tid = self.ids[self.pos] if self.pos < len(self.ids) else None
        if tid not in PERCEPTION_TOKEN_IDS:
            raise self._fail("a perception" if negated else "a perception or `not`")
        self.pos += 1
        self._expect(C_CLOSE)
        if negated:
            self._expect(C_CLOSE)
        return Condition(VOCAB[tid], negated)


def parse(program: str | Sequence[int], max_tokens: int | None = None) -> Program:
    """Text or ids (padding after the end allowed) to an AST.

    Raises a :class:`ProgramError` subclass naming the token position and
    what was expected there.
    """
    if isinstance(program, str):
        ids = tokenize(program)
    else:
        ids = strip_padding(program)
        for pos, i in enumerate(ids):
            if not 0 <= i < VOCAB_SIZE:
                raise UnknownTokenError(f"id {i} is outside 0..{VOCAB_SIZE}", pos, str(i))
    if max_tokens is not None and len(ids) > max_tokens:
        raise ProgramTooLongError(f"program has {len(ids)} tokens, more than the limit of {max_tokens}")
    return _Parser(ids).program()


def is_valid(program: str | Sequence[int], max_tokens: int | None = None) -> bool:
    try:
        parse(program, max_tokens)
    except ProgramError:
        return False
    return True


# --------------------------------------------------------------------------
# Printing
# --------------------------------------------------------------------------
def _condition_tokens(cond: Condition) -> list[str]:
    if cond.negated:
        return ["c(", "not", "c(", cond.perception, "c)", "c)"]
    return ["c(", cond.perception, "c)"]


def _body_tokens(body: Iterable[Statement], out: list[str]) -> None:
    """Append ``body``'s tokens to ``out``. Dispatches on the exact type
    rather than with ``match``: printing is on every search's hot path
    (program text for every evaluated program), and this is ~3x faster."""
    for stmt in body:
        kind = type(stmt)
        if kind is Action:
            out.append(stmt.name)
        elif kind is While:
            out.append("WHILE")
            out += _condition_tokens(stmt.condition)
            out.append("w(")
            _body_tokens(stmt.body, out)
            out.append("w)")
        elif kind is If:
            out.append("IF")
            out += _condition_tokens(stmt.condition)
            out.append("i(")
            _body_tokens(stmt.body, out)
            out.append("i)")
        elif kind is IfElse:
            out.append("IFELSE")
            out += _condition_tokens(stmt.condition)
            out.append("i(")
            _body_tokens(stmt.then_body, out)
            out += ["i)", "ELSE", "e("]
            _body_tokens(stmt.else_body, out)
            out.append("e)")
        elif kind is Repeat:
            out += ["REPEAT", f"R={stmt.count}", "r("]
            _body_tokens(stmt.body, out)
            out.append("r)")
        else:
            raise TypeError(f"not a statement: {stmt!r}")


def to_tokens(program: Program) -> list[str]:
    out = ["DEF", "run", "m("]
    _body_tokens(program.body, out)
    out.append("m)")
    return out


def to_text(program: Program) -> str:
    """The reference's one-line token format."""
    return " ".join(to_tokens(program))


def to_ids(program: Program, pad_to: int | None = None) -> list[int]:
    ids = [TOKEN_ID[t] for t in to_tokens(program)]
    if pad_to is not None:
        if len(ids) > pad_to:
            raise ProgramTooLongError(f"program has {len(ids)} tokens, more than {pad_to}")
        ids += [PAD_ID] * (pad_to - len(ids))
    return ids


def _condition_str(cond: Condition) -> str:
    return f"not {cond.perception}()" if cond.negated else f"{cond.perception}()"


def _pretty_body(body: Iterable[Statement], indent: int, lines: list[str]) -> None:
    pad = "    " * indent
    for stmt in body:
        match stmt:
            case Action(name):
                lines.append(f"{pad}{name}()")
            case While(cond, inner):
                lines.append(f"{pad}while {_condition_str(cond)}:")
                _pretty_body(inner, indent + 1, lines)
            case If(cond, inner):
                lines.append(f"{pad}if {_condition_str(cond)}:")
                _pretty_body(inner, indent + 1, lines)
            case IfElse(cond, then_body, else_body):
                lines.append(f"{pad}if {_condition_str(cond)}:")
                _pretty_body(then_body, indent + 1, lines)
                lines.append(f"{pad}else:")
                _pretty_body(else_body, indent + 1, lines)
            case Repeat(count, inner):
                lines.append(f"{pad}repeat {count}:")
                _pretty_body(inner, indent + 1, lines)


def pretty(program: Program) -> str:
    """An indented, Python-like form for people to read."""
    lines = ["def run():"]
    _pretty_body(program.body, 1, lines)
    return "\n".join(lines)


def count_tokens(program: Program) -> int:
    return len(to_tokens(program))


def iter_statements(body: Iterable[Statement]) -> Iterable[Statement]:
    """Every statement of a body, depth first, in token order."""
    for stmt in body:
        yield stmt
        match stmt:
            case While(_, inner) | If(_, inner) | Repeat(_, inner):
                yield from iter_statements(inner)
            case IfElse(_, then_body, else_body):
                yield from iter_statements(then_body)
                yield from iter_statements(else_body)
