"""The R loss (program behaviour reconstruction) as the original trains it.

The original (clvrai/leaps, ``pretrain/SupervisedRLModel.py``) does not add
REINFORCE to every supervised step: after each supervised epoch whose
validation greedy program accuracy reaches 80%, it runs an RL phase, one pass
over the training programs with REINFORCE on the decoder and its own Adam
optimizer. This module holds that phase's settings, its schedule (which
epochs get a phase; kept in checkpoints) and its loss; ``LeapsModule`` runs
it. ``mode=every_step`` keeps the simpler variant: REINFORCE with a
moving-average baseline on every supervised step (``losses.behaviour_rl``,
``losses.entropy``, ``losses.baseline_momentum``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from leaps.karel import dsl

RL_MODES = ("phases", "every_step")
EMPTY_PROGRAM_TOKENS = 4
"""``DEF run m( m)``: the original scores a program of this many tokens or
fewer as invalid."""


@dataclass
class BehaviourRLConfig:
    """How R is trained when ``losses.behaviour_rl`` > 0 (it then weights the loss).

    Defaults are the original's (``pretrain/cfg.py``, REINFORCE): RL lr 5e-4
    with Adam eps 1e-5 decaying linearly to 0 over 19,531 updates of two
    mini-batches, gradient norm clipped at 0.5, entropy bonus 0.1, KL weight
    0.1 (``--rl.loss.latent_rl_loss_coef``), reward 0.01 for an invalid or
    empty program and 0.1 + the demonstrations' match otherwise, no baseline.
    """

    mode: str = "phases"
    start_accuracy: float = 0.8  # validation greedy program accuracy that switches the RL phases on
    every_epochs: int = 1  # a phase after every N-th supervised epoch at or above it (rl_update_ratio)
    lr: float = 5e-4
    adam_eps: float = 1e-5
    lr_decay_steps: int = 39_062  # linear decay to 0 over this many RL optimizer steps
    grad_clip: float = 0.5
    entropy: float = 0.1
    kl: float = 0.1
    invalid_reward: float = 0.01
    valid_bonus: float = 0.1

    def check(self) -> None:
        """Raise ValueError naming the first setting that makes no sense."""
        if self.mode not in RL_MODES:
            raise ValueError(f"model.rl.mode must be one of {', '.join(RL_MODES)}, got {self.mode!r}")
        if not 0 <= self.start_accuracy <= 1:
            raise ValueError(f"model.rl.start_accuracy must be in 0..1, got {self.start_accuracy}")
        for key in ("every_epochs", "lr_decay_steps"):
            value = getattr(self, key)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"model.rl.{key} must be an integer >= 1, got {value!r}")
        for key in ("lr", "adam_eps", "grad_clip"):
            if not getattr(self, key) > 0:
                raise ValueError(f"model.rl.{key} must be > 0, got {getattr(self, key)}")
        for key in ("entropy", "kl", "invalid_reward", "valid_bonus"):
            if not getattr(self, key) >= 0:
                raise ValueError(f"model.rl.{key} must be >= 0, got {getattr(self, key)}")

    def lr_at(self, step: int) -> float:
        return self.lr * max(0.0, 1.0 - step / self.lr_decay_steps)


class RLSchedule:
    """Which epochs are followed by an RL phase, and the phase's step count.

    ``after_validation`` is called once per supervised epoch with its
    validation greedy program accuracy; the phase it asks for runs at the
    start of the next epoch (so a checkpoint written at validation holds the
    pending phase, and a resumed run runs it)."""

    def __init__(self, cfg: BehaviourRLConfig):
        self.cfg = cfg
        self.gated_epochs = 0  # supervised epochs that reached start_accuracy (the original's sl_update_count)
        self.phases = 0
        self.steps = 0  # RL optimizer steps, across phases (drive the lr decay)
        self.pending = False

    def after_validation(self, accuracy: float) -> bool:
        if accuracy < self.cfg.start_accuracy:
            return self.pending
        if self.gated_epochs % self.cfg.every_epochs == 0:
            self.pending = True
        self.gated_epochs += 1
        return self.pending

    def state_dict(self) -> dict:
        return {"gated_epochs": self.gated_epochs, "phases": self.phases, "steps": self.steps, "pending": self.pending}

    def load_state_dict(self, state: dict) -> None:
        self.gated_epochs = int(state["gated_epochs"])
        self.phases = int(state["phases"])
        self.steps = int(state["steps"])
        self.pending = bool(state["pending"])


def phase_rewards(match: np.ndarray, valid: np.ndarray, lengths: np.ndarray, cfg: BehaviourRLConfig) -> np.ndarray:
    """The original's reward: ``invalid_reward`` for a program that does not
    run or has an empty body, else ``valid_bonus`` + the mean demonstration
    match (1 when every demonstration is reproduced, so at most 1 + bonus)."""
    ok = valid & (lengths > EMPTY_PROGRAM_TOKENS)
    return np.where(ok, cfg.valid_bonus + match, cfg.invalid_reward)


def reinforce_terms(logits: torch.Tensor, ids: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-program log-probability of ``ids`` (summed up to and including the
    end token) and the mean token entropy over those positions."""
    lengths = (ids != dsl.PAD_ID).sum(dim=1)
    positions = torch.arange(ids.shape[1], device=ids.device)[None, :]
    mask = positions <= lengths[:, None]
    log_p = torch.log_softmax(logits, dim=2)
    token_log_p = log_p.gather(2, ids[:, :, None]).squeeze(2)
    log_prob = (token_log_p * mask).sum(dim=1)
    entropy = -(log_p.exp() * log_p).sum(dim=2)
    return log_prob, (entropy * mask).sum() / mask.sum().clamp(min=1)


def kl_term(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """The reference's KL: a mean over latent dimensions and programs."""
    return -0.5 * torch.mean(1 + logvar - mu.pow(2) - logvar.exp())


def phase_loss(reward: torch.Tensor, log_prob: torch.Tensor, entropy: torch.Tensor, kl: torch.Tensor,
               cfg: BehaviourRLConfig) -> torch.Tensor:
    """REINFORCE on the raw reward (the original computes normalised returns
    but trains on the raw ones), minus the entropy bonus, plus the KL."""
    return -(reward * log_prob).mean() - cfg.entropy * entropy + cfg.kl * kl

