"""docs/extending.md's worked examples work as written: the Corridor task and
the random-walk method, each one module plus one config, run through
search.py's own code path (config composition, registries, runner)."""

from __future__ import annotations

import json
import re
import shutil
import sys
import types
from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir

from leaps.karel.protocols.leaps.registry import TASKS
from leaps.karel.tasks import evaluate, get_task
from leaps.search.methods import METHODS
from leaps.search.runner import run_search

ROOT = Path(__file__).resolve().parents[1]
DOC = (ROOT / "docs" / "extending.md").read_text()
FILES = dict(re.findall(r"File `([^`]+)`:\n\n```\w+\n(.*?)```", DOC, flags=re.DOTALL))


@pytest.fixture
def extended(tmp_path, monkeypatch):
    """The documented modules loaded into copies of the registries, and a
    copy of conf/ with the documented configs."""
    monkeypatch.setattr(TASKS, "_classes", dict(TASKS._classes))
    monkeypatch.setattr(METHODS, "_classes", dict(METHODS._classes))
    for path, code in FILES.items():
        if path.endswith(".py"):
            module = types.ModuleType(path.removesuffix(".py").replace("/", "."))
            monkeypatch.setitem(sys.modules, module.__name__, module)
            exec(compile(code, path, "exec"), module.__dict__)  # registers, as importing the file would
    conf = tmp_path / "conf"
    shutil.copytree(ROOT / "conf", conf)
    for path, text in FILES.items():
        if path.endswith(".yaml"):
            (tmp_path / path).write_text(text)
    return conf


def test_the_documented_files_are_all_there():
    assert sorted(FILES) == ["conf/searcher/random_walk.yaml", "conf/task/corridor.yaml",
                             "leaps/karel/protocols/leaps/tasks/corridor.py", "leaps/search/methods/random_walk.py"]


def test_the_corridor_task(extended):
    walk = "DEF run m( WHILE c( frontIsClear c) w( move w) m)"
    assert evaluate([walk, "DEF run m( turnLeft turnLeft m)"], "corridor", seed=3).mean_return.tolist() == [1.0, 0.0]
    assert get_task("corridor", width=30, call_budget=100).call_budget == 100


@pytest.mark.parametrize("space", ["program", "latent"])
def test_a_search_with_the_random_walk_on_the_corridor(extended, tmp_path, space):
    with initialize_config_dir(config_dir=str(extended), version_base="1.3"):
        cfg = compose("search", overrides=["task=corridor", "searcher=random_walk", f"space={space}",
                                           "eval_budget=100", "logger=none", "progress=false", "gif=false"])
    run_search(cfg, tmp_path / "run")
    results = json.loads((tmp_path / "run" / "results.json").read_text())
    assert (results["task"], results["searcher"], results["space"]) == ("corridor", "random_walk", space)
    evaluations = results["evaluations"]
    assert evaluations <= 100 and results["iterations"] == -(-evaluations // 32)  # 32 steps an iteration
    assert evaluations == 100 or results["best_return"] == 1.0  # the budget, or a solution, ends it
    assert 0.0 <= results["best_return"] <= 1.0 and results["test_return"] is not None
