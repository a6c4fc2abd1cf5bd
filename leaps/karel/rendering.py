"""Worlds to pictures: PNG frames and GIF/MP4 rollouts (docs, W&B media).

Sprites are drawn with Pillow (no image assets): walls as dark blocks,
markers as a disc with their count, the agent as a triangle pointing where
it faces.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from leaps.karel import transitions as tr
from leaps.karel.world import World

CELL = 32
FLOOR = (245, 243, 235)
GRID = (210, 206, 195)
WALL = (70, 72, 80)
MARKER = (222, 128, 40)
MARKER_TEXT = (255, 255, 255)
AGENT = (40, 90, 200)


def _font() -> ImageFont.ImageFont:
    return ImageFont.load_default()


def render_world(world: World, cell: int = CELL) -> Image.Image:
    h, w = world.shape
    image = Image.new("RGB", (w * cell, h * cell), FLOOR)
    draw = ImageDraw.Draw(image)
    font = _font()
    for r in range(h):
        for c in range(w):
            x0, y0 = c * cell, r * cell
            box = (x0, y0, x0 + cell - 1, y0 + cell - 1)
            if world.walls[r, c]:
                draw.rectangle(box, fill=WALL)
                continue
            draw.rectangle(box, outline=GRID)
            count = int(world.markers[r, c])
            if count:
                pad = cell // 6
                draw.ellipse((x0 + pad, y0 + pad, x0 + cell - pad, y0 + cell - pad), fill=MARKER)
                if count > 1:
                    draw.text((x0 + cell // 2, y0 + cell // 2), str(count), fill=MARKER_TEXT, font=font, anchor="mm")
    r, c, d = world.row, world.col, world.direction
    cx, cy, s = c * cell + cell / 2, r * cell + cell / 2, cell * 0.38
    tip = (cx + tr.DIR_COL[d] * s, cy + tr.DIR_ROW[d] * s)
    # the base is perpendicular to the facing direction
    px, py = -tr.DIR_ROW[d], tr.DIR_COL[d]
    back = (cx - tr.DIR_COL[d] * s * 0.7, cy - tr.DIR_ROW[d] * s * 0.7)
    left = (back[0] + px * s * 0.8, back[1] + py * s * 0.8)
    right = (back[0] - px * s * 0.8, back[1] - py * s * 0.8)
    draw.polygon([tip, left, right], fill=AGENT)
    return image


def save_png(world: World, path: str | Path, cell: int = CELL) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    render_world(world, cell).save(path)
    return path


def rollout_worlds(initial: World, actions: Sequence[int]) -> list[World]:
    """The initial world and the world after each action (lenient mode)."""
    worlds = [initial.copy()]
    current = initial.copy()
    for a in actions:
        current.act(int(a))
        worlds.append(current.copy())
    return worlds


def save_rollout(
    frames: Sequence[World] | np.ndarray, path: str | Path, fps: float = 8.0, cell: int = CELL
) -> Path:
    """Worlds (or (T, H, W, 16) states) to an animated GIF, or an MP4 when the
    path ends in .mp4 (needs imageio's ffmpeg plugin)."""
    worlds = [World.from_state(f) for f in frames] if isinstance(frames, np.ndarray) else list(frames)
    if not worlds:
        raise ValueError("a rollout needs at least one frame")
    images = [render_world(w, cell) for w in worlds]
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix.lower() == ".mp4":
        import imageio.v3 as iio

        try:
            iio.imwrite(path, np.stack([np.asarray(im) for im in images]), fps=fps)
        except Exception as err:  # ffmpeg plugin missing or failing
            raise RuntimeError(f"could not write {path}: MP4 needs imageio's ffmpeg plugin ({err})") from err
        return path
    images[0].save(
        path, save_all=True, append_images=images[1:], duration=max(int(1000 / fps), 20), loop=0, optimize=False,
        disposal=1,
    )
    return path
