import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

from leaps.karel import dsl
from leaps.karel.gym_envs import ENV_IDS
from leaps.karel.tasks import TASK_NAMES, evaluate
from leaps.karel.world import WorldBatch
from tests.karel.tasks.test_tasks import SOLUTIONS


@pytest.mark.parametrize("name", TASK_NAMES)
def test_env_passes_gymnasium_checks(name):
    env = gym.make(ENV_IDS[name])
    check_env(env.unwrapped, skip_render_check=True)
    obs, _ = env.reset(seed=0)
    assert obs.shape[-1] == 16


def test_episode_return_equals_the_leaps_return():
    env = gym.make(ENV_IDS["harvester"]).unwrapped
    obs, _ = env.reset(seed=1)
    world = env._initial.copy()
    result = evaluate([SOLUTIONS["harvester"]], "harvester", worlds=WorldBatch.stack([world]), trajectories=True)
    total, terminated = 0.0, False
    for a in result.trace(0, 0):
        obs, reward, terminated, truncated, info = env.step(int(a))
        total += reward
        if terminated:
            break
    assert terminated and total == pytest.approx(1.0)
    assert env.render() is None  # no render mode chosen
    assert dsl.ACTIONS[0] == "move"


def test_render_modes():
    env = gym.make(ENV_IDS["maze"], render_mode="rgb_array")
    env.reset(seed=0)
    frame = env.render()
    assert isinstance(frame, np.ndarray) and frame.ndim == 3
