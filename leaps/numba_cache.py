"""Where numba keeps the compiled code of ``@njit(cache=True)`` functions:
one directory per version of this package's source.

Numba invalidates a cached function only when the file it is written in
changes, not when a function it calls from another module does: after an
edit or a ``git pull`` that changes, say, a task's reward step, a cached
evaluator that calls it would go on running the old one, silently. Keying
the cache directory by a digest of every source file of the package makes
any change start a fresh cache (compiling takes a minute or two once).

The directory is ``$LEAPS_NUMBA_CACHE`` (default: ``~/.cache/leaps/numba``,
or under ``$XDG_CACHE_HOME``) ``/<digest>``; the most recently used
:data:`KEEP_VERSIONS` are kept, and any used in the last :data:`KEEP_DAYS`. A ``NUMBA_CACHE_DIR`` set by the user wins.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
import time
from pathlib import Path

KEEP_VERSIONS = 8
"""Cache directories of other source versions kept (other checkouts, branches) before the oldest are removed..."""
KEEP_DAYS = 7
"""...unless used within this many days (a long sweep may still be compiling into one)."""
PACKAGE_DIR = Path(__file__).resolve().parent


def source_digest(package_dir: Path = PACKAGE_DIR) -> str:
    """A digest of every ``.py`` file under ``package_dir`` (paths and contents)."""
    digest = hashlib.sha256()
    for path in sorted(package_dir.rglob("*.py")):
        digest.update(path.relative_to(package_dir).as_posix().encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()[:16]


def cache_root() -> Path:
    if os.environ.get("LEAPS_NUMBA_CACHE"):
        return Path(os.environ["LEAPS_NUMBA_CACHE"]).expanduser()
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "leaps" / "numba"


def prune(root: Path, keep: int = KEEP_VERSIONS, days: float = KEEP_DAYS) -> None:
    """Remove the version directories under ``root`` beyond the ``keep`` most
    recently used that were not used for ``days``."""
    versions = sorted((p for p in root.iterdir() if p.is_dir()), key=lambda p: p.stat().st_mtime, reverse=True)
    cutoff = time.time() - days * 86400
    for old in versions[keep:]:
        if old.stat().st_mtime < cutoff:
            shutil.rmtree(old, ignore_errors=True)


def configure() -> Path | None:
    """Point numba's cache at this source version's directory (before any
    module of the package compiles); the directory, or None where the user
    chose one (``NUMBA_CACHE_DIR``) or none can be written (numba then
    caches next to the sources, as by default)."""
    root = cache_root()
    chosen = os.environ.get("NUMBA_CACHE_DIR")
    if chosen and Path(chosen).parent != root:  # the user's (ours, inherited from a parent process, is redone)
        return None
    directory = root / source_digest()
    try:
        directory.mkdir(parents=True, exist_ok=True)
        os.utime(directory)  # most recently used
        prune(root)
    except OSError:
        return None
    os.environ["NUMBA_CACHE_DIR"] = str(directory)  # read when numba is imported...
    if "numba" in sys.modules:  # ...or already was: the locator reads the config at each decoration
        sys.modules["numba"].config.CACHE_DIR = str(directory)
    return directory
