"""``BatchedSamples``: the samples of one batch, stored as the batch (one array per field).

What a dataset's batched fetch ``__getitems__(indices)`` returns for the fast path (see
:mod:`minitorch.utils.data.dataset`), with the helpers that walk a batch's structure (nested
tuples, namedtuples, lists and dicts of arrays) field by field.
"""

from __future__ import annotations

import operator
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numpy as np

__all__ = ["BatchedSamples"]


# Dtypes whose rows stack back into the very same array: booleans, integers, floats, complex
# numbers, times. Rows of string, bytes, object or structured arrays do not (default_collate
# turns strings into a list, for example), so for those default_collate collates sample by sample.
_ROWS_STACK_BACK = frozenset("biufcmM")


def _arrays_in(batch: Any, where: str) -> Iterator[tuple[str, Any]]:
    """Every leaf of ``batch`` (nested tuples, lists and dicts) with a name for messages."""
    if isinstance(batch, Mapping):
        for key, value in batch.items():
            yield from _arrays_in(value, f"{where}[{key!r}]")
    elif isinstance(batch, (tuple, list)):
        for k, value in enumerate(batch):
            yield from _arrays_in(value, f"{where}[{k}]")
    else:
        yield where, batch


class BatchedSamples(Sequence):
    """The ``B`` samples of one batch, stored as the batch: one array of ``B`` rows per field.

    This is what :meth:`TensorDataset.__getitems__` returns. Read as a sequence it is the list of
    the batch's samples, ``samples[k]`` being sample ``k`` (row ``k`` of every array, in the
    batch's structure) — what PyTorch expects ``__getitems__`` to return, so a ``collate_fn`` and
    ``torch.utils.data.DataLoader`` both work with it. :func:`default_collate` recognises it and
    returns :attr:`batch` as it is: the batch is ready, and no sample is ever built.

    Parameters
    ----------
    batch : ndarray, or tuple / namedtuple / list / dict of these (nested as you like)
        The batch, structured like one sample: ``(X_b, y_b)`` for samples ``(x, y)``. Every array
        has the same first dimension ``B``, the number of samples.

    Attributes
    ----------
    batch
        The arrays, as given. ``default_collate`` returns this very object (no copy), so give it
        arrays the batch may own, such as the copies fancy indexing makes (``X[indices]``), not
        views of your data (``X[start:stop]``).

    Notes
    -----
    ``default_collate(samples)`` equals ``default_collate(list(samples))``, the collation of the
    samples one by one, field for field and dtype for dtype: rows of a ``(B, D)`` array stack back
    into it, and NumPy scalars from a ``(B,)`` array become that array again. For arrays of
    strings, bytes or objects, whose rows collate differently (strings become a list),
    ``default_collate`` does collate sample by sample. (An empty ``BatchedSamples`` collates to
    its empty arrays; ``default_collate([])`` raises.)

    Examples
    --------
    A dataset of your own gets the fast path by returning one from ``__getitems__``:

    >>> class Pairs(Dataset):
    ...     def __init__(self, x, y):
    ...         self.x, self.y = x, y
    ...     def __len__(self):
    ...         return len(self.x)
    ...     def __getitem__(self, i):
    ...         return self.x[i], self.y[i]
    ...     def __getitems__(self, indices):
    ...         return BatchedSamples((self.x[indices], self.y[indices]))
    >>> samples = Pairs(np.zeros((10, 3)), np.arange(10)).__getitems__(np.array([4, 2]))
    >>> len(samples), samples[1][1]                   # a list of 2 samples (x, y)
    (2, np.int64(2))
    >>> xb, yb = default_collate(samples)            # the arrays themselves: shapes (2, 3), (2,)
    """

    def __init__(self, batch: Any) -> None:
        arrays = list(_arrays_in(batch, "batch"))
        if not arrays:
            raise ValueError(
                "BatchedSamples needs at least one array, e.g. BatchedSamples((X_b, y_b))"
            )
        for where, array in arrays:
            if not isinstance(array, np.ndarray) or array.ndim == 0:
                what = "a scalar array" if isinstance(array, np.ndarray) else type(array).__name__
                raise TypeError(
                    f"BatchedSamples: {where} is {what}; every field of the batch must be a NumPy "
                    "array of shape (B, ...), one row per sample (np.asarray(values) makes one)"
                )
        first_where, first = arrays[0]
        for where, array in arrays:
            if array.shape[0] != first.shape[0]:
                raise ValueError(
                    f"BatchedSamples: {first_where} has {first.shape[0]} rows but {where} has "
                    f"{array.shape[0]}; every array holds one row per sample of the batch"
                )
        self.batch = batch
        self._length = first.shape[0]
        self._plain_tuple = type(batch) is tuple and all(
            isinstance(value, np.ndarray) for value in batch
        )
        # Whether default_collate may return `batch` as it is (see the Notes).
        self._collates_to_batch = all(array.dtype.kind in _ROWS_STACK_BACK for _, array in arrays)

    @classmethod
    def _of_arrays(cls, arrays: tuple[np.ndarray, ...]) -> BatchedSamples:
        """``BatchedSamples(arrays)`` without the checks, for a tuple of arrays known to have the
        same first dimension (TensorDataset's batches: this keeps its fast path fast)."""
        samples = cls.__new__(cls)
        samples.batch = arrays
        samples._length = arrays[0].shape[0]
        samples._plain_tuple = True
        samples._collates_to_batch = all(array.dtype.kind in _ROWS_STACK_BACK for array in arrays)
        return samples

    def __len__(self) -> int:
        return self._length

    def __getitem__(self, index: int | slice) -> Any:
        """Sample ``index`` (row ``index`` of every array), or a ``BatchedSamples`` for a slice."""
        if isinstance(index, slice):
            return BatchedSamples(_take(self.batch, index))
        try:
            position = operator.index(index)
        except TypeError:
            raise TypeError(
                f"BatchedSamples indices must be integers or slices, got {type(index).__name__}"
            ) from None
        if not -self._length <= position < self._length:
            raise IndexError(
                f"BatchedSamples index {position} is out of range for a batch of {self._length} "
                f"samples (valid indices are {-self._length} to {self._length - 1})"
            )
        return _take(self.batch, position)

    def __iter__(self) -> Iterator[Any]:
        if self._plain_tuple:
            # A tuple of arrays (TensorDataset's batches): zip builds the very same samples, the
            # tuples (X_b[k], y_b[k], ...), some ten times faster.
            return zip(*self.batch, strict=True)
        return (_take(self.batch, position) for position in range(self._length))

    def __repr__(self) -> str:
        return f"BatchedSamples({self._length} samples, batch={_describe(self.batch)})"


def _describe(batch: Any) -> str:
    """The structure of a batch for ``repr``: ``(float32 (4, 3), int64 (4,))``."""
    if isinstance(batch, np.ndarray):
        return f"{batch.dtype} {batch.shape}"
    if isinstance(batch, Mapping):
        return "{" + ", ".join(f"{key!r}: {_describe(value)}" for key, value in batch.items()) + "}"
    fields = ", ".join(_describe(value) for value in batch)
    if isinstance(batch, tuple) and hasattr(batch, "_fields"):
        return f"{type(batch).__name__}({fields})"
    if isinstance(batch, tuple):
        return f"({fields},)" if len(batch) == 1 else f"({fields})"
    return f"[{fields}]"


def _structure(batch: Any) -> Any:
    """What must agree for batches to be joined: containers, keys, and each array's row shape."""
    if isinstance(batch, np.ndarray):
        return batch.shape[1:]
    if isinstance(batch, Mapping):
        return frozenset((key, _structure(value)) for key, value in batch.items())
    return type(batch), tuple(_structure(value) for value in batch)


def _concatenate(batches: list[Any]) -> Any:
    """Join batches of the same structure along the batch axis, field by field."""
    first = batches[0]
    if isinstance(first, Mapping):
        return {key: _concatenate([batch[key] for batch in batches]) for key in first}
    if isinstance(first, (tuple, list)):
        fields = [_concatenate([batch[k] for batch in batches]) for k in range(len(first))]
        if isinstance(first, tuple) and hasattr(first, "_fields"):  # a namedtuple
            return type(first)(*fields)
        return type(first)(fields)
    return np.concatenate(batches, axis=0)


def _take(batch: Any, positions: int | slice | np.ndarray) -> Any:
    """Index a batch along the batch axis, field by field: one sample for an int position, a
    smaller batch for a slice or an array of positions."""
    if isinstance(batch, Mapping):
        return {key: _take(value, positions) for key, value in batch.items()}
    if isinstance(batch, (tuple, list)):
        fields = [_take(value, positions) for value in batch]
        if isinstance(batch, tuple) and hasattr(batch, "_fields"):
            return type(batch)(*fields)
        return type(batch)(fields)
    return batch[positions]
