"""Random worlds for the dataset (KAREL_SPEC.md, "Dataset worlds")."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from leaps.karel.world import World, WorldBatch


@dataclass
class WorldGenerator:
    """Border walls, inner walls with ``wall_prob``, one marker on a free
    cell with ``marker_prob``, the agent on a random free cell facing a
    random direction."""

    height: int = 8
    width: int = 8
    wall_prob: float = 0.1
    marker_prob: float = 0.1

    def __post_init__(self) -> None:
        if self.height < 3 or self.width < 3:
            raise ValueError(f"a world needs at least 3x3 cells (border walls), got {self.height}x{self.width}")
        for name in ("wall_prob", "marker_prob"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must be in [0, 1], got {getattr(self, name)}")

    def sample(self, rng: np.random.Generator) -> World:
        h, w = self.height, self.width
        walls = np.ones((h, w), dtype=bool)
        walls[1:-1, 1:-1] = rng.random((h - 2, w - 2)) < self.wall_prob
        free = np.argwhere(~walls)
        if len(free) == 0:  # every inner cell drew a wall: free one
            walls[1, 1] = False
            free = np.array([[1, 1]])
        markers = np.zeros((h, w), dtype=np.int8)
        markers[~walls] = rng.random(len(free)) < self.marker_prob
        row, col = free[int(rng.integers(len(free)))]
        return World(walls, markers, (int(row), int(col), int(rng.integers(4))))

    def sample_batch(self, n: int, rng: np.random.Generator) -> WorldBatch:
        """``n`` worlds drawn one by one with :meth:`sample`."""
        return WorldBatch.stack([self.sample(rng) for _ in range(n)])

    def sample_fast(self, n: int, rng: np.random.Generator) -> WorldBatch:
        """``n`` worlds from the same distribution, drawn with whole-array
        operations (a different draw order than :meth:`sample_batch`); for
        dataset generation, where world sampling would dominate."""
        h, w = self.height, self.width
        walls = np.ones((n, h, w), dtype=bool)
        walls[:, 1:-1, 1:-1] = rng.random((n, h - 2, w - 2)) < self.wall_prob
        free = ~walls.reshape(n, -1)
        count = free.sum(axis=1)
        if np.any(count == 0):  # every inner cell drew a wall: free one
            walls[count == 0, 1, 1] = False
            free = ~walls.reshape(n, -1)
            count = free.sum(axis=1)
        markers = ((rng.random((n, h, w)) < self.marker_prob) & ~walls).astype(np.int8)
        pick = np.minimum((rng.random(n) * count).astype(np.int64), count - 1)
        cell = np.argmax(np.cumsum(free, axis=1) > pick[:, None], axis=1)
        agents = np.stack([cell // w, cell % w, rng.integers(0, 4, size=n)], axis=1)
        return WorldBatch(walls, markers, agents)
