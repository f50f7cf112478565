"""An instructor's hidden tests: ``minitorch course hidden ID --out DIR [--seed S]`` writes
them, ``minitorch course grade ... --hidden-tests DIR`` grades with them.

``DIR`` holds one ``<task>.npz`` per task (``DataLoader.__iter__.npz``), with the same keys
the stored values use for inputs, ``<task>/<case>/in/<name>``: the inputs only. The expected
outputs are never stored: the reference computes them in the grader's process at grading
time. Files from outside are validated before use (the task is the assignment's, each case
and input is one the task's check draws, with the dtype kind and number of dimensions it
draws, the sizes within reason, the reference runs on them); a failure names the file.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import numpy as np

from .checks import CHECKS
from .syllabus import Task, assignment

__all__ = ["hidden_files", "load_hidden", "write_hidden"]

_MAX_BYTES = 64 * 1024**2  # of one task's inputs, unpacked


class HiddenTestsError(ValueError):
    """A folder of hidden tests that cannot be used (the message names the file)."""


def write_hidden(assignment_id: str, out: Path | str, seed: int | None = None) -> list[Path]:
    """Draw the inputs of a hidden test of every task of ``assignment_id`` (from ``seed``, or
    a fresh one) and write them to ``out/<task>.npz``."""
    import secrets

    from .make_golden import reference_arrays

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(secrets.randbits(62) if seed is None else seed)
    written = []
    for task in assignment(assignment_id).tasks:
        check = CHECKS.get(task.name)
        if check is None or check.run is None:
            continue
        cases = check.cases(rng)
        reference_arrays(task, cases)  # the reference runs on them
        arrays = {f"{task.name}/{case}/in/{name}": np.asarray(value)
                  for case, inputs in cases.items() for name, value in inputs.items()}
        path = out / f"{task.name}.npz"
        buffer = io.BytesIO()
        np.savez_compressed(buffer, **arrays)
        path.write_bytes(buffer.getvalue())
        written.append(path)
    return written


def hidden_files(assignment_id: str, folder: Path | str) -> dict[str, Path]:
    """The files of ``folder`` by task name, each validated (:func:`load_hidden`)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise HiddenTestsError(f"--hidden-tests {folder}: not a folder")
    tasks = {t.name: t for t in assignment(assignment_id).tasks}
    files = {}
    for path in sorted(folder.iterdir()):
        name = path.name[: -len(".npz")] if path.name.endswith(".npz") else None
        if name not in tasks:
            listed = ", ".join(f"{t}.npz" for t in tasks)
            raise HiddenTestsError(
                f"{path}: not the hidden tests of a task of {assignment_id} (one <task>.npz per "
                f"task: {listed})"
            )
        load_hidden(tasks[name], path)
        files[name] = path
    return files


def load_hidden(task: Task, path: Path) -> dict[str, dict[str, np.ndarray]]:
    """The cases in ``path``, ``{case: {name: array}}``, after checking them against what the
    task's check draws and running the reference on them."""
    from .make_golden import reference_arrays

    check = CHECKS[task.name]
    drawn = check.cases(np.random.default_rng(0))

    def refuse(why: str) -> HiddenTestsError:
        return HiddenTestsError(f"{path}: {why}")

    try:
        with zipfile.ZipFile(path) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (OSError, zipfile.BadZipFile) as error:
        raise refuse(f"not a .npz file ({error})") from None
    if unpacked > _MAX_BYTES:
        raise refuse(f"{unpacked} bytes of inputs, more than the {_MAX_BYTES} a test may hold")
    cases: dict[str, dict[str, np.ndarray]] = {}
    try:
        with np.load(path, allow_pickle=False) as stored:
            for key in stored.files:
                parts = key.split("/")
                if len(parts) != 4 or parts[0] != task.name or parts[2] != "in":
                    raise refuse(f"key {key!r} is not {task.name}/<case>/in/<name>")
                cases.setdefault(parts[1], {})[parts[3]] = stored[key]
    except (OSError, ValueError) as error:
        raise refuse(f"cannot be read ({error})") from None
    if not cases:
        raise refuse("holds no inputs")
    for case, inputs in cases.items():
        if case not in drawn:
            raise refuse(f"case {case!r} is none of {task.name}'s: {', '.join(drawn)}")
        wanted = drawn[case]
        if set(inputs) != set(wanted):
            raise refuse(
                f"case {case!r} has the inputs {sorted(inputs)}, {task.name} takes {sorted(wanted)}"
            )
        for name, value in inputs.items():
            like = np.asarray(wanted[name])
            kinds = {"f": "f", "i": "iu", "u": "iu", "b": "b"}.get(like.dtype.kind, "")
            if value.ndim != like.ndim or value.dtype.kind not in kinds:
                raise refuse(
                    f"{case}/{name} is {value.dtype} of shape {value.shape}, expected "
                    f"{like.dtype} with {like.ndim} dimensions (e.g. {like.shape})"
                )
    try:
        with np.errstate(all="ignore"):
            reference_arrays(task, cases)
    except Exception as error:
        raise refuse(
            f"the reference cannot run on these inputs ({type(error).__name__}: {error}); "
            f"shapes as `minitorch course hidden` draws them"
        ) from None
    return cases
