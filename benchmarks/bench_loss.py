"""Timing of the losses' forward + backward, the last step of every training iteration.

    python benchmarks/bench_loss.py

CrossEntropyLoss with class indices is the hot path of every classifier. It is timed against a
textbook NumPy version that builds a one-hot matrix (what the vectorised minitorch version
avoids) and, when torch is installed, against torch on one thread (a reference, not a target).
"""

from __future__ import annotations

import timeit

import numpy as np

from minitorch import nn
from minitorch.nn import functional as F

try:
    import torch

    torch.set_num_threads(1)
except ImportError:  # pragma: no cover - torch is optional here
    torch = None


def best_of(fn, repeat: int = 7) -> float:
    """Best time of one call, in microseconds (the best run is the least disturbed one)."""
    number = max(1, int(0.05 / max(timeit.timeit(fn, number=1), 1e-7)))
    return min(timeit.repeat(fn, number=number, repeat=repeat)) / number * 1e6


def one_hot_cross_entropy(logits: np.ndarray, targets: np.ndarray):
    """The textbook version: softmax, a one-hot matrix, (p − onehot) / N."""
    probs = F.softmax(logits, dim=1)
    one_hot = np.zeros_like(logits)
    one_hot[np.arange(len(targets)), targets] = 1
    loss = -np.sum(one_hot * np.log(probs + 1e-12)) / len(targets)
    return loss, (probs - one_hot) / len(targets)


def bench_cross_entropy(n: int, c: int, dtype=np.float32) -> dict[str, float]:
    rng = np.random.default_rng(0)
    logits = rng.standard_normal((n, c)).astype(dtype)
    targets = rng.integers(0, c, n)
    loss_fn = nn.CrossEntropyLoss()

    def ours():
        loss_fn(logits, targets)
        return loss_fn.backward()

    smoothed = nn.CrossEntropyLoss(label_smoothing=0.1)

    def ours_smoothed():
        smoothed(logits, targets)
        return smoothed.backward()

    times = {
        "minitorch": best_of(ours),
        "minitorch ls=0.1": best_of(ours_smoothed),
        "one-hot NumPy": best_of(lambda: one_hot_cross_entropy(logits, targets)),
    }
    if torch is not None:
        x = torch.from_numpy(logits).requires_grad_(True)
        t = torch.from_numpy(targets)

        def reference():
            x.grad = None
            torch.nn.functional.cross_entropy(x, t).backward()

        times["torch (1 thread)"] = best_of(reference)
    return times


def bench_elementwise(n: int, d: int, dtype=np.float32) -> dict[str, float]:
    rng = np.random.default_rng(1)
    x = rng.standard_normal((n, d)).astype(dtype)
    y = rng.uniform(size=(n, d)).astype(dtype)
    p = rng.uniform(0.01, 0.99, size=(n, d)).astype(dtype)
    times = {}
    for name, loss_fn, predictions in [
        ("MSELoss", nn.MSELoss(), x),
        ("HuberLoss", nn.HuberLoss(), x),
        ("BCELoss", nn.BCELoss(), p),
        ("BCEWithLogitsLoss", nn.BCEWithLogitsLoss(), x),
    ]:

        def step(loss_fn=loss_fn, predictions=predictions):
            loss_fn(predictions, y)
            return loss_fn.backward()

        times[name] = best_of(step)
    return times


def main() -> None:
    print("CrossEntropyLoss forward + backward, float32, class indices (µs, best of 7)")
    for n, c in [(64, 10), (256, 10), (512, 1000), (4096, 10), (128, 50_000)]:
        times = bench_cross_entropy(n, c)
        row = "  ".join(f"{name} {t:9.1f}" for name, t in times.items())
        print(f"  N={n:5d} C={c:6d}  {row}")
    print("Element-wise losses forward + backward, float32, (1024, 256) (µs, best of 7)")
    for name, t in bench_elementwise(1024, 256).items():
        print(f"  {name:18s} {t:9.1f}")


if __name__ == "__main__":
    main()
