"""Searches under both protocols (leaps.search.evaluators, through the
protocol registry): every task of carvalho2024 composes, each searcher runs
end to end on its new tasks, and settings a protocol lacks end in one clear
message."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from hydra import compose, initialize_config_dir
from PIL import Image

import leaps.karel.protocols as protocols
from leaps.karel.protocols import carvalho2024
from leaps.search.evaluators import protocol_of, search_evaluator
from leaps.search.results import BestTracker
from leaps.search.runner import SearchError, run_search

CONF = Path(__file__).resolve().parents[2] / "conf"
QUIET = ["logger=none", "progress=false"]


def config(*overrides: str):
    with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
        return compose("search", overrides=list(overrides))


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    from leaps.models import LeapsModule
    from leaps.models.checkpoint import export_model

    torch.manual_seed(0)
    return export_model(LeapsModule({"vae": {"hidden_size": 16, "latent_dim": 8, "embedding_dim": 8}}),
                        tmp_path_factory.mktemp("model") / "export")


def test_config_group_lists_the_protocols():
    assert sorted(p.stem for p in (CONF / "protocol").glob("*.yaml")) == sorted(protocols.names())
    assert protocol_of(config()).name == "leaps"  # the default


def test_every_task_of_every_protocol_has_a_config():
    for name in protocols.names():
        for task in protocols.get(name).task_names():
            assert (CONF / "task" / f"{task}.yaml").exists(), (name, task)


@pytest.mark.parametrize("task", carvalho2024.TASK_NAMES)
def test_every_carvalho2024_task_has_a_config_and_an_evaluator(task):
    evaluator = search_evaluator(config("protocol=carvalho2024", f"task={task}"))
    assert isinstance(evaluator, carvalho2024.Evaluator) and evaluator.worlds.seeds == tuple(range(16))
    result = evaluator.evaluate(["DEF run m( move m)", "DEF run m( move"])
    assert np.isfinite(result.mean_return[0]) and result.mean_return[1] == -np.inf
    assert len(evaluator.rollout("DEF run m( move turnLeft m)")) == 3


def test_task_n_worlds_takes_the_first_seeds():
    evaluator = search_evaluator(config("protocol=carvalho2024", "task=seeder", "task.n_worlds=4"))
    assert evaluator.worlds.seeds == (0, 1, 2, 3)


@pytest.mark.parametrize(("overrides", "message"), [
    (["task=snake"], "protocol=leaps has no task 'snake'; it is a task of protocol=carvalho2024"),
    (["protocol=carvalho2024", "task=maze", "task.height=20"],
     "task.height does not apply to task=maze under protocol=carvalho2024: its grid size is fixed"),
    (["protocol=carvalho2024", "task=maze", "task.call_budget=500"],
     "task.call_budget does not apply to protocol=carvalho2024: its call budget is fixed"),
    (["protocol=carvalho2024", "task=maze", "task.n_worlds=0"], "task.n_worlds must be >= 1"),
])
def test_settings_a_protocol_lacks_fail_clearly(tmp_path, overrides, message):
    cfg = config(*overrides, "searcher=random", *QUIET)
    with pytest.raises(SearchError, match=message):
        run_search(cfg, tmp_path / "run")
    assert not (tmp_path / "run").exists()  # nothing written


def searched(out: Path, *overrides: str) -> dict:
    run_search(config("protocol=carvalho2024", *overrides, *QUIET), out)
    return json.loads((out / "results.json").read_text())


def test_hill_climbing_on_snake_writes_results_and_gif(tmp_path):
    results = searched(tmp_path, "task=snake", "searcher=hill_climbing", "searcher.neighbours=40", "eval_budget=200")
    assert results["protocol"] == "carvalho2024" and results["evaluations"] <= 200
    assert -1.0 <= results["best_return"] <= 1.0 and results["best_raw_return"] == results["best_return"]
    expected = carvalho2024.evaluate([results["best_program"]], "snake", seeds=range(16, 116)).mean_return[0]
    assert results["test_return"] == pytest.approx(expected) and results["test_worlds"] == 100
    assert results["generalisation"] == {}  # fixed worlds: no generalisation test
    gif = Image.open(tmp_path / "best_program.gif")
    assert gif.n_frames >= 1 and gif.size == (8 * 32, 8 * 32)


def test_random_search_on_doorkey(tmp_path):
    results = searched(tmp_path, "task=doorkey", "searcher=random", "searcher.batch_size=64", "eval_budget=150",
                       "gif=false")
    assert results["evaluations"] == 150 and results["best_program"]
    history = json.loads((tmp_path / "history.json").read_text())["history"]
    assert [h["evaluations"] for h in history] == [64, 128, 150]


def test_given_program_on_onestroke(tmp_path):
    program = "DEF run m( WHILE c( frontIsClear c) w( move w) m)"
    results = searched(tmp_path, "task=onestroke", "searcher=given", f"searcher.program='{program}'")
    expected = carvalho2024.evaluate([program], "onestroke").mean_return[0]
    assert results["best_return"] == pytest.approx(expected) and results["evaluations"] == 1
    assert len(json.loads((tmp_path / "history.json").read_text())["history"][0]["extra"]["per_world"]) == 16


def test_cem_with_a_tiny_model_on_seeder(tmp_path, tiny_model):
    results = searched(tmp_path, "task=seeder", "searcher=cem", f"space.model={tiny_model}",
                       "searcher.max_iterations=3", "searcher.population_size=8", "torch_threads=1")
    assert results["iterations"] == 3 and results["evaluations"] == 3 * (8 + 1)
    history = json.loads((tmp_path / "history.json").read_text())["history"]
    assert all(not np.isnan(h["best_return"]) for h in history)


def test_best_tracker_keeps_a_program_when_every_return_is_minus_inf():
    best = BestTracker()
    best.update(["DEF run m( move"], carvalho2024.evaluate(["DEF run m( move"], "maze"))
    assert best.program == "DEF run m( move" and best.mean_return == -np.inf
    best.update(["DEF run m( move m)"], carvalho2024.evaluate(["DEF run m( move m)"], "maze"))
    assert best.program == "DEF run m( move m)"
