"""What every part of the command-line trainer shares: errors, file writes, paths in messages."""

from __future__ import annotations

import errno
import os
import shlex
from pathlib import Path

from .._atomic import atomic_write
from ..training import EVALUATION_BATCH_SIZE, LM_EVALUATION_CHUNK

PROG = "minitorch"

#: Exit codes: 0 done, 1 the system failed us (disk full, no permission), 2 a usage error or an
#: unusable file (as argparse), 130 stopped by Ctrl-C (128 + SIGINT).
EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


class CLIError(Exception):
    """A situation of the user's (bad option, damaged file, full disk): one line, no traceback.

    The message says what happened and what to do; :attr:`exit_code` is what ``main`` returns.
    """

    exit_code = EXIT_USAGE


class InterruptError(CLIError):
    """Ctrl-C before training began (or during a command that trains nothing)."""

    exit_code = EXIT_INTERRUPTED


class WriteError(CLIError):
    """A file of the run could not be written; ``reason`` and ``fix`` are for the message."""

    exit_code = EXIT_FAILURE

    def __init__(self, path: Path, error: OSError, message: str | None = None) -> None:
        self.path = Path(path)
        self.error = error
        self.reason, self.fix = explain_os_error(error, self.path.parent)
        default = f"{self.reason} while writing {display_path(self.path)}; {self.fix}"
        super().__init__(message or default)


def explain_os_error(error: OSError, folder: Path) -> tuple[str, str]:
    """``(what happened, what to do)`` for an error of the file system, in a few words."""
    code = error.errno
    if code in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC), errno.EFBIG):
        return "the disk is full", "free some disk space"
    if code in (errno.EACCES, errno.EPERM):
        return "permission denied", f"make {display_path(folder)} writable"
    if code == errno.EROFS:
        return "the file system is read-only", "use a folder on a writable disk"
    if code == errno.ENAMETOOLONG:
        return "the path is too long", "use a shorter path"
    reason = error.strerror or str(error) or type(error).__name__
    return printable(reason[0].lower() + reason[1:]), "check the disk and the folder"


def write_text_atomic(path: Path, text: str, durable: bool = True) -> None:
    """Write ``text`` to ``path`` through a temporary file and a rename.

    A crash, a full disk or Ctrl-C mid-write leaves the old file or the new one, never half of
    one, and no temporary file. The file gets the usual permissions (the umask).
    """
    with atomic_write(path, text=True, durable=durable) as handle:
        handle.write(text)


def printable(text: str) -> str:
    """``text`` with the bytes of a non-UTF-8 file name shown as ``\\xe9`` (never a crash)."""
    try:
        raw = os.fsencode(text)
    except UnicodeError:
        return text.encode("utf-8", "backslashreplace").decode("ascii")
    return raw.decode("utf-8", "backslashreplace")


def shell_quote(text: str) -> str:
    """``text`` quoted for a shell command to copy, even when it is not valid UTF-8."""
    if printable(text) == text:
        return shlex.quote(text)
    try:
        raw = os.fsencode(text)
    except UnicodeError:
        return shlex.quote(printable(text))
    # bash's and zsh's $'...' quoting, with the bytes that are not printable ASCII as \xNN.
    escaped = "".join(
        chr(byte) if 32 <= byte < 127 and chr(byte) not in "\\'" else f"\\x{byte:02x}"
        for byte in raw
    )
    return f"$'{escaped}'"


def _relative(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except (ValueError, OSError):
        return str(path)


def display_path(path: Path) -> str:
    """``path`` for a message: relative to the working folder when below it, always printable."""
    return printable(_relative(Path(path)))


def shell_path(path: Path) -> str:
    """``path`` as :func:`display_path`, quoted to be pasted into a command."""
    return shell_quote(_relative(Path(path)))


#: What to lower when a command runs out of memory, by command.
_MEMORY_SETTINGS = {
    "train": "--batch-size, or the model's size (--hidden, --channels; a GPT's --n-embd, "
    "--n-layer, --block-size, --eval-batches)",
    "evaluate": "the model's size in the run's config.json (an MLP or a CNN is evaluated "
    f"{EVALUATION_BATCH_SIZE:,} samples at a time, a GPT {LM_EVALUATION_CHUNK} batches of its "
    "batch_size at a time)",
    "sample": "--tokens",
}


class RunMemoryError(MemoryError):
    """A run's batches or evaluations cannot fit in this machine's memory; the message names
    the run's own settings to lower (a command-line option, or config.json's key)."""


def lowered_settings(keys: tuple[str, ...], in_config: bool) -> str:
    """The run settings ``keys`` as the user changes them: ``--batch-size or --block-size``
    for a new run, ``batch_size or block_size in its config.json`` for a run's folder."""
    names = list(keys) if in_config else ["--" + key.replace("_", "-") for key in keys]
    text = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"
    return f"{text} in its config.json" if in_config else text


def memory_message(error: MemoryError, argv: list[str]) -> str:
    """One line for a ``MemoryError``: what ran out (minitorch's own check names the layer and
    the array) and the setting of this command to lower."""
    command = next((word for word in argv if word in _MEMORY_SETTINGS), None)
    lower = _MEMORY_SETTINGS.get(command, "the batch size or the model's size")
    reason = str(error) or "NumPy could not allocate an array"
    if isinstance(error, RunMemoryError):  # it named the run's settings to lower
        return f"out of memory: {reason}"
    if "; lower " in reason:  # minitorch's check_memory: it named the layer's own arguments
        return f"out of memory: {reason} (for this command: {lower})"
    return f"out of memory: {reason}; lower {lower}"
