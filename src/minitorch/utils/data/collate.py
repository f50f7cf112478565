"""``default_collate``: how a list of samples becomes one batch of stacked arrays."""

from __future__ import annotations

import numbers
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from .batched_samples import BatchedSamples

__all__ = ["default_collate"]

_NUMBER_TYPES = (numbers.Number, np.generic)


def default_collate(samples: Iterable[Any]) -> Any:
    """Merge a list of ``B`` samples into one batch, recursively, field by field.

    ``DataLoader`` calls this, unless you pass another ``collate_fn``, on the samples of each
    batch: the list of ``dataset[i]``, or what the dataset's ``__getitems__`` returns.

    =====================================  ================================================
    each sample is                          the batch is
    =====================================  ================================================
    an array of shape ``S``                 ``np.stack``: one array of shape ``(B, *S)``
    a number (Python or NumPy scalar)       ``np.asarray``: shape ``(B,)`` (see dtypes below)
    a tuple / list / namedtuple             the same kind of container, each field collated
    a dict                                  a dict with the same keys, each value collated
    a string or bytes                       a list of the ``B`` strings (kept as they are)
    =====================================  ================================================

    So samples ``(x, y)`` with ``x`` of shape ``(D,)`` and ``y`` an int give the tuple
    ``(X, Y)`` with ``X`` of shape ``(B, D)`` and ``Y`` of shape ``(B,)``.

    Dtypes are NumPy's, exactly as ``np.asarray`` / ``np.stack`` choose them: Python ints become
    ``int64``, Python floats ``float64``, bools ``bool``; a mix of ints and floats becomes
    ``float64``; NumPy scalars and arrays keep their dtype (``float32`` stays ``float32``).
    (PyTorch differs in two places: it turns bools into ``int64`` and returns a *list* for tuple
    samples; here tuples stay tuples, so a batch unpacks as ``x, y = batch`` either way.)

    **The fast path.** When ``samples`` is a :class:`BatchedSamples` (what
    :meth:`TensorDataset.__getitems__ <minitorch.utils.data.TensorDataset.__getitems__>`
    returns), the batch already exists: it is returned as it is, ``samples.batch``, without
    building a single sample. The result is the same as collating the samples one by one.

    Parameters
    ----------
    samples : sequence
        The ``B >= 1`` samples of one batch, all with the same structure and shapes.

    Returns
    -------
    The batch, structured like one sample.

    Raises
    ------
    ValueError
        If there are no samples, or a field's shape, length or keys differ between samples; the
        message names the field, e.g. ``samples[3][0] has shape (5,)``.
    TypeError
        If a field's type differs between samples or cannot be batched (``None``, an arbitrary
        object); pass your own ``collate_fn`` for such data.
    """
    if isinstance(samples, BatchedSamples) and samples._collates_to_batch:
        return samples.batch
    batch = list(samples)
    if not batch:
        raise ValueError("default_collate: got no samples; a batch needs at least one")
    return _collate(batch, "")


def _where(sample: int, field: str) -> str:
    """How messages name a field of one sample: a Python expression, e.g. ``samples[2]['x']``."""
    return f"samples[{sample}]{field}"


def _check_kinds(batch: list[Any], field: str, kinds: tuple[type, ...], kind_name: str) -> None:
    for position, value in enumerate(batch):
        is_text = isinstance(value, (str, bytes))  # np.str_ is a NumPy scalar too
        if not isinstance(value, kinds) or is_text != isinstance(batch[0], (str, bytes)):
            raise TypeError(
                f"default_collate: {_where(0, field)} is {kind_name} but "
                f"{_where(position, field)} is {type(value).__name__}; every sample must have "
                "the same structure"
            )


def _collate(batch: list[Any], field: str) -> Any:
    first = batch[0]

    if isinstance(first, np.ndarray):
        _check_kinds(batch, field, (np.ndarray, *_NUMBER_TYPES), "an array")
        for position, value in enumerate(batch):
            if np.shape(value) != first.shape:
                raise ValueError(
                    f"default_collate: {_where(0, field)} has shape {first.shape} but "
                    f"{_where(position, field)} has shape {np.shape(value)}; only samples of "
                    "one shape stack into a batch. Pad or crop them to one shape, or pass a "
                    "collate_fn that handles ragged data"
                )
        return np.stack(batch)

    # Before numbers: NumPy strings (np.str_) are NumPy scalars too.
    if isinstance(first, (str, bytes)):
        _check_kinds(batch, field, (str, bytes), "a string")
        return batch

    if isinstance(first, _NUMBER_TYPES):
        _check_kinds(batch, field, (np.ndarray, *_NUMBER_TYPES), "a number")
        for position, value in enumerate(batch):
            if np.ndim(value) != 0:
                raise ValueError(
                    f"default_collate: {_where(0, field)} is a number but "
                    f"{_where(position, field)} has shape {np.shape(value)}"
                )
        return np.asarray(batch)

    if isinstance(first, Mapping):
        _check_kinds(batch, field, (Mapping,), "a dict")
        keys = set(first)
        for position, value in enumerate(batch):
            if set(value) != keys:
                raise ValueError(
                    f"default_collate: {_where(0, field)} has keys {sorted(map(str, keys))} but "
                    f"{_where(position, field)} has keys {sorted(map(str, value))}"
                )
        return {
            key: _collate([value[key] for value in batch], f"{field}[{key!r}]") for key in first
        }

    if isinstance(first, (tuple, list)):
        _check_kinds(batch, field, (tuple, list), f"a {type(first).__name__}")
        for position, value in enumerate(batch):
            if len(value) != len(first):
                raise ValueError(
                    f"default_collate: {_where(0, field)} has {len(first)} fields but "
                    f"{_where(position, field)} has {len(value)}"
                )
        fields = [
            _collate([value[k] for value in batch], f"{field}[{k}]") for k in range(len(first))
        ]
        if isinstance(first, tuple) and hasattr(first, "_fields"):  # a namedtuple
            return type(first)(*fields)
        return tuple(fields) if isinstance(first, tuple) else fields

    raise TypeError(
        f"default_collate: {_where(0, field)} is {type(first).__name__}, which it cannot batch; "
        "samples may hold arrays, numbers, strings, and tuples, lists or dicts of these. "
        "Pass DataLoader(..., collate_fn=your_function) to batch other types"
    )
