"""The student edition (minitorch course build): complete, importable, and no answer in it."""

from __future__ import annotations

import io
import json
import keyword
import os
import shutil
import subprocess
import sys
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


def _logical_lines(text: str) -> list[tuple[str, ...]]:
    """The code tokens of each logical line (a statement, or a compound statement's header)."""
    lines, current = [], []
    for t in tokenize.generate_tokens(io.StringIO(text).readline):
        if t.type == tokenize.NEWLINE or t.type == tokenize.ENDMARKER:
            if current:
                lines.append(tuple(current))
            current = []
        elif t.type not in _SKIPPED:
            current.append(t.string)
    return lines


def _dedented(text: str) -> str:
    lines = text.splitlines(keepends=True)
    indent = min(len(s) - len(s.lstrip()) for s in lines if s.strip())
    return "".join(s[indent:] if s.strip() else "\n" for s in lines)


_WORDS = {"return", "else", "try", "finally", "pass", "break", "continue", "None", "True",
          "False", "is", "not", "if", "elif", "and", "or"}


def _is_name(token: str) -> bool:
    return token.isidentifier() and not keyword.iskeyword(token)


def generic(line: tuple[str, ...]) -> bool:
    """Whether a logical line of a body is too generic to be anyone's answer: a line of
    keywords, names, attributes, strings and calls only, which computes nothing itself, such
    as ``else:``, ``return y, cache``, ``y, dim = cache.y, cache.dim``, ``optimizer.step()``,
    ``model.backward(loss_fn.backward())``, ``with np.errstate(**_IEEE):``, ``if task ==
    CLASSIFICATION:``; and one operation of two names, ``grad *= weight``, ``diff =
    predictions - targets``. A line with any other arithmetic, indexing or number (``dW = x.T @ G``,
    ``return y[0]``, ``mask = x > 0``) is distinctive: it must not appear anywhere else in an
    edition once its task is a stub, nor any run of WINDOW of its tokens.
    """
    allowed = set(".,:()=") | {"**", "==", "!="}
    if all(_is_name(t) or keyword.iskeyword(t) or t in allowed or t[:1] in "\"'" for t in line):
        return True
    # one operation of two names: ``grad *= weight``, ``diff = predictions - targets``
    update = len(line) == 3 and line[1].endswith("=") and _is_name(line[0]) and _is_name(line[2])
    binary = len(line) == 5 and line[1] == "=" and all(map(_is_name, line[::2]))
    return update or binary


def _distinctive(text: str) -> set[tuple[str, ...]]:
    """A body's distinctive lines: not :func:`generic`, and not an input check (an ``if``
    whose block is a ``raise``, and the ``raise``: the validation, not the formula)."""
    lines = _logical_lines(_dedented(text))
    checks = {i for i, line in enumerate(lines) if line[:1] == ("raise",)}
    checks |= {i - 1 for i in checks if i and lines[i - 1][:1] in (("if",), ("elif",))}
    return {line for i, line in enumerate(lines) if i not in checks and not generic(line)}


def scan_for_leaks(root: Path, bodies: dict[str, str]) -> list[str]:
    """Every place under ``root`` where a stubbed body survives: a distinctive line of it (see
    :func:`generic`) as a line anywhere, a run of WINDOW tokens of one such line (a long line
    copied in part), or a comment of it. Python files and notebook code cells are read as
    code; notebooks' markdown, the docs and every other text file line by line."""
    distinctive = {t: _distinctive(b) for t, b in bodies.items()}
    comments = {
        t: [line.split("#", 1)[1].strip() for line in b.splitlines()
            if "#" in line and len(line.split("#", 1)[1].strip()) >= 25]
        for t, b in bodies.items()
    }
    leaks = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        pieces = _readable_pieces(path)
        if pieces is None:
            continue
        file_lines: set[tuple[str, ...]] = set()
        file_tokens: list[str] = []
        for kind, text in pieces:
            if kind == "code":
                try:
                    file_lines.update(_logical_lines(text))
                    file_tokens += _tokens(text)
                    continue
                except (tokenize.TokenError, IndentationError, SyntaxError):
                    pass  # a cell that is not Python (a magic): read as text
            for line in text.splitlines():
                line_tokens = _safe_tokens(line)
                file_lines.add(tuple(line_tokens))
                file_tokens += line_tokens
        whole = "\n".join(text for _, text in pieces)
        runs = {tuple(file_tokens[i : i + WINDOW]) for i in range(len(file_tokens) - WINDOW + 1)}
        where = path.relative_to(root)
        for target in bodies:
            for line in sorted(distinctive[target] & file_lines):
                leaks.append(f"{where}: {target}: the line {' '.join(line)!r}")
            for line in sorted(distinctive[target]):  # a long line copied in part
                found = [line[i : i + WINDOW] for i in range(len(line) - WINDOW + 1)
                         if line[i : i + WINDOW] in runs]
                if found:
                    leaks.append(f"{where}: {target}: the tokens {' '.join(found[0])!r}")
            leaks += [f"{where}: {target}: the comment {c!r}" for c in comments[target]
                      if c in whole]
    return leaks


def _readable_pieces(path: Path) -> list[tuple[str, str]] | None:
    """A file as ("code" | "text", text) pieces: a notebook's cells, a Python file, or text
    (``None`` for a file of numbers only, such as .npz)."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        return None
    if path.suffix == ".py":
        return [("code", text)]
    if path.suffix == ".ipynb":
        cells = json.loads(text)["cells"]
        return [("code" if c["cell_type"] == "code" else "text",
                 "".join(c["source"]) if isinstance(c["source"], list) else c["source"])
                for c in cells]
    return [("text", text)]


@pytest.fixture(scope="module")
def edition(tmp_path_factory):
    """The edition of the first assignment: every task of the course is a stub in it."""
    out = tmp_path_factory.mktemp("course") / "handout"
    return out, build_edition(ASSIGNMENTS[0].id, out)


def _run(edition_dir: Path, code: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(edition_dir / "src"), "PYTHONDONTWRITEBYTECODE": "1"}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=env, cwd=edition_dir, timeout=120)


def test_the_edition_is_the_installable_project_and_nothing_else(edition):
    out, info = edition
    expected = {"pyproject.toml", "README.md", "src"} | {
        name for name in ("LICENSE", "notebooks", "docs", "examples")
        if (REFERENCE / name).exists()
    }
    assert {p.name for p in out.iterdir()} == expected
    files = [p for p in out.rglob("*") if p.is_file()]
    assert not [p for p in files if "__pycache__" in p.parts or p.suffix in (".pyc", ".pyo")]
    assert (out / "src/minitorch/datasets/data").is_dir()  # the package data came along
    for folder in ("notebooks", "docs", "examples"):  # the student's, byte for byte
        theirs = sorted(p.relative_to(REFERENCE) for p in (REFERENCE / folder).rglob("*")
                        if p.is_file() and "__pycache__" not in p.parts and ".ipynb_checkpoints"
                        not in p.parts and p.suffix != ".pyc")
        ours = sorted(p.relative_to(out) for p in (out / folder).rglob("*") if p.is_file())
        assert ours == theirs, folder
    recorded = json.loads((out / "src/minitorch/course/edition.json").read_text())
    assert recorded == info and info["assignment"] == ASSIGNMENTS[0].id
    assert info["stubbed"] == [t.target for a in ASSIGNMENTS for t in a.tasks]


def test_only_the_bodies_changed_byte_for_byte(edition):
    out, _ = edition
    stubbed_files = {source_path(out / "src", t.target) for a in ASSIGNMENTS for t in a.tasks}
    for path in out.rglob("*"):
        if not path.is_file() or path.name in ("edition.json", "pyproject.toml"):
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


def test_no_line_of_a_stubbed_body_survives_anywhere(edition):
    """No file of the edition (its code, notebooks, docs, examples, package data) holds any
    distinctive line of a stubbed body, any run of WINDOW tokens touching one, or a comment
    of it: only the generic lines :func:`generic` names may be found elsewhere."""
    out, _ = edition
    bodies = {t.target: _reference_body(t) for a in ASSIGNMENTS for t in a.tasks}
    leaks = scan_for_leaks(out, bodies)
    assert not leaks, "\n".join(leaks)


def test_the_scan_reads_notebook_cells_docs_and_examples(tmp_path):
    """A stubbed body's line in a notebook's code cell, a notebook's markdown, a doc or an
    example is found; a generic line (``return y, cache``) is not."""
    target = "minitorch.nn.functional.linear.linear_backward"
    body = _reference_body(next(t for a in ASSIGNMENTS for t in a.tasks if t.target == target))
    line = next(ln.strip() for ln in body.splitlines() if "@" in ln)
    cell = {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
            "source": [f"{line}\n"]}
    markdown = {"cell_type": "markdown", "metadata": {}, "source": [f"    {line}\n"]}
    for name, text in {
        "notebooks/code.ipynb": json.dumps({"cells": [cell], "nbformat": 4}),
        "notebooks/text.ipynb": json.dumps({"cells": [markdown], "nbformat": 4}),
        "docs/guide.md": f"Write\n\n    {line}\n",
        "examples/mine.py": f"def f(grad_output, x, W):\n    {line}\n",
        "examples/fine.py": "def f(y, cache):\n    return y, cache\n",
    }.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    found = {leak.split(": ")[0] for leak in scan_for_leaks(tmp_path, {target: body})}
    assert found == {"notebooks/code.ipynb", "notebooks/text.ipynb", "docs/guide.md",
                     "examples/mine.py"}
    assert generic(("return", "y", ",", "cache")) and not generic(("y", "=", "x", "@", "W", "+",
                                                                   "b"))


def _safe_tokens(line: str) -> list[str]:
    try:
        return _tokens(line.strip() + "\n")
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return []


def test_the_edition_imports_and_a_stub_fails_with_its_own_error(edition):
    out, _ = edition
    result = _run(out, (
        "import numpy as np, minitorch\n"
        "from minitorch import nn\n"
        f"assert minitorch.__file__.startswith({str(out)!r})\n"
        "for make in (lambda: nn.Linear(3, 2), lambda: nn.functional.linear_forward(\n"
        "        np.ones((4, 3)), np.ones((3, 2)))):\n"
        "    try:\n"
        "        make()\n"
        "    except NotImplementedError as error:\n"
        "        print(error)\n"
    ))
    assert result.returncode == 0, result.stderr
    first = ASSIGNMENTS[0]
    constructing, forward = result.stdout.splitlines()
    assert constructing.startswith(f"kaiming_std (assignment {first.id}) is not written yet")
    assert forward.startswith(f"linear_forward (assignment {first.id}) is not written yet")
    assert "formula in its docstring" in forward


@pytest.mark.parametrize(
    ("argv", "task"),
    [
        (["train", "--epochs", "1"], "kaiming_std"),
        (["train", "--dataset", "spiral", "--epochs", "1", "--model", "mlp"], "kaiming_std"),
    ],
)
def test_the_cli_reaching_a_stub_says_so_in_one_line(edition, tmp_path, argv, task):
    out, _ = edition
    env = {**os.environ, "PYTHONPATH": str(out / "src"), "PYTHONDONTWRITEBYTECODE": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "minitorch", *argv, "--out", str(tmp_path / "run")],
        capture_output=True, text=True, env=env, cwd=out, timeout=300,
    )
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    assert lines[0].startswith(f"minitorch: error: {task} (assignment 01-linear) is not written")
    assert f"`minitorch check {task}`" in lines[0] and "(at nn/init.py:" in lines[0]


def test_evaluate_reaching_a_stub_says_so_in_one_line(edition, tmp_path):
    """A run the reference trained, evaluated in the edition: rebuilding its model reaches the
    first stub (the Linear layer's initialisation), one line."""
    run = tmp_path / "run"
    assert main(["train", "--dataset", "spiral", "--epochs", "1", "--out", str(run)]) == 0
    out, _ = edition
    env = {**os.environ, "PYTHONPATH": str(out / "src"), "PYTHONDONTWRITEBYTECODE": "1"}
    result = subprocess.run([sys.executable, "-m", "minitorch", "evaluate", str(run)],
                            capture_output=True, text=True, env=env, cwd=out, timeout=300)
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "kaiming_std (assignment 01-linear) is not written yet" in result.stderr
    assert "`minitorch check kaiming_std`" in result.stderr


def test_a_stub_of_a_later_assignment_names_it(tmp_path):
    edition = tmp_path / "week3"
    build_edition("03-losses", edition)
    env = {**os.environ, "PYTHONPATH": str(edition / "src"), "PYTHONDONTWRITEBYTECODE": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "minitorch", "train", "--epochs", "1", "--out",
         str(tmp_path / "run")], capture_output=True, text=True, env=env, cwd=edition,
        timeout=300,
    )
    assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "(assignment 05-data) is not written yet" in result.stderr
    assert "a later assignment than this edition's (03-losses)" in result.stderr


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
    out, _ = edition
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
