"""Files written whole or not at all: a run killed mid-write (a sweep
stopped, a machine taken back) must leave the previous version, never a
truncated file that a resume or ``leaps.report`` would then trip over."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any


def write_text_atomic(path: Path, text: str) -> None:
    """``path`` holds ``text`` afterwards, or its old content if interrupted."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def write_json_atomic(path: Path, data: dict[str, Any]) -> None:
    write_text_atomic(path, json.dumps(data, indent=2))
