"""The quick comparisons of whole training steps, one subject at a time, that the scripts
``bench_cnn.py``, ``bench_gpt.py``, ``bench_mlp.py`` and ``bench_step.py`` run (each script's
docstring says what it measures; the suite, ``run.py``, times the same networks with its
idle-machine checks). They report; they never fail.
"""

from __future__ import annotations

import cProfile
import multiprocessing
import os
import pstats
import statistics
import time
from itertools import pairwise

import networks as N
import numpy as np
import workloads as W

import minitorch
from minitorch import nn, optim
from minitorch.datasets import Digits, MNIST5k, make_spiral
from minitorch.models import GPT
from minitorch.utils.data import DataLoader, TensorDataset

torch = N.torch


# ---------------------------------------------------------------------- the CNN (bench_cnn.py)
def run_cnn(args) -> None:
    """Each of ``args.models`` in minitorch and PyTorch, each framework in a worker process."""
    frameworks = ["minitorch"] if torch is None else ["PyTorch", "minitorch"]
    print(f"PyTorch threads: {args.threads}; each framework in its own process")
    for name in args.models:
        compare_cnn(name, args, frameworks)


def cnn_data(batch_size: int, steps: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    x = rng.random((batch_size * steps, 1, 28, 28), dtype=np.float32)
    teacher = rng.standard_normal((28 * 28, 10)).astype(np.float32)
    y = (x.reshape(len(x), -1) @ teacher).argmax(axis=1)
    return x, y


def _minitorch_cnn_runner(model, x, y, batch_size, optimizer_name, loss_name="cross_entropy"):
    model.needs_input_grad = False  # the standard loop's habit: the input is data
    loss_fn = nn.NLLLoss() if loss_name == "nll" else nn.CrossEntropyLoss()
    if optimizer_name == "adam":
        optimizer = optim.Adam(model, lr=1e-3)
    elif optimizer_name == "adadelta":
        optimizer = optim.Adadelta(model, lr=1.0)
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


def _torch_cnn_runner(model, x, y, batch_size, optimizer_name, loss_name="cross_entropy"):
    loss_fn = torch.nn.NLLLoss() if loss_name == "nll" else torch.nn.CrossEntropyLoss()
    if optimizer_name == "adam":
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    elif optimizer_name == "adadelta":
        optimizer = torch.optim.Adadelta(model.parameters(), lr=1.0)
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


def profile_layers(model: nn.Sequential, x: np.ndarray, y: np.ndarray, repeats: int = 30) -> None:
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


def serve_rounds(run, steps: int, connection) -> None:
    """A timing worker's side: one warm-up round (first-touch allocations, optimizer state),
    then one timed round of ``steps`` steps per "run", answered with the ms per step."""
    run(steps)
    connection.send("ready")
    while connection.recv() == "run":
        start = time.perf_counter()
        run(steps)
        connection.send((time.perf_counter() - start) / steps * 1e3)


def torch_environment(framework: str) -> dict[str, str]:
    """The environment variables a worker for ``framework`` starts with: a PyTorch worker (its
    name starts with "PyTorch") gets ``OPENBLAS_NUM_THREADS=1``, so that NumPy's OpenBLAS
    (which torch's process still loads) never starts a thread pool that busy-waits against
    PyTorch's OpenMP threads (measured here: a standalone torch script's 87 ms step took
    116-127 ms with NumPy's pool in the process)."""
    return {"OPENBLAS_NUM_THREADS": "1"} if framework.startswith("PyTorch") else {}


def serve(commands: dict, connection) -> None:
    """A worker's side of a conversation: each message ``(command, *arguments)`` is answered
    with ``commands[command](*arguments)``, until "stop" (the caller then sends "done")."""
    while (message := connection.recv()) != "stop":
        command, *arguments = message
        connection.send(commands[command](*arguments))


def start_workers(target, frameworks: list[str], extra: tuple) -> dict:
    """One spawned process per framework, running ``target(framework, *extra, connection)``
    with ``torch_environment(framework)``, each ready for its first round."""
    context = multiprocessing.get_context("spawn")
    workers = {}
    for framework in frameworks:
        ours, theirs = context.Pipe()
        process = context.Process(target=target, args=(framework, *extra, theirs))
        extra_env = torch_environment(framework)
        saved = {name: os.environ.get(name) for name in extra_env}
        os.environ.update(extra_env)  # a spawned child starts with this process's environment
        try:
            process.start()
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name)
                else:
                    os.environ[name] = value
        workers[framework] = (process, ours)
    for _, connection in workers.values():
        assert connection.recv() == "ready"
    return workers


def take_turns(workers: dict, rounds: int, pause: float) -> dict[str, list[float]]:
    """The workers' ms per step over ``rounds`` rounds, one worker at a time, in turn, with a
    pause before each turn (the other's thread pool falls asleep)."""
    times = {framework: [] for framework in workers}
    for _ in range(rounds):
        for framework, (_, connection) in workers.items():
            time.sleep(pause)
            connection.send("run")
            times[framework].append(connection.recv())
    return times


def stop_workers(workers: dict) -> None:
    for process, connection in workers.values():
        connection.send("stop")
        connection.recv()
        process.join()


def cnn_worker(framework: str, name: str, args, connection) -> None:
    """Build one framework's copy of the model; run a round of steps whenever asked."""
    c1, c2, batchnorm, hidden, optimizer_name = N.CNN_MODELS[name]
    minitorch.manual_seed(0)  # the same initial weights in both workers
    x, y = cnn_data(args.batch_size, args.steps)
    model = N.minitorch_cnn(c1, c2, batchnorm, hidden)
    if framework == "PyTorch":
        torch.set_num_threads(args.threads)
        run = _torch_cnn_runner(N.torch_cnn(model), x, y, args.batch_size, optimizer_name)
    else:
        run = _minitorch_cnn_runner(model, x, y, args.batch_size, optimizer_name)
    serve_rounds(run, args.steps, connection)
    if framework == "minitorch" and args.profile:
        profile_layers(model, x[: args.batch_size], y[: args.batch_size])
    connection.send("done")


def compare_cnn(name: str, args, frameworks: list[str]) -> None:
    workers = start_workers(cnn_worker, frameworks, (name, args))
    times = take_turns(workers, args.rounds, args.pause)
    c1, c2, batchnorm, hidden, optimizer_name = N.CNN_MODELS[name]
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
    stop_workers(workers)  # the profile, if asked, is printed before "done"


# ---------------------------------------------------------------------- the GPT (bench_gpt.py)
def run_gpt(args) -> None:
    """minitorch's GPT step and the PyTorch copy's, alternating, after ``args.warmup`` steps."""
    CONFIG, BATCH = N.GPT_CONFIG, N.GPT_BATCH
    if torch is None:
        raise SystemExit("bench_gpt.py compares with PyTorch: pip install torch==2.13.0")

    minitorch.manual_seed(0)
    ours = GPT(**CONFIG, tie_weights=True)
    theirs = N.TorchGPT(ours)
    ours_step, theirs_step = N.minitorch_gpt_step(ours), N.torch_gpt_step(theirs)
    rng = np.random.default_rng(0)
    ours_times, theirs_times, phases = [], [], {}
    ours_cpu, theirs_cpu = [], []  # process CPU time: robust to other processes' load
    losses = []
    for i in range(args.warmup + args.steps):
        x = rng.integers(0, CONFIG["vocab_size"], size=(BATCH, CONFIG["block_size"]))
        y = rng.integers(0, CONFIG["vocab_size"], size=(BATCH, CONFIG["block_size"]))
        timed = i >= args.warmup
        start, start_cpu = time.perf_counter(), time.process_time()
        loss = ours_step(x, y, phases if timed else None)
        middle, middle_cpu = time.perf_counter(), time.process_time()
        their_loss = theirs_step(torch.from_numpy(x), torch.from_numpy(y))
        end, end_cpu = time.perf_counter(), time.process_time()
        losses.append((loss, their_loss))
        if timed:
            ours_times.append(middle - start)
            theirs_times.append(end - middle)
            ours_cpu.append(middle_cpu - start_cpu)
            theirs_cpu.append(end_cpu - middle_cpu)

    ours_ms = statistics.median(ours_times) * 1e3
    theirs_ms = statistics.median(theirs_times) * 1e3
    print(
        f"GPT {CONFIG}, batch {BATCH}, float32, tied, AdamW + clipping, "
        f"{torch.get_num_threads()} threads (BLAS: OPENBLAS_NUM_THREADS="
        f"{os.environ['OPENBLAS_NUM_THREADS']})"
    )
    print(f"{'wall time':<12}{'median':>10}{'min':>10}{'CPU time (median)':>22}")
    for name, times, cpu in (
        ("minitorch", ours_times, ours_cpu),
        ("PyTorch", theirs_times, theirs_cpu),
    ):
        print(
            f"{name:<12}{statistics.median(times) * 1e3:>8.1f}ms{min(times) * 1e3:>8.1f}ms"
            f"{statistics.median(cpu) * 1e3:>20.1f}ms"
        )
    print(f"speed of minitorch / PyTorch (medians): {theirs_ms / ours_ms:.2f}x (1 = as fast)")
    print(f"loss after {len(losses)} steps: minitorch {losses[-1][0]:.4f}, "
          f"PyTorch {losses[-1][1]:.4f}")  # fmt: skip

    if args.profile:
        print("\nminitorch's step, median per phase:")
        for name in N.GPT_PHASES:
            print(f"  {name:<10}{statistics.median(phases[name]) * 1e3:>8.2f}ms")
        profiler = cProfile.Profile()
        x = rng.integers(0, CONFIG["vocab_size"], size=(BATCH, CONFIG["block_size"]))
        profiler.enable()
        for _ in range(10):
            ours_step(x, x)
        profiler.disable()
        print("\nwhere 10 steps spend their time:")
        pstats.Stats(profiler).sort_stats("tottime").print_stats(18)


# ---------------------------------------------------------------------- MLP epochs (bench_mlp)
def run_mlp_epochs(args) -> None:
    """One epoch of each of the students' MLPs in minitorch and PyTorch, median of repeats."""
    if torch is None:
        raise SystemExit("bench_mlp.py compares with PyTorch: pip install torch==2.13.0")
    torch.set_num_threads(2)  # the machines students and CI use have two cores
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
        ours = _median_epoch_time(
            _minitorch_mlp_epoch(sizes, x, y, batch_size, optimizer_name), args.repeats
        )
        theirs = _median_epoch_time(
            _torch_mlp_epoch(sizes, x, y, batch_size, optimizer_name), args.repeats
        )
        print(f"{name:<42}{ours * 1e3:>10.1f}ms{theirs * 1e3:>10.1f}ms{ours / theirs:>8.2f}")


def _minitorch_mlp_epoch(sizes, x, y, batch_size, optimizer_name):
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


def _torch_mlp_epoch(sizes, x, y, batch_size, optimizer_name):
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


def _median_epoch_time(run, repeats):
    run()  # warm-up: first-touch allocations, lazy optimizer state
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


# ---------------------------------------------------------------------- MLP steps (bench_step)
def run_mlp_steps(args) -> None:
    """The suite's MLP runners (minitorch, NumPy, PyTorch), ``args.steps`` steps per turn."""
    if W.torch is not None:
        W.torch.set_num_threads(2)  # the machines students and CI use have two cores
    minitorch.manual_seed(0)
    print(f"MLP {'-'.join(map(str, W.MLP_SIZES))}, SGD momentum {W.MOMENTUM}, float32; µs per step")
    print(
        f"{'batch':>6}{'minitorch':>12}{'NumPy':>10}{'PyTorch':>10}{'vs NumPy':>10}{'vs torch':>10}"
    )
    for batch_size in args.batch_sizes:
        runners = W.mlp_runners(W.MLP_SIZES, W.mnist(), batch_size)
        times = {name: [] for name in runners}
        for runner in runners.values():
            runner.run(args.steps)  # warm-up
        for _ in range(args.repeats):
            for name, runner in runners.items():  # interleaved: a disturbance hits all alike
                start = time.perf_counter()
                runner.run(args.steps)
                times[name].append((time.perf_counter() - start) / args.steps * 1e6)
        med = {name: statistics.median(t) for name, t in times.items()}
        theirs = med.get("PyTorch", float("nan"))
        print(
            f"{batch_size:>6}{med['minitorch']:>12.0f}{med['NumPy']:>10.0f}{theirs:>10.0f}"
            f"{med['NumPy'] / med['minitorch']:>10.2f}{theirs / med['minitorch']:>10.2f}"
        )
    print("ratios are throughput: above 1, minitorch is faster")
