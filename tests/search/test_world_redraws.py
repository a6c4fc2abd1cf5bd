"""protocol.redraw_every: a search whose worlds are redrawn as the
reference's CEM environments redraw theirs (every 100 iterations, TopOff's
redraws with the last bottom cell marked)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hydra import compose, initialize_config_dir

from leaps import config_dir, report
from leaps.karel import dsl, protocols
from leaps.karel.protocols.base import EvaluationWorlds
from leaps.karel.tasks import get_task
from leaps.search import CEM, LatentSpace, evaluators, search
from leaps.search.evaluations import Programs, WorldRedraws
from leaps.search.evaluators import world_redraws
from leaps.search.methods.base import SearchMethod, Step
from leaps.search.runner import SearchError, run_search
from tests.karel.tasks.test_tasks import SOLUTIONS
from tests.search.test_cem import ThresholdDecoder

LEAPS = protocols.get("leaps")
TOPS_OFF_THE_LAST_CELL = ("DEF run m( WHILE c( frontIsClear c) w( IF c( markersPresent c) i( putMarker i) move w) "
                          "IF c( markersPresent c) i( putMarker i) m)")


def config(*overrides: str):
    with initialize_config_dir(config_dir=str(config_dir()), version_base=None):
        return compose("search", overrides=["logger=none", "progress=false", "gif=false", *overrides])


def test_topoff_redraws_mark_the_last_cell_where_the_first_worlds_never_do():
    first = LEAPS.evaluator("topoff", worlds=EvaluationWorlds(3))
    redrawn = LEAPS.evaluator("topoff", worlds=EvaluationWorlds(3, draw=1, reset=True))
    assert not first.worlds.markers[:, 10, 10].any() and redrawn.worlds.markers[:, 10, 10].all()
    assert not LEAPS.evaluator("topoff", worlds=EvaluationWorlds(3, draw=1)).worlds.markers[:, 10, 10].any()
    # the usual solution stops on the last cell without topping it off: 9 of the 11 steps, the paper's 0.81
    assert first.evaluate([SOLUTIONS["topoff"]]).mean_return[0] == 1.0
    assert redrawn.evaluate([SOLUTIONS["topoff"]]).mean_return[0] == pytest.approx(9 / 11)
    assert redrawn.evaluate([TOPS_OFF_THE_LAST_CELL]).mean_return[0] == 1.0
    assert get_task("topoff").reset_variant().last_marked and get_task("maze").reset_variant().name == "maze"


@pytest.mark.parametrize("task", ["stairclimber", "topoff", "maze", "cleanhouse"])
def test_each_draw_has_worlds_of_its_own_repeatable_from_the_seed(task):
    def markers(draw: int, seed: int = 0) -> np.ndarray:
        worlds = LEAPS.evaluator(task, worlds=EvaluationWorlds(seed, draw=draw, reset=draw > 0)).worlds
        return np.concatenate([worlds.markers.ravel(), worlds.walls.ravel(), worlds.agents.ravel()])

    assert np.array_equal(markers(2), markers(2))
    assert not np.array_equal(markers(1), markers(2)) and not np.array_equal(markers(1), markers(1, seed=1))
    assert not np.array_equal(markers(0), markers(1))  # the first worlds are none of the draws


def test_draws_refuse_held_out_worlds_and_fixed_protocols():
    with pytest.raises(ValueError, match="draw must be >= 0"):
        EvaluationWorlds(0, draw=-1)
    with pytest.raises(ValueError, match="0 for held-out worlds"):
        EvaluationWorlds(0, held_out=True, draw=1)
    for worlds in (EvaluationWorlds(0, draw=1), EvaluationWorlds(0, reset=True)):
        with pytest.raises(ValueError, match="cannot redraw"):
            protocols.get("carvalho2024").evaluator("maze", worlds=worlds)


class Recorder(SearchMethod):
    """Scores one fixed program per iteration and records which draw's evaluator it saw."""

    name = "recorder"
    max_iterations = 7

    def __init__(self):
        self.draws: list[int] = []

    def start(self, space, seed):
        pass

    def state(self):
        return {}

    def load(self, state):
        pass

    def step(self, evaluate, iteration):
        self.draws.append(evaluate.draw)
        ids = np.array([dsl.to_ids(dsl.parse(SOLUTIONS["topoff"]), pad_to=45)])  # what the score cache remembers
        return Step(evaluate(Programs([SOLUTIONS["topoff"]], ids)).mean_return)


class Counting:
    """An evaluator that counts the programs it really scores."""

    def __init__(self, evaluator):
        self.evaluator, self.max_return, self.scored = evaluator, evaluator.max_return, 0

    def evaluate(self, programs):
        self.scored += len(programs)
        return self.evaluator.evaluate(programs)


def test_the_loop_scores_each_iteration_on_its_draw_and_forgets_scores_across_draws():
    made: dict[int, Counting] = {}

    def evaluator_for(draw: int):
        made[draw] = Counting(LEAPS.evaluator("topoff", worlds=EvaluationWorlds(0, draw=draw, reset=True)))
        return made[draw]

    method = Recorder()
    result = search(method, None, LEAPS.evaluator("topoff"), eval_budget=100, seed=0,
                    redraws=WorldRedraws(3, evaluator_for))
    assert method.draws == [1, 1, 1, 2, 2, 2, 3] and sorted(made) == [1, 2, 3]
    # the one program is run once per draw (remembered within it), and every iteration counts
    assert [made[d].scored for d in (1, 2, 3)] == [1, 1, 1] and result.evaluations == 7
    # on redrawn TopOff worlds the program scores 9/11, never the 1.0 it scores on the first worlds
    assert [h["best_return"] for h in result.history] == [pytest.approx(9 / 11)] * 7
    plain = search(Recorder(), None, LEAPS.evaluator("topoff"), eval_budget=100, seed=0)
    assert plain.best_return == 1.0
    with pytest.raises(ValueError, match="redraw_every must be >= 1"):
        WorldRedraws(0, evaluator_for)


def test_a_cem_with_redraws_resumes_exactly():
    def run(**kwargs):
        cfg = CEM(population_size=8, sigma=0.3, elitism_rate=0.25, init_type="tiny_normal", max_iterations=12)
        redraws = WorldRedraws(4, lambda draw: LEAPS.evaluator("maze", worlds=EvaluationWorlds(1, draw=draw)))
        return search(cfg, LatentSpace(ThresholdDecoder()), LEAPS.evaluator("maze", worlds=EvaluationWorlds(1)),
                      eval_budget=cfg.worst_case_evaluations(), seed=2, redraws=redraws, **kwargs)

    full = run()
    states: list[dict] = []
    run(checkpoint=states.append)
    for state in (states[5], states[9]):  # within a draw and right at its start
        resumed = run(state=state)
        assert resumed.history == full.history and resumed.best_program == full.best_program


def test_random_search_with_redraws_runs_from_the_config(tmp_path):
    cfg = config("task=stairclimber", "searcher=random", "searcher.batch_size=16", "eval_budget=96",
                 "protocol.redraw_every=2", "test_worlds=5")
    assert world_redraws(cfg).every == 2 and world_redraws(config()) is None
    result = run_search(cfg, tmp_path / "run")
    assert result.evaluations == 96 and result.iterations == 6
    summary = json.loads((tmp_path / "run" / "results.json").read_text())
    assert report.run_label(summary) == "random [worlds redrawn/2] [96-eval budget]"


def test_the_held_out_test_of_a_search_that_redrew_is_on_worlds_drawn_alike():
    redrawn, plain = config("task=topoff", "protocol.redraw_every=100"), config("task=topoff")
    assert evaluators.test_return(redrawn, SOLUTIONS["topoff"]) == pytest.approx(9 / 11)
    assert evaluators.test_return(plain, SOLUTIONS["topoff"]) == 1.0
    # the draws a search makes are the reset's too
    assert world_redraws(redrawn).evaluator_for(1).worlds.markers[:, 10, 10].all()


@pytest.mark.parametrize(("overrides", "message"), [
    (["protocol=carvalho2024", "task=maze", "protocol.redraw_every=100"],
     "protocol.redraw_every must stay null under protocol=carvalho2024: its worlds are fixed"),
    (["protocol.redraw_every=0"], "protocol.redraw_every must be >= 1, got 0"),
    (["protocol.redraw_every=often"], "protocol.redraw_every must be an integer, got 'often'"),
])
def test_bad_redraw_settings_fail_before_anything_is_written(tmp_path, overrides, message):
    with pytest.raises(SearchError, match=message):
        run_search(config("searcher=random", *overrides), tmp_path / "run")
    assert not (tmp_path / "run").exists()
