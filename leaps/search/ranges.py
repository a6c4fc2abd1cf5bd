"""Command-line conveniences applied before Hydra parses the arguments:
inclusive ``key=a..b`` sweep ranges (``seed=0..4`` runs seeds 0 to 4,
rewritten to Hydra's ``range(a,b+1)``), and ``-m``/``--multirun`` accepted
anywhere (``search.py task=maze -m seed=0..4``; Hydra's parser alone rejects
overrides on both sides of the flag), and ``model=PATH`` for a trained
model's path next to ``model=NAME`` for a shipped one."""

from __future__ import annotations

import re

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
