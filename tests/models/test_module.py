import numpy as np
import pytest
import torch

from leaps.data import KarelDataModule
from leaps.karel import dsl
from leaps.models import LeapsModule
from leaps.models.module import prefix_match_reward
from tests.models.conftest import SMALL


def batch_of(path, n=16):
    return next(iter(KarelDataModule(path, batch_size=n).train_dataloader()))


def test_shapes_and_decoding(tiny_dataset):
    m = LeapsModule(SMALL)
    b = batch_of(tiny_dataset)
    mu, logvar = m.vae.encode(b["programs"])
    assert mu.shape == logvar.shape == (16, 16)
    ids = m.vae.decode(mu)
    assert ids.shape == (16, 45)
    assert all(dsl.is_valid(row) for row in ids.numpy())  # grammar mask: always parses
    logits = m.policy(mu, b["states"], b["actions"], b["action_lengths"])
    assert logits.shape == (*b["actions"].shape, 6)


# the three switches an imported reference model carries (leaps.models.import_reference): it trains further too
REFERENCE_SWITCHES = {"arch": "leaps", "hidden_size": 16, "latent_dim": 8, "embedding_dim": 8,
                      "latent_projection": True, "tanh_latent": True, "def_as_start": True}


@pytest.mark.parametrize("vae", [SMALL["vae"], REFERENCE_SWITCHES], ids=["small", "reference_switches"])
@pytest.mark.parametrize("losses", [{}, {"behaviour_rl": 0.1}, {"latent_behaviour": 1.0}])
def test_losses_decrease_when_overfitting_one_batch(tiny_dataset, losses, vae):
    torch.manual_seed(0)
    m = LeapsModule({"vae": vae, "losses": losses, "lr": 3e-3, "rl": {"mode": "every_step"}})
    b = batch_of(tiny_dataset, 8)
    opt = m.configure_optimizers()["optimizer"]
    key = {"behaviour_rl": "program_loss", "latent_behaviour": "latent_behaviour_loss"}.get(next(iter(losses), ""),
                                                                                             "program_loss")
    first = None
    for _ in range(80):
        out = m.losses(b)
        opt.zero_grad()
        out["loss"].backward()
        opt.step()
        first = first if first is not None else float(out[key].detach())
    assert float(out[key].detach()) < 0.6 * first
    assert torch.isfinite(out["loss"])


def test_frozen_policy_gets_no_gradient(tiny_dataset):
    m = LeapsModule({**SMALL, "freeze_policy": True, "losses": {"behaviour_rl": 1.0}})
    assert not any(p.requires_grad for p in m.policy.parameters())
    out = m.losses(batch_of(tiny_dataset))
    out["loss"].backward()
    assert all(p.grad is None for p in m.policy.parameters())


def test_prefix_match_reward():
    demo = np.array([[0, 1, 2, 5], [0, 1, 2, 5], [3, 5, 5, 5], [5, 5, 5, 5]])
    demo_len = np.array([3, 3, 1, 0])
    pred = np.array([[0, 1, 2, 5], [0, 2, 2, 5], [3, 3, 5, 5], [5, 5, 5, 5]])
    pred_len = np.array([3, 3, 2, 0])
    assert prefix_match_reward(pred, pred_len, demo, demo_len).tolist() == pytest.approx([1.0, 1 / 3, 0.5, 1.0])


def test_non_finite_loss_stops_training(tiny_dataset):
    m = LeapsModule(SMALL)
    b = batch_of(tiny_dataset)
    with torch.no_grad():
        m.vae.to_logits.weight.fill_(float("nan"))
    with pytest.raises(FloatingPointError, match="non-finite"):
        m.training_step(b, 0)


def test_overfit_a_few_dozen_programs_to_95_percent_greedy_accuracy(tiny_dataset):
    torch.manual_seed(0)
    b = batch_of(tiny_dataset, 32)
    m = LeapsModule({"vae": {"hidden_size": 128, "latent_dim": 32, "embedding_dim": 32}, "lr": 3e-3})
    opt = m.configure_optimizers()["optimizer"]
    accuracy = 0.0
    for step in range(300):
        out = m.losses(b)
        opt.zero_grad()
        out["loss"].backward()
        opt.step()
        if step % 50 == 49:
            m.eval()
            with torch.no_grad():
                mu, _ = m.vae.encode(b["programs"])
                accuracy = (m.vae.decode(mu) == b["programs"]).all(dim=1).float().mean().item()
            m.train()
            if accuracy >= 0.95:
                break
    assert accuracy >= 0.95


def test_10k_programs_from_a_random_decoder_all_parse():
    torch.manual_seed(1)
    m = LeapsModule(SMALL).eval()
    with torch.no_grad():
        ids = torch.cat([m.vae.decode(torch.randn(2500, 16) * 3, greedy=False) for _ in range(4)])
    lengths = (ids != dsl.PAD_ID).sum(dim=1)
    assert all(dsl.is_valid(row, max_tokens=45) for row in ids.numpy())
    assert (lengths == 45).any()  # some hit the length limit and still parse


def test_teacher_forcing_stops_at_the_longest_program_with_the_same_loss(tiny_dataset):
    torch.manual_seed(0)
    m = LeapsModule(SMALL)
    b = batch_of(tiny_dataset, 16)
    mu, logvar = m.vae.encode(b["programs"])
    trimmed = m.program_loss(b, mu, mu, logvar)
    # the loss over all 45 positions, computed by hand from untrimmed teacher forcing
    ids = b["programs"]
    logits = m.vae.teacher_forced_logits(mu, ids)
    keep = torch.arange(ids.shape[1])[None, :] <= b["program_lengths"][:, None]
    ce = torch.nn.functional.cross_entropy(logits.transpose(1, 2), ids, reduction="none")
    assert int(b["program_lengths"].max()) + 1 < ids.shape[1]  # the batch is shorter than the limit
    expected = float((ce * keep).sum().detach() / keep.sum())
    assert float(trimmed["program_loss"].detach()) == pytest.approx(expected, rel=1e-5)


def test_policy_skips_padded_steps_with_the_same_logits(tiny_dataset):
    torch.manual_seed(0)
    m = LeapsModule(SMALL)
    b = batch_of(tiny_dataset, 16)
    z = torch.randn(16, 16)
    lengths = b["action_lengths"]
    fast = m.policy(z, b["states"], b["actions"], lengths)
    full = m.policy(z, b["states"], b["actions"])  # every padded step encoded and run too
    valid = torch.arange(b["actions"].shape[2])[None, None, :] < lengths[..., None]
    assert (~valid).any() and torch.allclose(fast[valid], full[valid], atol=1e-5)


@pytest.mark.parametrize("arch", ["leaps", "compact"])
def test_both_policy_architectures_skip_padded_steps(tiny_dataset, arch):
    torch.manual_seed(0)
    m = LeapsModule({**SMALL, "policy_arch": arch})
    b = batch_of(tiny_dataset, 16)
    z = torch.randn(16, 16)
    targets = b["action_lengths"] + 1
    fast = m.policy(z, b["states"], b["actions"], targets)
    full = m.policy(z, b["states"], b["actions"])
    valid = torch.arange(b["actions"].shape[2])[None, None, :] < targets[..., None]
    assert fast.shape == (*b["actions"].shape, 6) and torch.allclose(fast[valid], full[valid], atol=1e-5)


@pytest.mark.parametrize("padding", [0, 1])
def test_state_encoder_computes_its_layers_as_stacked(padding):
    """The encoder's fast path (channels-last, no pooling of a map that is already 4x4) is the plain stack."""
    from leaps.models.policy import StateEncoder

    torch.manual_seed(0)
    enc = StateEncoder(32, padding=padding)
    states = (torch.rand(50, 16, 8, 8) < 0.2).float()
    assert torch.allclose(enc(states), enc.net(states), atol=1e-5)


def test_leaps_policy_is_the_originals_shape():
    """The original's condition policy: the GRU starts at z, z, state features and the previous action (NO_ACTION
    at the start) go in at every step, unpadded convolutions, a two-layer tanh MLP head, orthogonal weights and zero
    biases."""
    from leaps.models.policy import LatentBehaviourPolicy

    p = LatentBehaviourPolicy(latent_dim=32, hidden_size=32, arch="leaps")
    assert p.start_action == dsl.NO_ACTION and isinstance(p.initial_hidden, torch.nn.Identity)
    assert p.gru.input_size == 32 + 6 + 32 and p.state_encoder.net[0].padding == (0, 0)
    assert [type(x).__name__ for x in p.head] == ["Linear", "Tanh", "Linear", "Tanh", "Linear"]
    w = p.gru.weight_hh_l0  # (3 x 32, 32): orthonormal columns
    assert torch.allclose(w.T @ w, torch.eye(32), atol=1e-5) and not p.gru.bias_ih_l0.any()
    states = torch.zeros(2, 1, 3, 16, 8, 8)
    actions = torch.zeros(2, 1, 3, dtype=torch.long)
    z = torch.randn(2, 32)
    # the first step's logits depend on z through the GRU's initial state too: zeroing z's input weights leaves them
    with torch.no_grad():
        p.gru.weight_ih_l0[:, 32 + 6:] = 0
    first = p(z, states, actions)[:, 0, 0]
    assert not torch.allclose(first[0], first[1])
    with pytest.raises(ValueError, match="model.policy_arch must be one of leaps, compact, got 'mlp'"):
        LatentBehaviourPolicy(arch="mlp")


@pytest.mark.parametrize("predicts_end", [True, False])
def test_l_loss_asks_for_the_end_of_each_demo_as_the_original(tiny_dataset, predicts_end):
    """With policy_predicts_end the loss is the mean cross-entropy over each demo's actions and the NO_ACTION after
    them; without it over the actions alone. The accuracies count the actions in both cases."""
    import torch.nn.functional as F

    torch.manual_seed(0)
    m = LeapsModule({**SMALL, "policy_predicts_end": predicts_end, "losses": {"latent_behaviour": 1.0}})
    b = batch_of(tiny_dataset, 8)
    z = torch.randn(8, 16)
    out = m.latent_behaviour_loss(b, z)
    logits = m.policy(z, b["states"], b["actions"])
    entries, right, n_actions = [], 0, 0
    for i in range(8):
        for j in range(b["actions"].shape[1]):
            n = int(b["action_lengths"][i, j])
            steps = n + 1 if predicts_end else n
            entries.append(F.cross_entropy(logits[i, j, :steps], b["actions"][i, j, :steps], reduction="none"))
            right += int((logits[i, j, :n].argmax(-1) == b["actions"][i, j, :n]).sum())
            n_actions += n
            if predicts_end:
                assert b["actions"][i, j, n] == dsl.NO_ACTION
    assert torch.allclose(out["latent_behaviour_loss"], torch.cat(entries).mean(), atol=1e-5)
    assert abs(float(out["action_accuracy"]) - right / n_actions) < 1e-6
