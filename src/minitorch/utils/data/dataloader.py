"""``DataLoader``: the "give me mini-batches, epoch after epoch" half of the data pipeline."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from .collate import default_collate
from .dataset import _check_generator, _check_sized_dataset, _has_batched_fetch

__all__ = ["DataLoader"]

# PyTorch DataLoader arguments that minitorch deliberately does without, and why.
_UNSUPPORTED = {
    "num_workers": "minitorch loads batches in the main process; a dataset with a batched "
    "__getitems__ (TensorDataset) is fast enough that worker processes would only add overhead",
    "pin_memory": "there is no GPU memory to copy to",
    "sampler": "use shuffle=True, or build a Subset with the indices you want",
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
        ``collate_fn(list_of_samples) -> batch``. Default :func:`default_collate`, which stacks
        each field into one array.
    generator : numpy.random.Generator, optional
        Where the shuffling permutations come from. By default minitorch's global generator,
        looked up when each epoch starts, so ``minitorch.manual_seed(s)`` before training makes
        the whole sequence of epochs reproducible.

    Attributes
    ----------
    dataset, batch_size, shuffle, drop_last, collate_fn, generator
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
    indices. For each run:

    * fast path — ``collate_fn`` is None and the dataset defines ``__getitems__`` (as
      :class:`TensorDataset` does): the whole batch comes from *one* call,
      ``dataset.__getitems__(indices)``, with ``indices`` a 1-D integer array. For a
      TensorDataset that is one fancy-indexing copy per array, with no Python loop over samples;
    * otherwise — each sample is fetched with ``dataset[i]`` (``i`` a Python int) and the list
      is merged by ``collate_fn``.

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
        collate_fn: Callable[[list[Any]], Any] | None = None,
        generator: np.random.Generator | None = None,
        **unsupported: Any,
    ) -> None:
        for name in unsupported:
            reason = _UNSUPPORTED.get(name)
            if reason is None:
                raise TypeError(
                    f"DataLoader got an unexpected keyword argument {name!r}; it accepts "
                    "dataset, batch_size, shuffle, drop_last, collate_fn and generator"
                )
            raise TypeError(f"DataLoader does not support {name}: {reason}")
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

        self.dataset = dataset
        self.batch_size = int(batch_size)
        self.shuffle = bool(shuffle)
        self.drop_last = bool(drop_last)
        # Whether batches may come from dataset.__getitems__: only with the default collation,
        # because a custom collate_fn expects the list of individual samples.
        self._may_fetch_batches = collate_fn is None
        self.collate_fn: Callable[[list[Any]], Any] = (
            default_collate if collate_fn is None else collate_fn
        )
        self.generator = generator

    def __len__(self) -> int:
        """The number of batches in one epoch."""
        samples = len(self.dataset)
        if self.drop_last:
            return samples // self.batch_size
        return -(-samples // self.batch_size)  # ceil(samples / batch_size) in integers

    def __iter__(self) -> Iterator[Any]:
        """Start an epoch: draw its order of indices now, then yield its batches one by one."""
        samples = len(self.dataset)
        if self.shuffle:
            # Looked up here, not in __init__, so that manual_seed() called after building the
            # loader still decides the order.
            rng = _check_generator(self.generator, "DataLoader")
            order = rng.permutation(samples)
        else:
            order = np.arange(samples)
        if self.drop_last:
            order = order[: samples - samples % self.batch_size]
        fetch_batch = (
            self.dataset.__getitems__
            if self._may_fetch_batches and _has_batched_fetch(self.dataset)
            else None
        )
        return self._batches(order, fetch_batch)

    def _batches(
        self, order: np.ndarray, fetch_batch: Callable[[np.ndarray], Any] | None
    ) -> Iterator[Any]:
        for start in range(0, len(order), self.batch_size):
            indices = order[start : start + self.batch_size]
            if fetch_batch is not None:
                yield fetch_batch(indices)
            else:
                yield self.collate_fn([self.dataset[i] for i in indices.tolist()])

    def __repr__(self) -> str:
        return (
            f"DataLoader({self.dataset!r}, batch_size={self.batch_size}, "
            f"shuffle={self.shuffle}, drop_last={self.drop_last})"
        )
