"""The compiled greedy decoder must write the programs the ``nn.GRU`` decoder writes."""

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from leaps.karel import dsl
from leaps.models import load_model
from leaps.models.greedy_decode import greedy_decode
from leaps.models.vae import VAE_ARCHS, ProgramVAE, VAEConfig


def _reference(vae: ProgramVAE, z: torch.Tensor) -> torch.Tensor:
    with torch.no_grad():
        return vae.sample(z, greedy=True, stats=False)[0]


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), batch=st.integers(0, 40), scale=st.sampled_from([0.1, 1.0, 4.0]),
       max_tokens=st.sampled_from([12, 20, dsl.MAX_PROGRAM_TOKENS]), arch=st.sampled_from(VAE_ARCHS))
def test_random_models_decode_the_same_programs(seed, batch, scale, max_tokens, arch):
    """Random weights, sizes, batch sizes (0 and 1 included), length limits and both architectures: short
    limits exercise the grammar's length rule, large latents long programs."""
    torch.manual_seed(seed)
    latent = 24 if arch == "leaps" else 8  # leaps: the decoder starts at z, so latent_dim = hidden_size
    vae = ProgramVAE(VAEConfig(hidden_size=24, latent_dim=latent, embedding_dim=12, max_tokens=max_tokens,
                               arch=arch)).eval()
    for p in vae.parameters():  # untrained GRUs write short programs; larger weights make long ones
        p.data.mul_(3.0)
    z = torch.randn(batch, latent, generator=torch.Generator().manual_seed(seed)) * scale
    fast = greedy_decode(vae, z)
    assert fast.shape == (batch, max_tokens) and fast.dtype == torch.long
    assert torch.equal(fast, _reference(vae, z))
    for row in fast.tolist():
        assert len(dsl.strip_padding(row)) <= max_tokens
        dsl.parse(dsl.strip_padding(row))


@pytest.mark.parametrize("name", ["leaps", "leapsp"])
def test_shipped_models_decode_the_same_programs(name):
    """Trained decoders, latents of the prior and of a search's wider spread, batch sizes a search uses."""
    vae = load_model(name)
    generator = torch.Generator().manual_seed(7)
    for batch, scale in ((64, 1.0), (250, 0.5), (64, 2.5), (7, 1.0)):
        z = torch.randn(batch, vae.latent_dim, generator=generator) * scale
        assert torch.equal(greedy_decode(vae, z), _reference(vae, z))


def test_decode_takes_the_compiled_path_only_where_it_applies(monkeypatch):
    """Greedy CPU decoding without gradients goes through greedy_decode; sampling never does."""
    import leaps.models.greedy_decode as module

    calls = []
    real = module.greedy_decode
    monkeypatch.setattr(module, "greedy_decode", lambda vae, z: calls.append(len(z)) or real(vae, z))
    torch.manual_seed(0)
    vae = ProgramVAE(VAEConfig(hidden_size=16, latent_dim=8, embedding_dim=8)).eval()
    z = torch.randn(5, 8)
    with torch.no_grad():
        greedy = vae.decode(z)
        vae.decode(z, greedy=False, generator=torch.Generator().manual_seed(0))
    assert calls == [5]
    assert torch.equal(greedy, _reference(vae, z))


def test_ties_go_to_the_first_allowed_token_as_torch_argmax():
    """An output layer of zeros makes every logit equal: both paths must pick the lowest allowed id."""
    torch.manual_seed(1)
    vae = ProgramVAE(VAEConfig(hidden_size=16, latent_dim=8, embedding_dim=8, max_tokens=30)).eval()
    with torch.no_grad():
        vae.to_logits.weight.zero_()
        vae.to_logits.bias.zero_()
        vae.to_logits.bias[5:] = 1.0  # ties among the higher ids too
    z = torch.randn(6, 8)
    assert torch.equal(greedy_decode(vae, z), _reference(vae, z))
