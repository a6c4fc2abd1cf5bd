"""``python -m leaps.search.rescore``: the best programs stored in results.json
scored on their runs' held-out test worlds, exactly as a search scores them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir

from leaps.search import rescore
from leaps.search.runner import run_search

CONF = Path(__file__).resolve().parents[2] / "conf"


def searched(out: Path, *overrides: str) -> dict:
    with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
        cfg = compose("search", overrides=[*overrides, "logger=none", "progress=false", "gif=false"])
    run_search(cfg, out)
    return json.loads((out / "results.json").read_text())


@pytest.mark.parametrize("overrides", [
    ["task=maze", "searcher=random", "eval_budget=40", "seed=2"],
    ["task=cleanhouse", "searcher=random", "eval_budget=40", "task.call_budget=1000"],
    ["protocol=carvalho2024", "task=seeder", "searcher=random", "eval_budget=40", "test_worlds=20"],
])
def test_rescoring_a_run_gives_the_test_return_its_search_recorded(tmp_path, overrides, capsys):
    run = tmp_path / "sweep" / "run"
    recorded = searched(run, *overrides)
    old = {k: v for k, v in recorded.items() if k not in ("test_return", "test_worlds")}
    (run / "results.json").write_text(json.dumps(old))  # as written before searches recorded test returns
    rescore.main([str(tmp_path / "sweep")])
    again = json.loads((run / "results.json").read_text())
    assert again["test_return"] == recorded["test_return"] and again["test_worlds"] == recorded["test_worlds"]
    assert {k: v for k, v in again.items() if k not in ("test_return", "test_worlds")} == old
    assert "1 of 1 runs scored" in capsys.readouterr().out


def test_runs_with_a_test_return_are_kept_unless_forced(tmp_path, capsys):
    run = tmp_path / "run"
    recorded = searched(run, "task=maze", "searcher=random", "eval_budget=20")
    (run / "results.json").write_text(json.dumps({**recorded, "test_return": -5.0}))
    rescore.main([str(tmp_path)])
    assert json.loads((run / "results.json").read_text())["test_return"] == -5.0
    assert "0 of 1 runs scored" in capsys.readouterr().out
    rescore.main([str(tmp_path), "--force"])
    assert json.loads((run / "results.json").read_text())["test_return"] == recorded["test_return"]


def test_missing_or_empty_directory_is_one_clear_error(tmp_path):
    with pytest.raises(SystemExit, match="does not exist"):
        rescore.main([str(tmp_path / "nope")])
    with pytest.raises(SystemExit, match="no results.json"):
        rescore.main([str(tmp_path)])
