"""Bad input to every entry point (search.py, train.py, python -m
leaps.data.generate) ends in one clear message naming the fix, a nonzero exit,
no traceback, and nothing half-written.

The many cases run the real ``__main__`` code in-process (runpy: Hydra's
parsing, our pre-checks, the task function, ``sys.exit``) because a
subprocess costs seconds of imports each; one subprocess per entry point
checks the real exit status and stderr."""

from __future__ import annotations

import contextlib
import io
import json
import os
import pickle
import runpy
import subprocess
import sys
from pathlib import Path

import h5py
import pytest
import torch

ROOT = Path(__file__).resolve().parents[1]
SMALL = ["model.vae.arch=compact", "model.vae.hidden_size=32", "model.vae.latent_dim=16", "model.vae.embedding_dim=16"]
PWNED = Path("/tmp/leaps_entrypoint_pwned")


class Evil:
    def __reduce__(self):
        return (os.system, (f"touch {PWNED}",))


def run_entry(target: str, args: list[str]) -> tuple[object, str]:
    """Run a script path or ``-m`` module as ``__main__``; (exit code, all output)."""
    argv, out = sys.argv, io.StringIO()
    sys.argv = [target, *args]
    code: object = 0
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
            if target.endswith(".py"):
                runpy.run_path(target, run_name="__main__")
            else:
                runpy.run_module(target, run_name="__main__", alter_sys=True)
    except SystemExit as exit_:
        code = exit_.code
    finally:
        sys.argv = argv
    text = out.getvalue()
    if isinstance(code, str):  # sys.exit("error: ...") prints this to stderr
        text += code
    return code, text


def assert_clean_failure(code: object, text: str, fragment: str) -> None:
    assert code not in (0, None), text
    assert fragment in text, text
    assert "Traceback" not in text and "Error executing job" not in text, text


def leftovers(run_dir: Path) -> list[str]:
    """Files a failed run left, other than Hydra's own config copy and log."""
    if not run_dir.exists():
        return []
    return sorted(str(p.relative_to(run_dir)) for p in run_dir.rglob("*")
                  if p.is_file() and ".hydra" not in p.parts and p.suffix != ".log")


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """A tiny dataset, broken copies of it, and broken checkpoints / models."""
    from omegaconf import OmegaConf

    from leaps.data.generate import CONF_DIR, generate_dataset
    from leaps.models import LeapsModule, export_model

    tmp = tmp_path_factory.mktemp("inputs")
    cfg = OmegaConf.load(CONF_DIR / "karel.yaml")
    cfg.merge_with({"num_programs": 30, "shard_size": 30, "progress": False, "workers": 1,
                    "path": str(tmp / "d.h5")})
    data = generate_dataset(cfg)
    raw = data.read_bytes()
    (tmp / "truncated.h5").write_bytes(raw[: len(raw) // 2])
    (tmp / "garbage.h5").write_bytes(b"not an hdf5 file\n" * 100)
    for attr, value in (("format_version", 99), ("vocabulary", '["x"]')):
        (tmp / f"{attr}.h5").write_bytes(raw)
        with h5py.File(tmp / f"{attr}.h5", "a") as f:
            f.attrs[attr] = value
    torch.manual_seed(0)
    module = LeapsModule({"vae": {"hidden_size": 32, "latent_dim": 16, "embedding_dim": 16}})
    ckpt = {"hyper_parameters": {"config": module.cfg.to_dict()}, "state_dict": module.state_dict()}
    torch.save(ckpt, tmp / "good.ckpt")
    (tmp / "truncated.ckpt").write_bytes((tmp / "good.ckpt").read_bytes()[:3000])
    torch.save({**ckpt, "payload": Evil()}, tmp / "evil.ckpt")
    (tmp / "raw_evil.ckpt").write_bytes(pickle.dumps(Evil()))
    export_model(module, tmp / "model")
    export_model(module, tmp / "truncated_model")
    weights = tmp / "truncated_model" / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:1000])
    export_model(module, tmp / "mismatched_model")
    (tmp / "mismatched_model" / "config.json").write_text(json.dumps({"config": {"vae": {"hidden_size": 64}}}))
    return tmp


SEARCH_CASES = [
    (["task=harvestr"], "did you mean task=harvester?"),
    (["searcher=nosuch"], "unknown searcher 'nosuch'"),
    (["model=nosuch"], "no model file or shipped model named 'nosuch'; shipped models: leaps"),
    (["searcher=given"], "searcher=given needs a program"),
    (["searcher=given", "searcher.program='DEF run m( move'"], "expected `m)`"),
    (["searcher=given", "searcher.program='DEF run m( WHILE c( frontIsClear c) w( move m)'"],
     "token 9 `m)`: expected a statement or `w)`"),
    (["searcher=cem", "searcher.population_size=-1"], "searcher=cem: population_size must be >= 1"),
    (["searcher=cem", "searcher.elitism_rate=0"], "elitism_rate must be in (0, 1]"),
    (["searcher=cem", "searcher.elitism_rate=1.5"], "elitism_rate must be in (0, 1]"),
    (["searcher=cem", "searcher.sigma=-0.1"], "sigma"),
    (["searcher=cem", "searcher.restart_after=0"], "restart_after must be >= 1 or null (no restarts)"),
    (["searcher=cem", "searcher.restart_after=often"], "searcher.restart_after must be an integer or null"),
    (["searcher=cem", "+searcher.nosuch=1"], "searcher=cem has no setting 'nosuch'"),
    (["searcher=random", "task=maze", "task.height=3"], "needs a grid of at least 4x4"),
    (["searcher=random", "task=cleanhouse", "task.height=20"], "fixed"),
    (["searcher=random", "eval_budget=-5"], "eval_budget must be >= 1"),
    (["searcher=random", "budget=50"], "budget: renamed to eval_budget"),
    (["searcher=random", "+budget=50"], "budget: renamed to eval_budget"),
    (["searcher=cem", "model_path=leaps"], "model_path: renamed: give the model as model=PATH"),
    (["searcher=random", "generalisation.budget=500"], "renamed to generalisation.call_budget"),
    (["model.vae.latent_dim=64"], "model.vae.latent_dim: a setting of train.py (stage 1), not of search.py: a "
                                  "search takes the model's hyperparameters from its config.json"),
    (["trainer.max_epochs=3"], "trainer.max_epochs: a setting of train.py"),
    (["searcher=cem", "space=program"], "searcher=cem needs vectors to perturb and average, which space=program "
                                        "does not provide; use space=latent"),
    (["searcher=random", "model=leapsp"], "space=program uses no model"),
    (["searcher=random", "test_worlds=0"], "test_worlds must be >= 1"),
    (["searcher=hill_climbing", "space=latent", "space.neighbour_sigma=0"], "space.neighbour_sigma must be > 0"),
    (["searcher=random", "task.n_worlds=0"], "n_worlds"),
    (["searcher=hill_climbing", "searcher.neighbours=0"], "neighbours must be >= 1"),
    (["searcher=hill_climbing", "searcher.variant=steepest"],
     "searcher=hill_climbing: variant must be one of best_improvement, first_improvement, got 'steepest'"),
    (["searcher=hill_climbing", "eval_budget=249", "logger=none"],
     "eval_budget=249 is less than one neighbourhood (searcher.neighbours=250)"),
    (["protocol=carvalho2024", "task=doorkey", "searcher=hill_climbing", "searcher.neighbours=300", "eval_budget=299",
      "logger=none"], "eval_budget=299 is less than one neighbourhood (searcher.neighbours=300)"),
    (["searcher=random", "searcher.batch_size=-1"], "batch_size must be >= 1"),
    (["searcher=random", "generalisation.sizes=[[2,2]]"], "generalisation.sizes"),
    (["searcher=random", "seed=abc"], "seed must be an integer"),
    (["searcher=random", "save_interval=0"], "save_interval must be >= 1"),
    (["searcher=random", "save_seconds=-1"], "save_seconds must be a number of seconds >= 0"),
    (["searcher=random", "logger=wandb", "logger.mode=bogus"], "logger.mode must be one of"),
    (["searcher=cem", "task=maze", "model={files}/nowhere/model"], "space=latent needs a stage-1 model"),
    (["searcher=cem", "task=maze", "model={files}/truncated_model"], "cannot load model"),
    (["searcher=cem", "task=maze", "model={files}/mismatched_model"], "do not match"),
    (["searcher=cem", "task=maze", "model={files}/truncated.ckpt"], "cannot load model"),
    (["searcher=cem", "task=maze", "model={files}/evil.ckpt"], "cannot load model"),
    (["searcher=cem", "task=maze", "model={files}/raw_evil.ckpt"], "cannot load model"),
]


@pytest.mark.parametrize(("args", "message"), SEARCH_CASES, ids=[" ".join(a) for a, _ in SEARCH_CASES])
def test_search_bad_input(files, tmp_path, args, message):
    run_dir = tmp_path / "run"
    args = [a.format(files=files) for a in args]
    if not any(a.startswith(("eval_budget=", "logger=")) for a in args):
        args += ["eval_budget=20", "logger=none"]
    code, text = run_entry(str(ROOT / "search.py"), [*args, "progress=false", f"hydra.run.dir={run_dir}"])
    assert_clean_failure(code, text, message)
    assert leftovers(run_dir) == []  # no results, state, metrics or W&B run
    assert not PWNED.exists()


def test_search_corrupt_resume_state(tmp_path):
    run_dir = tmp_path / "run"
    (run_dir).mkdir()
    (run_dir / "search_state.json").write_text('{"iteration": 3, "trunc')
    code, text = run_entry(str(ROOT / "search.py"), ["searcher=random", "eval_budget=20", "resume=true", "logger=none",
                                                     "progress=false", f"hydra.run.dir={run_dir}"])
    assert_clean_failure(code, text, "delete it to start the search afresh")
    assert not (run_dir / "results.json").exists()


TRAIN_CASES = [
    (["model=nosuch"], "unknown model 'nosuch'"),
    (["model=base"], "unknown model 'base'"),
    (["data=nosuch"], "unknown data 'nosuch'"),
    (["data.path={files}/truncated.h5"], "truncated or corrupt"),
    (["data.path={files}/garbage.h5"], "truncated or corrupt"),
    (["data.path={files}/format_version.h5"], "format version 99"),
    (["data.path={files}/vocabulary.h5"], "different vocabulary"),
    (["data.path={files}/d.h5", "data.wall_prob=0.3"], "generated with other settings"),
    (["data.path={tmp}/new.h5", "data.num_programs=-1"], "num_programs must be >= 1"),
    (["ckpt_path={files}/nowhere.ckpt"], "does not exist"),
    (["ckpt_path={files}/truncated.ckpt"], "cannot be loaded"),
    (["ckpt_path={files}/evil.ckpt"], "cannot be loaded"),
    (["ckpt_path={files}/good.ckpt", "model.vae.hidden_size=64"], "model.vae.hidden_size=32 (asked 64)"),
    (["init_from={files}/truncated_model"], "init_from"),
    (["init_from={files}/nowhere"], "no model file or shipped model"),
    (["batch_size=-1"], "batch_size must be >= 1"),
    (["model.vae.hidden_size=0"], "model.vae.hidden_size must be an integer >= 1"),
    (["model.vae.tanh_latent=often"], "model.vae.tanh_latent must be true or false, got 'often'"),
    (["model.vae.arch=compact", "model.vae.latent_projection=true"], "latent_projection needs model.vae.arch=leaps"),
    (["model.lr=-1"], "model.lr must be > 0"),
    (["model.losses.kl=-1"], "model.losses.kl must be >= 0"),
    (["trainer.max_epochs=-5"], "bad trainer setting"),
    (["seed=abc"], "seed must be an integer"),
    (["numba_threads=0"], "numba_threads must be >= 1"),
    (["logger=wandb", "logger.mode=bogus"], "logger.mode must be"),
]


@pytest.mark.parametrize(("args", "message"), TRAIN_CASES, ids=[" ".join(a) for a, _ in TRAIN_CASES])
def test_train_bad_input(files, tmp_path, args, message):
    run_dir = tmp_path / "run"
    args = [a.format(files=files, tmp=tmp_path) for a in args]
    if not any(a.startswith("data.path=") for a in args):
        args.append(f"data.path={files}/d.h5")
    code, text = run_entry(str(ROOT / "train.py"), [
        "data.num_programs=30", "data.shard_size=30", "data.workers=1", "data.progress=false", "batch_size=8",
        "logger=none", "callbacks.progress_bar=false", "torch_threads=1", "trainer.max_epochs=1", *SMALL, *args,
        f"hydra.run.dir={run_dir}"])
    assert_clean_failure(code, text, message)
    assert leftovers(run_dir) == []  # no checkpoint, export or logs
    assert not list(tmp_path.glob("new.h5*"))  # no (partial) dataset either
    assert not PWNED.exists()


GENERATE_CASES = [
    (["data=nosuch"], "unknown data 'nosuch'"),
    (["data=leaps_original"], "use data=karel"),
    (["num_programs=-1"], "num_programs must be >= 1"),
    (["max_depth=0"], "max_depth must be >= 1"),
    (["wall_prob=2"], "wall_prob must be in [0, 1]"),
    (["height=2"], "at least 3x3"),
    (["split.train=0.9"], "sum to 1"),
    (["seed=abc"], "seed must be an integer"),
    (["num_demos=0"], "num_demos"),
    (["demo_budget=1", "candidates_per_round=8", "world_pool=10"], "no program got 10 usable demonstrations"),
    (["max_depth=1", "num_programs=200", "shard_size=200"], "allow too few programs"),
    (["path=/proc/no/such/dir/d.h5"], "error:"),
]


@pytest.mark.parametrize(("args", "message"), GENERATE_CASES, ids=[" ".join(a) for a, _ in GENERATE_CASES])
def test_generate_bad_input(tmp_path, args, message):
    path = tmp_path / "d.h5"
    base = [] if args[0].startswith("data=") else ["num_programs=20", "shard_size=20", "workers=1", "progress=false",
                                                  f"path={path}"]
    code, text = run_entry("leaps.data.generate", [*base, *args])
    assert_clean_failure(code, text, message)
    assert list(tmp_path.iterdir()) == []  # no file, finished-looking or temporary


def test_search_state_of_another_version(tmp_path):
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    (run_dir / "search_state.json").write_text('{"iteration": 3, "rng": {}}')  # an older layout
    code, text = run_entry(str(ROOT / "search.py"), ["searcher=random", "eval_budget=20", "resume=true", "logger=none",
                                                     "progress=false", f"hydra.run.dir={run_dir}"])
    assert_clean_failure(code, text, "delete it to start the search afresh")
    assert not (run_dir / "results.json").exists()


@pytest.mark.parametrize(("command", "message"), [
    (["search.py", "searcher=cem", "searcher.elitism_rate=1.5", "logger=none"], "elitism_rate must be in (0, 1]"),
    (["-m", "leaps.search", "searcher=random", "budget=5", "logger=none"], "budget: renamed to eval_budget"),
    (["-m", "leaps.train", "model=leapz", "logger=none"], "did you mean model=leaps?"),
    (["train.py", "model=leapz", "logger=none"], "did you mean model=leaps?"),
    (["-m", "leaps.data.generate", "num_programs=-3"], "num_programs must be >= 1"),
])
def test_real_exit_status_and_one_line_on_stderr(tmp_path, command, message):
    if command[0].endswith(".py"):
        command = [str(ROOT / command[0]), *command[1:]]
    if command[0] != "-m" or command[1] != "leaps.data.generate":
        command = [*command, f"hydra.run.dir={tmp_path / 'run'}"]
    proc = subprocess.run([sys.executable, *command], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 1
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], proc.stderr
