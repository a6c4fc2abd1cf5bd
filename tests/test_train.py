"""train.py end to end on a tiny generated dataset (subprocess, as a user runs it)."""

import subprocess
import sys
from pathlib import Path

from leaps.models import load_model

ROOT = Path(__file__).resolve().parents[1]
SMALL = ["model.vae.hidden_size=16", "model.vae.latent_dim=16"]  # arch=leaps: the latent is the decoder's first state


def train(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(ROOT / "train.py"), f"data.path={tmp_path / 'd.h5'}", "data.num_programs=60",
         "data.shard_size=60", "data.workers=1", "data.progress=false", "batch_size=16", "logger=csv",
         "callbacks.progress_bar=false", "torch_threads=1", *SMALL, *args],
        cwd=tmp_path, capture_output=True, text=True, timeout=600,
    )


def test_train_generates_data_checkpoints_exports_and_resumes(tmp_path):
    run = tmp_path / "run"
    proc = train(tmp_path, "model=leaps", "trainer.max_epochs=1", f"hydra.run.dir={run}")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "generating it now" in proc.stdout
    assert (run / "checkpoints" / "last.ckpt").exists() and (run / "checkpoints" / "best.ckpt").exists()
    assert load_model(run / "export").latent_dim == 16
    metrics = (run / "csv" / "version_0" / "metrics.csv").read_text().splitlines()[0]
    for key in ("val/token_accuracy", "val/greedy_program_accuracy", "val/execution_accuracy",
                "val/action_accuracy", "val/demo_accuracy", "val/behaviour_rl_loss"):
        assert key in metrics
    resumed = tmp_path / "resumed"
    proc = train(tmp_path, "model=leaps", "trainer.max_epochs=2", f"ckpt_path={run / 'checkpoints' / 'last.ckpt'}",
                 f"hydra.run.dir={resumed}")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "Restored all states" in proc.stdout + proc.stderr
    import torch

    first = torch.load(run / "checkpoints" / "last.ckpt", weights_only=True)["global_step"]
    second = torch.load(resumed / "checkpoints" / "last.ckpt", weights_only=True)["global_step"]
    assert first == 3 and second == 6  # 42 training programs / batch 16 = 3 steps per epoch: the count continues


def test_bad_input_fails_clearly(tmp_path):
    proc = train(tmp_path, "ckpt_path=/nonexistent.ckpt", f"hydra.run.dir={tmp_path / 'x'}")
    assert proc.returncode != 0 and "ckpt_path /nonexistent.ckpt does not exist" in proc.stderr
    assert "Traceback" not in proc.stderr


import pytest  # noqa: E402


@pytest.mark.parametrize("model", ["leaps", "leapsp", "leapspr", "leapspl"])
def test_fast_dev_run_of_each_variant(tmp_path, model):
    # fast_dev_run switches loggers off, so the W&B (offline) case runs two real steps instead
    run = ["logger=wandb", "trainer.max_steps=2", "trainer.limit_val_batches=1"] if model == "leaps" else [
        "logger=none", "+trainer.fast_dev_run=true"]
    proc = train(tmp_path, f"model={model}", *run, "export=false", f"hydra.run.dir={tmp_path / model}")
    assert proc.returncode == 0, proc.stderr[-3000:]
    if model == "leaps":
        assert list((tmp_path / model / "wandb").glob("offline-run-*"))


def test_a_run_dir_with_checkpoints_is_not_resumed_silently(tmp_path):
    """Lightning would resume from it (weights, step count, timer) when ckpt_path is not given."""
    run = tmp_path / "run"
    (run / "checkpoints").mkdir(parents=True)
    (run / "checkpoints" / "interrupted.ckpt").write_bytes(b"old state")
    proc = train(tmp_path, "model=leapsp", f"hydra.run.dir={run}")
    assert proc.returncode != 0 and "already holds checkpoints of an earlier run" in proc.stderr
    assert f"ckpt_path={run / 'checkpoints' / 'interrupted.ckpt'}" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_the_originals_vae_architecture_trains_exports_and_loads(tmp_path):
    """model.vae.arch=leaps (the default) end to end: a training epoch, the export, and the loaded model decoding."""
    import torch

    run = tmp_path / "orig"
    proc = train(tmp_path, "model=leapspl", "trainer.max_epochs=1", f"hydra.run.dir={run}")
    assert proc.returncode == 0, proc.stderr[-3000:]
    vae = load_model(run / "export")
    assert vae.cfg.arch == "leaps" and vae.cfg.embedding_dim == vae.embedding.weight.shape[1] > 16
    with torch.no_grad():
        assert vae.decode(torch.zeros(2, 16)).shape == (2, vae.cfg.max_tokens)


def test_the_originals_vae_architecture_refuses_a_latent_unlike_the_hidden_state(tmp_path):
    proc = train(tmp_path, "model.vae.latent_dim=8", f"hydra.run.dir={tmp_path / 'x'}")
    assert proc.returncode != 0 and "model.vae.latent_dim must equal model.vae.hidden_size" in proc.stderr
    assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
