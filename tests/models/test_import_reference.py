"""Reference (clvrai/leaps, HPRL) program VAEs loaded into this repository's
format: the imported model computes what the reference's forward computes.

The reference state dicts here are random tensors under the reference's key
names and shapes; the reference forward is written out below from the
reference's decoder (DEF read first, context ``fc(tanh(z))`` for HPRL, logits
from ``[h, embedding(token), context]``)."""

import pytest
import torch

from leaps.karel import dsl
from leaps.models import CheckpointError, load_model
from leaps.models.import_reference import MISSING_TOKEN_BIAS, REFERENCES, import_reference, main
from leaps.models.vae import VAEConfig

HIDDEN = 16


# prog_policies' LeapsVAE names (latent_space/models/leaps_vae.py), one embedding shared by encoder and decoder
PROG_POLICIES_KEYS = {
    "vae._enc_mu": "encoder_mu", "vae._enc_log_sigma": "encoder_log_sigma", "vae.encoder.gru": "encoder_gru",
    "vae.decoder.gru": "decoder_gru", "vae.decoder.token_output_layer": "decoder_mlp",
    "vae.decoder.token_encoder": "token_encoder", "condition_policy.mlp": "policy_mlp",
}


def in_layout(state: dict[str, torch.Tensor], name: str) -> dict[str, torch.Tensor]:
    """clvrai-named weights under the keys ``name``'s code base saves them with."""
    if name != "prog_policies":
        return state
    renamed = {}
    for key, value in state.items():
        if key.startswith("vae.encoder.token_encoder"):
            continue  # shared: the decoder's table serves both
        prefix = next(p for p in PROG_POLICIES_KEYS if key.startswith(p + "."))
        renamed[PROG_POLICIES_KEYS[prefix] + key[len(prefix):]] = value
    return renamed


def reference_state(name: str, seed: int = 0) -> dict[str, torch.Tensor]:
    """Random weights under clvrai's keys (hidden 16; HPRL: latent 8 behind its fc layers); ``in_layout`` renames
    them for prog_policies, whose one embedding is the decoder's here."""
    g = torch.Generator().manual_seed(seed)
    ref = REFERENCES[name]
    v, h = len(ref.tokens) + 1, HIDDEN
    latent = 8 if ref.latent_projection else h

    def rand(*shape):
        return torch.randn(*shape, generator=g) * 0.5

    state = {
        "vae.encoder.token_encoder.weight": rand(v, v),
        "vae.encoder.gru.weight_ih_l0": rand(3 * h, v), "vae.encoder.gru.weight_hh_l0": rand(3 * h, h),
        "vae.encoder.gru.bias_ih_l0": rand(3 * h), "vae.encoder.gru.bias_hh_l0": rand(3 * h),
        "vae._enc_mu.weight": rand(latent, latent), "vae._enc_mu.bias": rand(latent),
        "vae._enc_log_sigma.weight": rand(latent, latent), "vae._enc_log_sigma.bias": rand(latent),
        "vae.decoder.token_encoder.weight": rand(v, v),
        "vae.decoder.gru.weight_ih_l0": rand(3 * h, v + h), "vae.decoder.gru.weight_hh_l0": rand(3 * h, h),
        "vae.decoder.gru.bias_ih_l0": rand(3 * h), "vae.decoder.gru.bias_hh_l0": rand(3 * h),
        "vae.decoder.token_output_layer.0.weight": rand(h, 2 * h + v), "vae.decoder.token_output_layer.0.bias": rand(h),
        "vae.decoder.token_output_layer.2.weight": rand(v, h), "vae.decoder.token_output_layer.2.bias": rand(v),
        "condition_policy.mlp.0.weight": rand(4, 4),  # not imported
    }
    if ref.latent_projection:
        state |= {"vae.encoder.fc.weight": rand(latent, h), "vae.encoder.fc.bias": rand(latent),
                  "vae.decoder.fc.weight": rand(h, latent), "vae.decoder.fc.bias": rand(h)}
    if name == "prog_policies":
        state["vae.encoder.token_encoder.weight"] = state["vae.decoder.token_encoder.weight"]
    return state


def reference_teacher_forced(state, name: str, z: torch.Tensor, ref_ids: list[int]) -> torch.Tensor:
    """The reference decoder's logits for ``ref_ids[1:]`` given ``ref_ids[:-1]`` (DEF first), (L - 1, V)."""
    ref = REFERENCES[name]
    context = torch.tanh(z) if ref.tanh_latent else z
    if ref.latent_projection:
        context = context @ state["vae.decoder.fc.weight"].T + state["vae.decoder.fc.bias"]
    cell = torch.nn.GRUCell(state["vae.decoder.gru.weight_ih_l0"].shape[1], HIDDEN)
    cell.load_state_dict({k.split(".")[-1].replace("_l0", ""): state[k] for k in state
                          if k.startswith("vae.decoder.gru.")})
    embedding = state["vae.decoder.token_encoder.weight"]
    h, out = context, []
    for token in ref_ids[:-1]:
        e = embedding[token][None]
        h = cell(torch.cat([e, context], dim=1), h)
        hidden = torch.tanh(torch.cat([h, e, context], dim=1) @ state["vae.decoder.token_output_layer.0.weight"].T
                            + state["vae.decoder.token_output_layer.0.bias"])
        out.append(hidden @ state["vae.decoder.token_output_layer.2.weight"].T
                   + state["vae.decoder.token_output_layer.2.bias"])
    return torch.cat(out)


def reference_mu(state, name: str, ref_ids: list[int]) -> torch.Tensor:
    gru = torch.nn.GRU(state["vae.encoder.gru.weight_ih_l0"].shape[1], HIDDEN, batch_first=True)
    gru.load_state_dict({k.removeprefix("vae.encoder.gru."): state[k] for k in state
                         if k.startswith("vae.encoder.gru.")})
    _, h = gru(state["vae.encoder.token_encoder.weight"][torch.tensor(ref_ids)][None])
    h = h[0]
    if REFERENCES[name].latent_projection:
        h = h @ state["vae.encoder.fc.weight"].T + state["vae.encoder.fc.bias"]
    return h @ state["vae._enc_mu.weight"].T + state["vae._enc_mu.bias"]


PROGRAM = "DEF run m( WHILE c( noMarkersPresent c) w( turnLeft move turnRight REPEAT R=3 r( move r) w) m)"


def saved(tmp_path, name, state=None):
    path = tmp_path / f"{name}.ptp"
    state = in_layout(state or reference_state(name), name)
    torch.save(state if name == "prog_policies" else [state, None], path)  # clvrai, HPRL: [state_dict, ob_rms]
    return path


@pytest.mark.parametrize("name", sorted(REFERENCES))
def test_the_imported_decoder_and_encoder_compute_the_references(tmp_path, name):
    state = reference_state(name)
    module, report = import_reference(saved(tmp_path, name, state), name)
    assert report["left_out"] == [in_layout({"condition_policy.mlp.0.weight": 0}, name).popitem()[0]]
    ref_tokens = REFERENCES[name].tokens
    ours = dsl.tokenize(PROGRAM)
    ref_ids = [ref_tokens.index(dsl.VOCAB[i]) for i in ours] + [len(ref_tokens)]  # + PAD
    ids = torch.tensor([ours + [dsl.PAD_ID]])
    z = torch.randn(1, module.vae.latent_dim, generator=torch.Generator().manual_seed(1))
    expected = reference_teacher_forced(state, name, z, ref_ids)
    with torch.no_grad():
        logits = module.vae.teacher_forced_logits(z, ids)[0]
        for i in range(1, ids.shape[1]):  # position 0, DEF, is read, not written
            allowed = logits[i] > -1e8
            for our_id in torch.nonzero(allowed).flatten().tolist():
                token = "PAD" if our_id == dsl.PAD_ID else dsl.VOCAB[our_id]
                if token == "PAD" or token in ref_tokens:
                    ref_id = len(ref_tokens) if token == "PAD" else ref_tokens.index(token)
                    assert logits[i, our_id].item() == pytest.approx(expected[i - 1, ref_id].item(), abs=1e-4)
                else:
                    assert logits[i, our_id].item() < MISSING_TOKEN_BIAS / 2
        mu, _ = module.vae.encode(torch.tensor([ours]))
    assert torch.allclose(mu, reference_mu(state, name, ref_ids[:-1]), atol=1e-5)


@pytest.mark.parametrize("name", sorted(REFERENCES))
def test_imported_models_decode_from_def_within_the_reference_vocabulary(tmp_path, name):
    module, _ = import_reference(saved(tmp_path, name), name)
    vae = module.vae
    z = torch.randn(300, vae.latent_dim, generator=torch.Generator().manual_seed(2)) * 2
    with torch.no_grad():
        compiled = vae.decode(z)
        stepwise = vae.sample(z, greedy=True, stats=False)[0]
    assert torch.equal(compiled, stepwise)
    assert compiled.shape[1] == REFERENCES[name].max_program_len + 1
    assert (compiled[:, 0] == dsl.TOKEN_ID["DEF"]).all() and (compiled[:, 1] == dsl.TOKEN_ID["run"]).all()
    written = {dsl.VOCAB[i] for i in compiled.unique().tolist() if i != dsl.PAD_ID}
    assert written <= set(REFERENCES[name].tokens)
    for row in compiled[:20]:
        dsl.parse(row.tolist())  # every decoded program is complete and parses
    sampled = vae.sample(z[:50], greedy=False, generator=torch.Generator().manual_seed(3))
    assert torch.isfinite(sampled[1]).all() and torch.isfinite(sampled[2]).all()


def test_the_command_writes_a_model_search_can_load(tmp_path, capsys):
    main([str(saved(tmp_path, "hprl")), "--reference", "hprl", "--out", str(tmp_path / "out")])
    assert "left out: condition_policy" in capsys.readouterr().out
    vae = load_model(tmp_path / "out")
    assert vae.latent_dim == 8 and vae.cfg.def_as_start and vae.cfg.tanh_latent and vae.cfg.latent_projection
    assert vae.decode(torch.zeros(2, 8)).shape == (2, 41)


def test_a_checkpoint_of_the_other_reference_or_not_a_vae_is_refused_in_one_line(tmp_path, capsys):
    with pytest.raises(CheckpointError, match="missing, e.g. vae.encoder.fc.weight"):
        import_reference(saved(tmp_path, "leaps"), "hprl")
    with pytest.raises(CheckpointError, match="51, 51.*35 tokens .PAD included.: is it another reference"):
        state = reference_state("leaps")
        state |= {k: v for k, v in reference_state("hprl").items() if ".fc." in k}
        import_reference(saved(tmp_path, "leaps", state), "hprl")
    with pytest.raises(CheckpointError, match="has a latent projection .* --reference hprl"):
        import_reference(saved(tmp_path, "hprl"), "leaps")
    with pytest.raises(CheckpointError, match="it looks like --reference prog_policies"):
        import_reference(saved(tmp_path, "prog_policies"), "leaps")
    other = tmp_path / "other.ptp"
    torch.save({"weights": torch.zeros(2)}, other)
    with pytest.raises(CheckpointError, match="not a leaps program VAE"):
        import_reference(other, "leaps")
    torch.save([{"weights": "text"}], other)
    with pytest.raises(CheckpointError, match="not a state dict of tensors"):
        import_reference(other, "leaps")
    with pytest.raises(SystemExit) as stop:
        main([str(other), "--reference", "leaps", "--out", str(tmp_path / "o")])
    assert stop.value.code == 2 and "not a state dict of tensors" in capsys.readouterr().err
    with pytest.raises(ValueError, match="--reference must be one of"):
        import_reference(other, "hprl2")


def test_the_reference_switches_are_checked():
    with pytest.raises(ValueError, match="latent_projection needs model.vae.arch=leaps"):
        VAEConfig(arch="compact", latent_projection=True)
    with pytest.raises(ValueError, match="or model.vae.latent_projection=true"):
        VAEConfig(arch="leaps", hidden_size=16, latent_dim=8)
    assert VAEConfig(arch="leaps", hidden_size=16, latent_dim=8, latent_projection=True).context_dim == 16

