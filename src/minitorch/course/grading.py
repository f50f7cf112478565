"""Grading a submission into Gradescope's ``results.json``.

``grade(submission, assignment_id)`` runs the public checks of the assignment on a student's
edition (a directory holding ``src/minitorch``) with the grader's own check code and stored
values (never the submission's copy of them), each task in a child process, and returns
Gradescope's results: ``score``, ``execution_time`` and one test per task with ``name``,
``score``, ``max_score``, ``status``, ``output`` (the teaching message) and ``visibility``.
A task keeps its points only if it also passes a hidden test on fresh inputs (or on the
instructor's, ``hidden_tests``). The student's code sees copies of what it needs only; as root
it runs as an unprivileged user who can read neither the reference nor the hidden tests
(:func:`minitorch.course.runner.grading`).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from .edition import edition_info
from .hidden import hidden_files
from .runner import GRADE_USER, TIMEOUT, TaskResult, check_tasks, grading, hidden_tasks
from .syllabus import assignment

__all__ = ["grade", "results_json", "write_results"]


def results_json(results: list[TaskResult], seconds: float) -> dict:
    """Gradescope's results.json for these task results."""
    return {
        "score": sum(r.earned for r in results),
        "execution_time": round(seconds, 3),
        "tests": [
            {
                "name": r.task.name,
                "score": r.earned,
                "max_score": r.task.points,
                "status": "passed" if r.passed else "failed",
                "output": r.message or "passed",
                "visibility": "visible",
            }
            for r in results
        ],
    }


def _edition_in(submission: Path) -> Path:
    """The edition in ``submission``: the folder itself, or the one folder in it (an upload
    of the edition's folder) holding ``src/minitorch``."""
    for candidate in (submission, *sorted(p for p in submission.glob("*") if p.is_dir())):
        if (candidate / "src" / "minitorch" / "__init__.py").is_file():
            return candidate
    raise FileNotFoundError(f"{submission} holds no student edition (no src/minitorch/__init__.py)")


def grade(
    submission: Path | str,
    assignment_id: str,
    timeout: float = TIMEOUT,
    hidden: bool = True,
    hidden_tests: Path | str | None = None,
    user: str = GRADE_USER,
    python: str | None = None,
    allow_readable: bool = False,
) -> tuple[dict, list[TaskResult]]:
    """Grade the edition at ``submission`` on ``assignment_id``'s public checks, then (with
    ``hidden``) each task that passed them on a hidden test: the inputs of ``hidden_tests``
    (a folder written by ``minitorch course hidden``) for the tasks it holds, fresh inputs for
    the others; the expected outputs computed by the reference in this process, never in the
    student's. As root, the student's code runs as ``user`` with the Python ``python``."""
    submission = _edition_in(Path(submission))
    if edition_info() is not None:
        raise RuntimeError("grade from the reference: hidden tests need the reference's code")
    chosen = assignment(assignment_id)
    files = {} if hidden_tests is None else hidden_files(chosen.id, hidden_tests)
    start = time.perf_counter()
    folder = None if hidden_tests is None else Path(hidden_tests).resolve()
    with grading(submission, user, python, files, folder, allow_readable) as graded:
        results = check_tasks(chosen, timeout=timeout, graded=graded)
        if hidden:
            results = hidden_tasks(chosen, results, graded, timeout=timeout)
    return results_json(results, time.perf_counter() - start), results


def write_results(path: Path | str, results: dict) -> None:
    Path(path).write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", "utf-8")
