"""Checkpoints as ``.npz`` archives: no pickle, ever.

``save`` takes a (possibly nested) dict of arrays, numbers and strings, such as
``{"model": model.state_dict(), "optimizer": optimizer.state_dict(), "epoch": 3}``. Nested keys
are joined with ``/`` in the archive (``"model/0.W"``) and split again by ``load``. The file is
written to a temporary name in the same folder and renamed into place, so a crash mid-write
never leaves a truncated checkpoint behind.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

SEPARATOR = "/"


def _flatten(tree: dict[str, Any], prefix: str, out: dict[str, np.ndarray]) -> None:
    for key, value in tree.items():
        if not isinstance(key, str):
            raise TypeError(f"minitorch.save: keys must be strings, got {key!r}")
        if SEPARATOR in key:
            raise ValueError(f"minitorch.save: key {key!r} may not contain {SEPARATOR!r}")
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            if not value:
                raise ValueError(
                    f"minitorch.save: {name!r} is an empty dict, which npz cannot hold"
                )
            _flatten(value, name + SEPARATOR, out)
            continue
        if value is None:
            raise TypeError(f"minitorch.save: {name!r} is None, which npz cannot hold")
        array = np.asarray(value)
        if array.dtype == object:
            raise TypeError(
                f"minitorch.save: {name!r} holds Python objects ({type(value).__name__}); only "
                "arrays, numbers, strings and lists of them can be saved without pickle"
            )
        out[name] = array


def save(obj: dict[str, Any], path: str | os.PathLike) -> Path:
    """Save a dict (nested dicts allowed) of arrays, numbers and strings to ``path`` (``.npz``).

    Returns the path written. The write is atomic: temporary file, then rename.
    """
    if not isinstance(obj, dict):
        raise TypeError(
            f"minitorch.save expects a dict such as model.state_dict(), got {type(obj).__name__}"
        )
    path = Path(path)
    if path.suffix != ".npz":
        path = path.with_name(path.name + ".npz")
    flat: dict[str, np.ndarray] = {}
    _flatten(obj, "", flat)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            np.savez(handle, **flat)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    return path


def load(path: str | os.PathLike) -> dict[str, Any]:
    """Load what :func:`save` wrote. Zero-dimensional entries come back as Python scalars."""
    path = Path(path)
    if not path.exists() and path.with_name(path.name + ".npz").exists():
        path = path.with_name(path.name + ".npz")
    result: dict[str, Any] = {}
    with np.load(path, allow_pickle=False) as archive:
        for name in archive.files:
            array = archive[name]
            value: Any = array.item() if array.ndim == 0 else array
            node = result
            *parents, leaf = name.split(SEPARATOR)
            for parent in parents:
                node = node.setdefault(parent, {})
            node[leaf] = value
    return result
