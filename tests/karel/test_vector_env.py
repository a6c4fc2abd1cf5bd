"""The vectorised environment against the single ones: the same actions give
the same observations, rewards, terminations and truncations (Gymnasium's
SyncVectorEnv of the registered single environments is the reference, its
autoreset included), for every task of both protocols."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

from leaps.karel import protocols
from leaps.karel.gym_envs import GYM_IDS
from leaps.karel.protocols.carvalho2024 import get_task as get_carvalho_task
from leaps.karel.protocols.carvalho2024.gym_env import MAX_WORLD_SEED
from leaps.karel.protocols.leaps import evaluate
from leaps.karel.protocols.leaps.vector import REWARD_KINDS
from leaps.karel.vector import OBSERVATIONS, KarelVectorEnv
from leaps.karel.world import World, WorldBatch
from tests.karel.tasks.test_tasks import SOLUTIONS

CASES = [(p, t) for p in protocols.names() for t in protocols.get(p).task_names()]
N = 3


def reference(protocol: str, task: str, max_steps: int) -> gym.vector.SyncVectorEnv:
    gym_id = GYM_IDS[protocol][task]
    return gym.vector.SyncVectorEnv([lambda: gym.make(gym_id, max_episode_steps=max_steps) for _ in range(N)])


def solution_trace(ref: gym.vector.SyncVectorEnv, task: str) -> list[int]:
    """Env 0 follows a program that solves its first world (LEAPS tasks with a
    known solution), so episodes that reach the task's maximum are compared too."""
    if task not in SOLUTIONS or not hasattr(ref.envs[0].unwrapped, "_initial"):
        return []
    world = ref.envs[0].unwrapped._initial
    result = evaluate([SOLUTIONS[task]], task, worlds=WorldBatch.stack([world]), trajectories=True)
    return [int(a) for a in result.trace(0, 0)]


@pytest.mark.parametrize(("protocol", "task"), CASES)
def test_same_as_the_single_environments(protocol, task):
    max_steps = 150 if protocol == "leaps" else 40
    steps = 260 if protocol == "leaps" else 120
    ref = reference(protocol, task, max_steps)
    vec = KarelVectorEnv(task, N, protocol=protocol, max_episode_steps=max_steps)
    ref_obs, _ = ref.reset(seed=7)
    obs, _ = vec.reset(seed=7)
    np.testing.assert_array_equal(obs, ref_obs)
    trace = solution_trace(ref, task)
    rng = np.random.default_rng(0)
    ended = solved = 0
    for t in range(steps):
        actions = rng.integers(0, 5, size=N)
        if t < len(trace):
            actions[0] = trace[t]
        ref_obs, ref_rew, ref_term, ref_trunc, _ = ref.step(actions)
        obs, rew, term, trunc, _ = vec.step(actions)
        np.testing.assert_array_equal(obs, ref_obs, err_msg=f"step {t}")
        np.testing.assert_allclose(rew, ref_rew, atol=1e-12, err_msg=f"step {t}")
        np.testing.assert_array_equal(term, ref_term, err_msg=f"step {t}")
        np.testing.assert_array_equal(trunc, ref_trunc, err_msg=f"step {t}")
        ended += int((term | trunc).sum())
        solved += int(term[0])
    assert ended > 0  # autoresets were compared
    assert solved or not trace  # and an episode that reached the task's maximum


def test_every_leaps_task_has_a_compiled_reward():
    assert set(REWARD_KINDS) == set(protocols.get("leaps").task_names())


def perceptions(state: np.ndarray) -> list[bool]:
    world = World.from_state(state)
    return [world.perceive(p) for p in range(5)]


@pytest.mark.parametrize(("protocol", "task"), [("leaps", "maze"), ("carvalho2024", "doorkey")])
def test_abstract_observation_is_the_perceptions_and_last_action(protocol, task):
    grid = KarelVectorEnv(task, N, protocol=protocol)
    abstract = KarelVectorEnv(task, N, protocol=protocol, obs="abstract", last_action=True)
    g, _ = grid.reset(seed=3)
    a, _ = abstract.reset(seed=3)
    assert a.shape == (N, 11) and abstract.single_observation_space.contains(a[0])
    assert (a[:, 5:10] == 0).all() and (a[:, 10] == 1).all()  # no action yet
    rng = np.random.default_rng(1)
    resetting = np.zeros(N, dtype=bool)
    for _ in range(60):
        actions = rng.integers(0, 5, size=N)
        g, *_ = grid.step(actions)
        a, _, term, trunc, _ = abstract.step(actions)
        for i in range(N):
            assert list(a[i, :5].astype(bool)) == perceptions(g[i])
            assert a[i, 5:].sum() == 1 and a[i, 10 if resetting[i] else 5 + actions[i]] == 1
        resetting = term | trunc


def test_seeding_and_same_step_autoreset():
    kwargs = dict(task="harvester", num_envs=4, protocol="carvalho2024", max_episode_steps=12)
    first, second = KarelVectorEnv(**kwargs), KarelVectorEnv(**kwargs, autoreset_mode="same_step")
    other = KarelVectorEnv(**kwargs)
    o1, info1 = first.reset(seed=5)
    o2, info2 = second.reset(seed=5)
    other.reset(seed=6)
    np.testing.assert_array_equal(o1, o2)
    assert list(info1["world_seed"]) == list(info2["world_seed"]) != list(other.reset(seed=6)[1]["world_seed"])
    rng = np.random.default_rng(0)
    pending = np.zeros(4, dtype=bool)
    for _ in range(40):
        actions = rng.integers(0, 5, size=4)
        o1, r1, t1, u1, _ = first.step(np.where(pending, 0, actions))
        if pending.any():  # next_step: this call reset them; same_step did so one call earlier
            np.testing.assert_array_equal(o1[pending], o2[pending])
            assert (r1[pending] == 0).all()
            o1, r1, t1, u1, _ = o1, r1, t1, u1, None
        o2, r2, t2, u2, info = second.step(actions)
        live = ~pending
        np.testing.assert_array_equal(r1[live], r2[live])
        np.testing.assert_array_equal(t1[live], t2[live])
        done = (t2 | u2) & live
        for i in np.flatnonzero(done):
            np.testing.assert_array_equal(info["final_obs"][i], o1[i])
        pending = done
        if pending.any():
            break
    assert pending.any()


def test_given_worlds_and_bad_input():
    evaluator = protocols.get("leaps").evaluator("maze")
    env = KarelVectorEnv("maze", len(evaluator.worlds))
    obs, _ = env.reset(options={"worlds": env.backend.evaluation_worlds(evaluator)})
    np.testing.assert_array_equal(obs, evaluator.worlds.to_states())
    with pytest.raises(ValueError, match="num_envs"):
        KarelVectorEnv("maze", 0)
    with pytest.raises(ValueError, match="observation kind"):
        KarelVectorEnv("maze", 2, obs="pixels")
    with pytest.raises(ValueError, match="actions must be"):
        env.step(np.full(env.num_envs, 7))
    with pytest.raises(ValueError, match="fixed worlds"):
        KarelVectorEnv("maze", 2, protocol="carvalho2024", height=20)
    assert OBSERVATIONS == ("grid", "abstract")


def assert_slot_is(env: KarelVectorEnv, i: int, world) -> None:
    b = env.backend
    assert np.array_equal(b.walls[i], world.walls) and np.array_equal(b.markers[i], world.markers)
    assert tuple(b.agents[i]) == world.agent and np.array_equal(b.params[i], world.params)
    assert np.array_equal(b.food[i, : len(world.food)], world.food)


@pytest.mark.parametrize("name", ["snake", "harvester"])
def test_carvalho2024_resets_draw_their_seeds_worlds_in_one_batch(name):
    """Every reset's info names the world seed each resetting env drew from
    its own generator (the single env's draw), and that slot holds the task's
    world of that seed (Snake's food included); given worlds load the same way."""
    task = get_carvalho_task(name)
    env = KarelVectorEnv(name, 6, protocol="carvalho2024")
    _, info = env.reset(seed=11)
    expect = [int(np.random.default_rng(11 + i).integers(MAX_WORLD_SEED)) for i in range(6)]
    assert list(info["world_seed"]) == expect and info["_world_seed"].all()
    for i in range(6):
        assert_slot_is(env, i, task.generate(expect[i]))
    if name == "harvester":  # a put ends a Harvester episode: envs 1 and 4 reset on the next call
        _, _, term, _, _ = env.step(np.array([0, 4, 1, 2, 4, 0]))
        assert list(np.flatnonzero(term)) == [1, 4]
        _, _, _, _, info = env.step(np.zeros(6, dtype=np.int64))
        assert list(np.flatnonzero(info["_world_seed"])) == [1, 4]
        assert (info["world_seed"][[0, 2, 3, 5]] == 0).all()
        expect = [int(np.random.default_rng(11 + i).integers(MAX_WORLD_SEED, size=2)[1]) for i in (1, 4)]
        assert list(info["world_seed"][[1, 4]]) == expect
        assert_slot_is(env, 1, task.generate(expect[0]))
        assert_slot_is(env, 4, task.generate(expect[1]))
    seeds = [5, 0, 2**32 - 1, 5, 9, 12]
    _, info = env.reset(options={"worlds": seeds})
    assert info == {}
    for i, seed in enumerate(seeds):
        assert_slot_is(env, i, task.generate(seed))


def test_gymnasium_make_vec():
    env = gym.make_vec(GYM_IDS["leaps"]["harvester"], num_envs=5, obs="abstract")
    assert isinstance(env, KarelVectorEnv) and env.max_episode_steps == 220
    obs, _ = env.reset(seed=0)
    assert obs.shape == (5, 5)
