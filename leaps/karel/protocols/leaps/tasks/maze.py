"""Maze: reach the marker in a random maze."""

from __future__ import annotations

import numpy as np

from leaps.karel.protocols.leaps.registry import register_task
from leaps.karel.protocols.leaps.tasks.base import EpisodeStats, Task
from leaps.karel.world import World, WorldBatch

EAST = 1


@register_task
class Maze(Task):
    """A maze carved depth first from (H-2, 1) (the agent's cell, facing
    East) with the reference's stack discipline; one marker on a random open
    cell. Reward after an action: 1 if the agent stands on the marker."""

    name = "maze"
    default_height = 8
    default_width = 8

    def carve(self, rng: np.random.Generator) -> np.ndarray:
        h, w = self.height, self.width
        walls = np.ones((h, w), dtype=bool)
        start = (h - 2, 1)
        walls[start] = False
        visited = np.zeros((h, w), dtype=bool)
        visited[start] = True
        stack = [start]
        while stack:
            r, c = stack.pop()
            neighbours = [
                (nr, nc)
                for nr, nc in ((r - 2, c), (r + 2, c), (r, c - 2), (r, c + 2))
                if 0 < nr < h - 1 and 0 < nc < w - 1
            ]
            for k in rng.permutation(len(neighbours)):
                nr, nc = neighbours[k]
                if not visited[nr, nc]:
                    stack.append((r, c))
                    walls[(r + nr) // 2, (c + nc) // 2] = False
                    walls[nr, nc] = False
                    visited[nr, nc] = True
                    stack.append((nr, nc))
        return walls

    def sample_world(self, rng: np.random.Generator) -> World:
        walls = self.carve(rng)
        world = World(walls, None, (self.height - 2, 1, EAST))
        while True:
            r, c = int(rng.integers(self.height)), int(rng.integers(self.width))
            if not walls[r, c]:
                world.markers[r, c] = 1
                return world

    @staticmethod
    def marker_cells(worlds: WorldBatch) -> np.ndarray:
        flat = worlds.markers.reshape(len(worlds), -1).argmax(axis=1)
        return np.stack(np.unravel_index(flat, worlds.markers.shape[1:]), axis=1)

    def final_reward(self, stats: EpisodeStats) -> np.ndarray:
        goal = self.marker_cells(stats.initial)[stats.run_world]
        return np.all(stats.agents[:, :2] == goal, axis=1).astype(np.float64)
