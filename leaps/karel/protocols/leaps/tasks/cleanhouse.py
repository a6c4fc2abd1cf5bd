"""CleanHouse: collect the markers scattered along the walls of a fixed house."""

from __future__ import annotations

import numpy as np

from leaps.karel.protocols.leaps.registry import register_task
from leaps.karel.protocols.leaps.tasks.base import EpisodeStats, Task
from leaps.karel.world import World

SOUTH = 2
HOUSE = """\
######################
#..##########.#......#
#..#..........#####.##
##.#................##
##........#.........##
###.#.###.#..###.#.###
#...#...#....#...#..##
#...#...#....#...#...#
#...#...#....#...##..#
#...#...##..##...##.##
#...#...##..##...#..##
#...#...##..##...#..##
#...#...##..##...#..##
######################"""
AGENT = (1, 13)
EXCLUDED = ((1, 13), (2, 12), (3, 10), (4, 11), (5, 11), (6, 10))
DOUBLE_MARKER = (2, 12)
NUM_MARKERS = 10
CANDIDATE_COLUMNS = 13


@register_task
class CleanHouse(Task):
    """The reference's fixed 14x22 house; agent at (1, 13) facing South; 10
    markers on random free cells (columns < 13) next to a wall, never on the
    excluded cells; 2 markers on (2, 12). Reward: the share of the 10 marker
    cells that are now empty."""

    name = "cleanhouse"
    default_height = 14
    default_width = 22
    fixed_size = True

    @staticmethod
    def walls() -> np.ndarray:
        return np.array([[ch == "#" for ch in line] for line in HOUSE.split("\n")], dtype=bool)

    @staticmethod
    def candidates(walls: np.ndarray) -> list[tuple[int, int]]:
        """Free cells beside a wall, by the reference's (asymmetric) rule, sorted."""
        h = walls.shape[0]
        cells: set[tuple[int, int]] = set()
        for r in range(h):
            for c in range(CANDIDATE_COLUMNS):
                if not walls[r, c]:
                    continue
                if r - 1 > 0 and not walls[r - 1, c]:
                    cells.add((r - 1, c))
                if r + 1 < h - 1 and not walls[r + 1, c]:
                    cells.add((r + 1, c))
                if c - 1 > 0 and not walls[r, c - 1]:
                    cells.add((r, c - 1))
                if c + 1 < CANDIDATE_COLUMNS - 1 and not walls[r, c + 1]:
                    cells.add((r, c + 1))
        return sorted(cells)

    def sample_world(self, rng: np.random.Generator) -> World:
        walls = self.walls()
        world = World(walls, None, (*AGENT, SOUTH))
        world.markers[DOUBLE_MARKER] = 2
        cells = self.candidates(walls)
        placed = 0
        for k in rng.permutation(len(cells)):
            cell = cells[k]
            if cell in EXCLUDED:
                continue
            world.markers[cell] = 1
            placed += 1
            if placed == NUM_MARKERS:
                break
        return world

    def final_reward(self, stats: EpisodeStats) -> np.ndarray:
        initial = stats.initial.markers[stats.run_world]  # (R, H, W)
        marked = initial == 1  # the 10 single-marker cells
        cleaned = (marked & (stats.markers == 0)).sum(axis=(1, 2))
        return cleaned / marked.sum(axis=(1, 2))
