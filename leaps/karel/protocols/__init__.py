"""Evaluation protocols, side by side behind one interface
(:class:`~leaps.karel.protocols.base.EvaluationProtocol`), one folder each:

- ``leaps`` (the default): LEAPS, NeurIPS 2021 (KAREL_SPEC.md);
- ``carvalho2024``: the LEAPS successors' protocol (KAREL_SPEC_P2.md).

This registry is the one list of protocols: a folder here whose package
defines ``PROTOCOL`` is one. Protocols are imported when first asked for.

    import leaps.karel.protocols as protocols
    protocols.names()                                   # ('leaps', 'carvalho2024')
    protocols.get("carvalho2024").evaluator("snake").evaluate(["DEF run m( move m)"]).mean_return
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache

from leaps.karel.protocols.base import EvaluationProtocol, EvaluationWorlds

DEFAULT = "leaps"

__all__ = ["DEFAULT", "EvaluationProtocol", "EvaluationWorlds", "get", "names"]


@cache
def names() -> tuple[str, ...]:
    """Every protocol, the default first."""
    found = sorted(m.name for m in pkgutil.iter_modules(__path__) if m.ispkg)
    return tuple(sorted(found, key=lambda name: name != DEFAULT))


def get(name: str) -> EvaluationProtocol:
    """The protocol called ``name``; ``ValueError`` naming the known ones."""
    if name not in names():
        raise ValueError(f"unknown protocol {name!r}; use one of {', '.join(names())}")
    return importlib.import_module(f"{__name__}.{name}").PROTOCOL
