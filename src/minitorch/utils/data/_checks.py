"""The checks every dataset and the DataLoader share: indices, batched fetches, generators.

Private: ``Dataset`` subclasses of minitorch (``TensorDataset``, ``Subset``, ``ConcatDataset``,
the IDX datasets) and the ``DataLoader`` use them, so that an index out of range or a
``__getitems__`` that returns the batch itself gets the same explanation everywhere.
"""

from __future__ import annotations

import operator
from typing import Any

import numpy as np

from ... import _state


def _check_index(index: Any, length: int, owner: str) -> int:
    """``index`` as a non-negative int below ``length``, or an error that says what went wrong."""
    try:
        position = operator.index(index)
    except TypeError:
        raise TypeError(
            f"{owner} indices must be integers, got {type(index).__name__}; "
            "dataset[i] returns one sample — fetch a batch with a DataLoader "
            "(or dataset.__getitems__(indices) where the dataset defines it)"
        ) from None
    if not -length <= position < length:
        raise IndexError(
            f"{owner} index {position} is out of range for a dataset of {length} samples "
            f"(valid indices are {-length} to {length - 1})"
        )
    return position + length if position < 0 else position


def _as_positions(indices: Any, owner: str) -> np.ndarray:
    """A batch of indices as a 1-D integer array, not yet checked against the dataset's length."""
    positions = np.asarray(indices)
    if positions.size == 0:
        return positions.reshape(0).astype(np.intp)
    kind = positions.dtype.kind
    if kind == "b":
        raise TypeError(
            f"{owner}: indices must be integers, got a boolean mask; "
            "convert it with np.flatnonzero(mask)"
        )
    if kind not in "iu":
        raise TypeError(
            f"{owner}: indices must be integers, got an array of dtype {positions.dtype}"
        )
    if positions.ndim != 1:
        raise ValueError(f"{owner}: indices must be a 1-D sequence, got shape {positions.shape}")
    return positions


def _out_of_range(positions: np.ndarray, length: int, owner: str) -> IndexError:
    """The error for a batch of indices one of which lies outside ``-length .. length - 1``."""
    lowest, highest = int(positions.min()), int(positions.max())
    bad = lowest if lowest < -length else highest
    return IndexError(
        f"{owner}: index {bad} is out of range for a dataset of {length} samples "
        f"(valid indices are {-length} to {length - 1})"
    )


def _check_indices(indices: Any, length: int, owner: str) -> np.ndarray:
    """A batch of indices as a 1-D integer array, negatives resolved, checked against ``length``.

    Vectorised: one ``min``/``max`` and one ``where`` over the batch, never a Python loop.
    """
    positions = _as_positions(indices, owner)
    if positions.size == 0:
        return positions
    lowest, highest = int(positions.min()), int(positions.max())
    if lowest < -length or highest >= length:
        raise _out_of_range(positions, length, owner)
    if lowest < 0:
        positions = np.where(positions < 0, positions + length, positions)
    return positions


def _fancy_index(
    arrays: tuple[np.ndarray, ...], positions: np.ndarray, length: int, owner: str
) -> tuple[np.ndarray, ...]:
    """``tuple(a[positions] for a in arrays)``, for arrays of first dimension ``length``.

    NumPy checks the bounds as it indexes (and reads negative indices as Python does), so the
    positions need no checking of their own, which saves two reductions per batch; when NumPy
    finds one out of range, the error says which in our words.
    """
    try:
        return tuple([array[positions] for array in arrays])
    except IndexError:
        raise _out_of_range(positions, length, owner) from None


def _has_batched_fetch(dataset: Any) -> bool:
    """Whether ``dataset`` can fetch the samples of a batch with one ``__getitems__`` call."""
    return callable(getattr(dataset, "__getitems__", None))


def _check_fetched(samples: Any, count: int, dataset: Any, owner: str) -> None:
    """Check that ``dataset.__getitems__`` returned one sample per index, as PyTorch expects.

    The usual mistake is returning the batch itself, ``(X[indices], y[indices])``: a tuple of 2
    arrays, which a collate_fn would read as 2 samples.
    """
    if hasattr(samples, "__len__") and len(samples) == count:
        return
    name = f"{owner}: {type(dataset).__name__}.__getitems__"
    fix = (
        "__getitems__(indices) must return the list of the batch's samples, one per index, "
        "which collate_fn then merges into a batch (PyTorch's meaning). If yours returns the "
        "batch itself, such as (X[indices], y[indices]), return "
        "BatchedSamples((X[indices], y[indices])) instead: the same arrays, read as a list of "
        "samples, and default_collate uses them without a loop over the samples"
    )
    if not hasattr(samples, "__len__"):
        raise TypeError(f"{name} returned {type(samples).__name__}, which has no length; {fix}")
    raise ValueError(f"{name} returned {len(samples)} items for a batch of {count} indices; {fix}")


def _check_sized_dataset(dataset: Any, owner: str) -> int:
    """``len(dataset)``, after checking that ``dataset`` looks like a map-style dataset."""
    if not (hasattr(dataset, "__len__") and hasattr(dataset, "__getitem__")):
        raise TypeError(
            f"{owner} expects a dataset with __len__ and __getitem__ (a minitorch Dataset, "
            f"a list, an array), got {type(dataset).__name__}"
        )
    return len(dataset)


def _check_generator(generator: Any, owner: str) -> np.random.Generator:
    """``generator``, or minitorch's global generator when it is None."""
    if generator is None:
        return _state.generator()
    if not isinstance(generator, np.random.Generator):
        hint = (
            f"np.random.default_rng({generator})"
            if isinstance(generator, (int, np.integer)) and not isinstance(generator, bool)
            else "np.random.default_rng(seed)"
        )
        raise TypeError(
            f"{owner}: generator must be a numpy.random.Generator, got "
            f"{type(generator).__name__}; pass {hint}"
        )
    return generator
