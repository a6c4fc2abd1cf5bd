"""The successors' latent CEM and CEBS (leaps.search.methods.latent_cem,
cebs): their loop's rules one by one on a decoder whose programs we choose,
and their published settings as the configs' values."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from hydra import compose, initialize_config_dir

from leaps.karel import dsl
from leaps.karel.tasks import TaskEvaluator
from leaps.search import CEBS, LatentCEM, LatentSpace, ProgramSpace, SpaceMismatch, search
from leaps.search.methods.latent_cem import MIN_SIGMA, SIGMA_DECAY
from leaps.search.runner import make_method
from tests.karel.tasks.test_tasks import SOLUTIONS

CONF = Path(__file__).resolve().parents[2] / "conf"
GOOD = dsl.to_text(dsl.parse(SOLUTIONS["maze"]))
BAD = dsl.to_text(dsl.parse("DEF run m( move move m)"))


class ThresholdDecoder:
    """Greedy decoding only; a latent whose first coordinate exceeds
    ``threshold`` decodes to the maze solution, any other to a bad program."""

    latent_dim = 4

    def __init__(self, threshold: float = np.inf):
        self.threshold = threshold
        self.greedy_flags: list[bool] = []

    def decode(self, z, greedy=True, generator=None):
        self.greedy_flags.append(greedy)
        rows = [dsl.to_ids(dsl.parse(GOOD if float(v) > self.threshold else BAD), pad_to=45) for v in z[:, 0]]
        return torch.tensor(rows)


def run(method, decoder, budget=2000, seed=0, **kwargs):
    return search(method, LatentSpace(decoder), TaskEvaluator("maze", seed=0), eval_budget=budget, seed=seed,
                  **kwargs)


def test_it_needs_a_latent_space():
    with pytest.raises(SpaceMismatch, match="searcher=cebs needs vectors"):
        search(CEBS(), ProgramSpace(), TaskEvaluator("maze"), eval_budget=100, seed=0)


def test_it_decodes_greedily_and_counts_only_up_to_the_first_solution():
    decoder = ThresholdDecoder(threshold=1.5)  # about 7% of N(0, 1) draws solve the maze
    result = run(LatentCEM(population_size=32, elitism_rate=0.1), decoder, seed=3)
    assert result.best_return == 1.0 and result.best_program == GOOD
    assert all(decoder.greedy_flags)
    first = torch.randn(32, 4, generator=torch.Generator().manual_seed(3))
    solvers = np.flatnonzero(first[:, 0].numpy() > 1.5)
    if len(solvers):  # the first population already holds one: the search stops right after it
        assert result.iterations == 1 and result.evaluations == solvers[0] + 1
    assert result.evaluations < 32 * result.iterations


def test_restarts_after_stalled_elites_and_resets_sigma():
    method = CEBS(population_size=8, elitism_rate=0.25, sigma=0.3, restart_after=5, exp_decay=True)
    result = run(method, ThresholdDecoder(), budget=8 * 13)
    restarts = [h["extra"]["restart"] for h in result.history]
    # iteration 1 sets the best elite mean; 2..6 do not beat it: the 5th stall (iteration 6) restarts
    assert restarts == [False] * 5 + [True] + [False] * 5 + [True] + [False]
    sigmas = [h["extra"]["sigma"] for h in result.history]
    assert sigmas[:6] == pytest.approx([max(0.3 * SIGMA_DECAY**i, MIN_SIGMA) for i in range(6)])
    assert sigmas[6] == pytest.approx(0.3 * SIGMA_DECAY)  # re-initialised, then decayed once, as theirs
    assert result.history[-1]["extra"]["restarts"] == 2


def test_sigma_stops_decaying_at_its_floor():
    method = LatentCEM(population_size=2, elitism_rate=0.5, sigma=0.1004, exp_decay=True)
    sigmas = [h["extra"]["sigma"] for h in run(method, ThresholdDecoder(), budget=10).history]
    assert sigmas == pytest.approx([0.1004, 0.1004 * SIGMA_DECAY, MIN_SIGMA, MIN_SIGMA, MIN_SIGMA])


class FixedSpace(LatentSpace):
    """Records the populations it is asked to decode."""

    def __init__(self):
        super().__init__(ThresholdDecoder())
        self.seen: list[torch.Tensor] = []

    def decode_vectors(self, z, greedy=True, generator=None):
        self.seen.append(z.clone())
        return super().decode_vectors(z, greedy, generator)


@pytest.mark.parametrize("reduce_to_mean", [True, False])
def test_the_next_population_is_elites_or_their_mean_plus_noise(reduce_to_mean):
    method = LatentCEM(population_size=6, elitism_rate=0.5, sigma=1e-4, reduce_to_mean=reduce_to_mean)
    space = FixedSpace()
    search(method, space, TaskEvaluator("maze", seed=0), eval_budget=12, seed=0)
    first, second = space.seen
    elites = first[:3]  # every program scores the same: ties keep the earlier latents
    if reduce_to_mean:
        assert torch.allclose(second, elites.mean(dim=0).expand(6, -1), atol=1e-3)
    else:
        nearest = torch.cdist(second, elites).min(dim=1).values
        assert (nearest < 1e-2).all()


def test_elites_are_the_floor_of_the_rate():
    assert LatentCEM(population_size=32, elitism_rate=0.05).n_elite == 1
    assert CEBS().n_elite == 16
    with pytest.raises(ValueError, match="at least one elite"):
        LatentCEM(population_size=8, elitism_rate=0.1)


@pytest.mark.parametrize(("settings", "message"), [
    ({"population_size": 0}, "population_size must be >= 1, got 0"),
    ({"restart_after": 0}, r"restart_after must be >= 1 or null \(no restarts\), got 0"),
    ({"sigma": 0.0}, "sigma must be > 0, got 0.0"),
])
def test_settings_out_of_range_are_refused_by_name(settings, message):
    for method in (LatentCEM, CEBS):
        with pytest.raises(ValueError, match=message):
            method.from_config(**settings)


@pytest.mark.parametrize("restart_after", [None, 2])
def test_resume_equals_uninterrupted(restart_after):
    method = LatentCEM(population_size=8, elitism_rate=0.25, sigma=0.5, exp_decay=True, restart_after=restart_after)
    full = run(method, ThresholdDecoder(threshold=2.5), budget=200, seed=1)
    states = []
    run(method, ThresholdDecoder(threshold=2.5), budget=200, seed=1, checkpoint=states.append)
    resumed = run(method, ThresholdDecoder(threshold=2.5), budget=200, seed=1, state=states[len(states) // 2])
    assert resumed.history == full.history and resumed.best_program == full.best_program
    assert resumed.evaluations == full.evaluations


# sample_args/paper/{CEBS,CEM}/*.json of lelis-research/prog_policies: per task
# (CEM population, elitism rate, sigma, exp_decay); CEBS: 64, 0.25, restart 5, no mean, the same sigma
PUBLISHED = {
    "stairclimber": (32, 0.05, 0.25, True), "maze": (16, 0.1, 0.1, False), "topoff": (64, 0.05, 0.25, False),
    "harvester": (32, 0.1, 0.5, True), "fourcorner": (64, 0.2, 0.5, False), "cleanhouse": (32, 0.05, 0.25, True),
    "doorkey": (32, 0.1, 0.25, False), "seeder": (32, 0.1, 0.25, False), "onestroke": (64, 0.05, 0.5, True),
    "snake": (32, 0.2, 0.25, False),
}


@pytest.mark.parametrize("task", sorted(PUBLISHED))
def test_the_configs_hold_the_successors_published_settings(task):
    population, elitism, sigma, decay = PUBLISHED[task]
    with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
        cem = make_method(compose("search", overrides=["protocol=carvalho2024", f"task={task}", "searcher=latent_cem"]))
        cebs = make_method(compose("search", overrides=["protocol=carvalho2024", f"task={task}", "searcher=cebs"]))
    assert isinstance(cem, LatentCEM) and not isinstance(cem, CEBS)
    assert (cem.population_size, cem.elitism_rate, cem.sigma, cem.exp_decay) == (population, elitism, sigma, decay)
    assert cem.reduce_to_mean and cem.restart_after is None
    assert isinstance(cebs, CEBS)
    assert (cebs.population_size, cebs.elitism_rate, cebs.sigma, cebs.exp_decay) == (64, 0.25, sigma, False)
    assert not cebs.reduce_to_mean and cebs.restart_after == 5
