"""Stage-1 training from a Hydra config (the body of ``train.py``)."""

from __future__ import annotations

import os
from pathlib import Path

import pytorch_lightning as pl
import torch
from omegaconf import DictConfig, OmegaConf
from pytorch_lightning.callbacks import ModelCheckpoint

from leaps.data import DatasetError, build_datamodule
from leaps.models.checkpoint import export_model
from leaps.models.module import LeapsModule, ModuleConfig


class TrainingError(RuntimeError):
    """A problem the user can fix (bad config, missing data or checkpoint)."""


def _module_config(cfg: DictConfig) -> ModuleConfig:
    model = OmegaConf.to_container(cfg.model, resolve=True)
    try:
        return ModuleConfig.from_dict(model)
    except TypeError as err:
        raise TrainingError(f"bad model config: {err}") from None


def _logger(cfg: DictConfig, out_dir: Path):
    kind = cfg.logger.get("kind", "none")
    if kind == "none":
        return False
    if kind == "csv":
        return pl.loggers.CSVLogger(str(out_dir), name="csv")
    if kind == "wandb":
        os.environ.setdefault("WANDB_SILENT", "true")
        return pl.loggers.WandbLogger(
            project=cfg.logger.project, entity=cfg.logger.entity, mode=cfg.logger.mode, save_dir=str(out_dir),
            name=f"{cfg.model.name}-seed{cfg.seed}", group=f"train-{cfg.model.name}", tags=list(cfg.logger.tags),
            config=OmegaConf.to_container(cfg, resolve=True),
        )
    raise TrainingError(f"unknown logger kind {kind!r}: use logger=wandb, logger=csv or logger=none")


def _init_weights(module: LeapsModule, source: str) -> None:
    """Warm start: copy the weights that ``source`` (a model name or path) has
    in common with ``module``; the rest (e.g. a policy P lacks) stay fresh."""
    from leaps.models.checkpoint import CheckpointError, load_module

    try:
        state = load_module(source).state_dict()
    except (CheckpointError, FileNotFoundError) as err:
        raise TrainingError(f"init_from: {err}") from None
    own = module.state_dict()
    shared = {k: v for k, v in state.items() if k in own and own[k].shape == v.shape}
    if not shared:
        raise TrainingError(f"init_from {source}: no weights in common with model={module.cfg.name}")
    module.load_state_dict(shared, strict=False)
    print(f"init_from {source}: {len(shared)} of {len(own)} tensors copied")


def train(cfg: DictConfig, out_dir: Path) -> LeapsModule:
    if cfg.batch_size < 1:
        raise TrainingError(f"batch_size must be >= 1, got {cfg.batch_size}")
    if cfg.ckpt_path is not None and not Path(cfg.ckpt_path).exists():
        raise TrainingError(f"ckpt_path {cfg.ckpt_path} does not exist")
    threads = cfg.get("torch_threads")
    if threads is not None:
        if int(threads) < 1:
            raise TrainingError(f"torch_threads must be >= 1 or null, got {threads}")
        torch.set_num_threads(int(threads))
    pl.seed_everything(int(cfg.seed), workers=True)
    try:
        datamodule = build_datamodule(cfg.data, int(cfg.batch_size), int(cfg.seed), int(cfg.num_workers))
    except DatasetError as err:
        raise TrainingError(str(err)) from None
    module = LeapsModule(_module_config(cfg))
    if cfg.get("init_from"):
        _init_weights(module, str(cfg.init_from))
    callbacks: list[pl.Callback] = [
        ModelCheckpoint(dirpath=str(out_dir / "checkpoints"), filename="best", monitor=cfg.callbacks.checkpoint.monitor,
                        mode=cfg.callbacks.checkpoint.mode, save_top_k=cfg.callbacks.checkpoint.save_top_k,
                        save_last=cfg.callbacks.checkpoint.save_last),
    ]
    trainer_kwargs = OmegaConf.to_container(cfg.trainer, resolve=True)
    trainer = pl.Trainer(
        default_root_dir=str(out_dir), logger=_logger(cfg, out_dir), callbacks=callbacks,
        enable_progress_bar=bool(cfg.callbacks.progress_bar), **trainer_kwargs,
    )
    trainer.fit(module, datamodule=datamodule, ckpt_path=cfg.ckpt_path)
    if cfg.export:
        best = callbacks[0].best_model_path
        if best:
            from leaps.models.checkpoint import load_module

            module = load_module(best)
        export_model(module, out_dir / "export", {"epochs": trainer.current_epoch, "steps": trainer.global_step})
        print(f"exported {out_dir / 'export'} (load with model={out_dir / 'export'})")
    return module
