"""R the original's way: the RL phase's gate, schedule, reward, loss and its
place in training (checkpointed, resumed)."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from leaps.data import KarelDataModule
from leaps.karel import dsl
from leaps.models import LeapsModule, load_module
from leaps.models.behaviour_rl import BehaviourRLConfig, RLSchedule, phase_rewards, reinforce_terms
from leaps.models.module import execute_on_demos
from tests.models.conftest import SMALL

ROOT = Path(__file__).resolve().parents[2]


def test_phases_start_only_at_the_accuracy_threshold():
    schedule = RLSchedule(BehaviourRLConfig(start_accuracy=0.8))
    assert not schedule.after_validation(0.5)
    assert not schedule.after_validation(0.799)
    assert schedule.gated_epochs == 0
    assert schedule.after_validation(0.8)
    assert schedule.gated_epochs == 1


def test_every_epochs_counts_only_epochs_that_reach_the_threshold():
    schedule = RLSchedule(BehaviourRLConfig(start_accuracy=0.8, every_epochs=2))
    phases = []
    for accuracy in [0.9, 0.5, 0.9, 0.9, 0.7, 0.9, 0.9]:
        schedule.pending = False  # as if the phase had run at the start of the next epoch
        phases.append(schedule.after_validation(accuracy))
    # gated epochs are 0, 2, 3, 5, 6; the 1st, 3rd and 5th of them (counts 0, 2, 4) are followed by a phase
    assert phases == [True, False, False, True, False, False, True]
    assert schedule.gated_epochs == 5


def test_schedule_state_round_trips():
    a = RLSchedule(BehaviourRLConfig())
    a.after_validation(0.9)
    a.steps, a.phases = 17, 3
    b = RLSchedule(BehaviourRLConfig())
    b.load_state_dict(a.state_dict())
    assert b.state_dict() == a.state_dict() == {"gated_epochs": 1, "phases": 3, "steps": 17, "pending": True}


def test_rl_lr_decays_linearly_to_zero():
    cfg = BehaviourRLConfig(lr=5e-4, lr_decay_steps=100)
    assert cfg.lr_at(0) == 5e-4 and cfg.lr_at(50) == pytest.approx(2.5e-4) and cfg.lr_at(100) == cfg.lr_at(500) == 0


def test_rewards_invalid_empty_and_partial():
    cfg = BehaviourRLConfig()
    match = np.array([1.0, 0.5, 1.0, 0.3])
    valid = np.array([True, True, False, True])
    lengths = np.array([12, 12, 12, 4])  # the last: DEF run m( m), an empty body
    assert phase_rewards(match, valid, lengths, cfg).tolist() == pytest.approx([1.1, 0.6, 0.01, 0.01])


def test_the_dataset_program_itself_gets_the_maximum_reward(tiny_dataset):
    """A program that reproduces its demonstrations is rewarded 1 + valid_bonus, more than any other."""
    batch = next(iter(KarelDataModule(tiny_dataset, batch_size=16).train_dataloader()))
    cfg = BehaviourRLConfig()
    ids = batch["programs"].numpy()
    match, exact, valid = execute_on_demos(ids, batch)
    reward = phase_rewards(match, valid, (ids != dsl.PAD_ID).sum(axis=1), cfg)
    assert exact.all()
    assert reward == pytest.approx(np.full(16, 1 + cfg.valid_bonus))
    other = np.roll(ids, 1, axis=0)  # each program scored on another program's demonstrations
    match, _, valid = execute_on_demos(other, batch)
    assert (phase_rewards(match, valid, (other != dsl.PAD_ID).sum(axis=1), cfg) <= 1 + cfg.valid_bonus).all()
    assert (phase_rewards(match, valid, (other != dsl.PAD_ID).sum(axis=1), cfg) < 1 + cfg.valid_bonus).any()


def test_log_probability_covers_the_tokens_and_the_end_token():
    ids = torch.tensor([[3, 4, dsl.PAD_ID, dsl.PAD_ID]])
    logits = torch.zeros(1, 4, 51)  # uniform over 51 tokens
    log_prob, entropy = reinforce_terms(logits, ids)
    assert float(log_prob) == pytest.approx(3 * -np.log(51))  # two tokens and the end token
    assert float(entropy) == pytest.approx(np.log(51))


def test_a_phase_raises_the_reward_of_what_it_samples(tiny_dataset):
    """REINFORCE on raw rewards: repeated phases on one batch make the decoder's samples match better."""
    torch.manual_seed(0)
    batch = next(iter(KarelDataModule(tiny_dataset, batch_size=32).train_dataloader()))
    m = LeapsModule({**SMALL, "losses": {"behaviour_rl": 1.0}, "rl": {"entropy": 0.0}})
    opt = torch.optim.Adam(m.vae.parameters(), lr=1e-2)
    rewards = []
    for _ in range(60):
        out = m.rl_phase_loss(batch)
        opt.zero_grad()
        out["behaviour_rl_loss"].backward()
        opt.step()
        rewards.append(float(out["behaviour_reward"]))
    assert np.mean(rewards[-10:]) > np.mean(rewards[:10]) + 0.1  # measured: 0.16 -> 0.36


def train(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(ROOT / "train.py"), f"data.path={tmp_path / 'd.h5'}", "data.num_programs=60",
         "data.shard_size=60", "data.workers=1", "data.progress=false", "batch_size=16", "logger=none",
         "callbacks.progress_bar=false", "torch_threads=1", "numba_threads=1", "model.vae.hidden_size=16",
         "model.vae.latent_dim=16", *args],
        cwd=tmp_path, capture_output=True, text=True, timeout=600,
    )


def test_training_runs_phases_after_gated_epochs_and_resumes_the_schedule(tmp_path):
    run = tmp_path / "run"
    proc = train(tmp_path, "model=leapspr", "model.rl.start_accuracy=0", "trainer.max_epochs=2", f"hydra.run.dir={run}")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "RL phase 1: 3 steps" in proc.stdout  # after epoch 0, at the start of epoch 1
    ckpt = torch.load(run / "checkpoints" / "last.ckpt", weights_only=True)
    # the checkpoint of epoch 1's validation: one phase run, the next one pending
    assert ckpt["rl_schedule"] == {"gated_epochs": 2, "phases": 1, "steps": 3, "pending": True}
    assert ckpt["rl_optimizer"]["state"]
    resumed = tmp_path / "resumed"
    proc = train(tmp_path, "model=leapspr", "model.rl.start_accuracy=0", "trainer.max_epochs=3",
                 f"ckpt_path={run / 'checkpoints' / 'last.ckpt'}", f"hydra.run.dir={resumed}")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "RL phase 2: 3 steps, mean reward" in proc.stdout and "6 RL steps in all" in proc.stdout
    ckpt = torch.load(resumed / "checkpoints" / "last.ckpt", weights_only=True)
    assert ckpt["rl_schedule"] == {"gated_epochs": 3, "phases": 2, "steps": 6, "pending": True}


def test_no_phase_below_the_threshold_and_none_for_leapsp(tmp_path):
    proc = train(tmp_path, "model=leaps", "model.rl.start_accuracy=1", "trainer.max_epochs=2",
                 f"hydra.run.dir={tmp_path / 'a'}", "export=false")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "RL phase" not in proc.stdout  # a random model never reproduces every validation program
    assert torch.load(tmp_path / "a" / "checkpoints" / "last.ckpt", weights_only=True)["rl_schedule"]["phases"] == 0
    proc = train(tmp_path, "model=leapsp", "model.rl.start_accuracy=0", "trainer.max_epochs=2",
                 f"hydra.run.dir={tmp_path / 'b'}", "export=false")
    assert proc.returncode == 0 and "RL phase" not in proc.stdout


def test_ddp_on_two_cpu_processes_with_rl_phases(tmp_path):
    """trainer=ddp end to end on the CPU: both ranks run the interpreter in the R
    and L losses, keep identical weights through the RL phase, rank 0 exports."""
    run = tmp_path / "ddp"
    proc = train(tmp_path, "model=leaps", "model.rl.start_accuracy=0", "trainer=ddp", "trainer.accelerator=cpu",
                 "trainer.devices=2", "trainer.max_epochs=2", f"hydra.run.dir={run}")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.count("RL phase 1: 2 steps") == 1  # 42 programs over 2 ranks of batch 16: 2 steps each
    assert sum(line.startswith("exported ") for line in proc.stdout.splitlines()) == 1  # by rank 0 alone
    ckpt = torch.load(run / "checkpoints" / "last.ckpt", weights_only=True)
    assert ckpt["global_step"] == 4 and ckpt["rl_schedule"]["phases"] == 1
    from leaps.models import load_model

    assert load_model(run / "export").latent_dim == 16


def test_export_records_its_checkpoint_and_says_when_it_predates_the_rl_phases(tmp_path):
    """A tiny model's greedy accuracy stays 0, so the best checkpoint by it is epoch 0's, before the first phase."""
    import json

    best = ["callbacks.checkpoint.monitor=val/greedy_program_accuracy", "callbacks.checkpoint.mode=max"]
    proc = train(tmp_path, "model=leapspr", "model.rl.start_accuracy=0", "trainer.max_epochs=2", *best,
                 f"hydra.run.dir={tmp_path / 'best'}")
    assert proc.returncode == 0, proc.stderr[-3000:]
    config = json.loads((tmp_path / "best" / "export" / "config.json").read_text())
    # the run's counts, as before; what the exported weights had, beside them
    assert {k: config[k] for k in ("epochs", "steps", "rl_phases", "rl_steps")} == {
        "epochs": 2, "steps": 6, "rl_phases": 1, "rl_steps": 3}
    assert config["exported"] == {
        "checkpoint": "best by val/greedy_program_accuracy", "epochs": 1, "steps": 3, "rl_phases": 0, "rl_steps": 0}
    assert "note: the exported checkpoint has 0 of the run's 1 RL phases; export_checkpoint=last" in proc.stdout
    proc = train(tmp_path, "model=leapspr", "model.rl.start_accuracy=0", "trainer.max_epochs=2", *best,
                 "export_checkpoint=last", f"hydra.run.dir={tmp_path / 'last'}")
    assert proc.returncode == 0, proc.stderr[-3000:]
    config = json.loads((tmp_path / "last" / "export" / "config.json").read_text())
    assert config["exported"] == {"checkpoint": "last", "epochs": 2, "steps": 6, "rl_phases": 1, "rl_steps": 3}
    assert "note:" not in proc.stdout
    final = torch.load(tmp_path / "last" / "checkpoints" / "last.ckpt", weights_only=True)["state_dict"]
    assert torch.equal(load_module(tmp_path / "last" / "export").state_dict()["vae.to_mu.weight"],
                       final["vae.to_mu.weight"])


@pytest.mark.parametrize(("override", "message"), [
    ("model.rl.start_accuracy=1.5", "model.rl.start_accuracy must be in 0..1, got 1.5"),
    ("model.rl.every_epochs=-1", "model.rl.every_epochs must be an integer >= 1, got -1"),
    ("model.rl.mode=sometimes", "model.rl.mode must be one of phases, every_step, got 'sometimes'"),
    ("model.rl.lr=0", "model.rl.lr must be > 0, got 0"),
    ("model.lr_schedule.kind=linear", "model.lr_schedule.kind must be one of constant, step, cosine"),
    ("model.lr_schedule.gamma=1.5", "model.lr_schedule.gamma must be in (0, 1], got 1.5"),
    ("export_checkpoint=final", "export_checkpoint must be one of best, last, got 'final'"),
    ("model.policy_arch=transformer", "model.policy_arch must be one of leaps, compact, got 'transformer'"),
])
def test_bad_schedule_settings_fail_up_front(tmp_path, override, message):
    proc = train(tmp_path, "model=leaps", override, f"hydra.run.dir={tmp_path / 'x'}")
    assert proc.returncode == 1 and message in proc.stderr, proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "d.h5").exists()  # checked before any data is generated


def test_sigterm_during_a_phase_stops_it_with_the_phase_still_pending(tiny_dataset):
    """Lightning checks SIGTERM between its own steps; the RL phase runs inside a
    hook, so it checks too: it stops at a step boundary, the phase stays pending
    (a resumed run runs it again) and the interrupt checkpoint is written by
    the usual handler."""
    from types import SimpleNamespace

    from pytorch_lightning.utilities.exceptions import SIGTERMException

    batch = next(iter(KarelDataModule(tiny_dataset, batch_size=8).train_dataloader()))
    m = LeapsModule({**SMALL, "losses": {"behaviour_rl": 1.0}})
    m.rl_schedule.pending = True
    m._trainer = SimpleNamespace(received_sigterm=True, train_dataloader=[batch, batch], progress_bar_callback=None,
                                 is_global_zero=True)
    with pytest.raises(SIGTERMException):
        m.run_rl_phase()
    assert m.rl_schedule.pending and m.rl_schedule.phases == 0 and m.rl_schedule.steps == 0
    m._trainer.received_sigterm = False
    m.log_dict = lambda *a, **k: None  # no Lightning logger attached here
    m.run_rl_phase()
    assert not m.rl_schedule.pending and m.rl_schedule.phases == 1 and m.rl_schedule.steps == 2


def test_last_checkpoint_holds_the_final_epoch_even_when_it_did_not_improve(tmp_path):
    """An untrained tiny model's greedy accuracy stays 0: only epoch 0 is 'best', last.ckpt must still move on."""
    run = tmp_path / "run"
    proc = train(tmp_path, "model=leapsp", "trainer.max_epochs=3", "callbacks.checkpoint.mode=max",
                 "callbacks.checkpoint.monitor=val/greedy_program_accuracy", f"hydra.run.dir={run}", "export=false")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert torch.load(run / "checkpoints" / "best.ckpt", weights_only=True)["global_step"] == 3
    assert torch.load(run / "checkpoints" / "last.ckpt", weights_only=True)["global_step"] == 9


def test_bf16_mixed_precision_trains_validates_and_runs_a_phase(tmp_path):
    """trainer.precision=bf16-mixed: validation's compiled greedy decode must leave the caller's autocast (numpy
    takes no bf16; this failed before), and an RL phase runs under it."""
    run = tmp_path / "bf16"
    proc = train(tmp_path, "model=leapspr", "model.rl.start_accuracy=0", "trainer.max_epochs=2",
                 "trainer.precision=bf16-mixed", f"hydra.run.dir={run}")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "RL phase 1: 3 steps" in proc.stdout
    assert (run / "export" / "model.safetensors").exists()


def test_a_leapspl_checkpoint_resumes_as_leaps_whose_phases_start_at_its_next_gated_epoch(tmp_path):
    """LEAPS is LEAPSPL until the gate (R trains only in phases), so a LEAPSPL run forks into LEAPS with
    ``model=leaps ckpt_path=`` its checkpoint of the epoch before the gate: same weights, optimizer and step count."""
    run = tmp_path / "pl"
    proc = train(tmp_path, "model=leapspl", "trainer.max_epochs=1", f"hydra.run.dir={run}", "export=false")
    assert proc.returncode == 0, proc.stderr[-3000:]
    forked = tmp_path / "leaps"
    proc = train(tmp_path, "model=leaps", "model.rl.start_accuracy=0", "trainer.max_epochs=3", "export=false",
                 f"ckpt_path={run / 'checkpoints' / 'last.ckpt'}", f"hydra.run.dir={forked}")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "RL phase 1: 3 steps" in proc.stdout and "RL phase 2" not in proc.stdout  # after epoch 2, before epoch 3
    ckpt = torch.load(forked / "checkpoints" / "last.ckpt", weights_only=True)
    assert ckpt["global_step"] == 9 and ckpt["rl_schedule"] == {"gated_epochs": 2, "phases": 1, "steps": 3,
                                                                "pending": True}
