"""One training step of the MLP 784-512-256-10 (SGD, momentum 0.9): minitorch against hand-written
NumPy doing the same math and against PyTorch, taking turns in one run (reports, never fails).

    python benchmarks/bench_step.py [--batch-sizes 32 128 512] [--repeats 9] [--steps 50]
                                    [--input-grad] [--threads 2] [--pause 0.3]

The runners are the suite's (``workloads.mlp_runners``, what ``python -m benchmarks --only mlp``
times with its idle-machine checks): the same network in float32 on the bundled MNIST subset,
from the same initial weights, each framework in a worker process of its own (NumPy's
reference with minitorch, PyTorch alone with one BLAS thread; ``quick_suite``). This script
is the quick version (no idle-machine check, nothing discarded): a round times ``--steps``
steps of each framework in turn, and the table gives the median time per step over the rounds
and the ratios. ``--input-grad``: the rows with the first layer's input gradient on (in
minitorch and in the NumPy reference). The NumPy reference is the floor for "NumPy doing
only the necessary work": it writes each gradient once, computes no input gradient for the
data (unless ``--input-grad``) and updates in place.
"""

from __future__ import annotations

import argparse
import os
import sys

# NumPy's BLAS reads its thread count when it is loaded (in the workers too, which inherit the
# environment): set it before importing numpy.
THREADS = int(sys.argv[sys.argv.index("--threads") + 1]) if "--threads" in sys.argv else 2
os.environ.setdefault("OPENBLAS_NUM_THREADS", str(THREADS))

import quick_steps  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[32, 128, 512])
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument("--input-grad", action="store_true", help="the input gradient on")
    parser.add_argument("--threads", type=int, default=2, help="threads of each framework")
    parser.add_argument("--pause", type=float, default=0.3, help="seconds before each turn")
    quick_steps.run_mlp_steps(parser.parse_args())


if __name__ == "__main__":
    main()
