import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

from leaps.karel import dsl
from leaps.karel.gym_envs import GYM_IDS
from leaps.karel.protocols import carvalho2024
from leaps.karel.tasks import TASK_NAMES, evaluate
from leaps.karel.world import WorldBatch
from tests.karel.tasks.test_tasks import SOLUTIONS

ENV_IDS, CARVALHO2024_ENV_IDS = GYM_IDS["leaps"], GYM_IDS["carvalho2024"]


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


# ------------------------------------------------------ carvalho2024 envs ----
@pytest.mark.parametrize("name", sorted(CARVALHO2024_ENV_IDS))
def test_carvalho2024_env_passes_gymnasium_checks(name):
    env = gym.make(CARVALHO2024_ENV_IDS[name])
    check_env(env.unwrapped, skip_render_check=True)
    assert env.spec.max_episode_steps == 10_000


def test_every_protocol_registers_its_environments():
    assert set(GYM_IDS) == {"leaps", "carvalho2024"}
    for ids in GYM_IDS.values():
        assert all(gym_id in gym.registry for gym_id in ids.values())
    assert gym.spec(ENV_IDS["maze"]).max_episode_steps == 220  # the task's call budget


def test_carvalho2024_ids_name_the_protocol():
    assert CARVALHO2024_ENV_IDS["snake"] == "leaps/Carvalho2024Snake-v0"
    assert set(CARVALHO2024_ENV_IDS) == set(carvalho2024.TASK_NAMES)
    assert not set(CARVALHO2024_ENV_IDS.values()) & set(ENV_IDS.values())


@pytest.mark.parametrize("task", ["harvester", "snake", "doorkey"])
def test_carvalho2024_episode_return_equals_the_protocol_return(task):
    env = gym.make(CARVALHO2024_ENV_IDS[task]).unwrapped
    obs, info = env.reset(options={"world_seed": 3})
    start = carvalho2024.initial_worlds(task, [3])
    assert info["world_seed"] == 3 and obs[:, :, 4].astype(bool).tolist() == start.walls[0].tolist()
    actions = np.random.default_rng(5).integers(0, 5, size=60)
    total, steps = 0.0, []
    for a in actions:
        obs, reward, terminated, truncated, info = env.step(int(a))
        total += reward
        steps.append(int(a))
        if terminated:
            break
    program = "DEF run m( " + " ".join(dsl.ACTIONS[a] for a in steps) + " m)"
    expected = carvalho2024.evaluate([program], task, seeds=[3]).per_world[0, 0]
    assert total == pytest.approx(expected) and info["episode_return"] == pytest.approx(expected)


def test_carvalho2024_snake_crash_terminates_with_the_penalty():
    env = gym.make(CARVALHO2024_ENV_IDS["snake"]).unwrapped
    env.reset(options={"world_seed": 0})  # agent (6, 2) facing East
    rewards = [env.step(a)[1:3] for a in (0, 0, 2, 2, 0)]  # move move, turn back, move into the body
    assert rewards[-1] == (-1.0, True)
    assert env.render() is None


def test_carvalho2024_render_and_seeded_reset():
    env = gym.make(CARVALHO2024_ENV_IDS["cleanhouse"], render_mode="rgb_array")
    a, _ = env.reset(seed=7)
    b, _ = env.reset(seed=7)
    assert np.array_equal(a, b) and a.shape == (14, 22, 16)
    frame = env.render()
    assert frame.shape == (14 * 32, 22 * 32, 3)
