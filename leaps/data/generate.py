"""``python -m leaps.data.generate [key=value ...]``: the stage-1 dataset
of random programs with strict-mode demonstrations (``conf/data/karel.yaml``;
keys may be given bare, ``num_programs=1000``, or as ``data.num_programs=1000``).

Work is cut into shards of a fixed size, each drawn from its own generator
seeded by (seed, shard index); shards are merged in order and duplicates
dropped, so the file is the same for a seed whatever the number of workers.
"""

from __future__ import annotations

import json
import multiprocessing as mp
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException
from tqdm import tqdm

from leaps import config_dir
from leaps.data.demonstrations import select_covering
from leaps.data.format import DatasetError, ProgramDataset, write_dataset
from leaps.karel import dsl
from leaps.karel.interpreter import Mode, Status, run_pairs
from leaps.karel.program_generator import SEQUENCE_DEPTH, ProgramGenerator
from leaps.karel.world_generator import WorldGenerator

NOT_CONTENT = ("path", "workers", "progress")
"""Config keys that do not change the file's content (left out of its attributes)."""
GENERATOR_VERSION = 2
"""Bumped whenever the same config would produce different content
(2: programs shuffled before the split, so train/val/test are alike)."""
SHUFFLE_STREAM = 1
"""Spawn key of the generator that shuffles programs before the split (the
shards use entropy (seed, shard index) without one)."""
MAX_MISSES = 20_000
"""Draws in a row without a new distinct program before settings that allow
too few programs are reported (instead of looping for ever)."""
MAX_EMPTY_ROUNDS = 50
"""Rounds in a row in which no program got its demonstrations, likewise."""
CONF_DIR = config_dir() / "data"


@dataclass
class Shard:
    programs: list[list[int]]
    walls: np.ndarray  # (S, D, H, W)
    markers: np.ndarray
    agents: np.ndarray  # (S, D, 3)
    actions: list[list[np.ndarray]]  # per program, per demo


def split_sizes(cfg: DictConfig) -> dict[str, int]:
    total = int(cfg.num_programs)
    if total < 1:
        raise ValueError(f"num_programs must be >= 1, got {total}")
    fractions = [float(cfg.split.train), float(cfg.split.val), float(cfg.split.test)]
    if any(f < 0 for f in fractions) or abs(sum(fractions) - 1.0) > 1e-6:
        raise ValueError(f"split fractions must be >= 0 and sum to 1, got {fractions}")
    train = int(round(total * fractions[0]))
    val = int(round(total * fractions[1]))
    return {"train": train, "val": val, "test": total - train - val}


def _check(cfg: DictConfig) -> None:
    for key in ("seed", "num_programs", "shard_size", "workers", "candidates_per_round", "max_depth", "max_nesting",
                "height", "width", "num_demos", "world_pool", "demo_budget", "min_demo_actions", "max_demo_actions",
                "max_program_tokens"):
        value = cfg.get(key)
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"{key} must be an integer, got {value!r}")
    for key in ("candidates_per_round", "max_depth", "demo_budget", "max_program_tokens"):
        if cfg[key] < 1:
            raise ValueError(f"{key} must be >= 1, got {cfg[key]}")
    if cfg.max_nesting < 0:
        raise ValueError(f"max_nesting must be >= 0, got {cfg.max_nesting}")
    ProgramGenerator(sequence_depth=cfg.get("sequence_depth", SEQUENCE_DEPTH))  # its own check, up front
    if not 1 <= cfg.num_demos <= cfg.world_pool:
        raise ValueError(f"need 1 <= num_demos ({cfg.num_demos}) <= world_pool ({cfg.world_pool})")
    if not 0 <= cfg.min_demo_actions <= cfg.max_demo_actions:
        raise ValueError("need 0 <= min_demo_actions <= max_demo_actions")
    if cfg.shard_size < 1 or cfg.workers < 1:
        raise ValueError("shard_size and workers must be >= 1")
    if cfg.max_demo_actions > 255 or cfg.max_program_tokens > dsl.MAX_PROGRAM_TOKENS:
        raise ValueError(f"max_demo_actions must be <= 255 and max_program_tokens <= {dsl.MAX_PROGRAM_TOKENS}")


def generate_shard(cfg: DictConfig, shard_index: int) -> Shard:
    """``cfg.shard_size`` programs with demonstrations, deterministic in
    (cfg.seed, shard_index) alone."""
    rng = np.random.default_rng(np.random.SeedSequence([int(cfg.seed), int(shard_index)]))
    programs_gen = ProgramGenerator(max_depth=cfg.max_depth, max_nesting=cfg.max_nesting,
                                    sequence_depth=cfg.get("sequence_depth", SEQUENCE_DEPTH))
    worlds_gen = WorldGenerator(cfg.height, cfg.width, cfg.wall_prob, cfg.marker_prob)
    d, pool = int(cfg.num_demos), int(cfg.world_pool)
    seen: set[tuple[int, ...]] = set()
    out = Shard([], np.zeros((0,)), np.zeros((0,)), np.zeros((0,)), [])
    walls, markers, agents = [], [], []
    empty_rounds = 0
    while len(out.programs) < cfg.shard_size:
        batch: list[list[int]] = []
        misses = 0
        while len(batch) < cfg.candidates_per_round:
            ids = dsl.to_ids(programs_gen.sample(rng))
            key = tuple(ids)
            if len(ids) > cfg.max_program_tokens or key in seen:
                misses += 1
                if misses > MAX_MISSES:
                    raise ValueError(
                        f"no new distinct program in {MAX_MISSES} draws: max_depth={cfg.max_depth}, max_nesting="
                        f"{cfg.max_nesting}, max_program_tokens={cfg.max_program_tokens} allow too few programs "
                        f"for shard_size={cfg.shard_size}; loosen them"
                    )
                continue
            misses = 0
            seen.add(key)
            batch.append(ids)
        before = len(out.programs)
        worlds = worlds_gen.sample_fast(len(batch) * pool, rng)
        run_program = np.repeat(np.arange(len(batch)), pool)
        res = run_pairs(batch, worlds, run_program, np.arange(len(worlds)), Mode.STRICT, cfg.demo_budget,
                        record_branches=True)
        lengths = res["lengths"]
        usable = (res["status"] == Status.COMPLETED) & (lengths >= cfg.min_demo_actions) & (
            lengths <= cfg.max_demo_actions)
        for p, ids in enumerate(batch):
            runs = slice(p * pool, (p + 1) * pool)
            chosen = select_covering(usable[runs], res["branches"][runs], d)
            if chosen is None:
                continue
            chosen = chosen + p * pool
            out.programs.append(ids)
            walls.append(worlds.walls[chosen])
            markers.append(worlds.markers[chosen])
            agents.append(worlds.agents[chosen])
            out.actions.append([res["actions"][k, : lengths[k]].copy() for k in chosen])
            if len(out.programs) == cfg.shard_size:
                break
        empty_rounds = empty_rounds + 1 if len(out.programs) == before else 0
        if empty_rounds >= MAX_EMPTY_ROUNDS:
            raise ValueError(
                f"no program got {d} usable demonstrations in {MAX_EMPTY_ROUNDS} rounds: loosen demo_budget="
                f"{cfg.demo_budget}, min/max_demo_actions={cfg.min_demo_actions}/{cfg.max_demo_actions}, "
                f"num_demos={d} or world_pool={pool}"
            )
    out.walls, out.markers, out.agents = np.stack(walls), np.stack(markers), np.stack(agents)
    return out


def _shards(cfg: DictConfig, workers: int) -> Iterator[Shard]:
    index = 0
    if workers == 1:
        while True:
            yield generate_shard(cfg, index)
            index += 1
    ctx = mp.get_context("spawn")
    with ctx.Pool(workers) as pool:
        while True:
            # ordered results: shard i is always merged i-th
            yield from pool.imap(_generate_shard_star, [(cfg, i) for i in range(index, index + 4 * workers)])
            index += 4 * workers


def _generate_shard_star(args: tuple[DictConfig, int]) -> Shard:
    return generate_shard(*args)


def build(cfg: DictConfig) -> ProgramDataset:
    _check(cfg)
    sizes = split_sizes(cfg)
    total = sum(sizes.values())
    d, t = int(cfg.num_demos), int(cfg.max_demo_actions)
    programs = np.full((total, dsl.MAX_PROGRAM_TOKENS), dsl.PAD_ID, dtype=np.uint8)
    program_lengths = np.zeros(total, dtype=np.uint8)
    walls = np.zeros((total, d, cfg.height, cfg.width), dtype=bool)
    markers = np.zeros((total, d, cfg.height, cfg.width), dtype=np.uint8)
    agents = np.zeros((total, d, 3), dtype=np.uint8)
    actions = np.full((total, d, t), dsl.NO_ACTION, dtype=np.uint8)
    action_lengths = np.zeros((total, d), dtype=np.uint8)
    seen: set[tuple[int, ...]] = set()
    n = 0
    idle_shards = 0
    with tqdm(total=total, desc="programs", unit="prog", disable=not cfg.progress) as bar:
        for shard in _shards(cfg, int(cfg.workers)):
            before = n
            for i, ids in enumerate(shard.programs):
                key = tuple(ids)
                if key in seen:
                    continue
                seen.add(key)
                programs[n, : len(ids)] = ids
                program_lengths[n] = len(ids)
                walls[n], markers[n], agents[n] = shard.walls[i], shard.markers[i], shard.agents[i]
                for j, acts in enumerate(shard.actions[i]):
                    actions[n, j, : len(acts)] = acts
                    action_lengths[n, j] = len(acts)
                n += 1
                bar.update(1)
                if n == total:
                    break
            if n == total:
                break
            idle_shards = idle_shards + 1 if n == before else 0
            if idle_shards >= 4:
                raise ValueError(
                    f"shards keep repeating the same programs: max_depth={cfg.max_depth}, max_nesting="
                    f"{cfg.max_nesting}, max_program_tokens={cfg.max_program_tokens} allow fewer than "
                    f"num_programs={total} distinct programs; loosen them or ask for fewer"
                )
    if total > cfg.shard_size:
        # Later shards lose their duplicates (mostly short programs) to
        # earlier ones, so file order drifts towards longer programs: shuffle
        # before cutting the splits (one shard has no such drift).
        order = np.random.default_rng(np.random.SeedSequence([int(cfg.seed)], spawn_key=(SHUFFLE_STREAM,))).permutation(
            total)
        programs, program_lengths = programs[order], program_lengths[order]
        walls, markers, agents = walls[order], markers[order], agents[order]
        actions, action_lengths = actions[order], action_lengths[order]
    bounds, start = {}, 0
    for name in ("train", "val", "test"):
        bounds[name] = (start, start + sizes[name])
        start += sizes[name]
    attrs = {"seed": int(cfg.seed), "generator_config": content_config(cfg)}
    return ProgramDataset(programs, program_lengths, walls, markers, agents, actions, action_lengths, bounds, attrs)


def content_config(cfg: DictConfig) -> dict:
    """The settings that determine a file's content (stored in its attributes)."""
    content = {k: v for k, v in OmegaConf.to_container(cfg, resolve=True).items() if k not in NOT_CONTENT}
    return {**content, "generator_version": GENERATOR_VERSION}


def check_matches(data: ProgramDataset, cfg: DictConfig, path: Path) -> None:
    """Raise :class:`DatasetError` when a file was generated with other
    settings (or an older generator) than ``cfg`` asks for."""
    stored = data.attrs.get("generator_config")
    stored = json.loads(stored) if isinstance(stored, str) else {}
    wanted = json.loads(json.dumps(content_config(cfg)))
    differ = sorted(k for k in set(stored) | set(wanted) if stored.get(k) != wanted.get(k))
    if differ:
        raise DatasetError(
            f"{path} was generated with other settings than data.* asks for (differing: {', '.join(differ)}); "
            "delete it to regenerate it, or point data.path elsewhere"
        )


def generate_dataset(cfg: DictConfig) -> Path:
    """Generate and write the dataset at ``cfg.path``; returns the path."""
    start = time.perf_counter()
    data = build(cfg)
    path = write_dataset(cfg.path, data)
    elapsed = time.perf_counter() - start
    if cfg.progress:
        size = path.stat().st_size
        print(f"wrote {len(data)} programs to {path} in {elapsed:.1f} s ({len(data) / elapsed:.0f} programs/s, "
              f"{size / 1e6:.1f} MB, {size / len(data):.0f} bytes/program)")
    return path


def _qualify_overrides(argv: list[str]) -> list[str]:
    """Let ``num_programs=1000`` mean ``data.num_programs=1000``: bare keys of
    ``conf/data/karel.yaml`` are accepted as well as ``data.``-prefixed ones."""
    keys = set(OmegaConf.load(CONF_DIR / "karel.yaml").keys())
    out = []
    for arg in argv:
        key = arg.split("=", 1)[0].split(".", 1)[0]
        out.append(f"data.{arg}" if "=" in arg and key in keys else arg)
    return out


def generate_app(cfg: DictConfig) -> None:
    if cfg.data.name != "karel":
        sys.exit(f"error: data={cfg.data.name} is read, not generated; use data=karel")
    try:
        generate_dataset(cfg.data)
    except (ValueError, OSError, OmegaConfBaseException) as err:
        sys.exit(f"error: {err}")
    except KeyboardInterrupt:
        sys.exit("interrupted: nothing was written; run the same command again to generate the dataset")


def main() -> None:
    from leaps.cli import run_hydra_app

    run_hydra_app(generate_app, "generate", lambda argv: argv[:1] + _qualify_overrides(argv[1:]))


if __name__ == "__main__":
    main()
