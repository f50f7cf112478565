"""Speed of data-parallel training on this machine (a report, never a test).

    python benchmarks/bench_ddp.py [--steps 30] [--warmup 5] [--models gpt cnn]
    python tests/mpi/bench_ddp.py ...        (the same; benchmarks/bench_ddp.py is its front end)

For each model it runs three configurations of the same global batch and prints a table:
one process with two BLAS threads, one process with one, and ``mpiexec -n 2`` with one BLAS
thread each (B/2 samples per process, the gradients averaged by one all-reduce per step).
Columns: samples per second, the step's median time, the all-reduce's median time per step and
its share of the step, the transfer alone, and the bytes all-reduced per step. The all-reduce
in the step includes the wait for the slower process (on a shared machine the two rarely
finish their backward at the same moment); "transfer alone" times the same all-reduce again
right after a barrier, the cost of moving the bytes.

* gpt: the GPT recipe (n_layer 4, n_head 4, n_embd 128, block 64, tied, batch 12 windows of
  Tiny Shakespeare, AdamW), float32.
* cnn: examples/cnn_mnist.py's LeNet with batch norm (as SyncBatchNorm, so that two processes
  compute what one does), batch 64 images of the bundled MNIST subset, Adam, float32.

The data is real (text windows, digits), so the numbers stay normal floats; each worker draws
the same batches in every configuration.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def worker(model_name: str, steps: int, warmup: int) -> None:
    import numpy as np

    import minitorch
    import minitorch.distributed as dist
    from minitorch import nn, optim
    from minitorch.models import GPT

    dist.init()
    minitorch.manual_seed(0)
    rng = np.random.default_rng(0)
    if model_name == "gpt":
        model, batch = GPT(65, 64, 4, 4, 128, tie_weights=True, bias=False), 12
        optimizer = optim.AdamW(model, lr=1e-3, betas=(0.9, 0.99), weight_decay=0.1)

        from minitorch.cli._setup import TEXT_DATASETS

        text = TEXT_DATASETS["shakespeare"].source(train=True)

        def data():
            return text.get_batch(batch, 64, generator=rng)

        def forward_backward(x, y):
            model(x, y)
            model.backward()
    else:
        spec = importlib.util.spec_from_file_location("cnn_mnist", ROOT / "examples/cnn_mnist.py")
        example = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(example)
        model, batch = nn.SyncBatchNorm.convert_sync_batchnorm(example.lenet()), 64
        optimizer, criterion = optim.Adam(model, lr=2e-3), nn.CrossEntropyLoss()

        from minitorch.datasets import get_dataset

        images, labels = get_dataset("mnist5k", flatten=False)[0].tensors
        mean, std = float(images.mean()), float(images.std())
        images = ((images - mean) / std).astype(np.float32)

        def data():
            rows = rng.integers(0, len(labels), batch)
            return images[rows], labels[rows]

        def forward_backward(x, y):
            criterion(model(x), y)
            model.backward(criterion.backward())

    dist.broadcast_parameters(model)
    step_times, reduce_times, transfer_times = [], [], []
    for step in range(warmup + steps):
        x, y = dist.shard(*data())
        dist.barrier()  # every step starts together: the all-reduce then times the imbalance
        start = time.perf_counter()
        optimizer.zero_grad()
        forward_backward(x, y)
        t = time.perf_counter()
        dist.all_reduce_gradients(model)
        reduced = time.perf_counter() - t
        optimizer.step()
        if step >= warmup:
            step_times.append(time.perf_counter() - start)
            reduce_times.append(reduced)
            # The transfer alone: the same all-reduce again, both processes synchronised
            # first; the mean of equal gradients is the gradients, (g + g) / 2 = g exactly.
            dist.barrier()
            t = time.perf_counter()
            dist.all_reduce_gradients(model)
            transfer_times.append(time.perf_counter() - t)
    step, reduce = statistics.median(step_times), statistics.median(reduce_times)
    if dist.is_main_process():
        print(json.dumps({
            "samples_per_s": batch / step, "step_ms": 1000 * step, "reduce_ms": 1000 * reduce,
            "share": reduce / step,
            "transfer_ms": 1000 * statistics.median(transfer_times),
            "bytes": 4 * sum(p.size for p in model.parameters()),
        }), flush=True)


def add_options(parser: argparse.ArgumentParser) -> None:
    """The options of the report (here and in benchmarks/bench_ddp.py)."""
    parser.add_argument("--steps", type=int, default=30, help="timed steps (default 30)")
    parser.add_argument("--warmup", type=int, default=5, help="untimed first steps (default 5)")
    parser.add_argument("--models", nargs="+", default=["gpt", "cnn"], choices=["gpt", "cnn"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_options(parser)
    parser.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker, args.steps, args.warmup)
        return
    report(args)


def report(args: argparse.Namespace) -> None:
    """Run the three configurations of each model and print the table (markdown)."""
    mpiexec = str(Path(sys.executable).parent / "mpiexec")
    configurations = [
        ("1 process, 2 BLAS threads", [], "2"),
        ("1 process, 1 BLAS thread", [], "1"),
        ("2 processes, 1 BLAS thread each", [mpiexec, "-n", "2"], "1"),
    ]
    print("| model | configuration | samples/s | step (ms) | all-reduce (ms) | share "
          "| transfer alone (ms) | bytes |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for name in args.models:
        for label, launcher, threads in configurations:
            env = {**os.environ, "OPENBLAS_NUM_THREADS": threads, "OMP_NUM_THREADS": threads}
            command = [*launcher, sys.executable, __file__, "--worker", name,
                       "--steps", str(args.steps), "--warmup", str(args.warmup)]
            out = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
            if out.returncode != 0:  # a report, never a failure: say what went wrong
                print(f"| {name} | {label} | failed: {out.stderr.strip()[-200:]} |", flush=True)
                continue
            r = json.loads(out.stdout.strip().splitlines()[-1])
            print(f"| {name} | {label} | {r['samples_per_s']:.1f} | {r['step_ms']:.1f} | "
                  f"{r['reduce_ms']:.2f} | {100 * r['share']:.1f}% | {r['transfer_ms']:.2f} | "
                  f"{r['bytes']:,} |", flush=True)


if __name__ == "__main__":
    main()
