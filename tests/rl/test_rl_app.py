"""rl.py end to end on tiny budgets: results.json where leaps.report reads it
(DRL columns beside the searchers), same seed -> same result, resume from
the last checkpoint, and bad input in one line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest.importorskip("stable_baselines3")

from leaps import report  # noqa: E402
from tests.test_entrypoint_errors import ROOT, assert_clean_failure, run_entry  # noqa: E402

RL = str(ROOT / "rl.py")
TINY = ["logger=none", "agent.num_envs=8", "agent.n_steps=16", "agent.batch_size=64", "checkpoint_every=128",
        "test_worlds=5", "task.n_worlds=3", "agent.cnn.channels=[8,8]", "agent.cnn.features_dim=32",
        "generalisation.sizes=[[10,10]]", "generalisation.n_worlds=2"]


def train(run_dir: Path, *args: str) -> dict:
    code, text = run_entry(RL, [*TINY, f"hydra.run.dir={run_dir}", *args])
    assert code in (0, None), text
    return json.loads((run_dir / "results.json").read_text())


def test_tiny_training_writes_results_that_the_report_labels(tmp_path):
    result = train(tmp_path / "grid", "task=harvester", "obs=grid", "total_steps=512", "seed=3")
    assert result["evaluations"] == 512 and result["seed"] == 3 and result["protocol"] == "leaps"
    assert all(isinstance(result[k], float) for k in ("best_return", "test_return"))  # LEAPS Harvester goes below 0
    assert set(result["generalisation"]) == {"10x10"}
    assert result["wall_time_s"] > 0 and result["steps_per_s"] > 0
    assert report.run_label(result) == "ppo (grid)"
    table = report.table([result])
    assert "ppo (grid)" in table and "ppo (grid): test" in table


def _rate_matches(rate: float, steps: int, wall_rounded: float) -> bool:
    """results.json rounds the wall time to 1 ms and the rate to 0.1 step/s: a short run's rate is only known within
    the range those roundings leave."""
    return steps / (wall_rounded + 5e-4) - 0.05 <= rate <= steps / (wall_rounded - 5e-4) + 0.05


def test_same_seed_same_result_and_resume(tmp_path):
    args = ["protocol=carvalho2024", "task=harvester", "obs=abstract", "obs.last_action=true", "seed=1"]
    first = train(tmp_path / "a", *args, "total_steps=512")
    again = train(tmp_path / "b", *args, "total_steps=512")
    for key in ("best_return", "test_return", "evaluations"):
        assert first[key] == again[key]
    assert report.run_label(first) == "ppo (abstract)" and first["generalisation"] == {}
    # the run of 'a' continues from its checkpoint at 512 steps to 1024
    code, text = run_entry(RL, [*TINY, f"hydra.run.dir={tmp_path / 'a'}", *args, "total_steps=1024", "resume=true"])
    assert code in (0, None), text
    assert "resuming at 512" in text
    resumed = json.loads((tmp_path / "a" / "results.json").read_text())
    assert resumed["evaluations"] == 1024 and resumed["wall_time_s"] > first["wall_time_s"]
    assert _rate_matches(resumed["steps_per_s"], 1024, resumed["wall_time_s"])
    # resumed once more after it had finished: no training, the same run's rate (not 0 steps/s)
    code, text = run_entry(RL, [*TINY, f"hydra.run.dir={tmp_path / 'a'}", *args, "total_steps=1024", "resume=true"])
    assert code in (0, None), text
    again_done = json.loads((tmp_path / "a" / "results.json").read_text())
    assert again_done["steps_per_s"] == pytest.approx(resumed["steps_per_s"], rel=0.05)


@pytest.mark.parametrize(("args", "fragment"), [
    (["agent=sac"], "unknown agent 'sac'"),
    (["obs=pixels"], "unknown obs 'pixels'"),
    (["agent.num_envs=0"], "agent.num_envs must be a whole number >= 1"),
    (["total_steps=-5"], "total_steps must be a whole number >= 1"),
    (["agent.batch_size=100000"], "exceeds a rollout"),
    (["protocol=carvalho2024", "task.height=20"], "fixed worlds"),
    (["task=snake"], "has no task 'snake'"),
    (["torch_threads=0"], "torch_threads must be >= 1 or null, got 0"),
])
def test_bad_input_ends_in_one_line(tmp_path, args, fragment):
    code, text = run_entry(RL, ["logger=none", f"hydra.run.dir={tmp_path}", *args])
    assert_clean_failure(code, text, fragment)
    assert not (tmp_path / "results.json").exists()


@pytest.mark.parametrize("obs", ["grid", "abstract"])
def test_an_interrupted_run_resumes_to_the_uninterrupted_result(tmp_path, monkeypatch, obs):
    """Stopped right after its checkpoint at 512 of 1024 steps and resumed, a run ends where the uninterrupted one
    does: the model and optimiser (trained on every rollout before the checkpoint), the environments and the
    global RNGs SB3 draws from all come back."""
    from leaps.rl import runner

    args = ["task=harvester", f"obs={obs}", "seed=2", "total_steps=1024"]
    straight = train(tmp_path / "straight", *args)
    real_save = runner.Checkpoints.save

    def save_then_stop(self, model, venv, wall):
        real_save(self, model, venv, wall)
        if model.num_timesteps >= 512:
            raise KeyboardInterrupt

    monkeypatch.setattr(runner.Checkpoints, "save", save_then_stop)
    code, text = run_entry(RL, [*TINY, f"hydra.run.dir={tmp_path / 'cut'}", *args])
    assert code not in (0, None) and not (tmp_path / "cut" / "results.json").exists(), text
    monkeypatch.setattr(runner.Checkpoints, "save", real_save)
    resumed = train(tmp_path / "cut", *args, "resume=true")
    for key in ("best_return", "test_return", "evaluations", "generalisation"):
        assert straight[key] == resumed[key], key
