"""``import leaps.karel.gym_envs`` registers a Gymnasium environment for
every task of every protocol (the registry in leaps.karel.protocols):
``leaps/Harvester-v0`` etc. under the LEAPS protocol
(protocols/leaps/gym_env.py), ``leaps/Carvalho2024Snake-v0`` etc. under
carvalho2024 (protocols/carvalho2024/gym_env.py).

``GYM_IDS[protocol][task]`` is the id of a task's environment.
"""

from __future__ import annotations

from leaps.karel import protocols


def _register_all() -> dict[str, dict[str, str]]:
    ids = {}
    for name in protocols.names():
        protocol = protocols.get(name)
        protocol.register_gym_envs()
        ids[name] = protocol.gym_ids()
    return ids


GYM_IDS: dict[str, dict[str, str]] = _register_all()
