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

import harness
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
        theirs.close()  # the child's end lives in the child: a worker that dies closes it
        workers[framework] = (process, ours)
    for framework, (process, connection) in workers.items():
        try:
            answer = connection.recv()
        except EOFError:
            stop_workers({name: w for name, w in workers.items() if w[0].is_alive()})
            raise RuntimeError(
                f"the {framework} worker stopped before it was ready (exit code "
                f"{process.exitcode}; its error is printed above)"
            ) from None
        assert answer == "ready", answer
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
    """Ask each worker to stop and wait for it (a worker that died already is just joined)."""
    for process, connection in workers.values():
        try:
            connection.send("stop")
            connection.recv()
        except (EOFError, BrokenPipeError, OSError):
            pass
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
def turns_of(key: str, args, title: str) -> None:
    """The suite's workload ``key`` (``run.workload``), each framework in its worker process
    (``quick_suite``), ``args.repeats`` rounds of ``args.steps`` steps each, in turn; the table
    of medians and the ratios. No idle-machine check, nothing discarded: the quick version."""
    import quick_suite

    workers, runners = quick_suite.start(key, args.threads, torch is not None)
    try:
        timings = harness.measure(
            runners,
            args.steps,
            args.repeats,
            threshold=1.0,
            max_rounds=args.repeats,
            pause=args.pause,
        )
        losses = {name: runner.ask("loss") for name, runner in runners.items()}
    finally:
        stop_workers(workers)
    print(f"\n{title} ({args.threads} threads each, each framework in its own process)")
    print(f"{'':<12}{'ms/step':>10}{'min':>8}{'max':>8}{'last loss':>11}")
    for name, timing in timings.items():
        t = [sample.seconds_per_unit * 1e3 for sample in timing.samples]
        loss = losses[name]
        shown = "-" if loss is None else f"{loss:.4f}"
        print(f"{name:<12}{timing.median * 1e3:>10.2f}{min(t):>8.2f}{max(t):>8.2f}{shown:>11}")
    for other in ("PyTorch", "NumPy"):
        if other in timings:
            ratio = timings[other].median / timings["minitorch"].median
            print(f"speed of minitorch / {other}: {ratio:.2f}x (1 = as fast)")


def run_gpt(args) -> None:
    """minitorch's GPT step and the PyTorch copy's (the suite's "gpt" workload), each in its
    worker process, taking turns; ``--profile``: minitorch's phases and hot functions."""
    if torch is None:
        raise SystemExit("bench_gpt.py compares with PyTorch: pip install torch==2.13.0")
    turns_of("gpt", args, f"GPT {N.GPT_CONFIG}, batch {N.GPT_BATCH}, float32, tied, AdamW + clip")
    if args.profile:
        CONFIG, BATCH = N.GPT_CONFIG, N.GPT_BATCH
        minitorch.manual_seed(0)
        ours_step = N.minitorch_gpt_step(GPT(**CONFIG, tie_weights=True))
        rng = np.random.default_rng(0)
        phases = {}
        for i in range(args.warmup + args.steps):
            x = rng.integers(0, CONFIG["vocab_size"], size=(BATCH, CONFIG["block_size"]))
            ours_step(x, x, phases if i >= args.warmup else None)
        print("\nminitorch's step, median per phase:")
        for name in N.GPT_PHASES:
            print(f"  {name:<10}{statistics.median(phases[name]) * 1e3:>8.2f}ms")
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(10):
            ours_step(x, x)
        profiler.disable()
        print("\nwhere 10 steps spend their time:")
        pstats.Stats(profiler).sort_stats("tottime").print_stats(18)


# ---------------------------------------------------------------------- MLP epochs (bench_mlp)
def mlp_cases() -> list[tuple]:
    """bench_mlp.py's students' MLPs: (name, sizes, data, batch size, optimizer)."""
    return [
        ("digits 64-256-128-10, batch 32, Adam", [64, 256, 128, 10], "digits", 32, "adam"),
        ("spiral 2-64-64-3, batch 32, Adam", [2, 64, 64, 3], "spiral", 32, "adam"),
        ("MNIST 784-128-10, batch 64, SGD", [784, 128, 10], "mnist", 64, "sgd"),
        ("MNIST 784-256-128-10, batch 128, Adam", [784, 256, 128, 10], "mnist", 128, "adam"),
        ("MNIST 784-512-512-10, batch 256, Adam", [784, 512, 512, 10], "mnist", 256, "adam"),
    ]


def mlp_epoch_worker(framework: str, case: int, threads: int, connection) -> None:
    """One framework's epoch of ``mlp_cases()[case]``; one epoch per round when asked."""
    _, sizes, data, batch_size, optimizer_name = mlp_cases()[case]
    minitorch.manual_seed(0)
    if data == "digits":
        x, y = Digits(train=True, flatten=True).tensors
    elif data == "spiral":
        x, y = make_spiral(n_samples=3000, n_classes=3, seed=0)
    else:
        x, y = MNIST5k(train=True, flatten=True).tensors
    if framework == "PyTorch":
        torch.set_num_threads(threads)
        torch.manual_seed(0)
        epoch = _torch_mlp_epoch(sizes, x, y, batch_size, optimizer_name)
    else:
        epoch = _minitorch_mlp_epoch(sizes, x, y, batch_size, optimizer_name)

    def run(epochs: int) -> None:
        for _ in range(epochs):
            epoch()

    serve_rounds(run, 1, connection)
    connection.send("done")


def run_mlp_epochs(args) -> None:
    """One epoch of each of the students' MLPs in minitorch and PyTorch, each framework in its
    worker process, taking turns, median of ``args.repeats`` rounds."""
    if torch is None:
        raise SystemExit("bench_mlp.py compares with PyTorch: pip install torch==2.13.0")
    print(f"{'model':<42}{'minitorch':>12}{'PyTorch':>12}{'ratio':>8}")
    for case, (name, *_) in enumerate(mlp_cases()):
        workers = start_workers(mlp_epoch_worker, ["minitorch", "PyTorch"], (case, args.threads))
        times = take_turns(workers, args.repeats, args.pause)
        stop_workers(workers)
        ours, theirs = statistics.median(times["minitorch"]), statistics.median(times["PyTorch"])
        print(f"{name:<42}{ours:>10.1f}ms{theirs:>10.1f}ms{ours / theirs:>8.2f}")


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


# ---------------------------------------------------------------------- MLP steps (bench_step)
def run_mlp_steps(args) -> None:
    """The suite's MLP workloads (minitorch and NumPy in one worker, PyTorch in its own), one
    batch size at a time, ``args.steps`` steps per turn."""
    print(f"MLP {'-'.join(map(str, W.MLP_SIZES))}, SGD momentum {W.MOMENTUM}, float32")
    kind = "mlp-inputgrad" if args.input_grad else "mlp"
    for batch_size in args.batch_sizes:
        grad = ", input gradient on" if args.input_grad else ""
        turns_of(f"{kind}-b{batch_size}", args, f"batch {batch_size}{grad}")
    print("ratios are throughput: above 1, minitorch is faster")
