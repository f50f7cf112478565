"""One training step of a LeNet-style CNN at batch 64, float32: minitorch against PyTorch in the
same run, interleaved (reports, never fails).

    python benchmarks/bench_cnn.py [--models mnistnet example lenet5] [--batch-size 64]
                                   [--rounds 15] [--steps 20] [--profile] [--memory-steps 3]

The networks (28×28 grey images, 10 classes)::

    Conv2d(1, c1, 5, padding=2) -> [BatchNorm2d] -> ReLU -> MaxPool2d(2)      (c1, 14, 14)
    Conv2d(c1, c2, 5)           -> [BatchNorm2d] -> ReLU -> MaxPool2d(2)      (c2, 5, 5)
    Flatten -> Linear(25·c2, hidden) -> ReLU -> Linear(hidden, 10)

    example   c1, c2 = 16, 32, batch norm (convolutions without bias), hidden 128, Adam:
              the network of examples/cnn_mnist.py
    lenet5    c1, c2 = 6, 16, no batch norm, hidden 120, SGD with momentum 0.9
    mnistnet  pytorch/examples' MNIST network: Conv2d(1, 32, 3) -> ReLU -> Conv2d(32, 64, 3)
              -> ReLU -> MaxPool2d(2) -> Dropout(0.25) -> Flatten -> Linear(9216, 128) -> ReLU
              -> Dropout(0.5) -> Linear(128, 10) -> LogSoftmax, NLLLoss, Adadelta(lr=1.0);
              also its peak memory, each framework in a fresh process (``--memory-steps``):
              the growth of VmHWM over the resident set after a warm-up step (as
              benchmarks/run.py measures), and the whole process's high-water mark (minitorch's
              process without torch imported, as a user runs it)

Both frameworks start from the same weights and train on the same MNIST-like batches (pixels
in [0, 1], labels from a fixed random teacher) with the same optimizer and cross-entropy.
PyTorch runs on 2 threads (``--threads``; the machines students and CI use have two cores), NumPy
on its BLAS's default (all cores; ``OPENBLAS_NUM_THREADS=1`` for one); as PyTorch
computes no gradient for data, minitorch's first layer skips it (``needs_input_grad = False``).
Each framework runs in a worker process of its own, so that neither one's idle thread pool
(PyTorch's OpenMP threads, OpenBLAS's) spins on the cores the other is computing on; the two
workers take turns, one round of ``--steps`` steps each, so a disturbance on a shared machine
hits both alike, with a pause (``--pause``, 0.3 s) between turns, long enough for OpenBLAS's
threads, which busy-wait for a while after their last product, to fall asleep. The table
gives the median time per step over the rounds (after a warm-up round) and the speed ratio
PyTorch time / minitorch time (1.0: as fast as PyTorch).
``--profile`` adds minitorch's time per layer, forward and backward.
"""

from __future__ import annotations

import argparse

import networks as N
import quick_mnistnet
import quick_steps

MODELS = ["mnistnet", *N.CNN_MODELS]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", choices=sorted(MODELS), default=MODELS)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--threads", type=int, default=2, help="PyTorch's threads (default 2)")
    parser.add_argument("--pause", type=float, default=0.3, help="seconds between turns")
    parser.add_argument("--profile", action="store_true", help="minitorch's time per layer")
    parser.add_argument("--memory-steps", type=int, default=3, help="mnistnet's measured steps")
    args = parser.parse_args()
    if "mnistnet" in args.models:
        quick_mnistnet.compare_mnistnet(args)
    args.models = [name for name in args.models if name != "mnistnet"]
    if args.models:
        quick_steps.run_cnn(args)


if __name__ == "__main__":
    main()
