"""Datasets: the "what is sample i?" half of the data pipeline.

A *map-style* dataset is anything with ``len(dataset)`` and ``dataset[i]`` returning sample ``i``
(usually a tuple ``(x, y)``). :class:`~minitorch.utils.data.DataLoader` turns one into mini-batches.

Datasets may also define the optional **batched fetch** ``__getitems__(indices)``, with PyTorch's
meaning: given the indices of one batch it returns *the list of those samples*, one per index, and
the DataLoader then merges them with its ``collate_fn``, exactly as it merges samples fetched one by
one. :class:`TensorDataset` returns a :class:`BatchedSamples`: a list of samples to anyone who reads
it (a ``collate_fn``, PyTorch's DataLoader), stored as the arrays ``(X[indices], y[indices])``,
which :func:`~minitorch.utils.data.default_collate` hands back as the batch. One fancy-indexing
operation per array replaces a Python loop over the batch's samples, which is what makes
:class:`TensorDataset` fast. ``hasattr(dataset, "__getitems__")`` tells whether a dataset has a
batched fetch; :class:`Subset` and :class:`ConcatDataset` have one exactly when the datasets they
wrap do.

Index conventions, the same as a Python sequence's: ``-1`` is the last sample, and an index outside
``-len .. len-1`` raises ``IndexError``.
"""

from __future__ import annotations

import bisect
import math
import warnings
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ._checks import (
    _as_positions,
    _check_fetched,
    _check_generator,
    _check_index,
    _check_indices,
    _check_sized_dataset,
    _fancy_index,
    _has_batched_fetch,
)
from .batched_samples import BatchedSamples, _concatenate, _structure, _take

__all__ = [
    "ConcatDataset",
    "Dataset",
    "Subset",
    "TensorDataset",
    "random_split",
]


# ----------------------------------------------------------------------------------------------
# The datasets
# ----------------------------------------------------------------------------------------------


class Dataset(ABC):
    """Abstract base class of map-style datasets: ``len(dataset)`` samples, ``dataset[i]`` is one.

    Subclass it and implement both methods::

        class Squares(Dataset):
            def __init__(self, n):
                self.x = np.arange(n, dtype=np.float32).reshape(n, 1)

            def __len__(self):
                return len(self.x)

            def __getitem__(self, index):
                return self.x[index], self.x[index] ** 2     # one sample: (x, y)

    Python will refuse to create a subclass that forgets either method (``TypeError: Can't
    instantiate abstract class``), so the mistake shows up at once rather than mid-training.

    Optionally define ``__getitems__(self, indices)``, which :class:`DataLoader` then calls once
    per batch instead of ``dataset[i]`` once per sample. As in PyTorch it returns the *list of the
    batch's samples*, one per index, and the DataLoader's ``collate_fn`` merges them. ``indices``
    is a 1-D integer NumPy array (PyTorch's DataLoader passes a list of ints; minitorch's
    datasets accept both). To skip building samples at all, return the batch's arrays wrapped in a
    :class:`BatchedSamples`, e.g. ``BatchedSamples((self.x[indices], self.x[indices] ** 2))``: a
    list of samples to whoever reads it, and already the batch to :func:`default_collate`.

    ``dataset_a + dataset_b`` chains two datasets into a :class:`ConcatDataset`.
    """

    @abstractmethod
    def __len__(self) -> int:
        """The number of samples."""

    @abstractmethod
    def __getitem__(self, index: int) -> Any:
        """Sample ``index`` (``0 <= index < len(self)``), usually a tuple ``(x, y)``."""

    def __add__(self, other: Any) -> ConcatDataset:
        return ConcatDataset([self, other])


class TensorDataset(Dataset):
    """A dataset of arrays sharing their first dimension: sample ``i`` is ``(X[i], y[i], ...)``.

    Parameters
    ----------
    *arrays : array_like
        One or more arrays, each of shape ``(N, ...)``: for example inputs ``X`` of shape ``(N, D)``
        and targets ``y`` of shape ``(N,)``. They are kept as they are (``np.asarray``, no copy).

    Attributes
    ----------
    tensors : tuple of ndarray
        The arrays, named as in PyTorch; ``arrays`` is the same tuple.

    Notes
    -----
    ``dataset[i]`` returns the tuple ``(X[i], y[i])``. ``dataset.__getitems__(indices)`` returns
    the list of the samples at ``indices``, as PyTorch expects, in the form of a
    :class:`BatchedSamples` holding ``(X[indices], y[indices])``: one fancy-indexing copy per
    array. :func:`default_collate` returns those arrays as the batch, which is how
    :class:`DataLoader` builds a batch of ``B`` samples without a Python loop over them; a
    ``collate_fn`` of your own, or PyTorch's DataLoader, reads the same object as a list of
    ``B`` samples ``(X[i], y[i])``.

    Examples
    --------
    >>> X = np.zeros((100, 4), dtype=np.float32); y = np.arange(100)
    >>> dataset = TensorDataset(X, y)
    >>> x0, y0 = dataset[0]                          # x0.shape == (4,)
    >>> samples = dataset.__getitems__([3, 1, 4])    # 3 samples: samples[0] is like dataset[3]
    >>> xb, yb = default_collate(samples)            # xb.shape == (3, 4), yb.shape == (3,)
    """

    def __init__(self, *arrays: Any) -> None:
        if not arrays:
            raise ValueError("TensorDataset needs at least one array, e.g. TensorDataset(X, y)")
        converted = tuple(np.asarray(array) for array in arrays)
        for position, array in enumerate(converted):
            if array.ndim == 0:
                raise ValueError(
                    f"TensorDataset: array {position} is a scalar; every array needs a first "
                    "dimension that counts the samples, shape (N, ...)"
                )
        sizes = [array.shape[0] for array in converted]
        if len(set(sizes)) > 1:
            shapes = ", ".join(str(array.shape) for array in converted)
            raise ValueError(
                f"TensorDataset: all arrays must have the same first dimension (the number of "
                f"samples), got sizes {sizes} from shapes {shapes}"
            )
        self.tensors: tuple[np.ndarray, ...] = converted

    @property
    def arrays(self) -> tuple[np.ndarray, ...]:
        """The arrays (an alias of :attr:`tensors`)."""
        return self.tensors

    def __len__(self) -> int:
        return self.tensors[0].shape[0]

    def __getitem__(self, index: int) -> tuple[np.ndarray, ...]:
        """Sample ``index``: ``(X[i], y[i], ...)``, row i of every array, in the arrays' order.

        ``index`` is an int in [−N, N) (negative counts from the end, as for a list; anything
        else is refused by ``_check_index``, which returns the position i in [0, N)). With
        arrays of shapes ``(N, D)`` and ``(N,)`` the sample is ``(x, y)``, x of shape ``(D,)``
        and y a scalar: views, not copies.
        """
        position = _check_index(index, len(self), "TensorDataset")
        return tuple(array[position] for array in self.tensors)

    def __getitems__(self, indices: Sequence[int] | np.ndarray) -> BatchedSamples:
        """The samples at ``indices``, stored as ``(a[indices] for a in arrays)``: one fancy index
        per array, no loop over samples."""
        owner = "TensorDataset.__getitems__"
        positions = _as_positions(indices, owner)
        return BatchedSamples._of_arrays(_fancy_index(self.tensors, positions, len(self), owner))

    def __repr__(self) -> str:
        shapes = ", ".join(str(array.shape[1:]) for array in self.tensors)
        return f"TensorDataset(samples={len(self)}, sample shapes=[{shapes}])"


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices``, in order: ``subset[i] = dataset[indices[i]]``.

    Parameters
    ----------
    dataset : Dataset
        The dataset to take samples from (anything with ``__len__`` and ``__getitem__``).
    indices : sequence of int
        Which samples, checked against ``len(dataset)`` at once. Stored as a 1-D integer array.

    Notes
    -----
    ``Subset`` has a batched ``__getitems__`` exactly when ``dataset`` has one; it maps the batch's
    indices through :attr:`indices` with one fancy index and returns what
    ``dataset.__getitems__`` returns for them, in one call. :func:`random_split` returns Subsets.
    """

    def __init__(self, dataset: Any, indices: Sequence[int] | np.ndarray) -> None:
        length = _check_sized_dataset(dataset, "Subset")
        self.dataset = dataset
        self.indices: np.ndarray = _check_indices(indices, length, "Subset")

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, index: int) -> Any:
        position = _check_index(index, len(self), "Subset")
        return self.dataset[int(self.indices[position])]

    @property
    def __getitems__(self) -> Callable[[Sequence[int] | np.ndarray], Any]:
        # A property so that ``hasattr(subset, "__getitems__")`` is True only when the wrapped
        # dataset can fetch batches; otherwise the DataLoader falls back to one sample at a time.
        if not _has_batched_fetch(self.dataset):
            raise AttributeError(
                f"this Subset has no __getitems__ because its dataset "
                f"({type(self.dataset).__name__}) has none"
            )
        return self._getitems

    def _getitems(self, indices: Sequence[int] | np.ndarray) -> Any:
        owner = "Subset.__getitems__"
        positions = _as_positions(indices, owner)
        (parent_indices,) = _fancy_index((self.indices,), positions, len(self), owner)
        return self.dataset.__getitems__(parent_indices)

    def __repr__(self) -> str:
        return f"Subset(samples={len(self)}, of {type(self.dataset).__name__})"


class ConcatDataset(Dataset):
    """Several datasets chained end to end: first all of ``datasets[0]``, then ``datasets[1]``, ...

    Parameters
    ----------
    datasets : iterable of Dataset
        At least one dataset (anything with ``__len__`` and ``__getitem__``).

    Attributes
    ----------
    datasets : list
        The parts, in order.
    cumulative_sizes : list of int
        ``cumulative_sizes[k]`` is the total length of parts ``0..k``, so global index ``i`` lies in
        the first part ``k`` with ``i < cumulative_sizes[k]`` (found by binary search, ``bisect``)
        at local index ``i - cumulative_sizes[k - 1]``.

    Notes
    -----
    When every part has a batched ``__getitems__``, so does the ConcatDataset: the batch's indices
    are assigned to parts with one ``np.searchsorted``, each part is fetched once with all of its
    indices, and the pieces are put back in the requested order. When every piece is a
    :class:`BatchedSamples` of the same structure (parts that are TensorDatasets of alike arrays),
    that takes one ``np.concatenate`` and one fancy index per array and gives a
    ``BatchedSamples``; otherwise the result is a list of the samples.
    """

    def __init__(self, datasets: Any) -> None:
        self.datasets: list[Any] = list(datasets)
        if not self.datasets:
            raise ValueError("ConcatDataset needs at least one dataset, got an empty list")
        self.cumulative_sizes: list[int] = []
        total = 0
        for position, part in enumerate(self.datasets):
            total += _check_sized_dataset(part, f"ConcatDataset (part {position})")
            self.cumulative_sizes.append(total)

    def __len__(self) -> int:
        return self.cumulative_sizes[-1]

    def __getitem__(self, index: int) -> Any:
        position = _check_index(index, len(self), "ConcatDataset")
        part = bisect.bisect_right(self.cumulative_sizes, position)
        start = self.cumulative_sizes[part - 1] if part > 0 else 0
        return self.datasets[part][position - start]

    @property
    def __getitems__(self) -> Callable[[Sequence[int] | np.ndarray], Any]:
        # As in Subset: present only when every part can fetch batches.
        for position, part in enumerate(self.datasets):
            if not _has_batched_fetch(part):
                raise AttributeError(
                    f"this ConcatDataset has no __getitems__ because part {position} "
                    f"({type(part).__name__}) has none"
                )
        return self._getitems

    def _getitems(self, indices: Sequence[int] | np.ndarray) -> Any:
        positions = _check_indices(indices, len(self), "ConcatDataset.__getitems__")
        cumulative = np.asarray(self.cumulative_sizes)
        part_of = np.searchsorted(cumulative, positions, side="right")
        starts = np.concatenate(([0], cumulative[:-1]))
        local = positions - starts[part_of]
        if positions.size == 0 or np.all(part_of == part_of[0]):
            return self._fetch(int(part_of[0]) if positions.size else 0, local)
        # Group the batch's positions by part (a stable sort, so each part keeps the requested
        # order) and fetch each part once.
        order = np.argsort(part_of, kind="stable")
        runs = np.split(order, np.flatnonzero(np.diff(part_of[order])) + 1)
        pieces = [self._fetch(int(part_of[run[0]]), local[run]) for run in runs]
        if all(isinstance(piece, BatchedSamples) for piece in pieces) and all(
            _structure(piece.batch) == _structure(pieces[0].batch) for piece in pieces
        ):
            # Join the pieces' arrays, then undo the grouping with the inverse permutation.
            inverse = np.empty_like(order)
            inverse[order] = np.arange(order.size)
            joined = _concatenate([piece.batch for piece in pieces])
            return BatchedSamples(_take(joined, inverse))
        # Pieces of other kinds: put each sample at its place in the batch.
        samples: list[Any] = [None] * positions.size
        for run, piece in zip(runs, pieces, strict=True):
            for position, sample in zip(run.tolist(), piece, strict=True):
                samples[position] = sample
        return samples

    def _fetch(self, part: int, local: np.ndarray) -> Any:
        """The samples of part ``part`` at its indices ``local``, from its ``__getitems__``."""
        samples = self.datasets[part].__getitems__(local)
        _check_fetched(samples, local.size, self.datasets[part], f"ConcatDataset (part {part})")
        return samples

    def __repr__(self) -> str:
        parts = ", ".join(type(part).__name__ for part in self.datasets)
        return f"ConcatDataset(samples={len(self)}, parts=[{parts}])"


# ----------------------------------------------------------------------------------------------
# random_split
# ----------------------------------------------------------------------------------------------


def _split_lengths(lengths: Sequence[int | float], total: int) -> list[int]:
    """Turn ``lengths`` (counts, or fractions summing to 1) into counts summing to ``total``."""
    if isinstance(lengths, (str, bytes)) or not isinstance(lengths, (Sequence, np.ndarray)):
        raise TypeError(
            f"random_split: lengths must be a list of ints or of fractions, "
            f"got {type(lengths).__name__}"
        )
    values = list(lengths)
    if not values:
        raise ValueError("random_split: lengths is empty; pass e.g. [0.8, 0.2] or [800, 200]")
    for position, value in enumerate(values):
        if isinstance(value, (bool, np.bool_)) or not isinstance(
            value, (int, float, np.integer, np.floating)
        ):
            raise TypeError(
                f"random_split: lengths[{position}] must be an int or a float, "
                f"got {type(value).__name__}"
            )
    if any(isinstance(value, (float, np.floating)) for value in values):
        # Fractions. PyTorch's rule: floor(total * fraction) each, then hand out what is left
        # one sample at a time, round-robin from the first split.
        for position, fraction in enumerate(values):
            if not 0.0 <= fraction <= 1.0:
                hint = ""
                if all(float(value).is_integer() and value >= 0 for value in values):
                    counts = [int(value) for value in values]
                    hint = f"; to give sample counts, pass ints: {counts}"
                raise ValueError(
                    f"random_split: lengths contain floats, so they are read as fractions, but "
                    f"lengths[{position}] = {fraction} is not between 0 and 1{hint}"
                )
        fraction_sum = math.fsum(float(value) for value in values)
        if not math.isclose(fraction_sum, 1.0):
            raise ValueError(
                f"random_split: lengths {values} contain floats, so they are read as fractions, "
                f"which must sum to 1, but they sum to {fraction_sum:g}. Pass fractions such as "
                "[0.8, 0.2], or ints that sum to the dataset's length"
            )
        counts = [math.floor(total * float(fraction)) for fraction in values]
        remainder = total - sum(counts)
        for step in range(max(remainder, 0)):
            counts[step % len(counts)] += 1
        for position, count in enumerate(counts):
            if count == 0:
                warnings.warn(
                    f"random_split: split {position} is empty ({values[position]} of "
                    f"{total} samples)",
                    UserWarning,
                    stacklevel=3,
                )
    else:
        counts = [int(value) for value in values]
        for position, count in enumerate(counts):
            if count < 0:
                raise ValueError(f"random_split: lengths[{position}] = {count} is negative")
    if sum(counts) != total:
        raise ValueError(
            f"random_split: lengths {values} sum to {sum(counts)}, but the dataset has {total} "
            f"samples; pass ints that sum to {total}, or fractions that sum to 1 "
            "(e.g. [0.8, 0.2])"
        )
    return counts


def random_split(
    dataset: Any,
    lengths: Sequence[int | float],
    generator: np.random.Generator | None = None,
) -> list[Subset]:
    """Randomly split ``dataset`` into non-overlapping :class:`Subset` s of the given lengths.

    Parameters
    ----------
    dataset : Dataset
        What to split (anything with ``__len__`` and ``__getitem__``).
    lengths : sequence of int or float
        Either ints (sample counts) summing to ``len(dataset)``, or — when any entry is a float —
        fractions summing to 1. Fractions become counts by PyTorch's rule: ``floor(N * f)`` each,
        then the leftover samples are added one per split, round-robin from the first. For
        ``N = 10`` and ``[0.25, 0.25, 0.5]``: floors ``[2, 2, 5]``, one left over, so ``[3, 2, 5]``.
        A split that ends up empty gives a ``UserWarning``. (PyTorch also reads ints that sum to
        1, such as ``[1, 0]``, as fractions; here ints are always counts.)
    generator : numpy.random.Generator, optional
        Where the random permutation comes from; by default minitorch's global generator, so
        :func:`minitorch.manual_seed` makes the split reproducible.

    Returns
    -------
    list of Subset
        ``len(lengths)`` subsets; together they hold every sample exactly once.

    Examples
    --------
    >>> train, val = random_split(dataset, [0.8, 0.2], generator=np.random.default_rng(42))
    """
    total = _check_sized_dataset(dataset, "random_split")
    counts = _split_lengths(lengths, total)
    rng = _check_generator(generator, "random_split")
    permutation = rng.permutation(total)
    ends = np.cumsum(counts)
    return [
        Subset(dataset, permutation[end - count : end])
        for count, end in zip(counts, ends.tolist(), strict=True)
    ]
