"""The compiled grammar of first_improvement hill climbing
(leaps.search.spaces.carvalho_grammar) against a slow reference written
here from Carvalho et al.'s grammar as they state it (prog_policies: the
probabilities of karel/dsl.py, the production rules of base/dsl.py, the
sampling and mutation of search/stochastic_hill_climbing2.py), on an AST
with a node per statement, condition, negation, count and sequence. Both
draw many fresh programs and many neighbours of fixed programs; the
distributions of their sizes, depths, sequence lengths and node kinds must
agree (two-sample chi-square), and a grammar with one probability changed
must be told apart."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable

import numpy as np
import pytest

from leaps.search.spaces import carvalho_grammar as g
from leaps.search.spaces.tokens import ids_to_text, text_to_ids

# ---- the reference: their grammar, node by node -------------------------------------------------------------
PROBS = {
    "stmt": {"while": 0.15, "repeat": 0.03, "seq": 0.5, "if": 0.08, "ifelse": 0.04, "action": 0.2},
    "stmt_no_seq": {"while": 0.15, "repeat": 0.03, "if": 0.08, "ifelse": 0.04, "action": 0.2},
    "bool": {"feature": 0.9, "not": 0.1},
    "bool_no_not": {"feature": 0.9},
    "int": {"int": 1.0},
}
SLOTS = {"program": ["stmt"], "while": ["bool", "stmt"], "repeat": ["int", "stmt"], "if": ["bool", "stmt"],
         "ifelse": ["bool_no_not", "stmt", "stmt"], "seq": ["stmt_no_seq", "stmt"], "not": ["bool_no_not"]}
CONTROL = {"while", "repeat", "if", "ifelse"}
ACTIONS = {"move": 0.5, "turnLeft": 0.15, "turnRight": 0.15, "putMarker": 0.1, "pickMarker": 0.1}
FEATURES = {"frontIsClear": 0.5, "leftIsClear": 0.15, "rightIsClear": 0.15, "markersPresent": 0.1,
            "noMarkersPresent": 0.1}


class Node:
    def __init__(self, kind: str, value: object = None, children: list[Node] | None = None):
        self.kind, self.value, self.children = kind, value, children or []

    def copy(self) -> Node:
        return Node(self.kind, self.value, [c.copy() for c in self.children])


def choose(rng: np.random.Generator, probs: dict) -> object:
    keys = list(probs)
    p = np.array([probs[k] for k in keys])
    return keys[rng.choice(len(keys), p=p / p.sum())]


def leaf(kind: str, rng: np.random.Generator) -> Node:
    if kind == "action":
        return Node(kind, choose(rng, ACTIONS))
    if kind == "feature":
        return Node(kind, choose(rng, FEATURES))
    return Node(kind, int(rng.integers(20)))


def fill(node: Node, depth: int, seq: int, max_depth: int, max_seq: int, rng: np.random.Generator) -> None:
    """Their fill_children_of_node: no control at the depth limit, no sequence child at the sequence limit."""
    for slot in SLOTS[node.kind]:
        probs = dict(PROBS[slot])
        for kind in list(probs):
            if (depth >= max_depth and kind in CONTROL) or (node.kind == "seq" and seq + 1 >= max_seq and
                                                            kind == "seq"):
                del probs[kind]
        kind = choose(rng, probs)
        child = Node(kind)
        if kind in SLOTS:
            fill(child, depth + (kind in CONTROL), seq + 1 if node.kind == "seq" else 1, max_depth, max_seq, rng)
        else:
            child = leaf(kind, rng)
        node.children.append(child)


def random_program(rng: np.random.Generator) -> Node:
    root = Node("program")
    fill(root, 1, 0, 4, 6, rng)
    return root


def nodes_below(node: Node) -> list[tuple[Node, int]]:
    out = []
    for i, child in enumerate(node.children):
        out.append((node, i))
        out += nodes_below(child)
    return out


def depth(node: Node) -> int:
    return (node.kind in CONTROL or node.kind == "program") + max((depth(c) for c in node.children), default=0)


def max_sequence(node: Node, current: int = 1) -> int:
    current = current + 1 if node.kind == "seq" else 1
    return max([current] + [max_sequence(c, current) for c in node.children])


def neighbour(program: Node, rng: np.random.Generator) -> Node:
    """Their mutation: a node (not the program) re-drawn from its slot, children filled with limits 2 and 4;
    drawn again until depth <= 4, sequences <= 6, tokens <= 45."""
    while True:
        copy = program.copy()
        below = nodes_below(copy)
        parent, i = below[rng.integers(len(below))]
        kind = choose(rng, PROBS[SLOTS[parent.kind][i]])
        child = Node(kind)
        if kind in SLOTS:
            fill(child, 1, 0, 2, 4, rng)
        else:
            child = leaf(kind, rng)
        parent.children[i] = child
        if depth(copy) <= 4 and max_sequence(copy) <= 6 and len(tokens(copy)) <= 45:
            return copy


def tokens(node: Node) -> list[str]:
    k, c = node.kind, node.children
    if k in ("action", "feature"):
        return [str(node.value)]
    if k == "int":
        return [f"R={node.value}"]
    if k == "program":
        return ["DEF", "run", "m(", *tokens(c[0]), "m)"]
    if k == "seq":
        return tokens(c[0]) + tokens(c[1])
    if k == "not":
        return ["not", "c(", *tokens(c[0]), "c)"]
    if k == "repeat":
        return ["REPEAT", *tokens(c[0]), "r(", *tokens(c[1]), "r)"]
    head, open_, close = {"while": ("WHILE", "w(", "w)"), "if": ("IF", "i(", "i)"), "ifelse": ("IFELSE", "i(", "i)")}[k]
    out = [head, "c(", *tokens(c[0]), "c)", open_, *tokens(c[1]), close]
    return out + ["ELSE", "e(", *tokens(c[2]), "e)"] if k == "ifelse" else out


def parse(text: str) -> Node:
    """Program text -> the reference AST (a block is a right-nested chain of sequences)."""
    words = text.split()
    pos = 3

    def condition() -> Node:
        nonlocal pos
        if words[pos] == "not":
            pos += 4  # not c( p c)
            return Node("not", children=[Node("feature", words[pos - 2])])
        pos += 1
        return Node("feature", words[pos - 1])

    def block(close: str) -> Node:
        nonlocal pos
        statements = []
        while words[pos] != close:
            statements.append(statement())
        pos += 1
        node = statements[-1]
        for s in reversed(statements[:-1]):
            node = Node("seq", children=[s, node])
        return node

    def statement() -> Node:
        nonlocal pos
        w = words[pos]
        if w in ACTIONS:
            pos += 1
            return Node("action", w)
        if w == "REPEAT":
            count = int(words[pos + 1][2:])
            pos += 3
            return Node("repeat", children=[Node("int", count), block("r)")])
        pos += 2  # head c(
        cond = condition()
        pos += 2  # c) open
        kind = {"WHILE": "while", "IF": "if", "IFELSE": "ifelse"}[w]
        body = block({"while": "w)", "if": "i)", "ifelse": "i)"}[kind])
        if kind != "ifelse":
            return Node(kind, children=[cond, body])
        pos += 2  # ELSE e(
        return Node(kind, children=[cond, body, block("e)")])

    return Node("program", children=[block("m)")])


# ---- comparing distributions ------------------------------------------------------------------------------------
KINDS = ("while", "repeat", "if", "ifelse", "not", "action", "seq")


def features(text: str) -> dict[str, object]:
    """What is compared of a program: size, depth, longest sequence, how many nodes of each kind, its text."""
    program = parse(text)
    counts = Counter(n.children[i].kind for n, i in nodes_below(program))
    out: dict[str, object] = {"tokens": len(text.split()), "depth": depth(program), "sequence": max_sequence(program)}
    out.update({f"n_{k}": min(counts[k], 3) for k in KINDS})
    return out


def chi_square_z(a: list, b: list) -> float:
    """Two-sample chi-square homogeneity statistic for categorical samples, as a
    z-score (Wilson-Hilferty); categories expected fewer than 10 times are pooled."""
    ca, cb = Counter(a), Counter(b)
    na, nb = len(a), len(b)
    pooled_a, pooled_b, cells = 0, 0, []
    for key in set(ca) | set(cb):
        if (ca[key] + cb[key]) * min(na, nb) / (na + nb) < 10:
            pooled_a, pooled_b = pooled_a + ca[key], pooled_b + cb[key]
        else:
            cells.append((ca[key], cb[key]))
    if pooled_a + pooled_b:
        cells.append((pooled_a, pooled_b))
    if len(cells) < 2:
        return 0.0
    chi2 = 0.0
    for x, y in cells:
        total = x + y
        ea, eb = total * na / (na + nb), total * nb / (na + nb)
        chi2 += (x - ea) ** 2 / ea + (y - eb) ** 2 / eb
    k = len(cells) - 1
    return ((chi2 / k) ** (1 / 3) - (1 - 2 / (9 * k))) / math.sqrt(2 / (9 * k))


def worst_disagreement(a: list[str], b: list[str]) -> tuple[str, float]:
    fa, fb = [features(t) for t in a], [features(t) for t in b]
    scores = {key: chi_square_z([f[key] for f in fa], [f[key] for f in fb]) for key in fa[0]}
    key = max(scores, key=scores.get)
    return key, scores[key]


Z_LIMIT = 5.0  # ~3e-7 one-sided: a correct grammar practically never fails


def sample_texts(n: int, rng: np.random.Generator, weights: np.ndarray = g.SLOT_WEIGHTS) -> list[str]:
    out = []
    for _ in range(n):
        buf = np.empty(4096, dtype=np.int64)
        length = g.sample_program(rng, weights, g.PROGRAM_MAX_DEPTH, g.PROGRAM_MAX_SEQUENCE, buf)
        out.append(ids_to_text(buf[:length]))
    return out


def neighbour_texts(text: str, n: int, rng: np.random.Generator, weights: np.ndarray = g.SLOT_WEIGHTS,
                    sub_seq: int = g.MUTATION_MAX_SEQUENCE) -> list[str]:
    ids = text_to_ids(text)
    out = np.empty((n, g.MAX_TOKENS), dtype=np.int64)
    lengths = np.empty(n, dtype=np.int64)
    g.neighbours_into(rng, weights, ids, n, g.MAX_TOKENS, g.PROGRAM_MAX_DEPTH, g.PROGRAM_MAX_SEQUENCE,
                      g.MUTATION_MAX_DEPTH, sub_seq, out, lengths)
    return [ids_to_text(out[i, : lengths[i]]) for i in range(n)]


def reference_texts(draw: Callable[[np.random.Generator], Node], n: int, seed: int) -> list[str]:
    rng = np.random.default_rng(seed)
    return [" ".join(tokens(draw(rng))) for _ in range(n)]


STARTS = [
    "DEF run m( move m)",
    "DEF run m( WHILE c( frontIsClear c) w( move turnLeft w) IF c( not c( markersPresent c) c) i( pickMarker i) m)",
    "DEF run m( REPEAT R=4 r( IFELSE c( leftIsClear c) i( turnLeft move i) ELSE e( WHILE c( frontIsClear c) w( "
    "move move putMarker w) e) r) turnRight move pickMarker m)",  # 34 tokens: most subtrees are too long
]


def test_fresh_programs_follow_their_grammar():
    ours = sample_texts(20_000, np.random.default_rng(0))
    theirs = reference_texts(random_program, 20_000, seed=1)
    key, z = worst_disagreement(ours, theirs)
    assert z < Z_LIMIT, f"{key}: z = {z:.1f}"
    # and the limits hold: depth <= 4 (3 nested WHILE/REPEAT/IF/IFELSE), at most 6 statements in a row
    assert max(features(t)["depth"] for t in ours) == 4
    assert max(features(t)["sequence"] for t in ours) == 6


@pytest.mark.parametrize("start", STARTS)
def test_neighbours_follow_their_mutation(start):
    ours = neighbour_texts(start, 8_000, np.random.default_rng(2))
    theirs = reference_texts(lambda rng: neighbour(parse(start), rng), 8_000, seed=3)
    key, z = worst_disagreement(ours, theirs)
    assert z < Z_LIMIT, f"{key}: z = {z:.1f}"
    z_texts = chi_square_z(ours, theirs)  # the neighbours themselves (rare ones pooled)
    assert z_texts < Z_LIMIT, f"texts: z = {z_texts:.1f}"
    assert all(len(t.split()) <= 45 and features(t)["depth"] <= 4 and features(t)["sequence"] <= 6 for t in ours)


def test_the_comparison_tells_a_wrong_grammar_apart():
    """The test can fail: a sequence probability of .45 instead of .5, an
    IFELSE of .12 instead of .04 where no sequence may go, or a mutation's
    sequence limit of 5 instead of 4 is seen."""
    wrong = g.SLOT_WEIGHTS.copy()
    wrong[g.S_STMT, g.K_CONCAT] = 0.45
    theirs = reference_texts(random_program, 20_000, seed=1)
    assert worst_disagreement(sample_texts(20_000, np.random.default_rng(0), wrong), theirs)[1] > Z_LIMIT
    start = STARTS[1]
    theirs = reference_texts(lambda rng: neighbour(parse(start), rng), 8_000, seed=3)
    wrong = g.SLOT_WEIGHTS.copy()
    wrong[g.S_STMT_NO_SEQ, g.K_ITE] = 0.12
    assert worst_disagreement(neighbour_texts(start, 8_000, np.random.default_rng(2), wrong), theirs)[1] > Z_LIMIT
    ours = neighbour_texts(start, 8_000, np.random.default_rng(2), sub_seq=5)
    assert max(worst_disagreement(ours, theirs)[1], chi_square_z(ours, theirs)) > Z_LIMIT


def test_node_table_lists_their_nodes():
    """program_nodes finds every node of their AST (a sequence node per statement but the last of a block)."""
    for text in [*STARTS, *sample_texts(300, np.random.default_rng(5))]:
        starts, ends, slots, kinds = g.program_nodes(text_to_ids(text))
        reference = Counter(n.children[i].kind for n, i in nodes_below(parse(text)))
        names = {g.K_WHILE: "while", g.K_REPEAT: "repeat", g.K_CONCAT: "seq", g.K_IF: "if", g.K_ITE: "ifelse",
                 g.K_ACTION: "action", g.K_FEATURE: "feature", g.K_NOT: "not", g.K_INT: "int"}
        ours = Counter(names[int(k)] for k in kinds)
        assert ours == reference, text


def test_a_long_draw_never_depends_on_the_buffer():
    """Fresh programs have no token limit: a draw too long for the buffer is made again, larger, from the same state."""
    rng_a, rng_b = np.random.default_rng(11), np.random.default_rng(11)
    a = [ids_to_text(g.sample(rng_a)) for _ in range(2000)]
    b = []
    for _ in range(2000):
        size = 8
        while True:
            state = rng_b.bit_generator.state
            buf = np.empty(size, dtype=np.int64)
            n = g.sample_program(rng_b, g.SLOT_WEIGHTS, 4, 6, buf)
            if n >= 0:
                break
            rng_b.bit_generator.state = state
            size *= 2
        b.append(ids_to_text(buf[:n]))
    assert a == b
    assert max(len(t.split()) for t in a) > 45  # their fresh programs may exceed the neighbours' 45 tokens
