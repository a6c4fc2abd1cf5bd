"""Where runs report: the logger kinds (``conf/logger/<kind>.yaml``, shared by
train.py and search.py) and W&B's modes, defined once here for both."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

LOGGER_KINDS = ("wandb", "csv", "none")
"""W&B (offline by default), CSV files in the run directory, or nowhere."""
WANDB_MODES = ("offline", "online", "disabled")


def check_logger(cfg: Mapping[str, Any]) -> str:
    """The logger's kind; ``ValueError`` in one line for an unknown kind or W&B mode."""
    kind = cfg.get("kind", "none")
    if kind not in LOGGER_KINDS:
        raise ValueError(f"unknown logger kind {kind!r}: use {', '.join(f'logger={k}' for k in LOGGER_KINDS)}")
    if kind == "wandb" and cfg.get("mode", "offline") not in WANDB_MODES:
        raise ValueError(f"logger.mode must be one of {', '.join(WANDB_MODES)}, got {cfg.get('mode')!r}")
    return str(kind)
