"""FourCorner: put one marker in each inner corner of an empty room."""

from __future__ import annotations

import numpy as np

from leaps.karel.protocols.leaps.registry import register_task
from leaps.karel.protocols.leaps.tasks.base import EpisodeStats, Task
from leaps.karel.world import World

EAST = 1


@register_task
class FourCorner(Task):
    """Empty room, agent at (H-2, 2) facing East. Reward after an action:
    0.25 per inner corner holding exactly one marker, but 0 when the
    reference's (lagging) marker total exceeds the number of such corners."""

    name = "fourcorner"
    default_height = 12
    default_width = 12
    min_size = 5

    def corners(self) -> tuple[tuple[int, int], ...]:
        h, w = self.height, self.width
        return ((1, 1), (h - 2, 1), (h - 2, w - 2), (1, w - 2))

    def sample_world(self, rng: np.random.Generator) -> World:
        return World.empty(self.height, self.width, (self.height - 2, 2, EAST))

    def final_reward(self, stats: EpisodeStats) -> np.ndarray:
        rows, cols = np.array(self.corners()).T
        correct = (stats.markers[:, rows, cols] == 1).sum(axis=1)
        return np.where(stats.total_before_last - correct > 0, 0.0, 0.25 * correct)
