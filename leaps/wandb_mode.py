"""W&B never blocks a run: before an online run starts, a short probe of the
W&B server (``WANDB_BASE_URL``, default https://api.wandb.ai) decides; when it
cannot be reached within a few seconds the run logs offline instead (upload
later with ``wandb sync``), rather than waiting for wandb's own timeouts."""

from __future__ import annotations

import os
import socket
import threading
from urllib.parse import urlparse

from leaps.loggers import WANDB_MODES

PROBE_TIMEOUT_S = 3.0
DEFAULT_BASE_URL = "https://api.wandb.ai"


def server_reachable(url: str | None = None, timeout: float = PROBE_TIMEOUT_S) -> bool:
    """Whether a TCP connection to the W&B server opens within ``timeout``
    seconds (name resolution included: it runs in a thread we stop waiting for)."""
    parsed = urlparse(url or os.environ.get("WANDB_BASE_URL") or DEFAULT_BASE_URL)
    host = parsed.hostname
    if not host:
        return False
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    ok: list[bool] = []

    def probe() -> None:
        try:
            with socket.create_connection((host, port), timeout=timeout):
                ok.append(True)
        except OSError:
            pass

    thread = threading.Thread(target=probe, daemon=True)
    thread.start()
    thread.join(timeout)
    return bool(ok)


def resolve_mode(mode: str | None, timeout: float = PROBE_TIMEOUT_S) -> str:
    """The W&B mode to use: ``mode`` itself, except that ``online`` becomes
    ``offline`` (saying so) when the server cannot be reached."""
    mode = mode or "offline"
    if mode not in WANDB_MODES:
        raise ValueError(f"logger.mode must be one of {', '.join(WANDB_MODES)}, got {mode!r}")
    if mode == "online" and not server_reachable(timeout=timeout):
        url = os.environ.get("WANDB_BASE_URL") or DEFAULT_BASE_URL
        print(f"W&B server {url} not reachable within {timeout:.0f} s: logging offline; upload later with `wandb sync`")
        return "offline"
    return mode
