"""The latent behaviour policy (loss L): imitates a program's demonstrations
from its latent, so that the latent space encodes behaviour.

Two architectures (``model.policy_arch``, names in ``POLICY_ARCHS``):

- ``leaps``: the original's condition policy (clvrai/leaps ``pretrain/models.py``): the GRU's state starts at
  ``z``, each step sees ``[z, state features, previous action]``, the state goes through two unpadded 3x3
  convolutions and a linear layer, the action logits come from a two-layer tanh MLP; orthogonal weights,
  zero biases. The default for training.
- ``compact``: this repository's first policy (``z`` as input only, padded convolutions pooled to 4x4, a linear
  head); the shipped models until 2026-11-28 carry it (their ``config.json`` says so).
"""

from __future__ import annotations

import torch
from torch import nn

from leaps.karel import dsl
from leaps.karel.world import NUM_STATE_CHANNELS
from leaps.models.packed_gru import packed_gru

POLICY_ARCHS = ("leaps", "compact")


def check_policy_arch(arch: str) -> None:
    """Raise ValueError unless ``arch`` names one of ``POLICY_ARCHS``."""
    if arch not in POLICY_ARCHS:
        raise ValueError(f"model.policy_arch must be one of {', '.join(POLICY_ARCHS)}, got {arch!r}")


class StateEncoder(nn.Module):
    """Small conv net over the (16, H, W) world view. ``padding=0`` is the original's (8x8 -> 4x4 by the two
    convolutions; the pooling only matters for other world sizes)."""

    def __init__(self, out_dim: int = 256, padding: int = 1):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(NUM_STATE_CHANNELS, 32, 3, padding=padding), nn.ReLU(),
            nn.Conv2d(32, 32, 3, padding=padding), nn.ReLU(),
            nn.AdaptiveAvgPool2d(4), nn.Flatten(), nn.Linear(32 * 16, out_dim), nn.ReLU(),
        )

    def forward(self, states: torch.Tensor) -> torch.Tensor:
        # channels-last convolutions run ~1.3x faster here (oneDNN on the CPU); the pooling of an already 4x4 map
        # (the original's unpadded convolutions on 8x8 worlds) is the identity, skipped with its backward's copies
        x = states.contiguous(memory_format=torch.channels_last)
        for layer in self.net:
            if not (isinstance(layer, nn.AdaptiveAvgPool2d) and x.shape[-2:] == (4, 4)):
                x = layer(x)
        return x


class LatentBehaviourPolicy(nn.Module):
    """Predicts each demonstration's next action from the current state, the
    previous action and the program's latent. With ``initial_state_only``
    (the LEAPSP/LEAPSPR setting of the reference) it sees only the first
    state."""

    def __init__(self, latent_dim: int = 256, hidden_size: int = 256, initial_state_only: bool = False,
                 arch: str = "leaps"):
        super().__init__()
        check_policy_arch(arch)
        self.initial_state_only = initial_state_only
        n_out = dsl.NUM_ACTIONS + 1  # the actions and NO_ACTION, the end of a demonstration
        if arch == "leaps":
            self.state_encoder = StateEncoder(hidden_size, padding=0)
            self.action_embedding = nn.Embedding(n_out, n_out)  # the start is NO_ACTION, as the original's
            self.start_action = dsl.NO_ACTION
            self.gru = nn.GRU(hidden_size + n_out + latent_dim, hidden_size, batch_first=True)
            self.initial_hidden = nn.Identity() if latent_dim == hidden_size else nn.Linear(latent_dim, hidden_size)
            self.head = nn.Sequential(nn.Linear(hidden_size, hidden_size), nn.Tanh(),
                                      nn.Linear(hidden_size, hidden_size), nn.Tanh(), nn.Linear(hidden_size, n_out))
            for name, param in self.named_parameters():
                if "embedding" in name:
                    continue
                if param.dim() >= 2:
                    nn.init.orthogonal_(param)
                else:
                    nn.init.zeros_(param)
        else:
            self.state_encoder = StateEncoder(hidden_size)
            self.action_embedding = nn.Embedding(dsl.NUM_ACTIONS + 2, 32)  # actions, NO_ACTION, start
            self.start_action = dsl.NUM_ACTIONS + 1
            self.gru = nn.GRU(hidden_size + 32 + latent_dim, hidden_size, batch_first=True)
            self.initial_hidden = None
            self.head = nn.Linear(hidden_size, n_out)

    def forward(
        self, z: torch.Tensor, states: torch.Tensor, actions: torch.Tensor, lengths: torch.Tensor | None = None
    ) -> torch.Tensor:
        """z (B, Z), states (B, D, T, 16, H, W), actions (B, D, T), lengths
        (B, D) -> logits (B, D, T, 6). With ``lengths`` (the steps to predict:
        a demo's actions, and its end where the loss asks for it) only those
        steps are encoded, run through the GRU and the head (~4 of 20 in a
        typical padded batch); the logits of the other steps are zero."""
        b, d, t = actions.shape
        if lengths is None:
            return self._dense(z, states, actions)
        # the flat (demo * t + step) positions of the valid steps, in the GRU's packed order
        positions = torch.arange(b * d * t, device=actions.device).reshape(b * d, t, 1)
        order = nn.utils.rnn.pack_padded_sequence(positions, lengths.reshape(-1).clamp(min=1).cpu(),
                                                  batch_first=True, enforce_sorted=False)
        flat = order.data[:, 0]
        demo, step = flat // t, flat % t
        if self.initial_state_only:
            first = self.state_encoder(states[:, :, 0].reshape(b * d, *states.shape[3:]).float())
            feats = first[demo]
        else:
            feats = self.state_encoder(states.reshape(b * d * t, *states.shape[3:])[flat].float())
        prev = actions.reshape(b * d, t)[demo, (step - 1).clamp(min=0)]
        prev = self.action_embedding(torch.where(step == 0, torch.full_like(prev, self.start_action), prev))
        zs = z.repeat_interleave(d, dim=0)[demo]
        packed = order._replace(data=torch.cat([feats, prev, zs], dim=1))
        out, _ = packed_gru(self.gru, packed, self._initial_hidden(z, d))
        logits = self.head(out)
        full = logits.new_zeros(b * d * t, logits.shape[1])
        full[flat] = logits
        return full.reshape(b, d, t, -1)

    def _initial_hidden(self, z: torch.Tensor, d: int) -> torch.Tensor | None:
        """The GRU's initial state for each of the ``d`` demos of each program: ``z`` for the original's policy."""
        if self.initial_hidden is None:
            return None
        return self.initial_hidden(z).repeat_interleave(d, dim=0)[None].contiguous()

    def _dense(self, z: torch.Tensor, states: torch.Tensor, actions: torch.Tensor) -> torch.Tensor:
        """Every step of every demo, padding included: the reference the packed path must match."""
        b, d, t = actions.shape
        if self.initial_state_only:
            states = states[:, :, :1].expand(-1, -1, t, -1, -1, -1)
        feats = self.state_encoder(states.reshape(b * d * t, *states.shape[3:]).float()).reshape(b * d, t, -1)
        prev = torch.cat([torch.full_like(actions[:, :, :1], self.start_action), actions[:, :, :-1]], dim=2)
        prev = self.action_embedding(prev.reshape(b * d, t))
        zs = z[:, None, None, :].expand(-1, d, t, -1).reshape(b * d, t, -1)
        out, _ = self.gru(torch.cat([feats, prev, zs], dim=2), self._initial_hidden(z, d))
        return self.head(out).reshape(b, d, t, -1)
