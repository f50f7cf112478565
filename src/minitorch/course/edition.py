"""The student edition: a copy of minitorch with the assignment's answers taken out.

``build_edition(assignment_id, out)`` copies the installable project (``pyproject.toml``,
``README.md``, ``LICENSE``, ``src/minitorch`` with its package data) and the student's
``notebooks/``, ``docs/`` and ``examples/`` (never the reference's tests, benchmarks, ``.git``
or compiled files) and replaces the body of every task of the assignment
and of every later one with a stub that keeps the signature and the docstring (the math and the
shapes are the assignment's text) and raises ``NotImplementedError`` naming the task, the
assignment and where the formula is. Only the body's lines change; every other byte of the file
is the reference's. Earlier assignments stay solved, or, with ``keep_from``, hold the bodies a
student wrote in a previous edition. The edition says which it is in
``minitorch/course/edition.json``.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

from .syllabus import ASSIGNMENTS, Assignment, Task, assignment
from .targets import Body, formula_place, locate, module_and_qualname, source_path

__all__ = ["EDITION_FILE", "build_edition", "edition_info", "project_root", "stub_lines"]

EDITION_FILE = "edition.json"
COURSE_DATA = ("course/golden/*.npz", f"course/{EDITION_FILE}")  # package data an edition needs
PROJECT_FILES = ("pyproject.toml", "README.md", "LICENSE")
PROJECT_DIRS = ("notebooks", "docs", "examples")  # the student's reading and running, if present
_IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", "*.pyo", "*.egg-info", ".*")


def project_root() -> Path:
    """The reference project: the directory holding ``src/minitorch`` and ``pyproject.toml``."""
    package = Path(__file__).resolve().parents[1]
    return package.parents[1]


def edition_info(package_dir: Path | None = None) -> dict | None:
    """What ``edition.json`` says (``{"assignment": ..., ...}``), or ``None`` in the reference."""
    package_dir = Path(__file__).resolve().parents[1] if package_dir is None else package_dir
    path = package_dir / "course" / EDITION_FILE
    if not path.is_file():
        return None
    return json.loads(path.read_text(encoding="utf-8"))


def stub_lines(task: Task, owner: Assignment, body: Body, where: str) -> str:
    """The stub that replaces ``task``'s body: one ``raise NotImplementedError`` naming the
    task, the assignment and ``where`` the formula is written."""
    message = (
        f"{task.name} (assignment {owner.id}) is not written yet: "
        f"implement the formula in {where}"
    )
    ind = body.indent
    return f"{ind}raise NotImplementedError(\n{ind}    {message!r}\n{ind})\n"


def _tasks_by_file(
    src: Path, assignments: list[Assignment]
) -> dict[Path, list[tuple[Assignment, Task]]]:
    files: dict[Path, list[tuple[Assignment, Task]]] = {}
    for owner in assignments:
        for task in owner.tasks:
            files.setdefault(source_path(src, task.target), []).append((owner, task))
    return files


def _old_body(keep_from: Path, task: Task) -> str:
    """The body of ``task`` in a previous edition at ``keep_from``."""
    path = source_path(keep_from / "src", task.target)
    source = path.read_text(encoding="utf-8")
    body = locate(source, module_and_qualname(task.target)[1])
    return body.text(source.splitlines(keepends=True))


def _declare_course_data(pyproject: Path) -> None:
    """Add the stored values and edition.json to the edition's package data (so that a plain
    ``pip install DIR`` ships them too), where the reference's pyproject.toml does not yet."""
    if not pyproject.is_file():
        return
    text = pyproject.read_text(encoding="utf-8")
    match = re.search(r'^minitorch = \[(.*)\]$', text, flags=re.M)
    missing = [p for p in COURSE_DATA if f'"{p}"' not in (match.group(1) if match else "")]
    if match is None or not missing:
        return
    entries = match.group(1) + "".join(f', "{p}"' for p in missing)
    pyproject.write_text(text[: match.start(1)] + entries + text[match.end(1) :], "utf-8")


def build_edition(
    assignment_id: str, out: Path | str, keep_from: Path | str | None = None
) -> dict:
    """Write the student edition of ``assignment_id`` into ``out`` (which must not exist or be
    empty) and return what ``edition.json`` records."""
    owner = assignment(assignment_id)
    out = Path(out)
    if out.exists() and any(out.iterdir()):
        raise FileExistsError(f"{out} is not empty; choose a new folder for the edition")
    keep = Path(keep_from) if keep_from is not None else None
    if keep is not None and edition_info(keep / "src" / "minitorch") is None:
        raise FileNotFoundError(
            f"{keep} is not a student edition (no src/minitorch/course/{EDITION_FILE})"
        )
    root = project_root()
    out.mkdir(parents=True, exist_ok=True)
    for name in PROJECT_FILES:
        if (root / name).is_file():
            shutil.copy2(root / name, out / name)
    for name in PROJECT_DIRS:
        if (root / name).is_dir():
            shutil.copytree(root / name, out / name, ignore=_IGNORED)
    shutil.copytree(root / "src" / "minitorch", out / "src" / "minitorch", ignore=_IGNORED)
    _declare_course_data(out / "pyproject.toml")

    index = ASSIGNMENTS.index(owner)
    stubbed = list(ASSIGNMENTS[index:])
    kept = list(ASSIGNMENTS[:index]) if keep is not None else []
    src = out / "src"
    edits = _tasks_by_file(src, stubbed + kept)
    for path, tasks in edits.items():
        source = path.read_text(encoding="utf-8")
        lines = source.splitlines(keepends=True)
        located = []
        for task_owner, task in tasks:
            qualname = module_and_qualname(task.target)[1]
            where = formula_place(source, qualname) or "the assignment's text"
            located.append((locate(source, qualname), where, task_owner, task))
        for body, where, task_owner, task in sorted(located, key=lambda item: -item[0].start):
            if task_owner in stubbed:
                new = stub_lines(task, task_owner, body, where)
            else:
                new = _old_body(keep, task)
            lines[body.start - 1 : body.end] = [new]
        path.write_text("".join(lines), encoding="utf-8")

    info = {
        "assignment": owner.id,
        "title": owner.title,
        "stubbed": [t.target for a in stubbed for t in a.tasks],
        "kept_from": str(keep) if keep is not None else None,
    }
    (src / "minitorch" / "course" / EDITION_FILE).write_text(
        json.dumps(info, indent=2) + "\n", encoding="utf-8"
    )
    return info
