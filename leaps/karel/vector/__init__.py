"""Batched Karel environments for neural policies: :class:`KarelVectorEnv`
(a Gymnasium ``VectorEnv`` stepping N episodes per call in compiled code,
every task of every protocol) and the observation kinds it offers.

    from leaps.karel.vector import KarelVectorEnv
    env = KarelVectorEnv("harvester", num_envs=256, protocol="leaps", obs="abstract", last_action=True)

The same through Gymnasium: ``gym.make_vec("leaps/Harvester-v0", num_envs=256)`` (after ``import
leaps.karel.gym_envs``).
"""

from leaps.karel.vector.env import AUTORESET_MODES, KarelVectorEnv
from leaps.karel.vector.observations import OBSERVATIONS, observation_space

__all__ = ["AUTORESET_MODES", "OBSERVATIONS", "KarelVectorEnv", "observation_space"]
