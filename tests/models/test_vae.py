import torch

from leaps.karel import dsl
from leaps.models.vae import ProgramVAE, VAEConfig


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
