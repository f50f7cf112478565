"""pytorch/examples' MNIST network for bench_cnn.py: each framework's copy and loop, the timing
workers taking turns, and the peak-memory workers (one fresh process each)."""

from __future__ import annotations

import multiprocessing
import os
import statistics

import harness
import networks as N
import quick_steps

import minitorch

torch = N.torch  # None without torch (or in a worker left without it)

def _mnistnet_runner(framework: str, threads: int, x, y, batch_size: int):
    """One framework's copy of the MNIST network (the same initial weights), and its loop:
    LogSoftmax + NLL and Adadelta lr 1.0, as pytorch/examples trains it."""
    minitorch.manual_seed(0)
    model = N.minitorch_mnistnet()
    if framework == "minitorch":
        return quick_steps._minitorch_cnn_runner(model, x, y, batch_size, "adadelta", "nll")
    torch.set_num_threads(threads)
    theirs = N.torch_cnn(model)
    return quick_steps._torch_cnn_runner(theirs, x, y, batch_size, "adadelta", "nll")


def mnistnet_worker(framework: str, args, connection) -> None:
    x, y = quick_steps.cnn_data(args.batch_size, args.steps)
    run = _mnistnet_runner(framework, args.threads, x, y, args.batch_size)
    quick_steps.serve_rounds(run, args.steps, connection)
    connection.send("done")


def mnistnet_memory_worker(framework: str, args, connection) -> None:
    """A fresh process: VmHWM growth over the resident set after one warm-up step, and the
    whole process's high-water mark (minitorch's without torch imported)."""
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
    workers = quick_steps.start_workers(mnistnet_worker, frameworks, (args,))
    times = quick_steps.take_turns(workers, args.rounds, args.pause)
    quick_steps.stop_workers(workers)
    print(f"\nmnistnet: pytorch/examples' MNIST network, Adadelta, batch {args.batch_size}")
    print(f"{'':<12}{'ms/step':>10}{'min':>8}{'max':>8}")
    for framework, t in times.items():
        print(f"{framework:<12}{statistics.median(t):>10.2f}{min(t):>8.2f}{max(t):>8.2f}")
    if "PyTorch" in times:
        ratio = statistics.median(times["PyTorch"]) / statistics.median(times["minitorch"])
        print(f"speed ratio PyTorch time / minitorch time: {ratio:.2f} (1.0 = as fast as PyTorch)")
    context = multiprocessing.get_context("spawn")
    memory = {}
    for framework in frameworks:  # one fresh process each, one after the other
        ours, theirs = context.Pipe()
        process = context.Process(target=mnistnet_memory_worker, args=(framework, args, theirs))
        # minitorch's process without torch's libraries (about 300 MiB resident), as a user
        # runs it: its whole-process figure is then minitorch's own
        alone = framework == "minitorch"
        if alone:
            os.environ["BENCH_WITHOUT_TORCH"] = "1"  # a spawned child starts with this
        try:
            process.start()
        finally:
            if alone:
                os.environ.pop("BENCH_WITHOUT_TORCH")
        memory[framework] = ours.recv()
        process.join()
    print(f"{'peak memory (MiB)':<18}{'VmHWM growth':>14}{'whole process':>15}{'RSS before':>12}")
    for framework, (growth, whole, before) in memory.items():
        shown = "n/a" if growth is None else f"{growth:.0f}"
        print(f"{framework:<18}{shown:>14}{whole:>15.0f}{before:>12.0f}")
