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

``load`` treats the file as untrusted. Every check happens before anything is allocated, in
:func:`minitorch._npz.read_npz` (the archive) and :func:`_read_archive` (the manifest): what
kind of file it is, the zip structure, every member's declared size against the bytes the
archive really holds, each ``.npy`` header against its member's size, no Python objects
(pickle is never used). Every member is read to its end, so its CRC-32 is checked. Whatever
is wrong, ``load`` raises one :class:`CheckpointFileError` (a ``ValueError``) that names the
file and the problem.
"""

from __future__ import annotations

import json
import os
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from ._atomic import atomic_write
from ._npz import RefusedError, error_reason, opened, read_exactly, read_npz

__all__ = ["CheckpointFileError", "load", "save"]

SEPARATOR = "/"
MANIFEST = "minitorch.json"
MANIFEST_FORMAT = "minitorch-state"
MANIFEST_VERSION = 2

#: PyTorch's suffixes for its pickle-based files; a minitorch checkpoint is not one.
TORCH_SUFFIXES = (".pt", ".pth")

#: The manifest of a checkpoint with a million keys is well below this.
MAX_MANIFEST_BYTES = 256 * 2**20


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
    except RefusedError as refusal:
        raise CheckpointFileError(source, str(refusal)) from None


def _read_archive(path: Path) -> dict[str, Any]:
    """All of load's checks, in order (:func:`minitorch._npz.read_npz`, then the manifest's
    entries); raises :class:`RefusedError` saying what is wrong."""
    manifest, arrays = read_npz(path, MANIFEST, _read_manifest)
    if manifest is None:
        return _tree_from_names(arrays)
    return _tree_from_manifest(manifest, arrays)


def _read_manifest(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> Any:
    if info.file_size > MAX_MANIFEST_BYTES:
        raise RefusedError(f"has a {MANIFEST} of {info.file_size:,} bytes, too large to be real")
    with opened(archive, info) as stream:
        raw = read_exactly(stream, info.file_size, info)
    try:
        manifest = json.loads(raw.decode("utf-8"))
    except (ValueError, RecursionError) as error:  # UnicodeDecodeError is a ValueError
        raise RefusedError(
            f"is damaged: its {MANIFEST} is not valid JSON ({error_reason(error)})"
        ) from None
    if (
        not isinstance(manifest, dict)
        or manifest.get("format") != MANIFEST_FORMAT
        or not isinstance(manifest.get("entries"), list)
    ):
        raise RefusedError(f"is damaged: its {MANIFEST} is not a minitorch key index")
    if manifest.get("version") != MANIFEST_VERSION:
        raise RefusedError(
            f"was written by a newer minitorch (format version {manifest.get('version')!r}; "
            f"this one reads version {MANIFEST_VERSION}); update minitorch to read it"
        )
    return manifest


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
            raise RefusedError(f"is damaged: {where!r} is both a value and a dict (at {shown!r})")
        node = child
    leaf = key_path[-1]
    if leaf in node:
        raise RefusedError(f"is damaged: the key {SEPARATOR.join(key_path)!r} appears twice")
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
            raise RefusedError(f"is damaged: its {MANIFEST} holds a malformed entry")
        key_path, member = entry
        if member is None:
            _insert(tree, key_path, {}, SEPARATOR.join(key_path))
            continue
        if member not in arrays:
            raise RefusedError(f"is damaged: its {MANIFEST} names a member {member!r} it lacks")
        if member in used:
            raise RefusedError(f"is damaged: its {MANIFEST} names member {member!r} twice")
        used.add(member)
        _insert(tree, key_path, _value(arrays[member]), member)
    unlisted = sorted(set(arrays) - used)
    if unlisted:
        raise RefusedError(
            f"is damaged or was altered: member {unlisted[0]!r} is missing from its {MANIFEST}"
        )
    return tree
