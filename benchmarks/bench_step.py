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
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import workloads as W

import minitorch

if W.torch is not None:
    W.torch.set_num_threads(2)  # the machines students and CI use have two cores


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[32, 128, 512])
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--steps", type=int, default=50)
    args = parser.parse_args()
    minitorch.manual_seed(0)
    print(f"MLP {'-'.join(map(str, W.MLP_SIZES))}, SGD momentum {W.MOMENTUM}, float32; µs per step")
    print(
        f"{'batch':>6}{'minitorch':>12}{'NumPy':>10}{'PyTorch':>10}{'vs NumPy':>10}{'vs torch':>10}"
    )
    for batch_size in args.batch_sizes:
        runners = W.mlp_runners(W.MLP_SIZES, W.mnist(), batch_size)
        times = {name: [] for name in runners}
        for runner in runners.values():
            runner.run(args.steps)  # warm-up
        for _ in range(args.repeats):
            for name, runner in runners.items():  # interleaved: a disturbance hits all alike
                start = time.perf_counter()
                runner.run(args.steps)
                times[name].append((time.perf_counter() - start) / args.steps * 1e6)
        med = {name: statistics.median(t) for name, t in times.items()}
        theirs = med.get("PyTorch", float("nan"))
        print(
            f"{batch_size:>6}{med['minitorch']:>12.0f}{med['NumPy']:>10.0f}{theirs:>10.0f}"
            f"{med['NumPy'] / med['minitorch']:>10.2f}{theirs / med['minitorch']:>10.2f}"
        )
    print("ratios are throughput: above 1, minitorch is faster")


if __name__ == "__main__":
    main()
