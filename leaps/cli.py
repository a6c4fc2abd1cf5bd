"""Command-line helpers shared by the entry points (``search.py`` /
``python -m leaps.search``, ``train.py`` / ``python -m leaps.train``,
``python -m leaps.data.generate``), applied to the arguments before Hydra
parses them:

- inclusive ``key=a..b`` sweep ranges (``seed=0..4`` runs seeds 0 to 4,
  rewritten to Hydra's ``range(a,b+1)``), and ``-m``/``--multirun`` anywhere
  (Hydra's parser alone rejects overrides on both sides of the flag);
- short spellings rewritten to the config key they stand for
  (``search.py model=PATH``);
- one line naming the known options for an unknown config group option
  (``task=harvestr``), and for a key an entry point refuses (a renamed key,
  another entry point's setting), before Hydra's longer messages.

Nothing here imports the library's layers; entry points pass in what is
theirs (their config name, keys, aliases).
"""

from __future__ import annotations

import difflib
import re
import signal
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from leaps import config_dir

MULTIRUN_FLAGS = ("-m", "--multirun")
HIDDEN_OPTIONS = ("base",)
"""Config files that are shared parts of a group, not choices (conf/model/base.yaml)."""

_RANGE = re.compile(r"^(?P<key>[+~]{0,2}[\w.\-/@]+)=(?P<a>-?\d+)\.\.(?P<b>-?\d+)$")
_CHOICE = re.compile(r"^(?P<group>[a-z_]+)=(?P<values>[\w\-]+(?:,[\w\-]+)*)$")
_KEY = re.compile(r"^[+~]{0,2}(?P<key>[\w.\-/@]+)(=|$)")


def expand_ranges(argv: list[str]) -> list[str]:
    """``argv`` with ranges rewritten and the multirun flag moved first."""
    program, args = argv[:1], argv[1:]
    flags = [a for a in args if a in MULTIRUN_FLAGS][:1]
    out = program + flags
    for arg in args:
        if arg in MULTIRUN_FLAGS:
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


def override_key(arg: str) -> str | None:
    """The config key an override sets (``+``/``++``/``~`` stripped); None for flags."""
    match = _KEY.match(arg)
    return None if match is None or arg.startswith("-") else match["key"]


def rewrite_aliases(argv: list[str], aliases: Mapping[str, str]) -> list[str]:
    """``key=value`` -> ``aliases[key]=value`` (e.g. ``model=PATH`` -> ``++space.model=PATH``)."""
    out = argv[:1]
    for arg in argv[1:]:
        key, _, value = arg.partition("=")
        out.append(f"{aliases[key]}={value}" if key in aliases and "=" in arg else arg)
    return out


def refuse_keys(argv: list[str], refused: Mapping[str, str]) -> None:
    """Exit with ``refused[k]`` in one line when an override sets key ``k``
    or one below it (``k.sub``)."""
    for arg in argv[1:]:
        key = override_key(arg)
        if key is None:
            continue
        for prefix, message in refused.items():
            if key == prefix or key.startswith(prefix + "."):
                raise SystemExit(f"error: {key}: {message}")


def check_choices(argv: list[str], conf_root: str | Path) -> None:
    """Exit with one line naming the known options when a config group is
    given an option it lacks (``task=harvestr``)."""
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


def run_hydra_app(task_function: Callable[[Any], None], config_name: str,
                  prepare: Callable[[list[str]], list[str]] | None = None) -> None:
    """Run ``task_function`` as a Hydra app on ``config_name`` from the
    package's configs (:func:`leaps.config_dir`), whatever the working
    directory: ranges and ``-m`` first, then the entry point's own
    ``prepare`` (aliases, refused keys), then unknown options."""
    import hydra

    argv = expand_ranges(sys.argv)
    if prepare is not None:
        argv = prepare(argv)
    conf = config_dir()
    check_choices(argv, conf)
    sys.argv = argv
    hydra.main(config_path=str(conf), config_name=config_name, version_base="1.3")(task_function)()


def run_job(job: Callable[[], Any], errors: tuple[type[BaseException], ...], interrupted: str) -> Any:
    """``job()`` with SIGTERM raised as Ctrl-C is (a cluster's stop), an
    expected error ending the process in one line (exit 1) and an
    interruption in the ``interrupted`` hint (exit 130): the job itself
    saves what resuming needs."""
    from omegaconf.errors import OmegaConfBaseException

    def stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        return job()
    except (*errors, OmegaConfBaseException) as err:
        sys.exit(f"error: {err}")
    except KeyboardInterrupt:
        print(f"interrupted: {interrupted}", file=sys.stderr)
        sys.exit(130)
    finally:
        signal.signal(signal.SIGTERM, previous)
