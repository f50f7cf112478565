"""What every part of the command-line trainer shares: the error type and atomic file writes."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

PROG = "minitorch"

#: Exit codes: 0 done, 2 a usage error (as argparse), 130 stopped by Ctrl-C (128 + SIGINT).
EXIT_OK = 0
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


class CLIError(Exception):
    """A mistake of the user's (bad option, missing run folder): shown as one line, no traceback."""


def write_text_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file and a rename.

    A crash or Ctrl-C mid-write leaves the old file or the new one, never half of one.
    """
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise


def display_path(path: Path) -> str:
    """``path`` relative to the working folder when it lies below it (shorter to read and type)."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)
