"""`minitorch course autograder`: Gradescope's autograder zip, run end to end in a temporary
/autograder (source from the zip, a submission, results)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile

from minitorch.cli import main
from minitorch.course import assignment
from minitorch.course.edition import build_edition
from test_course_check import _set_body
from test_course_root import AS_ROOT, child_python

ASSIGNMENT = "01-linear"


def test_the_autograder_grades_a_submission_into_results_json(tmp_path, capsys):
    zipped = tmp_path / "autograder.zip"
    hidden = tmp_path / "hidden"  # the instructor's hidden tests, bundled
    assert main(["course", "hidden", ASSIGNMENT, "--out", str(hidden), "--seed", "5"]) == 0
    assert main(["course", "autograder", ASSIGNMENT, "--out", str(zipped), "--hidden-tests",
                 str(hidden)]) == 0
    capsys.readouterr()
    root = tmp_path / "autograder"
    with zipfile.ZipFile(zipped) as archive:
        names = archive.namelist()
        archive.extractall(root / "source")
    assert {"setup.sh", "run_autograder", "pyproject.toml"} <= set(names)
    assert "src/minitorch/course/golden/01-linear.npz" in names
    assert "hidden/linear_forward.npz" in names
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]
    for script in ("setup.sh", "run_autograder"):
        assert subprocess.run(["bash", "-n", str(root / "source" / script)]).returncode == 0
    # The student uploads their edition's folder: linear_forward written, linear_backward not.
    build_edition(ASSIGNMENT, root / "submission" / "handout")
    forward = assignment(ASSIGNMENT).tasks[0]
    _set_body(root / "submission" / "handout", forward.target)
    # As root, the student's code runs as nobody: the Python must be one nobody can run.
    python = child_python() if AS_ROOT else sys.executable
    env = {**os.environ, "AUTOGRADER_ROOT": str(root), "PYTHON": python}
    env.pop("PYTHONPATH", None)
    run = subprocess.run(["bash", str(root / "source" / "run_autograder")], env=env,
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert (root / "source").stat().st_mode & 0o777 == 0o700  # the reference: root's only
    results = json.loads((root / "results" / "results.json").read_text())
    assert results["score"] == forward.points
    statuses = [t["status"] for t in results["tests"]]
    assert statuses == ["passed"] + ["failed"] * (len(assignment(ASSIGNMENT).tasks) - 1)
    assert "linear_backward (assignment 01-linear) is not written yet" in (
        results["tests"][1]["output"]
    )


def test_an_upload_that_is_no_edition_still_gets_a_results_json(tmp_path, capsys):
    zipped = tmp_path / "autograder.zip"
    assert main(["course", "autograder", ASSIGNMENT, "--out", str(zipped)]) == 0
    capsys.readouterr()
    root = tmp_path / "autograder"
    with zipfile.ZipFile(zipped) as archive:
        archive.extractall(root / "source")
    (root / "submission").mkdir()
    (root / "submission" / "linear.py").write_text("print('my homework')\n")
    env = {**os.environ, "AUTOGRADER_ROOT": str(root), "PYTHON": sys.executable}
    run = subprocess.run(["bash", str(root / "source" / "run_autograder")], env=env,
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    results = json.loads((root / "results" / "results.json").read_text())
    assert results["score"] == 0 and "could not be graded" in results["output"]
