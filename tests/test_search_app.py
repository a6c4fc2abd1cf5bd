"""search.py end to end, as a user runs it (subprocesses, tiny budgets)."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from tests.processes import start

ROOT = Path(__file__).resolve().parents[1]


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "search.py"), *args], cwd=cwd, capture_output=True, text=True,
                          timeout=600)


@pytest.mark.parametrize("searcher", ["random", "hill_climbing"])
def test_search_writes_results_program_and_gif(tmp_path, searcher):
    out = tmp_path / "run"
    proc = run("task=harvester", f"searcher={searcher}", "eval_budget=300", "logger=csv", "progress=false",
               f"hydra.run.dir={out}", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "best return" in proc.stdout
    results = json.loads((out / "results.json").read_text())
    assert results["searcher"] == searcher and results["evaluations"] <= 300
    assert 0 <= results["best_return"] <= 1
    assert results["best_raw_return"] == pytest.approx(results["best_return"] + 0.1)
    assert 0 <= results["test_return"] <= 1 and results["test_worlds"] == 100 and results["space"] == "program"
    assert "test return" in proc.stdout
    assert results["best_program"] in (out / "best_program.txt").read_text()
    assert Image.open(out / "best_program.gif").n_frames >= 1
    assert (out / "metrics.csv").read_text().startswith("iteration,")


def test_multirun_inclusive_seed_range_and_report(tmp_path):
    proc = run("task=maze", "searcher=random", "eval_budget=64", "logger=none", "progress=false", "gif=false",
               "-m", "seed=0..2", f"hydra.sweep.dir={tmp_path / 'sweep'}", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    seeds = sorted(p.name for p in (tmp_path / "sweep" / "maze" / "random" / "program").iterdir())
    assert seeds == ["seed0", "seed1", "seed2"]
    report = subprocess.run([sys.executable, "-m", "leaps.report", str(tmp_path / "sweep")], capture_output=True,
                            text=True, cwd=ROOT)
    assert report.returncode == 0 and "| maze | 1.00 |" in report.stdout and "n=3" in report.stdout


@pytest.mark.parametrize(("args", "message"), [
    (["task=nosuch"], "nosuch"),
    (["searcher=cem", "task=maze", "model=/no/such/model"], "space=latent needs a stage-1 model"),
    (["searcher=cem", "task=maze", "model=nosuchmodel"], "nosuchmodel"),
    (["searcher=random", "eval_budget=0"], "eval_budget must be >= 1"),
    (["searcher=cem", "task=maze", "torch_threads=0"], "torch_threads must be >= 1"),
    (["searcher=random", "task=maze", "numba_threads=0"], "numba_threads must be >= 1"),
    (["searcher=random", "task.n_worlds=0"], "n_worlds"),
    (["searcher=random", "task.call_budget=0"], "task.call_budget must be >= 1"),
    (["searcher=random", "task=cleanhouse", "task.height=20"], "fixed"),
])
def test_bad_input_fails_with_one_clear_message(tmp_path, args, message):
    proc = run(*args, "logger=none", "progress=false", f"hydra.run.dir={tmp_path / 'x'}", cwd=tmp_path)
    assert proc.returncode != 0
    assert message in proc.stderr + proc.stdout
    assert "Traceback" not in proc.stderr


def test_given_program_is_scored_with_generalisation(tmp_path):
    from tests.karel.tasks.test_tasks import SOLUTIONS

    out = tmp_path / "given"
    proc = run("task=maze", "searcher=given", f"searcher.program='{SOLUTIONS['maze']}'", "logger=none",
               "progress=false", "generalisation.sizes=[[12,12]]", "generalisation.call_budget=5000",
               f"hydra.run.dir={out}", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    results = json.loads((out / "results.json").read_text())
    assert results["best_return"] == 1.0 and results["evaluations"] == 1
    assert results["generalisation"] == {"12x12": 1.0}
    assert "while noMarkersPresent():" in proc.stdout  # the indented program is printed
    bad = run("searcher=given", "searcher.program='DEF run m( move'", "logger=none", f"hydra.run.dir={out}2",
              cwd=tmp_path)
    assert bad.returncode != 0 and "expected `m)`" in bad.stderr and "Traceback" not in bad.stderr


def test_task_call_budget_raises_the_calls_per_episode(tmp_path):
    from tests.karel.tasks.test_tasks import CLEANHOUSE_FOLLOWER

    returns = {}
    for calls in ("null", "2000"):
        out = tmp_path / calls
        proc = run("task=cleanhouse", "searcher=given", f"searcher.program='{CLEANHOUSE_FOLLOWER}'",
                   f"task.call_budget={calls}", "logger=none", "progress=false", "gif=false", f"hydra.run.dir={out}",
                   cwd=tmp_path)
        assert proc.returncode == 0, proc.stderr
        returns[calls] = json.loads((out / "results.json").read_text())["best_return"]
    assert returns["null"] < 0.5 and returns["2000"] == 1.0


@pytest.mark.parametrize("launcher", ["joblib", "submitit_local"])
def test_sweeps_through_hydra_launchers(tmp_path, launcher):
    sweep = tmp_path / "sweep"
    extra = ["hydra.launcher.n_jobs=2"] if launcher == "joblib" else ["hydra.launcher.timeout_min=5"]
    proc = run("task=maze", "searcher=random", "eval_budget=32", "logger=none", "progress=false", "gif=false",
               f"hydra/launcher={launcher}", *extra, "-m", "seed=0..1", f"hydra.sweep.dir={sweep}", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert len(list(sweep.rglob("results.json"))) == 2


def test_report_plot(tmp_path):
    proc = run("task=maze", "searcher=random", "eval_budget=64", "logger=none", "progress=false", "gif=false",
               "-m", "seed=0..1", f"hydra.sweep.dir={tmp_path / 's'}", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    report = subprocess.run([sys.executable, "-m", "leaps.report", str(tmp_path / "s"), "--out",
                             str(tmp_path / "t.md")], capture_output=True, text=True, cwd=ROOT)
    assert report.returncode == 0, report.stderr
    assert Image.open(tmp_path / "s" / "returns.png").size[0] > 100
    assert "| maze |" in (tmp_path / "t.md").read_text()


def test_interrupted_search_resumes_to_the_uninterrupted_result(tmp_path):
    import signal
    import time

    common = ["task=harvester", "searcher=hill_climbing", "searcher.neighbours=50", "eval_budget=6000", "logger=none",
              "progress=false", "gif=false", "save_interval=1", "save_seconds=0", "generalisation.sizes=[]"]
    full = run(*common, f"hydra.run.dir={tmp_path / 'full'}", cwd=tmp_path)
    assert full.returncode == 0, full.stderr
    out = tmp_path / "cut"
    proc = start([sys.executable, str(ROOT / "search.py"), *common, f"hydra.run.dir={out}"], cwd=tmp_path)
    deadline = time.time() + 120
    while not (out / "search_state.json").exists() and time.time() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)
    proc.send_signal(signal.SIGINT)
    proc.communicate(timeout=120)
    kept = json.loads((out / "search_state.json").read_text())
    resumed = run(*common, "resume=true", f"hydra.run.dir={out}", cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    a = json.loads((tmp_path / "full" / "results.json").read_text())
    b = json.loads((out / "results.json").read_text())
    for key in ("best_program", "best_return", "evaluations", "iterations"):
        assert a[key] == b[key]
    assert kept["wall_time_s"] > 0 and b["wall_time_s"] > kept["wall_time_s"]  # both processes' time


def test_resuming_a_finished_run_leaves_it_as_it_is(tmp_path):
    out = tmp_path / "run"
    common = ["task=maze", "searcher=random", "logger=none", "gif=false", "generalisation.sizes=[]",
              f"hydra.run.dir={out}"]
    first = run(*common, "eval_budget=256", "progress=false", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    written = (out / "results.json").read_bytes()
    again = run(*common, "eval_budget=256", "resume=true", "progress=true", "numba_threads=1", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert "finished earlier" in again.stdout and (out / "results.json").read_bytes() == written
    assert first.stdout.splitlines()[-1] == again.stdout.splitlines()[-1]  # the same result printed
    longer = run(*common, "eval_budget=512", "resume=true", "progress=false", cwd=tmp_path)
    assert longer.returncode == 0, longer.stderr
    assert "differs in eval_budget" in longer.stdout
    assert json.loads((out / "results.json").read_text())["config"]["eval_budget"] == 512


def test_cem_with_an_exported_model_path(tmp_path):
    import torch

    from leaps.models import LeapsModule
    from leaps.models.checkpoint import export_model

    torch.manual_seed(0)
    model_dir = export_model(LeapsModule({"vae": {"hidden_size": 32, "latent_dim": 8, "embedding_dim": 8}}),
                             tmp_path / "model")
    out = tmp_path / "cem"
    proc = run("task=maze", "searcher=cem", f"model={model_dir}", "searcher.max_iterations=3", "logger=csv",
               "progress=false", f"hydra.run.dir={out}", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    results = json.loads((out / "results.json").read_text())
    assert results["model"] == str(model_dir) and results["iterations"] == 3 and results["space"] == "latent"
    assert results["evaluations"] == 3 * (16 + 1)  # maze: population 16, plus the mean's program
    assert results["config"]["searcher"]["init_type"] == "ones" and results["config"]["searcher"]["sigma"] == 0.1
    assert (out / "metrics.csv").read_text().count("\n") == 1 + 3
    assert (out / "best_program.gif").exists()


def test_carvalho2024_protocol_sweep_and_report(tmp_path):
    sweep = tmp_path / "sweep"
    proc = run("protocol=carvalho2024", "task=snake,seeder", "searcher=hill_climbing", "searcher.neighbours=30",
               "eval_budget=90", "logger=none", "progress=false", "gif=false", "-m", "seed=0..1",
               f"hydra.sweep.dir={sweep}", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    results = [json.loads(p.read_text()) for p in sorted(sweep.rglob("results.json"))]
    assert len(results) == 4 and {r["protocol"] for r in results} == {"carvalho2024"}
    report = subprocess.run([sys.executable, "-m", "leaps.report", str(sweep)], capture_output=True, text=True,
                            cwd=ROOT)
    assert report.returncode == 0, report.stderr
    assert "carvalho2024 protocol" in report.stdout and "LEAPS (paper)" not in report.stdout
    assert "| seeder | " in report.stdout and "| snake | " in report.stdout


def test_unknown_protocol_names_the_known_ones(tmp_path):
    proc = run("protocol=carvalho", "logger=none", f"hydra.run.dir={tmp_path / 'x'}", cwd=tmp_path)
    assert proc.returncode != 0 and "protocol=carvalho2024" in proc.stderr and "Traceback" not in proc.stderr


def test_a_sweep_over_both_protocols_keeps_the_runs_apart(tmp_path):
    sweep = tmp_path / "sweep"
    proc = run("protocol=leaps,carvalho2024", "task=maze", "searcher=random", "eval_budget=20", "logger=none",
               "progress=false", "gif=false", f"hydra.sweep.dir={sweep}", "-m", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    leaps_run = json.loads((sweep / "maze" / "random" / "program" / "seed0" / "results.json").read_text())
    other = json.loads((sweep / "carvalho2024" / "maze" / "random" / "program" / "seed0" / "results.json").read_text())
    assert (leaps_run["protocol"], other["protocol"]) == ("leaps", "carvalho2024")


def test_hill_climbing_in_a_latent_space_and_cem_in_program_space(tmp_path):
    """Every method runs in every space that provides what it needs; CEM
    needs vectors, which program space lacks, and says so in one line."""
    out = tmp_path / "hc"
    proc = run("searcher=hill_climbing", "space=latent", "model=leaps", "task=maze", "searcher.neighbours=20",
               "eval_budget=60", "logger=none", "progress=false", "gif=false", f"hydra.run.dir={out}", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    results = json.loads((out / "results.json").read_text())
    assert (results["searcher"], results["space"], results["model"]) == ("hill_climbing", "latent", "leaps")
    assert results["evaluations"] <= 60 and 0 <= results["best_return"] <= 1
    bad = run("searcher=cem", "space=program", "task=maze", "logger=none", f"hydra.run.dir={tmp_path / 'cem'}",
              cwd=tmp_path)
    lines = [line for line in bad.stderr.splitlines() if line.strip()]
    assert bad.returncode == 1 and len(lines) == 1
    assert lines[0] == ("error: searcher=cem needs vectors to perturb and average, which space=program does not "
                        "provide; use space=latent")


def test_python_m_entry_point_runs_from_any_directory(tmp_path):
    out = tmp_path / "run"
    proc = subprocess.run([sys.executable, "-m", "leaps.search", "task=maze", "searcher=random", "eval_budget=32",
                           "logger=none", "progress=false", "gif=false", f"hydra.run.dir={out}"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    assert json.loads((out / "results.json").read_text())["evaluations"] == 32
