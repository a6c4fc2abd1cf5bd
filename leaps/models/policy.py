"""The latent behaviour policy (loss L): imitates a program's demonstrations
from its latent, so that the latent space encodes behaviour."""

from __future__ import annotations

import torch
from torch import nn

from leaps.karel import dsl
from leaps.karel.world import NUM_STATE_CHANNELS


class StateEncoder(nn.Module):
    """Small conv net over the (16, H, W) world view."""

    def __init__(self, out_dim: int = 256):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(NUM_STATE_CHANNELS, 32, 3, padding=1), nn.ReLU(),
            nn.Conv2d(32, 32, 3, padding=1), nn.ReLU(),
            nn.AdaptiveAvgPool2d(4), nn.Flatten(), nn.Linear(32 * 16, out_dim), nn.ReLU(),
        )

    def forward(self, states: torch.Tensor) -> torch.Tensor:
        return self.net(states)


class LatentBehaviourPolicy(nn.Module):
    """Predicts each demonstration's next action from the current state, the
    previous action and the program's latent. With ``initial_state_only``
    (the LEAPSP/LEAPSPR setting of the reference) it sees only the first
    state."""

    def __init__(self, latent_dim: int = 256, hidden_size: int = 256, initial_state_only: bool = False):
        super().__init__()
        self.initial_state_only = initial_state_only
        self.state_encoder = StateEncoder(hidden_size)
        self.action_embedding = nn.Embedding(dsl.NUM_ACTIONS + 2, 32)  # actions, NO_ACTION, start
        self.start_action = dsl.NUM_ACTIONS + 1
        self.gru = nn.GRU(hidden_size + 32 + latent_dim, hidden_size, batch_first=True)
        self.head = nn.Linear(hidden_size, dsl.NUM_ACTIONS + 1)

    def forward(
        self, z: torch.Tensor, states: torch.Tensor, actions: torch.Tensor, lengths: torch.Tensor | None = None
    ) -> torch.Tensor:
        """z (B, Z), states (B, D, T, 16, H, W), actions (B, D, T), lengths
        (B, D) -> logits (B, D, T, 6). Steps past a demo's length are neither
        encoded nor run through the GRU (most of a padded batch): only their
        logits are meaningless."""
        b, d, t = actions.shape
        if self.initial_state_only:
            states = states[:, :, :1].expand(-1, -1, t, -1, -1, -1)
        flat = states.reshape(b * d * t, *states.shape[3:])
        if lengths is None:
            feats = self.state_encoder(flat.float())
        else:
            valid = (torch.arange(t, device=actions.device)[None, None, :] < lengths[..., None]).reshape(-1)
            encoded = self.state_encoder(flat[valid].float())
            feats = encoded.new_zeros(b * d * t, encoded.shape[1])
            feats[valid] = encoded
        feats = feats.reshape(b * d, t, -1)
        prev = torch.cat([torch.full_like(actions[:, :, :1], self.start_action), actions[:, :, :-1]], dim=2)
        prev = self.action_embedding(prev.reshape(b * d, t))
        zs = z[:, None, None, :].expand(-1, d, t, -1).reshape(b * d, t, -1)
        inputs = torch.cat([feats, prev, zs], dim=2)
        if lengths is None:
            out, _ = self.gru(inputs)
        else:  # the GRU runs only over each demo's own steps (~4 of 20 in a typical batch): same valid outputs
            packed = nn.utils.rnn.pack_padded_sequence(inputs, lengths.reshape(-1).clamp(min=1).cpu(),
                                                       batch_first=True, enforce_sorted=False)
            out, _ = nn.utils.rnn.pad_packed_sequence(self.gru(packed)[0], batch_first=True, total_length=t)
        return self.head(out).reshape(b, d, t, -1)
