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
              benchmarks/run.py measures), and the whole process's high-water mark

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
import multiprocessing
import statistics
import time

import harness
import networks as N
import quick_steps

import minitorch
from minitorch import nn, optim

try:
    import torch
except ImportError:  # pragma: no cover - depends on the environment
    torch = None

MODELS = ["mnistnet", *N.CNN_MODELS]


def _mnistnet_runner(framework: str, threads: int, x, y, batch_size: int):
    """One framework's copy of the MNIST network (the same initial weights), and its loop."""
    minitorch.manual_seed(0)
    model = N.minitorch_mnistnet()
    if framework == "minitorch":
        model.needs_input_grad = False  # the input is data
        loss_fn = nn.NLLLoss()
        optimizer = optim.Adadelta(model, lr=1.0)

        def run(steps):
            for i in range(steps):
                batch = slice(i * batch_size, (i + 1) * batch_size)
                loss_fn(model(x[batch]), y[batch])
                optimizer.zero_grad()
                model.backward(loss_fn.backward())
                optimizer.step()

        return run
    torch.set_num_threads(threads)
    theirs = N.torch_cnn(model)
    optimizer = torch.optim.Adadelta(theirs.parameters(), lr=1.0)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)

    def run_torch(steps):
        for i in range(steps):
            batch = slice(i * batch_size, (i + 1) * batch_size)
            loss = torch.nn.functional.nll_loss(theirs(xt[batch]), yt[batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()

    return run_torch


def mnistnet_worker(framework: str, args, connection) -> None:
    x, y = quick_steps.cnn_data(args.batch_size, args.steps)
    run = _mnistnet_runner(framework, args.threads, x, y, args.batch_size)
    run(args.steps)  # warm-up
    connection.send("ready")
    while connection.recv() == "run":
        start = time.perf_counter()
        run(args.steps)
        connection.send((time.perf_counter() - start) / args.steps * 1e3)
    connection.send("done")


def mnistnet_memory_worker(framework: str, args, connection) -> None:
    """A fresh process: VmHWM growth over the resident set after one warm-up step, and the
    whole process's high-water mark."""
    x, y = quick_steps.cnn_data(args.batch_size, args.memory_steps + 1)
    run = _mnistnet_runner(framework, args.threads, x, y, args.batch_size)
    run(1)  # warm-up: libraries, optimizer state, the allocator's pools
    harness.release_free_memory()
    before = harness.rss_kib()
    reset = harness.reset_peak_rss()
    run(args.memory_steps)
    peak = harness.rss_kib("VmHWM")
    import resource

    whole = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    connection.send(((peak - before) / 1024 if reset else None, whole / 1024, before / 1024))


def compare_mnistnet(args) -> None:
    frameworks = ["minitorch"] if torch is None else ["PyTorch", "minitorch"]
    context = multiprocessing.get_context("spawn")
    workers = {}
    for framework in frameworks:
        ours, theirs = context.Pipe()
        process = context.Process(target=mnistnet_worker, args=(framework, args, theirs))
        process.start()
        workers[framework] = (process, ours)
    for _, connection in workers.values():
        assert connection.recv() == "ready"
    times = {framework: [] for framework in workers}
    for _ in range(args.rounds):
        for framework, (_, connection) in workers.items():  # one at a time, in turn
            time.sleep(args.pause)
            connection.send("run")
            times[framework].append(connection.recv())
    for process, connection in workers.values():
        connection.send("stop")
        connection.recv()
        process.join()
    print(f"\nmnistnet: pytorch/examples' MNIST network, Adadelta, batch {args.batch_size}")
    print(f"{'':<12}{'ms/step':>10}{'min':>8}{'max':>8}")
    for framework, t in times.items():
        print(f"{framework:<12}{statistics.median(t):>10.2f}{min(t):>8.2f}{max(t):>8.2f}")
    if "PyTorch" in times:
        ratio = statistics.median(times["PyTorch"]) / statistics.median(times["minitorch"])
        print(f"speed ratio PyTorch time / minitorch time: {ratio:.2f} (1.0 = as fast as PyTorch)")
    memory = {}
    for framework in frameworks:  # one fresh process each, one after the other
        ours, theirs = context.Pipe()
        process = context.Process(target=mnistnet_memory_worker, args=(framework, args, theirs))
        process.start()
        memory[framework] = ours.recv()
        process.join()
    print(f"{'peak memory (MiB)':<18}{'VmHWM growth':>14}{'whole process':>15}{'RSS before':>12}")
    for framework, (growth, whole, before) in memory.items():
        shown = "n/a" if growth is None else f"{growth:.0f}"
        print(f"{framework:<18}{shown:>14}{whole:>15.0f}{before:>12.0f}")


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
        compare_mnistnet(args)
    args.models = [name for name in args.models if name != "mnistnet"]
    if args.models:
        quick_steps.run_cnn(args)


if __name__ == "__main__":
    main()
