"""What a protocol gives the vectorised environment (one subclass per
protocol, in its folder: ``protocols/<name>/vector.py``): per-environment
world arrays, random and given initial worlds, and one compiled step of the
whole batch with the protocol's rewards and termination."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any

import numpy as np


class VectorBackend(ABC):
    """The state of ``num_envs`` episodes of one task as stacked arrays.

    Shared arrays, read by the observation writers: ``walls`` (N, H, W) bool,
    ``markers`` (N, H, W) int8 (what perceptions read), ``shown`` (the marker
    grid drawn in the grid observation; ``markers`` itself except for tasks
    that draw something else) and ``agents`` (N, 3) int64."""

    height: int
    width: int
    default_max_steps: int
    """Actions per episode before truncation when the caller does not say
    (the single environment's ``max_episode_steps``)."""

    def __init__(self, num_envs: int):
        h, w = self.height, self.width
        self.num_envs = num_envs
        self.walls = np.zeros((num_envs, h, w), dtype=np.bool_)
        self.markers = np.zeros((num_envs, h, w), dtype=np.int8)
        self.agents = np.zeros((num_envs, 3), dtype=np.int64)
        self.shown = self.markers

    @abstractmethod
    def draw(self, i: int, rng: np.random.Generator) -> dict[str, Any]:
        """Put a new random initial world, drawn from ``rng`` as the single
        environment's reset draws it, in slot ``i``; returns reset info."""

    @abstractmethod
    def load(self, i: int, world: Any) -> None:
        """Put a given initial world in slot ``i`` (the protocol's kind: a
        World under leaps, a task seed under carvalho2024)."""

    def draw_many(self, indices: np.ndarray, rngs: Sequence[np.random.Generator]) -> dict[str, np.ndarray]:
        """:meth:`draw` for every slot ``i`` of ``indices`` from ``rngs[i]``;
        returns each reset info key's values, one int64 per index (0 where a
        draw gave none). A backend that can draw all worlds in one compiled
        call overrides this, since resets happen on most steps."""
        infos: dict[str, np.ndarray] = {}
        for k, i in enumerate(indices):
            for key, value in self.draw(int(i), rngs[i]).items():
                infos.setdefault(key, np.zeros(len(indices), dtype=np.int64))[k] = value
        return infos

    def load_many(self, indices: np.ndarray, worlds: Sequence[Any]) -> None:
        """:meth:`load` of ``worlds[i]`` into every slot ``i`` of ``indices``."""
        for i in indices:
            self.load(int(i), worlds[i])

    @abstractmethod
    def start(self, indices: np.ndarray) -> None:
        """Begin the episodes of the slots ``indices`` (their worlds loaded)."""

    @abstractmethod
    def step(self, actions: np.ndarray, active: np.ndarray, rewards: np.ndarray, terminated: np.ndarray) -> None:
        """One action in every ``active`` episode: fill ``rewards`` and
        ``terminated`` (the others get 0 and False)."""

    def evaluation_worlds(self, evaluator: Any) -> list[Any]:
        """The initial worlds an evaluator of this protocol scores on, as :meth:`load` takes them."""
        raise NotImplementedError
