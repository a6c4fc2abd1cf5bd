"""Program VAEs trained by the reference code, loaded into this repository's format.

``python -m leaps.models.import_reference PATH.ptp --reference leaps|hprl|prog_policies --out DIR``
reads a program VAE's weights written by clvrai/leaps (``best_valid_params.ptp``
of ``pretrain/``), by NTURobotLearningLab/HPRL (its program VAE,
``pretrain/output_dir_*``) or by lelis-research/prog_policies (its LEAPS VAE,
``params/leaps_vae_*.ptp``), maps them onto :class:`ProgramVAE` (``arch=leaps``
with the references' ``def_as_start``, and HPRL's ``latent_projection`` and
``tanh_latent``) and writes an exported model: ``search.py model=DIR`` then
searches that embedding space. Nothing is downloaded: the file is yours.

What is and is not carried over:

- the encoder, the latent heads and the decoder, exactly; tokens outside the
  reference's vocabulary (HPRL's has ``R=2``..``R=5`` only) get an output
  bias of ``MISSING_TOKEN_BIAS``, so the decoder never writes them;
- not the L loss's condition policy (its state encoder reads another world
  encoding, or another layout) nor any critic: search does not use them; the exported
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
from dataclasses import dataclass, field
from pathlib import Path

import torch

from leaps.karel import dsl
from leaps.models.checkpoint import CheckpointError, export_model
from leaps.models.grammar import NUM_TOKENS
from leaps.models.module import LeapsModule, ModuleConfig
from leaps.models.vae import VAEConfig

MISSING_TOKEN_BIAS = -3.0e4  # finite in fp16 too: softmax gives 0, entropy stays 0 * finite


@dataclass(frozen=True)
class Layout:
    """Where a code base's state dict keeps each part of its program VAE."""

    direct: dict[str, str]  # their key -> this repository's, copied as they are
    encoder_embedding: str  # (V, V) token embeddings (the same key twice where one table is shared)
    decoder_embedding: str
    output: tuple[str, str]  # the logits layer's weight and bias, one row per token of theirs
    projection: dict[str, str] = field(default_factory=dict)  # HPRL's net.use_linear layers

    def theirs(self, ours: str) -> str:
        return next(k for k, v in self.direct.items() if v == ours)


def _gru(theirs: str, ours: str) -> dict[str, str]:
    return {f"{theirs}.{p}_{s}_l0": f"{ours}.{p}_{s}_l0" for p in ("weight", "bias") for s in ("ih", "hh")}


# clvrai/leaps pretrain/models.py (and HPRL, which keeps its layout): VAE.encoder / decoder / _enc_mu / _enc_log_sigma
_CLVRAI = Layout(
    direct={**_gru("vae.encoder.gru", "vae.encoder"), **_gru("vae.decoder.gru", "vae.decoder"),
            "vae._enc_mu.weight": "vae.to_mu.weight", "vae._enc_mu.bias": "vae.to_mu.bias",
            "vae._enc_log_sigma.weight": "vae.to_logvar.weight", "vae._enc_log_sigma.bias": "vae.to_logvar.bias",
            "vae.decoder.token_output_layer.0.weight": "vae.to_logits.0.weight",
            "vae.decoder.token_output_layer.0.bias": "vae.to_logits.0.bias"},
    encoder_embedding="vae.encoder.token_encoder.weight",
    decoder_embedding="vae.decoder.token_encoder.weight",
    output=("vae.decoder.token_output_layer.2.weight", "vae.decoder.token_output_layer.2.bias"),
)
_HPRL = Layout(_CLVRAI.direct, _CLVRAI.encoder_embedding, _CLVRAI.decoder_embedding, _CLVRAI.output,
               projection={"vae.encoder.fc.weight": "vae.encoder_projection.weight",
                           "vae.encoder.fc.bias": "vae.encoder_projection.bias",
                           "vae.decoder.fc.weight": "vae.latent_to_context.weight",
                           "vae.decoder.fc.bias": "vae.latent_to_context.bias"})
# lelis-research/prog_policies latent_space/models/leaps_vae.py: one token embedding for encoder and decoder
_PROG_POLICIES = Layout(
    direct={**_gru("encoder_gru", "vae.encoder"), **_gru("decoder_gru", "vae.decoder"),
            "encoder_mu.weight": "vae.to_mu.weight", "encoder_mu.bias": "vae.to_mu.bias",
            "encoder_log_sigma.weight": "vae.to_logvar.weight", "encoder_log_sigma.bias": "vae.to_logvar.bias",
            "decoder_mlp.0.weight": "vae.to_logits.0.weight", "decoder_mlp.0.bias": "vae.to_logits.0.bias"},
    encoder_embedding="token_encoder.weight",
    decoder_embedding="token_encoder.weight",
    output=("decoder_mlp.2.weight", "decoder_mlp.2.bias"),
)


@dataclass(frozen=True)
class Reference:
    """One reference code base's program VAE: its vocabulary (in its token-id
    order, PAD last), its decoder's switches and its state dict's layout."""

    tokens: tuple[str, ...]
    max_program_len: int  # tokens the decoder writes after DEF
    latent_projection: bool
    tanh_latent: bool
    layout: Layout
    source: str


_HPRL_REPEATS = ("R=2", "R=3", "R=4", "R=5")
_REPEATS = tuple(f"R={i}" for i in range(20))
# prog_policies orders its tokens by its DSL's node list (KarelDSL), not as LEAPS does
_PROG_POLICIES_TOKENS = ("DEF", "run", "m(", "m)", "WHILE", "c(", "c)", "w(", "w)", "IF", "i(", "i)", "IFELSE", "ELSE",
                         "e(", "e)", "REPEAT", "r(", "r)", "not", "move", "turnLeft", "turnRight", "pickMarker",
                         "putMarker", "frontIsClear", "leftIsClear", "rightIsClear", "markersPresent",
                         "noMarkersPresent") + _REPEATS

REFERENCES: dict[str, Reference] = {
    # the original writes up to 45 tokens after DEF; kept at this repository's 45 with DEF (its dataset's longest)
    "leaps": Reference(dsl.VOCAB, dsl.MAX_PROGRAM_TOKENS - 1, False, False, _CLVRAI,
                       "clvrai/leaps pretrain/ (ProgramVAE: net.use_linear and net.tanh_after_sample off)"),
    "hprl": Reference(tuple(t for t in dsl.VOCAB if not t.startswith("R=") or t in _HPRL_REPEATS), 40, True, True,
                      _HPRL,
                      "NTURobotLearningLab/HPRL pretrain/ (net.use_linear, net.tanh_after_sample, max_program_len 40)"),
    "prog_policies": Reference(_PROG_POLICIES_TOKENS, dsl.MAX_PROGRAM_TOKENS - 1, False, False, _PROG_POLICIES,
                               "lelis-research/prog_policies latent_space/models/leaps_vae.py (LeapsVAE, params/)"),
}


def read_reference_state(path: str | Path) -> dict[str, torch.Tensor]:
    """The state dict inside a reference ``.ptp`` (clvrai and HPRL save a list
    whose first item is it; prog_policies the dict itself), read without
    unpickling code."""
    try:
        saved = torch.load(Path(path), map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise
    except Exception as err:
        raise CheckpointError(f"cannot read {path} as a reference checkpoint: {err.__class__.__name__}: {err}") \
            from None
    state = saved[0] if isinstance(saved, (list, tuple)) and saved else saved
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise CheckpointError(f"{path}: not a state dict of tensors")
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
    layout = reference.layout
    needed = [*layout.direct, layout.encoder_embedding, layout.decoder_embedding, *layout.output, *layout.projection]
    absent = [k for k in needed if k not in state]
    if absent:
        others = [n for n, r in REFERENCES.items() if n != name and all(k in state for k in r.layout.direct)]
        hint = f" (it looks like --reference {others[0]})" if others else ""
        raise CheckpointError(f"not a {name} program VAE: {len(absent)} of its keys are missing, e.g. {absent[0]}"
                              f"{hint}")
    projection = "vae.encoder.fc.weight" in state
    if projection and not reference.latent_projection:
        raise CheckpointError(f"the checkpoint has a latent projection (vae.encoder.fc), which --reference {name} "
                              "lacks (HPRL's has one: --reference hprl)")
    vocabulary = len(reference.tokens) + 1
    embedding = state[layout.decoder_embedding]
    if tuple(embedding.shape) != (vocabulary, vocabulary):
        raise CheckpointError(f"the decoder's token embedding is {tuple(embedding.shape)}, but --reference "
                              f"{name} has {vocabulary} tokens (PAD included): is it another reference?")
    hidden = state[layout.theirs("vae.encoder.weight_hh_l0")].shape[1]
    latent = state[layout.theirs("vae.to_mu.weight")].shape[0]
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
    layout = ref.layout
    state = read_reference_state(path)
    cfg = reference_config(state, ref, reference)
    torch.manual_seed(0)  # the policy (not imported) is initialised alike every time
    module = LeapsModule(cfg)
    ours = module.state_dict()
    new = {}
    for theirs, mine in {**layout.direct, **layout.projection}.items():
        if state[theirs].shape != ours[mine].shape:
            raise CheckpointError(f"{path}: {theirs} is {tuple(state[theirs].shape)}, expected "
                                  f"{tuple(ours[mine].shape)}")
        new[mine] = state[theirs].float()
    rows = _token_rows(ref)
    present = rows >= 0
    rows_in = torch.cat([rows, rows[dsl.TOKEN_ID["DEF"]].view(1)])  # the embeddings' extra row: a start token = DEF
    present_in = rows_in >= 0
    for theirs, mine in ((layout.encoder_embedding, "vae.encoder_embedding.weight"),
                         (layout.decoder_embedding, "vae.embedding.weight")):
        table = torch.zeros_like(ours[mine])
        table[present_in] = state[theirs].float()[rows_in[present_in]]
        new[mine] = table
    weight = torch.zeros_like(ours["vae.to_logits.2.weight"])
    bias = torch.full_like(ours["vae.to_logits.2.bias"], MISSING_TOKEN_BIAS)
    weight[present] = state[layout.output[0]].float()[rows[present]]
    bias[present] = state[layout.output[1]].float()[rows[present]]
    new["vae.to_logits.2.weight"], new["vae.to_logits.2.bias"] = weight, bias
    module.load_state_dict({**ours, **new})
    used = {*layout.direct, *layout.projection, layout.encoder_embedding, layout.decoder_embedding, *layout.output}
    left_out = sorted(k for k in state if k not in used)
    missing = [t for t in dsl.VOCAB if t not in ref.tokens]
    return module.eval(), {"left_out": left_out, "tokens_never_written": missing}


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m leaps.models.import_reference", description=__doc__.split("\n")[0])
    parser.add_argument("path", type=Path, help="the reference's .ptp (e.g. best_valid_params.ptp)")
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
