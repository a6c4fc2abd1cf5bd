"""Same seed, same training: on the CPU the first steps' losses of every loss
(P, R, L) are identical between two runs, and a different seed differs.
(On a GPU, cuDNN's GRU kernels make training only approximately
reproducible: conf/trainer/gpu.yaml sets deterministic: false.)"""

from __future__ import annotations

import pytorch_lightning as pl
import torch

from leaps.data import KarelDataModule
from leaps.models import LeapsModule
from tests.models.conftest import SMALL

STEPS = 6


class Record(pl.Callback):
    def __init__(self):
        self.losses: list[float] = []

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx):
        self.losses.append(float(outputs["loss"]))


def losses(dataset, seed: int) -> list[float]:
    pl.seed_everything(seed, workers=True)
    module = LeapsModule({**SMALL, "losses": {"behaviour_rl": 0.1, "latent_behaviour": 1.0}})
    record = Record()
    trainer = pl.Trainer(accelerator="cpu", max_steps=STEPS, logger=False, enable_checkpointing=False,
                         enable_progress_bar=False, enable_model_summary=False, deterministic=True,
                         limit_val_batches=0, callbacks=[record])
    trainer.fit(module, datamodule=KarelDataModule(dataset, batch_size=16, seed=seed))
    return record.losses


def test_same_seed_same_losses_on_cpu(tiny_dataset):
    first, second = losses(tiny_dataset, 0), losses(tiny_dataset, 0)
    assert len(first) == STEPS and all(torch.isfinite(torch.tensor(first)))
    assert first == second  # bit-identical, not approximately
    assert losses(tiny_dataset, 1) != first
