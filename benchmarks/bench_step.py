"""One training step of the MLP 784-512-256-10 (SGD, momentum 0.9): minitorch against hand-written
NumPy doing the same math and against PyTorch, interleaved in one run (reports, never fails).

    python benchmarks/bench_step.py [--batch-sizes 32 128 512] [--repeats 9]

Each framework trains the same network in float32 on the same MNIST-like data (inputs in
[0, 1], labels from a fixed random linear teacher, so the network learns and its momentum holds
no subnormal floats), from the same initial weights. A round times 50 steps of each framework in
turn; the table gives the median time per step over the rounds and the ratios. The NumPy
reference is the floor for "NumPy doing only the necessary work": it writes each gradient once,
computes no input gradient for the data and updates in place.
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import time

import numpy as np

import minitorch
from minitorch import nn, optim

try:
    import torch

    torch.set_num_threads(2)  # the machines students and CI use have two cores
except ImportError:  # pragma: no cover
    torch = None

SIZES = (784, 512, 256, 10)
LR, MOMENTUM = 0.01, 0.9


def make_data(batch_size: int, steps: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    x = rng.random((batch_size * steps, SIZES[0]), dtype=np.float32)
    teacher = rng.standard_normal((SIZES[0], SIZES[-1])).astype(np.float32)
    y = (x @ teacher).argmax(axis=1)
    return x, y


def initial_weights(seed: int = 0):
    rng = np.random.default_rng(seed)
    return [
        (rng.standard_normal((i, o)).astype(np.float32) * np.float32(np.sqrt(2 / i)),
         np.zeros((1, o), np.float32))
        for i, o in itertools.pairwise(SIZES)
    ]  # fmt: skip


def minitorch_runner(x, y, batch_size, weights):
    layers = []
    for W, b in weights:
        linear = nn.Linear(*W.shape)
        linear.W[...], linear.b[...] = W, b
        layers += [linear, nn.ReLU()]
    model = nn.Sequential(layers[:-1])
    model.needs_input_grad = False  # the standard loop's habit: the input is data
    loss_fn = nn.CrossEntropyLoss()
    optimizer = optim.SGD(model, lr=LR, momentum=MOMENTUM)

    def run(steps):
        for i in range(steps):
            xb, yb = (
                x[i * batch_size : (i + 1) * batch_size],
                y[i * batch_size : (i + 1) * batch_size],
            )
            loss_fn(model(xb), yb)
            optimizer.zero_grad()
            model.backward(loss_fn.backward())
            optimizer.step()

    return run


def numpy_runner(x, y, batch_size, weights):
    params = [(W.copy(), b.copy()) for W, b in weights]
    buffers = None

    def run(steps):
        nonlocal buffers
        for i in range(steps):
            xb, yb = (
                x[i * batch_size : (i + 1) * batch_size],
                y[i * batch_size : (i + 1) * batch_size],
            )
            hs = [xb]
            for k, (W, b) in enumerate(params):
                h = hs[-1] @ W
                h += b
                if k < len(params) - 1:
                    np.maximum(h, 0, out=h)
                hs.append(h)
            logits = hs[-1]
            shifted = logits - logits.max(axis=1, keepdims=True)
            probs = np.exp(shifted)
            probs /= probs.sum(axis=1, keepdims=True)
            probs[np.arange(len(yb)), yb] -= 1
            g = probs / np.float32(len(yb))
            grads = []
            for k in range(len(params) - 1, -1, -1):
                W, _ = params[k]
                grads.append((hs[k].T @ g, g.sum(axis=0, keepdims=True)))
                if k > 0:
                    g = g @ W.T
                    g *= hs[k] > 0
            grads.reverse()
            if buffers is None:
                buffers = [(dW.copy(), db.copy()) for dW, db in grads]
            else:
                for (bW, bb), (dW, db) in zip(buffers, grads, strict=True):
                    bW *= MOMENTUM
                    bW += dW
                    bb *= MOMENTUM
                    bb += db
            for (W, b), (bW, bb) in zip(params, buffers, strict=True):
                W -= LR * bW
                b -= LR * bb

    return run


def torch_runner(x, y, batch_size, weights):
    layers = []
    for W, b in weights:
        linear = torch.nn.Linear(*W.shape)
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(W.T.copy()))
            linear.bias.copy_(torch.from_numpy(b[0]))
        layers += [linear, torch.nn.ReLU()]
    model = torch.nn.Sequential(*layers[:-1])
    loss_fn = torch.nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)

    def run(steps):
        for i in range(steps):
            xb, yb = (
                xt[i * batch_size : (i + 1) * batch_size],
                yt[i * batch_size : (i + 1) * batch_size],
            )
            loss = loss_fn(model(xb), yb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()

    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[32, 128, 512])
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--steps", type=int, default=50)
    args = parser.parse_args()
    minitorch.manual_seed(0)
    print(f"MLP {'-'.join(map(str, SIZES))}, SGD momentum {MOMENTUM}, float32; µs per step")
    print(
        f"{'batch':>6}{'minitorch':>12}{'NumPy':>10}{'PyTorch':>10}{'vs NumPy':>10}{'vs torch':>10}"
    )
    for batch_size in args.batch_sizes:
        x, y = make_data(batch_size, args.steps)
        weights = initial_weights()
        runners = {"minitorch": minitorch_runner(x, y, batch_size, weights),
                   "numpy": numpy_runner(x, y, batch_size, weights)}  # fmt: skip
        if torch is not None:
            runners["torch"] = torch_runner(x, y, batch_size, weights)
        times = {name: [] for name in runners}
        for run in runners.values():
            run(args.steps)  # warm-up
        for _ in range(args.repeats):
            for name, run in runners.items():  # interleaved: a disturbance hits all alike
                start = time.perf_counter()
                run(args.steps)
                times[name].append((time.perf_counter() - start) / args.steps * 1e6)
        med = {name: statistics.median(t) for name, t in times.items()}
        theirs = med.get("torch", float("nan"))
        print(
            f"{batch_size:>6}{med['minitorch']:>12.0f}{med['numpy']:>10.0f}{theirs:>10.0f}"
            f"{med['numpy'] / med['minitorch']:>10.2f}{theirs / med['minitorch']:>10.2f}"
        )
    print("ratios are throughput: above 1, minitorch is faster")


if __name__ == "__main__":
    main()
