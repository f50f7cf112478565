"""One training step of a LeNet-style CNN at batch 64, float32: minitorch against PyTorch in the
same run, interleaved (reports, never fails).

    python benchmarks/bench_cnn.py [--models example lenet5] [--batch-size 64] [--rounds 15]
                                   [--steps 20] [--profile]

The networks (28×28 grey images, 10 classes)::

    Conv2d(1, c1, 5, padding=2) -> [BatchNorm2d] -> ReLU -> MaxPool2d(2)      (c1, 14, 14)
    Conv2d(c1, c2, 5)           -> [BatchNorm2d] -> ReLU -> MaxPool2d(2)      (c2, 5, 5)
    Flatten -> Linear(25·c2, hidden) -> ReLU -> Linear(hidden, 10)

    example   c1, c2 = 16, 32, batch norm (convolutions without bias), hidden 128, Adam:
              the network of examples/cnn_mnist.py
    lenet5    c1, c2 = 6, 16, no batch norm, hidden 120, SGD with momentum 0.9

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

import numpy as np

import minitorch
from minitorch import nn, optim

try:
    import torch
except ImportError:  # pragma: no cover
    torch = None

MODELS = {
    # name: (c1, c2, batch norm, hidden, optimizer)
    "example": (16, 32, True, 128, "adam"),
    "lenet5": (6, 16, False, 120, "sgd"),
}


def make_data(batch_size: int, steps: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    x = rng.random((batch_size * steps, 1, 28, 28), dtype=np.float32)
    teacher = rng.standard_normal((28 * 28, 10)).astype(np.float32)
    y = (x.reshape(len(x), -1) @ teacher).argmax(axis=1)
    return x, y


def minitorch_cnn(c1: int, c2: int, batchnorm: bool, hidden: int) -> nn.Sequential:
    def block(c_in, c_out, padding):
        norm = [nn.BatchNorm2d(c_out)] if batchnorm else []
        conv = nn.Conv2d(c_in, c_out, 5, padding=padding, bias=not batchnorm)
        return [conv, *norm, nn.ReLU(), nn.MaxPool2d(2)]

    return nn.Sequential(
        *block(1, c1, 2),
        *block(c1, c2, 0),
        nn.Flatten(),
        nn.Linear(25 * c2, hidden),
        nn.ReLU(),
        nn.Linear(hidden, 10),
    )


def torch_copy(model: nn.Sequential):
    """The same network in PyTorch, with minitorch's initial weights."""
    layers = []
    for layer in model:
        if isinstance(layer, nn.Conv2d):
            copy = torch.nn.Conv2d(
                layer.in_channels,
                layer.out_channels,
                layer.kernel_size,
                padding=layer.padding,
                bias=layer.b is not None,
            )
            with torch.no_grad():
                copy.weight.copy_(torch.from_numpy(layer.W))
                if layer.b is not None:
                    copy.bias.copy_(torch.from_numpy(layer.b.ravel()))
        elif isinstance(layer, nn.Linear):
            copy = torch.nn.Linear(layer.input_dim, layer.output_dim)
            with torch.no_grad():
                copy.weight.copy_(torch.from_numpy(layer.W.T.copy()))
                copy.bias.copy_(torch.from_numpy(layer.b.ravel()))
        elif isinstance(layer, nn.BatchNorm2d):
            copy = torch.nn.BatchNorm2d(layer.num_features)
        elif isinstance(layer, nn.MaxPool2d):
            copy = torch.nn.MaxPool2d(layer.kernel_size, layer.stride)
        elif isinstance(layer, nn.ReLU):
            copy = torch.nn.ReLU()
        elif isinstance(layer, nn.Flatten):
            copy = torch.nn.Flatten()
        else:  # pragma: no cover
            raise TypeError(type(layer).__name__)
        layers.append(copy)
    return torch.nn.Sequential(*layers)


def minitorch_runner(model, x, y, batch_size, optimizer_name):
    model.needs_input_grad = False  # the standard loop's habit: the input is data
    loss_fn = nn.CrossEntropyLoss()
    if optimizer_name == "adam":
        optimizer = optim.Adam(model, lr=1e-3)
    else:
        optimizer = optim.SGD(model, lr=0.01, momentum=0.9)

    def run(steps):
        for i in range(steps):
            batch = slice(i * batch_size, (i + 1) * batch_size)
            loss_fn(model(x[batch]), y[batch])
            optimizer.zero_grad()
            model.backward(loss_fn.backward())
            optimizer.step()

    return run


def torch_runner(model, x, y, batch_size, optimizer_name):
    loss_fn = torch.nn.CrossEntropyLoss()
    if optimizer_name == "adam":
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    else:
        optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)

    def run(steps):
        for i in range(steps):
            batch = slice(i * batch_size, (i + 1) * batch_size)
            loss = loss_fn(model(xt[batch]), yt[batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()

    return run


def profile(model: nn.Sequential, x: np.ndarray, y: np.ndarray, repeats: int = 30) -> None:
    """Median forward and backward time of each layer of ``model`` on one batch."""
    loss_fn = nn.CrossEntropyLoss()
    forward = {i: [] for i in range(len(model))}
    backward = {i: [] for i in range(len(model))}
    for _ in range(repeats):
        h = x
        for i, layer in enumerate(model):
            start = time.perf_counter()
            h = layer(h)
            forward[i].append(time.perf_counter() - start)
        loss_fn(h, y)
        g = loss_fn.backward()
        for i in reversed(range(len(model))):
            start = time.perf_counter()
            g = model[i].backward(g)
            backward[i].append(time.perf_counter() - start)
    print(f"\n{'minitorch layer':<44}{'forward':>10}{'backward':>10}   (µs, median)")
    for i, layer in enumerate(model):
        f, b = statistics.median(forward[i]) * 1e6, statistics.median(backward[i]) * 1e6
        print(f"{i:>2} {layer!r:<41.41}{f:>10.0f}{b:>10.0f}")


def worker(framework: str, name: str, args, connection) -> None:
    """Build one framework's copy of the model; run a round of steps whenever asked."""
    c1, c2, batchnorm, hidden, optimizer_name = MODELS[name]
    minitorch.manual_seed(0)  # the same initial weights in both workers
    x, y = make_data(args.batch_size, args.steps)
    model = minitorch_cnn(c1, c2, batchnorm, hidden)
    if framework == "PyTorch":
        torch.set_num_threads(args.threads)
        run = torch_runner(torch_copy(model), x, y, args.batch_size, optimizer_name)
    else:
        run = minitorch_runner(model, x, y, args.batch_size, optimizer_name)
    run(args.steps)  # warm-up: first-touch allocations, optimizer state
    connection.send("ready")
    while connection.recv() == "run":
        start = time.perf_counter()
        run(args.steps)
        connection.send((time.perf_counter() - start) / args.steps * 1e3)
    if framework == "minitorch" and args.profile:
        profile(model, x[: args.batch_size], y[: args.batch_size])
    connection.send("done")


def compare(name: str, args, frameworks: list[str]) -> None:
    context = multiprocessing.get_context("spawn")
    workers = {}
    for framework in frameworks:
        ours, theirs = context.Pipe()
        process = context.Process(target=worker, args=(framework, name, args, theirs))
        process.start()
        workers[framework] = (process, ours)
    for _, connection in workers.values():
        assert connection.recv() == "ready"
    times = {framework: [] for framework in workers}
    for _ in range(args.rounds):
        for framework, (_, connection) in workers.items():  # one at a time, in turn
            time.sleep(args.pause)  # the other's thread pool falls asleep
            connection.send("run")
            times[framework].append(connection.recv())
    c1, c2, batchnorm, hidden, optimizer_name = MODELS[name]
    norm = ", BatchNorm2d" if batchnorm else ""
    print(
        f"\n{name}: channels {c1}/{c2}{norm}, hidden {hidden}, {optimizer_name}, "
        f"batch {args.batch_size}, float32"
    )
    print(f"{'':<12}{'ms/step':>10}{'min':>8}{'max':>8}")
    for framework, t in times.items():
        print(f"{framework:<12}{statistics.median(t):>10.2f}{min(t):>8.2f}{max(t):>8.2f}")
    if "PyTorch" in times:
        ratio = statistics.median(times["PyTorch"]) / statistics.median(times["minitorch"])
        per_round = [a / b for a, b in zip(times["PyTorch"], times["minitorch"], strict=True)]
        print(
            f"speed ratio PyTorch time / minitorch time: {ratio:.2f} (median of the per-round "
            f"ratios {statistics.median(per_round):.2f}; 1.0 = as fast as PyTorch)"
        )
    for process, connection in workers.values():
        connection.send("stop")
        connection.recv()  # the profile, if asked, is printed before "done"
        process.join()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", choices=sorted(MODELS), default=list(MODELS))
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--threads", type=int, default=2, help="PyTorch's threads (default 2)")
    parser.add_argument("--pause", type=float, default=0.3, help="seconds between turns")
    parser.add_argument("--profile", action="store_true", help="minitorch's time per layer")
    args = parser.parse_args()
    frameworks = ["minitorch"] if torch is None else ["PyTorch", "minitorch"]
    print(f"PyTorch threads: {args.threads}; each framework in its own process")
    for name in args.models:
        compare(name, args, frameworks)


if __name__ == "__main__":
    main()
