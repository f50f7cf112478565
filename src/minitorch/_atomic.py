"""Writing a file so that a reader finds the old file or the new one, never half of one.

:func:`atomic_write` is the one way minitorch writes a file (checkpoints, and the command-line
trainer's ``config.json``, ``metrics.csv`` and ``curves.png``):

* the data goes to a temporary file beside the target, which is flushed to disk and then
  renamed over the target, so a crash, a full disk or Ctrl-C mid-write leaves the old file;
* whatever goes wrong (any exception, ``KeyboardInterrupt`` included) the temporary file is
  removed, and temporary files left by a process that was killed outright (``kill -9``, a
  power cut) are removed by the next successful write to the same folder (whichever file it
  writes: a run that saved ``epoch-3.npz`` when it was killed leaves nothing once the next
  one saves ``epoch-1.npz``);
* the new file gets the permissions any other new file gets (``0o666`` less the umask), or,
  when it replaces a file, that file's permissions, as writing into the file would keep them.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import stat
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

#: A temporary file older than this whose process is gone is left over from a crash.
STALE_AFTER_SECONDS = 60.0

_TEMPORARY = re.compile(r"\..+\.(?P<pid>\d+)-[0-9a-f]{16}\.tmp")


def _temporary_path(target: Path) -> Path:
    """``.<name>.<pid>-<random>.tmp`` beside ``target`` (hidden, and recognisably ours)."""
    return target.with_name(f".{target.name}.{os.getpid()}-{secrets.token_hex(8)}.tmp")


@contextlib.contextmanager
def atomic_write(
    path: str | os.PathLike, *, text: bool = False, durable: bool = True
) -> Iterator[IO[Any]]:
    """Open a temporary file for writing; on success, move it to ``path`` in one step.

    Parameters
    ----------
    path : str or PathLike
        The file to write. Its folder must exist. A symbolic link is followed: the file it
        points to is replaced, and the link kept.
    text : bool
        Yield a UTF-8 text handle (newlines written as given) instead of a binary one.
    durable : bool
        Flush the data to the disk (``fsync``) before the rename, so that even a power cut
        leaves the old file or the complete new one. Files that can be made again from others
        (the trainer's metrics and plot) skip it: an ``fsync`` can take tens of milliseconds.

    Raises
    ------
    OSError
        If the file cannot be written (permission denied, disk full, ...). The old file, if
        any, is left as it was, and no temporary file remains.
    """
    target = Path(path)
    if target.is_symlink():
        target = Path(os.path.realpath(target))
    # os.open applies the umask to 0o666, as open() does (mkstemp would give 0o600).
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    temporary: Path | None = None
    descriptor: int | None = None
    handle: IO[Any] | None = None
    try:
        while descriptor is None:
            temporary = _temporary_path(target)
            try:
                descriptor = os.open(temporary, flags, 0o666)
            except FileExistsError:
                temporary = None  # someone else's file by that random name: never remove it
        if text:
            handle = os.fdopen(descriptor, "w", encoding="utf-8", newline="")
        else:
            handle = os.fdopen(descriptor, "wb")
        _keep_permissions_of(target, handle.fileno())
        yield handle
        handle.flush()
        if durable:
            os.fsync(handle.fileno())
        handle.close()
        os.replace(temporary, target)
    except BaseException:
        # Whatever stopped the write (an error, a full disk, Ctrl-C): the old file stays, and
        # the temporary file goes, even if Ctrl-C came the moment it was created.
        with contextlib.suppress(OSError, ValueError):
            if handle is not None:
                handle.close()
            elif descriptor is not None:
                os.close(descriptor)
        if temporary is not None:
            with contextlib.suppress(OSError):
                temporary.unlink()
        raise
    remove_stale_temporaries(target)


def _keep_permissions_of(target: Path, descriptor: int) -> None:
    """Give the new file the permission bits of the file it replaces, if there is one."""
    try:
        mode = os.stat(target).st_mode
    except OSError:
        return
    if stat.S_ISREG(mode) and hasattr(os, "fchmod"):
        with contextlib.suppress(OSError):
            os.fchmod(descriptor, stat.S_IMODE(mode) & 0o777)


def remove_stale_temporaries(target: str | os.PathLike) -> list[Path]:
    """Remove the temporary files in ``target``'s folder left by processes that no longer run
    (those of any file :func:`atomic_write` wrote there, not only ``target``'s).

    A temporary file is stale when the process that made it (its name says which) has ended
    and the file has not been written to for :data:`STALE_AFTER_SECONDS`; a write in progress
    is never touched. Returns the files removed. Only POSIX systems can tell whether a process
    runs; elsewhere nothing is removed.
    """
    target = Path(target)
    if os.name != "posix":
        return []
    removed = []
    try:
        entries = list(os.scandir(target.parent))
    except OSError:
        return []
    now = time.time()
    for entry in entries:
        match = _TEMPORARY.fullmatch(entry.name)
        if match is None:
            continue
        pid = int(match["pid"])
        try:
            if pid == os.getpid() or _process_runs(pid):
                continue
            if now - entry.stat(follow_symlinks=False).st_mtime < STALE_AFTER_SECONDS:
                continue
            os.unlink(entry.path)
        except OSError:
            continue
        removed.append(Path(entry.path))
    return removed


def _process_runs(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, ValueError):
        return True  # another user's process (or a number we cannot ask about): keep the file
    return True
