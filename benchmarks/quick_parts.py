"""The quick timings of one part of training alone that the scripts ``bench_optim.py`` and
``bench_loss.py`` run (each script's docstring says what it measures): the optimizers'
``step()``, the losses' forward and backward. They report; they never fail. (The DataLoader's
epoch, ``bench_dataloader.py``, is in ``quick_dataloader.py``, which imports no torch before
minitorch's timings.)
"""

from __future__ import annotations

import statistics
import time
import timeit
from collections.abc import Callable

import networks as N
import numpy as np

from minitorch import nn, optim
from minitorch.nn import functional as F

torch = N.torch


# ---------------------------------------------------------------------- optimizers (bench_optim)
TINY_BATCH = 200  # steps per timing of the tiny model, whose step takes microseconds

# (label, minitorch factory, torch factory)
OPTIMIZERS: list[tuple[str, Callable, Callable]] = [
    (
        "SGD(momentum=0.9)",
        lambda m: optim.SGD(m, lr=0.01, momentum=0.9),
        lambda p: torch.optim.SGD(p, lr=0.01, momentum=0.9),
    ),
    ("Adam", lambda m: optim.Adam(m, lr=1e-3), lambda p: torch.optim.Adam(p, lr=1e-3)),
    (
        "AdamW(weight_decay=0.01)",
        lambda m: optim.AdamW(m, lr=1e-3),
        lambda p: torch.optim.AdamW(p, lr=1e-3),
    ),
]


def run_optimizers(args) -> None:
    """Each optimizer's step on the 1M-parameter model and on a tiny one, minitorch and torch."""
    if torch is not None:
        print(f"torch {torch.__version__}")
    time_table("model", N.OPTIM_SIZES, args.repeats, batch=1)
    print()
    tiny = f"tiny model (mean of {TINY_BATCH} steps)"
    time_table(tiny, N.OPTIM_TINY_SIZES, args.repeats, TINY_BATCH)
    if args.numexpr:
        print()
        numexpr_experiment(args.repeats)


def median_step_time(
    step: Callable[[], None], repeats: int, warmup: int = 3, batch: int = 1
) -> float:
    """The median over ``repeats`` timings of the mean time of ``batch`` calls of ``step``."""
    for _ in range(warmup * batch):
        step()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(batch):
            step()
        times.append((time.perf_counter() - start) / batch)
    return statistics.median(times)


def time_table(title: str, sizes: list[tuple[int, int]], repeats: int, batch: int) -> None:
    """Print one table: each optimizer's step on the model of ``sizes``, minitorch and torch."""
    unit, scale = ("ms", 1e3) if batch == 1 else ("us", 1e6)
    count = N.optim_model(sizes).num_parameters()
    print(f"{title}: Linear {sizes}, {count:,} float32 parameters; median of {repeats} timings")
    header = f"{'optimizer':26s} {'minitorch':>10s}"
    thread_counts: list[int] = []
    if torch is not None:
        thread_counts = sorted({torch.get_num_threads(), 1}, reverse=True)
        for threads in thread_counts:
            header += f" {f'torch ({threads} thr)':>15s} {'ratio':>6s}"
    print(header)
    all_threads = torch.get_num_threads() if torch is not None else 1
    for label, ours, theirs in OPTIMIZERS:
        ours_time = median_step_time(ours(N.optim_model(sizes)).step, repeats, batch=batch)
        line = f"{label:26s} {ours_time * scale:7.2f} {unit}"
        for threads in thread_counts:
            torch.set_num_threads(threads)
            torch_optimizer = theirs(N.optim_torch_params(sizes))
            with torch.no_grad():
                theirs_time = median_step_time(torch_optimizer.step, repeats, batch=batch)
            line += f" {theirs_time * scale:12.2f} {unit} {ours_time / theirs_time:6.2f}"
        if torch is not None:
            torch.set_num_threads(all_threads)
        print(line)


class NumexprAdam:
    """Adam (defaults, lr=1e-3) with each in-place update one numexpr expression."""

    def __init__(self, model: nn.Module, lr: float = 1e-3) -> None:
        self.model, self.lr, self.t = model, lr, 0
        self.moments = [(np.zeros_like(p), np.zeros_like(p)) for p in model.parameters()]

    def step(self) -> None:
        import numexpr

        self.t += 1
        beta1, beta2, f32 = 0.9, 0.999, np.float32
        constants = {
            "w1": f32(1 - beta1),
            "b2": f32(beta2),
            "w2": f32(1 - beta2),
            "step_size": f32(-(self.lr / (1 - beta1**self.t))),
            "bc2": f32((1 - beta2**self.t) ** 0.5),
            "eps": f32(1e-8),
        }
        params, grads = self.model.parameters(), self.model.grads()
        for p, g, (m, v) in zip(params, grads, self.moments, strict=True):
            arrays = {"p": p, "g": g, "m": m, "v": v, **constants}
            numexpr.evaluate("m + w1 * (g - m)", local_dict=arrays, out=m)
            numexpr.evaluate("b2 * v + (w2 * g) * g", local_dict=arrays, out=v)
            numexpr.evaluate(
                "p + (step_size * m) / (sqrt(v) / bc2 + eps)", local_dict=arrays, out=p
            )


def numexpr_experiment(repeats: int) -> None:
    try:
        import numexpr
    except ImportError:
        print("numexpr is not installed: pip install numexpr")
        return
    print(f"numexpr {numexpr.__version__}: Adam on the model above, median of {repeats} steps")
    ours, theirs = N.optim_model(), N.optim_model()
    ours_optimizer, theirs_optimizer = optim.Adam(ours, lr=1e-3), NumexprAdam(theirs)
    for _ in range(5):
        ours_optimizer.step()
        theirs_optimizer.step()
    same = all(
        np.array_equal(a, b) for a, b in zip(ours.parameters(), theirs.parameters(), strict=True)
    )
    print(f"bit-identical to minitorch.optim.Adam after 5 steps: {same}")
    numpy_time = median_step_time(optim.Adam(N.optim_model(), lr=1e-3).step, repeats)
    line = f"minitorch (NumPy, chunked) {numpy_time * 1e3:.2f} ms"
    threads_before = numexpr.set_num_threads(1)
    for threads in (1, 2):
        numexpr.set_num_threads(threads)
        numexpr_time = median_step_time(NumexprAdam(N.optim_model()).step, repeats)
        line += f"   numexpr ({threads} thr) {numexpr_time * 1e3:.2f} ms"
        line += f" (x{numexpr_time / numpy_time:.2f})"
    numexpr.set_num_threads(threads_before)
    print(line)


# ---------------------------------------------------------------------- losses (bench_loss)
def run_losses() -> None:
    """Cross-entropy at several sizes and the element-wise losses, forward + backward."""
    if torch is not None:
        torch.set_num_threads(1)  # a reference, not a target
    print("CrossEntropyLoss forward + backward, float32, class indices (µs, best of 7)")
    for n, c in [(64, 10), (256, 10), (512, 1000), (4096, 10), (128, 50_000)]:
        times = time_cross_entropy(n, c)
        row = "  ".join(f"{name} {t:9.1f}" for name, t in times.items())
        print(f"  N={n:5d} C={c:6d}  {row}")
    print("Element-wise losses forward + backward, float32, (1024, 256) (µs, best of 7)")
    for name, t in time_elementwise_losses(1024, 256).items():
        print(f"  {name:18s} {t:9.1f}")


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


def time_cross_entropy(n: int, c: int, dtype=np.float32) -> dict[str, float]:
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


def time_elementwise_losses(n: int, d: int, dtype=np.float32) -> dict[str, float]:
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
