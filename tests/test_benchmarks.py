"""The benchmarks' structure: the suite is the library, each ``bench_*.py`` a front-end over it.

No timing is run here (timings are no test on a shared machine); the checks are that the
suite's modules never import a script, that every script is argument parsing and one call into
the suite, and that every command line still answers ``--help``.
"""

from __future__ import annotations

import ast
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
