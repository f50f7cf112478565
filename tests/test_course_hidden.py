"""Hidden tests: the behaviour-only tasks judged in the grader's process, and an instructor's
own hidden tests (`minitorch course hidden`, `course grade --hidden-tests DIR`).

The behaviour-only tasks (05-data's five, ``Optimizer.zero_grad``, ``sample_next_token``)
observe in the student's process and are judged in the grader's: a forged verdict, or the
course's judges patched from the student's code, scores nothing; a body that special-cases the
public inputs fails the hidden test drawn at grading time.
"""

from __future__ import annotations

import json
import zipfile

import numpy as np
import pytest

from minitorch.cli import main
from minitorch.course import assignment
from minitorch.course.checks import checked_assignments
from minitorch.course.edition import build_edition
from minitorch.course.hidden import HiddenTestsError, hidden_files, write_hidden
from minitorch.course.runner import check_tasks, grading, hidden_tasks
from minitorch.course.syllabus import find_task
from test_course_check import _set_body
from test_course_root import AS_ROOT, child_python, grade_flags

BEHAVIOUR = {  # task: its assignment
    "TensorDataset.__getitem__": "05-data",
    "DataLoader.__len__": "05-data",
    "DataLoader.__iter__": "05-data",
    "DataLoader._batches": "05-data",
    "random_split": "05-data",
    "Optimizer.zero_grad": "04-optimizers",
    "sample_next_token": "10-gpt",
}
ASSIGNMENT_OF = {**BEHAVIOUR, "rnn_step_forward": "12-rnn"}  # the tasks graded here
HIDDEN = " (a hidden test: fresh inputs)"


@pytest.fixture(scope="module")
def editions(tmp_path_factory):
    root = tmp_path_factory.mktemp("editions")
    for assignment_id in set(ASSIGNMENT_OF.values()):
        build_edition(assignment_id, root / assignment_id)
    for name, assignment_id in BEHAVIOUR.items():  # solved: _batches fetches dataset[i]
        _set_body(root / assignment_id, find_task(name)[1].target)
    return {assignment_id: root / assignment_id for assignment_id in ASSIGNMENT_OF.values()}


def _graded(edition, assignment_id: str, name: str, hidden_dir=None):
    """The task graded alone, as `course grade` grades it: public checks, then hidden test."""
    chosen = assignment(assignment_id)
    files = {} if hidden_dir is None else hidden_files(assignment_id, hidden_dir)
    python = child_python() if AS_ROOT else None
    with grading(edition, python=python, hidden=files, allow_readable=True) as graded:
        results = check_tasks(chosen, [name], graded=graded)
        return hidden_tasks(chosen, results, graded)[0]


_FORGED = """
import json, os, sys
verdict = next(a for a in sys.argv if a.endswith('verdict.json'))
open(verdict, 'w').write(json.dumps({{'task': {task!r}, 'message': None}}))
os._exit(0)
"""
_PATCHED = """
from minitorch.course import check_core, checks
for check in checks.CHECKS.values():
    object.__setattr__(check, 'judge', lambda *args: None)
    object.__setattr__(check, 'behaviour', lambda *args: None)
check_core.compare_outputs = lambda *args: None
return None
"""
BODIES = {  # what the body does: (its code, or None for the reference's; the points it keeps)
    "the reference's": (None, True),
    "writes a passing verdict and exits": (_FORGED, False),
    "patches the course's judges": (_PATCHED, False),
}


@pytest.mark.parametrize("body", list(BODIES))
@pytest.mark.parametrize("name", list(BEHAVIOUR))
def test_a_behaviour_task_is_judged_in_the_grader_s_process(name, body, editions):
    assignment_id = BEHAVIOUR[name]
    _, task = find_task(name)
    code, keeps = BODIES[body]
    _set_body(editions[assignment_id], task.target,
              None if code is None else code.format(task=task.name))
    try:
        result = _graded(editions[assignment_id], assignment_id, name)
    finally:
        _set_body(editions[assignment_id], task.target)
    assert result.earned == (task.points if keeps else 0), result.message
    if not keeps:
        assert result.message.startswith(("zero_grad", task.name.split(".")[0], task.name))


# Bodies that pass the public checks by looking their inputs up in the stored values (which
# ship in the edition) and fail on any other input.
_STORED = """
import pathlib, numpy as np, minitorch
g = np.load(pathlib.Path(minitorch.__file__).parent / 'course/golden/{assignment}.npz')
"""
SPECIAL_CASED = {
    "DataLoader.__len__": _STORED + """
key = [len(self.dataset), self.batch_size, float(self.drop_last)]
for row, value in zip(g['DataLoader.__len__/configs/in/configs'],
                      g['DataLoader.__len__/configs/out/len']):
    if row.tolist() == key:
        return int(value)
raise KeyError(key)
""",
    # No tokens are stored for the sampler (its judge needs none), so this one samples properly
    # on the two public logits only.
    "sample_next_token": _STORED + """
for case in ('softmax', 'top_k'):
    if np.array_equal(g[f'sample_next_token/{case}/in/logits'][0], logits[0]):
        row = np.exp(logits[0] - logits[0].max())
        if top_k is not None:
            row[np.argsort(logits[0])[:-top_k]] = 0
        return np.random.default_rng(0).choice(len(row), size=len(logits), p=row / row.sum())
return np.zeros(len(logits), dtype=np.int64)
""",
    # Its cases draw their sizes too: a fresh input is not even of a stored shape.
    "rnn_step_forward": _STORED + """
for k in g.files:
    if k.startswith('rnn_step_forward/') and k.endswith('/in/x') and np.array_equal(g[k], x):
        h = g[k.replace('/in/x', '/out/h')]
        return h, RNNStepCache(x, h_prev, W_ih, W_hh, b_ih is not None, h, nonlinearity)
raise ValueError('an input I have not seen')
""",
}


@pytest.mark.parametrize("name", list(SPECIAL_CASED))
def test_special_casing_the_public_inputs_fails_the_hidden_test(name, editions):
    assignment_id = ASSIGNMENT_OF[name]
    _, task = find_task(name)
    edition = editions[assignment_id]
    _set_body(edition, task.target, SPECIAL_CASED[name].replace("{assignment}", assignment_id))
    chosen = assignment(assignment_id)
    try:
        with grading(edition, python=child_python() if AS_ROOT else None,
                     allow_readable=True) as graded:
            public = check_tasks(chosen, [name], graded=graded)
            hidden = hidden_tasks(chosen, public, graded)[0]
    finally:
        _set_body(edition, task.target)
    assert public[0].passed, public[0].message  # the public check is fooled
    assert hidden.earned == 0 and hidden.message.endswith(HIDDEN), hidden.message


# ----------------------------------------------------------------- --hidden-tests DIR
def test_course_hidden_writes_the_inputs_only_one_file_per_task(tmp_path, capsys):
    assert main(["course", "hidden", "01-linear", "--out", str(tmp_path / "a"), "--seed", "7"]) == 0
    assert main(["course", "hidden", "01-linear", "--out", str(tmp_path / "b"), "--seed", "7"]) == 0
    assert "hidden tests of 01-linear" in capsys.readouterr().out
    chosen = assignment("01-linear")
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == sorted(
        f"{t.name}.npz" for t in chosen.tasks)
    for task in chosen.tasks:
        with np.load(tmp_path / "a" / f"{task.name}.npz") as a, \
                np.load(tmp_path / "b" / f"{task.name}.npz") as b:
            assert a.files and all(k.startswith(f"{task.name}/") and "/in/" in k for k in a.files)
            assert a.files == b.files and all(np.array_equal(a[k], b[k]) for k in a.files)
    assert hidden_files("01-linear", tmp_path / "a").keys() == {t.name for t in chosen.tasks}


@pytest.mark.parametrize("assignment_id", checked_assignments())
def test_what_course_hidden_writes_passes_the_validation(assignment_id, tmp_path):
    written = write_hidden(assignment_id, tmp_path, seed=4)
    checked = {t.name for t in assignment(assignment_id).tasks}
    assert hidden_files(assignment_id, tmp_path) == {p.name[: -len(".npz")]: p for p in written}
    assert set(hidden_files(assignment_id, tmp_path)) == checked


_SPY = """
import numpy as np, os
keys = sorted(np.load('inputs.npz').files)
raise ValueError('saw ' + repr(sorted(os.listdir('.'))) + ' ' + repr(keys))
"""
_CASED_LOOKUP = """
import pathlib, numpy as np, minitorch
g = np.load(pathlib.Path(minitorch.__file__).parent / 'course/golden/01-linear.npz')
for k in g.files:
    case = k.split('/')[1]
    if k.startswith('linear_forward/') and k.endswith('/in/x') and np.array_equal(g[k], x) and (
            f'linear_forward/{case}/in/b' in g.files) == (b is not None):
        return g[f'linear_forward/{case}/out/y'], LinearCache(x, W, b)
raise ValueError('an input I have not seen')
"""


def test_grading_with_an_instructor_s_hidden_tests(tmp_path, capsys):
    hidden = tmp_path / "hidden"
    write_hidden("01-linear", hidden, seed=11)
    edition = tmp_path / "submission"
    build_edition("01-linear", edition)
    forward, backward, *rest = assignment("01-linear").tasks
    for task in (backward, *rest):
        _set_body(edition, task.target)
    # Only the inputs of the task being checked reach the child's folder.
    _set_body(edition, forward.target, _SPY)
    result = _graded(edition, "01-linear", forward.name, hidden)
    seen = result.message[result.message.index("saw ") :]
    assert "['inputs.npz']" in seen and "linear_forward/" in seen
    assert all(f"{t.name}/" not in seen for t in (backward, *rest)) and "/out/" not in seen
    # The reference's bodies pass the instructor's hidden tests; a body that looks the stored
    # values up passes the public check, not the hidden one.
    results = tmp_path / "results.json"
    for body, scores in ((None, {t.name: t.points for t in assignment("01-linear").tasks}),
                         (_CASED_LOOKUP, {forward.name: 0})):
        _set_body(edition, forward.target, body)
        assert main(["course", "grade", str(edition), "--assignment", "01-linear", "--results",
                     str(results), "--hidden-tests", str(hidden), *grade_flags()]) == 0
        capsys.readouterr()
        graded = {t["name"]: t for t in json.loads(results.read_text())["tests"]}
        assert {name: graded[name]["score"] for name in scores} == scores, graded
    assert graded[forward.name]["output"].endswith(HIDDEN)


def _rewrite(path, change) -> None:
    with np.load(path) as stored:
        arrays = {k: stored[k] for k in stored.files}
    np.savez(path, **change(arrays))


def _first(arrays: dict) -> str:
    return sorted(arrays)[0]


BROKEN = {  # what is wrong with the folder: (how to break it, what the error says)
    "a file of no task": (lambda d: (d / "softmax.npz").write_bytes(b""), "softmax.npz: not the"),
    "not a .npz": (lambda d: (d / "linear_forward.npz").write_text("x"), "not a .npz file"),
    "a key of another task": (lambda d: _rewrite(d / "linear_forward.npz", lambda a: {
        k.replace("linear_forward/", "linear_backward/"): v for k, v in a.items()}),
        "is not linear_forward/<case>/in/<name>"),
    "an expected output": (lambda d: _rewrite(d / "linear_forward.npz", lambda a: {
        **a, "linear_forward/bias/out/y": np.zeros(3)}), "is not linear_forward/<case>/in/"),
    "an unknown case": (lambda d: _rewrite(d / "linear_forward.npz", lambda a: {
        k.replace("/bias/", "/mine/"): v for k, v in a.items()}), "case 'mine' is none of"),
    "an input missing": (lambda d: _rewrite(d / "linear_forward.npz", lambda a: {
        k: v for k, v in a.items() if k != "linear_forward/bias/in/W"}), "case 'bias' has"),
    "wrong dimensions": (lambda d: _rewrite(d / "linear_forward.npz", lambda a: {
        **a, "linear_forward/bias/in/x": np.zeros(5)}), "bias/x is float64 of shape (5,)"),
    "shapes that do not fit": (lambda d: _rewrite(d / "linear_forward.npz", lambda a: {
        **a, "linear_forward/bias/in/W": np.zeros((7, 3))}), "the reference cannot run"),
    "text": (lambda d: _rewrite(d / "linear_forward.npz", lambda a: {
        **a, "linear_forward/bias/in/x": np.array([["a"]])}), "bias/x is <U1"),
}


@pytest.mark.parametrize("broken", list(BROKEN))
def test_a_broken_folder_of_hidden_tests_is_one_error_naming_the_file(broken, tmp_path, capsys):
    hidden = tmp_path / "hidden"
    write_hidden("01-linear", hidden, seed=1)
    breaking, said = BROKEN[broken]
    breaking(hidden)
    with pytest.raises(HiddenTestsError) as error:
        hidden_files("01-linear", hidden)
    assert str(hidden) in str(error.value) and said in str(error.value), error.value
    edition = tmp_path / "submission"
    build_edition("01-linear", edition)
    assert main(["course", "grade", str(edition), "--assignment", "01-linear", "--results",
                 str(tmp_path / "r.json"), "--hidden-tests", str(hidden)]) == 2
    assert said in capsys.readouterr().err and not (tmp_path / "r.json").exists()


def test_the_autograder_bundles_the_hidden_tests(tmp_path, capsys):
    hidden = tmp_path / "hidden"
    write_hidden("01-linear", hidden, seed=2)
    zipped = tmp_path / "autograder.zip"
    assert main(["course", "autograder", "01-linear", "--out", str(zipped), "--hidden-tests",
                 str(hidden)]) == 0
    capsys.readouterr()
    with zipfile.ZipFile(zipped) as archive:
        names = set(archive.namelist())
        script = archive.read("run_autograder").decode()
    assert {f"hidden/{t.name}.npz" for t in assignment("01-linear").tasks} <= names
    assert 'chmod 700 "$ROOT/source"' in script and "--hidden-tests" in script
    (hidden / "softmax.npz").write_bytes(b"")
    assert main(["course", "autograder", "01-linear", "--out", str(zipped), "--hidden-tests",
                 str(hidden)]) == 2
    assert "softmax.npz: not the" in capsys.readouterr().err
