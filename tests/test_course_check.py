"""`minitorch check`: full rounds for 01-linear and 04-optimizers.

The reference scores full; a fresh edition scores 0; with every task solved but one broken,
only that task's points are lost and its message says what is wrong; a task that hangs, prints
or exits gets its own line and the others are still checked.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from minitorch.course import assignment
from minitorch.course.checks import checked_assignments, golden_path, run_check
from minitorch.course.edition import build_edition, project_root
from minitorch.course.make_golden import golden_arrays
from minitorch.course.targets import locate, module_and_qualname, resolve, source_path

REFERENCE = project_root()
ROUNDS = ["01-linear", "04-optimizers"]  # the full rounds
CHECKED = checked_assignments()  # every task checked: the reference full, a fresh edition 0


def _check(where: Path | None, *args: str) -> tuple[int, str]:
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    if where is not None:
        env["PYTHONPATH"] = str(where / "src")
    result = subprocess.run(
        [sys.executable, "-m", "minitorch", "check", *args], capture_output=True, text=True,
        env=env, cwd=where or REFERENCE, timeout=300,
    )
    return result.returncode, result.stdout + result.stderr


def _scores(output: str) -> dict[str, tuple[int, int, str, str]]:
    rows = {}
    for line in output.splitlines():
        match = re.match(r"^  (\S+) +(\d+)/(\d+) +(passed|failed)(?:  (.*))?$", line)
        if match:
            name, earned, possible, status, message = match.groups()
            rows[name] = (int(earned), int(possible), status, message or "")
    return rows


def _set_body(edition: Path, target: str, body: str | None = None) -> None:
    """Write ``body`` (default: the reference's) as ``target``'s body in the edition."""
    qualname = module_and_qualname(target)[1]
    if body is None:
        reference = source_path(REFERENCE / "src", target).read_text(encoding="utf-8")
        located = locate(reference, qualname)
        body = located.text(reference.splitlines(keepends=True))
    path = source_path(edition / "src", target)
    source = path.read_text(encoding="utf-8")
    located = locate(source, qualname)
    if not body.startswith(located.indent):
        body = "".join(located.indent + line for line in body.splitlines(keepends=True))
    lines = source.splitlines(keepends=True)
    lines[located.start - 1 : located.end] = [body]
    path.write_text("".join(lines), encoding="utf-8")


def _slow_unless_a_round(ids: list[str]) -> list:
    """The full rounds run by default; the other assignments' subprocess runs are slow."""
    return [a if a in ROUNDS else pytest.param(a, marks=pytest.mark.slow) for a in ids]


@pytest.mark.parametrize("assignment_id", CHECKED)
def test_the_stored_values_are_the_reference_s_and_it_passes_every_check(assignment_id):
    """In process, fast: golden/<id>.npz holds what the reference computes today (a change
    of the core's numbers shows here: run make_golden), and every check passes on it."""
    now = golden_arrays(assignment_id)
    if not now:  # checked by behaviour only
        assert not golden_path(assignment_id).exists()
        stored = {}
    else:
        stored = dict(np.load(golden_path(assignment_id)))
    assert sorted(stored) == sorted(now)
    for key, value in now.items():
        if value.dtype.kind == "U":  # an observation in words (what a call raised)
            assert stored[key] == value, key
            continue
        np.testing.assert_allclose(stored[key], value, rtol=1e-12, atol=1e-14, err_msg=key)
    for task in assignment(assignment_id).tasks:
        values = type("Stored", (), {"files": list(stored), "__getitem__": stored.__getitem__})
        assert run_check(task.name, resolve(task.target), values()) is None, task.name


@pytest.mark.parametrize("assignment_id", _slow_unless_a_round(CHECKED))
def test_the_reference_scores_full(assignment_id):
    code, output = _check(None, "--assignment", assignment_id)
    chosen = assignment(assignment_id)
    rows = _scores(output)
    assert code == 0, output
    assert rows == {t.name: (t.points, t.points, "passed", "") for t in chosen.tasks}
    assert re.search(rf"^  total +{chosen.points}/{chosen.points}$", output, re.M), output


@pytest.mark.parametrize("assignment_id", _slow_unless_a_round(CHECKED))
def test_a_fresh_edition_scores_zero_and_names_each_stub(assignment_id, tmp_path):
    build_edition(assignment_id, tmp_path / "fresh")
    code, output = _check(tmp_path / "fresh")
    chosen = assignment(assignment_id)
    rows = _scores(output)
    assert code == 1, output
    assert set(rows) == {t.name for t in chosen.tasks}
    for task in chosen.tasks:
        earned, possible, status, message = rows[task.name]
        assert (earned, possible, status) == (0, task.points, "failed")
        # its own stub, or one of the assignment it needs first (GPT.backward: GPT.forward)
        assert f"(assignment {assignment_id}) is not written yet" in message, message
        assert message.startswith(f"{task.name} (assignment") or task.name in (
            "GPT.backward", "lm_loss"
        ), message
    if assignment_id == ROUNDS[-1]:  # the earlier assignments are solved in it
        for earlier in CHECKED[: CHECKED.index(assignment_id)]:
            code, output = _check(tmp_path / "fresh", "--assignment", earlier)
            assert code == 0, output


BROKEN = {  # one task per round written wrong, the message each must give
    "01-linear": (
        "minitorch.nn.functional.linear.linear_backward",
        "x, W, b = cache.x, cache.W, cache.b\n"
        "d_in, d_out = W.shape\n"
        "G = grad_output.reshape(-1, d_out)\n"
        "dW = G.T @ x.reshape(-1, d_in)\n"  # the transpose of xᵀ G
        "db = None if b is None else G.sum(axis=0).reshape(b.shape)\n"
        "dx = (G @ W.T).reshape(*grad_output.shape[:-1], d_in) if input_grad else None\n"
        "return dx, dW, db\n",
        r"linear_backward: dW has shape \(3, 4\), expected \(4, 3\) \(you computed its "
        r"transpose\); dW has the shape of W, \(in, out\): x.T @ grad_output .*\[case \w+\]",
    ),
    "04-optimizers": (
        "minitorch.optim.sgd.sgd",
        "if weight_decay != 0:\n"
        "    grad = grad + weight_decay * param\n"
        "if momentum != 0:\n"
        "    if first_step:\n"
        "        buf[...] = grad\n"
        "    else:\n"
        "        buf[...] = momentum * buf + grad\n"  # dampening forgotten
        "    grad = grad + momentum * buf if nesterov else buf\n"
        "param -= lr * grad\n",
        r"sgd: momentum_buffer differs at \[\d, \d\] \(yours -?[\d.]+, expected -?[\d.]+, "
        r"largest error [\d.e-]+\); b = g at the first step, then b = μ b \+ \(1 − dampening\) g "
        r"\[case momentum_dampening_decay\]",
    ),
}


@pytest.mark.parametrize("assignment_id", ROUNDS)
def test_one_broken_task_loses_only_its_points_with_its_message(assignment_id, tmp_path):
    edition = tmp_path / "solved"
    build_edition(assignment_id, edition)
    chosen = assignment(assignment_id)
    for task in chosen.tasks:
        _set_body(edition, task.target)
    code, output = _check(edition)
    assert code == 0, output
    assert all(row[2] == "passed" for row in _scores(output).values())

    target, body, message = BROKEN[assignment_id]
    _set_body(edition, target, body)
    code, output = _check(edition)
    rows = _scores(output)
    assert code == 1, output
    for task in chosen.tasks:
        earned, possible, status, text = rows[task.name]
        if task.target == target:
            assert (earned, status) == (0, "failed")
            assert re.fullmatch(message, text), text
        else:
            assert (earned, possible, status) == (task.points, task.points, "passed")


def _twice_the_first_output(forward):
    def wrong(*args, **kwargs):
        first, *rest = forward(*args, **kwargs)
        return (2 * first, *rest)

    return wrong


def _not_written(forward):
    def stub(*args, **kwargs):
        raise NotImplementedError(f"{forward.__name__} is not written yet")

    return stub


THROUGH_FORWARD = {  # a backward task of 12-rnn: the forward its central differences run through
    "rnn_step_backward": "rnn_step_forward",
    "lstm_step_backward": "lstm_step_forward",
    "gru_step_backward": "gru_step_forward",
    "rnn_backward": "rnn_forward",
    "lstm_backward": "lstm_forward",
    "gru_backward": "gru_forward",
}
FORWARD_BROKEN = {  # how the forward is broken: (the change, the message's end)
    "written wrong": (_twice_the_first_output, r"differs at \[[\d, ]+\] from central "
                      r"differences through {forward} \(yours -?[\d.e-]+, numeric -?[\d.e-]+\); "
                      "the backward must be the derivative of the forward"),
    "not written": (_not_written, r"matches the stored values; its check against central "
                    r"differences runs through your {forward}, which raised: {forward} is not "
                    "written yet"),
}


@pytest.mark.parametrize("broken", list(FORWARD_BROKEN))
@pytest.mark.parametrize("name", list(THROUGH_FORWARD))
def test_a_recurrent_backward_is_checked_through_the_edition_s_own_forward(
    name, broken, monkeypatch
):
    """The reference's backward matches the stored values; with the forward it is checked
    through written wrong (its output doubled) or not written, the task fails, and says why."""
    from minitorch.nn import functional

    owner = assignment("12-rnn")
    task = next(t for t in owner.tasks if t.name == name)
    forward = THROUGH_FORWARD[name]
    change, said = FORWARD_BROKEN[broken]
    with np.load(golden_path(owner.id)) as golden:
        assert run_check(name, resolve(task.target), golden) is None
        monkeypatch.setattr(functional, forward, change(getattr(functional, forward)))
        message = run_check(name, resolve(task.target), golden)
    pattern = rf"{name}:? (d\w+ )?" + said.format(forward=forward)
    assert message is not None and re.fullmatch(pattern, message), message


def test_a_task_that_hangs_prints_or_exits_gets_its_own_line(tmp_path):
    edition = tmp_path / "unruly"
    build_edition("04-optimizers", edition)
    _set_body(edition, "minitorch.optim.adam.adam", None)
    reference_sgd = locate(
        source_path(REFERENCE / "src", "minitorch.optim.sgd.sgd").read_text(), "sgd"
    )
    sgd_text = reference_sgd.text(
        source_path(REFERENCE / "src", "minitorch.optim.sgd.sgd").read_text()
        .splitlines(keepends=True)
    )
    _set_body(edition, "minitorch.optim.sgd.sgd", "    print('debugging', param)\n" + sgd_text)
    _set_body(edition, "minitorch.optim.optimizer.Optimizer.zero_grad", "import os\nos._exit(0)\n")
    code, output = _check(edition, "Optimizer.zero_grad", "sgd", "adam")
    rows = _scores(output)
    assert code == 1, output
    assert rows["sgd"][:3] == (4, 4, "passed")  # its printing hidden, its score kept
    assert rows["adam"][:3] == (6, 6, "passed")
    assert rows["Optimizer.zero_grad"][:3] == (0, 2, "failed")
    assert "stopped before its verdict (exit code 0)" in rows["Optimizer.zero_grad"][3]
    assert "debugging" not in output

    _set_body(edition, "minitorch.optim.optimizer.Optimizer.zero_grad", "while True:\n    pass\n")
    _set_body(edition, "minitorch.optim.adam.adam", "hog = np.ones(1 << 40)\n")  # 8 TB
    code, output = _check(edition, "Optimizer.zero_grad", "adam", "--timeout", "5")
    rows = _scores(output)
    assert code == 1
    assert "did not finish within 5 s" in rows["Optimizer.zero_grad"][3]
    assert rows["adam"][3].startswith("adam: raised MemoryError"), rows["adam"]
