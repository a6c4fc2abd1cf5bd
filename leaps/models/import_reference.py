"""Program VAEs trained by the reference code, loaded into this repository's format.

``python -m leaps.models.import_reference PATH.ptp --reference leaps|hprl --out DIR``
reads a ``best_valid_params.ptp`` written by clvrai/leaps (``pretrain/``) or by
NTURobotLearningLab/HPRL (its program VAE, ``pretrain/output_dir_*``), maps its
weights onto :class:`ProgramVAE` (``arch=leaps`` with the reference's
``def_as_start``, and HPRL's ``latent_projection`` and ``tanh_latent``) and
writes an exported model: ``search.py model=DIR`` then searches the
reference's own embedding space. Nothing is downloaded: the file is yours.

What is and is not carried over:

- the encoder, the latent heads and the decoder, exactly; tokens outside the
  reference's vocabulary (HPRL's has ``R=2``..``R=5`` only) get an output
  bias of ``MISSING_TOKEN_BIAS``, so the decoder never writes them;
- not the L loss's condition policy (its state encoder reads another world
  encoding) nor the R loss's critic: search does not use them; the exported
  model holds a freshly initialised policy (seed 0), and training it further
  starts L from scratch;
- decoding is greedy under this repository's grammar mask, which also keeps
  every prefix closable within ``max_tokens``: the reference's checker does not,
  so a program it would leave unclosed at its length limit is closed here.

The file is read with ``torch.load(weights_only=True)``: no pickled code runs.
"""

from __future__ import annotations

import argparse
import hashlib
from dataclasses import dataclass
from pathlib import Path

import torch

from leaps.karel import dsl
from leaps.models.checkpoint import CheckpointError, export_model
from leaps.models.grammar import NUM_TOKENS
from leaps.models.module import LeapsModule, ModuleConfig
from leaps.models.vae import VAEConfig

MISSING_TOKEN_BIAS = -3.0e4  # finite in fp16 too: softmax gives 0, entropy stays 0 * finite


@dataclass(frozen=True)
class Reference:
    """One reference code base's program VAE: its vocabulary (in its token-id
    order, PAD last) and its decoder's switches."""

    tokens: tuple[str, ...]
    max_program_len: int  # tokens the decoder writes after DEF
    latent_projection: bool
    tanh_latent: bool
    source: str


_HPRL_REPEATS = ("R=2", "R=3", "R=4", "R=5")

REFERENCES: dict[str, Reference] = {
    # the original writes up to 45 tokens after DEF; kept at this repository's 45 with DEF (its dataset's longest)
    "leaps": Reference(dsl.VOCAB, dsl.MAX_PROGRAM_TOKENS - 1, False, False,
                       "clvrai/leaps pretrain/ (ProgramVAE: net.use_linear and net.tanh_after_sample off)"),
    "hprl": Reference(tuple(t for t in dsl.VOCAB if not t.startswith("R=") or t in _HPRL_REPEATS), 40, True, True,
                      "NTURobotLearningLab/HPRL pretrain/ (net.use_linear, net.tanh_after_sample, max_program_len 40)"),
}

# reference key -> this repository's, for the parts copied as they are
_DIRECT = {
    "vae.encoder.gru.weight_ih_l0": "vae.encoder.weight_ih_l0",
    "vae.encoder.gru.weight_hh_l0": "vae.encoder.weight_hh_l0",
    "vae.encoder.gru.bias_ih_l0": "vae.encoder.bias_ih_l0",
    "vae.encoder.gru.bias_hh_l0": "vae.encoder.bias_hh_l0",
    "vae._enc_mu.weight": "vae.to_mu.weight",
    "vae._enc_mu.bias": "vae.to_mu.bias",
    "vae._enc_log_sigma.weight": "vae.to_logvar.weight",
    "vae._enc_log_sigma.bias": "vae.to_logvar.bias",
    "vae.decoder.gru.weight_ih_l0": "vae.decoder.weight_ih_l0",
    "vae.decoder.gru.weight_hh_l0": "vae.decoder.weight_hh_l0",
    "vae.decoder.gru.bias_ih_l0": "vae.decoder.bias_ih_l0",
    "vae.decoder.gru.bias_hh_l0": "vae.decoder.bias_hh_l0",
    "vae.decoder.token_output_layer.0.weight": "vae.to_logits.0.weight",
    "vae.decoder.token_output_layer.0.bias": "vae.to_logits.0.bias",
}
_PROJECTION = {
    "vae.encoder.fc.weight": "vae.encoder_projection.weight",
    "vae.encoder.fc.bias": "vae.encoder_projection.bias",
    "vae.decoder.fc.weight": "vae.latent_to_context.weight",
    "vae.decoder.fc.bias": "vae.latent_to_context.bias",
}
_VOCABULARY = ("vae.encoder.token_encoder.weight", "vae.decoder.token_encoder.weight",
               "vae.decoder.token_output_layer.2.weight", "vae.decoder.token_output_layer.2.bias")


def read_reference_state(path: str | Path) -> dict[str, torch.Tensor]:
    """The state dict inside a reference ``.ptp`` (a list whose first item is
    it, or the dict itself), read without unpickling code."""
    try:
        saved = torch.load(Path(path), map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise
    except Exception as err:
        raise CheckpointError(f"cannot read {path} as a reference checkpoint: {err.__class__.__name__}: {err}") \
            from None
    state = saved[0] if isinstance(saved, (list, tuple)) and saved else saved
    if not isinstance(state, dict) or "vae._enc_mu.weight" not in state:
        raise CheckpointError(f"{path}: not a reference program VAE (no vae._enc_mu.weight in its state dict)")
    return state


def _token_rows(reference: Reference) -> torch.Tensor:
    """For each of this repository's token ids (PAD_ID included), the
    reference's row, or -1 where the reference has no such token."""
    index = {t: i for i, t in enumerate(reference.tokens)}
    rows = torch.full((NUM_TOKENS,), -1, dtype=torch.long)
    for token, our_id in dsl.TOKEN_ID.items():
        rows[our_id] = index.get(token, -1)
    rows[dsl.PAD_ID] = len(reference.tokens)  # the reference's PAD is its last id
    return rows


def reference_config(state: dict[str, torch.Tensor], reference: Reference, name: str) -> ModuleConfig:
    """This repository's config for a reference state dict, checked against its shapes."""
    vocabulary = len(reference.tokens) + 1
    embedding = state["vae.decoder.token_encoder.weight"]
    if tuple(embedding.shape) != (vocabulary, vocabulary):
        raise CheckpointError(f"the decoder's token embedding is {tuple(embedding.shape)}, but --reference "
                              f"{name} has {vocabulary} tokens (PAD included): is it the other reference?")
    has_projection = "vae.encoder.fc.weight" in state
    if has_projection != reference.latent_projection:
        other = "has" if has_projection else "lacks"
        raise CheckpointError(f"the checkpoint {other} the latent projection (vae.encoder.fc), which --reference "
                              f"{name} {'lacks' if has_projection else 'has'}")
    hidden = state["vae.encoder.gru.weight_hh_l0"].shape[1]
    latent = state["vae._enc_mu.weight"].shape[0]
    vae = VAEConfig(hidden_size=hidden, latent_dim=latent, embedding_dim=vocabulary,
                    max_tokens=reference.max_program_len + 1, arch="leaps",
                    latent_projection=reference.latent_projection, tanh_latent=reference.tanh_latent,
                    def_as_start=True)
    return ModuleConfig(vae=vae, policy_arch="compact", name=f"{name}_imported")


def import_reference(path: str | Path, reference: str) -> tuple[LeapsModule, dict]:
    """A :class:`LeapsModule` holding the reference VAE's weights, and what
    the import left out (for the exported config)."""
    if reference not in REFERENCES:
        raise ValueError(f"--reference must be one of {', '.join(REFERENCES)}, got {reference!r}")
    ref = REFERENCES[reference]
    state = read_reference_state(path)
    cfg = reference_config(state, ref, reference)
    torch.manual_seed(0)  # the policy (not imported) is initialised alike every time
    module = LeapsModule(cfg)
    ours = module.state_dict()
    mapping = dict(_DIRECT, **(_PROJECTION if ref.latent_projection else {}))
    new = {}
    for theirs, mine in mapping.items():
        if theirs not in state:
            raise CheckpointError(f"{path}: {theirs} is missing")
        if state[theirs].shape != ours[mine].shape:
            raise CheckpointError(f"{path}: {theirs} is {tuple(state[theirs].shape)}, expected "
                                  f"{tuple(ours[mine].shape)}")
        new[mine] = state[theirs].float()
    rows = _token_rows(ref)
    present = rows >= 0
    rows_in = torch.cat([rows, rows[dsl.TOKEN_ID["DEF"]].view(1)])  # the embeddings' extra row: a start token = DEF
    present_in = rows_in >= 0
    for theirs, mine in (("vae.encoder.token_encoder.weight", "vae.encoder_embedding.weight"),
                         ("vae.decoder.token_encoder.weight", "vae.embedding.weight")):
        table = torch.zeros_like(ours[mine])
        table[present_in] = state[theirs].float()[rows_in[present_in]]
        new[mine] = table
    weight = torch.zeros_like(ours["vae.to_logits.2.weight"])
    bias = torch.full_like(ours["vae.to_logits.2.bias"], MISSING_TOKEN_BIAS)
    weight[present] = state["vae.decoder.token_output_layer.2.weight"].float()[rows[present]]
    bias[present] = state["vae.decoder.token_output_layer.2.bias"].float()[rows[present]]
    new["vae.to_logits.2.weight"], new["vae.to_logits.2.bias"] = weight, bias
    module.load_state_dict({**ours, **new})
    used = set(mapping) | set(_VOCABULARY)
    left_out = sorted(k for k in state if k not in used)
    missing = [t for t in dsl.VOCAB if t not in ref.tokens]
    return module.eval(), {"left_out": left_out, "tokens_never_written": missing}


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m leaps.models.import_reference", description=__doc__.split("\n")[0])
    parser.add_argument("path", type=Path, help="the reference's best_valid_params.ptp")
    parser.add_argument("--reference", required=True, choices=sorted(REFERENCES), help="which code base wrote it")
    parser.add_argument("--out", type=Path, required=True, help="folder to write (model.safetensors, config.json)")
    args = parser.parse_args(argv)
    if not args.path.is_file():
        parser.error(f"{args.path}: no such file")
    try:
        module, report = import_reference(args.path, args.reference)
    except CheckpointError as err:
        parser.exit(2, f"error: {err}\n")
    source = {"file": str(args.path), "sha256": _sha256(args.path), "reference": args.reference,
              "code": REFERENCES[args.reference].source, **report}
    out = export_model(module, args.out, {"imported": source})
    vae = module.cfg.vae
    print(f"wrote {out}: {args.reference}'s program VAE (latent {vae.latent_dim}, hidden {vae.hidden_size}, "
          f"{len(REFERENCES[args.reference].tokens)} tokens, programs up to {vae.max_tokens} tokens); "
          f"left out: {', '.join(sorted({k.split('.')[0] for k in report['left_out']})) or 'nothing'}")


if __name__ == "__main__":
    main()
