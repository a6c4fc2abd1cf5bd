"""The LEAPS protocol's task API under its first name, kept for the imports
in the README and in user code: everything here is
:mod:`leaps.karel.protocols.leaps` (its names, less ``PROTOCOL``)."""

from leaps.karel.protocols import leaps as _leaps
from leaps.karel.protocols.leaps import *  # noqa: F403

__all__ = [name for name in _leaps.__all__ if name != "PROTOCOL"]
