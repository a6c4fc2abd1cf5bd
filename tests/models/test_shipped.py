"""The models shipped in leaps/checkpoints: load by name, decode valid
programs, and carry a model card whose figures the evaluation reproduces."""

import json

import pytest
import torch

from leaps.karel import dsl
from leaps.models import load_model, load_module, shipped_models
from leaps.models.checkpoint import CONFIG_FILE, SHIPPED_DIR

NAMES = ("leaps", "leapsp", "leapspr", "leapspl")
CARD_KEYS = ("wall_time_min", "split", "programs", "token_accuracy", "program_accuracy", "greedy_program_accuracy",
             "execution_accuracy")


def test_all_four_variants_are_shipped():
    assert set(NAMES) <= set(shipped_models())


@pytest.mark.parametrize("name", NAMES)
def test_shipped_model_loads_by_name_and_decodes_valid_programs(name):
    vae = load_model(name)
    assert vae.latent_dim == 256 and not vae.training
    z = torch.randn(64, 256, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        for greedy in (True, False):
            ids = vae.decode(z, greedy=greedy, generator=torch.Generator().manual_seed(1))
            for row in ids.tolist():
                dsl.parse(dsl.strip_padding(row))  # raises ProgramError if invalid


@pytest.mark.parametrize("name", NAMES)
def test_model_card_is_complete_and_plausible(name):
    card = json.loads((SHIPPED_DIR / name / CONFIG_FILE).read_text())
    assert card["config"]["name"] == name
    for key in CARD_KEYS:
        assert key in card["card"], key
    assert card["training"]["steps"] > 0
    assert 0.5 < card["card"]["greedy_program_accuracy"] <= 1.0
    assert card["card"]["token_accuracy"] > 0.9


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_recorded_accuracies_are_reproduced(name):
    from leaps.models.evaluate import evaluate_module, load_datamodule, trains_policy

    card = json.loads((SHIPPED_DIR / name / CONFIG_FILE).read_text())["card"]
    module = load_module(name)
    datamodule = load_datamodule(None, with_states=trains_policy(module), settings=card.get("data"))
    loader = getattr(datamodule, f"{card['split']}_dataloader")()
    figures = evaluate_module(module, loader, card["programs"], progress=False)
    for key, value in figures.items():
        assert value == pytest.approx(card[key], abs=1e-4), key
