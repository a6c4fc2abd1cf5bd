"""Exporting and loading trained models without unpickling anything:
safetensors weights plus a small JSON config; Lightning checkpoints are read
with ``weights_only=True``."""

from __future__ import annotations

import json
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

from leaps.models.module import LeapsModule, ModuleConfig
from leaps.models.vae import ProgramVAE

SHIPPED_DIR = Path(__file__).resolve().parents[1] / "checkpoints"
WEIGHTS_FILE = "model.safetensors"
CONFIG_FILE = "config.json"


class CheckpointError(RuntimeError):
    """A model that is missing, truncated or does not match its config."""


def shipped_models() -> list[str]:
    if not SHIPPED_DIR.exists():
        return []
    return sorted(p.name for p in SHIPPED_DIR.iterdir() if (p / WEIGHTS_FILE).exists())


def export_model(model: LeapsModule, out_dir: str | Path, extra: dict | None = None) -> Path:
    """Write ``model.safetensors`` (the whole module's weights) and ``config.json``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    tmp = out / (WEIGHTS_FILE + ".tmp")
    save_file(state, str(tmp))
    tmp.replace(out / WEIGHTS_FILE)
    tmp = out / (CONFIG_FILE + ".tmp")
    tmp.write_text(json.dumps({"config": model.cfg.to_dict(), **(extra or {})}, indent=2))
    tmp.replace(out / CONFIG_FILE)
    return out


def _resolve(name_or_path: str | Path) -> Path:
    shipped = SHIPPED_DIR / str(name_or_path)
    if (shipped / WEIGHTS_FILE).exists():  # a shipped name wins over a same-named folder
        return shipped
    path = Path(name_or_path)
    if path.is_file() or (path / WEIGHTS_FILE).exists() or (path / CONFIG_FILE).exists():
        return path
    known = ", ".join(shipped_models()) or "none yet (train one with `python train.py`)"
    raise FileNotFoundError(f"no model file or shipped model named {name_or_path!r}; shipped models: {known}")


def load_module(name_or_path: str | Path) -> LeapsModule:
    """A :class:`LeapsModule` from an exported dir / .safetensors file or a
    Lightning ``.ckpt`` (loaded with ``weights_only=True``)."""
    path = _resolve(name_or_path)
    try:
        if path.suffix == ".ckpt":
            ckpt = torch.load(path, map_location="cpu", weights_only=True)
            config = ckpt["hyper_parameters"]["config"]
            state = ckpt["state_dict"]
        else:
            directory = path if path.is_dir() else path.parent
            config = json.loads((directory / CONFIG_FILE).read_text())["config"]
            state = load_file(str(directory / WEIGHTS_FILE if path.is_dir() else path))
    except FileNotFoundError as err:
        raise CheckpointError(f"{path}: incomplete model ({err.filename} is missing)") from None
    except Exception as err:  # truncated files, pickles with code, bad JSON
        raise CheckpointError(f"cannot load model {path}: {err.__class__.__name__}: {err}") from None
    module = LeapsModule(ModuleConfig.from_dict(config))
    try:
        module.load_state_dict(state)
    except RuntimeError as err:
        raise CheckpointError(f"{path}: weights do not match the model's config ({err})") from None
    return module.eval()


def load_model(name_or_path: str | Path = "leaps") -> ProgramVAE:
    """The program VAE of a shipped or saved model, ready for CEM decoding."""
    return load_module(name_or_path).vae.eval()
