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

Comparing two versions of minitorch (the script runs with any that has ``TensorDataset`` and
``DataLoader``):

* ``--fast-only`` times the fast path alone, to run once per version, turn by turn:
  ``PYTHONPATH=/path/to/other/src python benchmarks/bench_dataloader.py --fast-only``;
* ``--compare-with /path/to/other/src`` loads that copy of minitorch beside the imported one and
  times their fast paths in alternate epochs of one process, so that both see the same load on
  a busy machine; it reports each one's median and the median of the epoch-by-epoch ratios.

It reports numbers and ratios; it never fails.
"""

from __future__ import annotations

import argparse

import quick_dataloader


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--samples", type=int, default=60000)
    parser.add_argument("--features", type=int, default=784)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--fast-only", action="store_true", help="time the fast path alone")
    parser.add_argument(
        "--compare-with",
        metavar="SRC",
        help="a src/ folder holding another minitorch, timed against this one in alternate epochs",
    )
    quick_dataloader.run_dataloader(parser.parse_args())


if __name__ == "__main__":
    main()
