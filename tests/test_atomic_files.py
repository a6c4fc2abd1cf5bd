"""Results files are written atomically: an interruption while writing
leaves the previous complete file (or none), never a partial one."""

from __future__ import annotations

import json
import os

import pytest

from leaps.atomic_files import write_json_atomic


def interrupt(*args, **kwargs):
    raise KeyboardInterrupt


def test_results_json_is_replaced_whole_or_not_at_all(tmp_path, monkeypatch):
    path = tmp_path / "results.json"
    write_json_atomic(path, {"best_return": 0.5})
    monkeypatch.setattr(os, "replace", interrupt)
    with pytest.raises(KeyboardInterrupt):
        write_json_atomic(path, {"best_return": 0.9, "big": list(range(10_000))})
    assert json.loads(path.read_text()) == {"best_return": 0.5}


def test_exported_model_files_are_replaced_whole(tmp_path, monkeypatch):
    from pathlib import Path

    from leaps.models import LeapsModule, export_model, load_model

    small = {"vae": {"hidden_size": 16, "latent_dim": 8, "embedding_dim": 8}}
    export_model(LeapsModule(small), tmp_path / "m")
    monkeypatch.setattr(Path, "replace", interrupt)
    with pytest.raises(KeyboardInterrupt):
        export_model(LeapsModule({"vae": {**small["vae"], "hidden_size": 32}}), tmp_path / "m")
    assert load_model(tmp_path / "m").latent_dim == 8  # the old model, complete
