"""Write the stored reference values of the public checks: ``golden/<assignment>.npz``.

Run on the reference (never in a student edition, whose stubs would raise)::

    python -m minitorch.course.make_golden            # every assignment
    python -m minitorch.course.make_golden 01-linear  # one

Each check's inputs are drawn from a generator seeded by the task's name (float64), passed
to the reference function, and stored with its outputs; ``None`` outputs are recorded as such.
"""

from __future__ import annotations

import io
import sys
import zlib

import numpy as np

from .checks import CHECKS, golden_path
from .edition import edition_info
from .syllabus import ASSIGNMENTS, Task, assignment
from .targets import resolve

__all__ = ["golden_arrays", "main", "reference_arrays", "task_arrays"]


def task_arrays(task: Task, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """``task``'s check inputs drawn from ``rng`` and the reference's outputs on them, keyed
    ``<task>/<case>/in|out|none|text/<name>`` (empty for a task without checked outputs)."""
    check = CHECKS.get(task.name)
    if check is None or check.run is None:
        return {}
    return reference_arrays(task, check.cases(rng))


def reference_arrays(task: Task, cases: dict[str, dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """The inputs of every case in ``cases`` and the reference's outputs on them, keyed as
    :func:`task_arrays`'s (the expected values of a hidden test, computed by the grader)."""
    arrays: dict[str, np.ndarray] = {}
    check = CHECKS[task.name]
    function = resolve(task.target)
    for case, inputs in cases.items():
        outputs = check.run(function, case, {k: v.copy() for k, v in inputs.items()})
        for name, value in inputs.items():
            arrays[f"{task.name}/{case}/in/{name}"] = np.asarray(value)
        if not check.keeps_expected:
            continue
        for name, value in outputs.items():
            if value is None:
                arrays[f"{task.name}/{case}/none/{name}"] = np.array(0)
            elif isinstance(value, str):
                arrays[f"{task.name}/{case}/text/{name}"] = np.array(value)
            else:
                arrays[f"{task.name}/{case}/out/{name}"] = np.array(value, dtype=np.float64)
    return arrays


def golden_arrays(assignment_id: str) -> dict[str, np.ndarray]:
    """The arrays ``golden/<assignment_id>.npz`` holds, computed by the reference now (each
    task's inputs drawn from a generator seeded by its name)."""
    arrays: dict[str, np.ndarray] = {}
    for task in assignment(assignment_id).tasks:
        arrays.update(task_arrays(task, np.random.default_rng(zlib.crc32(task.name.encode()))))
    return arrays


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if edition_info() is not None:
        print("make_golden: this is a student edition; run it on the reference", file=sys.stderr)
        return 2
    ids = argv or [a.id for a in ASSIGNMENTS]
    for assignment_id in ids:
        arrays = golden_arrays(assignment_id)
        if not arrays:
            continue
        path = golden_path(assignment_id)
        path.parent.mkdir(parents=True, exist_ok=True)
        buffer = io.BytesIO()
        np.savez_compressed(buffer, **arrays)
        path.write_bytes(buffer.getvalue())
        print(f"{path.name}: {len(arrays)} arrays")
    return 0


if __name__ == "__main__":
    sys.exit(main())
