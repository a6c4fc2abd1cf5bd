"""Interrupted runs lose nothing: SIGINT, SIGTERM or kill -9 during dataset
generation leaves no finished-looking file and a rerun completes; training
stopped by SIGINT/SIGTERM saves interrupted.ckpt and, like a kill -9 resumed
from last.ckpt, continues the step count; a search stopped by SIGTERM or
kill -9 resumes to exactly the uninterrupted result (SIGINT: test_search_app)."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from leaps.data import read_dataset
from tests.processes import start

ROOT = Path(__file__).resolve().parents[1]


def wait_for(predicate, proc: subprocess.Popen, timeout: float = 240) -> None:
    deadline = time.time() + timeout
    while not predicate():
        assert proc.poll() is None, proc.communicate()[1][-3000:]
        assert time.time() < deadline, "timed out"
        time.sleep(0.05)


@pytest.mark.slow  # ~15 s each; the fast suite has test_dataset.py::test_no_finished_looking_file_before_the_end
@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT, signal.SIGTERM])
def test_dataset_generation_interrupted_leaves_no_file_and_reruns(tmp_path, sig):
    path = tmp_path / "d.h5"
    cmd = [sys.executable, "-m", "leaps.data.generate", "num_programs=3000", "shard_size=100", "workers=1",
           "progress=true", f"path={path}"]
    proc = start(cmd, cwd=tmp_path)
    wait_for(lambda: proc.poll() is not None or proc.stderr.read(1) == "%", proc)  # tqdm's bar: generating
    time.sleep(0.5)
    assert proc.poll() is None, "finished before the interruption"
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode != 0
    assert not path.exists()  # nothing that looks finished
    assert "Traceback" not in err
    small = [c.replace("num_programs=3000", "num_programs=200") for c in cmd]  # the rerun (smaller, same path)
    rerun = subprocess.run([*small, "progress=false"], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    assert len(read_dataset(path)) == 200 and not list(tmp_path.glob("*.tmp"))


TRAIN = ["data.num_programs=60", "data.shard_size=60", "data.workers=1", "data.progress=false", "batch_size=16",
         "logger=none", "callbacks.progress_bar=false", "torch_threads=1", "model=leapsp", "export=false",
         "model.vae.hidden_size=16", "model.vae.latent_dim=16",
         "trainer.limit_val_batches=1"]


def train_cmd(tmp_path: Path, run: Path, *args: str) -> list[str]:
    return [sys.executable, str(ROOT / "train.py"), f"data.path={tmp_path / 'd.h5'}", *TRAIN, *args,
            f"hydra.run.dir={run}"]


def step(ckpt: Path) -> int:
    return int(torch.load(ckpt, map_location="cpu", weights_only=True)["global_step"])


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGKILL])
def test_interrupted_training_resumes_and_continues_the_step_count(tmp_path, sig):
    run = tmp_path / "run"
    proc = start(train_cmd(tmp_path, run, "trainer.max_epochs=400"), cwd=tmp_path)
    wait_for(lambda: (run / "checkpoints" / "last.ckpt").exists(), proc)
    time.sleep(1.0)
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode != 0
    assert "Traceback" not in err
    ckpt = run / "checkpoints" / ("last.ckpt" if sig == signal.SIGKILL else "interrupted.ckpt")
    assert ckpt.exists(), out + err
    stopped = step(ckpt)
    assert stopped >= 3  # at least one epoch of 3 steps
    resumed = tmp_path / "resumed"
    proc = subprocess.run(train_cmd(tmp_path, resumed, "trainer.max_epochs=1000", f"trainer.max_steps={stopped + 6}",
                                    f"ckpt_path={ckpt}", "export=true"), cwd=tmp_path, capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "Restored all states" in proc.stdout + proc.stderr
    final = json.loads((resumed / "export" / "config.json").read_text())["steps"]
    assert final == stopped + 6  # the count continued from where it stopped
    assert not (resumed / "checkpoints" / "interrupted.ckpt").exists()


# eval_budget: a search of a few seconds, so that the signal lands mid-search (hill climbing now scores ~30,000
# programs/s: 6,000 evaluations could end before the signal came)
SEARCH = ["task=harvester", "searcher=hill_climbing", "searcher.neighbours=50", "eval_budget=100000", "logger=none",
          "progress=false", "gif=false", "save_interval=1", "save_seconds=0", "generalisation.sizes=[]"]


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL])
def test_interrupted_search_resumes_to_the_uninterrupted_result(tmp_path, sig):
    search = [sys.executable, str(ROOT / "search.py"), *SEARCH]
    full = subprocess.run([*search, f"hydra.run.dir={tmp_path / 'full'}"], cwd=tmp_path, capture_output=True,
                          text=True, timeout=600)
    assert full.returncode == 0, full.stderr
    out = tmp_path / "cut"
    proc = start([*search, f"hydra.run.dir={out}"], cwd=tmp_path)
    wait_for(lambda: (out / "search_state.json").exists(), proc)
    time.sleep(0.3)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode != 0 and not (out / "results.json").exists()
    if sig == signal.SIGTERM:
        assert "resume=true" in err and "Traceback" not in err
    resumed = subprocess.run([*search, "resume=true", f"hydra.run.dir={out}"], cwd=tmp_path, capture_output=True,
                             text=True, timeout=600)
    assert resumed.returncode == 0, resumed.stderr
    a = json.loads((tmp_path / "full" / "results.json").read_text())
    b = json.loads((out / "results.json").read_text())
    for key in ("best_program", "best_return", "evaluations", "iterations"):
        assert a[key] == b[key]
    history = json.loads((out / "history.json").read_text())
    assert history == json.loads((tmp_path / "full" / "history.json").read_text())
