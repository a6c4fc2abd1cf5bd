import json

import h5py
import numpy as np
import pytest
from omegaconf import OmegaConf
from torch.utils.data import DistributedSampler

from leaps.data import DatasetError, KarelDataModule, build_datamodule, read_dataset
from leaps.data.demonstrations import coverage, select_covering
from leaps.data.generate import CONF_DIR, build, generate_dataset, generate_shard
from leaps.data.original import read_original
from leaps.karel import dsl, transitions
from leaps.karel.interpreter import Mode, Status, execute
from leaps.karel.world import World


def small_cfg(tmp_path, **overrides):
    cfg = OmegaConf.load(CONF_DIR / "karel.yaml")
    cfg.merge_with({"num_programs": 300, "shard_size": 100, "progress": False, "workers": 1,
                    "path": str(tmp_path / "data.h5"), **overrides})
    return cfg


@pytest.fixture(scope="module")
def dataset_path(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("data")
    return generate_dataset(small_cfg(tmp))


def test_same_seed_same_bytes_for_one_and_two_workers(tmp_path):
    one = generate_dataset(small_cfg(tmp_path, workers=1, path=str(tmp_path / "one.h5")))
    two = generate_dataset(small_cfg(tmp_path, workers=2, path=str(tmp_path / "two.h5")))
    assert one.read_bytes() == two.read_bytes()
    other = generate_dataset(small_cfg(tmp_path, seed=7, path=str(tmp_path / "other.h5")))
    assert other.read_bytes() != one.read_bytes()


def test_contents_splits_and_attributes(dataset_path):
    data = read_dataset(dataset_path)
    assert len(data) == 300
    assert data.splits == {"train": (0, 210), "val": (210, 255), "test": (255, 300)}
    assert int(data.attrs["seed"]) == 123
    texts = {data.program_text(i) for i in range(len(data))}
    assert len(texts) == 300  # no duplicates
    assert data.program_lengths.max() <= dsl.MAX_PROGRAM_TOKENS
    assert data.action_lengths.min() >= 1 and data.action_lengths.max() <= 20


def test_every_demonstration_replays_as_a_strict_trace(dataset_path):
    data = read_dataset(dataset_path)
    for i in range(len(data)):
        worlds = [World(data.walls[i, j], data.markers[i, j], data.agents[i, j]) for j in range(10)]
        result = execute([data.programs[i].astype(np.int64)], worlds, mode=Mode.STRICT)
        assert (result.status[0] == Status.COMPLETED).all()
        for j in range(10):
            n = data.action_lengths[i, j]
            assert result.trace(0, j).tolist() == data.actions[i, j, :n].tolist()


def test_branch_coverage_beats_uncovered_sampling(dataset_path):
    data = read_dataset(dataset_path)
    covered, first_ten = [], []
    for i in range(100):
        prog = data.programs[i].astype(np.int64)
        worlds = [World(data.walls[i, j], data.markers[i, j], data.agents[i, j]) for j in range(10)]
        res = execute([prog], worlds, mode=Mode.STRICT, record_branches=True)
        if res.branches.shape[2] == 0 or dsl.parse(prog) is None:
            continue
        covered.append(coverage(res.branches[0]))
        # the first 10 usable runs of a fresh pool, without selection
        from leaps.karel.world_generator import WorldGenerator

        pool = WorldGenerator().sample_fast(200, np.random.default_rng(i))
        r2 = execute([prog], pool, mode=Mode.STRICT, record_branches=True)
        ok = (r2.status[0] == Status.COMPLETED) & (r2.lengths[0] >= 1) & (r2.lengths[0] <= 20)
        if ok.sum() >= 10:
            first_ten.append(coverage(r2.branches[0][np.flatnonzero(ok)[:10]]))
        else:
            covered.pop()
    assert np.mean(covered) > np.mean(first_ten)


def test_select_covering_greedy():
    usable = np.array([True, True, True, False, True])
    branches = np.zeros((5, 2, 2), dtype=bool)
    branches[0, 0, 1] = True
    branches[1, 0, 1] = True
    branches[2, 1, 0] = True
    branches[3, :, :] = True  # unusable
    branches[4, 0, 0] = branches[4, 1, 1] = True
    chosen = select_covering(usable, branches, 3)
    assert sorted(chosen.tolist()) == [0, 2, 4]
    assert select_covering(usable, branches, 5) is None


def test_truncated_and_corrupt_files_give_a_clear_error(dataset_path, tmp_path):
    raw = dataset_path.read_bytes()
    truncated = tmp_path / "truncated.h5"
    truncated.write_bytes(raw[: len(raw) // 2])
    with pytest.raises(DatasetError, match="truncated or corrupt"):
        read_dataset(truncated)
    corrupt = tmp_path / "corrupt.h5"
    corrupt.write_bytes(raw[:1000] + bytes(200) + raw[1200:])
    with pytest.raises(DatasetError):
        read_dataset(corrupt)
    with pytest.raises(DatasetError, match="does not exist"):
        read_dataset(tmp_path / "missing.h5")


def test_version_and_vocabulary_mismatch(dataset_path, tmp_path):
    for attr, value, message in (("format_version", 99, "format version"), ("vocabulary", '["x"]', "vocabulary")):
        copy = tmp_path / f"{attr}.h5"
        copy.write_bytes(dataset_path.read_bytes())
        with h5py.File(copy, "a") as f:
            f.attrs[attr] = value
        with pytest.raises(DatasetError, match=message):
            read_dataset(copy)


def test_no_finished_looking_file_before_the_end(tmp_path, monkeypatch):
    import leaps.data.format as fmt

    def boom(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(fmt.os, "replace", boom)
    with pytest.raises(KeyboardInterrupt):
        generate_dataset(small_cfg(tmp_path, num_programs=20))
    assert not (tmp_path / "data.h5").exists()


def test_datamodule_batches(dataset_path):
    dm = KarelDataModule(dataset_path, batch_size=16)
    batch = next(iter(dm.train_dataloader()))
    b, d = 16, 10
    assert batch["programs"].shape == (b, 45) and batch["program_mask"].dtype.is_floating_point is False
    assert batch["init_states"].shape == (b, d, 16, 8, 8)
    t = batch["actions"].shape[2]
    assert batch["states"].shape == (b, d, t, 16, 8, 8)
    assert batch["walls"].shape == (b, d, 8, 8) and batch["agents"].shape == (b, d, 3)
    # the first per-step state is the initial state; at a demo's length the state after its last action (where L
    # asks for the end), padding after that is empty; one step past the longest demo, NO_ACTION past each
    assert (batch["states"][:, :, 0].float() == batch["init_states"]).all()
    lengths = batch["action_lengths"]
    assert t == int(lengths.max()) + 1
    for i in range(b):
        for j in range(d):
            n = int(lengths[i, j])
            assert not batch["states"][i, j, n + 1:].any()
            assert (batch["actions"][i, j, n:] == dsl.NO_ACTION).all()
            walls = batch["walls"][i, j].numpy().copy()
            markers = batch["markers"][i, j].numpy().astype(np.int8)
            agent = batch["agents"][i, j].numpy().astype(np.int64)
            for k in range(n):
                transitions.act(walls, markers, agent, int(batch["actions"][i, j, k]), False)
            final = np.zeros((8, 8, 16), dtype=np.bool_)
            transitions.write_state(walls, markers, agent, final)
            assert (batch["states"][i, j, n].permute(1, 2, 0).numpy() == final).all()
    assert len(dm.val_dataloader()) == 3 and len(dm.test_dataloader()) == 3


def test_build_datamodule_generates_when_missing(tmp_path, capsys):
    cfg = small_cfg(tmp_path, num_programs=30, shard_size=30)
    dm = build_datamodule(cfg, batch_size=8, seed=0)
    assert "generating" in capsys.readouterr().out
    assert len(dm.data) == 30
    # an existing file made with other settings is refused, naming the setting
    with pytest.raises(DatasetError, match="wall_prob"):
        build_datamodule(small_cfg(tmp_path, num_programs=30, shard_size=30, wall_prob=0.2), 8, 0)
    # and so is one from an older generator
    with h5py.File(tmp_path / "data.h5", "r+") as f:
        stored = json.loads(f.attrs["generator_config"])
        del stored["generator_version"]
        f.attrs["generator_config"] = json.dumps(stored)
    with pytest.raises(DatasetError, match="generator_version"):
        build_datamodule(cfg, 8, 0)
    with pytest.raises(DatasetError, match="num_demos"):
        build_datamodule(small_cfg(tmp_path, path=str(tmp_path / "other.h5"), num_demos=99), 8, 0)


def test_splits_are_drawn_from_the_whole_file(dataset_path, tmp_path):
    """Later shards lose their (mostly short) duplicates to earlier ones, so
    the splits must not be cut from file order: shard 0 lands in every split."""
    data = read_dataset(dataset_path)
    first_shard = {tuple(ids) for ids in generate_shard(small_cfg(tmp_path), 0).programs}
    stored = [tuple(data.programs[i, : data.program_lengths[i]]) for i in range(len(data))]
    for name in ("train", "val", "test"):
        start, end = data.splits[name]
        assert sum(p in first_shard for p in stored[start:end]) >= 5, name


def write_original_layout(path, data, n):
    """A small file in the reference's layout, written from our dataset."""
    with h5py.File(path / "data.hdf5", "w") as f:
        ids = []
        for i in range(n):
            pid = f"no_{i}_prog_len_{data.program_lengths[i]}"
            ids.append(pid)
            g = f.create_group(pid)
            g["program"] = data.programs[i, : data.program_lengths[i]].astype(np.int8)
            lengths = data.action_lengths[i].astype(np.int16)
            s_h = np.zeros((10, lengths.max() + 1, 8, 8, 16), dtype=bool)
            for j in range(10):
                w = World(data.walls[i, j], data.markers[i, j], data.agents[i, j])
                s_h[j, 0] = w.to_state()
            g["s_h"] = s_h
            g["s_h_len"] = lengths + 1
            g["a_h"] = data.actions[i, :, : lengths.max()].astype(np.int8)
            g["a_h_len"] = lengths
        info = f.create_group("data_info")
        info["num_train"] = n
    (path / "id.txt").write_text("\n".join(ids) + "\n")


def test_original_layout_round_trip(dataset_path, tmp_path):
    data = read_dataset(dataset_path)
    write_original_layout(tmp_path, data, 40)
    back = read_original(tmp_path, seed=0)
    assert len(back) == 40 and back.splits["train"] == (0, 28)
    order = {back.program_text(i): i for i in range(40)}
    for i in range(40):
        k = order[data.program_text(i)]
        assert np.array_equal(back.walls[k], data.walls[i])
        assert np.array_equal(back.markers[k], data.markers[i])
        assert np.array_equal(back.agents[k], data.agents[i])
        n = data.action_lengths[i]
        assert np.array_equal(back.action_lengths[k], n)
        assert np.array_equal(back.actions[k, :, : n.max()], data.actions[i, :, : n.max()])
    cfg = OmegaConf.create({"name": "leaps_original", "path": str(tmp_path), "seed": 0, "max_program_tokens": 45})
    dm = build_datamodule(cfg, batch_size=4, seed=0)
    assert next(iter(dm.train_dataloader()))["programs"].shape == (4, 45)
    with pytest.raises(DatasetError):
        read_original(tmp_path / "nowhere")


def test_bad_config_values(tmp_path):
    with pytest.raises(ValueError, match="num_demos"):
        build(small_cfg(tmp_path, num_demos=100))
    with pytest.raises(ValueError, match="split"):
        build(small_cfg(tmp_path, split={"train": 0.9, "val": 0.2, "test": 0.1}))


def test_command_line_accepts_bare_and_prefixed_keys(tmp_path):
    from leaps.data.generate import _qualify_overrides

    assert _qualify_overrides(["num_programs=10", "split.train=0.8", "data.seed=3", "hydra.verbose=true"]) == [
        "data.num_programs=10", "data.split.train=0.8", "data.seed=3", "hydra.verbose=true"]
    out = tmp_path / "cli.h5"
    import subprocess
    import sys

    run = subprocess.run([sys.executable, "-m", "leaps.data.generate", "num_programs=20", "shard_size=20",
                          "workers=1", "progress=false", f"path={out}"], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert len(read_dataset(out)) == 20


def test_length_buckets_cover_every_program_once_with_similar_lengths():
    from leaps.data.datamodule import LengthBucketSampler

    lengths = np.random.default_rng(0).integers(5, 46, size=1000)
    sampler = LengthBucketSampler(lengths, batch_size=10, seed=3, chunk_batches=20)
    order = list(sampler)
    assert sorted(order) == list(range(1000))
    spread = [np.ptp(lengths[order[i:i + 10]]) for i in range(0, 1000, 10)]
    assert np.mean(spread) < 4  # random batches of 10 spread over ~30 lengths
    assert list(sampler) == order  # the same epoch, the same order
    sampler.set_epoch(1)
    assert list(sampler) != order


def test_length_buckets_keep_the_loaders_batches_in_one_bucket_with_a_short_last_batch():
    """995 programs in batches of 10: the short batch comes last, so every batch the loader cuts from the order is
    one bucket (a short batch in the middle would shift every later cut across two buckets)."""
    from leaps.data.datamodule import LengthBucketSampler

    lengths = np.random.default_rng(1).integers(5, 46, size=995)
    for epoch in range(5):
        sampler = LengthBucketSampler(lengths, batch_size=10, seed=3, chunk_batches=20)
        sampler.set_epoch(epoch)
        order = list(sampler)
        assert sorted(order) == list(range(995)) and len(sampler) == 995
        spread = [np.ptp(lengths[order[i:i + 10]]) for i in range(0, 995, 10)]
        assert max(spread) <= 6


def test_length_buckets_under_ddp_shard_each_global_batch():
    """Two processes of 5 train on the batches of 10 that one process would see: each global batch split between
    the ranks, every program once (one repeated to even out 995), the same number of indices on each rank."""
    from leaps.data.datamodule import LengthBucketSampler

    lengths = np.random.default_rng(1).integers(5, 46, size=995)
    single = list(LengthBucketSampler(lengths, batch_size=10, seed=3, chunk_batches=20))
    ranks = [LengthBucketSampler(lengths, batch_size=5, seed=3, chunk_batches=20, num_replicas=2, rank=r)
             for r in (0, 1)]
    # Lightning wraps a sampler that is not a DistributedSampler in one, whose shuffle would scatter the buckets
    assert isinstance(ranks[0], DistributedSampler)
    orders = [list(r) for r in ranks]
    assert len(orders[0]) == len(orders[1]) == len(ranks[0]) == 498
    assert set(orders[0]) | set(orders[1]) == set(range(995))
    for i in range(0, 990, 10):  # the full global batches: the same programs as the single process's batch
        both = orders[0][i // 2:i // 2 + 5] + orders[1][i // 2:i // 2 + 5]
        assert sorted(both) == sorted(single[i:i + 10])


def test_sequence_depth_shapes_the_programs_and_is_part_of_the_files_settings(tmp_path):
    """data.sequence_depth=2 (the reference's) gives shorter programs than the earlier sampler's 1; a file made
    with the other value is refused, naming the setting; nonsense fails up front."""
    shallow = build(small_cfg(tmp_path, num_programs=200, shard_size=100))
    deep = build(small_cfg(tmp_path, num_programs=200, shard_size=100, sequence_depth=1))
    assert shallow.program_lengths.mean() + 4 < deep.program_lengths.mean()
    cfg = small_cfg(tmp_path, num_programs=30, shard_size=30)
    build_datamodule(cfg, 8, 0)
    with pytest.raises(DatasetError, match="sequence_depth"):
        build_datamodule(small_cfg(tmp_path, num_programs=30, shard_size=30, sequence_depth=1), 8, 0)
    for bad in (0, 1.5, True):
        with pytest.raises(ValueError, match="sequence_depth must be an integer >= 1"):
            build(small_cfg(tmp_path, sequence_depth=bad))
