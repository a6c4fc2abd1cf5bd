import numpy as np
from PIL import Image

from leaps.karel.rendering import CELL, render_world, rollout_worlds, save_png, save_rollout
from leaps.karel.tasks import evaluate, get_task
from tests.karel.tasks.test_tasks import SOLUTIONS


def test_png_and_gif_of_a_harvester_solution(tmp_path):
    task = get_task("harvester")
    result = evaluate([SOLUTIONS["harvester"]], task, seed=0, n_worlds=1, trajectories=True)
    world = result.worlds[0]
    actions = result.trace(0, 0)
    png = save_png(world, tmp_path / "harvester.png")
    image = Image.open(png)
    assert image.size == (8 * CELL, 8 * CELL)
    frames = rollout_worlds(world, actions)
    assert len(frames) == len(actions) + 1
    assert frames[-1].markers.sum() == 0  # everything harvested
    gif = save_rollout(frames, tmp_path / "harvester.gif")
    anim = Image.open(gif)
    assert anim.n_frames == len(frames)
    assert gif.stat().st_size > 1000


def test_agent_sprite_points_where_it_faces():
    world = get_task("fourcorner").sample_world(np.random.default_rng(0))
    pixels = {}
    for d in range(4):
        world.agent[2] = d
        pixels[d] = np.asarray(render_world(world))
    assert all(not np.array_equal(pixels[a], pixels[b]) for a in range(4) for b in range(a + 1, 4))


def test_gif_of_a_carvalho2024_rollout(tmp_path):
    from leaps.karel.protocols.carvalho2024.rollout import rollout

    episode = rollout("DEF run m( move move turnLeft move m)", "doorkey", seed=0)
    gif = save_rollout(episode.frames, tmp_path / "doorkey.gif")
    assert Image.open(gif).n_frames == len(episode.frames) == episode.num_actions + 1
    assert Image.open(save_png(episode.frames[-1], tmp_path / "last.png")).size == (8 * CELL, 8 * CELL)
