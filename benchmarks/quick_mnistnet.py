"""pytorch/examples' MNIST network for bench_cnn.py: each framework's copy and loop, the timing
workers taking turns, and the peak-memory workers (one fresh process each)."""

from __future__ import annotations

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
