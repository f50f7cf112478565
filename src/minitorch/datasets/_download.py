"""Fetch one file over HTTP(S), check its MD5, and write it atomically: the whole file or nothing.

:func:`fetch` is what ``MNIST(root, download=True)`` uses. It streams the response to a temporary
file beside the target (:func:`minitorch._atomic.atomic_write`) while it counts the bytes and
computes the MD5, and renames the file into place only when the byte count matches the
``Content-Length`` the server announced and the MD5 matches the published one. On any failure
(no network, an HTTP error, a connection cut short, a wrong checksum, Ctrl-C) the temporary file
is removed and nothing is left under the target's name.

Only the standard library is used (``urllib``); it, and the atomic writer, are imported when a
download starts, so that ``import minitorch`` stays cheap.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Sequence
from pathlib import Path

__all__ = ["DownloadError", "fetch"]

#: Bytes read from the network at a time.
CHUNK_BYTES = 1 << 20

#: How long to wait for a server before giving up on it, in seconds.
TIMEOUT_SECONDS = 30.0

#: A whole download may take ``DEADLINE_SLACK_SECONDS + max_bytes / MIN_BYTES_PER_SECOND``
#: seconds: a mirror that trickles (a byte a second, each read within ``timeout``) is given up
#: as a whole, not read forever.
MIN_BYTES_PER_SECOND = 20_000
DEADLINE_SLACK_SECONDS = 60.0


class DownloadError(OSError):
    """A file could not be downloaded from any mirror (the message says why, for each)."""


class _AttemptFailedError(Exception):
    """One attempt failed; the message says why."""


def fetch(
    urls: Sequence[str],
    target: str | Path,
    md5: str,
    *,
    max_bytes: int,
    timeout: float = TIMEOUT_SECONDS,
) -> str:
    """Download the first of ``urls`` that gives the right file, to ``target``.

    Parameters
    ----------
    urls : sequence of str
        Where the file may be found, tried in order (``http://`` or ``https://``).
    target : str or Path
        Where to write it; its folder must exist.
    md5 : str
        The published MD5 of the file (hex).
    max_bytes : int
        Refuse a response larger than this (announced or received), so a wrong URL cannot
        fill the disk.
    timeout : float
        Seconds to wait for a server to answer or send more data.

    The whole download is bounded in time too: a mirror still sending after
    ``DEADLINE_SLACK_SECONDS + max_bytes / MIN_BYTES_PER_SECOND`` seconds is given up (and
    the next one tried), however often it sends a byte.

    Returns
    -------
    str
        The URL the file came from.

    Raises
    ------
    DownloadError
        If no URL gave the file; the message names each URL and what went wrong there.
    """
    import http.client
    import urllib.error
    import urllib.request

    failures = []
    for url in urls:
        try:
            if not url.startswith(("http://", "https://")):
                raise _AttemptFailedError("not an http:// or https:// address")
            request = urllib.request.Request(url, headers={"User-Agent": "minitorch"})
            with urllib.request.urlopen(request, timeout=timeout) as response:
                _save(response, Path(target), md5, max_bytes, _deadline(max_bytes))
            return url
        except urllib.error.HTTPError as error:
            failures.append(f"{url}: HTTP {error.code} {error.reason}")
        except urllib.error.URLError as error:
            failures.append(f"{url}: {error.reason}")
        except (_AttemptFailedError, OSError, http.client.HTTPException) as error:
            failures.append(f"{url}: {error or type(error).__name__}")
    raise DownloadError("; ".join(failures) if failures else "no address to download from")


def _deadline(max_bytes: int) -> float:
    """When (``time.monotonic()``) a download of at most ``max_bytes`` must have finished."""
    return time.monotonic() + DEADLINE_SLACK_SECONDS + max_bytes / MIN_BYTES_PER_SECOND


def _save(response, target: Path, md5: str, max_bytes: int, deadline: float) -> None:
    """Stream ``response`` into ``target`` atomically, checking its length and MD5 on the way,
    and giving up at ``deadline``."""
    from .._atomic import atomic_write  # minitorch's one way to write a file

    started = time.monotonic()
    # read1 returns what has arrived (up to a chunk), so the deadline is checked while a slow
    # mirror trickles; read(n) would wait for n bytes, each byte restarting the socket timeout.
    read = getattr(response, "read1", response.read)

    announced = response.headers.get("Content-Length")
    length = int(announced) if announced is not None and announced.strip().isdigit() else None
    if length is not None and length > max_bytes:
        raise _AttemptFailedError(
            f"the server announces {length:,} bytes, more than the {max_bytes:,} expected"
        )
    digest = hashlib.md5(usedforsecurity=False)
    received = 0
    # Any exception inside the block removes the temporary file; the target is only ever
    # replaced by a complete, verified file.
    with atomic_write(target) as out:
        while chunk := read(CHUNK_BYTES):
            if time.monotonic() > deadline:
                seconds = time.monotonic() - started
                raise _AttemptFailedError(
                    f"the download took more than {seconds:.0f} s in all ({received:,} bytes "
                    f"arrived, {received / max(seconds, 1e-9):,.0f} bytes/s; nothing was saved); "
                    "the mirror is too slow: try again later"
                )
            received += len(chunk)
            if received > max_bytes:
                raise _AttemptFailedError(
                    f"the server sent more than the {max_bytes:,} bytes expected"
                )
            digest.update(chunk)
            out.write(chunk)
        if length is not None and received != length:
            raise _AttemptFailedError(
                f"the download was cut short: {received:,} of the {length:,} bytes announced "
                "arrived (nothing was saved)"
            )
        if digest.hexdigest() != md5.lower():
            raise _AttemptFailedError(
                f"the file's MD5 is {digest.hexdigest()}, not the published {md5} (a damaged or "
                "different file; nothing was saved)"
            )
