"""The stage-1 LightningDataModule: batches of programs with their
demonstrations, per-step states replayed in batch."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytorch_lightning as pl
import torch
import torch.distributed as dist
from omegaconf import DictConfig
from torch.utils.data import DataLoader, Dataset, DistributedSampler

from leaps.data.format import DatasetError, ProgramDataset, read_dataset
from leaps.data.replay import initial_states, replay_demo_states
from leaps.karel import dsl


class _Indices(Dataset):
    def __init__(self, indices: np.ndarray):
        self.indices = indices

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, i: int) -> int:
        return int(self.indices[i])


class LengthBucketSampler(DistributedSampler):
    """A shuffled order in which each run of ``batch_size`` indices holds
    programs of similar length, so teacher forcing can stop at the batch's
    longest program instead of the 45-token limit.

    Each epoch: shuffle, cut into chunks of ``chunk_batches`` global batches,
    sort each chunk by length, cut into global batches, shuffle those; the
    short last batch goes last, so that the loader's batches of
    ``batch_size`` keep to one bucket each. Seeded by ``seed`` and the epoch
    (``set_epoch``, which Lightning calls), so a resumed run sees the same
    order.

    Several processes (DDP): a global batch holds ``batch_size`` x the number
    of processes programs, and each process takes every n-th of them, so the
    processes share the bucket and together train on the batches of a single
    process. It is a ``DistributedSampler`` only so that Lightning does not
    wrap it in one (whose shuffle would scatter the buckets); the process
    group is read when iterating (``num_replicas``/``rank`` fix it, for
    tests), since the sampler is built before the group exists."""

    def __init__(self, lengths: np.ndarray, batch_size: int, seed: int = 0, chunk_batches: int = 50,
                 num_replicas: int | None = None, rank: int | None = None):
        # DistributedSampler.__init__ is not called: it would ask for the process group now
        self.lengths = np.asarray(lengths)
        self.batch_size = batch_size
        self.seed = seed
        self.chunk_batches = chunk_batches
        self.epoch = 0
        self.shuffle, self.drop_last = True, False  # what DistributedSampler's readers may ask
        self._replicas = num_replicas
        self._rank = rank

    @property
    def num_replicas(self) -> int:
        if self._replicas is not None:
            return self._replicas
        return dist.get_world_size() if dist.is_available() and dist.is_initialized() else 1

    @property
    def rank(self) -> int:
        if self._rank is not None:
            return self._rank
        return dist.get_rank() if dist.is_available() and dist.is_initialized() else 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return -(-len(self.lengths) // self.num_replicas)

    def __iter__(self):
        replicas, rank = self.num_replicas, self.rank
        rng = np.random.default_rng([self.seed, self.epoch])
        order = rng.permutation(len(self.lengths))
        size = self.batch_size * replicas
        chunk = size * self.chunk_batches
        batches = []
        for start in range(0, len(order), chunk):
            part = order[start:start + chunk]
            part = part[np.argsort(self.lengths[part], kind="stable")]
            batches += [part[i:i + size] for i in range(0, len(part), size)]
        full = [b for b in batches if len(b) == size]
        # every process gets as many indices: the short batch is padded with the first ones, as DistributedSampler
        short = [np.concatenate([b, order[: (-len(b)) % replicas]]) for b in batches if len(b) < size]
        for b in [full[i] for i in rng.permutation(len(full))] + short:
            yield from (int(i) for i in b[rank::replicas])


class DemoBatchCollator:
    """Builds a batch dict from program indices (picklable, for loader workers).

    Keys: programs (B, 45) long padded with PAD_ID, program_lengths (B,),
    program_mask (B, 45) bool, init_states (B, D, 16, H, W) float, actions
    (B, D, T) long padded with NO_ACTION (T = longest demo in the batch + 1),
    action_lengths (B, D), states (B, D, T, 16, H, W) bool (the state before
    each action, and at a demo's length the state after its last), walls
    (B, D, H, W) bool, markers (B, D, H, W) long, agents (B, D, 3) long.
    """

    def __init__(self, data: ProgramDataset, with_states: bool = True):
        self.data = data
        self.with_states = with_states

    def __call__(self, indices: list[int]) -> dict[str, torch.Tensor]:
        idx = np.asarray(indices, dtype=np.int64)
        d = self.data
        b, n_demo, h, w = d.walls[idx].shape
        lengths = d.action_lengths[idx].astype(np.int64)
        # one step past the longest demo: the L loss may ask for its end (NO_ACTION, in the state after its last action)
        steps = int(lengths.max(initial=0)) + 1
        actions = np.full((b, n_demo, steps), dsl.NO_ACTION, dtype=np.int64)
        stored = min(steps, d.actions.shape[2])
        actions[:, :, :stored] = d.actions[idx][:, :, :stored]
        flat = (b * n_demo, h, w)
        walls = d.walls[idx].reshape(flat)
        markers = d.markers[idx].reshape(flat)
        agents = d.agents[idx].reshape(b * n_demo, 3)
        init = initial_states(walls, markers, agents).reshape(b, n_demo, h, w, -1)
        programs = torch.from_numpy(d.programs[idx].astype(np.int64))
        batch = {
            "programs": programs,
            "program_lengths": torch.from_numpy(d.program_lengths[idx].astype(np.int64)),
            "program_mask": programs != dsl.PAD_ID,
            "init_states": torch.from_numpy(init).permute(0, 1, 4, 2, 3).float(),
            "actions": torch.from_numpy(actions),
            "action_lengths": torch.from_numpy(lengths),
            "walls": torch.from_numpy(d.walls[idx]),
            "markers": torch.from_numpy(d.markers[idx].astype(np.int64)),
            "agents": torch.from_numpy(d.agents[idx].astype(np.int64)),
        }
        if self.with_states:
            states = replay_demo_states(walls, markers, agents, actions.reshape(b * n_demo, steps),
                                        lengths.reshape(-1), steps)
            batch["states"] = torch.from_numpy(states.reshape(b, n_demo, steps, h, w, -1)).permute(0, 1, 2, 5, 3, 4)
        return batch


class KarelDataModule(pl.LightningDataModule):
    def __init__(
        self, data: ProgramDataset | str | Path, batch_size: int = 256, num_workers: int = 0, seed: int = 0,
        with_states: bool = True, bucket_by_length: bool = False,
    ):
        super().__init__()
        self.data = data if isinstance(data, ProgramDataset) else read_dataset(data)
        self.batch_size = batch_size
        self.num_workers = num_workers
        self.seed = seed
        self.bucket_by_length = bucket_by_length
        self.collate = DemoBatchCollator(self.data, with_states)

    def _loader(self, split: str, shuffle: bool) -> DataLoader:
        generator = torch.Generator().manual_seed(self.seed)
        indices = self.data.split_indices(split)
        sampler = None
        if shuffle and self.bucket_by_length:
            sampler = LengthBucketSampler(self.data.program_lengths[indices], self.batch_size, self.seed)
            shuffle = False
        return DataLoader(
            _Indices(indices), batch_size=self.batch_size, shuffle=shuffle, sampler=sampler,
            num_workers=self.num_workers, collate_fn=self.collate, generator=generator,
            persistent_workers=self.num_workers > 0,
        )

    def train_dataloader(self) -> DataLoader:
        """Shuffled; with ``bucket_by_length``, batches of similar-length programs."""
        return self._loader("train", shuffle=True)

    def val_dataloader(self) -> DataLoader:
        return self._loader("val", shuffle=False)

    def test_dataloader(self) -> DataLoader:
        return self._loader("test", shuffle=False)


def build_datamodule(
    data_cfg: DictConfig, batch_size: int, seed: int, num_workers: int = 0, bucket_by_length: bool = False
) -> KarelDataModule:
    """The DataModule for ``cfg.data``: the project's own dataset (generated
    first when the file is missing, saying so) or the original LEAPS layout."""
    if data_cfg.name == "leaps_original":
        from leaps.data.original import read_original

        data = read_original(data_cfg.path, seed=data_cfg.seed, max_program_tokens=data_cfg.max_program_tokens)
        return KarelDataModule(data, batch_size, num_workers, seed, bucket_by_length=bucket_by_length)
    from leaps.data.generate import check_matches, generate_dataset

    path = Path(data_cfg.path)
    if not path.exists():
        print(f"dataset {path} not found: generating it now (python -m leaps.data.generate)")
        try:
            generate_dataset(data_cfg)
        except ValueError as err:  # a bad data.* setting
            raise DatasetError(f"cannot generate {path}: {err}") from None
    data = read_dataset(path)
    check_matches(data, data_cfg, path)
    return KarelDataModule(data, batch_size, num_workers, seed, bucket_by_length=bucket_by_length)
