"""Checkpoints as ``.npz`` archives: no pickle, ever, and no file taken on trust.

``save`` takes a (possibly nested) dict of arrays, numbers and strings, such as
``{"model": model.state_dict(), "optimizer": optimizer.state_dict(), "epoch": 3}``, and
``load`` gives it back: every key, whatever its name, and every array with its dtype and shape.

The file is a zip archive that NumPy reads too: one ``.npy`` member per array, named by its
key path (``np.load(path)["model/0.W"]``), and a member ``minitorch.json`` that maps each
member back to its exact key path (keys may hold ``/``, ``%`` or any other character; empty
dicts are kept). Files written by earlier versions, and plain ``numpy.savez`` archives, have no
such member; their member names are split at ``/``.

``save`` writes through a temporary file and a rename (:func:`minitorch._atomic.atomic_write`):
a crash mid-write leaves the old file, and no temporary file.

``load`` treats the file as untrusted. Every check happens in :func:`_read_archive`, before
anything is allocated: what kind of file it is, the zip structure, every member's declared
size against the bytes the archive really holds, each ``.npy`` header against its member's
size, no Python objects (pickle is never used). Every member is read to its end, so its
CRC-32 is checked. Whatever is wrong, ``load`` raises one :class:`CheckpointFileError` (a
``ValueError``) that names the file and the problem.
"""

from __future__ import annotations

import ast
import contextlib
import itertools
import json
import math
import os
import struct
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from ._atomic import atomic_write

__all__ = ["CheckpointFileError", "load", "save"]

SEPARATOR = "/"
MANIFEST = "minitorch.json"
MANIFEST_FORMAT = "minitorch-state"
MANIFEST_VERSION = 2

#: PyTorch's suffixes for its pickle-based files; a minitorch checkpoint is not one.
TORCH_SUFFIXES = (".pt", ".pth")

# Limits of what load accepts. None is reached by a file minitorch.save wrote.
#: A .npy header longer than this is not one NumPy wrote (NumPy's own limit is 10,000).
MAX_HEADER_BYTES = 65_536
#: The manifest of a checkpoint with a million keys is well below this.
MAX_MANIFEST_BYTES = 256 * 2**20
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


class CheckpointFileError(ValueError):
    """A file :func:`load` refuses: damaged, truncated, of another kind, or crafted to deceive.

    Attributes
    ----------
    path : Path
        The file.
    problem : str
        What is wrong with it, in a sentence (without the file's name).
    """

    def __init__(self, path: Path, problem: str) -> None:
        self.path = Path(path)
        self.problem = problem
        super().__init__(f"minitorch.load: {_shown(self.path)} {problem}")


class _RefusedError(Exception):
    """Internal: raised by the checks, turned into a CheckpointFileError naming the file."""


def _shown(path: Path) -> str:
    """The path quoted for a message, printable even if it is not valid UTF-8."""
    return repr(os.fsencode(path).decode("utf-8", "backslashreplace"))


# ====================================================================== save
def _escape(key: str) -> str:
    """A key as one segment of a member name: letters, digits, ``_ - .``, the rest as ``%XX``.

    Injective, so that no two keys share a member; ``""``, ``.`` and ``..`` are escaped too,
    so no member name looks like a path that leaves the archive.
    """
    safe = set(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.")
    raw = key.encode("utf-8", "surrogatepass")
    if raw in (b"", b".", b".."):
        return "%" + "".join(f"%{byte:02X}" for byte in raw) if raw else "%"
    return "".join(chr(byte) if byte in safe else f"%{byte:02X}" for byte in raw)


def _member_name(key_path: tuple[str, ...], index: int) -> str:
    name = SEPARATOR.join(_escape(key) for key in key_path) + ".npy"
    # '%%' never occurs in an escaped name, so these cannot collide with one.
    return name if len(name) <= 240 else f"%%{index}.npy"


def _leaf_array(value: Any, name: str) -> np.ndarray:
    """``value`` as an array that NumPy can store without pickle, or a TypeError saying why."""
    where = f"minitorch.save: {name!r}"
    if value is None:
        raise TypeError(f"{where} is None, which a checkpoint cannot hold without pickle")
    if isinstance(value, int) and not isinstance(value, bool) and not -(2**63) <= value < 2**64:
        raise TypeError(f"{where} is the integer {value}, too large for 64 bits")
    try:
        array = np.asarray(value)
    except (ValueError, TypeError) as error:  # a ragged list, for one
        raise TypeError(
            f"{where} cannot be stored as an array ({error}); lists must be rectangular "
            "and hold numbers or strings"
        ) from None
    if array.dtype.hasobject:
        raise TypeError(
            f"{where} holds Python objects ({type(value).__name__}); only arrays, numbers, "
            "strings and lists of them can be saved without pickle"
        )
    if isinstance(value, (list, tuple)) and array.dtype.kind in "US":
        kinds = {isinstance(item, (str, bytes, np.str_, np.bytes_)) for item in _items(value)}
        if kinds != {True}:
            raise TypeError(
                f"{where} mixes strings and numbers in one list; NumPy would turn the numbers "
                "into strings. Store them under separate keys"
            )
    return array


def _items(value: Any) -> Iterator[Any]:
    for item in value:
        if isinstance(item, (list, tuple)):
            yield from _items(item)
        else:
            yield item


def _flatten(tree: dict, prefix: tuple[str, ...], out: list) -> None:
    """Append ``(key_path, array)`` for every leaf, ``(key_path, None)`` for every empty dict."""
    for key, value in tree.items():
        if not isinstance(key, str):
            raise TypeError(
                f"minitorch.save: keys must be strings, got {key!r} ({type(key).__name__}) in "
                f"{SEPARATOR.join(prefix) or 'the top-level dict'}; convert it with str()"
            )
        key_path = (*prefix, str(key))
        if isinstance(value, dict):
            if value:
                _flatten(value, key_path, out)
            else:
                out.append((key_path, None))
            continue
        out.append((key_path, _leaf_array(value, SEPARATOR.join(key_path))))


def _target_path(path: str | os.PathLike) -> Path:
    if isinstance(path, bytes):
        path = os.fsdecode(path)
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(
            f"minitorch.save: path must be a str or a pathlib.Path, got {type(path).__name__}"
        )
    target = Path(path)
    stem = target
    if stem.suffix.lower() == ".tar":  # the old PyTorch habit checkpoint.pth.tar
        stem = stem.with_suffix("")
    if stem.suffix.lower() in TORCH_SUFFIXES:
        stem = stem.with_suffix("")
        raise ValueError(
            f"minitorch.save: {_shown(target)} has PyTorch's suffix, but a minitorch "
            "checkpoint is a NumPy .npz archive (no pickle), which torch.load cannot read; "
            f"save it as {_shown(stem.with_name(stem.name + '.npz'))}"
        )
    return target


def save(obj: dict[str, Any], path: str | os.PathLike) -> Path:
    """Save a dict (nested dicts allowed) of arrays, numbers and strings to ``path``.

    The file is written exactly at ``path`` (no suffix is added; ``.npz`` is the usual one, and
    PyTorch's ``.pt`` / ``.pth`` are refused, since the file is not a PyTorch file). Its folder
    is created if needed. The write is atomic: a temporary file, then a rename, so a crash
    leaves the old file intact and no temporary file behind.

    Parameters
    ----------
    obj : dict
        String keys (any characters); values are arrays, Python or NumPy numbers, strings,
        (rectangular) lists of them, or dicts of the same.
    path : str or Path

    Returns
    -------
    Path
        The file written (``path``).

    Raises
    ------
    TypeError
        For a value that cannot be stored without pickle (``None``, an arbitrary object, a
        ragged list), or a key that is not a string.
    OSError
        If the file cannot be written; the old file, if any, is then unchanged.
    """
    if not isinstance(obj, dict):
        raise TypeError(
            f"minitorch.save expects a dict such as model.state_dict(), got {type(obj).__name__}"
        )
    target = _target_path(path)
    leaves: list[tuple[tuple[str, ...], np.ndarray | None]] = []
    _flatten(obj, (), leaves)
    entries = []
    members = []
    for index, (key_path, array) in enumerate(leaves):
        member = None if array is None else _member_name(key_path, index)
        entries.append([list(key_path), member])
        if array is not None:
            members.append((member, array))
    manifest = {"format": MANIFEST_FORMAT, "version": MANIFEST_VERSION, "entries": entries}

    target.parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(target) as handle:
        _write_archive(handle, manifest, members)
    return target


def _fixed_info(name: str) -> zipfile.ZipInfo:
    # A fixed time stamp: the same state gives the same bytes.
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_STORED
    info.external_attr = 0o644 << 16
    return info


def _write_archive(handle: Any, manifest: dict, members: list[tuple[str, np.ndarray]]) -> None:
    """The archive: the manifest first, then one ``.npy`` member per array."""
    text = json.dumps(manifest, ensure_ascii=True, separators=(",", ":"))
    with zipfile.ZipFile(handle, "w", zipfile.ZIP_STORED, allowZip64=True) as archive:
        archive.writestr(_fixed_info(MANIFEST), text)
        for member, array in members:
            with archive.open(_fixed_info(member), "w", force_zip64=True) as stream:
                np.lib.format.write_array(stream, array, allow_pickle=False)


# ====================================================================== load
def load(path: str | os.PathLike) -> dict[str, Any]:
    """Load what :func:`save` wrote (or any ``numpy.savez`` archive of arrays).

    Zero-dimensional numbers, booleans and strings come back as Python scalars, arrays as
    arrays, lists as arrays. If ``path`` does not exist but ``path + ".npz"`` does (files saved
    by earlier versions, which added the suffix), that file is read.

    Raises
    ------
    CheckpointFileError
        A ``ValueError`` naming the file and what is wrong with it, for any file that is not an
        intact archive of arrays: empty, truncated, corrupted, a PyTorch file, a pickle, a bare
        ``.npy``, a zip of something else, or a file whose sizes do not add up.
    OSError
        If the file cannot be opened (it does not exist, permission denied, it is a folder).
    """
    if isinstance(path, bytes):
        path = os.fsdecode(path)
    source = Path(path)
    if not source.exists() and source.with_name(source.name + ".npz").is_file():
        source = source.with_name(source.name + ".npz")
    try:
        return _read_archive(source)
    except _RefusedError as refusal:
        raise CheckpointFileError(source, str(refusal)) from None


def _read_archive(path: Path) -> dict[str, Any]:
    """All of load's checks, in order; raises :class:`_RefusedError` saying what is wrong."""
    with open(path, "rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        head = handle.read(16)
        _check_signature(head, size)
        try:
            archive = zipfile.ZipFile(handle)
        except MemoryError:
            raise
        except Exception as error:
            detail = _reason(error)
            detail = "" if detail == "File is not a zip file" else f" ({detail})"
            raise _RefusedError(
                "is truncated or damaged: it starts like a zip archive (.npz), but the table of "
                f"contents at its end cannot be read{detail} (an incomplete copy or download, or "
                "a write that was stopped)"
            ) from None
        with archive:
            infos = archive.infolist()
            _check_members(infos, size)
            manifest = None
            arrays: dict[str, np.ndarray] = {}
            for info in infos:
                if info.filename == MANIFEST:
                    manifest = _read_manifest(archive, info)
                else:
                    arrays[info.filename] = _read_npy(archive, info)
    if manifest is None:
        return _tree_from_names(arrays)
    return _tree_from_manifest(manifest, arrays)


def _reason(error: BaseException) -> str:
    text = str(error).strip().rstrip(".")
    return text or type(error).__name__


def _check_signature(head: bytes, size: int) -> None:
    if size == 0:
        raise _RefusedError(
            "is empty (0 bytes): it is not a checkpoint, or the program writing it stopped "
            "before writing anything"
        )
    if head.startswith(_ZIP_SIGNATURES):
        return
    for signature, problem in _FOREIGN_SIGNATURES:
        if head.startswith(signature):
            raise _RefusedError(problem)
    if head.startswith(b"PK"):
        raise _RefusedError("is a damaged zip archive: it does not start with a zip member")
    raise _RefusedError(
        "is not a checkpoint: a checkpoint is a zip archive of NumPy arrays (.npz, as "
        "minitorch.save and numpy.savez write), and this file does not start like one"
    )


def _check_members(infos: list[zipfile.ZipInfo], size: int) -> None:
    """The archive's table of contents, checked against itself and against the file's size."""
    names = [info.filename for info in infos]
    if any(name.endswith("data.pkl") or name.endswith(".pkl") for name in names):
        raise _RefusedError(_TORCH_ZIP_MESSAGE)
    foreign = [name for name in names if name != MANIFEST and not name.endswith(".npy")]
    if foreign:
        shown = ", ".join(repr(name) for name in foreign[:3])
        more = f" and {len(foreign) - 3} more" if len(foreign) > 3 else ""
        if len(foreign) == len(names):
            problem = f"it holds no NumPy arrays, only {shown}{more}"
        else:
            problem = (
                f"{shown}{more} in it {'is' if len(foreign) == 1 else 'are'} not a NumPy array"
            )
        raise _RefusedError(f"is a zip archive but not a checkpoint: {problem} (.npy)")
    seen = set()
    for name in names:
        if name in seen:
            raise _RefusedError(f"is damaged or crafted: it holds two members named {name!r}")
        seen.add(name)

    expanded = 0
    stored = 0
    spans = []
    for info in infos:
        name = info.filename
        if info.flag_bits & 0x1:
            raise _RefusedError(
                f"is encrypted (member {name!r}); minitorch reads unencrypted archives only"
            )
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise _RefusedError(
                f"uses a compression method (number {info.compress_type}) for {name!r} that "
                "minitorch does not read; re-save it with numpy.savez or minitorch.save"
            )
        if info.compress_type == zipfile.ZIP_STORED and info.compress_size != info.file_size:
            raise _RefusedError(
                f"is damaged: member {name!r} is stored uncompressed, yet its sizes differ "
                f"({info.compress_size:,} and {info.file_size:,} bytes)"
            )
        start = info.header_offset
        end = start + _LOCAL_HEADER_BYTES + len(info.orig_filename) + info.compress_size
        if start < 0 or end > size:
            raise _RefusedError(
                f"is truncated or damaged: member {name!r} claims {info.compress_size:,} "
                f"bytes at offset {start:,}, beyond the end of the file ({size:,} bytes)"
            )
        spans.append((start, end, name))
        expanded += info.file_size
        stored += info.compress_size
    spans.sort()
    for (_, end, name), (start, _, other) in itertools.pairwise(spans):
        if start < end:
            raise _RefusedError(
                f"is damaged or crafted: members {name!r} and {other!r} overlap in the file"
            )
    if expanded > max(MAX_EXPANSION * stored, stored + EXPANSION_ALLOWANCE):
        raise _RefusedError(
            f"would expand from {stored:,} to {expanded:,} bytes (more than {MAX_EXPANSION} "
            "times): refused as a possible zip bomb. minitorch writes checkpoints "
            "uncompressed; if you trust this file, read it with numpy.load"
        )


def _read_manifest(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> Any:
    if info.file_size > MAX_MANIFEST_BYTES:
        raise _RefusedError(f"has a {MANIFEST} of {info.file_size:,} bytes, too large to be real")
    with _opened(archive, info) as stream:
        raw = _read_exactly(stream, info.file_size, info)
    try:
        manifest = json.loads(raw.decode("utf-8"))
    except (ValueError, RecursionError) as error:  # UnicodeDecodeError is a ValueError
        raise _RefusedError(
            f"is damaged: its {MANIFEST} is not valid JSON ({_reason(error)})"
        ) from None
    if (
        not isinstance(manifest, dict)
        or manifest.get("format") != MANIFEST_FORMAT
        or not isinstance(manifest.get("entries"), list)
    ):
        raise _RefusedError(f"is damaged: its {MANIFEST} is not a minitorch key index")
    if manifest.get("version") != MANIFEST_VERSION:
        raise _RefusedError(
            f"was written by a newer minitorch (format version {manifest.get('version')!r}; "
            f"this one reads version {MANIFEST_VERSION}); update minitorch to read it"
        )
    return manifest


@contextlib.contextmanager
def _opened(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> Iterator[Any]:
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


def _damaged_member(info: zipfile.ZipInfo, error: BaseException) -> _RefusedError:
    reason = _reason(error)
    reason = next((ours for words, ours in _MEMBER_DAMAGE if words in reason), reason)
    return _RefusedError(f"is damaged: member {info.filename!r} cannot be read ({reason})")


def _read_exactly(stream: Any, count: int, info: zipfile.ZipInfo, into: Any = None) -> Any:
    """Read ``count`` bytes (into ``into``, a writable buffer, if given), else refuse."""
    buffer = memoryview(into if into is not None else bytearray(count)).cast("B")
    done = 0
    try:
        while done < count:
            got = stream.readinto(buffer[done : done + min(_CHUNK, count - done)])
            if not got:
                raise EOFError("the member ends early")
            done += got
    except (_RefusedError, MemoryError):
        raise
    except Exception as error:
        raise _damaged_member(info, error) from None
    return buffer.obj if into is None else into


def _read_npy(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> np.ndarray:
    """One ``.npy`` member, its header checked against its size before any allocation."""
    name = info.filename
    with _opened(archive, info) as stream:
        preamble = bytes(_read_exactly(stream, min(10, info.file_size), info))
        if len(preamble) < 10 or not preamble.startswith(_NPY_MAGIC):
            raise _RefusedError(f"is damaged: member {name!r} is not a NumPy array (.npy)")
        major = preamble[6]
        if major == 1:
            header_length, offset = struct.unpack("<H", preamble[8:10])[0], 10
        elif major in (2, 3):
            rest = bytes(_read_exactly(stream, min(2, info.file_size - 10), info))
            if len(rest) < 2:
                raise _RefusedError(f"is damaged: member {name!r} has a truncated .npy header")
            header_length, offset = struct.unpack("<I", preamble[8:10] + rest)[0], 12
        else:
            raise _RefusedError(
                f"is damaged or from a newer NumPy: member {name!r} has .npy format version "
                f"{major}.{preamble[7]}"
            )
        if header_length > MAX_HEADER_BYTES or offset + header_length > info.file_size:
            raise _RefusedError(
                f"is damaged: member {name!r} declares a .npy header of {header_length:,} "
                f"bytes, but holds {info.file_size:,} bytes in all"
            )
        raw_header = bytes(_read_exactly(stream, header_length, info))
        dtype, shape, fortran = _parse_npy_header(raw_header, major, name)
        declared = math.prod(shape) * dtype.itemsize
        available = info.file_size - offset - header_length
        if declared != available:
            raise _RefusedError(
                f"is damaged or crafted: member {name!r} declares an array of shape {shape} "
                f"and dtype {dtype} ({declared:,} bytes), but holds {available:,} bytes of data"
            )
        data = np.empty(declared, dtype=np.uint8)  # the real size, checked just above
        _read_exactly(stream, declared, info, into=data)
        if _read_exactly_rest(stream, info):
            raise _RefusedError(f"is damaged: member {name!r} holds more data than its header says")
    order = "F" if fortran else "C"
    try:
        if declared == 0:
            return np.empty(shape, dtype=dtype, order=order)
        return np.ndarray(shape, dtype=dtype, buffer=data, order=order)
    except (ValueError, TypeError) as error:
        raise _RefusedError(
            f"is damaged: member {name!r} cannot be an array ({_reason(error)})"
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
        raise _RefusedError(f"is damaged: member {name!r} has an unreadable .npy header") from None
    if not isinstance(header, dict) or set(header) != _NPY_HEADER_KEYS:
        raise _RefusedError(f"is damaged: member {name!r} has a .npy header without its fields")
    shape, fortran = header["shape"], header["fortran_order"]
    if (
        not isinstance(shape, tuple)
        or len(shape) > 64
        or not all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in shape)
        or not isinstance(fortran, bool)
    ):
        raise _RefusedError(
            f"is damaged: member {name!r} has a .npy header with an impossible shape {shape!r}"
        )
    try:
        dtype = np.lib.format.descr_to_dtype(header["descr"])
    except Exception:
        raise _RefusedError(
            f"is damaged: member {name!r} has an unknown dtype {header['descr']!r}"
        ) from None
    if dtype.hasobject:
        raise _RefusedError(
            f"holds Python objects in member {name!r}, which only pickle can read; minitorch "
            "never unpickles (allow_pickle=False), since that can run code"
        )
    return dtype, shape, fortran


# ---------------------------------------------------------------------- key paths back to dicts
def _value(array: np.ndarray) -> Any:
    """0-d numbers, booleans and strings as Python scalars, everything else as the array."""
    if array.ndim == 0 and array.dtype.kind in "biufcUS":
        return array.item()
    return array


def _insert(tree: dict, key_path: list[str], value: Any, shown: str) -> None:
    node = tree
    for depth, key in enumerate(key_path[:-1]):
        child = node.setdefault(key, {})
        if not isinstance(child, dict):
            where = SEPARATOR.join(key_path[: depth + 1])
            raise _RefusedError(f"is damaged: {where!r} is both a value and a dict (at {shown!r})")
        node = child
    leaf = key_path[-1]
    if leaf in node:
        raise _RefusedError(f"is damaged: the key {SEPARATOR.join(key_path)!r} appears twice")
    node[leaf] = value


def _tree_from_names(arrays: dict[str, np.ndarray]) -> dict[str, Any]:
    """An archive without a manifest (earlier minitorch, numpy.savez): keys split at '/'."""
    tree: dict[str, Any] = {}
    for member, array in arrays.items():
        _insert(tree, member[: -len(".npy")].split(SEPARATOR), _value(array), member)
    return tree


def _tree_from_manifest(manifest: dict, arrays: dict[str, np.ndarray]) -> dict[str, Any]:
    tree: dict[str, Any] = {}
    used = set()
    for entry in manifest["entries"]:
        if (
            not isinstance(entry, list)
            or len(entry) != 2
            or not isinstance(entry[0], list)
            or not entry[0]
            or not all(isinstance(key, str) for key in entry[0])
            or not (entry[1] is None or isinstance(entry[1], str))
        ):
            raise _RefusedError(f"is damaged: its {MANIFEST} holds a malformed entry")
        key_path, member = entry
        if member is None:
            _insert(tree, key_path, {}, SEPARATOR.join(key_path))
            continue
        if member not in arrays:
            raise _RefusedError(f"is damaged: its {MANIFEST} names a member {member!r} it lacks")
        if member in used:
            raise _RefusedError(f"is damaged: its {MANIFEST} names member {member!r} twice")
        used.add(member)
        _insert(tree, key_path, _value(arrays[member]), member)
    unlisted = sorted(set(arrays) - used)
    if unlisted:
        raise _RefusedError(
            f"is damaged or was altered: member {unlisted[0]!r} is missing from its {MANIFEST}"
        )
    return tree
