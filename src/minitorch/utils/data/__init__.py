"""The data pipeline: datasets say what sample ``i`` is, the DataLoader turns them into batches.

>>> from minitorch.utils.data import DataLoader, TensorDataset, random_split
>>> dataset = TensorDataset(X, y)                       # X: (N, D), y: (N,)
>>> train, val = random_split(dataset, [0.8, 0.2])
>>> for xb, yb in DataLoader(train, batch_size=64, shuffle=True):
...     ...                                             # xb: (64, D), yb: (64,)

Import paths and behaviour mirror ``torch.utils.data``; batches are NumPy arrays.
"""

from __future__ import annotations

from .batched_samples import BatchedSamples
from .collate import default_collate
from .dataloader import DataLoader
from .dataset import ConcatDataset, Dataset, Subset, TensorDataset, random_split
from .distributed import DistributedSampler

__all__ = [
    "BatchedSamples",
    "ConcatDataset",
    "DataLoader",
    "Dataset",
    "DistributedSampler",
    "Subset",
    "TensorDataset",
    "default_collate",
    "random_split",
]
