"""A single Karel world, its 16-channel view and its text rendering.

Batches of worlds are plain stacked arrays (:class:`WorldBatch`); the
dynamics live in :mod:`leaps.karel.transitions` so that this class and the
compiled interpreter cannot disagree.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from leaps.karel import transitions as tr
from leaps.karel.dsl import ACTIONS, PERCEPTIONS

NUM_STATE_CHANNELS = 16
"""0-3 agent facing N/E/S/W, 4 wall, 5+k exactly k markers (k = 0..10)."""
DIRECTION_ARROWS = "^>v<"


class ActionError(RuntimeError):
    """A strict-mode action that the reference treats as an error."""


class World:
    """Walls, marker counts and the agent; mutable, cheap to copy."""

    __slots__ = ("walls", "markers", "agent")

    def __init__(self, walls: np.ndarray, markers: np.ndarray | None = None, agent: Sequence[int] = (0, 0, 1)):
        self.walls = np.ascontiguousarray(walls, dtype=np.bool_)
        if markers is None:
            markers = np.zeros(self.walls.shape, dtype=np.int8)
        self.markers = np.ascontiguousarray(markers, dtype=np.int8)
        self.agent = np.array(agent, dtype=np.int64)
        self._validate()

    def _validate(self) -> None:
        h, w = self.walls.shape
        if self.markers.shape != (h, w):
            raise ValueError(f"markers shape {self.markers.shape} differs from walls shape {(h, w)}")
        if self.agent.shape != (3,):
            raise ValueError("agent must be (row, col, dir)")
        row, col, d = (int(x) for x in self.agent)
        if not (0 <= row < h and 0 <= col < w):
            raise ValueError(f"agent at ({row}, {col}) is outside the {h}x{w} grid")
        if not 0 <= d < 4:
            raise ValueError(f"agent direction {d} is not in 0..3")
        if self.walls[row, col]:
            raise ValueError(f"agent at ({row}, {col}) stands on a wall")
        if self.markers.min(initial=0) < 0 or self.markers.max(initial=0) > tr.MAX_MARKERS:
            raise ValueError(f"marker counts must be in 0..{tr.MAX_MARKERS}")

    # ------------------------------------------------------------------
    @classmethod
    def empty(cls, height: int, width: int, agent: Sequence[int] = (1, 1, 1), border: bool = True) -> World:
        walls = np.zeros((height, width), dtype=np.bool_)
        if border:
            walls[0, :] = walls[-1, :] = walls[:, 0] = walls[:, -1] = True
        return cls(walls, None, agent)

    @property
    def shape(self) -> tuple[int, int]:
        return self.walls.shape  # type: ignore[return-value]

    @property
    def row(self) -> int:
        return int(self.agent[0])

    @property
    def col(self) -> int:
        return int(self.agent[1])

    @property
    def direction(self) -> int:
        return int(self.agent[2])

    def copy(self) -> World:
        return World(self.walls.copy(), self.markers.copy(), self.agent.copy())

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, World):
            return NotImplemented
        return (
            np.array_equal(self.walls, other.walls)
            and np.array_equal(self.markers, other.markers)
            and np.array_equal(self.agent, other.agent)
        )

    def __hash__(self) -> int:
        return hash((self.walls.tobytes(), self.markers.tobytes(), self.agent.tobytes()))

    # ------------------------------------------------------------------
    def perceive(self, perception: str | int) -> bool:
        index = PERCEPTIONS.index(perception) if isinstance(perception, str) else perception
        return bool(tr.perceive(self.walls, self.markers, self.agent, index))

    def front_is_clear(self) -> bool:
        return self.perceive(tr.FRONT_IS_CLEAR)

    def left_is_clear(self) -> bool:
        return self.perceive(tr.LEFT_IS_CLEAR)

    def right_is_clear(self) -> bool:
        return self.perceive(tr.RIGHT_IS_CLEAR)

    def markers_present(self) -> bool:
        return self.perceive(tr.MARKERS_PRESENT)

    def no_markers_present(self) -> bool:
        return self.perceive(tr.NO_MARKERS_PRESENT)

    def act(self, action: str | int, strict: bool = False) -> int:
        """Apply an action in place and return its outcome code.

        In strict mode a failing action raises :class:`ActionError` and
        leaves the world unchanged.
        """
        index = ACTIONS.index(action) if isinstance(action, str) else action
        outcome = int(tr.act(self.walls, self.markers, self.agent, index, strict))
        if strict and outcome != tr.OK:
            raise ActionError(f"{ACTIONS[index]}: {tr.OUTCOME_NAMES[outcome]}")
        return outcome

    # ------------------------------------------------------------------
    def to_state(self) -> np.ndarray:
        """The 16-channel boolean view, shape (H, W, 16) as the reference."""
        out = np.zeros((*self.shape, NUM_STATE_CHANNELS), dtype=np.bool_)
        tr.write_state(self.walls, self.markers, self.agent, out)
        return out

    @classmethod
    def from_state(cls, state: np.ndarray) -> World:
        state = np.asarray(state, dtype=bool)
        if state.ndim != 3 or state.shape[2] != NUM_STATE_CHANNELS:
            raise ValueError(f"expected a (H, W, {NUM_STATE_CHANNELS}) state, got shape {state.shape}")
        agent_cells = np.argwhere(state[:, :, :4])
        if len(agent_cells) != 1:
            raise ValueError(f"state must mark exactly one agent cell and direction, found {len(agent_cells)}")
        row, col, d = (int(x) for x in agent_cells[0])
        marker_planes = state[:, :, 5:]
        if not np.all(marker_planes.sum(axis=2) == 1):
            raise ValueError("every cell must have exactly one marker-count channel set")
        markers = marker_planes.argmax(axis=2).astype(np.int8)
        return cls(state[:, :, 4].copy(), markers, (row, col, d))

    # ------------------------------------------------------------------
    def __str__(self) -> str:
        """One character per cell: # wall, . empty, 1-9 markers, X for 10,
        the agent as ^ > v < (lower-case-free: a marked agent cell shows the
        arrow; see ``markers`` for its count)."""
        rows = []
        for r in range(self.shape[0]):
            line = []
            for c in range(self.shape[1]):
                if r == self.row and c == self.col:
                    line.append(DIRECTION_ARROWS[self.direction])
                elif self.walls[r, c]:
                    line.append("#")
                elif self.markers[r, c] == 0:
                    line.append(".")
                else:
                    m = int(self.markers[r, c])
                    line.append("X" if m >= 10 else str(m))
            rows.append("".join(line))
        return "\n".join(rows)

    def __repr__(self) -> str:
        return f"World({self.shape[0]}x{self.shape[1]}, agent={tuple(int(x) for x in self.agent)})\n{self}"

    @classmethod
    def from_string(cls, text: str, direction: int | None = None) -> World:
        """Inverse of ``str(world)``; the agent's own cell holds no markers
        unless set afterwards."""
        lines = [line for line in text.strip("\n").split("\n")]
        h, w = len(lines), len(lines[0])
        if any(len(line) != w for line in lines):
            raise ValueError("all rows of a world must have the same width")
        walls = np.zeros((h, w), dtype=bool)
        markers = np.zeros((h, w), dtype=np.int8)
        agent = None
        for r, line in enumerate(lines):
            for c, ch in enumerate(line):
                if ch == "#":
                    walls[r, c] = True
                elif ch in DIRECTION_ARROWS:
                    if agent is not None:
                        raise ValueError("more than one agent in the world text")
                    agent = (r, c, DIRECTION_ARROWS.index(ch) if direction is None else direction)
                elif ch == "X":
                    markers[r, c] = 10
                elif ch.isdigit():
                    markers[r, c] = int(ch)
                elif ch != ".":
                    raise ValueError(f"unknown world character {ch!r} at ({r}, {c})")
        if agent is None:
            raise ValueError("the world text has no agent (one of ^ > v <)")
        return cls(walls, markers, agent)


@dataclass
class WorldBatch:
    """N worlds of one size as stacked arrays, the interpreter's input."""

    walls: np.ndarray  # (N, H, W) bool
    markers: np.ndarray  # (N, H, W) int8
    agents: np.ndarray  # (N, 3) int64

    def __post_init__(self) -> None:
        self.walls = np.ascontiguousarray(self.walls, dtype=np.bool_)
        self.markers = np.ascontiguousarray(self.markers, dtype=np.int8)
        self.agents = np.ascontiguousarray(self.agents, dtype=np.int64)
        n = len(self.walls)
        if self.markers.shape != self.walls.shape or self.agents.shape != (n, 3):
            raise ValueError("walls (N,H,W), markers (N,H,W) and agents (N,3) must agree")

    @classmethod
    def stack(cls, worlds: Sequence[World]) -> WorldBatch:
        if not worlds:
            raise ValueError("cannot stack an empty list of worlds")
        shapes = {w.shape for w in worlds}
        if len(shapes) != 1:
            raise ValueError(f"worlds in a batch must share one size, got {sorted(shapes)}")
        return cls(
            np.stack([w.walls for w in worlds]),
            np.stack([w.markers for w in worlds]),
            np.stack([w.agent for w in worlds]),
        )

    def __len__(self) -> int:
        return len(self.walls)

    def __getitem__(self, i: int) -> World:
        return World(self.walls[i].copy(), self.markers[i].copy(), self.agents[i].copy())

    def worlds(self) -> list[World]:
        return [self[i] for i in range(len(self))]

    def copy(self) -> WorldBatch:
        return WorldBatch(self.walls.copy(), self.markers.copy(), self.agents.copy())

    def to_states(self) -> np.ndarray:
        """(N, H, W, 16) boolean views."""
        n, h, w = self.walls.shape
        out = np.zeros((n, h, w, NUM_STATE_CHANNELS), dtype=np.bool_)
        for i in range(n):
            tr.write_state(self.walls[i], self.markers[i], self.agents[i], out[i])
        return out

    @classmethod
    def from_states(cls, states: np.ndarray) -> WorldBatch:
        return cls.stack([World.from_state(s) for s in states])
