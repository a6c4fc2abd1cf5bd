"""The program VAE: GRU encoder over token ids, Gaussian latent, GRU decoder
conditioned on the latent at every step, grammar-masked decoding.

Two architectures (``model.vae.arch``, names in ``VAE_ARCHS``), the same
interface and losses:

- ``leaps``, the original's (``pretrain/models.py``: ``VAE``, ``Encoder``,
  ``Decoder``): separate token embeddings for the encoder and the decoder,
  each as wide as the vocabulary; the decoder's GRU starts at ``z`` itself
  (``latent_dim`` = ``hidden_size``); its logits come from a two-layer tanh
  MLP over the GRU output, the input token's embedding and ``z``; GRU weights
  orthogonal with zero biases, the MLP's orthogonal with gain sqrt(2); the
  encoder's second head is log sigma (here returned as log variance).
- ``compact``, this repository's first: one 256-wide embedding shared by
  encoder and decoder, the decoder starting at ``tanh(W z)``, a single linear
  layer over the GRU output and ``z``; PyTorch's default initialisation. The
  four shipped models (2026-11-28) carry it.

Three switches of the reference code's family (all off by default) let
``leaps.models.import_reference`` load the original's and HPRL's weights
exactly: ``latent_projection`` (their ``net.use_linear``: linear layers
between the 256-wide GRUs and a narrower latent), ``tanh_latent`` (their
``net.tanh_after_sample``: the decoder reads ``tanh(z)``) and
``def_as_start`` (their decoders read ``DEF`` as the first input and write
from ``run`` on, where this repository's read a start token and write
``DEF``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from torch import nn

from leaps.karel import dsl
from leaps.models.grammar import NUM_TOKENS, GrammarMask, mask_sequence
from leaps.models.packed_gru import packed_gru

_NEG = -1e9

VAE_ARCHS = ("leaps", "compact")
VAE_SWITCHES = ("latent_projection", "tanh_latent", "def_as_start")  # VAEConfig's true/false settings


def check_vae_arch(arch: str) -> None:
    """Raise ValueError unless ``arch`` names one of ``VAE_ARCHS``."""
    if arch not in VAE_ARCHS:
        raise ValueError(f"model.vae.arch must be one of {', '.join(VAE_ARCHS)}, got {arch!r}")


@dataclass
class VAEConfig:
    hidden_size: int = 256
    latent_dim: int = 256
    embedding_dim: int | None = None  # None: the architecture's own (compact 256, leaps the vocabulary's size)
    max_tokens: int = dsl.MAX_PROGRAM_TOKENS
    arch: str = "compact"  # a config without it (the four shipped models') means compact
    latent_projection: bool = False  # arch=leaps: hidden -> latent before mu / sigma, latent -> hidden for the decoder
    tanh_latent: bool = False  # the decoder reads tanh(z)
    def_as_start: bool = False  # the decoder's first input is DEF (not a start token) and it writes from `run` on

    def __post_init__(self) -> None:
        check_vae_arch(self.arch)
        if self.embedding_dim is None:
            self.embedding_dim = NUM_TOKENS + 1 if self.arch == "leaps" else 256
        if self.latent_projection and self.arch != "leaps":
            raise ValueError("model.vae.latent_projection needs model.vae.arch=leaps")
        if self.arch == "leaps" and not self.latent_projection and self.latent_dim != self.hidden_size:
            raise ValueError("model.vae.arch=leaps starts the decoder's GRU at z: model.vae.latent_dim must equal "
                             f"model.vae.hidden_size (or model.vae.latent_projection=true), got {self.latent_dim} and "
                             f"{self.hidden_size}")

    @property
    def context_dim(self) -> int:
        """Width of what the decoder reads at every step (z, or its projection)."""
        return self.hidden_size if self.latent_projection else self.latent_dim

    def to_dict(self) -> dict:
        return asdict(self)


class ProgramVAE(nn.Module):
    def __init__(self, cfg: VAEConfig | None = None):
        super().__init__()
        self.cfg = cfg or VAEConfig()
        c = self.cfg
        self.latent_dim = c.latent_dim
        self.original = c.arch == "leaps"
        self.embedding = nn.Embedding(NUM_TOKENS + 1, c.embedding_dim)  # the decoder's (compact: shared); + a start
        self.start_token = dsl.TOKEN_ID["DEF"] if c.def_as_start else NUM_TOKENS
        if self.original:
            self.encoder_embedding = nn.Embedding(NUM_TOKENS + 1, c.embedding_dim)
        self.encoder = nn.GRU(c.embedding_dim, c.hidden_size, batch_first=True)
        head_in = c.hidden_size
        if c.latent_projection:
            self.encoder_projection = nn.Linear(c.hidden_size, c.latent_dim)
            self.latent_to_context = nn.Linear(c.latent_dim, c.hidden_size)
            head_in = c.latent_dim
        self.to_mu = nn.Linear(head_in, c.latent_dim)
        self.to_logvar = nn.Linear(head_in, c.latent_dim)  # leaps: log sigma (the original's), doubled in encode
        if not self.original:  # created in this order so that a seed gives the compact models' weights as before
            self.latent_to_hidden = nn.Linear(c.latent_dim, c.hidden_size)
        self.decoder = nn.GRU(c.embedding_dim + c.context_dim, c.hidden_size, batch_first=True)
        if self.original:
            self.to_logits = nn.Sequential(nn.Linear(c.hidden_size + c.embedding_dim + c.context_dim, c.hidden_size),
                                           nn.Tanh(), nn.Linear(c.hidden_size, NUM_TOKENS))
            self._init_original()
        else:
            self.to_logits = nn.Linear(c.hidden_size + c.latent_dim, NUM_TOKENS)

    def _init_original(self) -> None:
        """The original's initialisation (its ``NNBase`` GRUs and ``init_`` layers)."""
        for gru in (self.encoder, self.decoder):
            for name, param in gru.named_parameters():
                nn.init.zeros_(param) if "bias" in name else nn.init.orthogonal_(param)
        for layer in (self.to_logits[0], self.to_logits[2]):
            nn.init.orthogonal_(layer.weight, gain=2**0.5)
            nn.init.zeros_(layer.bias)

    def context(self, z: torch.Tensor) -> torch.Tensor:
        """What the decoder reads at every step: z itself unless the model
        squashes (``tanh_latent``) or projects (``latent_projection``) it."""
        if self.cfg.tanh_latent:
            z = torch.tanh(z)
        return self.latent_to_context(z) if self.cfg.latent_projection else z

    def initial_hidden(self, z: torch.Tensor) -> torch.Tensor:
        """The decoder GRU's first hidden state, (N, hidden), from the context (arch=leaps starts at it)."""
        return z if self.original else torch.tanh(self.latent_to_hidden(z))

    def output_logits(self, out: torch.Tensor, embedded: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        """Logits from the GRU output, the embedding of the token that went in, and the context (any leading shape)."""
        if self.original:
            return self.to_logits(torch.cat([out, embedded, z], dim=-1))
        return self.to_logits(torch.cat([out, z], dim=-1))

    # ------------------------------------------------------------------
    def encode(self, ids: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(N, L) padded ids -> (mu, logvar), each (N, latent_dim)."""
        lengths = (ids != dsl.PAD_ID).sum(dim=1).clamp(min=1).cpu()
        embedding = self.encoder_embedding if self.original else self.embedding
        packed = nn.utils.rnn.pack_padded_sequence(embedding(ids), lengths, batch_first=True, enforce_sorted=False)
        _, h = packed_gru(self.encoder, packed)
        h = self.encoder_projection(h[-1]) if self.cfg.latent_projection else h[-1]
        second = self.to_logvar(h)
        return self.to_mu(h), 2 * second if self.original else second

    @staticmethod
    def reparameterise(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
        return mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)

    def _inputs(self, ids: torch.Tensor) -> torch.Tensor:
        start = torch.full_like(ids[:, :1], self.start_token)
        return torch.cat([start, ids[:, :-1]], dim=1)

    def teacher_forced_logits(self, z: torch.Tensor, ids: torch.Tensor) -> torch.Tensor:
        """(N, L, NUM_TOKENS) grammar-masked logits of ``ids`` given ``z``."""
        z = self.context(z)
        given = 1 if self.cfg.def_as_start else 0  # DEF is read, not written: its position's logits are left at 0
        steps = ids.shape[1] - given
        zs = z[:, None, :].expand(-1, steps, -1)
        embedded = self.embedding(self._inputs(ids)[:, given:])
        out, _ = self.decoder(torch.cat([embedded, zs], dim=2), self.initial_hidden(z)[None])
        logits = self.output_logits(out, embedded, zs)
        if given:
            logits = torch.cat([logits.new_zeros(logits.shape[0], 1, logits.shape[2]), logits], dim=1)
        mask = mask_sequence(ids, self.cfg.max_tokens)
        # float32 before masking: under fp16 autocast -1e9 would become -inf, and 0 * -inf NaN in the entropy
        return logits.float().masked_fill(~mask, _NEG)

    def sample(
        self, z: torch.Tensor, greedy: bool = True, generator: torch.Generator | None = None, stats: bool = True
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Decode step by step under the grammar mask.

        Returns ids (N, L) padded with PAD_ID, the log-probability of each
        program, and the mean per-token entropy (for REINFORCE). With
        ``stats=False`` (search, evaluation) the last two are zeros and not
        computed: CEM decodes thousands of small batches, and they cost ~40%."""
        n = z.shape[0]
        z = self.context(z)
        steps = self.cfg.max_tokens + 1
        grammar = GrammarMask(n, self.cfg.max_tokens, z.device)
        h = self.initial_hidden(z)[None]
        token = torch.full((n,), self.start_token, dtype=torch.long, device=z.device)
        ids, log_prob, entropy = [], torch.zeros(n, device=z.device), torch.zeros(n, device=z.device)
        if self.cfg.def_as_start:  # DEF is given: the automaton takes it, the decoder reads it first
            grammar.step(token)
            ids.append(token)
            steps -= 1
        alive = torch.ones(n, dtype=torch.bool, device=z.device)
        for _ in range(steps):
            embedded = self.embedding(token)
            out, h = self.decoder(torch.cat([embedded, z], dim=1)[:, None], h)
            logits = self.output_logits(out[:, 0], embedded, z)
            logits = logits.float().masked_fill(~grammar.allowed(), _NEG)
            if stats or not greedy:
                log_p = torch.log_softmax(logits, dim=1)
            if greedy:
                token = logits.argmax(dim=1)
            else:
                token = torch.multinomial(log_p.exp(), 1, generator=generator).squeeze(1)
            if stats:
                log_prob = log_prob + log_p.gather(1, token[:, None]).squeeze(1) * alive
                entropy = entropy - (log_p.exp() * log_p).sum(dim=1) * alive
            grammar.step(token)
            ids.append(token)
            alive = alive & (token != dsl.PAD_ID)
            if not alive.any():
                break
        ids_t = torch.stack(ids, dim=1)[:, : self.cfg.max_tokens]
        if ids_t.shape[1] < self.cfg.max_tokens:
            pad = torch.full((n, self.cfg.max_tokens - ids_t.shape[1]), dsl.PAD_ID, dtype=torch.long, device=z.device)
            ids_t = torch.cat([ids_t, pad], dim=1)
        lengths = (ids_t != dsl.PAD_ID).sum(dim=1).clamp(min=1)
        return ids_t, log_prob, entropy / lengths

    def decode(self, z: torch.Tensor, greedy: bool = True, generator: torch.Generator | None = None) -> torch.Tensor:
        """(N, latent_dim) -> (N, max_tokens) program ids padded with PAD_ID.

        Greedy decoding of latents on the CPU without gradients takes the
        compiled path (``greedy_decode``, same programs, ~3x faster)."""
        if greedy and z.device.type == "cpu" and not (torch.is_grad_enabled() and z.requires_grad):
            from leaps.models.greedy_decode import greedy_decode

            return greedy_decode(self, z)
        return self.sample(z, greedy, generator, stats=False)[0]
