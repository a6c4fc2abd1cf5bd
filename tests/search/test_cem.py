import numpy as np
import pytest
import torch

from leaps.karel import dsl
from leaps.karel.tasks import TaskEvaluator
from leaps.search import CEM, LatentSpace, ProgramSpace, SpaceMismatch, search
from leaps.search.methods.cem import elite_mean, initial_mean, sigma_at
from tests.karel.tasks.test_tasks import SOLUTIONS

GOOD = SOLUTIONS["maze"]
BAD = "DEF run m( move move m)"


class ThresholdDecoder:
    """Decodes a latent to the maze solution when its first coordinate > 1."""

    latent_dim = 4

    def __init__(self):
        self.calls = 0

    def decode(self, z, greedy=True, generator=None):
        self.calls += 1
        rows = [dsl.to_ids(dsl.parse(GOOD if float(v) > 1.0 else BAD), pad_to=45) for v in z[:, 0]]
        return torch.tensor(rows)


def run_cem(decoder, evaluator, cfg: CEM, seed: int, budget: int | None = None, **kwargs):
    """CEM in the latent space of ``decoder`` (budget: its worst case unless given)."""
    budget = cfg.worst_case_evaluations() if budget is None else budget
    return search(cfg, LatentSpace(decoder), evaluator, eval_budget=budget, seed=seed, **kwargs)


def test_cem_needs_vectors_program_space_has_none():
    with pytest.raises(SpaceMismatch, match="searcher=cem needs vectors to perturb and average, which space=program "
                                            "does not provide; use space=latent"):
        search(CEM(), ProgramSpace(), TaskEvaluator("maze"), eval_budget=100, seed=0)


def test_cem_moves_the_mean_and_converges():
    decoder = ThresholdDecoder()
    evaluator = TaskEvaluator("maze", seed=0)
    cfg = CEM(population_size=16, sigma=1.0, elitism_rate=0.25, init_type="zeros", max_iterations=200)
    result = run_cem(decoder, evaluator, cfg, seed=0)
    assert result.converged and result.best_return == 1.0
    assert result.best_program == dsl.to_text(dsl.parse(GOOD))
    # converged = the mean's program scored the max 10 iterations in a row
    assert [h["extra"]["mean_program_return"] for h in result.history[-10:]] == [1.0] * 10
    assert result.evaluations == result.iterations * (16 + 1)


def test_cem_respects_the_budget_and_reports():
    reports = []
    evaluator = TaskEvaluator("maze", seed=0)
    cfg = CEM(population_size=8, sigma=0.01, init_type="zeros", max_iterations=1000)
    result = run_cem(ThresholdDecoder(), evaluator, cfg, seed=0, budget=50, callback=reports.append)
    assert result.evaluations <= 50 and not result.converged
    assert len(reports) == result.evaluations // 9
    assert reports[-1].evaluations == result.evaluations


def test_elite_reductions():
    population = torch.tensor([[0.0], [1.0], [2.0], [3.0]])
    rewards = np.array([0.1, 0.5, 0.2, 1.0])
    programs = ["a", "b", "c", "d"]
    cfg = CEM(population_size=4, elitism_rate=0.5, reduction="mean")
    assert elite_mean(population, rewards, programs, cfg).item() == pytest.approx(2.0)
    cfg = CEM(population_size=4, elitism_rate=0.5, reduction="weighted_mean")
    assert elite_mean(population, rewards, programs, cfg).item() == pytest.approx(3.5 / 1.5, rel=1e-4)
    # ties broken by program text, as the reference's sort
    tied = np.array([1.0, 1.0, 0.0, 0.0])
    cfg = CEM(population_size=4, elitism_rate=0.25, reduction="mean")
    assert elite_mean(population, tied, ["z", "a", "b", "c"], cfg).item() == 0.0


def test_init_types_and_sigma_decay():
    g = torch.Generator().manual_seed(0)
    assert initial_mean("ones", 3, g).tolist() == pytest.approx([0.01] * 3)
    assert initial_mean("tiny_normal", 10_000, g).std().item() == pytest.approx(0.1, rel=0.05)
    assert initial_mean("normal", 10_000, g).std().item() == pytest.approx(1.0, rel=0.05)
    cfg = CEM(sigma=0.5, final_sigma=0.1, use_exp_sig_decay=True, max_iterations=100)
    # the reference's scheduler lags one iteration: 0 and 1 use sigma, 51 reaches final_sigma
    assert sigma_at(cfg, 0) == sigma_at(cfg, 1) == 0.5
    assert sigma_at(cfg, 26) == pytest.approx((0.5 * 0.1) ** 0.5)
    assert sigma_at(cfg, 51) == pytest.approx(0.1) and sigma_at(cfg, 52) == sigma_at(cfg, 99) == 0.1
    sigmas = [sigma_at(cfg, i) for i in range(100)]
    assert all(a >= b for a, b in zip(sigmas, sigmas[1:], strict=False))
    assert sigmas[2] / sigmas[1] == pytest.approx(sigmas[3] / sigmas[2])  # exponential: constant ratio
    assert sigma_at(CEM(sigma=0.5), 500) == 0.5


@pytest.mark.parametrize("bad", [{"population_size": 0}, {"elitism_rate": 0.0}, {"elitism_rate": 1.5},
                                 {"reduction": "max"}, {"init_type": "big"}, {"sigma": -1.0},
                                 {"restart_after": 0}, {"population_decoding": "beam"}])
def test_bad_cem_settings(bad):
    with pytest.raises(ValueError):
        CEM(**bad)


class RecordingDecoder(ThresholdDecoder):
    """ThresholdDecoder that notes, per call, how many latents and whether greedily."""

    def __init__(self):
        super().__init__()
        self.modes: list[tuple[int, bool]] = []

    def decode(self, z, greedy=True, generator=None):
        self.modes.append((len(z), greedy))
        return super().decode(z, greedy, generator)


@pytest.mark.parametrize(("decoding", "population_greedy"), [("greedy", True), ("sample", False)])
def test_the_population_is_decoded_greedily_as_the_reference_does_unless_told(decoding, population_greedy):
    """The reference's decoder takes the argmax under CEM (pretrain/models.py,
    setup == 'CEM'); ``sample`` is this repository's earlier CEM. The mean's
    program is greedy either way."""
    decoder = RecordingDecoder()
    cfg = CEM(population_size=8, sigma=0.1, init_type="zeros", max_iterations=3, population_decoding=decoding)
    assert CEM().population_decoding == "greedy"
    run_cem(decoder, TaskEvaluator("maze", seed=0), cfg, seed=0)
    assert decoder.modes == [(8, population_greedy), (1, True)] * 3


def test_greedy_populations_repeat_with_the_seed_and_sampled_ones_differ_from_them():
    from leaps.models import LeapsModule

    torch.manual_seed(0)
    vae = LeapsModule({"vae": {"hidden_size": 32, "latent_dim": 8, "embedding_dim": 8}}).vae.eval()
    z = torch.randn(64, 8, generator=torch.Generator().manual_seed(1))
    space = LatentSpace(vae)
    greedy = space.decode_vectors(z, greedy=True).texts
    assert greedy == space.decode_vectors(z, greedy=True).texts
    assert greedy != space.decode_vectors(z, greedy=False, generator=torch.Generator().manual_seed(0)).texts


@pytest.mark.parametrize("restart_after", [None, 3])
def test_cem_resume_equals_uninterrupted(restart_after):
    cfg = CEM(population_size=8, sigma=0.3, elitism_rate=0.25, init_type="tiny_normal", max_iterations=30,
                    use_exp_sig_decay=True, restart_after=restart_after)
    decoder = ThresholdDecoder()
    full = run_cem(decoder, TaskEvaluator("maze", seed=0), cfg, seed=2)
    states = []
    run_cem(decoder, TaskEvaluator("maze", seed=0), cfg, seed=2, checkpoint=states.append)
    resumed = run_cem(decoder, TaskEvaluator("maze", seed=0), cfg, seed=2, state=states[len(states) // 2])
    assert resumed.history == full.history and resumed.best_program == full.best_program
    assert resumed.evaluations == full.evaluations
    assert (resumed.final_program, resumed.final_return) == (full.final_program, full.final_return)


def test_the_result_keeps_the_mean_program_the_original_reports_beside_the_best():
    """The best program may have been a population sample long ago; the
    original's statistic is the mean's greedy program at the last iteration."""
    cfg = CEM(population_size=8, sigma=0.01, init_type="zeros", max_iterations=5)
    result = run_cem(ThresholdDecoder(), TaskEvaluator("maze", seed=0), cfg, seed=0)
    last = result.history[-1]["extra"]
    assert result.final_program == last["mean_program"] == dsl.to_text(dsl.parse(BAD))
    assert result.final_return == last["mean_program_return"] < 1.0
    converged = run_cem(ThresholdDecoder(), TaskEvaluator("maze", seed=0),
                        CEM(population_size=16, sigma=1.0, elitism_rate=0.25, init_type="zeros"), seed=0)
    assert converged.final_return == converged.best_return == 1.0


def test_cem_with_a_tiny_real_model_improves_the_return():
    from leaps.models import LeapsModule

    torch.manual_seed(0)
    vae = LeapsModule({"vae": {"hidden_size": 32, "latent_dim": 8, "embedding_dim": 8}}).vae.eval()
    cfg = CEM(population_size=16, sigma=1.0, elitism_rate=0.25, init_type="normal", max_iterations=15)
    reports = []
    # an untrained decoder maps most latents greedily to a few programs; seed 1's first population leaves room above it
    result = run_cem(vae, TaskEvaluator("harvester", seed=0), cfg, seed=1, callback=reports.append)
    assert dsl.parse(result.best_program)  # decoded programs are valid
    assert result.best_return > reports[0].iteration_best_return


def test_elite_weights_cope_with_crash_penalties_and_invalid_programs():
    from leaps.search.methods.cem import WEIGHT_FLOOR, elite_weights

    positive = np.array([0.11, 0.5, 1.1])
    assert np.array_equal(elite_weights(positive), positive)  # the LEAPS raw scale: unchanged
    np.testing.assert_allclose(elite_weights(np.array([-1.0, 0.0, 0.5])), [WEIGHT_FLOOR, 1 + WEIGHT_FLOOR,
                                                                          1.5 + WEIGHT_FLOOR])
    np.testing.assert_allclose(elite_weights(np.array([0.0, 0.0])), [WEIGHT_FLOOR, WEIGHT_FLOOR])
    np.testing.assert_allclose(elite_weights(np.array([-np.inf, 0.5])), [0.0, 0.5])
    np.testing.assert_allclose(elite_weights(np.array([-np.inf, -np.inf])), [1.0, 1.0])
    population = torch.tensor([[1.0, 0.0], [0.0, 1.0], [4.0, 4.0]])
    cfg = CEM(population_size=3, elitism_rate=1.0)
    for rewards in (np.array([-1.0, 0.0, -np.inf]), np.full(3, -np.inf), np.zeros(3)):
        mean = elite_mean(population, rewards, ["a", "b", "c"], cfg)
        assert torch.isfinite(mean).all()
    mean = elite_mean(population, np.array([-1.0, 0.0, -np.inf]), ["a", "b", "c"], cfg)
    # the crashed program weighs 0.1, the 0-return one 1.1, the invalid one nothing
    torch.testing.assert_close(mean, torch.tensor([0.1, 1.1]) / (1.2 + 1e-5))


def test_restarts_redraw_the_mean_and_restart_the_sigma_schedule():
    # the mean starts near 0 and sigma is tiny: without restarts the search never reaches the solving
    # region (first coordinate > 1); re-drawing the mean from N(0, 1) gets there within the same budget
    base = dict(population_size=4, sigma=0.01, elitism_rate=0.5, init_type="normal", max_iterations=300,
                use_exp_sig_decay=True, final_sigma=0.005)
    stuck = run_cem(ThresholdDecoder(), TaskEvaluator("maze", seed=0), CEM(**base), seed=4)
    assert stuck.best_return < 1.0 and stuck.iterations == 300
    assert {h["extra"]["restarts"] for h in stuck.history} == {0}
    restarted = run_cem(ThresholdDecoder(), TaskEvaluator("maze", seed=0), CEM(**base, restart_after=5), seed=4)
    assert restarted.best_return == 1.0 and restarted.converged
    restarts = [h["extra"]["restarts"] for h in restarted.history]
    assert restarts[-1] > 0 and restarts == sorted(restarts)
    first = restarts.index(1)
    # a restart follows 5 iterations without a better program (the first iteration always improves on nothing)
    assert first == 6
    sigmas = [h["extra"]["sigma"] for h in restarted.history]
    assert sigmas[first] == sigmas[0] == 0.01 and sigmas[first - 1] < 0.01


def test_a_restart_from_a_fixed_init_draws_a_new_point():
    from leaps.search.methods.cem import restart_mean

    g = torch.Generator().manual_seed(0)
    for init_type in ("ones", "zeros"):
        a, b = restart_mean(init_type, 1000, g), restart_mean(init_type, 1000, g)
        assert not torch.equal(a, b) and a.std().item() == pytest.approx(0.1, rel=0.1)
    assert restart_mean("normal", 10_000, g).std().item() == pytest.approx(1.0, rel=0.05)
