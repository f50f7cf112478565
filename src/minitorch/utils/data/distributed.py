"""``DistributedSampler``: each process of a data-parallel job reads its own share of a dataset.

>>> sampler = DistributedSampler(dataset, shuffle=True, seed=0)   # rank and size from init()
>>> loader = DataLoader(dataset, batch_size=32, sampler=sampler)  # 32 samples per process
>>> for epoch in range(epochs):
...     sampler.set_epoch(epoch)                                  # a new order every epoch
...     for xb, yb in loader: ...

PyTorch's ``torch.utils.data.distributed.DistributedSampler``, index for index when
``shuffle=False``; with ``shuffle`` the epoch's permutation comes from NumPy's generator
seeded with ``seed + epoch`` (the same on every process) instead of torch's.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from ... import _world
from ..._validation import check_flag, check_int
from ._checks import _check_sized_dataset

__all__ = ["DistributedSampler", "shard_indices"]


def shard_indices(order: np.ndarray, num_replicas: int, rank: int, drop_last: bool) -> np.ndarray:
    """Rank ``rank``'s share of an epoch's ``order`` of N indices, as PyTorch cuts it.

    Every process gets ``num_samples`` indices: ⌈N / R⌉ for R replicas, the order padded with
    its own first indices (wrapping round as often as needed) up to ``R · num_samples``; with
    ``drop_last``, ⌊N / R⌋, the order cut to ``R · num_samples``. Rank r then takes every R-th
    index from position r: ``order[r :: R]``, so the R shares are disjoint slices that together
    cover the (padded) order.
    """
    n = len(order)
    num_samples = n // num_replicas if drop_last else -(-n // num_replicas)
    total_size = num_samples * num_replicas
    if total_size > n:  # pad with the first indices again, as often as needed
        order = np.resize(order, total_size)  # np.resize repeats the array cyclically
    return order[rank:total_size:num_replicas]


class DistributedSampler:
    """The indices of the dataset that this process trains on, epoch after epoch.

    Parameters
    ----------
    dataset : Dataset
        Anything with ``__len__`` (its samples are not read).
    num_replicas : int, optional
        R, the number of processes; default the world size of
        :func:`minitorch.distributed.init`.
    rank : int, optional
        This process's rank, ``0 <= rank < num_replicas``; default the process's own.
    shuffle : bool
        A new random order every epoch (default ``True``), the same on every process, so the
        shares stay disjoint.
    seed : int
        The permutation of epoch e is ``numpy.random.default_rng(seed + e).permutation(N)``;
        every process must pass the same seed (default 0).
    drop_last : bool
        ``False`` (default): pad the order with its first indices so that R divides it (a few
        samples are seen twice per epoch). ``True``: drop the last N mod R indices instead.

    Attributes
    ----------
    num_samples : int
        Indices per process per epoch: ``len(sampler)``.
    total_size : int
        ``num_samples · num_replicas``.
    epoch : int
        Set by :meth:`set_epoch`.

    Notes
    -----
    Call ``sampler.set_epoch(epoch)`` before each epoch, as in PyTorch: without it every epoch
    repeats epoch 0's order. Give it to ``DataLoader(dataset, batch_size=b, sampler=sampler)``
    (no ``shuffle``: the sampler shuffles); ``b`` is the batch of one process, the global batch
    is ``b · R``.
    """

    def __init__(
        self,
        dataset: Any,
        num_replicas: int | None = None,
        rank: int | None = None,
        shuffle: bool = True,
        seed: int = 0,
        drop_last: bool = False,
    ) -> None:
        owner = "DistributedSampler"
        _check_sized_dataset(dataset, owner)
        if (num_replicas is None or rank is None) and not _world.initialized:
            raise RuntimeError(
                f"{owner}: num_replicas and rank default to the process group's, but "
                "minitorch.distributed.init() was not called; call it first, or pass "
                "num_replicas= and rank="
            )
        num_replicas = _world.world_size if num_replicas is None else num_replicas
        rank = _world.rank if rank is None else rank
        self.num_replicas = check_int(owner, "num_replicas", num_replicas, 1)
        self.rank = check_int(owner, "rank", rank, 0)
        if self.rank >= self.num_replicas:
            raise ValueError(
                f"{owner}: rank must be in [0, {self.num_replicas - 1}] for num_replicas="
                f"{self.num_replicas}, got rank={self.rank}"
            )
        self.shuffle = check_flag(owner, "shuffle", shuffle)
        self.seed = check_int(owner, "seed", seed)
        self.drop_last = check_flag(owner, "drop_last", drop_last)
        self.dataset = dataset
        self.epoch = 0
        n = len(dataset)
        self.num_samples = n // self.num_replicas if self.drop_last else -(-n // self.num_replicas)
        self.total_size = self.num_samples * self.num_replicas

    def set_epoch(self, epoch: int) -> None:
        """Use epoch ``epoch``'s permutation from now on (every process must call it alike)."""
        self.epoch = check_int("DistributedSampler.set_epoch", "epoch", epoch, 0)

    def __iter__(self) -> Iterator[int]:
        n = len(self.dataset)
        if self.shuffle:
            order = np.random.default_rng(self.seed + self.epoch).permutation(n)
        else:
            order = np.arange(n)
        return iter(shard_indices(order, self.num_replicas, self.rank, self.drop_last).tolist())

    def __len__(self) -> int:
        return self.num_samples

    def __repr__(self) -> str:
        return (
            f"DistributedSampler(num_replicas={self.num_replicas}, rank={self.rank}, "
            f"shuffle={self.shuffle}, seed={self.seed}, drop_last={self.drop_last})"
        )
