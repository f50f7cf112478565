"""The README's "Teaching with minitorch" commands run as written, in a temporary folder.

The section's two ``bash`` blocks are read from README.md: the instructor's (list, build, hand
out, grade, autograder, next week's build) and the student's (install, check, check one task).
Every command runs in order in one temporary folder, ``minitorch`` as ``python -m minitorch``
with the reference's ``src`` first on PYTHONPATH for the instructor and the edition's ``src``
for the student. Two substitutions, said here so the test hides nothing:

- ``pip install -e "handout-01[course]"`` is not run (it would need the network for the
  build backend, and time): the edition's ``src`` goes first on PYTHONPATH instead, which is
  what an editable install does, and the test checks that the edition's pyproject.toml
  declares the ``course`` extra the command asks for.
- Grading as root (as CI runs) runs the student's code as ``nobody``, who needs a Python it
  can run and, this checkout being readable to every user, the opt-out: the test adds
  ``tests/test_course_root.py``'s ``grade_flags()`` to ``course grade`` (nothing when not root).

Between "all fail until written" and "after writing its body" the student's writing is the
reference's bodies copied into the edition's files of the week's tasks.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

from minitorch.course import ASSIGNMENTS, assignment
from minitorch.course.targets import source_path
from test_course_root import grade_flags

ROOT = Path(__file__).resolve().parents[1]
SECTION = "## Teaching with minitorch"


def _blocks() -> list[list[str]]:
    """The commands of each bash block of the section, comments and blank lines dropped."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    start = readme.index(SECTION)
    end = readme.find("\n## ", start + len(SECTION))
    section = readme[start : end if end != -1 else None]
    blocks = re.findall(r"```bash\n(.*?)```", section, flags=re.S)
    return [[c for c in (line.split(" #")[0].strip() for line in b.splitlines()) if c]
            for b in blocks]


def _run(argv: list[str], cwd: Path, src: Path, timeout: float = 600):
    env = {**os.environ, "PYTHONPATH": str(src), "PYTHONDONTWRITEBYTECODE": "1"}
    if argv[0] == "minitorch":
        argv = [sys.executable, "-m", "minitorch", *argv[1:]]
        if argv[3:5] == ["course", "grade"]:
            argv += grade_flags()
    return subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=timeout)


def _table_line(output: str, name: str) -> list[str]:
    """The words of the line of task ``name`` in a printed table."""
    return next(line.split() for line in output.splitlines() if line.split()[:1] == [name])


def test_the_section_has_the_instructors_and_the_students_commands():
    instructor, student = _blocks()
    assert [c.split()[:3] for c in instructor] == [
        ["minitorch", "course", "list"], ["minitorch", "course", "build"], ["zip", "-qr",
        "handout-01.zip"], ["minitorch", "course", "grade"], ["minitorch", "course",
        "autograder"], ["minitorch", "course", "build"],
    ]
    assert [c.split()[:2] for c in student] == [
        ["pip", "install"], ["minitorch", "check"], ["minitorch", "check"],
    ]


def test_the_teaching_commands_run_as_the_readme_says(tmp_path):
    instructor, student = _blocks()
    week = assignment("01-linear")
    edition = tmp_path / "handout-01"
    reference_src = ROOT / "src"

    # ---------------------------------------------------------------- the instructor
    listed, built, zipped, graded, autograder, next_week = (shlex.split(c) for c in instructor)
    run = _run(listed, tmp_path, reference_src)
    assert run.returncode == 0, run.stderr
    assert f"{week.id}  {week.title}  ({week.points} points)" in run.stdout
    assert ASSIGNMENTS[-1].id in run.stdout

    run = _run(built, tmp_path, reference_src)
    assert run.returncode == 0, run.stderr
    info = json.loads((edition / "src/minitorch/course/edition.json").read_text())
    assert info["assignment"] == week.id
    assert (edition / "notebooks" / f"{week.id}.ipynb").is_file()

    if shutil.which(zipped[0]):
        run = _run(zipped, tmp_path, reference_src)
        assert run.returncode == 0, run.stderr
    else:  # no zip program here: the same archive from Python
        shutil.make_archive(str(tmp_path / "handout-01"), "zip", tmp_path, "handout-01")
    with zipfile.ZipFile(tmp_path / "handout-01.zip") as archive:
        assert "handout-01/src/minitorch/course/edition.json" in archive.namelist()

    run = _run(graded, tmp_path, reference_src)  # the handout as it was given: nothing written
    assert run.returncode == 0, run.stdout + run.stderr
    results = json.loads((tmp_path / "results.json").read_text())
    assert results["score"] == 0
    assert isinstance(results["execution_time"], float)
    assert [t["name"] for t in results["tests"]] == [t.name for t in week.tasks]
    for test, task in zip(results["tests"], week.tasks, strict=True):
        assert (test["score"], test["max_score"], test["status"]) == (0, task.points, "failed")
        assert "not written yet" in test["output"] and test["visibility"]
    assert _table_line(run.stdout, "total") == ["total", f"0/{week.points}"]
    assert "results.json: score 0" in run.stdout

    run = _run(autograder, tmp_path, reference_src)
    assert run.returncode == 0, run.stderr
    with zipfile.ZipFile(tmp_path / "autograder.zip") as archive:
        assert {"setup.sh", "run_autograder"} <= set(archive.namelist())

    run = _run(next_week, tmp_path, reference_src)
    assert run.returncode == 0, run.stderr
    info = json.loads((tmp_path / "handout-02/src/minitorch/course/edition.json").read_text())
    assert info["assignment"] == "02-activations"
    assert info["kept_from"] == "handout-01"

    # ---------------------------------------------------------------- the student
    install, check_all, check_one = (shlex.split(c) for c in student)
    assert install[:3] == ["pip", "install", "-e"] and install[3] == "handout-01[course]"
    assert re.search(r"^course = \[", (edition / "pyproject.toml").read_text(), flags=re.M)
    student_src = edition / "src"  # instead of the editable install: see the docstring

    run = _run(check_all, tmp_path, student_src)
    assert run.returncode == 1, run.stdout + run.stderr
    for task in week.tasks:
        words = _table_line(run.stdout, task.name)
        assert words[1:3] == [f"0/{task.points}", "failed"]
        assert f"{task.name} (assignment {week.id}) is not written yet" in " ".join(words)

    for task in week.tasks:  # the student writes the week's bodies
        shutil.copy2(source_path(reference_src, task.target),
                     source_path(student_src, task.target))
    run = _run(check_one, tmp_path, student_src)
    assert run.returncode == 0, run.stdout + run.stderr
    name = check_one[2]
    points = next(t.points for t in week.tasks if t.name == name)
    assert _table_line(run.stdout, name) == [name, f"{points}/{points}", "passed"]

    run = _run(check_all, tmp_path, student_src)
    assert run.returncode == 0, run.stdout + run.stderr
    assert _table_line(run.stdout, "total") == ["total", f"{week.points}/{week.points}"]

    run = _run(graded, tmp_path, reference_src)  # and the instructor grades it: full marks
    assert run.returncode == 0, run.stdout + run.stderr
    results = json.loads((tmp_path / "results.json").read_text())
    assert results["score"] == week.points
    assert all(t["status"] == "passed" and t["score"] == t["max_score"]
               for t in results["tests"])


def test_the_section_links_the_course_documentation():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    start = readme.index(SECTION)
    section = readme[start : readme.index("\n## ", start + 1)]
    assert "(docs/course.md)" in section
    assert (ROOT / "docs" / "course.md").is_file()
