import json

import pytest
import torch

from leaps.data import KarelDataModule
from leaps.karel import dsl
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


def test_init_from_a_model_with_the_other_vae_keeps_the_fresh_vae(tmp_path):
    """A compact VAE warm-starts nothing of the original's VAE (its encoder GRU and latent heads match in shape)."""
    from leaps.models.training import _init_weights

    vae = {"hidden_size": 16, "latent_dim": 16}
    source = LeapsModule({"vae": {**vae, "embedding_dim": 8}})
    export_model(source, tmp_path / "src")
    target = LeapsModule({"vae": {**vae, "arch": "leaps"}})
    fresh = {k: v.clone() for k, v in target.state_dict().items()}
    _init_weights(target, str(tmp_path / "src"))
    src_state = source.state_dict()
    for k, v in target.state_dict().items():
        assert torch.equal(v, src_state[k] if k.startswith("policy.") else fresh[k]), k
    assert src_state["vae.to_mu.weight"].shape == fresh["vae.to_mu.weight"].shape


def test_evaluate_uses_the_dataset_a_shipped_models_card_names(tiny_dataset, tmp_path, monkeypatch, capsys):
    """A model shipped with figures of another dataset (ship --data-setting) names it in its card: evaluate NAME
    builds that one, and says so; --data still wins; the four shipped models' cards are on the default dataset."""
    import leaps.models.evaluate as evaluate

    assert evaluate.card_data("leapsp") == {} and evaluate.card_data("no/such/model") == {}
    ship(export_model(LeapsModule(SMALL), tmp_path / "export"), "tiny",
         {"data": {"sequence_depth": 1}}, dest_root=tmp_path / "shipped")
    monkeypatch.setattr(evaluate, "SHIPPED_DIR", tmp_path / "shipped")
    monkeypatch.setattr(evaluate, "load_module", lambda name: load_module(tmp_path / "shipped" / name))
    assert evaluate.card_data("tiny") == {"sequence_depth": 1}
    asked = []

    def fake(path, batch_size=256, with_states=True, settings=None):
        asked.append((path, settings))
        return KarelDataModule(tiny_dataset, 16, with_states=with_states)

    monkeypatch.setattr(evaluate, "load_datamodule", fake)
    assert evaluate_main(["tiny", "--limit", "8"]) == 0
    assert "dataset of the model card: data.sequence_depth=1" in capsys.readouterr().out
    assert evaluate_main(["tiny", "--limit", "8", "--data", str(tiny_dataset)]) == 0
    assert asked == [(None, {"sequence_depth": 1}), (str(tiny_dataset), {})]


def test_ship_records_the_data_settings_it_evaluated_on(tmp_path, monkeypatch, tiny_dataset):
    import leaps.models.ship as ship_module

    export_model(LeapsModule(SMALL), tmp_path / "export")
    monkeypatch.setattr(ship_module, "SHIPPED_DIR", tmp_path / "shipped")
    monkeypatch.setattr(ship_module, "ship", lambda src, name, card: ship(src, name, card, tmp_path / "shipped"))
    monkeypatch.setattr(ship_module, "load_module", lambda name: load_module(tmp_path / "shipped" / name))
    asked = []
    monkeypatch.setattr(ship_module, "load_datamodule", lambda path, with_states=True, settings=None: asked.append(
        settings) or KarelDataModule(tiny_dataset, 16, with_states=with_states))
    assert ship_module.main([str(tmp_path / "export"), "tiny", "--wall-time-min", "1", "--limit", "8",
                             "--data-setting", "sequence_depth=1", "--data-setting", "path=x.h5"]) == 0
    card = json.loads((tmp_path / "shipped" / "tiny" / "config.json").read_text())["card"]
    assert asked == [{"sequence_depth": 1, "path": "x.h5"}]
    assert card["data"] == {"sequence_depth": 1, "path": "x.h5"} and card["dataset"] == "x.h5"
    with pytest.raises(SystemExit):
        ship_module.main([str(tmp_path / "export"), "tiny", "--wall-time-min", "1", "--data-setting", "novalue"])


def test_a_model_with_shorter_programs_than_the_dataset_is_compared_program_for_program(tiny_dataset, monkeypatch):
    """An imported HPRL VAE writes at most 41 tokens; the dataset's rows are 45 wide."""
    module = LeapsModule(SMALL)
    batches = list(KarelDataModule(tiny_dataset, batch_size=16).val_dataloader())
    narrow = [b["programs"][:, :41] for b in batches]
    assert all((b["programs"][:, 41:] == dsl.PAD_ID).all() for b in batches)  # every program of the tiny set fits
    outputs = iter([n.clone() for n in narrow])
    monkeypatch.setattr(module.vae, "decode", lambda mu, greedy=True: next(outputs))
    assert evaluate_module(module, batches, progress=False)["greedy_program_accuracy"] == 1.0
    shifted = iter([torch.roll(n, 1, dims=0) for n in narrow])  # each row gets another row's program
    monkeypatch.setattr(module.vae, "decode", lambda mu, greedy=True: next(shifted))
    assert evaluate_module(module, batches, progress=False)["greedy_program_accuracy"] < 0.5
