import numpy as np
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from leaps.karel import dsl
from leaps.karel.program_generator import ProgramGenerator
from leaps.models.grammar import NUM_TOKENS, GrammarMask, mask_sequence


def sample_masked(n: int, seed: int, max_tokens: int = 45) -> np.ndarray:
    g = torch.Generator().manual_seed(seed)
    mask = GrammarMask(n, max_tokens)
    tokens = []
    for _ in range(max_tokens + 1):
        allowed = mask.allowed()
        logits = torch.rand(n, NUM_TOKENS, generator=g).log().masked_fill(~allowed, -1e9)
        token = logits.argmax(dim=1)
        tokens.append(token)
        mask.step(token)
    return torch.stack(tokens, dim=1).numpy()


@settings(max_examples=20, deadline=None)
@given(st.integers(0, 2**31 - 1), st.integers(12, 45))
def test_masked_random_decoding_always_parses_within_the_limit(seed, max_tokens):
    for row in sample_masked(64, seed, max_tokens):
        program = dsl.parse(row)
        assert dsl.count_tokens(program) <= max_tokens
        assert (row[dsl.count_tokens(program):] == dsl.PAD_ID).all()


def test_every_valid_program_is_allowed_at_every_prefix():
    programs = ProgramGenerator().sample_many(3000, np.random.default_rng(0))
    ids = torch.tensor([dsl.to_ids(p, pad_to=45) for p in programs])
    masks = mask_sequence(ids)
    assert masks.gather(2, ids[:, :, None]).all()


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, dsl.VOCAB_SIZE - 1), min_size=1, max_size=20))
def test_mask_rejects_exactly_the_prefixes_that_cannot_complete(prefix):
    """A token is allowed iff some valid program (<= 45 tokens) extends the prefix with it;
    checked against the parser by completing greedily with the mask."""
    ids = torch.tensor([prefix])
    masks = mask_sequence(ids)[0]
    allowed_all = bool(masks.gather(1, ids[0][:, None]).all())
    if allowed_all:  # then the mask must lead to a valid completion
        mask = GrammarMask(1)
        for t in prefix:
            mask.step(torch.tensor([t]))
        out = list(prefix)
        for _ in range(45):
            allowed = mask.allowed()[0]
            token = int(torch.nonzero(allowed)[0])
            if token == dsl.PAD_ID:
                break
            out.append(token)
            mask.step(torch.tensor([token]))
        assert dsl.is_valid(out, max_tokens=45)
    else:  # the first disallowed token makes the prefix invalid for every completion
        first_bad = int((~masks.gather(1, ids[0][:, None])[:, 0]).nonzero()[0])
        assert not dsl.is_valid(prefix[: first_bad + 1])
