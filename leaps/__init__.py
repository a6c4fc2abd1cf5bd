"""LEAPS, reimplemented: Karel program synthesis (leaps.karel), the stage-1
dataset (leaps.data) and models (leaps.models), and the stage-2 search
(leaps.search)."""

from __future__ import annotations

import sys
import sysconfig
from pathlib import Path

CONFIG_SUBDIR = Path("share") / "leaps" / "conf"
"""Where a (non-editable) install puts the Hydra configs, under its prefix
(pyproject.toml's data-files)."""


def config_dir() -> Path:
    """The directory of the Hydra configs (``search.yaml``, ``train.yaml``,
    the config groups): the repository's ``conf/`` when the package runs from
    a checkout (an editable install), else the copy an install put under its
    prefix. Library code finds configs only through this function."""
    package = Path(__file__).resolve().parent
    candidates = [package.parent / "conf"]  # a checkout
    candidates += [prefix / CONFIG_SUBDIR for prefix in package.parents]  # <prefix>/lib/python3.X/site-packages/leaps
    candidates += [Path(sysconfig.get_path("data")) / CONFIG_SUBDIR, Path(sys.prefix) / CONFIG_SUBDIR]
    for candidate in candidates:
        if (candidate / "search.yaml").is_file():
            return candidate
    raise FileNotFoundError(f"the leaps configs (search.yaml, ...) are missing: looked in {candidates[0]} and "
                            f"<prefix>/{CONFIG_SUBDIR}; reinstall the package")


from leaps import numba_cache  # noqa: E402  (before any module of the package compiles)

numba_cache.configure()
