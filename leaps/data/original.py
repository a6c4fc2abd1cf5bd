"""Reader for the original LEAPS ``data.hdf5`` layout (one group per
program with ``program``, ``s_h``, ``a_h``, ``s_h_len``, ``a_h_len``, plus
``data_info``; ids listed in ``id.txt``), so holders of the published
dataset can train on it (``data=leaps_original data.path=...``)."""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np

from leaps.data.format import DatasetError, ProgramDataset
from leaps.karel import dsl
from leaps.karel.world import NUM_STATE_CHANNELS

ORIGINAL_SPLIT = (0.7, 0.15, 0.15)
"""The reference shuffles the programs and splits them 70/15/15."""


def _data_file(path: Path) -> tuple[Path, Path | None]:
    if path.is_dir():
        return path / "data.hdf5", (path / "id.txt") if (path / "id.txt").exists() else None
    ids = path.with_name("id.txt")
    return path, ids if ids.exists() else None


def read_original(path: str | Path, seed: int = 0, max_program_tokens: int = dsl.MAX_PROGRAM_TOKENS) -> ProgramDataset:
    """Load the original layout into a :class:`ProgramDataset`: the initial
    state of each demonstration becomes its world, actions are kept as they
    are; programs longer than ``max_program_tokens`` are skipped, the rest
    shuffled with ``seed`` and split 70/15/15 as the reference does."""
    file, id_file = _data_file(Path(path))
    if not file.exists():
        raise DatasetError(f"original LEAPS dataset {file} does not exist (expected data.hdf5 and id.txt)")
    try:
        with h5py.File(file, "r") as f:
            if id_file is not None:
                ids = [line.strip() for line in id_file.read_text().splitlines() if line.strip()]
            else:
                ids = [k for k in f if k != "data_info"]
            records = []
            for pid in ids:
                group = f[pid]
                program = np.asarray(group["program"][()], dtype=np.int64)
                if len(program) > max_program_tokens:
                    continue
                records.append((program, group["s_h"][:, 0], group["a_h"][()], group["a_h_len"][()]))
    except (OSError, KeyError, ValueError, RuntimeError) as err:
        raise DatasetError(f"cannot read {file} as the original LEAPS layout ({err})") from None
    if not records:
        raise DatasetError(f"{file} holds no programs of at most {max_program_tokens} tokens")
    order = np.random.default_rng(seed).permutation(len(records))
    records = [records[i] for i in order]
    n = len(records)
    d = max(len(r[3]) for r in records)
    h, w, c = records[0][1].shape[1:]
    if c != NUM_STATE_CHANNELS:
        raise DatasetError(f"{file}: states have {c} channels, expected {NUM_STATE_CHANNELS}")
    t = max(1, max(int(r[3].max()) for r in records))
    programs = np.full((n, dsl.MAX_PROGRAM_TOKENS), dsl.PAD_ID, dtype=np.uint8)
    program_lengths = np.zeros(n, dtype=np.uint8)
    walls = np.zeros((n, d, h, w), dtype=bool)
    markers = np.zeros((n, d, h, w), dtype=np.uint8)
    agents = np.zeros((n, d, 3), dtype=np.uint8)
    actions = np.full((n, d, t), dsl.NO_ACTION, dtype=np.uint8)
    action_lengths = np.zeros((n, d), dtype=np.uint8)
    for i, (program, first_states, a_h, a_h_len) in enumerate(records):
        programs[i, : len(program)] = program
        program_lengths[i] = len(program)
        for j, state in enumerate(first_states):
            walls[i, j] = state[:, :, 4]
            markers[i, j] = state[:, :, 5:].argmax(axis=2)
            row, col, direction = np.argwhere(state[:, :, :4])[0]
            agents[i, j] = (row, col, direction)
            length = int(a_h_len[j])
            actions[i, j, :length] = a_h[j, :length]
            action_lengths[i, j] = length
    n_train = int(ORIGINAL_SPLIT[0] * n)
    n_val = int((ORIGINAL_SPLIT[0] + ORIGINAL_SPLIT[1]) * n) - n_train
    splits = {"train": (0, n_train), "val": (n_train, n_train + n_val), "test": (n_train + n_val, n)}
    return ProgramDataset(programs, program_lengths, walls, markers, agents, actions, action_lengths, splits,
                          {"source": str(file)})
