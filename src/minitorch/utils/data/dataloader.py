"""``DataLoader``: the "give me mini-batches, epoch after epoch" half of the data pipeline."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np

from ._checks import (
    _check_fetched,
    _check_generator,
    _check_sized_dataset,
    _has_batched_fetch,
)
from .collate import default_collate

__all__ = ["DataLoader"]

# Why minitorch has no worker processes: the error for num_workers other than 0.
_NO_WORKERS = (
    "minitorch loads batches in the main process; a dataset with a batched __getitems__ "
    "(TensorDataset) is fast enough that worker processes would only add overhead"
)

# PyTorch DataLoader arguments whose default (doing nothing) minitorch accepts, so that PyTorch
# code such as `DataLoader(ds, batch_size=64, pin_memory=False)` runs unchanged.
_HARMLESS_DEFAULTS = {
    "pin_memory": False,
    "persistent_workers": False,
    "prefetch_factor": None,
    "worker_init_fn": None,
    "timeout": 0,
    "batch_sampler": None,
}

# PyTorch DataLoader arguments that minitorch deliberately does without, and why.
_UNSUPPORTED = {
    "pin_memory": "there is no GPU memory to copy to",
    "batch_sampler": "use batch_size and drop_last, or a Subset",
    "persistent_workers": "minitorch has no worker processes",
    "prefetch_factor": "minitorch has no worker processes",
    "worker_init_fn": "minitorch has no worker processes",
    "timeout": "minitorch has no worker processes",
}


class DataLoader:
    """Iterate over a dataset in mini-batches of NumPy arrays, reshuffling every epoch.

    Parameters
    ----------
    dataset : Dataset
        Anything with ``__len__`` and ``__getitem__``: a :class:`Dataset` subclass, a
        :class:`TensorDataset`, a :class:`Subset`, even a list of samples.
    batch_size : int
        Samples per batch (default 1). The last batch is smaller when ``batch_size`` does not
        divide ``len(dataset)``, unless ``drop_last``.
    shuffle : bool
        Visit the samples in a new random order every epoch (default ``False``: in order
        ``0, 1, 2, ...``). Use it for training, not for evaluation.
    drop_last : bool
        Drop the last, incomplete batch (default ``False``).
    collate_fn : callable, optional
        ``collate_fn(samples) -> batch``, called on the samples of every batch: the list of
        ``dataset[i]``, or whatever ``dataset.__getitems__(indices)`` returns when the dataset
        has a batched fetch (as in PyTorch). Default :func:`default_collate`, which stacks each
        field into one array.
    generator : numpy.random.Generator, optional
        Where the shuffling permutations come from. By default minitorch's global generator,
        looked up when each epoch starts, so ``minitorch.manual_seed(s)`` before training makes
        the whole sequence of epochs reproducible.
    num_workers : int
        Accepted so that PyTorch code runs unchanged, but only ``0`` (the default): batches are
        always loaded in the main process. PyTorch's other worker and sampler arguments
        (``pin_memory``, ``batch_sampler``, ``timeout``, ...) raise a ``TypeError`` saying what
        to do instead.
    sampler : iterable of int, optional
        The epoch's order of indices instead of ``0..N−1`` or a shuffle: anything with
        ``__iter__`` and ``__len__``, iterated afresh each epoch, e.g. a
        :class:`~minitorch.utils.data.DistributedSampler` (this process's share of the data).
        Not together with ``shuffle=True`` (the sampler decides the order), as in PyTorch.

    Attributes
    ----------
    dataset, batch_size, shuffle, drop_last, collate_fn, generator, num_workers, sampler
        The arguments (``collate_fn`` is :func:`default_collate` when none was given).

    Notes
    -----
    **The Iterator pattern.** A DataLoader is an *iterable*: it does not hold batches, it knows
    how to produce them. ``for batch in loader`` calls ``iter(loader)``, which starts an epoch —
    it draws the epoch's order of indices (a fresh permutation when ``shuffle``) — and returns an
    *iterator*, an object whose ``__next__`` hands out the next batch and raises ``StopIteration``
    at the end of the epoch. The training loop never sees how samples are stored, ordered or
    grouped; looping over the loader again starts a new epoch with a new order. (``__iter__`` is
    written with ``yield``, which makes Python build the iterator object for us.)

    **How a batch is built.** The epoch's order is cut into consecutive runs of ``batch_size``
    indices. For each run, as in PyTorch:

    1. fetch the samples — with *one* call, ``samples = dataset.__getitems__(indices)``
       (``indices`` a 1-D integer array), when the dataset defines it; otherwise one call per
       sample, ``samples = [dataset[i] for i in indices]`` (``i`` a Python int);
    2. merge them: ``batch = collate_fn(samples)``.

    A ``collate_fn`` of yours therefore always sees the samples, whichever way they were
    fetched. The fast path is the default collation of a :class:`TensorDataset`: its
    ``__getitems__`` does one fancy-indexing copy per array and returns them as a
    :class:`BatchedSamples`, which :func:`default_collate` returns as the batch — no Python loop
    over samples anywhere.

    ``len(loader)`` is the number of batches per epoch: ``ceil(N / batch_size)``, or
    ``floor(N / batch_size)`` with ``drop_last``.

    Examples
    --------
    >>> dataset = TensorDataset(X_train, y_train)          # X: (N, D) float32, y: (N,) int64
    >>> loader = DataLoader(dataset, batch_size=64, shuffle=True)
    >>> for epoch in range(10):
    ...     for xb, yb in loader:                            # xb: (64, D), yb: (64,)
    ...         loss = criterion(model(xb), yb)
    ...         optimizer.zero_grad()
    ...         model.backward(criterion.backward())
    ...         optimizer.step()
    """

    def __init__(
        self,
        dataset: Any,
        batch_size: int = 1,
        shuffle: bool = False,
        drop_last: bool = False,
        collate_fn: Callable[[Sequence[Any]], Any] | None = None,
        generator: np.random.Generator | None = None,
        num_workers: int = 0,
        sampler: Any = None,
        **unsupported: Any,
    ) -> None:
        for name, value in unsupported.items():
            if name in _HARMLESS_DEFAULTS and value == _HARMLESS_DEFAULTS[name]:
                continue  # PyTorch's do-nothing value: accepted, it changes nothing here
            reason = _UNSUPPORTED.get(name)
            if reason is None:
                raise TypeError(
                    f"DataLoader got an unexpected keyword argument {name!r}; it accepts "
                    "dataset, batch_size, shuffle, drop_last, collate_fn, generator, "
                    "num_workers and sampler"
                )
            raise TypeError(f"DataLoader does not support {name}={value!r}: {reason}")
        if isinstance(num_workers, (bool, np.bool_)) or not isinstance(
            num_workers, (int, np.integer)
        ):
            raise TypeError(
                f"DataLoader: num_workers must be the int 0, got {num_workers!r} "
                f"({type(num_workers).__name__}); {_NO_WORKERS}"
            )
        if num_workers != 0:
            raise ValueError(
                f"DataLoader does not support num_workers={num_workers}: {_NO_WORKERS}. "
                "Leave num_workers out, or pass num_workers=0"
            )
        if (
            isinstance(dataset, tuple)
            and dataset
            and all(isinstance(part, np.ndarray) and part.ndim >= 1 for part in dataset)
        ):
            raise TypeError(
                f"DataLoader got a tuple of {len(dataset)} arrays, which it would read as a "
                f"dataset of {len(dataset)} samples; wrap the arrays in a dataset first: "
                "DataLoader(TensorDataset(X, y), batch_size=...)"
            )
        _check_sized_dataset(dataset, "DataLoader")
        if isinstance(batch_size, (bool, np.bool_)) or not isinstance(
            batch_size, (int, np.integer)
        ):
            hint = (
                f"; use batch_size={int(batch_size)}"
                if isinstance(batch_size, float) and batch_size.is_integer() and batch_size > 0
                else ""
            )
            raise TypeError(
                f"DataLoader: batch_size must be a positive int, got {batch_size!r} "
                f"({type(batch_size).__name__}){hint}"
            )
        if batch_size <= 0:
            raise ValueError(
                f"DataLoader: batch_size must be a positive int (samples per batch), "
                f"got {batch_size}"
            )
        for name, flag in (("shuffle", shuffle), ("drop_last", drop_last)):
            if not isinstance(flag, (bool, np.bool_)):
                raise TypeError(
                    f"DataLoader: {name} must be True or False, got {flag!r} "
                    f"({type(flag).__name__})"
                )
        if collate_fn is not None and not callable(collate_fn):
            raise TypeError(
                f"DataLoader: collate_fn must be a function taking a list of samples and "
                f"returning a batch, got {type(collate_fn).__name__}"
            )
        if generator is not None:
            _check_generator(generator, "DataLoader")
        if sampler is not None:
            if not (hasattr(sampler, "__iter__") and hasattr(sampler, "__len__")):
                raise TypeError(
                    "DataLoader: sampler must be an iterable of indices with a length (a "
                    f"DistributedSampler, a list of ints), got {type(sampler).__name__}"
                )
            if shuffle:
                raise ValueError(
                    "DataLoader: sampler is mutually exclusive with shuffle=True: the sampler "
                    "decides the order (DistributedSampler shuffles itself); leave shuffle out"
                )

        self.dataset = dataset
        self.batch_size = int(batch_size)
        self.shuffle = bool(shuffle)
        self.drop_last = bool(drop_last)
        self.collate_fn: Callable[[Sequence[Any]], Any] = (
            default_collate if collate_fn is None else collate_fn
        )
        self.generator = generator
        self.num_workers = 0
        self.sampler = sampler

    def __len__(self) -> int:
        """The number of batches in one epoch: ⌈N / batch_size⌉ for N samples, or
        ⌊N / batch_size⌋ with ``drop_last`` (the last, smaller batch dropped)."""
        samples = len(self.dataset) if self.sampler is None else len(self.sampler)
        if self.drop_last:
            return samples // self.batch_size
        return -(-samples // self.batch_size)  # ceil(samples / batch_size) in integers

    def __iter__(self) -> Iterator[Any]:
        """Start an epoch: draw its order of indices now, then yield its batches one by one.

        The order is the sampler's when there is one, a permutation of 0..N−1 drawn from the
        loader's generator when ``shuffle`` (a new one every epoch), else 0..N−1; with
        ``drop_last`` it is cut to a multiple of ``batch_size``. The batches come from
        :meth:`_batches`, fetched with the dataset's ``__getitems__`` when it has one, else
        sample by sample.
        """
        samples = len(self.dataset)
        if self.sampler is not None:  # its order, checked like any index before a fetch
            order = np.fromiter(iter(self.sampler), dtype=np.int64)
            samples = len(order)
            if samples and (order.min() < 0 or order.max() >= len(self.dataset)):
                raise IndexError(
                    f"DataLoader: the sampler gave an index outside [0, {len(self.dataset) - 1}] "
                    f"for a dataset of {len(self.dataset)} samples"
                )
        elif self.shuffle:
            # Looked up here, not in __init__, so that manual_seed() called after building the
            # loader still decides the order.
            rng = _check_generator(self.generator, "DataLoader")
            order = rng.permutation(samples)
        else:
            order = np.arange(samples)
        if self.drop_last:
            order = order[: samples - samples % self.batch_size]
        fetch_batch = self.dataset.__getitems__ if _has_batched_fetch(self.dataset) else None
        return self._batches(order, fetch_batch)

    def _batches(
        self, order: np.ndarray, fetch_batch: Callable[[np.ndarray], Any] | None
    ) -> Iterator[Any]:
        """Yield ``collate_fn(samples)`` for each run of ``batch_size`` indices of ``order``.

        ``order`` (1-D integer array) is cut into consecutive slices ``order[k·B : (k+1)·B]``
        (B = batch_size, the last one shorter); each slice's samples are fetched at once with
        ``fetch_batch(indices)`` when given (its result checked: one sample per index), else
        as ``[dataset[i] for i in indices]``, and collated: with ``default_collate`` samples
        ``(x, y)`` of shapes ``(D,)`` and ``()`` become a batch ``(X, y)`` of shapes ``(B, D)``
        and ``(B,)``.
        """
        for start in range(0, len(order), self.batch_size):
            indices = order[start : start + self.batch_size]
            if fetch_batch is not None:
                samples = fetch_batch(indices)
                _check_fetched(samples, len(indices), self.dataset, "DataLoader")
            else:
                samples = [self.dataset[i] for i in indices.tolist()]
            yield self.collate_fn(samples)

    def __repr__(self) -> str:
        return (
            f"DataLoader({self.dataset!r}, batch_size={self.batch_size}, "
            f"shuffle={self.shuffle}, drop_last={self.drop_last})"
        )
