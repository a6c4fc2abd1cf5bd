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

from dataclasses import asdict, dataclass, field

import numpy as np
import pytorch_lightning as pl
import torch
import torch.nn.functional as F

from leaps.karel.interpreter import Mode, Status, run_pairs
from leaps.karel.world import WorldBatch
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


@dataclass
class ModuleConfig:
    vae: VAEConfig = field(default_factory=VAEConfig)
    losses: LossConfig = field(default_factory=LossConfig)
    lr: float = 1e-3
    policy_initial_state_only: bool = False
    freeze_policy: bool = False
    name: str = "leaps"

    @classmethod
    def from_dict(cls, d: dict) -> ModuleConfig:
        d = dict(d)
        return cls(vae=VAEConfig(**d.pop("vae", {})), losses=LossConfig(**d.pop("losses", {})), **d)

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
    Returns (reward (B,), exact (B,) all demos reproduced, valid (B,))."""
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


class LeapsModule(pl.LightningModule):
    def __init__(self, config: dict | ModuleConfig | None = None):
        super().__init__()
        cfg = config if isinstance(config, ModuleConfig) else ModuleConfig.from_dict(config or {})
        self.cfg = cfg
        self.save_hyperparameters({"config": cfg.to_dict()})
        self.vae = ProgramVAE(cfg.vae)
        self.policy = LatentBehaviourPolicy(cfg.vae.latent_dim, cfg.vae.hidden_size, cfg.policy_initial_state_only)
        if cfg.freeze_policy:
            self.policy.requires_grad_(False)
        self.register_buffer("baseline", torch.zeros(()))

    # ------------------------------------------------------------------
    def program_loss(self, batch: dict, z: torch.Tensor, mu: torch.Tensor, logvar: torch.Tensor) -> dict:
        ids = batch["programs"]
        logits = self.vae.teacher_forced_logits(z, ids)
        # positions up to and including the end-of-program PAD
        positions = torch.arange(ids.shape[1], device=ids.device)[None, :]
        target_mask = positions <= batch["program_lengths"][:, None]
        target_mask &= positions < ids.shape[1]
        ce = F.cross_entropy(logits.transpose(1, 2), ids, reduction="none")
        token_loss = (ce * target_mask).sum() / target_mask.sum()
        # the reference's KL term: a mean over latent dimensions (not a sum), weighted by losses.kl
        kl = -0.5 * torch.mean(1 + logvar - mu.pow(2) - logvar.exp())
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
        actions = batch["actions"]
        logits = self.policy(z, batch["states"], actions, batch["action_lengths"])
        mask = torch.arange(actions.shape[2], device=actions.device)[None, None, :] < batch["action_lengths"][..., None]
        ce = F.cross_entropy(logits.permute(0, 3, 1, 2), actions, reduction="none")
        loss = (ce * mask).sum() / mask.sum().clamp(min=1)
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
        if w.behaviour_rl > 0:
            out.update(self.behaviour_rl_loss(batch, z))
            total = total + w.behaviour_rl * out["behaviour_rl_loss"]
        if w.latent_behaviour > 0 or not self.training:
            out.update(self.latent_behaviour_loss(batch, z))
            if w.latent_behaviour > 0:
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
        out["greedy_program_accuracy"] = (greedy == ids).all(dim=1).float().mean()
        _, exact, _ = execute_on_demos(greedy.cpu().numpy(), batch)
        out["execution_accuracy"] = torch.as_tensor(exact.mean(), dtype=torch.float32)
        self.log_dict({f"val/{k}": v for k, v in out.items()}, batch_size=len(ids), prog_bar=False)
        self.log("val_loss", out["loss"], prog_bar=True, batch_size=len(ids))

    def configure_optimizers(self) -> torch.optim.Optimizer:
        params = [p for p in self.parameters() if p.requires_grad]
        return torch.optim.Adam(params, lr=self.cfg.lr)
