"""Running the checks: each task in a child process, one line per task, a score.

:func:`check_tasks` runs every task of an assignment (or those named) in its own child
process (``python -m minitorch.course.runner --child ...``), with a time limit and a memory
limit, its printing captured, so that a task that raises, hangs, eats memory, prints or exits
gets its own line and the others are still checked. The child imports the same minitorch as
the parent (the edition's, or the reference's) and writes its verdict as JSON to a file the
parent chose; the parent turns it into a :class:`TaskResult`.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .syllabus import Assignment, Task

__all__ = ["TaskResult", "check_tasks", "format_table", "hidden_tasks"]

PACKAGE_PARENT = Path(__file__).resolve().parents[2]  # the directory holding minitorch/
MEMORY_LIMIT = 4 * 1024**3  # bytes of address space a task may use
# One BLAS thread per task: two tasks run at once, and a many-core machine's per-thread BLAS
# buffers would otherwise count against the memory limit.
_ONE_THREAD = {name: "1" for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}
TIMEOUT = 60.0  # seconds a task may take
WORKERS = 2  # tasks checked at once


@dataclass(frozen=True)
class TaskResult:
    """The outcome of one task: its points earned of ``possible``, and the message when it
    failed (``None`` when it passed)."""

    task: Task
    earned: int
    message: str | None
    seconds: float
    printed: bool = False

    @property
    def passed(self) -> bool:
        return self.message is None

    def to_dict(self) -> dict:
        return {
            "name": self.task.name,
            "target": self.task.target,
            "points": self.earned,
            "max_points": self.task.points,
            "passed": self.passed,
            "message": self.message,
        }


def _limit_memory() -> None:  # runs in the child before exec
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
    except (ImportError, ValueError, OSError):  # not on this system: the time limit still holds
        pass


# Grading: the submission's minitorch, with this (the grader's) course package in place of the
# submission's own copy, so the checks and the stored values are the grader's.
_GRADE_BOOTSTRAP = """
import importlib.util, pathlib, sys
course, submission = sys.argv[1], sys.argv[2]
import minitorch
if not pathlib.Path(minitorch.__file__).resolve().is_relative_to(pathlib.Path(submission)):
    sys.exit(f"grading imported {minitorch.__file__}, not the submission's minitorch")
spec = importlib.util.spec_from_file_location(
    "minitorch.course", course + "/__init__.py", submodule_search_locations=[course])
module = importlib.util.module_from_spec(spec)
sys.modules["minitorch.course"] = minitorch.course = module
spec.loader.exec_module(module)
from minitorch.course.runner import _child
_child(*sys.argv[3:])
"""


def _command(
    task: Task, assignment_id: str, verdict: Path, submission: Path | None, values: str
) -> list:
    if submission is None:
        return [sys.executable, "-m", "minitorch.course.runner", "--child",
                task.name, assignment_id, str(verdict), values]
    course = str(Path(__file__).resolve().parent)
    return [sys.executable, "-c", _GRADE_BOOTSTRAP, course, str(submission.resolve()),
            task.name, assignment_id, str(verdict), values]


class _Values:
    """Arrays held in memory, read as an open ``.npz`` is (``files``, ``[key]``)."""

    def __init__(self, arrays: dict) -> None:
        self.arrays = arrays
        self.files = list(arrays)

    def __getitem__(self, key: str) -> Any:
        return self.arrays[key]


def _run_one(
    task: Task,
    assignment_id: str,
    timeout: float,
    submission: Path | None = None,
    hidden_seed: int | None = None,
) -> TaskResult:
    """Check one task in a child process. With ``hidden_seed``, on fresh inputs drawn from it
    (a hidden test): the reference computes the expected outputs here, in the parent, and the
    child gets the inputs only."""
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="minitorch-check-") as work:
        verdict = Path(work) / "verdict.json"
        expected = None
        values = ""
        if hidden_seed is not None:
            import numpy as np

            from .make_golden import task_arrays

            expected = _Values(task_arrays(task, np.random.default_rng(hidden_seed)))
            values = str(Path(work) / "inputs.npz")
            np.savez(values, **{k: v for k, v in expected.arrays.items() if "/in/" in k})
        output = Path(work) / "output.txt"
        env = {**os.environ, **_ONE_THREAD}
        first = PACKAGE_PARENT if submission is None else submission.resolve() / "src"
        env["PYTHONPATH"] = os.pathsep.join([str(first), *filter(None, [env.get("PYTHONPATH")])])
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        command = _command(task, assignment_id, verdict, submission, values)
        with open(output, "wb") as sink:
            posix = os.name == "posix"
            process = subprocess.Popen(
                command, stdin=subprocess.DEVNULL, stdout=sink, stderr=sink, cwd=work, env=env,
                preexec_fn=_limit_memory if posix else None, start_new_session=posix,
            )
            try:
                code = process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                code = None
            finally:  # the task's whole process group: what it started dies with it
                if posix:
                    with contextlib.suppress(ProcessLookupError, PermissionError):
                        os.killpg(process.pid, signal.SIGKILL)
                process.kill()
                process.wait()
        seconds = time.perf_counter() - start
        printed = output.stat().st_size > 0
        if code is None:
            message = (
                f"{task.name}: did not finish within {timeout:g} s (an endless loop, or a loop "
                "over samples where one array operation would do?)"
            )
            return TaskResult(task, 0, message, seconds, printed)
        try:
            result = json.loads(verdict.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            result = None
        if not isinstance(result, dict) or result.get("task") != task.name:
            message = f"{task.name}: the check stopped before its verdict (exit code {code})"
            if code < 0:
                message += ": killed by a signal, out of memory?"
            return TaskResult(task, 0, message, seconds, printed)
        message = _compare_in_parent(
            task, assignment_id, Path(work), result.get("message"), expected
        )
        if message is not None and hidden_seed is not None:
            message += " (a hidden test: fresh inputs)"
        earned = task.points if message is None else 0
        return TaskResult(task, earned, message, seconds, printed)


def check_tasks(
    assignment: Assignment,
    names: list[str] | None = None,
    timeout: float = TIMEOUT,
    submission: Path | None = None,
) -> list[TaskResult]:
    """Run the public checks of ``assignment`` (only the tasks in ``names``, if given) on this
    minitorch, or on the student edition at ``submission`` with this package's checks."""
    tasks = list(assignment.tasks)
    if names:
        known = {t.name: t for t in tasks} | {t.target: t for t in tasks}
        unknown = [n for n in names if n not in known]
        if unknown:
            listed = ", ".join(t.name for t in tasks)
            raise KeyError(
                f"{', '.join(unknown)}: not a task of {assignment.id}; its tasks are {listed}"
            )
        tasks = [known[n] for n in dict.fromkeys(names)]
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        return list(
            pool.map(lambda task: _run_one(task, assignment.id, timeout, submission), tasks)
        )


def hidden_tasks(
    assignment: Assignment, results: list[TaskResult], submission: Path, timeout: float = TIMEOUT
) -> list[TaskResult]:
    """The hidden tests: each task that passed its public checks and is checked against stored
    values runs again on fresh inputs (a random seed drawn now), which the reference, here in
    the parent, computes the expected outputs of; the task keeps its points only if it passes.
    """
    import secrets

    from .checks import CHECKS

    def again(result: TaskResult) -> TaskResult:
        if not result.passed or CHECKS[result.task.name].run is None:
            return result
        return _run_one(result.task, assignment.id, timeout, submission, secrets.randbits(62))

    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        return list(pool.map(again, results))


def format_table(assignment: Assignment, results: list[TaskResult]) -> str:
    """One line per task (name, points, passed or failed, the message), then the total."""
    width = max(len(r.task.name) for r in results)
    lines = [f"{assignment.id}: {assignment.title}"]
    for r in results:
        status = "passed" if r.passed else "failed"
        score = f"{r.earned:>2}/{r.task.points}"
        line = f"  {r.task.name:<{width}}  {score:<5}  {status}"
        if r.message:
            line += f"  {r.message}"
        if r.printed and not r.passed:
            line += " (what it printed is not shown)"
        lines.append(line)
    earned = sum(r.earned for r in results)
    possible = sum(r.task.points for r in results)
    lines.append(f"  {'total':<{width}}  {earned:>2}/{possible}")
    return "\n".join(lines)


# ----------------------------------------------------------------- the child
def _where(error: BaseException) -> str:
    """``" (at nn/functional/linear.py:27)"``: the last frame of the error inside minitorch,
    outside the course's own code."""
    frames = traceback.extract_tb(error.__traceback__)
    package = Path(sys.modules["minitorch"].__file__).resolve().parent  # the student's
    for frame in reversed(frames):
        path = Path(frame.filename)
        try:
            relative = path.resolve().relative_to(package)
        except ValueError:
            continue
        if relative.parts and relative.parts[0] != "course":
            return f" (at {relative.as_posix()}:{frame.lineno})"
    return ""


class _NoValues:
    """The stored values of an assignment checked by behaviour only: none."""

    files: tuple[str, ...] = ()

    def __enter__(self) -> _NoValues:
        return self

    def __exit__(self, *exc_info: object) -> None:
        return None


def _child(task_name: str, assignment_id: str, verdict: str, values: str = "") -> None:
    """Run the student's function on the stored inputs, hand its outputs to the parent in
    ``outputs.npz`` beside ``verdict`` (the parent compares them with the stored values), and
    write what else happened (an error, the behaviour check's message) to ``verdict``. With
    ``values``, the inputs are that file's (a hidden test) and the behaviour is not checked."""
    import numpy as np

    from .check_core import collect_outputs
    from .checks import CHECKS, golden_path
    from .syllabus import find_task
    from .targets import resolve

    _, task = find_task(task_name)
    check = CHECKS[task.name]
    path = Path(values) if values else golden_path(assignment_id)
    try:
        with np.errstate(all="ignore"), (np.load(path) if path.exists() else _NoValues()) as golden:
            function = resolve(task.target)
            outputs = collect_outputs(task.name, check, function, golden)
            np.savez(Path(verdict).with_name("outputs.npz"), **outputs)
            behaviour = check.behaviour if not values else None
            message = behaviour(function) if behaviour is not None else None
    except NotImplementedError as error:  # a stub: its message names the task
        named = str(error).startswith(f"{task.name} (")
        message = f"{error}" if named else f"{task.name}: raised NotImplementedError: {error}"
        message += _where(error)
    except Exception as error:  # the student's error becomes the task's message
        message = f"{task.name}: raised {type(error).__name__}: {error}{_where(error)}"
    Path(verdict).write_text(
        json.dumps({"task": task.name, "message": message}), encoding="utf-8"
    )


def _compare_in_parent(
    task: Task,
    assignment_id: str,
    work: Path,
    child_message: str | None,
    expected: _Values | None = None,
) -> str | None:
    """The task's message: the parent's own comparison of the child's outputs with the stored
    values first, then what the child reported (its error, the behaviour check). A check with
    stored values whose child handed over no outputs and reported nothing did not finish."""
    import numpy as np

    from .check_core import compare_outputs
    from .checks import CHECKS, golden_path

    check = CHECKS[task.name]
    if check.run is None:
        return child_message
    outputs = work / "outputs.npz"
    if not outputs.is_file():
        return child_message or f"{task.name}: the check stopped before handing over its outputs"
    with np.load(outputs) as yours:
        if expected is not None:
            return compare_outputs(task.name, check, yours, expected) or child_message
        with np.load(golden_path(assignment_id)) as golden:
            return compare_outputs(task.name, check, yours, golden) or child_message


if __name__ == "__main__":
    if len(sys.argv) in (5, 6) and sys.argv[1] == "--child":
        _child(*sys.argv[2:])
    else:
        sys.exit("usage: python -m minitorch.course.runner --child TASK ID VERDICT [INPUTS]")
