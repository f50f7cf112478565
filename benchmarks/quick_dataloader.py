"""The quick timing of a DataLoader epoch alone that ``bench_dataloader.py`` runs (its docstring
says what it measures), minitorch against PyTorch and against another copy of minitorch. It
reports; it never fails. torch is imported only after minitorch's timings, so that
``--fast-only`` runs never load it.
"""

from __future__ import annotations

import importlib
import importlib.util
import statistics
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from types import ModuleType

import numpy as np

from minitorch.utils.data import DataLoader, TensorDataset


def run_dataloader(args) -> None:
    """One shuffled epoch (bench_dataloader.py): minitorch's fast and per-sample paths, PyTorch's,
    another minitorch's."""

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
    if args.compare_with:
        other = load_other_minitorch(args.compare_with)
        loaders = {
            "this": fast,
            "other": other.DataLoader(
                other.TensorDataset(X, y),
                batch_size=args.batch_size,
                shuffle=True,
                generator=np.random.default_rng(1),
            ),
        }
        times = compare_epochs(loaders, args.repeats)
        ratios = [a / b for a, b in zip(times["this"], times["other"], strict=True)]
        print(f"  alternate epochs, this minitorch vs {args.compare_with} ({args.repeats} each):")
        for name in ("this", "other"):
            print(f"    {name:<6} median {statistics.median(times[name]) * 1e3:9.2f} ms")
        print(
            f"    median of the epoch-by-epoch ratios this / other: {statistics.median(ratios):.3f}"
            " (below 1 means this one is faster)"
        )
    if args.fast_only or args.compare_with:
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


def load_other_minitorch(src: str) -> ModuleType:
    """``minitorch.utils.data`` of the minitorch in ``src``, imported as ``other_minitorch``.

    The package imports itself with relative imports only, so a second copy loads under another
    name beside the first.
    """
    package = Path(src) / "minitorch"
    spec = importlib.util.spec_from_file_location(
        "other_minitorch", package / "__init__.py", submodule_search_locations=[str(package)]
    )
    if spec is None or spec.loader is None:
        raise SystemExit(f"--compare-with: no minitorch package in {src}")
    module = importlib.util.module_from_spec(spec)
    sys.modules["other_minitorch"] = module
    spec.loader.exec_module(module)
    return importlib.import_module("other_minitorch.utils.data")


def compare_epochs(loaders: dict[str, Iterable], repeats: int) -> dict[str, list[float]]:
    """Epoch times of each loader, in alternate epochs (the order swapped every round)."""
    for loader in loaders.values():  # warm-up
        for _ in loader:
            pass
    times: dict[str, list[float]] = {name: [] for name in loaders}
    names = list(loaders)
    for round_ in range(repeats):
        for name in names if round_ % 2 == 0 else names[::-1]:
            start = time.perf_counter()
            for _ in loaders[name]:
                pass
            times[name].append(time.perf_counter() - start)
    return times
