"""`minitorch course grade`: Gradescope's results.json from a student's edition.

Scored with the grader's checks and stored values, never the submission's copies: a
submission that patches its own checks, prints a fake result or writes results.json keeps
its score; the child only hands over the student's outputs, and the parent compares them with
the stored values, so a forged verdict scores nothing. Graded from this checkout (readable to
every user), as root these runs pass --allow-readable-reference; tests/test_course_root.py
grades from the autograder's layout, where the reference is unreadable to the student's code.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

from minitorch.cli import main
from minitorch.course import assignment
from minitorch.course.edition import build_edition
from test_course_check import _set_body
from test_course_root import grade_flags

ASSIGNMENT = "01-linear"


def _grade(tmp_path, edition, capsys) -> dict:
    results = tmp_path / "results.json"
    assert main(["course", "grade", str(edition), "--assignment", ASSIGNMENT,
                 "--results", str(results), *grade_flags()]) == 0
    capsys.readouterr()
    return json.loads(results.read_text())


def test_results_json_has_gradescope_s_shape_and_partial_credit(tmp_path, capsys):
    edition = tmp_path / "submission"
    build_edition(ASSIGNMENT, edition)
    chosen = assignment(ASSIGNMENT)
    fresh = _grade(tmp_path, edition, capsys)
    assert set(fresh) == {"score", "execution_time", "tests"}
    assert fresh["score"] == 0 and fresh["execution_time"] > 0
    for test, task in zip(fresh["tests"], chosen.tasks, strict=True):
        assert set(test) == {"name", "score", "max_score", "status", "output", "visibility"}
        assert (test["name"], test["score"], test["max_score"], test["status"]) == (
            task.name, 0, task.points, "failed"
        )
        assert "is not written yet" in test["output"] and test["visibility"] == "visible"

    _set_body(edition, chosen.tasks[0].target)  # the forward written, the backward not
    partial = _grade(tmp_path, edition, capsys)
    assert partial["score"] == chosen.tasks[0].points
    statuses = [t["status"] for t in partial["tests"]]
    assert statuses == ["passed"] + ["failed"] * (len(chosen.tasks) - 1)


def test_a_submission_cannot_change_its_score(tmp_path, capsys):
    edition = tmp_path / "cheater"
    build_edition(ASSIGNMENT, edition)
    honest = _grade(tmp_path, edition, capsys)["score"]
    # Its own copy of the checks made to pass everything: not the copy the grader uses.
    core = edition / "src/minitorch/course/check_core.py"
    core.write_text(core.read_text().replace(
        "def run_check(task_name: str, check: Check, function: Callable, golden: Any) -> "
        "str | None:\n", "def run_check(task_name, check, function, golden):\n    return None\n"
    ))
    runner = edition / "src/minitorch/course/runner.py"
    runner.write_text(runner.read_text() + "\nTIMEOUT = 0.001\n")
    # A body that prints a fake table and writes a results.json where it runs.
    target = assignment(ASSIGNMENT).tasks[0].target
    _set_body(edition, target, (
        "import pathlib\n"
        "print('linear_forward  4/4  passed')\n"
        "pathlib.Path('results.json').write_text('{\"score\": 100}')\n"
        "raise NotImplementedError('not yet')\n"
    ))
    assert _grade(tmp_path, edition, capsys)["score"] == honest == 0
    # A body that exits the process before any verdict.
    _set_body(edition, target, "import os\nos._exit(0)\n")
    graded = _grade(tmp_path, edition, capsys)
    assert graded["score"] == 0
    assert "stopped before its verdict" in graded["tests"][0]["output"]
    # A body that writes a passing verdict for itself and exits: the parent compares the
    # outputs itself, and there are none.
    backward = assignment(ASSIGNMENT).tasks[1]
    _set_body(edition, backward.target, (
        "import json, os, sys\n"
        "verdict = next(a for a in sys.argv if a.endswith('verdict.json'))\n"
        f"open(verdict, 'w').write(json.dumps({{'task': {backward.name!r}, "
        "'message': None}))\n"
        "os._exit(0)\n"
    ))
    graded = _grade(tmp_path, edition, capsys)
    assert graded["score"] == 0
    assert "stopped before handing over its outputs" in graded["tests"][1]["output"]


def test_grading_something_that_is_no_edition_is_one_line(tmp_path, capsys):
    assert main(["course", "grade", str(tmp_path), "--assignment", ASSIGNMENT]) == 2
    assert "holds no student edition" in capsys.readouterr().err


def test_a_body_that_looks_up_the_stored_values_passes_check_but_not_the_hidden_test(
    tmp_path, capsys
):
    edition = tmp_path / "lookup"
    build_edition(ASSIGNMENT, edition)
    forward = assignment(ASSIGNMENT).tasks[0]
    _set_body(edition, forward.target, (
        "import pathlib, numpy as np, minitorch\n"
        "g = np.load(pathlib.Path(minitorch.__file__).parent / 'course/golden/01-linear.npz')\n"
        "for k in g.files:\n"
        "    case = k.split('/')[1]\n"
        "    if k.startswith('linear_forward/') and k.endswith('/in/x') and np.array_equal(\n"
        "            g[k], x) and (f'linear_forward/{case}/in/b' in g.files) == (b is not None):\n"
        "        return g[f'linear_forward/{case}/out/y'], LinearCache(x, W, b)\n"
        "raise ValueError('an input I have not seen')\n"
    ))
    env = {**os.environ, "PYTHONPATH": str(edition / "src")}
    public = subprocess.run([sys.executable, "-m", "minitorch", "check", forward.name],
                            capture_output=True, text=True, env=env, cwd=edition, timeout=300)
    assert public.returncode == 0, public.stdout + public.stderr  # the public check is fooled
    graded = _grade(tmp_path, edition, capsys)
    assert graded["tests"][0]["score"] == 0
    assert graded["tests"][0]["output"].endswith("(a hidden test: fresh inputs)")
