"""Stage-1 training from a Hydra config (the body of ``train.py``)."""

from __future__ import annotations

import os
from pathlib import Path

import pytorch_lightning as pl
import torch
from omegaconf import DictConfig, OmegaConf
from pytorch_lightning.callbacks import ModelCheckpoint, OnExceptionCheckpoint
from pytorch_lightning.utilities.exceptions import MisconfigurationException, SIGTERMException

from leaps.data import DatasetError, build_datamodule
from leaps.karel import dsl
from leaps.loggers import check_logger
from leaps.models.checkpoint import export_model
from leaps.models.module import LeapsModule, ModuleConfig
from leaps.models.policy import check_policy_arch
from leaps.models.vae import VAE_SWITCHES
from leaps.threads import check_threads, set_threads


class TrainingError(RuntimeError):
    """A problem the user can fix (bad config, missing data or checkpoint)."""


EXPORT_CHECKPOINTS = ("best", "last")
"""What ``export_checkpoint`` may name: the best checkpoint by ``callbacks.checkpoint.monitor``, or the final
weights."""

INTERRUPTED_CKPT = "interrupted"
"""``<run>/checkpoints/interrupted.ckpt``: written when a run is stopped by
Ctrl-C (SIGINT) or SIGTERM, so that ``ckpt_path=`` resumes where it stopped."""


def _module_config(cfg: DictConfig) -> ModuleConfig:
    model = OmegaConf.to_container(cfg.model, resolve=True)
    try:
        config = ModuleConfig.from_dict(model)
    except TypeError as err:
        raise TrainingError(f"bad model config: {err}") from None
    except ValueError as err:  # VAEConfig's own checks (arch, and the sizes it asks for)
        raise TrainingError(str(err)) from None
    for key, value in config.vae.to_dict().items():
        if key == "arch":
            continue
        if key in VAE_SWITCHES:
            if not isinstance(value, bool):
                raise TrainingError(f"model.vae.{key} must be true or false, got {value!r}")
            continue
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise TrainingError(f"model.vae.{key} must be an integer >= 1, got {value}")
    if config.vae.max_tokens > dsl.MAX_PROGRAM_TOKENS:
        raise TrainingError(f"model.vae.max_tokens must be <= {dsl.MAX_PROGRAM_TOKENS}, got {config.vae.max_tokens}")
    if not config.lr > 0:
        raise TrainingError(f"model.lr must be > 0, got {config.lr}")
    for key, value in config.losses.__dict__.items():
        if not value >= 0:
            raise TrainingError(f"model.losses.{key} must be >= 0, got {value}")
    if not config.losses.baseline_momentum < 1:
        raise TrainingError(f"model.losses.baseline_momentum must be < 1, got {config.losses.baseline_momentum}")
    try:
        config.lr_schedule.check(config.lr)
        config.rl.check()
        check_policy_arch(config.policy_arch)
    except ValueError as err:
        raise TrainingError(str(err)) from None
    return config


def _check_config(cfg: DictConfig) -> ModuleConfig:
    """Every setting a user may get wrong, checked before any data is generated or read."""
    for key in ("seed", "batch_size", "num_workers"):
        if not isinstance(cfg.get(key), int) or isinstance(cfg.get(key), bool):
            raise TrainingError(f"{key} must be an integer, got {cfg.get(key)!r}")
    if cfg.batch_size < 1:
        raise TrainingError(f"batch_size must be >= 1, got {cfg.batch_size}")
    try:
        check_threads(cfg.get("torch_threads"), cfg.get("numba_threads"))
    except ValueError as err:
        raise TrainingError(str(err)) from None
    if cfg.num_workers < 0:
        raise TrainingError(f"num_workers must be >= 0, got {cfg.num_workers}")
    if cfg.get("export_checkpoint", "best") not in EXPORT_CHECKPOINTS:
        raise TrainingError(f"export_checkpoint must be one of {', '.join(EXPORT_CHECKPOINTS)}, "
                            f"got {cfg.get('export_checkpoint')!r}")
    try:
        check_logger(cfg.logger)
    except ValueError as err:
        raise TrainingError(str(err)) from None
    config = _module_config(cfg)
    if cfg.ckpt_path is not None:
        _check_resume_checkpoint(Path(cfg.ckpt_path), config)
    return config


def _check_resume_checkpoint(path: Path, config: ModuleConfig) -> None:
    """A ``ckpt_path`` that exists, loads without unpickling code and was
    trained with the same model shape."""
    if not path.exists():
        raise TrainingError(f"ckpt_path {path} does not exist")
    try:
        ckpt = torch.load(path, map_location="cpu", weights_only=True)
        stored = ckpt["hyper_parameters"]["config"]["vae"]
        ckpt["state_dict"]
    except Exception as err:  # truncated, corrupt, not a checkpoint, a pickle with code
        raise TrainingError(
            f"ckpt_path {path} cannot be loaded ({err.__class__.__name__}: {str(err).splitlines()[0][:200]}): "
            "it is truncated, corrupt or not a leaps training checkpoint; point ckpt_path at another one "
            "(e.g. <run>/checkpoints/last.ckpt) or leave it out to start afresh"
        ) from None
    wanted = config.vae.to_dict()
    differ = [f"model.vae.{k}={stored.get(k)} (asked {v})" for k, v in wanted.items() if stored.get(k) != v]
    if differ:
        raise TrainingError(
            f"ckpt_path {path} was trained with other model settings: {', '.join(differ)}; "
            "resume with the same model=... and model.* overrides"
        )


class InterruptCheckpoint(OnExceptionCheckpoint):
    """Saves ``interrupted.ckpt`` on Ctrl-C or SIGTERM only (never after an
    error such as a non-finite loss, whose weights would be broken)."""

    def on_exception(self, trainer: pl.Trainer, pl_module: pl.LightningModule, exception: BaseException) -> None:
        if isinstance(exception, (KeyboardInterrupt, SIGTERMException)):
            super().on_exception(trainer, pl_module, exception)
            print(f"interrupted: saved {self.ckpt_path}; resume with ckpt_path={self.ckpt_path}")


def _logger(cfg: DictConfig, out_dir: Path):
    kind = check_logger(cfg.logger)  # checked up front too; one of leaps.loggers.LOGGER_KINDS
    if kind == "none":
        return False
    if kind == "csv":
        return pl.loggers.CSVLogger(str(out_dir), name="csv")
    if kind == "wandb":
        from leaps.wandb_mode import resolve_mode

        os.environ.setdefault("WANDB_SILENT", "true")
        return pl.loggers.WandbLogger(
            project=cfg.logger.project, entity=cfg.logger.entity, mode=resolve_mode(cfg.logger.mode),
            save_dir=str(out_dir),
            name=f"{cfg.model.name}-seed{cfg.seed}", group=f"train-{cfg.model.name}", tags=list(cfg.logger.tags),
            config=OmegaConf.to_container(cfg, resolve=True),
        )
    raise AssertionError(f"logger kind {kind!r} is registered in leaps.loggers but not built here")


def _init_weights(module: LeapsModule, source: str) -> None:
    """Warm start: copy the weights that ``source`` (a model name or path) has
    in common with ``module``; the rest (e.g. a policy P lacks) stay fresh."""
    from leaps.models.checkpoint import CheckpointError, load_module

    try:
        src = load_module(source)
    except (CheckpointError, FileNotFoundError) as err:
        raise TrainingError(f"init_from: {err}") from None
    state = src.state_dict()
    archs = {"policy.": (src.cfg.policy_arch, module.cfg.policy_arch), "vae.": (src.cfg.vae.arch, module.cfg.vae.arch)}
    for part, (theirs, ours) in archs.items():
        if theirs != ours:  # some tensors of two architectures match in shape, not in role
            state = {k: v for k, v in state.items() if not k.startswith(part)}
    own = module.state_dict()
    shared = {k: v for k, v in state.items() if k in own and own[k].shape == v.shape}
    if not shared:
        raise TrainingError(f"init_from {source}: no weights in common with model={module.cfg.name}")
    module.load_state_dict(shared, strict=False)
    print(f"init_from {source}: {len(shared)} of {len(own)} tensors copied")


def _refuse_silent_resume(cfg: DictConfig, out_dir: Path) -> None:
    """Lightning resumes from a run dir's last/interrupted checkpoint whenever
    ``ckpt_path`` is None, silently (step count, timer and weights, over any
    ``init_from``); a fresh run must not inherit an earlier one's state."""
    if cfg.get("ckpt_path"):
        return
    found = sorted((out_dir / "checkpoints").glob("*.ckpt"))
    if found:
        raise TrainingError(
            f"{out_dir} already holds checkpoints of an earlier run ({', '.join(p.name for p in found)}): "
            f"resume with ckpt_path={found[-1] if len(found) == 1 else out_dir / 'checkpoints' / 'last.ckpt'}, "
            "or start afresh in another hydra.run.dir"
        )


def train(cfg: DictConfig, out_dir: Path) -> LeapsModule:
    module_config = _check_config(cfg)
    set_threads(cfg.get("torch_threads"), cfg.get("numba_threads"))
    _refuse_silent_resume(cfg, out_dir)
    pl.seed_everything(int(cfg.seed), workers=True)
    module = LeapsModule(module_config)
    if cfg.get("init_from"):
        _init_weights(module, str(cfg.init_from))
    callbacks: list[pl.Callback] = [
        ModelCheckpoint(dirpath=str(out_dir / "checkpoints"), filename="best", monitor=cfg.callbacks.checkpoint.monitor,
                        mode=cfg.callbacks.checkpoint.mode, save_top_k=cfg.callbacks.checkpoint.save_top_k),
        InterruptCheckpoint(dirpath=str(out_dir / "checkpoints"), filename=INTERRUPTED_CKPT),
    ]
    if cfg.callbacks.checkpoint.save_last:
        # its own callback: Lightning's save_last writes last.ckpt only in epochs that improve the monitored value,
        # so a run whose final epochs did not improve would lose its final weights and resume from an old epoch
        callbacks.append(ModelCheckpoint(dirpath=str(out_dir / "checkpoints"), filename="last", monitor=None,
                                         save_top_k=1, enable_version_counter=False))
    trainer_kwargs = OmegaConf.to_container(cfg.trainer, resolve=True)
    try:
        trainer = pl.Trainer(
            default_root_dir=str(out_dir), logger=_logger(cfg, out_dir), callbacks=callbacks,
            enable_progress_bar=bool(cfg.callbacks.progress_bar), **trainer_kwargs,
        )
    except (MisconfigurationException, TypeError, ValueError) as err:
        raise TrainingError(f"bad trainer setting: {err} (see conf/trainer/)") from None
    try:
        datamodule = build_datamodule(cfg.data, int(cfg.batch_size), int(cfg.seed), int(cfg.num_workers),
                                      bool(cfg.get("bucket_by_length", False)))
    except DatasetError as err:
        raise TrainingError(str(err)) from None
    try:
        trainer.fit(module, datamodule=datamodule, ckpt_path=cfg.ckpt_path)
    except MisconfigurationException as err:
        raise TrainingError(f"bad trainer setting: {err} (see conf/trainer/)") from None
    except SIGTERMException:  # Lightning stops at a step boundary; InterruptCheckpoint has saved the state
        raise SystemExit(f"interrupted by SIGTERM: resume with ckpt_path={callbacks[1].ckpt_path}") from None
    if cfg.export and trainer.is_global_zero:
        module = _export(cfg, trainer, module, callbacks[0].best_model_path, out_dir)
    return module


def _export(cfg: DictConfig, trainer: pl.Trainer, module: LeapsModule, best_path: str, out_dir: Path) -> LeapsModule:
    """Write ``<run>/export`` from the checkpoint ``export_checkpoint`` names. ``config.json`` keeps the run's
    epochs, steps (and RL phases) and adds ``exported``: which checkpoint, and the epochs, steps and RL phases *it*
    had, since the best one by a supervised metric can predate every RL phase."""
    run = {"epochs": trainer.current_epoch, "steps": trainer.global_step}
    schedule = module.rl_schedule.state_dict() if module.cfg.rl_phases else None
    if schedule is not None:
        run.update({"rl_phases": int(schedule["phases"]), "rl_steps": int(schedule["steps"])})
    exported = {"checkpoint": "last", **run}
    if cfg.get("export_checkpoint", "best") == "best" and best_path:
        from leaps.models.checkpoint import load_module

        ckpt = torch.load(best_path, map_location="cpu", weights_only=True)
        module = load_module(best_path)
        # a checkpoint written during epoch k (0-based) holds k + 1 epochs of training
        exported = {"checkpoint": f"best by {cfg.callbacks.checkpoint.monitor}", "epochs": int(ckpt["epoch"]) + 1,
                    "steps": int(ckpt["global_step"])}
        best_schedule = ckpt.get("rl_schedule")
        if schedule is not None and best_schedule is not None:
            exported.update({"rl_phases": int(best_schedule["phases"]), "rl_steps": int(best_schedule["steps"])})
    export_model(module, out_dir / "export", {**run, "exported": exported})
    print(f"exported {out_dir / 'export'} ({exported['checkpoint']}: {exported['epochs']} epochs, "
          f"{exported['steps']} steps; load with model={out_dir / 'export'})")
    if exported.get("rl_phases", 0) < run.get("rl_phases", 0):
        last = out_dir / "checkpoints" / "last.ckpt"
        print(f"note: the exported checkpoint has {exported['rl_phases']} of the run's {run['rl_phases']} RL phases; "
              f"export_checkpoint=last exports the final weights (or use model={last})")
    return module
