"""Running the checks: each task in a child process, one line per task, a score.

:func:`check_tasks` runs every task of an assignment (or those named) in its own child
process (``python -m minitorch.course.runner --child ...``), with a time limit and a memory
limit, its printing captured, so that a task that raises, hangs, eats memory, prints or exits
gets its own line and the others are still checked. The child imports the same minitorch as
the parent (the edition's, or the reference's) and writes its verdict as JSON to a file the
parent chose; the parent turns it into a :class:`TaskResult`.

Grading (:class:`Grading`, made by :func:`grading`) runs the submission's code the same way but
gives the child only what it needs, in a folder of its own: a copy of the grader's check code
(never a path into the reference), a copy of the submission's ``src``, and the inputs of the
one task it checks (never an expected value); the parent compares. As root, each child runs as
an unprivileged user (``nobody`` by default), after a probe from that user has shown it can
read neither the reference nor the hidden tests.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .syllabus import Assignment, Task

__all__ = ["GRADE_USER", "Grading", "GradingError", "TaskResult", "check_tasks", "format_table",
           "grading", "hidden_tasks"]

PACKAGE_PARENT = Path(__file__).resolve().parents[2]  # the directory holding minitorch/
MEMORY_LIMIT = 4 * 1024**3  # bytes of address space a task may use
# One BLAS thread per task: two tasks run at once, and a many-core machine's per-thread BLAS
# buffers would otherwise count against the memory limit.
_ONE_THREAD = {name: "1" for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}
TIMEOUT = 60.0  # seconds a task may take
WORKERS = 2  # tasks checked at once
GRADE_USER = "nobody"  # whom the student's code runs as when grading as root
_CHILD_FILE_LIMIT = 256 * 1024**2  # bytes of a verdict or outputs file the parent reads


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


# Grading: the submission's minitorch (the copy of its src), with the copy of the grader's
# course package in place of the submission's own, so the checks are the grader's; run with
# ``python -I`` (no PYTHON* variables, no user site), the paths given on the command line.
_GRADE_BOOTSTRAP = """
import importlib.util, pathlib, sys
course, src = sys.argv[1], sys.argv[2]
sys.path.insert(0, src)
import minitorch
if not pathlib.Path(minitorch.__file__).resolve().is_relative_to(pathlib.Path(src).resolve()):
    sys.exit(f"grading imported {minitorch.__file__}, not the submission's minitorch")
spec = importlib.util.spec_from_file_location(
    "minitorch.course", course + "/__init__.py", submodule_search_locations=[course])
module = importlib.util.module_from_spec(spec)
sys.modules["minitorch.course"] = minitorch.course = module
spec.loader.exec_module(module)
from minitorch.course.runner import _child
_child(*sys.argv[3:])
"""

# Run as the grading user before grading as root: what of ``paths`` it can read, and whether
# its Python imports what the checks need.
_PROBE = """
import json, os, sys
readable = []
for path in sys.argv[1:]:
    try:
        if os.path.isdir(path):
            os.listdir(path)
        else:
            open(path, "rb").close()
        readable.append(path)
    except OSError:
        pass
try:
    import numpy, scipy.special
    imports = None
except Exception as error:
    imports = f"{type(error).__name__}: {error}"
print(json.dumps({"readable": readable, "imports": imports}))
"""


class GradingError(RuntimeError):
    """Grading cannot start safely (the message says how to fix it)."""


@dataclass
class Grading:
    """Where and as whom the children of one grading run: ``root`` (the grader's, ``0o711``)
    holds ``course`` (a copy of the grader's check code), ``src`` (a copy of the submission's)
    and one work folder per task run; ``user`` is ``(uid, gid)`` when grading as root;
    ``hidden`` maps a task's name to its file of the instructor's hidden tests."""

    root: Path
    course: Path
    src: Path
    python: str
    user: tuple[int, int] | None = None
    hidden: dict[str, Path] = field(default_factory=dict)

    def command(self, *args: str) -> list[str]:
        return [self.python, "-I", "-B", "-c", _GRADE_BOOTSTRAP, str(self.course), str(self.src),
                *args]

    def env(self, work: Path) -> dict[str, str]:
        """The child's whole environment: nothing of the grader's (its paths, its variables)."""
        return {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(work), "TMPDIR": str(work),
                "LANG": "C.UTF-8", **_ONE_THREAD}

    def popen_user(self) -> dict[str, Any]:
        if self.user is None:
            return {}
        return {"user": self.user[0], "group": self.user[1], "extra_groups": []}

    def work_dir(self) -> Path:
        """A new folder only the child (and the grader) can enter, in ``root``."""
        work = Path(tempfile.mkdtemp(prefix="task-", dir=self.root))
        if self.user is not None:
            os.chown(work, *self.user)
        work.chmod(0o700)
        return work


def _copy_readable(source: Path, target: Path, ignore: Any = None) -> None:
    """Copy ``source`` to ``target`` readable by everyone (symbolic links copied as links, never
    followed: a link into the reference stays as unreadable as its target)."""
    shutil.copytree(source, target, symlinks=True, ignore=ignore)
    for folder, _, files in os.walk(target):
        os.chmod(folder, 0o755)
        for name in files:
            path = Path(folder) / name
            if not path.is_symlink():
                path.chmod(0o644)


def _user(name: str) -> tuple[int, int]:
    import pwd

    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        raise GradingError(
            f"grading as root runs the student's code as the user {name!r}, and there is no "
            f"such user here: create it (useradd --system --no-create-home {name}) or name "
            "another with --user"
        ) from None
    if entry.pw_uid == 0:
        raise GradingError(f"the grading user {name!r} is root: name an unprivileged user")
    return entry.pw_uid, entry.pw_gid


def _probe(g: Grading, reference: Path, hidden_dir: Path | None, allow_readable: bool) -> None:
    """Refuse to grade as root when the grading user can run no Python with the checks'
    imports, or can read the reference (its ``nn/functional/linear.py``) or the hidden tests
    (unless ``allow_readable``)."""
    user = _user_name(g.user)
    paths = [str(reference / "nn" / "functional" / "linear.py")]
    if hidden_dir is not None:
        paths += [str(hidden_dir), *map(str, sorted(g.hidden.values()))]
    try:
        done = subprocess.run(
            [g.python, "-I", "-c", _PROBE, *paths], capture_output=True, text=True,
            cwd=g.root, env=g.env(g.root), timeout=120, **g.popen_user(),
        )
        answer = json.loads(done.stdout)
    except (OSError, ValueError, subprocess.SubprocessError) as error:
        raise GradingError(
            f"the grading user {user} cannot run {g.python} ({error}): pass --python a "
            f"Python (with numpy and scipy) that {user} can run, e.g. /usr/bin/python3"
        ) from None
    if answer["imports"] is not None:
        raise GradingError(
            f"{g.python}, run as the grading user {user}, cannot import the checks' "
            f"libraries ({answer['imports']}): install numpy and scipy where {user} can read "
            "them, or pass --python another Python"
        )
    readable = answer["readable"]
    if readable and not allow_readable:
        what = "the reference" if readable[0] == paths[0] else "the hidden tests"
        holder = reference.parents[1] if readable[0] == paths[0] else hidden_dir
        raise GradingError(
            f"the grading user {user} can read {what} ({readable[0]}), so the student's code "
            f"could too: make it unreadable (chmod 700 {holder}, the folder holding it, or "
            "install it under /root), or pass --allow-readable-reference to grade anyway"
        )


def _user_name(user: tuple[int, int] | None) -> str:
    import pwd

    if user is None:
        return "this user"
    with contextlib.suppress(KeyError):
        return pwd.getpwuid(user[0]).pw_name
    return f"uid {user[0]}"


@contextlib.contextmanager
def grading(
    submission: Path,
    user: str = GRADE_USER,
    python: str | None = None,
    hidden: dict[str, Path] | None = None,
    hidden_dir: Path | None = None,
    allow_readable: bool = False,
) -> Iterator[Grading]:
    """The :class:`Grading` of the edition at ``submission`` (its copies made in a new folder,
    removed afterwards). As root, the children run as ``user``, after :func:`_probe`."""
    as_root = os.name == "posix" and os.geteuid() == 0
    root = Path(tempfile.mkdtemp(prefix="minitorch-grade-"))
    try:
        root.chmod(0o711)  # the children pass through to their own folder; no listing
        course = Path(__file__).resolve().parent
        skip = shutil.ignore_patterns("__pycache__", "*.pyc", "golden", "edition.json")
        _copy_readable(course, root / "course", ignore=skip)
        src = submission.resolve() / "src"
        _copy_readable(src, root / "src", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        (root / "src").chmod(0o755)
        g = Grading(root, root / "course", root / "src", python or sys.executable,
                    _user(user) if as_root else None, dict(hidden or {}))
        if as_root:
            _probe(g, course.parent, hidden_dir, allow_readable)
        yield g
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _read_child_file(path: Path) -> bytes | None:
    """A file the child wrote, read without following a link it may have put there, nor
    reading more than a verdict or outputs can take; ``None`` if there is none."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return None
    with os.fdopen(fd, "rb") as file:
        info = os.fstat(file.fileno())
        if not (stat.S_ISREG(info.st_mode) and info.st_size <= _CHILD_FILE_LIMIT):
            return None
        return file.read(_CHILD_FILE_LIMIT + 1)


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
    graded: Grading | None = None,
    expected: dict | None = None,
) -> TaskResult:
    """Check one task in a child process. Checking (``graded`` ``None``): the child reads the
    stored values of this minitorch and the parent compares with them. Grading: the parent
    holds ``expected`` (the stored values, or a hidden test's: the reference's outputs on
    fresh inputs), the child gets their inputs only, in its own work folder."""
    start = time.perf_counter()
    hidden = expected is not None and expected.get("hidden", False)
    with contextlib.ExitStack() as stack:
        if graded is None:
            work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="minitorch-check-")))
            env = {**os.environ, **_ONE_THREAD, "PYTHONDONTWRITEBYTECODE": "1"}
            env["PYTHONPATH"] = os.pathsep.join(
                [str(PACKAGE_PARENT), *filter(None, [env.get("PYTHONPATH")])]
            )
            verdict = work / "verdict.json"
            command = [sys.executable, "-m", "minitorch.course.runner", "--child", task.name,
                       assignment_id, str(verdict), "", "1"]
            user: dict[str, Any] = {}
        else:
            import numpy as np

            work = graded.work_dir()
            stack.callback(shutil.rmtree, work, True)
            env, user = graded.env(work), graded.popen_user()
            inputs = work / "inputs.npz"
            arrays = expected["arrays"]
            np.savez(inputs, **{k: v for k, v in arrays.items() if "/in/" in k})
            inputs.chmod(0o644)
            verdict = work / "verdict.json"
            command = graded.command(task.name, assignment_id, str(verdict), str(inputs),
                                     "0" if hidden else "1")
        output = work / "output.txt" if graded is None else work.parent / f"{work.name}.out"
        with open(output, "wb") as sink:
            if graded is not None:
                stack.callback(output.unlink, True)
            posix = os.name == "posix"
            process = subprocess.Popen(
                command, stdin=subprocess.DEVNULL, stdout=sink, stderr=sink, cwd=work, env=env,
                preexec_fn=_limit_memory if posix else None, start_new_session=posix, **user,
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
            result = json.loads(_read_child_file(verdict) or b"")
        except ValueError:
            result = None
        if not isinstance(result, dict) or result.get("task") != task.name:
            message = f"{task.name}: the check stopped before its verdict (exit code {code})"
            if code < 0:
                message += ": killed by a signal, out of memory?"
            return TaskResult(task, 0, message, seconds, printed)
        child_message = result.get("message")
        if child_message is not None and not isinstance(child_message, str):
            child_message = f"{task.name}: the check's verdict is no message"
        values = None if expected is None else _Values(expected["arrays"])
        message = _compare_in_parent(task, assignment_id, work, child_message, values)
        if message is not None and hidden:
            message += " (a hidden test: fresh inputs)"
        earned = task.points if message is None else 0
        return TaskResult(task, earned, message, seconds, printed)


def _public(task: Task, assignment_id: str) -> dict:
    """The stored values of ``task`` (this grader's), held by the parent."""
    import numpy as np

    from .checks import golden_path

    path = golden_path(assignment_id)
    if not path.exists():
        return {"arrays": {}}
    with np.load(path) as golden:
        mine = [k for k in golden.files if k.startswith(f"{task.name}/")]
        return {"arrays": {k: golden[k] for k in mine}}


def check_tasks(
    assignment: Assignment,
    names: list[str] | None = None,
    timeout: float = TIMEOUT,
    graded: Grading | None = None,
) -> list[TaskResult]:
    """Run the public checks of ``assignment`` (only the tasks in ``names``, if given) on this
    minitorch, or, with ``graded``, on the submission it holds with this package's checks."""
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

    def one(task: Task) -> TaskResult:
        expected = None if graded is None else _public(task, assignment.id)
        return _run_one(task, assignment.id, timeout, graded, expected)

    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        return list(pool.map(one, tasks))


def hidden_tasks(
    assignment: Assignment, results: list[TaskResult], graded: Grading, timeout: float = TIMEOUT
) -> list[TaskResult]:
    """The hidden tests: each task that passed its public checks runs again on other inputs
    (the instructor's, from ``graded.hidden``, or fresh ones drawn now from a random seed);
    the reference, here in the parent, computes their expected outputs; the task keeps its
    points only if it passes."""
    import secrets

    import numpy as np

    from .checks import CHECKS
    from .hidden import load_hidden
    from .make_golden import reference_arrays

    def again(result: TaskResult) -> TaskResult:
        check = CHECKS[result.task.name]
        if not result.passed or check.run is None:
            return result
        if result.task.name in graded.hidden:
            cases = load_hidden(result.task, graded.hidden[result.task.name])
        else:
            cases = check.cases(np.random.default_rng(secrets.randbits(62)))
        expected = {"arrays": reference_arrays(result.task, cases), "hidden": True}
        return _run_one(result.task, assignment.id, timeout, graded, expected)

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


def _child(
    task_name: str, assignment_id: str, verdict: str, values: str = "", behaviour: str = "1"
) -> None:
    """Run the student's function on the inputs (``values``, or this minitorch's stored values),
    hand its outputs to the parent in ``outputs.npz`` beside ``verdict`` (the parent compares
    them with the expected values), and write what else happened (an error, the message of
    the check's extra ``behaviour`` test, run when ``behaviour`` is ``"1"``) to ``verdict``."""
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
            extra = check.behaviour if behaviour == "1" else None
            message = extra(function) if extra is not None else None
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
    """The task's message: the parent's own comparison of the child's outputs with the
    expected values (``expected``, or the stored values) first, then what the child reported
    (its error, the extra behaviour test). A check whose child handed over no outputs and
    reported nothing did not finish."""
    import io

    import numpy as np

    from .check_core import compare_outputs
    from .checks import CHECKS, golden_path

    check = CHECKS[task.name]
    if check.run is None:
        return child_message
    handed = _read_child_file(work / "outputs.npz")
    if handed is None:
        return child_message or f"{task.name}: the check stopped before handing over its outputs"
    try:
        yours = np.load(io.BytesIO(handed), allow_pickle=False)
        yours.files  # noqa: B018 (an outputs file that is no .npz fails here)
    except (OSError, ValueError):
        return f"{task.name}: the outputs handed over are no .npz file"
    with yours:
        if expected is not None:
            return compare_outputs(task.name, check, yours, expected) or child_message
        with np.load(golden_path(assignment_id)) as golden:
            return compare_outputs(task.name, check, yours, golden) or child_message


if __name__ == "__main__":
    if len(sys.argv) in (5, 6, 7) and sys.argv[1] == "--child":
        _child(*sys.argv[2:])
    else:
        sys.exit("usage: python -m minitorch.course.runner --child TASK ID VERDICT [INPUTS [0|1]]")
