"""The compact HDF5 dataset format: programs, the demonstrations' initial
worlds and action sequences. States are replayed by the interpreter when
needed instead of being stored frame by frame (the reference stores 16
boolean planes per frame: ~2.9 GB for 50k programs)."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import h5py
import numpy as np

from leaps.karel import dsl

FORMAT_NAME = "leaps-karel-programs"
FORMAT_VERSION = 1
SPLITS = ("train", "val", "test")
_ARRAYS = ("programs", "program_lengths", "walls", "markers", "agents", "actions", "action_lengths")


class DatasetError(RuntimeError):
    """A dataset file that is missing, truncated, corrupt or incompatible."""


@dataclass
class ProgramDataset:
    """All arrays in memory; N programs, D demonstrations, T max actions."""

    programs: np.ndarray  # (N, 45) uint8 token ids padded with PAD_ID
    program_lengths: np.ndarray  # (N,) uint8
    walls: np.ndarray  # (N, D, H, W) bool
    markers: np.ndarray  # (N, D, H, W) uint8
    agents: np.ndarray  # (N, D, 3) uint8: row, col, dir
    actions: np.ndarray  # (N, D, T) uint8 padded with NO_ACTION
    action_lengths: np.ndarray  # (N, D) uint8
    splits: dict[str, tuple[int, int]] = field(default_factory=dict)  # name -> [start, end)
    attrs: dict = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.programs)

    def split_indices(self, name: str) -> np.ndarray:
        if name not in self.splits:
            raise DatasetError(f"the dataset has no split {name!r}; it has {sorted(self.splits)}")
        start, end = self.splits[name]
        return np.arange(start, end)

    def program_text(self, i: int) -> str:
        return dsl.ids_to_text(self.programs[i])


def write_dataset(path: str | Path, data: ProgramDataset) -> Path:
    """Write atomically: a temporary file renamed once complete, so an
    interrupted run never leaves a file that looks finished."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with h5py.File(tmp, "w", track_order=False) as f:
        for name in _ARRAYS:
            array = getattr(data, name)
            chunks = (min(len(array), 256), *array.shape[1:]) if len(array) else None
            f.create_dataset(
                name, data=array, compression="gzip", compression_opts=4, shuffle=True, chunks=chunks,
                track_times=False,
            )
        f.attrs["format"] = FORMAT_NAME
        f.attrs["format_version"] = FORMAT_VERSION
        f.attrs["vocabulary"] = json.dumps(list(dsl.VOCAB))
        f.attrs["splits"] = json.dumps({k: list(v) for k, v in data.splits.items()})
        for key, value in data.attrs.items():
            f.attrs[key] = value if isinstance(value, (int, float, str)) else json.dumps(value)
    os.replace(tmp, path)
    return path


def read_dataset(path: str | Path) -> ProgramDataset:
    """Load and validate a dataset; any problem raises :class:`DatasetError`
    with what to do about it."""
    path = Path(path)
    if not path.exists():
        raise DatasetError(f"dataset {path} does not exist; generate it with `python -m leaps.data.generate`")
    try:
        with h5py.File(path, "r") as f:
            if f.attrs.get("format") != FORMAT_NAME:
                raise DatasetError(
                    f"{path} is not a leaps dataset (for the original LEAPS layout use data=leaps_original)"
                )
            version = int(f.attrs.get("format_version", -1))
            if version != FORMAT_VERSION:
                raise DatasetError(
                    f"{path} has format version {version}, this code reads version {FORMAT_VERSION}; regenerate it"
                )
            vocabulary = json.loads(f.attrs["vocabulary"])
            if vocabulary != list(dsl.VOCAB):
                raise DatasetError(f"{path} was written with a different vocabulary; regenerate it")
            missing = [name for name in _ARRAYS if name not in f]
            if missing:
                raise DatasetError(f"{path} lacks {missing}: the file is incomplete; regenerate it")
            arrays = {name: f[name][()] for name in _ARRAYS}
            splits = {k: tuple(v) for k, v in json.loads(f.attrs["splits"]).items()}
            attrs = {k: f.attrs[k] for k in f.attrs if k not in ("format", "format_version", "vocabulary", "splits")}
    except DatasetError:
        raise
    except (OSError, KeyError, ValueError, RuntimeError) as err:
        raise DatasetError(
            f"cannot read dataset {path}: the file is truncated or corrupt ({err}); regenerate it"
        ) from None
    data = ProgramDataset(**arrays, splits=splits, attrs=attrs)
    _check_shapes(path, data)
    return data


def _check_shapes(path: Path, data: ProgramDataset) -> None:
    n = len(data.programs)
    if any(len(getattr(data, name)) != n for name in _ARRAYS):
        raise DatasetError(f"{path}: arrays disagree on the number of programs; regenerate it")
    if data.programs.shape[1:] != (dsl.MAX_PROGRAM_TOKENS,):
        raise DatasetError(f"{path}: programs must be padded to {dsl.MAX_PROGRAM_TOKENS} tokens")
    if data.splits and max(end for _, end in data.splits.values()) > n:
        raise DatasetError(f"{path}: splits point past the {n} stored programs")
