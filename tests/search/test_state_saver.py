"""The search state is written every save_interval iterations but at most
once every save_seconds (a long search's state is megabytes), always on
interruption, and a search resumed from any boundary it kept ends as the
uninterrupted one."""

from __future__ import annotations

import json

from leaps.karel import protocols
from leaps.search import HillClimbing, ProgramSpace, search
from leaps.search.runner import StateSaver


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_boundaries_are_taken_every_interval_and_no_more_often_than_the_seconds(tmp_path, monkeypatch):
    clock = Clock()
    monkeypatch.setattr("leaps.search.runner.time.monotonic", clock)
    saver = StateSaver(tmp_path / "state.json", interval=2, seconds=10.0)
    taken = []
    for boundary in range(12):
        clock.now = 3.0 * boundary
        if saver.due():
            saver({"boundary": boundary})
            taken.append(boundary)
    assert taken == [0, 4, 8]  # even boundaries (interval 2) at least 10 s apart: t = 0, 12, 24
    assert json.loads((tmp_path / "state.json").read_text())["boundary"] == 8
    saver.latest = {"boundary": 11}  # an interruption writes what it holds
    saver.flush()
    assert json.loads((tmp_path / "state.json").read_text()) == {"boundary": 11}


def test_a_kept_state_records_the_wall_time_of_every_process_that_ran_the_search(tmp_path, monkeypatch):
    now = [50.0]
    monkeypatch.setattr("leaps.search.runner.time.perf_counter", lambda: now[0])
    saver = StateSaver(tmp_path / "state.json", interval=1, seconds=0.0, elapsed=120.0)  # resumed after 120 s
    now[0] = 80.0
    saver({"boundary": 1})
    assert json.loads(saver.path.read_text())["wall_time_s"] == 150.0  # 120 before, 30 in this process


def test_a_search_resumed_from_a_sparse_checkpoint_ends_as_the_uninterrupted_one(tmp_path, monkeypatch):
    clock = Clock()
    monkeypatch.setattr("leaps.search.runner.time.monotonic", clock)
    evaluator = protocols.get("carvalho2024").evaluator("doorkey")
    saver = StateSaver(tmp_path / "state.json", interval=1, seconds=5.0)

    def tick(report) -> None:  # every iteration takes 1 s
        clock.now += 1.0

    method = HillClimbing(neighbours=50, variant="first_improvement")
    full = search(method, ProgramSpace(), evaluator, eval_budget=3000, seed=2, callback=tick, checkpoint=saver)
    kept = json.loads(saver.path.read_text())
    assert 0 < kept["iteration"] < full.iterations
    resumed = search(HillClimbing(neighbours=50, variant="first_improvement"), ProgramSpace(), evaluator,
                     eval_budget=3000, seed=2, state=kept)
    assert (resumed.best_program, resumed.evaluations, resumed.iterations, resumed.history) == (
        full.best_program, full.evaluations, full.iterations, full.history)
