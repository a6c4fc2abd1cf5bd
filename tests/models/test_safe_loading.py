"""Nothing the library loads can run code: every torch.load passes
weights_only=True, nothing unpickles, shipped models are safetensors + JSON
only (and load), and a crafted pickle given to train.py's ckpt_path is
refused before Lightning sees it (load_module's refusal: test_checkpoint)."""

from __future__ import annotations

import ast
import os
from pathlib import Path

import pytest
import torch
from omegaconf import OmegaConf

from leaps.models.checkpoint import SHIPPED_DIR, load_model, shipped_models

PACKAGE = Path(__file__).resolve().parents[2] / "leaps"


def calls(name: str):
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and ast.unparse(node.func).endswith(name):
                yield path, node


def test_every_torch_load_is_weights_only():
    found = list(calls("torch.load"))
    assert found  # the scan sees the loaders
    for path, node in found:
        kwargs = {k.arg: ast.unparse(k.value) for k in node.keywords}
        assert kwargs.get("weights_only") == "True", f"{path}:{node.lineno}"


def test_nothing_unpickles():
    for name in ("pickle.load", "pickle.loads", "dill.load", "joblib.load"):
        assert not list(calls(name)), name
    for path, node in calls("np.load"):
        kwargs = {k.arg: ast.unparse(k.value) for k in node.keywords}
        assert kwargs.get("allow_pickle", "False") == "False", f"{path}:{node.lineno}"


def test_shipped_models_are_safetensors_and_load():
    if not SHIPPED_DIR.exists():
        pytest.skip("no shipped models in this checkout")
    for path in SHIPPED_DIR.rglob("*"):
        if path.is_file():
            assert path.suffix in (".safetensors", ".json", ".md", ".png", ".txt"), path
    for name in shipped_models():
        assert load_model(name).latent_dim > 0


class Evil:
    def __reduce__(self):
        return (os.system, ("touch /tmp/leaps_safe_loading_pwned",))


def test_training_refuses_a_crafted_resume_checkpoint(tmp_path):
    from leaps.models.training import TrainingError, _check_config

    evil = tmp_path / "last.ckpt"
    torch.save({"hyper_parameters": {"config": {}}, "state_dict": {}, "loops": Evil()}, evil)
    cfg = OmegaConf.create({"seed": 0, "batch_size": 8, "num_workers": 0, "torch_threads": None,
                            "logger": {"kind": "none"}, "model": {"name": "leaps"}, "ckpt_path": str(evil)})
    with pytest.raises(TrainingError, match="cannot be loaded"):
        _check_config(cfg)
    assert not Path("/tmp/leaps_safe_loading_pwned").exists()
