import os
import pickle

import pytest
import torch

from leaps.models import CheckpointError, LeapsModule, export_model, load_model, load_module
from tests.models.conftest import SMALL


def test_export_and_load_round_trip(tmp_path):
    m = LeapsModule(SMALL)
    export_model(m, tmp_path / "export")
    loaded = load_module(tmp_path / "export")
    for (k, v), (k2, v2) in zip(m.state_dict().items(), loaded.state_dict().items(), strict=True):
        assert k == k2 and torch.equal(v, v2)
    vae = load_model(tmp_path / "export")
    z = torch.randn(3, 16)
    assert torch.equal(vae.decode(z), m.vae.eval().decode(z))
    # also from the .safetensors file itself
    assert load_model(tmp_path / "export" / "model.safetensors").latent_dim == 16


class Evil:
    def __reduce__(self):
        return (os.system, ("echo pwned > /tmp/leaps_pwned",))


def test_a_crafted_pickle_checkpoint_is_refused(tmp_path):
    path = tmp_path / "evil.ckpt"
    torch.save({"state_dict": {}, "hyper_parameters": {"config": {}}, "payload": Evil()}, path)
    with pytest.raises(CheckpointError):
        load_module(path)
    assert not os.path.exists("/tmp/leaps_pwned")
    raw = tmp_path / "raw.ckpt"
    raw.write_bytes(pickle.dumps(Evil()))
    with pytest.raises(CheckpointError):
        load_module(raw)


def test_missing_truncated_and_mismatched_models(tmp_path):
    with pytest.raises(FileNotFoundError, match="shipped models"):
        load_model("no-such-model")
    m = LeapsModule(SMALL)
    export_model(m, tmp_path / "e")
    data = (tmp_path / "e" / "model.safetensors").read_bytes()
    (tmp_path / "e" / "model.safetensors").write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError):
        load_model(tmp_path / "e")
    export_model(m, tmp_path / "f")
    (tmp_path / "f" / "config.json").write_text('{"config": {"vae": {"hidden_size": 64}}}')
    with pytest.raises(CheckpointError, match="do not match"):
        load_model(tmp_path / "f")
