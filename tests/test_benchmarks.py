"""The benchmarks' structure: the suite is the library, each ``bench_*.py`` a front-end over it.

No timing is run here (timings are no test on a shared machine); the checks are that the
suite's modules never import a script, that every script is argument parsing and one call into
the suite, and that every command line still answers ``--help``.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
SCRIPTS = sorted(BENCHMARKS.glob("bench_*.py"))
SUITE = sorted(p for p in BENCHMARKS.glob("*.py") if not p.name.startswith("bench_"))


def _imported(path: Path) -> set[str]:
    """The top-level names of every module ``path`` imports, statically or by
    ``importlib.import_module("name")`` with a literal name."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module.split(".")[0])
        elif (
            isinstance(node, ast.Call)
            and ast.unparse(node.func).endswith("import_module")
            and node.args
            and isinstance(node.args[0], ast.Constant)
        ):
            names.add(str(node.args[0].value).split(".")[0])
    return names


def test_the_suite_never_imports_a_script():
    assert SCRIPTS and {p.name for p in SUITE} >= {"run.py", "harness.py", "workloads.py"}
    for path in SUITE:
        scripts = sorted(name for name in _imported(path) if name.startswith("bench_"))
        assert not scripts, f"benchmarks/{path.name} imports {scripts}: move that into the suite"


def test_every_script_is_a_front_end():
    """A script defines ``main`` (its options) and nothing else to run: no class, no helper."""
    for path in SCRIPTS:
        tree = ast.parse(path.read_text(), str(path))
        defined = [
            node.name
            for node in tree.body
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
        ]
        assert defined == ["main"], f"benchmarks/{path.name} defines {defined}"
        assert _imported(path) & {p.stem for p in SUITE}, f"{path.name} calls no suite module"


def test_every_command_line_answers_help():
    code = """
import runpy, sys
sys.path.insert(0, sys.argv[1])
for script in sys.argv[2:]:
    sys.argv = [script, "--help"]
    try:
        runpy.run_path(script, run_name="__main__")
    except SystemExit as stop:
        assert stop.code in (0, None), (script, stop.code)
    else:
        raise AssertionError(f"{script} --help did not exit")
"""
    scripts = [str(p) for p in SCRIPTS]
    result = subprocess.run(
        [sys.executable, "-c", code, str(BENCHMARKS), *scripts],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.count("usage:") == len(SCRIPTS)
    suite = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--help"],
        cwd=BENCHMARKS.parent,
        capture_output=True,
        text=True,
        check=False,
    )
    assert suite.returncode == 0 and "--only" in suite.stdout, suite.stderr[-2000:]


# ---------------------------------------------------------------------- the suite's machinery
def _suite_modules():
    sys.path.insert(0, str(BENCHMARKS))
    import quick_steps
    import quick_suite

    return quick_steps, quick_suite


def test_torch_workers_get_one_blas_thread_and_others_none():
    quick_steps, _ = _suite_modules()
    assert quick_steps.torch_environment("PyTorch") == {"OPENBLAS_NUM_THREADS": "1"}
    assert quick_steps.torch_environment("PyTorch, no oneDNN") == {"OPENBLAS_NUM_THREADS": "1"}
    assert quick_steps.torch_environment("minitorch") == {}


def test_numpy_reference_never_shares_torch_process():
    _, quick_suite = _suite_modules()
    assert quick_suite.frameworks_of("PyTorch") == ("PyTorch",)
    assert "PyTorch" not in quick_suite.frameworks_of("minitorch")
    assert "NumPy" in quick_suite.frameworks_of("minitorch")


def test_a_pytorch_figure_beyond_15_percent_of_the_standalone_one_is_suspect():
    _, quick_suite = _suite_modules()
    assert not quick_suite.suspect(1.10, 1.0) and not quick_suite.suspect(0.90, 1.0)
    assert quick_suite.suspect(1.20, 1.0) and quick_suite.suspect(0.80, 1.0)
    assert quick_suite.suspect(12.7, 1.57)  # issue 20's MLP at batch 32


def test_every_workload_builds_only_the_frameworks_asked_for():
    """Every workload has its own key, is found by it, and its builder takes the frameworks to
    build (a worker builds its own): checked without building anything."""
    code = """
import inspect, sys
sys.path.insert(0, sys.argv[1])
import run
keys = [w.key for w in run.all_workloads()]
assert len(keys) == len(set(keys)), keys
for w in run.all_workloads():
    assert run.workload(w.key).key == w.key
    assert list(inspect.signature(w.build).parameters)[0] == "f", w.key
print(" ".join(keys))
"""
    result = subprocess.run(
        [sys.executable, "-c", code, str(BENCHMARKS)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr[-2000:]
    keys = set(result.stdout.split())
    assert {"mnistnet", "char", "vae", "diffusion", "dcgan", "cnn-lenet5", "gpt"} <= keys, keys
    assert {f"mlp-b{b}" for b in (32, 128, 512)} | {"mlp-inputgrad-b32", "tiny-b1"} <= keys


def test_workers_take_turns_and_the_standalone_check_answers():
    """One tiny workload through the suite's machinery: two worker processes (minitorch with
    NumPy, PyTorch alone) and the standalone torch_alone.py, timed in the same rounds, and the
    subnormal and loss answers."""
    code = """
import sys
sys.path.insert(0, sys.argv[1])
sys.argv = ["run.py", "--threads", "1"]
import harness, quick_steps, quick_suite
workers, runners = quick_suite.start("tiny-b1", 1, True)
alone = quick_suite.Alone("tiny-b1", 1)
try:
    assert list(runners) == ["minitorch", "PyTorch", "NumPy"], list(runners)
    timed = runners | {"PyTorch alone": alone}
    timings = harness.measure(timed, 3, repeats=2, threshold=1.0, max_rounds=2, pause=0)
    assert all(t.median > 0 and len(t.samples) == 2 for t in timings.values())
    assert [s.round for s in timings["PyTorch alone"].samples] == [0, 1]
    losses = {name: r.ask("loss") for name, r in runners.items()}
    assert all(loss == loss and loss > 0 for loss in losses.values()), losses
    assert runners["minitorch"].ask("subnormal") is not None
finally:
    alone.close()
    quick_steps.stop_workers(workers)
assert alone.process.returncode == 0
print("ok")
"""
    result = subprocess.run(
        [sys.executable, "-c", code, str(BENCHMARKS)],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "OPENBLAS_NUM_THREADS": "1"},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.split()[-1] == "ok"
