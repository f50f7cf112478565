"""Training speed of minitorch against PyTorch on the MLPs students train (reports, never fails).

    python benchmarks/bench_mlp.py [--repeats 7]

For each model both frameworks train the same architecture in float32 on the same data, with the
same batch size and optimizer, for one epoch; the table gives the median epoch time over the
repeats and the ratio minitorch / PyTorch (below 1: minitorch is faster). As PyTorch does for data
that does not require grad, minitorch's first layer skips the input gradient
(``needs_input_grad = False``). Needs torch==2.13.0.
"""

from __future__ import annotations

import argparse
import statistics
import time
from itertools import pairwise

import torch

import minitorch
from minitorch import nn, optim
from minitorch.datasets import Digits, MNIST5k, make_spiral
from minitorch.utils.data import DataLoader, TensorDataset

torch.set_num_threads(2)  # the machines students and CI use have two cores


def minitorch_epoch(sizes, x, y, batch_size, optimizer_name):
    layers = []
    for d_in, d_out in pairwise(sizes):
        layers += [nn.Linear(d_in, d_out), nn.ReLU()]
    model = nn.Sequential(layers[:-1])
    # PyTorch computes no gradient for the data; tell the first layer the same.
    model[0].needs_input_grad = False
    loss_fn = nn.CrossEntropyLoss()
    optimizer = (
        optim.Adam(model, lr=1e-3)
        if optimizer_name == "adam"
        else optim.SGD(model, lr=0.05, momentum=0.9)
    )
    loader = DataLoader(TensorDataset(x, y), batch_size=batch_size, shuffle=True)

    def run():
        for xb, yb in loader:
            loss_fn(model(xb), yb)
            optimizer.zero_grad()
            model.backward(loss_fn.backward())
            optimizer.step()

    return run


def torch_epoch(sizes, x, y, batch_size, optimizer_name):
    layers = []
    for d_in, d_out in pairwise(sizes):
        layers += [torch.nn.Linear(d_in, d_out), torch.nn.ReLU()]
    model = torch.nn.Sequential(*layers[:-1])
    loss_fn = torch.nn.CrossEntropyLoss()
    optimizer = (
        torch.optim.Adam(model.parameters(), lr=1e-3)
        if optimizer_name == "adam"
        else (torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9))
    )
    loader = torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(torch.from_numpy(x), torch.from_numpy(y)),
        batch_size=batch_size,
        shuffle=True,
    )

    def run():
        for xb, yb in loader:
            loss = loss_fn(model(xb), yb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()

    return run


def median_time(run, repeats):
    run()  # warm-up: first-touch allocations, lazy optimizer state
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    minitorch.manual_seed(0)
    torch.manual_seed(0)
    mnist = MNIST5k(train=True, flatten=True)
    mnist_x, mnist_y = mnist.tensors
    spiral_x, spiral_y = make_spiral(n_samples=3000, n_classes=3, seed=0)
    digits_x, digits_y = Digits(train=True, flatten=True).tensors
    cases = [
        (
            "digits 64-256-128-10, batch 32, Adam",
            [64, 256, 128, 10],
            digits_x,
            digits_y,
            32,
            "adam",
        ),
        ("spiral 2-64-64-3, batch 32, Adam", [2, 64, 64, 3], spiral_x, spiral_y, 32, "adam"),
        ("MNIST 784-128-10, batch 64, SGD", [784, 128, 10], mnist_x, mnist_y, 64, "sgd"),
        (
            "MNIST 784-256-128-10, batch 128, Adam",
            [784, 256, 128, 10],
            mnist_x,
            mnist_y,
            128,
            "adam",
        ),
        (
            "MNIST 784-512-512-10, batch 256, Adam",
            [784, 512, 512, 10],
            mnist_x,
            mnist_y,
            256,
            "adam",
        ),
    ]
    print(f"{'model':<42}{'minitorch':>12}{'PyTorch':>12}{'ratio':>8}")
    for name, sizes, x, y, batch_size, optimizer_name in cases:
        ours = median_time(minitorch_epoch(sizes, x, y, batch_size, optimizer_name), args.repeats)
        theirs = median_time(torch_epoch(sizes, x, y, batch_size, optimizer_name), args.repeats)
        print(f"{name:<42}{ours * 1e3:>10.1f}ms{theirs * 1e3:>10.1f}ms{ours / theirs:>8.2f}")


if __name__ == "__main__":
    main()
