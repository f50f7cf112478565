"""The course as data (minitorch.course.syllabus) and `minitorch course list`."""

from __future__ import annotations

import ast
import inspect
import json
import re
import types
from pathlib import Path

import pytest

from minitorch.cli import main
from minitorch.course import ASSIGNMENTS, assignment, find_task
from minitorch.course.checks import CHECKS, checked_assignments
from minitorch.course.targets import formula_place, locate, module_and_qualname, resolve

TASKS = [(a, t) for a in ASSIGNMENTS for t in a.tasks]
IDS = [t.name for _, t in TASKS]

ORDER = [  # the issue's path through the course, in this order
    "linear", "activations", "losses", "optimizers", "data", "training", "conv", "batchnorm",
    "attention", "gpt", "gan", "rnn",
]


def test_ids_are_unique_numbered_and_in_the_course_order():
    ids = [a.id for a in ASSIGNMENTS]
    assert len(set(ids)) == len(ids)
    assert ids == [f"{n:02d}-{topic}" for n, topic in enumerate(ORDER, start=1)]
    for a in ASSIGNMENTS:
        assert a.title and a.spec_part and a.tasks


def test_task_names_and_targets_are_unique_and_points_positive():
    names = [t.name for _, t in TASKS]
    targets = [t.target for _, t in TASKS]
    assert len(set(names)) == len(names)
    assert len(set(targets)) == len(targets)
    for _, task in TASKS:
        assert isinstance(task.points, int) and task.points > 0, task
        assert task.tests, task


def _plain(argument: ast.expr) -> bool:
    """A name, a constant or an attribute of a name: passed on, not computed."""
    while isinstance(argument, ast.Attribute):
        argument = argument.value
    return isinstance(argument, (ast.Name, ast.Constant))


def _delegates(node: ast.FunctionDef, body: list[ast.stmt], module: types.ModuleType) -> bool:
    """A body that is only ``return f(a, b, ...)``, ``f`` another minitorch function and its
    arguments passed on as they came: the formula is in ``f``, not here. (A one-line body that
    computes, such as ``times_mask(grad_output, cache.x > 0)``, is a formula.)"""
    if len(body) != 1 or not isinstance(body[0], ast.Return):
        return False
    call = body[0].value
    if not isinstance(call, ast.Call) or not isinstance(call.func, ast.Name):
        return False
    callee = getattr(module, call.func.id, None)
    arguments = [*call.args, *(k.value for k in call.keywords)]
    return (
        inspect.isfunction(callee)
        and callee.__module__.startswith("minitorch")
        and all(_plain(a) for a in arguments)
    )


@pytest.mark.parametrize(("owner", "task"), TASKS, ids=IDS)
def test_every_target_is_a_function_whose_body_is_the_formula(owner, task):
    module_name, qualname = module_and_qualname(task.target)
    function = resolve(task.target)
    assert inspect.isfunction(function), f"{task.target} is not a function or method"
    assert function.__module__ == module_name and function.__qualname__ == qualname, (
        f"{task.target} is defined as {function.__module__}.{function.__qualname__} (inherited "
        "or re-exported?); name the place where its body is"
    )
    path = Path(inspect.getsourcefile(function))
    source = path.read_text(encoding="utf-8")
    body = locate(source, qualname)
    statements = [n for n in body.node.body if not (n is body.node.body[0] and body.has_docstring)]
    module = __import__(module_name, fromlist=["_"])
    assert not _delegates(body.node, statements, module), (
        f"{task.target} only calls another function: the formula is elsewhere"
    )
    assert formula_place(source, qualname) is not None, (
        f"{task.target}: neither a docstring nor a comment above it (or its pair) says the formula"
    )


_SHAPES = re.compile(r"shape|\((?:[A-Z]|N\b|T\b|D\b|B\b|\.\.\.)")  # "Shapes:", "(N, C)"


@pytest.mark.parametrize(("owner", "task"), TASKS, ids=IDS)
def test_every_target_has_its_own_docstring_with_its_math_and_shapes(owner, task):
    """The assignment's text is the target's own docstring (not a neighbour's comment, not the
    class's): it states the formula or the behaviour at some length, and where the function
    takes or returns arrays it names their shapes."""
    function = resolve(task.target)
    doc = inspect.getdoc(function) if function.__doc__ else None
    assert doc, f"{task.target} has no docstring of its own"
    assert len(doc) >= 60, f"{task.target}: its docstring is too short to state the formula"
    assert re.search(r"[=−·⊙Σ√]|returns?|yields?|draws?|the number of", doc, re.I), (
        f"{task.target}: its docstring states no formula or behaviour"
    )
    signature = inspect.signature(function)
    annotations = [str(p.annotation) for p in signature.parameters.values()]
    if any("ndarray" in a for a in [*annotations, str(signature.return_annotation)]):
        assert _SHAPES.search(doc), f"{task.target}: its docstring names no shapes"


@pytest.mark.parametrize(("owner", "task"), TASKS, ids=IDS)
def test_every_test_name_is_a_check_or_not_written_yet(owner, task):
    # The checks exist for the first assignments so far (checked_assignments()); a later
    # assignment's tasks name the check they will get, which must not exist under another name.
    assert {"01-linear", "04-optimizers"} <= set(checked_assignments())
    for name in task.tests:
        if owner.id in checked_assignments():
            assert name in CHECKS, f"{task.name}: no check {name!r}"
        else:
            assert name not in CHECKS, f"{owner.id} has some checks but not all"
    assert set(CHECKS) <= {n for _, t in TASKS for n in t.tests}


def test_lookup_by_id_name_and_target():
    assert assignment("01-linear").points == sum(t.points for t in assignment("01-linear").tasks)
    owner, task = find_task("linear_backward")
    assert owner.id == "01-linear"
    assert find_task(task.target) == (owner, task)
    with pytest.raises(KeyError, match="01-linear"):
        assignment("01-linera")
    with pytest.raises(KeyError, match="course list"):
        find_task("linear_backwards")


def test_course_list_json_has_the_issue_shape(capsys):
    assert main(["course", "list", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [a["id"] for a in listed] == [a.id for a in ASSIGNMENTS]
    for entry, a in zip(listed, ASSIGNMENTS, strict=True):
        assert set(entry) == {"id", "title", "points", "tasks"}
        assert entry["points"] == sum(t["points"] for t in entry["tasks"]) == a.points
        assert entry["tasks"] == [
            {"name": t.name, "target": t.target, "points": t.points} for t in a.tasks
        ]


def test_course_list_prints_every_assignment_and_task(capsys):
    assert main(["course", "list"]) == 0
    out = capsys.readouterr().out
    for a in ASSIGNMENTS:
        assert re.search(rf"^{a.id}  {re.escape(a.title)}  \({a.points} points\)$", out, re.M)
        for t in a.tasks:
            assert re.search(rf"^    {re.escape(t.name)} +{t.points}  {t.target}$", out, re.M)


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["course", "build", "99-nothing", "--out", "x"], "no assignment '99-nothing'"),
        (["check"], "--assignment 01-linear"),
        (["check", "--assignment", "01-linear", "nope"], "nope: not a task of 01-linear"),
    ],
)
def test_mistakes_are_one_line_with_the_fix(argv, needle, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert needle in err and len(err.strip().splitlines()) == 1
