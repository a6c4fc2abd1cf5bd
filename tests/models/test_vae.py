import pytest
import torch
from torch import nn

from leaps.karel import dsl
from leaps.models.grammar import NUM_TOKENS
from leaps.models.vae import VAE_ARCHS, ProgramVAE, VAEConfig


def _vae() -> ProgramVAE:
    torch.manual_seed(0)
    return ProgramVAE(VAEConfig(hidden_size=32, latent_dim=16, embedding_dim=16)).eval()


def test_decode_without_stats_gives_the_same_programs_as_sample():
    """decode() skips the log-probability and entropy bookkeeping; the programs must not change."""
    vae = _vae()
    z = torch.randn(64, 16, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        for greedy in (True, False):
            full = vae.sample(z, greedy, torch.Generator().manual_seed(2))[0]
            fast = vae.decode(z, greedy, torch.Generator().manual_seed(2))
            assert torch.equal(full, fast)
            for row in fast.tolist():
                dsl.parse(dsl.strip_padding(row))


def test_sample_stats_are_finite_and_off_when_not_asked_for():
    vae = _vae()
    z = torch.randn(8, 16, generator=torch.Generator().manual_seed(3))
    with torch.no_grad():
        _, log_prob, entropy = vae.sample(z, greedy=False, generator=torch.Generator().manual_seed(4))
        assert torch.isfinite(log_prob).all() and (log_prob < 0).all() and (entropy > 0).all()
        _, log_prob, entropy = vae.sample(z, greedy=False, generator=torch.Generator().manual_seed(4), stats=False)
        assert not log_prob.any() and not entropy.any()


def test_leaps_arch_is_the_originals_shape_and_initialisation():
    """The original's VAE: vocabulary-wide separate embeddings, the decoder GRU starting at z, a two-layer tanh
    head over (GRU output, input token's embedding, z); orthogonal GRU weights with zero biases."""
    torch.manual_seed(0)
    vae = ProgramVAE(VAEConfig(arch="leaps"))
    assert vae.cfg.embedding_dim == NUM_TOKENS + 1 and vae.encoder_embedding is not vae.embedding
    assert not hasattr(vae, "latent_to_hidden")
    z = torch.randn(3, 256)
    assert torch.equal(vae.initial_hidden(z), z)
    first, act, second = vae.to_logits
    assert isinstance(act, nn.Tanh) and first.in_features == 256 + NUM_TOKENS + 1 + 256
    assert second.out_features == NUM_TOKENS
    for gru in (vae.encoder, vae.decoder):
        w = gru.weight_hh_l0.detach()  # orthogonal_ on the (3H, H) matrix: its columns are orthonormal
        assert torch.allclose(w.T @ w, torch.eye(w.shape[1]), atol=1e-4)
        assert not gru.bias_ih_l0.any() and not gru.bias_hh_l0.any()
    assert not first.bias.any() and not second.bias.any()
    # compact keeps its own (PyTorch's default init gives non-zero GRU biases)
    assert ProgramVAE(VAEConfig()).encoder.bias_ih_l0.any()


def test_leaps_arch_encodes_log_sigma_as_log_variance():
    """The original's second head is log sigma: encode() returns it doubled, so the KL and the reparameterisation
    (which take a log variance) see the original's quantities."""
    torch.manual_seed(0)
    vae = ProgramVAE(VAEConfig(hidden_size=16, latent_dim=16, arch="leaps")).eval()
    ids = torch.tensor([[5, 6, 7, dsl.PAD_ID]])
    with torch.no_grad():
        _, logvar = vae.encode(ids)
        embedded = vae.encoder_embedding(ids[:, :3])
        _, h = vae.encoder(embedded)
        assert torch.allclose(logvar, 2 * vae.to_logvar(h[-1]), atol=1e-5)


@pytest.mark.parametrize("arch", VAE_ARCHS)
def test_teacher_forced_logits_match_step_by_step_decoding(arch):
    """Both architectures: the teacher-forced pass and the step-by-step decoder compute the same logits."""
    torch.manual_seed(0)
    vae = ProgramVAE(VAEConfig(hidden_size=16, latent_dim=16, embedding_dim=8, arch=arch)).eval()
    z = torch.randn(6, 16, generator=torch.Generator().manual_seed(1)) * 3
    with torch.no_grad():
        ids, log_prob, _ = vae.sample(z, greedy=False, generator=torch.Generator().manual_seed(2))
        logits = vae.teacher_forced_logits(z, ids)
        lengths = (ids != dsl.PAD_ID).sum(dim=1)
        log_p = torch.log_softmax(logits, dim=2).gather(2, ids[:, :, None])[:, :, 0]
        upto_end = torch.arange(ids.shape[1])[None, :] <= lengths[:, None]
        assert torch.allclose((log_p * upto_end).sum(dim=1), log_prob, atol=1e-4)


@pytest.mark.parametrize(("settings", "message"), [
    ({"arch": "transformer"}, "model.vae.arch must be one of leaps, compact, got 'transformer'"),
    ({"arch": "leaps", "latent_dim": 8, "hidden_size": 16}, "model.vae.latent_dim must equal model.vae.hidden_size"),
])
def test_bad_vae_settings_fail_up_front(settings, message):
    with pytest.raises(ValueError, match=message):
        VAEConfig(**settings)
