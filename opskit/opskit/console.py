"""The rich console of the `entitle` commands."""

from __future__ import annotations

import sys

from rich.console import Console


def make_console() -> Console:
    """On a terminal, rich fits the window. Piped or captured output (scripts, CI, tests) gets a
    fixed wide width instead of rich's 80 columns, so ids and messages are never cut or wrapped."""
    return Console() if sys.stdout.isatty() else Console(width=200)
