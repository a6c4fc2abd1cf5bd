"""Command-line conveniences applied before Hydra parses the arguments:
inclusive ``key=a..b`` sweep ranges (``seed=0..4`` runs seeds 0 to 4,
rewritten to Hydra's ``range(a,b+1)``), and ``-m``/``--multirun`` accepted
anywhere (``search.py task=maze -m seed=0..4``; Hydra's parser alone rejects
overrides on both sides of the flag), and ``model=PATH`` for a trained
model's path next to ``model=NAME`` for a shipped one; unknown config
group options (``task=harvestr``) end in one line naming the known ones."""

from __future__ import annotations

import difflib
import re
from pathlib import Path

_RANGE = re.compile(r"^(?P<key>[+~]{0,2}[\w.\-/@]+)=(?P<a>-?\d+)\.\.(?P<b>-?\d+)$")


MULTIRUN_FLAGS = ("-m", "--multirun")
_MODEL = re.compile(r"^model=(?P<path>.*[/\\.].*)$")


def expand_ranges(argv: list[str]) -> list[str]:
    """``argv`` with ranges rewritten and the multirun flag moved first."""
    program, args = argv[:1], argv[1:]
    flags = [a for a in args if a in MULTIRUN_FLAGS][:1]
    out = program + flags
    for arg in args:
        if arg in MULTIRUN_FLAGS:
            continue
        model = _MODEL.match(arg)
        if model is not None:  # model=PATH (shipped names are plain words: a config group option)
            out.append(f"model_path={model['path']}")
            continue
        match = _RANGE.match(arg)
        if match is None:
            out.append(arg)
            continue
        a, b = int(match["a"]), int(match["b"])
        if b < a:
            raise SystemExit(f"error: empty range {arg!r}: write {match['key']}={b}..{a}")
        out.append(f"{match['key']}=range({a},{b + 1})")
    return out


_CHOICE = re.compile(r"^(?P<group>[a-z_]+)=(?P<values>[\w\-]+(?:,[\w\-]+)*)$")
HIDDEN_OPTIONS = ("base",)
"""Config files that are shared parts of a group, not choices (conf/model/base.yaml)."""


def check_choices(argv: list[str], conf_root: str | Path) -> None:
    """Exit with one line naming the known options when a config group is
    given an option it lacks (``task=harvestr``), before Hydra prints its
    longer message."""
    root = Path(conf_root)
    for arg in argv[1:]:
        match = _CHOICE.match(arg)
        if match is None or not (root / match["group"]).is_dir():
            continue
        group = match["group"]
        known = sorted(p.stem for p in (root / group).glob("*.yaml") if p.stem not in HIDDEN_OPTIONS)
        for value in match["values"].split(","):
            if value not in known:
                close = difflib.get_close_matches(value, known, n=1)
                hint = f" (did you mean {group}={close[0]}?)" if close else ""
                raise SystemExit(f"error: unknown {group} {value!r}{hint}; choose one of: {', '.join(known)}")
