"""The course's notebooks: one per assignment, stored exactly as their sources write them
(outputs stripped), executed on the reference with every check passing and a figure drawn,
and, in a fresh student edition, stopping at the first unwritten task with its stub's error.

Executing needs the notebook tools (``pip install -e ".[course]"``: nbclient, nbformat,
ipykernel); without them those tests are skipped and say so. With ``pytest -n 2`` the
notebooks run two at a time (one per worker); each kernel gets one BLAS thread.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import time
from pathlib import Path

import pytest

from minitorch.course import ASSIGNMENTS
from minitorch.course.edition import build_edition

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
IDS = [a.id for a in ASSIGNMENTS]


def _generator():
    spec = importlib.util.spec_from_file_location(
        "make_notebooks", ROOT / "scripts" / "make_notebooks.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


make_notebooks = _generator()

try:
    import ipykernel  # noqa: F401  (the kernel the notebooks run in)
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    TOOLS = None
except ImportError as missing:
    TOOLS = (f"the notebook tools are not installed ({missing.name}): "
             'pip install -e ".[course]" to execute the notebooks')

needs_tools = pytest.mark.skipif(TOOLS is not None, reason=TOOLS or "")


# ------------------------------------------------------------------ stored as generated
def test_every_assignment_has_one_notebook_and_one_source():
    assert [s.stem for s in make_notebooks.sources()] == IDS
    assert sorted(p.stem for p in NOTEBOOKS.glob("*.ipynb")) == IDS


@pytest.mark.parametrize("assignment_id", IDS)
def test_the_stored_notebook_is_what_its_source_writes(assignment_id):
    source = make_notebooks.SOURCES / f"{assignment_id}.py"
    stored = make_notebooks.target(source).read_text(encoding="utf-8")
    assert stored == make_notebooks.render(source), (
        f"notebooks/{assignment_id}.ipynb is stale: run python scripts/make_notebooks.py"
    )


@pytest.mark.parametrize("assignment_id", IDS)
def test_a_stored_notebook_has_no_outputs_and_names_its_assignment(assignment_id):
    notebook = json.loads((NOTEBOOKS / f"{assignment_id}.ipynb").read_text(encoding="utf-8"))
    code = [c for c in notebook["cells"] if c["cell_type"] == "code"]
    assert code and all(c["outputs"] == [] and c["execution_count"] is None for c in code)
    setup = "".join(code[0]["source"])
    assert f'setup_notebook("{assignment_id}")' in setup  # its checks are its assignment's
    checks = [c for c in code if "check_tasks(ASSIGNMENT)" in "".join(c["source"])]
    assert len(checks) == 1, "one cell runs the assignment's checks"
    if TOOLS is None:
        nbformat.validate(nbformat.reads(json.dumps(notebook), as_version=4))


@pytest.mark.parametrize(
    ("text", "cells"),
    [
        ("header\n# %% [markdown]\n# # Title\n#\n# text\n\n# %%\nx = 1\n\n",
         [("markdown", "# Title\n\ntext"), ("code", "x = 1")]),
        ("# %%\na = 1\n# %%\nb = 2", [("code", "a = 1"), ("code", "b = 2")]),
        ("# %% [markdown]\n# $$y = xW + b$$", [("markdown", "$$y = xW + b$$")]),
    ],
)
def test_the_percent_format_is_read_cell_by_cell(text, cells):
    assert make_notebooks.parse(text) == cells


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("# %% [markdown]\nnot a comment", "a markdown cell's lines are comments"),
        ("# %%\n\n# %%\nx = 1", "an empty code cell"),
    ],
)
def test_a_malformed_source_is_refused(text, message):
    with pytest.raises(ValueError, match=message):
        make_notebooks.parse(text)


def test_check_mode_reports_a_stale_notebook(tmp_path, monkeypatch, capsys):
    sources = tmp_path / "source"
    sources.mkdir()
    (sources / "01-x.py").write_text("# %%\nx = 1\n", encoding="utf-8")
    monkeypatch.setattr(make_notebooks, "SOURCES", sources)
    monkeypatch.setattr(make_notebooks, "NOTEBOOKS", tmp_path)
    assert make_notebooks.main(["--check"]) == 1
    assert "stale: 01-x.ipynb" in capsys.readouterr().err
    monkeypatch.setattr(make_notebooks, "ROOT", tmp_path)
    assert make_notebooks.main([]) == 0
    assert make_notebooks.main(["--check"]) == 0


# ------------------------------------------------------------------ executed
def _execute(path: Path, src: Path):
    """Run the notebook at ``path`` in a kernel whose minitorch is the one in ``src`` (first
    on PYTHONPATH, nothing installed); return the executed notebook, the error that stopped
    it (or ``None``) and the seconds it took."""
    notebook = nbformat.read(path, as_version=4)
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1",
           "MKL_NUM_THREADS": "1", "PYTHONDONTWRITEBYTECODE": "1"}
    env["PYTHONPATH"] = os.pathsep.join([str(src), *filter(None, [env.get("PYTHONPATH")])])
    client = NotebookClient(notebook, timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    start = time.perf_counter()
    error = None
    try:
        client.execute(env=env)
    except CellExecutionError as stopped:
        error = stopped
    return notebook, error, time.perf_counter() - start


def _text(cell) -> str:
    return "".join(o.get("text", "") for o in cell.get("outputs", []))


@needs_tools
@pytest.mark.parametrize("assignment_id", IDS)
def test_the_notebook_runs_on_the_reference(assignment_id):
    notebook, error, seconds = _execute(NOTEBOOKS / f"{assignment_id}.ipynb", ROOT / "src")
    assert error is None, f"{assignment_id}.ipynb stopped: {error}"
    code = [c for c in notebook.cells if c.cell_type == "code"]
    assert all(c.execution_count is not None for c in code)
    assert f"minitorch: {ROOT / 'src' / 'minitorch'}" in _text(code[0])
    owner = next(a for a in ASSIGNMENTS if a.id == assignment_id)
    table = next(_text(c) for c in code if "check_tasks(ASSIGNMENT)" in c.source)
    for task in owner.tasks:  # every check passes on the reference
        assert any(line.split()[:3] == [task.name, f"{task.points}/{task.points}", "passed"]
                   for line in table.splitlines()), table
    assert f"total {owner.points:>2}/{owner.points}".split() in [
        line.split() for line in table.splitlines()
    ]
    figures = [o for c in code for o in c.outputs if "image/png" in o.get("data", {})]
    assert figures, "the notebook draws a figure"
    print(f"{assignment_id}.ipynb: {seconds:.1f} s")


# The first task each notebook calls, and so the stub a fresh edition stops at.
FIRST_TASK = [("01-linear", "linear_forward"), ("04-optimizers", "Optimizer.zero_grad"),
              ("10-gpt", "GPT.forward"), ("12-rnn", "rnn_step_forward")]


@needs_tools
@pytest.mark.parametrize(("assignment_id", "first_task"), FIRST_TASK)
def test_in_a_fresh_edition_the_notebook_stops_at_the_first_task(
    tmp_path, assignment_id, first_task
):
    edition = tmp_path / "edition"
    build_edition(assignment_id, edition)
    notebook_path = edition / "notebooks" / f"{assignment_id}.ipynb"
    if not notebook_path.is_file():  # an edition builder that does not copy notebooks/ yet
        notebook_path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(NOTEBOOKS / notebook_path.name, notebook_path)
    notebook, error, _ = _execute(notebook_path, edition / "src")
    assert error is not None, "a fresh edition's notebook must stop at its first task"
    code = [c for c in notebook.cells if c.cell_type == "code"]
    failed = [i for i, c in enumerate(code)
              if any(o.output_type == "error" for o in c.outputs)]
    assert len(failed) == 1
    stopped = next(o for o in code[failed[0]].outputs if o.output_type == "error")
    assert stopped.ename == "NotImplementedError"
    assert stopped.evalue.startswith(f"{first_task} (assignment {assignment_id}) is not written")
    assert failed[0] == 1  # the first cell after the setup calls the first task
    setup = _text(code[0])  # ... and the setup ran, on the edition's code
    assert f"edition: {assignment_id}" in setup
    assert str(edition / "src" / "minitorch") in setup
    assert all(c.execution_count is None for c in code[failed[0] + 1 :])
