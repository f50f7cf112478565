"""Reading a ``.npz`` archive nobody vouches for: every check before anything is allocated.

:func:`read_npz` is how :func:`minitorch.load` reads a file; the checkpoint format on top of
it (key paths, the manifest) is :mod:`minitorch.serialization`'s. The checks, in order: what
kind of file it is (a pickle, a PyTorch file, a bare ``.npy``, HDF5 and gzip are recognised and
named), the zip structure, every member's declared size against the bytes the archive really
holds (no overlapping members, no zip bomb), each ``.npy`` header against its member's size, no
Python objects (pickle is never used). Every member is read to its end, so its CRC-32 is
checked. Whatever is wrong raises :class:`RefusedError` with a sentence saying what; the caller
names the file.
"""

from __future__ import annotations

import ast
import contextlib
import itertools
import math
import os
import struct
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

# Limits of what load accepts. None is reached by a file minitorch.save wrote.
#: A .npy header longer than this is not one NumPy wrote (NumPy's own limit is 10,000).
MAX_HEADER_BYTES = 65_536

#: Compressed members (numpy.savez_compressed) may expand this many times their stored size
#: in total (minitorch itself writes uncompressed archives), plus a fixed allowance, so that
#: a small file cannot ask for gigabytes of memory ("zip bomb").
MAX_EXPANSION = 100
EXPANSION_ALLOWANCE = 64 * 2**20
_CHUNK = 2**20
_LOCAL_HEADER_BYTES = 30

_NPY_MAGIC = b"\x93NUMPY"
_NPY_HEADER_KEYS = {"descr", "fortran_order", "shape"}
#: File signatures of formats people mistake for checkpoints, and what to say about them.
_FOREIGN_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (
        _NPY_MAGIC,
        "is a single NumPy array (a .npy file, as numpy.save writes), not a checkpoint; read "
        "it with numpy.load, or save a dict of arrays with minitorch.save",
    ),
    (
        b"\x80\x02\x8a\x0al\xfc\x9cF\xf9 j\xa8P\x19",
        "is a PyTorch file (torch.save's legacy format, a pickle); minitorch never loads "
        "pickles, which can run code: in PyTorch, save the tensors as NumPy arrays "
        "(tensor.numpy()) with numpy.savez, and read that file",
    ),
    *(
        (
            b"\x80" + bytes([protocol]),
            "is a Python pickle (as pickle.dump or torch.save write); minitorch never loads "
            "pickles, which can run code: save arrays with minitorch.save or numpy.savez",
        )
        for protocol in range(2, 6)
    ),
    (b"\x89HDF\r\n\x1a\n", "is an HDF5 file (as h5py or Keras write), not a checkpoint"),
    (b"\x1f\x8b", "is gzip-compressed, not a checkpoint; decompress it first"),
)
_ZIP_SIGNATURES = (b"PK\x03\x04", b"PK\x05\x06")
_TORCH_ZIP_MESSAGE = (
    "is a PyTorch file (torch.save writes a zip of pickles); minitorch never loads pickles, "
    "which can run code: in PyTorch, save the tensors as NumPy arrays (tensor.numpy()) with "
    "numpy.savez, and read that file"
)


class RefusedError(Exception):
    """What is wrong with the file, in a sentence without its name (``minitorch.load`` turns it
    into a :class:`~minitorch.serialization.CheckpointFileError` naming the file)."""


def read_npz(
    path: Path, index_member: str, read_index: Callable[[zipfile.ZipFile, zipfile.ZipInfo], Any]
) -> tuple[Any, dict[str, np.ndarray]]:
    """The arrays of the archive at ``path``, every check passed, and its index member.

    Every member is a ``.npy`` array except ``index_member`` (minitorch's manifest), which,
    where the archive has one, ``read_index(archive, info)`` reads, in its place among the
    members. Returns ``(what read_index returned or None, {member name: array})``; raises
    :class:`RefusedError` saying what is wrong.
    """
    with open(path, "rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        head = handle.read(16)
        _check_signature(head, size)
        try:
            archive = zipfile.ZipFile(handle)
        except MemoryError:
            raise
        except Exception as error:
            detail = error_reason(error)
            detail = "" if detail == "File is not a zip file" else f" ({detail})"
            raise RefusedError(
                "is truncated or damaged: it starts like a zip archive (.npz), but the table of "
                f"contents at its end cannot be read{detail} (an incomplete copy or download, or "
                "a write that was stopped)"
            ) from None
        with archive:
            infos = archive.infolist()
            _check_members(infos, size, index_member)
            index = None
            arrays: dict[str, np.ndarray] = {}
            for info in infos:
                if info.filename == index_member:
                    index = read_index(archive, info)
                else:
                    arrays[info.filename] = _read_npy(archive, info)
    return index, arrays


def error_reason(error: BaseException) -> str:
    text = str(error).strip().rstrip(".")
    return text or type(error).__name__


def _check_signature(head: bytes, size: int) -> None:
    if size == 0:
        raise RefusedError(
            "is empty (0 bytes): it is not a checkpoint, or the program writing it stopped "
            "before writing anything"
        )
    if head.startswith(_ZIP_SIGNATURES):
        return
    for signature, problem in _FOREIGN_SIGNATURES:
        if head.startswith(signature):
            raise RefusedError(problem)
    if head.startswith(b"PK"):
        raise RefusedError("is a damaged zip archive: it does not start with a zip member")
    raise RefusedError(
        "is not a checkpoint: a checkpoint is a zip archive of NumPy arrays (.npz, as "
        "minitorch.save and numpy.savez write), and this file does not start like one"
    )


def _check_members(infos: list[zipfile.ZipInfo], size: int, index_member: str) -> None:
    """The archive's table of contents, checked against itself and against the file's size."""
    names = [info.filename for info in infos]
    if any(name.endswith("data.pkl") or name.endswith(".pkl") for name in names):
        raise RefusedError(_TORCH_ZIP_MESSAGE)
    foreign = [name for name in names if name != index_member and not name.endswith(".npy")]
    if foreign:
        shown = ", ".join(repr(name) for name in foreign[:3])
        more = f" and {len(foreign) - 3} more" if len(foreign) > 3 else ""
        if len(foreign) == len(names):
            problem = f"it holds no NumPy arrays, only {shown}{more}"
        else:
            problem = (
                f"{shown}{more} in it {'is' if len(foreign) == 1 else 'are'} not a NumPy array"
            )
        raise RefusedError(f"is a zip archive but not a checkpoint: {problem} (.npy)")
    seen = set()
    for name in names:
        if name in seen:
            raise RefusedError(f"is damaged or crafted: it holds two members named {name!r}")
        seen.add(name)

    expanded = 0
    stored = 0
    spans = []
    for info in infos:
        name = info.filename
        if info.flag_bits & 0x1:
            raise RefusedError(
                f"is encrypted (member {name!r}); minitorch reads unencrypted archives only"
            )
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise RefusedError(
                f"uses a compression method (number {info.compress_type}) for {name!r} that "
                "minitorch does not read; re-save it with numpy.savez or minitorch.save"
            )
        if info.compress_type == zipfile.ZIP_STORED and info.compress_size != info.file_size:
            raise RefusedError(
                f"is damaged: member {name!r} is stored uncompressed, yet its sizes differ "
                f"({info.compress_size:,} and {info.file_size:,} bytes)"
            )
        start = info.header_offset
        end = start + _LOCAL_HEADER_BYTES + len(info.orig_filename) + info.compress_size
        if start < 0 or end > size:
            raise RefusedError(
                f"is truncated or damaged: member {name!r} claims {info.compress_size:,} "
                f"bytes at offset {start:,}, beyond the end of the file ({size:,} bytes)"
            )
        spans.append((start, end, name))
        expanded += info.file_size
        stored += info.compress_size
    spans.sort()
    for (_, end, name), (start, _, other) in itertools.pairwise(spans):
        if start < end:
            raise RefusedError(
                f"is damaged or crafted: members {name!r} and {other!r} overlap in the file"
            )
    if expanded > max(MAX_EXPANSION * stored, stored + EXPANSION_ALLOWANCE):
        raise RefusedError(
            f"would expand from {stored:,} to {expanded:,} bytes (more than {MAX_EXPANSION} "
            "times): refused as a possible zip bomb. minitorch writes checkpoints "
            "uncompressed; if you trust this file, read it with numpy.load"
        )


@contextlib.contextmanager
def opened(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> Iterator[Any]:
    """``archive.open(info)``, whose errors (a bad header, ...) become refusals."""
    try:
        stream = archive.open(info)
    except MemoryError:
        raise
    except Exception as error:
        raise _damaged_member(info, error) from None
    with stream:
        yield stream


#: zipfile's words for a damaged member -> ours.
_MEMBER_DAMAGE = (
    ("CRC", "its CRC-32 checksum does not match its data: the file was changed or corrupted"),
    ("differ", "its own header does not match the archive's table of contents"),
    ("magic number", "its header is damaged"),
    ("decompressing", "its compressed data is damaged"),
    ("Truncated", "the file ends inside it"),
)


def _damaged_member(info: zipfile.ZipInfo, error: BaseException) -> RefusedError:
    reason = error_reason(error)
    reason = next((ours for words, ours in _MEMBER_DAMAGE if words in reason), reason)
    return RefusedError(f"is damaged: member {info.filename!r} cannot be read ({reason})")


def read_exactly(stream: Any, count: int, info: zipfile.ZipInfo, into: Any = None) -> Any:
    """Read ``count`` bytes (into ``into``, a writable buffer, if given), else refuse."""
    buffer = memoryview(into if into is not None else bytearray(count)).cast("B")
    done = 0
    try:
        while done < count:
            got = stream.readinto(buffer[done : done + min(_CHUNK, count - done)])
            if not got:
                raise EOFError("the member ends early")
            done += got
    except (RefusedError, MemoryError):
        raise
    except Exception as error:
        raise _damaged_member(info, error) from None
    return buffer.obj if into is None else into


def _read_npy(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> np.ndarray:
    """One ``.npy`` member, its header checked against its size before any allocation."""
    name = info.filename
    with opened(archive, info) as stream:
        preamble = bytes(read_exactly(stream, min(10, info.file_size), info))
        if len(preamble) < 10 or not preamble.startswith(_NPY_MAGIC):
            raise RefusedError(f"is damaged: member {name!r} is not a NumPy array (.npy)")
        major = preamble[6]
        if major == 1:
            header_length, offset = struct.unpack("<H", preamble[8:10])[0], 10
        elif major in (2, 3):
            rest = bytes(read_exactly(stream, min(2, info.file_size - 10), info))
            if len(rest) < 2:
                raise RefusedError(f"is damaged: member {name!r} has a truncated .npy header")
            header_length, offset = struct.unpack("<I", preamble[8:10] + rest)[0], 12
        else:
            raise RefusedError(
                f"is damaged or from a newer NumPy: member {name!r} has .npy format version "
                f"{major}.{preamble[7]}"
            )
        if header_length > MAX_HEADER_BYTES or offset + header_length > info.file_size:
            raise RefusedError(
                f"is damaged: member {name!r} declares a .npy header of {header_length:,} "
                f"bytes, but holds {info.file_size:,} bytes in all"
            )
        raw_header = bytes(read_exactly(stream, header_length, info))
        dtype, shape, fortran = _parse_npy_header(raw_header, major, name)
        declared = math.prod(shape) * dtype.itemsize
        available = info.file_size - offset - header_length
        if declared != available:
            raise RefusedError(
                f"is damaged or crafted: member {name!r} declares an array of shape {shape} "
                f"and dtype {dtype} ({declared:,} bytes), but holds {available:,} bytes of data"
            )
        data = np.empty(declared, dtype=np.uint8)  # the real size, checked just above
        read_exactly(stream, declared, info, into=data)
        if _read_exactly_rest(stream, info):
            raise RefusedError(f"is damaged: member {name!r} holds more data than its header says")
    order = "F" if fortran else "C"
    try:
        if declared == 0:
            return np.empty(shape, dtype=dtype, order=order)
        return np.ndarray(shape, dtype=dtype, buffer=data, order=order)
    except (ValueError, TypeError) as error:
        raise RefusedError(
            f"is damaged: member {name!r} cannot be an array ({error_reason(error)})"
        ) from None


def _read_exactly_rest(stream: Any, info: zipfile.ZipInfo) -> bool:
    """Read past the end, so the CRC-32 is checked; ``True`` if anything was left."""
    try:
        return bool(stream.read(1))
    except Exception as error:
        raise _damaged_member(info, error) from None


def _parse_npy_header(raw: bytes, major: int, name: str) -> tuple[np.dtype, tuple, bool]:
    try:
        text = raw.decode("utf-8" if major == 3 else "latin1")
        header = ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        raise RefusedError(f"is damaged: member {name!r} has an unreadable .npy header") from None
    if not isinstance(header, dict) or set(header) != _NPY_HEADER_KEYS:
        raise RefusedError(f"is damaged: member {name!r} has a .npy header without its fields")
    shape, fortran = header["shape"], header["fortran_order"]
    if (
        not isinstance(shape, tuple)
        or len(shape) > 64
        or not all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in shape)
        or not isinstance(fortran, bool)
    ):
        raise RefusedError(
            f"is damaged: member {name!r} has a .npy header with an impossible shape {shape!r}"
        )
    try:
        dtype = np.lib.format.descr_to_dtype(header["descr"])
    except Exception:
        raise RefusedError(
            f"is damaged: member {name!r} has an unknown dtype {header['descr']!r}"
        ) from None
    if dtype.hasobject:
        raise RefusedError(
            f"holds Python objects in member {name!r}, which only pickle can read; minitorch "
            "never unpickles (allow_pickle=False), since that can run code"
        )
    return dtype, shape, fortran
