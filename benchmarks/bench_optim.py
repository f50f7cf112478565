"""Time ``optimizer.step()`` of minitorch against torch.optim on a ~1M-parameter float32 model.

    python benchmarks/bench_optim.py [--repeats 30]

The model is two Linear layers, 784 -> 1024 -> 256 (1,066,240 float32 parameters), with fixed
random gradients. For each optimizer the script reports the median time of one ``step()`` over
``--repeats`` runs (after a warm-up) for minitorch and for torch.optim with the same settings
(its default, single-tensor implementation on CPU), and their ratio (minitorch / torch: below 1
means minitorch is faster). torch is timed twice: with all its threads, and with one thread,
like NumPy's element-wise operations. A second table times the step of a student-sized MLP,
64 -> 32 -> 10 (2,410 parameters), where the per-step bookkeeping (walking the modules,
checking the parameters) rather than the arithmetic sets the time; each of its timings is the
mean over a batch of 200 steps. It reports; it never fails. Without torch installed it times
minitorch alone.

``--numexpr`` adds the experiment behind dropping numexpr from the dependencies: Adam's update
written as three ``numexpr.evaluate`` expressions (float32 constants, so it computes in float32
like minitorch), timed with 1 and 2 numexpr threads against minitorch's chunked NumPy path on
the same model, and checked bit for bit against minitorch's result after 5 steps.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import numpy as np

import minitorch
from minitorch import nn, optim

try:
    import torch
except ImportError:  # pragma: no cover - depends on the environment
    torch = None

SIZES = [(784, 1024), (1024, 256)]
TINY_SIZES = [(64, 32), (32, 10)]
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


def minitorch_model(sizes: list[tuple[int, int]] = SIZES) -> nn.Sequential:
    minitorch.manual_seed(0)
    model = nn.Sequential(*(nn.Linear(i, o) for i, o in sizes))
    rng = np.random.default_rng(0)
    for layer in model:
        layer.dW = rng.standard_normal(layer.W.shape).astype(np.float32)
        layer.db = rng.standard_normal(layer.b.shape).astype(np.float32)
    return model


def torch_params(sizes: list[tuple[int, int]] = SIZES) -> list:
    generator = torch.Generator().manual_seed(0)
    params = []
    for i, o in sizes:
        for shape in ((o, i), (o,)):
            p = torch.randn(shape, generator=generator, dtype=torch.float32).requires_grad_()
            p.grad = torch.randn(shape, generator=generator, dtype=torch.float32)
            params.append(p)
    return params


def time_table(title: str, sizes: list[tuple[int, int]], repeats: int, batch: int) -> None:
    """Print one table: each optimizer's step on the model of ``sizes``, minitorch and torch."""
    unit, scale = ("ms", 1e3) if batch == 1 else ("us", 1e6)
    count = minitorch_model(sizes).num_parameters()
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
        ours_time = median_step_time(ours(minitorch_model(sizes)).step, repeats, batch=batch)
        line = f"{label:26s} {ours_time * scale:7.2f} {unit}"
        for threads in thread_counts:
            torch.set_num_threads(threads)
            torch_optimizer = theirs(torch_params(sizes))
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
    ours, theirs = minitorch_model(), minitorch_model()
    ours_optimizer, theirs_optimizer = optim.Adam(ours, lr=1e-3), NumexprAdam(theirs)
    for _ in range(5):
        ours_optimizer.step()
        theirs_optimizer.step()
    same = all(
        np.array_equal(a, b) for a, b in zip(ours.parameters(), theirs.parameters(), strict=True)
    )
    print(f"bit-identical to minitorch.optim.Adam after 5 steps: {same}")
    numpy_time = median_step_time(optim.Adam(minitorch_model(), lr=1e-3).step, repeats)
    line = f"minitorch (NumPy, chunked) {numpy_time * 1e3:.2f} ms"
    threads_before = numexpr.set_num_threads(1)
    for threads in (1, 2):
        numexpr.set_num_threads(threads)
        numexpr_time = median_step_time(NumexprAdam(minitorch_model()).step, repeats)
        line += f"   numexpr ({threads} thr) {numexpr_time * 1e3:.2f} ms"
        line += f" (x{numexpr_time / numpy_time:.2f})"
    numexpr.set_num_threads(threads_before)
    print(line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--numexpr", action="store_true", help="also time Adam with numexpr")
    args = parser.parse_args()
    if torch is not None:
        print(f"torch {torch.__version__}")
    time_table("model", SIZES, args.repeats, batch=1)
    print()
    time_table(f"tiny model (mean of {TINY_BATCH} steps)", TINY_SIZES, args.repeats, TINY_BATCH)
    if args.numexpr:
        print()
        numexpr_experiment(args.repeats)


if __name__ == "__main__":
    main()
