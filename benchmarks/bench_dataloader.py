"""Time one shuffled epoch of an MNIST-sized TensorDataset: minitorch DataLoader vs PyTorch.

    python benchmarks/bench_dataloader.py [--repeats 5] [--samples 60000] [--features 784]
                                          [--batch-size 128] [--fast-only]

Data: ``X`` of shape (samples, features) float32 and ``y`` of shape (samples,) int64, batch size
128, ``shuffle=True``. Each timing is the median over ``--repeats`` epochs (after one warm-up
epoch) of the time to draw every batch. Timed:

* minitorch, fast path (the default collate_fn): one ``TensorDataset.__getitems__`` call (one
  fancy index per array) per batch, which ``default_collate`` returns as the batch;
* minitorch, per-sample path: the same samples from a dataset without ``__getitems__``, so
  ``dataset[i]`` for every sample, then ``np.stack``, to show what the fast path saves;
* PyTorch (if installed): ``torch.utils.data.DataLoader`` over a torch ``TensorDataset``,
  ``num_workers=0``, and over minitorch's ``TensorDataset`` (PyTorch's default collate reads
  what ``__getitems__`` returns as a list of samples).

``--fast-only`` times the fast path alone, for comparing two versions of minitorch run after
run: ``PYTHONPATH=/path/to/other/src python benchmarks/bench_dataloader.py --fast-only``.
The script runs with any version of minitorch that has ``TensorDataset`` and ``DataLoader``.
It reports numbers and ratios; it never fails.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable, Iterable

import numpy as np

from minitorch.utils.data import DataLoader, TensorDataset


class OneByOne:
    """The samples of ``dataset`` with no ``__getitems__``: a DataLoader fetches them one by one."""

    def __init__(self, dataset: TensorDataset) -> None:
        self.dataset = dataset

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, index: int) -> tuple[np.ndarray, ...]:
        return self.dataset[index]


def median_epoch_seconds(make_epoch: Callable[[], Iterable], repeats: int) -> float:
    """Median wall time of iterating ``make_epoch()`` to the end, after one warm-up epoch."""
    for _ in make_epoch():
        pass
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in make_epoch():
            pass
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--samples", type=int, default=60000)
    parser.add_argument("--features", type=int, default=784)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--fast-only", action="store_true", help="time the fast path alone")
    args = parser.parse_args()

    rng = np.random.default_rng(0)
    X = rng.standard_normal((args.samples, args.features), dtype=np.float32)
    y = rng.integers(0, 10, args.samples, dtype=np.int64)
    dataset = TensorDataset(X, y)
    print(
        f"one shuffled epoch: X {X.shape} float32, y {y.shape} int64, "
        f"batch_size={args.batch_size}, median of {args.repeats}"
    )

    fast = DataLoader(
        dataset, batch_size=args.batch_size, shuffle=True, generator=np.random.default_rng(1)
    )
    ours = median_epoch_seconds(lambda: fast, args.repeats)
    print(f"  minitorch (batched __getitems__):      {ours * 1e3:9.1f} ms")
    if args.fast_only:
        return

    per_sample = DataLoader(
        OneByOne(dataset),
        batch_size=args.batch_size,
        shuffle=True,
        generator=np.random.default_rng(1),
    )
    ours_per_sample = median_epoch_seconds(lambda: per_sample, args.repeats)
    print(
        f"  minitorch (per sample + collate):      {ours_per_sample * 1e3:9.1f} ms"
        f"   ({ours_per_sample / ours:.1f}x the fast path)"
    )

    try:
        import torch
        from torch.utils.data import DataLoader as TorchDataLoader
        from torch.utils.data import TensorDataset as TorchTensorDataset
    except ImportError:
        print("  torch is not installed: no comparison")
        return
    torch_loader = TorchDataLoader(
        TorchTensorDataset(torch.from_numpy(X), torch.from_numpy(y)),
        batch_size=args.batch_size,
        shuffle=True,
        generator=torch.Generator().manual_seed(1),
    )
    theirs = median_epoch_seconds(lambda: torch_loader, args.repeats)
    label = f"torch {torch.__version__} DataLoader:"
    print(f"  {label:<38}{theirs * 1e3:9.1f} ms")
    print(f"  ratio minitorch / torch: {ours / theirs:.3f} (below 1 means minitorch is faster)")

    torch_over_ours = TorchDataLoader(
        dataset,
        batch_size=args.batch_size,
        shuffle=True,
        generator=torch.Generator().manual_seed(1),
    )
    label = "torch DataLoader, minitorch dataset:"
    try:
        mixed = median_epoch_seconds(lambda: torch_over_ours, args.repeats)
    except Exception as error:  # an older minitorch whose __getitems__ returns the batch
        print(f"  {label:<38}fails: {type(error).__name__}: {str(error).splitlines()[0]}")
    else:
        print(f"  {label:<38}{mixed * 1e3:9.1f} ms")


if __name__ == "__main__":
    main()
