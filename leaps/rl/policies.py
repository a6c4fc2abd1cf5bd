"""The grid observation's network: 3x3 convolutions that keep the grid's
size (padding 1), then an adaptive max-pool to a fixed 4x4 map, so the same
weights run on any grid size (the paper's 100x100 generalisation test)."""

from __future__ import annotations

from collections.abc import Sequence

import gymnasium as gym
import torch
from torch import nn


class KarelCNN(nn.Module):
    """(N, H, W, 16) 0/1 states -> (N, features_dim) features, for SB3's
    ``features_extractor_class``."""

    def __init__(self, observation_space: gym.spaces.Box, channels: Sequence[int] = (32, 32, 32), pool: int = 4,
                 features_dim: int = 256):
        super().__init__()
        self.features_dim = int(features_dim)
        layers: list[nn.Module] = []
        previous = observation_space.shape[-1]
        for c in channels:
            layers += [nn.Conv2d(previous, int(c), 3, padding=1), nn.ReLU()]
            previous = int(c)
        self.convs = nn.Sequential(*layers, nn.AdaptiveMaxPool2d(int(pool)), nn.Flatten())
        self.linear = nn.Sequential(nn.Linear(previous * int(pool) ** 2, self.features_dim), nn.ReLU())

    def forward(self, observations: torch.Tensor) -> torch.Tensor:
        return self.linear(self.convs(observations.permute(0, 3, 1, 2).float()))
