"""Harvester: pick every marker of a room full of them."""

from __future__ import annotations

import numpy as np

from leaps.karel.protocols.leaps.registry import register_task
from leaps.karel.protocols.leaps.tasks.base import EpisodeStats, Task
from leaps.karel.world import World

EAST = 1


@register_task
class Harvester(Task):
    """Every inner cell holds one marker (or a random ``marker_prob`` share
    of them); the agent starts at (H-2, 1) facing East. Reward after an
    action: (cells - markers left) / cells, with the reference's lagging
    marker total (a pick by the very last action does not count)."""

    name = "harvester"
    default_height = 8
    default_width = 8

    def __init__(
        self, height: int | None = None, width: int | None = None, marker_prob: float = 1.0,
        call_budget: int | None = None,
    ):
        super().__init__(height, width, call_budget)
        if not 0.0 < marker_prob <= 1.0:
            raise ValueError(f"marker_prob must be in (0, 1], got {marker_prob}")
        self.marker_prob = float(marker_prob)

    @property
    def cells(self) -> int:
        return (self.height - 2) * (self.width - 2)

    def sample_world(self, rng: np.random.Generator) -> World:
        world = World.empty(self.height, self.width, (self.height - 2, 1, EAST))
        if self.marker_prob == 1.0:
            world.markers[1:-1, 1:-1] = 1
        else:
            inner = np.argwhere(~world.walls)
            chosen = rng.choice(len(inner), size=int(self.marker_prob * len(inner)), replace=False)
            world.markers[inner[chosen, 0], inner[chosen, 1]] = 1
        return world

    def final_reward(self, stats: EpisodeStats) -> np.ndarray:
        return (self.cells - stats.total_before_last) / self.cells
