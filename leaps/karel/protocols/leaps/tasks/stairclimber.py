"""StairClimber: climb a diagonal staircase to the marker."""

from __future__ import annotations

import numpy as np

from leaps.karel.protocols.leaps.registry import register_task
from leaps.karel.protocols.leaps.tasks.base import EpisodeStats, Task
from leaps.karel.protocols.leaps.tasks.maze import Maze
from leaps.karel.world import World, WorldBatch

EAST = 1


@register_task
class StairClimber(Task):
    """Walls on the border and, for i = 0, 1, ... while inside the grid, on
    (H-1-i, 2+i) and (H-2-i, 2+i). The agent (facing East) and one marker
    stand on two distinct stair cells, the agent to the left. Reward after an
    action: 1 if that action brought the agent onto the marker for the first
    time, else 0 (so the return counts only an arrival by the last action)."""

    name = "stairclimber"
    default_height = 12
    default_width = 12
    min_size = 5

    def layout(self) -> tuple[np.ndarray, list[tuple[int, int]]]:
        """Walls and the stair cells (one per column, left to right)."""
        h, w = self.height, self.width
        walls = np.zeros((h, w), dtype=bool)
        walls[0, :] = walls[-1, :] = walls[:, 0] = walls[:, -1] = True
        stairs: set[tuple[int, int]] = set()
        r, c = h - 1, 2
        while r > 0 and c < w:
            walls[r, c] = walls[r - 1, c] = True
            if r - 1 > 0 and c - 1 > 0:
                stairs.add((r - 1, c - 1))
            if r - 2 > 0 and c > 0:
                stairs.add((r - 2, c))
            r, c = r - 1, c + 1
        return walls, sorted(stairs, key=lambda cell: cell[1])

    def sample_world(self, rng: np.random.Generator) -> World:
        walls, stairs = self.layout()
        agent_idx, marker_idx = sorted(int(i) for i in rng.choice(len(stairs), size=2, replace=False))
        (ar, ac), (mr, mc) = stairs[agent_idx], stairs[marker_idx]
        world = World(walls, None, (ar, ac, EAST))
        world.markers[mr, mc] = 1
        return world

    def targets(self, worlds: WorldBatch) -> np.ndarray:
        return Maze.marker_cells(worlds).astype(np.int64)

    def final_reward(self, stats: EpisodeStats) -> np.ndarray:
        return (stats.first_visit == stats.lengths - 1).astype(np.float64)
