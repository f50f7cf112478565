"""One training step of the MLP 784-512-256-10 (SGD, momentum 0.9): minitorch against hand-written
NumPy doing the same math and against PyTorch, interleaved in one run (reports, never fails).

    python benchmarks/bench_step.py [--batch-sizes 32 128 512] [--repeats 9] [--steps 50]

The runners are the suite's (``workloads.mlp_runners``, what ``python -m benchmarks --only mlp``
times with its idle-machine checks): the same network in float32 on the bundled MNIST subset,
from the same initial weights. This script is the quick version: a round times ``--steps``
steps of each framework in turn, and the table gives the median time per step over the rounds
and the ratios. The NumPy reference is the floor for "NumPy doing only the necessary work": it
writes each gradient once, computes no input gradient for the data and updates in place.
"""

from __future__ import annotations

import argparse

import quick_steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[32, 128, 512])
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--steps", type=int, default=50)
    quick_steps.run_mlp_steps(parser.parse_args())


if __name__ == "__main__":
    main()
