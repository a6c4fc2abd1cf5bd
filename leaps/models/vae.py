"""The program VAE: GRU encoder over token ids, Gaussian latent, GRU decoder
conditioned on the latent at every step, grammar-masked decoding."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from torch import nn

from leaps.karel import dsl
from leaps.models.grammar import NUM_TOKENS, GrammarMask, mask_sequence
from leaps.models.packed_gru import packed_gru

_NEG = -1e9


@dataclass
class VAEConfig:
    hidden_size: int = 256
    latent_dim: int = 256
    embedding_dim: int = 256
    max_tokens: int = dsl.MAX_PROGRAM_TOKENS

    def to_dict(self) -> dict:
        return asdict(self)


class ProgramVAE(nn.Module):
    def __init__(self, cfg: VAEConfig | None = None):
        super().__init__()
        self.cfg = cfg or VAEConfig()
        c = self.cfg
        self.latent_dim = c.latent_dim
        self.embedding = nn.Embedding(NUM_TOKENS + 1, c.embedding_dim)  # + a start token
        self.start_token = NUM_TOKENS
        self.encoder = nn.GRU(c.embedding_dim, c.hidden_size, batch_first=True)
        self.to_mu = nn.Linear(c.hidden_size, c.latent_dim)
        self.to_logvar = nn.Linear(c.hidden_size, c.latent_dim)
        self.latent_to_hidden = nn.Linear(c.latent_dim, c.hidden_size)
        self.decoder = nn.GRU(c.embedding_dim + c.latent_dim, c.hidden_size, batch_first=True)
        self.to_logits = nn.Linear(c.hidden_size + c.latent_dim, NUM_TOKENS)

    # ------------------------------------------------------------------
    def encode(self, ids: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(N, L) padded ids -> (mu, logvar), each (N, latent_dim)."""
        lengths = (ids != dsl.PAD_ID).sum(dim=1).clamp(min=1).cpu()
        packed = nn.utils.rnn.pack_padded_sequence(self.embedding(ids), lengths, batch_first=True,
                                                   enforce_sorted=False)
        _, h = packed_gru(self.encoder, packed)
        return self.to_mu(h[-1]), self.to_logvar(h[-1])

    @staticmethod
    def reparameterise(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
        return mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)

    def _inputs(self, ids: torch.Tensor) -> torch.Tensor:
        start = torch.full_like(ids[:, :1], self.start_token)
        return torch.cat([start, ids[:, :-1]], dim=1)

    def teacher_forced_logits(self, z: torch.Tensor, ids: torch.Tensor) -> torch.Tensor:
        """(N, L, NUM_TOKENS) grammar-masked logits of ``ids`` given ``z``."""
        steps = ids.shape[1]
        zs = z[:, None, :].expand(-1, steps, -1)
        x = torch.cat([self.embedding(self._inputs(ids)), zs], dim=2)
        out, _ = self.decoder(x, torch.tanh(self.latent_to_hidden(z))[None])
        logits = self.to_logits(torch.cat([out, zs], dim=2))
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
        steps = self.cfg.max_tokens + 1
        grammar = GrammarMask(n, self.cfg.max_tokens, z.device)
        h = torch.tanh(self.latent_to_hidden(z))[None]
        token = torch.full((n,), self.start_token, dtype=torch.long, device=z.device)
        ids, log_prob, entropy = [], torch.zeros(n, device=z.device), torch.zeros(n, device=z.device)
        alive = torch.ones(n, dtype=torch.bool, device=z.device)
        for _ in range(steps):
            x = torch.cat([self.embedding(token), z], dim=1)[:, None]
            out, h = self.decoder(x, h)
            logits = self.to_logits(torch.cat([out[:, 0], z], dim=1))
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
