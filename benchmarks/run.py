"""minitorch's benchmark suite: minitorch, PyTorch and straight-line NumPy side by side.

    python benchmarks/run.py [--json results.json] [--repeats 9] [--only mlp tiny ...]
                             [--threads 2] [--max-wait 180] [--disturbed-threshold 0.15]
    python -m benchmarks ...                       # the same, from the repository's root

One command times every workload of issues 10 and 20 in minitorch, in PyTorch (when
installed; 2 threads) and, where the suite has one, in a straight-line NumPy reference (the
ceiling for "NumPy doing only the necessary work"), on the same data and from the same initial
weights, in the same run and interleaved (each round runs every framework once, the order
reversed every other round, with ``--pause`` before each turn), and prints one table: time per
step, the speed ratios to PyTorch and to NumPy, minitorch's GFLOP/s and their share of the
machine's matrix-multiply peak (``np.matmul`` on float32, measured at startup), the share of
subnormal floats in each optimizer's state at the end, and the row's target. ``--json PATH``
writes every repeat and setting.

Each framework runs in a worker process of its own (``quick_suite``): minitorch with its NumPy
reference (both are NumPy, ``--threads`` BLAS threads), PyTorch alone (``--threads`` threads
and ``OPENBLAS_NUM_THREADS=1``: NumPy's BLAS pool never runs in torch's process; in one
process PyTorch's OpenMP threads and OpenBLAS's busy-wait against each other, and issue 20
measured PyTorch's MLP step at 12.7 ms there against 1.57 ms alone). Only one worker computes
at a time. The suite checks itself: ``torch_alone.py`` holds the same PyTorch runner in a plain
process of its own, timed in turn with the workers, in the same rounds (column "PT alone"); a
PyTorch time more than 15% from it (the median over the rounds of the two times' ratio) is
suspect: marked ``?``, its ratio not given (nor counted for the target).

These machines are shared. The suite first waits for an idle machine (other processes under
``--idle-threshold`` of the CPUs, up to ``--max-wait`` seconds, then proceeds and says so); it
compares, for every repeat, the CPU time the machine spent with this process's own (see
``harness.Probe``) and discards a repeat in which other processes used more than the threshold,
running more rounds (up to 3x ``--repeats``). The table says how many repeats it kept and
discarded; a row marked ``!`` had too few undisturbed repeats and keeps its least disturbed
ones. Reported values are medians of the repeats kept, after a warm-up.

Memory and import are measured in fresh subprocesses, one per framework: peak memory is the
growth of the resident set while training the MLP (the kernel's high-water mark ``VmHWM``,
reset through ``/proc/self/clear_refs`` once the data and the model exist (and one step of a
throwaway copy has loaded what each framework loads at its first step), minus the resident
set at that moment); import is the wall time of the import statement and the resident set
after it.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:  # `python -m benchmarks` runs from the root
    sys.path.insert(0, str(HERE))
# Threads of PyTorch and of NumPy's BLAS (2: the machines students and CI use have two cores).
# OpenBLAS reads its count when NumPy is loaded, so it is set before the import below.
THREADS = int(sys.argv[sys.argv.index("--threads") + 1]) if "--threads" in sys.argv else 2
os.environ.setdefault("OPENBLAS_NUM_THREADS", str(THREADS))

import harness  # noqa: E402
import model_workloads as M  # noqa: E402
import numpy as np  # noqa: E402
import quick_steps  # noqa: E402
import quick_suite  # noqa: E402
import workloads as W  # noqa: E402

#: The name of the standalone PyTorch process among the runners timed in turn.
ALONE = "PyTorch alone"

torch = W.torch
if torch is not None:
    torch.set_num_threads(THREADS)


# ---------------------------------------------------------------------- the workloads
@dataclass
class Target:
    text: str
    torch_speed: float | None = None  # minimum speed ratio to PyTorch
    numpy_speed: float | None = None  # minimum speed ratio to the NumPy reference

    def met(self, vs_torch: float | None, vs_numpy: float | None) -> bool | None:
        checks = []
        if self.torch_speed is not None and vs_torch is not None:
            checks.append(vs_torch >= self.torch_speed)
        if self.numpy_speed is not None and vs_numpy is not None:
            checks.append(vs_numpy >= self.numpy_speed)
        return all(checks) if checks else None


@dataclass
class Workload:
    key: str
    group: str
    title: str
    build: Any  # (frameworks) -> {framework: Runner}, only those asked for
    samples_per_unit: int | None
    flops_per_unit: float | None
    unit: str = "step"
    target: Target | None = None


def all_workloads() -> list[Workload]:
    mlp = "-".join(map(str, W.MLP_SIZES))
    tiny = "-".join(map(str, W.TINY_SIZES))
    found = []
    for batch in (32, 128, 512):
        speed = 0.9 if batch == 32 else 1.0
        found.append(
            Workload(
                f"mlp-b{batch}",
                "mlp",
                f"MLP {mlp} b{batch}",
                lambda f, b=batch: W.mlp_runners(W.MLP_SIZES, W.mnist(), b, frameworks=f),
                batch,
                W.mlp_flops(W.MLP_SIZES, batch, input_grad=False),
                target=Target(f">={speed}x PT, >=0.95x NP", speed, 0.95),
            )
        )
    for batch in (32, 128, 512):
        found.append(
            Workload(
                f"mlp-loader-b{batch}",
                "loader",
                f"MLP {mlp} b{batch}, DataLoader",
                lambda f, b=batch: W.mlp_runners(W.MLP_SIZES, W.mnist(), b, True, frameworks=f),
                batch,
                W.mlp_flops(W.MLP_SIZES, batch, input_grad=False),
                target=Target(">=1.1x PT", 1.1),
            )
        )
    for batch in (32, 128, 512):
        found.append(
            Workload(
                f"mlp-inputgrad-b{batch}",
                "inputgrad",
                f"MLP b{batch}, input grad left on",
                lambda f, b=batch: W.mlp_runners(
                    W.MLP_SIZES, W.mnist(), b, input_grad=True, frameworks=f
                ),
                batch,
                W.mlp_flops(W.MLP_SIZES, batch, input_grad=True),
                target=Target(">=0.95x NP", numpy_speed=0.95),
            )
        )
    for batch in (1, 8):
        found.append(
            Workload(
                f"tiny-b{batch}",
                "tiny",
                f"tiny MLP {tiny} b{batch}",
                lambda f, b=batch: W.mlp_runners(
                    W.TINY_SIZES, W.digits(), b, lr=W.TINY_LR, frameworks=f
                ),
                batch,
                W.mlp_flops(W.TINY_SIZES, batch, input_grad=False),
                target=Target("(4x PT retired: README)"),
            )
        )
    for name in ("lenet5", "example"):
        c1, c2, batchnorm, _, optimizer_name = W.cnn_config(name)
        norm = "+BN" if batchnorm else ""
        found.append(
            Workload(
                f"cnn-{name}",
                "cnn",
                f"CNN {c1}/{c2}{norm} {optimizer_name} b64 ({name})",
                lambda f, n=name: W.cnn_runners(n, frameworks=f),
                64,
                W.cnn_flops(name, 64),
                target=Target(">=0.8x PT", 0.8),
            )
        )
    models = (
        ("mnistnet", "MNIST net (pytorch/examples) b64", M.mnistnet_runners, 64, ">=0.8x PT"),
        ("char", "char LSTM 2x256, b32 x T64", M.char_runners, 32 * 64, None),
        ("vae", "VAE 784-400-20 step, b128", M.vae_runners, 128, None),
        ("diffusion", "diffusion MLP step, b256", M.diffusion_runners, 256, None),
        ("dcgan", "DCGAN step (G and D), b64", M.dcgan_runners, 64, None),
    )
    for key, title, build, samples, target in models:
        found.append(
            Workload(
                key,
                "models",
                title,
                lambda f, build=build: build(f),
                samples,
                None,
                target=None if target is None else Target(target, 0.8),
            )
        )
    found.append(
        Workload(
            "gpt",
            "gpt",
            "GPT 4x4x128, T64, b12",
            lambda f: W.gpt_runners(frameworks=f),
            12 * 64,
            W.gpt_flops(),
            target=Target(">=0.8x PT", 0.8),
        )
    )
    for name in ("SGD", "Adam"):
        found.append(
            Workload(
                f"optim-{name.lower()}",
                "optim",
                f"{name} step, 1.07M params" + (" (mom.)" if name == "SGD" else ""),
                lambda f, n=name: W.optimizer_runners(n, frameworks=f),
                None,
                None,
                target=Target(">=1x NP (1.2x PT retired)", numpy_speed=1.0),
            )
        )
    found.append(
        Workload(
            "dataloader",
            "dataloader",
            "DataLoader epoch, 60k x 784, b128",
            lambda f: W.dataloader_runners(frameworks=f),
            60_000,
            None,
            unit="epoch",
        )
    )
    return found


def workload(key: str) -> Workload:
    """The workload whose key is ``key`` (what a timing worker builds)."""
    for found in all_workloads():
        if found.key == key:
            return found
    raise KeyError(f"no workload {key!r}: one of {', '.join(w.key for w in all_workloads())}")


GROUPS = (
    "mlp",
    "loader",
    "inputgrad",
    "tiny",
    "cnn",
    "models",
    "gpt",
    "optim",
    "dataloader",
    "memory",
)
GROUPS += ("import",)


# ---------------------------------------------------------------------- memory and import
MEMORY_BATCH, MEMORY_STEPS = 128, 60


def memory_child(framework: str) -> dict[str, Any]:
    """Run in a fresh process: train the MLP for MEMORY_STEPS steps, report the peak RSS growth.

    What a framework loads at its first step (minitorch: SciPy's BLAS for the optimizers;
    PyTorch: its autograd engine's state) is a library, not training memory: one step of a
    throwaway copy of the model loads it before the measurement, which then starts from the
    real model's first step (its gradients and optimizer state are counted).
    """
    W.mlp_runners(W.MLP_SIZES, W.mnist(), MEMORY_BATCH, frameworks=(framework,))[framework].run(1)
    gc.collect()
    runner = W.mlp_runners(W.MLP_SIZES, W.mnist(), MEMORY_BATCH, frameworks=(framework,))[framework]
    harness.release_free_memory()  # what loading the data freed is not counted as training's
    before = harness.rss_kib()
    reset = harness.reset_peak_rss()
    runner.run(MEMORY_STEPS)
    peak = harness.rss_kib("VmHWM")
    if reset and peak is not None and before is not None:
        method = "VmHWM after malloc_trim and clear_refs"
    else:  # the high-water mark since the process started: includes the imports
        import resource

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        method = "ru_maxrss (whole process)"
    return {"peak_growth_mib": (peak - (before or 0)) / 1024, "method": method}


IMPORT_CODE = """
import json, sys, time
def rss():
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith('VmRSS:'):
                return int(line.split()[1])
before = rss()
start = time.perf_counter()
import {module}
seconds = time.perf_counter() - start
print(json.dumps({{"seconds": seconds, "rss_mib": rss() / 1024, "before_mib": before / 1024}}))
"""


def _child(args: list[str], environment: dict[str, str] | None = None) -> dict[str, Any]:
    result = subprocess.run(args, capture_output=True, text=True, env=environment, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed: {result.stderr.strip()[-500:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def measure_memory(frameworks: list[str]) -> dict[str, Any]:
    results = {}
    for framework in frameworks:
        environment = dict(os.environ) | quick_steps.torch_environment(framework)
        results[framework] = _child(
            [sys.executable, str(Path(__file__)), "--memory-child", framework], environment
        )
    return results


def measure_imports(rounds: int) -> dict[str, Any]:
    modules = ["minitorch"] + (["torch"] if torch is not None else [])
    samples: dict[str, list[dict[str, float]]] = {m: [] for m in modules}
    shares = []
    for round_ in range(rounds):
        for module in modules if round_ % 2 == 0 else modules[::-1]:
            with harness.Probe() as probe:
                samples[module].append(
                    _child([sys.executable, "-c", IMPORT_CODE.format(module=module)])
                )
            shares.append(probe.share)
    return {
        module: {
            "seconds": statistics.median(s["seconds"] for s in found),
            "rss_mib": statistics.median(s["rss_mib"] for s in found),
            "samples": found,
        }
        for module, found in samples.items()
    } | {"others_share_max": max((s for s in shares if s is not None), default=None)}


# ---------------------------------------------------------------------- the table
COLUMNS = (
    ("workload", 34, "<"),
    ("minitorch", 10, ">"),
    ("PyTorch", 10, ">"),
    ("PT alone", 10, ">"),
    ("NumPy", 10, ">"),
    ("xPT", 6, ">"),
    ("xNP", 6, ">"),
    ("samples/s", 10, ">"),
    ("GFLOP/s", 8, ">"),
    ("%peak", 6, ">"),
    ("subn% mt/PT", 12, ">"),
    ("kept/disc", 10, ">"),
    ("target", 26, "<"),
    ("met", 4, "<"),
)


def _row(values: list[str]) -> str:
    return " ".join(
        f"{v:{align}{width}}" for v, (_, width, align) in zip(values, COLUMNS, strict=True)
    )


def _time(seconds: float | None, unit: str) -> str:
    if seconds is None or seconds != seconds:
        return "-"
    if unit == "epoch":
        return f"{seconds * 1e3:.1f}ms"
    if seconds >= 0.01:
        return f"{seconds * 1e3:.1f}ms"
    return f"{seconds * 1e6:.0f}us"


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.1f}"


def _yes(met: bool | None) -> str:
    return "-" if met is None else ("yes" if met else "NO")


def format_row(result: dict[str, Any]) -> str:
    t = result["timings"]
    mt = t["minitorch"]["median"]
    pt = t.get("PyTorch", {}).get("median")
    npy = t.get("NumPy", {}).get("median")
    kept = sum(x["kept"] for x in t.values())
    discarded = sum(x["discarded"] for x in t.values())
    flag = "!" if any(x["disturbed"] for x in t.values()) else ""
    sub = result["subnormal"]
    sub_text = f"{_pct(sub.get('minitorch'))}/{_pct(sub.get('PyTorch'))}"
    alone = (result.get("torch_alone") or {}).get("median")
    # A PyTorch figure far from the standalone process's is no result: shown with "?", no ratio.
    suspect = "?" if result.get("torch_suspect") else ""
    vs_torch = result["vs_torch"]
    return _row(
        [
            result["title"],
            _time(mt, result["unit"]),
            _time(pt, result["unit"]) + suspect,
            _time(alone, result["unit"]),
            _time(npy, result["unit"]),
            "-" if vs_torch is None else ("susp." if suspect else f"{vs_torch:.2f}"),
            "-" if result["vs_numpy"] is None else f"{result['vs_numpy']:.2f}",
            "-" if result["samples_per_s"] is None else f"{result['samples_per_s']:,.0f}",
            "-" if result["gflops"] is None else f"{result['gflops']:.1f}",
            "-" if result["peak_share"] is None else f"{result['peak_share'] * 100:.0f}%",
            sub_text,
            f"{kept}/{discarded}{flag}",
            result["target"] or "",
            _yes(result["met"]),
        ]
    )


def _plain_row(title, values, ratios, target, met) -> str:
    """A row of the memory and import measurements: values, ratios (minitorch / other)."""
    ratio_text = ["-" if r is None else f"{r:.2f}" for r in ratios]
    mt, pt, npy = values
    return _row([title, mt, pt, "-", npy, *ratio_text, "-", "-", "-", "-", "-", target, _yes(met)])


def footer(args, results, extra, peak, load_start, started) -> str:
    kept = sum(t["kept"] for r in results for t in r["timings"].values())
    discarded = sum(t["discarded"] for r in results for t in r["timings"].values())
    disturbed = [r["title"] for r in results if any(t["disturbed"] for t in r["timings"].values())]
    methods = sorted({m["method"] for m in extra.get("memory", {}).values()})
    loads = [load for load in (load_start, harness.load_average()) if load]
    load_text = " -> ".join(" ".join(f"{v:.2f}" for v in load) for load in loads)
    return (
        "\nxPT, xNP: speed of minitorch / speed of PyTorch, of NumPy (above 1: minitorch is "
        "faster), the median of the rounds' ratios; in the memory and import rows: minitorch's "
        "value / theirs. Times: medians per "
        "step (per epoch for the DataLoader) of the undisturbed repeats, after a warm-up. "
        f"GFLOP/s: minitorch's matrix-multiply work per second; %peak: of np.matmul's {peak:.0f} "
        "GFLOP/s. subn%: subnormal share of the optimizer state at the end (minitorch/PyTorch). "
        f"Peak memory: growth of the resident set while training ({'; '.join(methods) or '-'})."
        "\nEach framework runs in a worker process of its own (NumPy's reference in minitorch's, "
        "never in torch's; torch's with OPENBLAS_NUM_THREADS=1), taking turns. PT alone: the same "
        "PyTorch runner in a standalone process, timed in turn with the workers; a PyTorch time "
        f"more than {quick_suite.SUSPECT:.0%} from it is suspect: marked ?, its ratio not given."
        f"\nRepeats kept {kept}, discarded as disturbed {discarded} (another process used over "
        f"{args.disturbed_threshold:.0%} of the CPUs); rows marked ! kept their least disturbed "
        f"repeats: {', '.join(disturbed) or 'none'}. Load average {load_text}; "
        f"{time.time() - started:.0f} s."
    )


# ---------------------------------------------------------------------- running
def run_workload(workload: Workload, args: argparse.Namespace, peak: float) -> dict[str, Any]:
    """Time ``workload``: its runners in worker processes taking turns (``quick_suite``), and,
    in the same rounds, its PyTorch runner alone in a plain process, as the check on the
    PyTorch figure."""
    wait = harness.wait_for_idle(args.max_wait_workload, args.idle_threshold)
    workers, runners = quick_suite.start(workload.key, args.threads, torch is not None)
    alone_runner = None
    try:
        units = harness.calibrate(runners, args.seconds, max_units=10_000)
        if "PyTorch" in runners:
            alone_runner = quick_suite.Alone(workload.key, args.threads)
        timed_runners = dict(runners) | ({} if alone_runner is None else {ALONE: alone_runner})
        for runner in timed_runners.values():
            runner.run(max(1, units // 4))
        timings = harness.measure(
            timed_runners,
            units,
            args.repeats,
            args.disturbed_threshold,
            max_rounds=3 * args.repeats,
            pause=args.pause,
        )
        subnormal = {name: r.ask("subnormal") for name, r in runners.items()}
        losses = {name: r.ask("loss") for name, r in runners.items()}
    finally:
        if alone_runner is not None:
            alone_runner.close()
        quick_steps.stop_workers(workers)
    mt = timings["minitorch"].median
    pt = timings["PyTorch"].median if "PyTorch" in timings else None
    npy = timings["NumPy"].median if "NumPy" in timings else None
    alone = suspect = None
    if pt:
        standalone = timings.pop(ALONE)
        # Round by round, as the ratios: the suite's PyTorch time over the standalone one.
        drift = harness.paired_ratio(standalone, timings["PyTorch"]) or pt / standalone.median
        alone = {
            "median": standalone.median,
            "suite_over_alone": drift,
            "samples": [[s.seconds_per_unit, s.share, s.round, s.kept] for s in standalone.samples],
        }
        suspect = quick_suite.suspect(drift, 1.0)
    vs_torch = vs_numpy = None
    if pt:
        vs_torch = harness.paired_ratio(timings["PyTorch"], timings["minitorch"]) or pt / mt
    if npy:
        vs_numpy = harness.paired_ratio(timings["NumPy"], timings["minitorch"]) or npy / mt
    gflops = workload.flops_per_unit / mt / 1e9 if workload.flops_per_unit else None
    target = workload.target
    return {
        "key": workload.key,
        "title": workload.title,
        "unit": workload.unit,
        "units_per_repeat": units,
        "idle_wait": wait.describe(),
        "timings": {
            name: {
                "median": t.median,
                "kept": t.kept,
                "discarded": t.discarded,
                "disturbed": t.disturbed,
                "samples": [
                    {
                        "seconds_per_unit": s.seconds_per_unit,
                        "others_share": s.share,
                        "cpu_per_wall": s.cpu_per_wall,
                        "round": s.round,
                        "kept": s.kept,
                    }
                    for s in t.samples
                ],
            }
            for name, t in timings.items()
        },
        "torch_alone": alone,
        "torch_suspect": suspect,
        "vs_torch": vs_torch,
        "vs_numpy": vs_numpy,
        "samples_per_s": workload.samples_per_unit / mt if workload.samples_per_unit else None,
        "gflops": gflops,
        "peak_share": gflops / peak if gflops else None,
        "subnormal": subnormal,
        "final_loss": losses,
        "target": None if target is None else target.text,
        # A target with a PyTorch part is not judged on a suspect PyTorch figure.
        "met": (
            None
            if target is None or (suspect and target.torch_speed is not None)
            else target.met(vs_torch, vs_numpy)
        ),
    }


def machine_info() -> dict[str, Any]:
    model = platform.processor()
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    import minitorch

    return {
        "cpu": model,
        "cpus": harness.NCPU,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "torch": None if torch is None else torch.__version__,
        "torch_threads": None if torch is None else torch.get_num_threads(),
        "minitorch": minitorch.__version__,
        "OPENBLAS_NUM_THREADS": os.environ.get("OPENBLAS_NUM_THREADS"),
    }


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", metavar="PATH", help="write every result to this JSON file")
    parser.add_argument("--only", nargs="+", choices=GROUPS, help="run these groups only")
    parser.add_argument("--repeats", type=int, default=9, help="undisturbed repeats wanted")
    parser.add_argument("--seconds", type=float, default=0.3, help="length of one repeat")
    parser.add_argument("--max-wait", type=float, default=180, help="wait for idle at start")
    parser.add_argument(
        "--max-wait-workload", type=float, default=20, help="wait for idle before each workload"
    )
    parser.add_argument(
        "--idle-threshold", type=float, default=0.05, help="others' CPU share counted as idle"
    )
    parser.add_argument(
        "--disturbed-threshold",
        type=float,
        default=0.05,
        help="others' CPU share above which a repeat is discarded",
    )
    parser.add_argument(
        "--pause", type=float, default=0.3, help="seconds before each turn (thread pools sleep)"
    )
    parser.add_argument("--import-rounds", type=int, default=5)
    parser.add_argument(
        "--threads", type=int, default=2, help="PyTorch's threads and NumPy's BLAS threads"
    )
    parser.add_argument("--memory-child", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if args.memory_child:
        print(json.dumps(memory_child(args.memory_child)))
        return
    groups = set(args.only or GROUPS)
    started = time.time()
    load_start = harness.load_average()
    print(f"waiting for an idle machine (up to {args.max_wait:.0f} s) ...", flush=True)
    wait = harness.wait_for_idle(args.max_wait, args.idle_threshold)
    print(f"machine: {wait.describe()}", flush=True)
    peak = harness.matmul_peak()
    info = machine_info()
    print(
        f"{info['cpu']}, {info['cpus']} CPUs; NumPy {info['numpy']} (OpenBLAS threads "
        f"{info['OPENBLAS_NUM_THREADS']}), PyTorch {info['torch']} ({info['torch_threads']} "
        f"threads); np.matmul float32 peak {peak['gflops']:.0f} GFLOP/s",
        flush=True,
    )
    results, failed = [], []
    print(_row([name for name, _, _ in COLUMNS]), flush=True)
    for workload in all_workloads():
        if workload.group not in groups:
            continue
        try:
            result = run_workload(workload, args, peak["gflops"])
        except Exception as error:  # one workload's failure does not lose the others' run
            failed.append({"key": workload.key, "title": workload.title, "error": repr(error)})
            print(f"{workload.title:<34} FAILED: {error}", flush=True)
            continue
        results.append(result)
        print(format_row(result), flush=True)
    extra: dict[str, Any] = {}
    if "memory" in groups:
        frameworks = ["minitorch"] + (["PyTorch"] if torch is not None else []) + ["NumPy"]
        extra["memory"] = memory = measure_memory(frameworks)
        mt, npy = memory["minitorch"]["peak_growth_mib"], memory["NumPy"]["peak_growth_mib"]
        pt = memory.get("PyTorch", {}).get("peak_growth_mib")
        ratio = mt / pt if pt else None
        print(
            _plain_row(
                f"peak memory, MLP b{MEMORY_BATCH} training",
                (f"{v:.1f}MiB" if v is not None else "-" for v in (mt, pt, npy)),
                (ratio, mt / npy if npy else None),
                "(0.5x PT retired: README)",
                None,
            ),
            flush=True,
        )
    if "import" in groups:
        extra["import"] = imports = measure_imports(args.import_rounds)
        mt, pt = imports["minitorch"], imports.get("torch")
        time_ratio = mt["seconds"] / pt["seconds"] if pt else None
        print(
            _plain_row(
                "import time",
                (
                    f"{mt['seconds'] * 1e3:.0f}ms",
                    "-" if pt is None else f"{pt['seconds'] * 1e3:.0f}ms",
                    "-",
                ),
                (time_ratio, None),
                "time <=0.3x PT (mt/PT)",
                None if time_ratio is None else time_ratio <= 0.3,
            ),
            flush=True,
        )
        print(
            _plain_row(
                "RSS after import",
                (f"{mt['rss_mib']:.0f}MiB", "-" if pt is None else f"{pt['rss_mib']:.0f}MiB", "-"),
                (None if pt is None else mt["rss_mib"] / pt["rss_mib"], None),
                "(mt/PT)",
                None,
            ),
            flush=True,
        )
    print(footer(args, results, extra, peak["gflops"], load_start, started))
    if failed:
        print(f"FAILED workloads ({len(failed)}): " + "; ".join(f["title"] for f in failed))
    if args.json:
        document = {
            "machine": info,
            "matmul_peak": peak,
            "idle_wait": wait.describe(),
            "load_average": {"start": load_start, "end": harness.load_average()},
            "settings": {k: v for k, v in vars(args).items() if k != "memory_child"},
            "results": results,
            "failed": failed,
            **extra,
        }
        Path(args.json).write_text(json.dumps(document, indent=1, default=float))
        print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
