"""The student edition (minitorch course build): complete, importable, and no answer in it."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import time
import tokenize
from pathlib import Path

import pytest

from minitorch.cli import main
from minitorch.course import ASSIGNMENTS, assignment
from minitorch.course.edition import build_edition, project_root
from minitorch.course.targets import locate, module_and_qualname, source_path

REFERENCE = project_root()
WINDOW = 12  # a run of this many code tokens of a stubbed body must not appear anywhere
_SKIPPED = {tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT,
            tokenize.ENCODING, tokenize.ENDMARKER}


def _tokens(text: str) -> list[str]:
    return [t.string for t in tokenize.generate_tokens(io.StringIO(text).readline)
            if t.type not in _SKIPPED]


def _reference_body(task) -> str:
    path = source_path(REFERENCE / "src", task.target)
    source = path.read_text(encoding="utf-8")
    body = locate(source, module_and_qualname(task.target)[1])
    return body.text(source.splitlines(keepends=True))


def _body_tokens(text: str) -> list[str]:
    lines = text.splitlines(keepends=True)
    indent = min(len(s) - len(s.lstrip()) for s in lines if s.strip())
    return _tokens("".join(s[indent:] if s.strip() else "\n" for s in lines))


def _idioms() -> set[str]:
    """Lines the reference writes in three places or more (``with np.errstate(**_IEEE):``, the
    one validation helper's call): the house's idioms, not any one task's answer."""
    counts: dict[str, int] = {}
    for path in (REFERENCE / "src" / "minitorch").rglob("*.py"):
        for line in path.read_text(encoding="utf-8").splitlines():
            key = line.split("#", 1)[0].strip()
            counts[key] = counts.get(key, 0) + 1
    return {line for line, n in counts.items() if n >= 3 and line}


def _answer_mask(text: str, idioms: set[str]) -> list[bool]:
    """For each code token of a body: is it part of the answer (not of an idiom line)?"""
    lines = text.splitlines(keepends=True)
    indent = min(len(s) - len(s.lstrip()) for s in lines if s.strip())
    mask = []
    for line in lines:
        stripped = line.split("#", 1)[0].strip()
        try:
            count = len(_tokens(line[indent:].strip() + "\n")) if stripped else 0
        except (tokenize.TokenError, IndentationError, SyntaxError):
            return []  # a statement over several lines: every token counts
        mask += [stripped not in idioms] * count
    return mask


def _windows(tokens: list[str]) -> set[tuple[str, ...]]:
    size = min(WINDOW, len(tokens))
    return {tuple(tokens[i : i + size]) for i in range(len(tokens) - size + 1)}


@pytest.fixture(scope="module")
def edition(tmp_path_factory):
    """The edition of the first assignment: every task of the course is a stub in it."""
    out = tmp_path_factory.mktemp("course") / "handout"
    start = time.perf_counter()
    info = build_edition(ASSIGNMENTS[0].id, out)
    return out, info, time.perf_counter() - start


def _run(edition_dir: Path, code: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(edition_dir / "src"), "PYTHONDONTWRITEBYTECODE": "1"}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=env, cwd=edition_dir, timeout=120)


def test_the_edition_is_the_installable_project_and_nothing_else(edition):
    out, info, seconds = edition
    assert seconds < 2.0, f"building an edition took {seconds:.2f} s"
    expected = {"pyproject.toml", "README.md", "src"} | (
        {"LICENSE"} if (REFERENCE / "LICENSE").exists() else set()
    )
    assert {p.name for p in out.iterdir()} == expected
    files = [p for p in out.rglob("*") if p.is_file()]
    assert not [p for p in files if "__pycache__" in p.parts or p.suffix in (".pyc", ".pyo")]
    assert (out / "src/minitorch/datasets/data").is_dir()  # the package data came along
    recorded = json.loads((out / "src/minitorch/course/edition.json").read_text())
    assert recorded == info and info["assignment"] == ASSIGNMENTS[0].id
    assert info["stubbed"] == [t.target for a in ASSIGNMENTS for t in a.tasks]


def test_only_the_bodies_changed_byte_for_byte(edition):
    out, _, _ = edition
    stubbed_files = {source_path(out / "src", t.target) for a in ASSIGNMENTS for t in a.tasks}
    for path in (out / "src").rglob("*"):
        if not path.is_file() or path.name == "edition.json":
            continue
        original = REFERENCE / path.relative_to(out)
        if path not in stubbed_files:
            assert path.read_bytes() == original.read_bytes(), path
    for a in ASSIGNMENTS:  # putting the reference's bodies back gives the reference's file
        for task in a.tasks:
            path = source_path(out / "src", task.target)
            source = path.read_text(encoding="utf-8")
            lines = source.splitlines(keepends=True)
            body = locate(source, module_and_qualname(task.target)[1])
            assert "raise NotImplementedError(" in body.text(lines)
            assert f"{task.name} (assignment {a.id}) is not written yet" in body.text(lines)
    for path in stubbed_files:
        restored = path.read_text(encoding="utf-8")
        for task in [t for a in ASSIGNMENTS for t in a.tasks]:
            if source_path(out / "src", task.target) != path:
                continue
            body = locate(restored, module_and_qualname(task.target)[1])
            lines = restored.splitlines(keepends=True)
            lines[body.start - 1 : body.end] = [_reference_body(task)]
            restored = "".join(lines)
        assert restored == (REFERENCE / path.relative_to(out)).read_text(encoding="utf-8"), path


def test_no_token_sequence_of_a_stubbed_body_survives_anywhere(edition):
    """No file of the edition holds a stubbed body: neither its code (as runs of WINDOW
    tokens: less than half of a body's answer may be found elsewhere, in pieces such as the
    shared ``with np.errstate(...)`` line or a sibling optimizer's weight-decay line) nor its
    comments, nor its lines in a file that is not Python (the README, the package data)."""
    out, _, _ = edition
    bodies = {t.target: _reference_body(t) for a in ASSIGNMENTS for t in a.tasks}
    tokens = {target: _body_tokens(text) for target, text in bodies.items()}
    covered = {target: [False] * len(toks) for target, toks in tokens.items()}
    comments = {
        target: [line.split("#", 1)[1].strip() for line in text.splitlines()
                 if "#" in line and len(line.split("#", 1)[1].strip()) >= 25]
        for target, text in bodies.items()
    }
    leaks = []
    for path in out.rglob("*"):
        if not path.is_file():
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:  # .npz: numbers only
            continue
        if path.suffix == ".py":
            file_tokens = _tokens(text)
        else:
            file_tokens = [t for line in text.splitlines() for t in _safe_tokens(line)]
        runs: dict[int, set[tuple[str, ...]]] = {}  # the file's runs of each length
        for target, toks in tokens.items():
            size = min(WINDOW, len(toks))
            if size not in runs:
                runs[size] = {
                    tuple(file_tokens[i : i + size]) for i in range(len(file_tokens) - size + 1)
                }
            found = runs[size]
            for i in range(len(toks) - size + 1):
                if tuple(toks[i : i + size]) in found:
                    covered[target][i : i + size] = [True] * size
            leaks += [(path, target, c) for c in comments[target] if c in text]
    idioms = _idioms()
    for target, marks in covered.items():
        answer = _answer_mask(bodies[target], idioms)
        if len(answer) != len(marks):
            answer = [True] * len(marks)
        found = sum(m and a for m, a in zip(marks, answer, strict=True))
        if found > sum(answer) / 2:
            leaks.append((out, target, f"{found} of its {sum(answer)} answer tokens elsewhere"))
    assert not leaks, "\n".join(f"{p.relative_to(out)}: {t}: {s}" for p, t, s in leaks)


def _safe_tokens(line: str) -> list[str]:
    try:
        return _tokens(line.strip() + "\n")
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return []


def test_the_edition_imports_and_a_stub_fails_with_its_own_error(edition):
    out, _, _ = edition
    result = _run(out, (
        "import numpy as np, minitorch\n"
        "from minitorch import nn\n"
        f"assert minitorch.__file__.startswith({str(out)!r})\n"
        "try:\n"
        "    nn.Linear(3, 2)(np.ones((4, 3)))\n"
        "except NotImplementedError as error:\n"
        "    print(error)\n"
    ))
    assert result.returncode == 0, result.stderr
    first = ASSIGNMENTS[0]
    task = first.tasks[0]
    assert f"{task.name} (assignment {first.id}) is not written yet" in result.stdout
    assert "formula in its docstring" in result.stdout


def test_earlier_assignments_stay_solved_and_keep_from_takes_the_students(tmp_path):
    first, second = ASSIGNMENTS[0], ASSIGNMENTS[1]
    week1 = tmp_path / "week1"
    build_edition(first.id, week1)
    # The student writes linear_forward (their own way) and leaves linear_backward a stub.
    task = first.tasks[0]
    path = source_path(week1 / "src", task.target)
    source = path.read_text(encoding="utf-8")
    body = locate(source, module_and_qualname(task.target)[1])
    mine = f"{body.indent}y = x @ W  # the student's own line\n{body.indent}if b is not None:\n" \
           f"{body.indent}    y = y + b\n{body.indent}return y, LinearCache(x, W, b)\n"
    lines = source.splitlines(keepends=True)
    lines[body.start - 1 : body.end] = [mine]
    path.write_text("".join(lines), encoding="utf-8")

    solved = tmp_path / "solved"
    build_edition(second.id, solved)
    for t in first.tasks:
        assert _reference_body(t) in source_path(solved / "src", t.target).read_text()
    for t in second.tasks:
        assert f"{t.name} (assignment {second.id})" in source_path(solved / "src", t.target)\
            .read_text()

    kept = tmp_path / "week2"
    assert main(["course", "build", second.id, "--out", str(kept), "--keep-from",
                 str(week1)]) == 0
    text = source_path(kept / "src", task.target).read_text()
    assert "the student's own line" in text
    assert f"linear_backward (assignment {first.id}) is not written yet" in text
    assert json.loads((kept / "src/minitorch/course/edition.json").read_text())["kept_from"]


def test_build_refuses_a_non_empty_folder_and_a_folder_that_is_no_edition(tmp_path, capsys):
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "notes.txt").write_text("mine")
    assert main(["course", "build", "01-linear", "--out", str(tmp_path / "full")]) == 2
    assert "is not empty" in capsys.readouterr().err
    assert main(["course", "build", "02-activations", "--out", str(tmp_path / "new"),
                 "--keep-from", str(tmp_path / "full")]) == 2
    assert "is not a student edition" in capsys.readouterr().err
    assert assignment("01-linear")


def test_the_edition_s_package_data_holds_the_stored_values_and_edition_json(edition):
    out, _, _ = edition
    ours = (out / "pyproject.toml").read_text().splitlines()
    theirs = (REFERENCE / "pyproject.toml").read_text().splitlines()
    assert len(ours) == len(theirs)
    changed = [(a, b) for a, b in zip(ours, theirs, strict=True) if a != b]
    assert len(changed) <= 1  # none once the reference declares them itself
    line = next(x for x in ours if x.startswith("minitorch = ["))
    assert '"course/golden/*.npz"' in line and '"course/edition.json"' in line


@pytest.mark.slow
def test_the_edition_builds_a_wheel_with_the_course_data(edition, tmp_path):
    out = tmp_path / "copy"  # pip writes build/ and *.egg-info where it builds
    shutil.copytree(edition[0], out)
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", str(tmp_path), str(out)], capture_output=True, text=True, timeout=300,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    import zipfile

    names = zipfile.ZipFile(next(tmp_path.glob("*.whl"))).namelist()
    assert "minitorch/course/edition.json" in names
    assert "minitorch/course/golden/01-linear.npz" in names
