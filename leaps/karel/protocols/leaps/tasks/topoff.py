"""TopOff: put a second marker on every marked cell of the bottom row."""

from __future__ import annotations

import numpy as np

from leaps.karel.protocols.leaps.registry import register_task
from leaps.karel.protocols.leaps.tasks.base import EpisodeStats, Task
from leaps.karel.world import World

EAST = 1


@register_task
class TopOff(Task):
    """Empty room, agent at (H-2, 1) facing East; each bottom-row cell
    (H-2, 1..W-3) holds a marker with ``marker_prob``, the last one (H-2, W-2)
    never, or always with ``last_marked`` (the reference's generator called
    without ``is_top_off``, as its environment reset calls it: the worlds a
    search redraws, :meth:`reset_variant`). Reward: walking the bottom row
    from column 1 to the agent's column, +1 per cell until the first wrong
    one (started marked: must hold 2; started empty: must hold 0); +1 more if
    all W-2 are right and the agent stands on (H-2, W-2); divided by W-1."""

    name = "topoff"
    default_height = 12
    default_width = 12

    def __init__(
        self, height: int | None = None, width: int | None = None, marker_prob: float = 0.25,
        call_budget: int | None = None, last_marked: bool = False,
    ):
        super().__init__(height, width, call_budget)
        if not 0.0 <= marker_prob <= 1.0:
            raise ValueError(f"marker_prob must be in [0, 1], got {marker_prob}")
        self.marker_prob = float(marker_prob)
        self.last_marked = bool(last_marked)

    def reset_variant(self) -> TopOff:
        # the reference's ExecEnv2.reset() draws TopOff worlds without is_top_off: the last cell is marked
        return TopOff(self.height, self.width, self.marker_prob, self.call_budget, last_marked=True)

    def sample_world(self, rng: np.random.Generator) -> World:
        h, w = self.height, self.width
        world = World.empty(h, w, (h - 2, 1, EAST))
        world.markers[h - 2, 1 : w - 1] = rng.random(w - 2) > 1 - self.marker_prob
        world.markers[h - 2, w - 2] = int(self.last_marked)
        return world

    def final_reward(self, stats: EpisodeStats) -> np.ndarray:
        h, w = self.height, self.width
        started = stats.initial.markers[stats.run_world, h - 2, 1 : w - 1] > 0  # (R, W-2)
        now = stats.markers[:, h - 2, 1 : w - 1]
        right = np.where(started, now == 2, now == 0)
        # columns 1..agent column are walked; the count stops at the first wrong cell
        walked = np.arange(1, w - 1)[None, :] <= stats.agents[:, 1:2]
        score = np.cumprod(right & walked, axis=1).sum(axis=1)
        at_end = (stats.agents[:, 0] == h - 2) & (stats.agents[:, 1] == w - 2)
        score = score + ((score == w - 2) & at_end)
        return score / (w - 1)
