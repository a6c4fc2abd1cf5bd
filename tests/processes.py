"""Child processes that a test interrupts as a user would."""

from __future__ import annotations

import signal
import subprocess


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def start(cmd: list[str], **kwargs) -> subprocess.Popen:
    """Popen with piped text output and SIGINT at its default: a test runner started in the background of a
    non-interactive shell ignores SIGINT, its children inherit that, and Python then never turns Ctrl-C into
    KeyboardInterrupt (the interrupted run would go on and end with 0). A user's terminal never ignores it."""
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=_default_sigint, **kwargs)
