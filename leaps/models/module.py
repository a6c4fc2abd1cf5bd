"""The stage-1 LightningModule: one model, losses switched by config.

- P, program reconstruction: teacher-forced token cross-entropy + KL.
- R, program behaviour reconstruction: programs sampled from the decoder
  run on the demonstrations' initial worlds; the reward is the share of each
  demonstration they reproduce; REINFORCE with a moving-average baseline and
  an entropy bonus.
- L, latent behaviour reconstruction: the latent-conditioned policy's action
  cross-entropy on the demonstrations.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

import numpy as np
import pytorch_lightning as pl
import torch
import torch.nn.functional as F
from pytorch_lightning.utilities.exceptions import SIGTERMException

from leaps.karel import dsl
from leaps.karel.interpreter import Mode, Status, run_pairs
from leaps.karel.world import WorldBatch
from leaps.models.behaviour_rl import (
    BehaviourRLConfig,
    RLSchedule,
    kl_term,
    phase_loss,
    phase_rewards,
    reinforce_terms,
)
from leaps.models.policy import LatentBehaviourPolicy
from leaps.models.vae import ProgramVAE, VAEConfig


@dataclass
class LossConfig:
    program: float = 1.0  # P
    kl: float = 0.1
    behaviour_rl: float = 0.0  # R
    entropy: float = 0.01
    baseline_momentum: float = 0.9
    latent_behaviour: float = 0.0  # L


LR_SCHEDULES = ("constant", "step", "cosine")


@dataclass
class LRScheduleConfig:
    """How the learning rate decays, per epoch. ``step``: x ``gamma`` every
    ``every_epochs`` (the original's StepLR); ``cosine``: from ``lr`` to
    ``min_lr`` over ``epochs``, then ``min_lr``; ``constant``: ``lr`` throughout."""

    kind: str = "constant"
    every_epochs: int = 10
    gamma: float = 0.95
    epochs: int = 40
    min_lr: float = 1e-5

    def check(self, lr: float) -> None:
        """Raise ValueError naming the first setting that makes no sense (``lr``: the model's)."""
        if self.kind not in LR_SCHEDULES:
            raise ValueError(f"model.lr_schedule.kind must be one of {', '.join(LR_SCHEDULES)}, got {self.kind!r}")
        for key in ("every_epochs", "epochs"):
            if not isinstance(getattr(self, key), int) or getattr(self, key) < 1:
                raise ValueError(f"model.lr_schedule.{key} must be an integer >= 1, got {getattr(self, key)}")
        if not 0 < self.gamma <= 1:
            raise ValueError(f"model.lr_schedule.gamma must be in (0, 1], got {self.gamma}")
        if self.kind == "cosine" and not 0 < self.min_lr <= lr:
            raise ValueError(f"model.lr_schedule.min_lr must be in (0, model.lr], got {self.min_lr}")

    def factor(self, epoch: int, lr: float) -> float:
        """The multiplier of ``lr`` in epoch ``epoch`` (0-based)."""
        if self.kind == "step":
            return self.gamma ** (epoch // self.every_epochs)
        if self.kind == "cosine":
            t = min(epoch, self.epochs) / self.epochs
            floor = self.min_lr / lr
            return floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * t))
        return 1.0


@dataclass
class ModuleConfig:
    vae: VAEConfig = field(default_factory=VAEConfig)
    losses: LossConfig = field(default_factory=LossConfig)
    lr: float = 1e-3
    lr_schedule: LRScheduleConfig = field(default_factory=LRScheduleConfig)
    rl: BehaviourRLConfig = field(default_factory=BehaviourRLConfig)
    policy_initial_state_only: bool = False
    freeze_policy: bool = False
    policy_arch: str = "leaps"  # POLICY_ARCHS: the original's condition policy, or this repository's first
    policy_predicts_end: bool = True  # L also asks for NO_ACTION after each demo's last action, as the original
    name: str = "leaps"

    @classmethod
    def from_dict(cls, d: dict) -> ModuleConfig:
        d = dict(d)
        return cls(vae=VAEConfig(**d.pop("vae", {})), losses=LossConfig(**d.pop("losses", {})),
                   lr_schedule=LRScheduleConfig(**d.pop("lr_schedule", {})), rl=BehaviourRLConfig(**d.pop("rl", {})),
                   **d)

    @property
    def rl_phases(self) -> bool:
        """R trained the original's way: RL phases between supervised epochs."""
        return self.losses.behaviour_rl > 0 and self.rl.mode == "phases"

    @property
    def rl_every_step(self) -> bool:
        return self.losses.behaviour_rl > 0 and self.rl.mode == "every_step"

    def to_dict(self) -> dict:
        return asdict(self)


def prefix_match_reward(pred: np.ndarray, pred_len: np.ndarray, demo: np.ndarray, demo_len: np.ndarray) -> np.ndarray:
    """Share of each demonstration reproduced: leading actions in common over
    the longer of the two sequences (1 when both are empty)."""
    t = min(pred.shape[1], demo.shape[1])
    same = pred[:, :t] == demo[:, :t]
    within = np.arange(t)[None, :] < np.minimum(pred_len, demo_len)[:, None]
    common = np.cumprod(same & within, axis=1).sum(axis=1)
    longest = np.maximum(pred_len, demo_len)
    return np.where(longest == 0, 1.0, common / np.maximum(longest, 1))


def execute_on_demos(ids: np.ndarray, batch: dict[str, torch.Tensor]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Run program i on the D initial worlds of demonstrations of program i.
    Returns (mean demonstration match (B,), exact (B,) all demos reproduced,
    valid (B,)); the match of a program that does not run is 0."""
    walls = batch["walls"].cpu().numpy()  # the interpreter runs on the CPU, whatever device trains
    b, d, h, w = walls.shape
    worlds = WorldBatch(walls.reshape(b * d, h, w), batch["markers"].cpu().numpy().reshape(b * d, h, w).astype(np.int8),
                        batch["agents"].cpu().numpy().reshape(b * d, 3))
    out = run_pairs(ids, worlds, np.repeat(np.arange(b), d), np.arange(b * d), Mode.LENIENT)
    demo = batch["actions"].cpu().numpy().reshape(b * d, -1)
    demo_len = batch["action_lengths"].cpu().numpy().reshape(-1)
    reward = prefix_match_reward(out["actions"], out["lengths"], demo, demo_len).reshape(b, d)
    exact = ((reward == 1.0) & (out["lengths"] == demo_len).reshape(b, d)).all(axis=1)
    valid = (out["status"] != Status.INVALID_PROGRAM).reshape(b, d).all(axis=1)
    return np.where(valid[:, None], reward, 0.0).mean(axis=1), exact & valid, valid


def _check_ranks_agree(params: list[torch.Tensor]) -> None:
    """After an RL phase (gradients averaged by hand), every rank must hold the
    same weights; a divergence would silently train N different models."""
    total = torch.stack([p.detach().double().sum() for p in params]).sum()
    gathered = [torch.zeros_like(total) for _ in range(torch.distributed.get_world_size())]
    torch.distributed.all_gather(gathered, total)
    if any(not torch.equal(g, gathered[0]) for g in gathered):
        raise RuntimeError(f"ranks hold different weights after an RL phase: {[float(g) for g in gathered]}")


class LeapsModule(pl.LightningModule):
    def __init__(self, config: dict | ModuleConfig | None = None):
        super().__init__()
        cfg = config if isinstance(config, ModuleConfig) else ModuleConfig.from_dict(config or {})
        self.cfg = cfg
        self.save_hyperparameters({"config": cfg.to_dict()})
        self.vae = ProgramVAE(cfg.vae)
        self.policy = LatentBehaviourPolicy(cfg.vae.latent_dim, cfg.vae.hidden_size, cfg.policy_initial_state_only,
                                            cfg.policy_arch)
        if cfg.freeze_policy:
            self.policy.requires_grad_(False)
        self.register_buffer("baseline", torch.zeros(()))
        self.rl_schedule = RLSchedule(cfg.rl)
        self._rl_optimizer: torch.optim.Adam | None = None
        self._rl_optimizer_state: dict | None = None  # from a checkpoint, until the optimizer exists
        self._gate = torch.zeros(2)  # validation: greedy-correct programs, programs

    # ------------------------------------------------------------------
    def program_loss(self, batch: dict, z: torch.Tensor, mu: torch.Tensor, logvar: torch.Tensor) -> dict:
        ids = batch["programs"]
        # positions after the longest program's end token are masked out and the decoder is causal:
        # dropping them gives the same loss for less work (most with length-bucketed batches)
        ids = ids[:, : min(ids.shape[1], int(batch["program_lengths"].max()) + 1)]
        logits = self.vae.teacher_forced_logits(z, ids)
        # positions up to and including the end-of-program PAD
        positions = torch.arange(ids.shape[1], device=ids.device)[None, :]
        target_mask = positions <= batch["program_lengths"][:, None]
        target_mask &= positions < ids.shape[1]
        ce = F.cross_entropy(logits.transpose(1, 2), ids, reduction="none")
        token_loss = (ce * target_mask).sum() / target_mask.sum()
        kl = kl_term(mu, logvar)  # the reference's: a mean over latent dimensions (not a sum), weighted by losses.kl
        correct = (logits.argmax(dim=2) == ids) | ~target_mask
        return {
            "program_loss": token_loss,
            "kl": kl,
            "token_accuracy": ((logits.argmax(dim=2) == ids) & target_mask).sum() / target_mask.sum(),
            "program_accuracy": correct.all(dim=1).float().mean(),
        }

    def behaviour_rl_loss(self, batch: dict, z: torch.Tensor) -> dict:
        ids, log_prob, entropy = self.vae.sample(z, greedy=False)
        reward, _, _ = execute_on_demos(ids.cpu().numpy(), batch)
        reward_t = torch.as_tensor(reward, dtype=torch.float32, device=z.device)
        advantage = reward_t - self.baseline
        loss = -(advantage.detach() * log_prob).mean() - self.cfg.losses.entropy * entropy.mean()
        with torch.no_grad():
            m = self.cfg.losses.baseline_momentum
            self.baseline.mul_(m).add_((1 - m) * reward_t.mean())
        return {"behaviour_rl_loss": loss, "behaviour_reward": reward_t.mean()}

    def latent_behaviour_loss(self, batch: dict, z: torch.Tensor) -> dict:
        actions, lengths = batch["actions"], batch["action_lengths"]
        # the steps the loss asks for: each demo's actions, and with policy_predicts_end the NO_ACTION after them
        # (the batch carries one step more than its longest demo, and the state after the last action)
        targets = lengths + 1 if self.cfg.policy_predicts_end else lengths
        logits = self.policy(z, batch["states"], actions, targets)
        steps = torch.arange(actions.shape[2], device=actions.device)[None, None, :]
        ce = F.cross_entropy(logits.permute(0, 3, 1, 2), actions, reduction="none")
        target_mask = steps < targets[..., None]
        loss = (ce * target_mask).sum() / target_mask.sum().clamp(min=1)
        mask = steps < lengths[..., None]  # the accuracies: the actions alone, whichever targets the loss has
        right = (logits.argmax(dim=3) == actions) | ~mask
        return {
            "latent_behaviour_loss": loss,
            "action_accuracy": ((logits.argmax(dim=3) == actions) & mask).sum() / mask.sum().clamp(min=1),
            "demo_accuracy": right.all(dim=2).float().mean(),
        }

    def losses(self, batch: dict) -> dict:
        w = self.cfg.losses
        mu, logvar = self.vae.encode(batch["programs"])
        z = self.vae.reparameterise(mu, logvar)
        out = self.program_loss(batch, z, mu, logvar)
        total = w.program * out["program_loss"] + w.kl * out["kl"]
        if self.cfg.rl_every_step:
            out.update(self.behaviour_rl_loss(batch, z))
            total = total + w.behaviour_rl * out["behaviour_rl_loss"]
        elif self.cfg.rl_phases and not self.training:
            with torch.no_grad():
                out.update(self.rl_phase_loss(batch))
        if w.latent_behaviour > 0:  # (the untrained policy of P and PR is not evaluated either)
            out.update(self.latent_behaviour_loss(batch, z))
            total = total + w.latent_behaviour * out["latent_behaviour_loss"]
        out["loss"] = total
        out["_mu"] = mu
        return out

    def training_step(self, batch: dict, batch_idx: int) -> torch.Tensor:
        out = self.losses(batch)
        if not torch.isfinite(out["loss"]):
            raise FloatingPointError(
                f"non-finite training loss at step {self.global_step}: stopping before a broken checkpoint is written"
            )
        self.log_dict({f"train/{k}": v for k, v in out.items() if not k.startswith("_")},
                      batch_size=len(batch["programs"]), prog_bar=False)
        self.log("loss", out["loss"], prog_bar=True, batch_size=len(batch["programs"]))
        return out["loss"]

    def validation_step(self, batch: dict, batch_idx: int) -> None:
        out = self.losses(batch)
        mu = out.pop("_mu")
        greedy = self.vae.decode(mu, greedy=True)
        ids = batch["programs"]
        correct = (greedy == ids).all(dim=1)
        out["greedy_program_accuracy"] = correct.float().mean()
        self._gate += torch.tensor([float(correct.sum()), float(len(ids))])
        _, exact, _ = execute_on_demos(greedy.cpu().numpy(), batch)
        # on the module's device: NCCL (trainer=ddp on GPUs) syncs GPU tensors only
        out["execution_accuracy"] = torch.as_tensor(exact.mean(), dtype=torch.float32, device=mu.device)
        self.log_dict({f"val/{k}": v for k, v in out.items()}, batch_size=len(ids), prog_bar=False, sync_dist=True)
        self.log("val_loss", out["loss"], prog_bar=True, batch_size=len(ids), sync_dist=True)

    # ------------------------------------------------------------------
    # R the original's way: an RL phase after each supervised epoch whose
    # validation greedy program accuracy reaches model.rl.start_accuracy
    def on_validation_epoch_start(self) -> None:
        self._gate = torch.zeros(2)

    def on_validation_epoch_end(self) -> None:
        if not self.cfg.rl_phases or self.trainer.sanity_checking or self.trainer.state.fn != "fit":
            return
        gate = self.trainer.strategy.reduce(self._gate.to(self.device), reduce_op="sum")  # all ranks decide alike
        accuracy = float(gate[0] / gate[1].clamp(min=1))
        pending = self.rl_schedule.after_validation(accuracy)
        self.log("rl/gate_accuracy", accuracy, sync_dist=True)  # the same on every rank
        self.log("rl/phase_pending", float(pending), sync_dist=True)

    def on_train_epoch_start(self) -> None:
        self.log("train/lr", self.optimizers().param_groups[0]["lr"], on_step=False, on_epoch=True, sync_dist=True)
        if self.cfg.rl_phases and self.rl_schedule.pending:
            self.run_rl_phase()

    def rl_phase_loss(self, batch: dict) -> dict:
        """Sample one program per dataset program from its posterior, run it on
        the demonstrations' worlds, and score its REINFORCE loss; like the
        original, the log-probabilities are taken under a fresh draw of z."""
        cfg = self.cfg.rl
        ids = batch["programs"]
        with torch.no_grad():
            mu, logvar = self.vae.encode(ids)
            sampled, _, _ = self.vae.sample(self.vae.reparameterise(mu, logvar), greedy=False, stats=False)
        match, _, valid = execute_on_demos(sampled.cpu().numpy(), batch)
        lengths = (sampled != dsl.PAD_ID).sum(dim=1).cpu().numpy()
        reward = torch.as_tensor(phase_rewards(match, valid, lengths, cfg), dtype=torch.float32, device=ids.device)
        mu, logvar = self.vae.encode(ids)
        logits = self.vae.teacher_forced_logits(self.vae.reparameterise(mu, logvar), sampled)
        log_prob, entropy = reinforce_terms(logits, sampled)
        loss = phase_loss(reward, log_prob, entropy, kl_term(mu, logvar), cfg)
        return {"behaviour_rl_loss": loss, "behaviour_reward": reward.mean(), "behaviour_entropy": entropy}

    def _rl_optimizer_for_phase(self) -> torch.optim.Adam:
        if self._rl_optimizer is None:
            params = [p for p in self.vae.parameters() if p.requires_grad]
            self._rl_optimizer = torch.optim.Adam(params, lr=self.cfg.rl.lr, eps=self.cfg.rl.adam_eps)
            if self._rl_optimizer_state is not None:
                self._rl_optimizer.load_state_dict(self._rl_optimizer_state)
                self._rl_optimizer_state = None
        return self._rl_optimizer

    def run_rl_phase(self) -> None:
        """One pass over the training programs with REINFORCE on the VAE and the
        phase's own optimizer (the original's second Adam), then back to
        supervised training."""
        cfg, schedule = self.cfg.rl, self.rl_schedule
        optimizer = self._rl_optimizer_for_phase()
        params = [p for group in optimizer.param_groups for p in group["params"]]
        distributed = torch.distributed.is_available() and torch.distributed.is_initialized()
        rewards = []
        loader = self.trainer.train_dataloader
        progress = self.trainer.progress_bar_callback is not None and self.trainer.is_global_zero
        batches = loader
        if progress:
            from tqdm import tqdm

            batches = tqdm(loader, desc=f"RL phase {schedule.phases + 1}", leave=False, dynamic_ncols=True)
        self.vae.train()
        for batch in batches:
            if self.trainer.received_sigterm:  # as Lightning's own loop: stop at a step boundary, checkpoint, exit
                raise SIGTERMException()
            batch = self.transfer_batch_to_device(batch, self.device, 0)
            for group in optimizer.param_groups:
                group["lr"] = cfg.lr_at(schedule.steps)
            out = self.rl_phase_loss(batch)
            optimizer.zero_grad()
            (self.cfg.losses.behaviour_rl * out["behaviour_rl_loss"]).backward()
            if distributed:  # outside Lightning's DDP wrapper: average the gradients by hand
                world = torch.distributed.get_world_size()
                for p in params:
                    if p.grad is not None:
                        torch.distributed.all_reduce(p.grad)
                        p.grad /= world
            torch.nn.utils.clip_grad_norm_(params, cfg.grad_clip)
            optimizer.step()
            schedule.steps += 1
            rewards.append(float(out["behaviour_reward"]))
        schedule.phases += 1
        schedule.pending = False
        mean_reward = float(np.mean(rewards)) if rewards else float("nan")
        self.log_dict({"rl/phase_reward": mean_reward, "rl/phases": float(schedule.phases),
                       "rl/steps": float(schedule.steps), "rl/lr": cfg.lr_at(schedule.steps)}, on_step=False,
                      on_epoch=True, sync_dist=True)
        if distributed:
            _check_ranks_agree(params)
        if self.trainer.is_global_zero:
            print(f"RL phase {schedule.phases}: {len(rewards)} steps, mean reward {mean_reward:.3f} "
                  f"(max {1 + cfg.valid_bonus:g}), {schedule.steps} RL steps in all")

    def on_save_checkpoint(self, checkpoint: dict) -> None:
        if self.cfg.rl_phases:
            checkpoint["rl_schedule"] = self.rl_schedule.state_dict()
            if self._rl_optimizer is not None:
                checkpoint["rl_optimizer"] = self._rl_optimizer.state_dict()

    def on_load_checkpoint(self, checkpoint: dict) -> None:
        if "rl_schedule" in checkpoint:
            self.rl_schedule.load_state_dict(checkpoint["rl_schedule"])
        self._rl_optimizer = None
        self._rl_optimizer_state = checkpoint.get("rl_optimizer")

    def configure_optimizers(self) -> dict:
        params = [p for p in self.parameters() if p.requires_grad]
        optimizer = torch.optim.Adam(params, lr=self.cfg.lr)
        schedule = self.cfg.lr_schedule
        scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda epoch: schedule.factor(epoch, self.cfg.lr))
        return {"optimizer": optimizer, "lr_scheduler": {"scheduler": scheduler, "interval": "epoch"}}

