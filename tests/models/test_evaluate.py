import json

import pytest
import torch

from leaps.data import KarelDataModule
from leaps.models import LeapsModule, export_model, load_module
from leaps.models.evaluate import evaluate_module
from leaps.models.evaluate import main as evaluate_main
from leaps.models.ship import ship
from tests.models.conftest import SMALL


def test_evaluation_is_deterministic_and_counts_programs(tiny_dataset):
    torch.manual_seed(0)
    module = LeapsModule({**SMALL, "losses": {"latent_behaviour": 1.0}})
    loader = KarelDataModule(tiny_dataset, batch_size=16).train_dataloader
    first = evaluate_module(module, loader(), limit=40, progress=False)
    again = evaluate_module(module, loader(), limit=40, progress=False)
    assert first == again
    assert first["programs"] == 40
    for key in ("token_accuracy", "greedy_program_accuracy", "execution_accuracy", "action_accuracy"):
        assert 0.0 <= first[key] <= 1.0
    assert first["greedy_program_accuracy"] < 0.5  # an untrained model reproduces (almost) nothing
    # a model without L: no policy figures, and no per-step states needed
    p_only = evaluate_module(LeapsModule(SMALL), KarelDataModule(tiny_dataset, 16, with_states=False).val_dataloader(),
                             progress=False)
    assert "action_accuracy" not in p_only and p_only["programs"] > 0


def test_a_model_that_copies_its_input_scores_full_program_accuracy(tiny_dataset, monkeypatch):
    module = LeapsModule(SMALL)
    batches = list(KarelDataModule(tiny_dataset, batch_size=16).val_dataloader())
    # decoding that returns the input programs: greedy accuracy 1 and every demo reproduced
    inputs = iter([b["programs"] for b in batches])
    monkeypatch.setattr(module.vae, "decode", lambda mu, greedy=True: next(inputs))
    figures = evaluate_module(module, batches, progress=False)
    assert figures["greedy_program_accuracy"] == 1.0
    assert figures["execution_accuracy"] == 1.0


def test_evaluate_cli_writes_json_and_reports_bad_models(tiny_dataset, tmp_path, capsys):
    export_model(LeapsModule(SMALL), tmp_path / "m")
    out = tmp_path / "figures.json"
    code = evaluate_main([str(tmp_path / "m"), "--data", str(tiny_dataset), "--split", "val",
                          "--json", str(out)])
    assert code == 0
    figures = json.loads(out.read_text())
    assert figures["split"] == "val" and figures["programs"] > 0
    assert evaluate_main(["no-such-model", "--data", str(tiny_dataset)]) == 2
    assert "shipped models" in capsys.readouterr().err


def test_ship_halves_the_weights_and_keeps_the_outputs(tmp_path):
    module = LeapsModule(SMALL)
    export_model(module, tmp_path / "export", {"epochs": 3})
    dest = ship(tmp_path / "export", "tiny", {"wall_time_min": 1.0}, dest_root=tmp_path / "shipped")
    config = json.loads((dest / "config.json").read_text())
    assert config["training"] == {"epochs": 3} and config["card"]["wall_time_min"] == 1.0
    size = (dest / "model.safetensors").stat().st_size
    assert size < 0.6 * (tmp_path / "export" / "model.safetensors").stat().st_size
    loaded = load_module(dest)
    assert next(loaded.parameters()).dtype == torch.float32
    z = torch.randn(4, 16)
    assert torch.equal(loaded.vae.decode(z), module.eval().vae.decode(z))  # fp16 rounding: same greedy programs here


@pytest.mark.parametrize("source_cfg", [SMALL, {**SMALL, "name": "leapsp"}])
def test_init_from_copies_matching_weights(tmp_path, source_cfg):
    from leaps.models.training import _init_weights

    source = LeapsModule(source_cfg)
    export_model(source, tmp_path / "src")
    target = LeapsModule({**SMALL, "losses": {"behaviour_rl": 0.1, "latent_behaviour": 1.0}})
    _init_weights(target, str(tmp_path / "src"))
    for (k, v), (_, w) in zip(source.state_dict().items(), target.state_dict().items(), strict=True):
        assert torch.equal(v, w), k


def test_init_from_a_model_with_the_other_policy_keeps_the_fresh_policy(tmp_path):
    """A shipped model of the compact policy warm-starts the VAE of a model with the original's policy; its policy
    tensors that happen to match in shape (the convolutions) are not copied into a different role."""
    from leaps.models.training import _init_weights

    source = LeapsModule({**SMALL, "policy_arch": "compact"})
    export_model(source, tmp_path / "src")
    target = LeapsModule({**SMALL, "losses": {"latent_behaviour": 1.0}})
    fresh = {k: v.clone() for k, v in target.state_dict().items()}
    _init_weights(target, str(tmp_path / "src"))
    src_state = source.state_dict()
    for k, v in target.state_dict().items():
        expected = src_state[k] if k.startswith("vae.") else fresh[k]
        assert torch.equal(v, expected), k
    conv = "policy.state_encoder.net.0.weight"
    assert src_state[conv].shape == fresh[conv].shape  # what the old copy would have taken
