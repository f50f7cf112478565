"""A Gradescope autograder for one assignment: ``minitorch course autograder ID --out zip``.

The zip holds the reference project (the grader's minitorch: its checks, stored values and the
reference code the hidden tests compare with), ``setup.sh`` (Gradescope runs it once, to install
it) and ``run_autograder`` (run for each submission: it grades ``/autograder/submission`` into
``/autograder/results/results.json``), and the instructor's hidden tests, if given, in
``hidden/``. ``run_autograder`` makes ``/autograder/source`` readable to root only (mode 700),
so that the unprivileged user the student's code runs as (``nobody``; ``GRADE_USER`` to change
it) can read neither the reference nor the hidden tests. The root ``/autograder`` can be moved
with ``AUTOGRADER_ROOT`` (for tests), the Python with ``PYTHON`` (it must be one the grading
user can run).
"""

from __future__ import annotations

import os
import stat
import zipfile
from pathlib import Path

from .edition import PROJECT_FILES, project_root
from .syllabus import assignment

__all__ = ["RUN_AUTOGRADER", "SETUP", "write_autograder"]

SETUP = """#!/usr/bin/env bash
# Gradescope runs this once, in /autograder/source (where the zip was unpacked).
set -euo pipefail
cd "$(dirname "$0")"
"${PYTHON:-python3}" -m pip install --quiet -e .
"""

RUN_AUTOGRADER = """#!/usr/bin/env bash
# Gradescope runs this for each submission; AUTOGRADER_ROOT moves /autograder (for tests).
set -uo pipefail
ROOT="${{AUTOGRADER_ROOT:-/autograder}}"
mkdir -p "$ROOT/results"
# The reference and the hidden tests: readable to root only, never to the student's code.
chmod 700 "$ROOT/source"
cd "$ROOT/source"
HIDDEN=()
if [ -d "$ROOT/source/hidden" ]; then HIDDEN=(--hidden-tests "$ROOT/source/hidden"); fi
if ! PYTHONPATH="$ROOT/source/src" "${{PYTHON:-python3}}" -m minitorch course grade \\
        "$ROOT/submission" --assignment {assignment} --results "$ROOT/results/results.json" \\
        --user "${{GRADE_USER:-nobody}}" "${{HIDDEN[@]}}"; then
    MESSAGE="The submission could not be graded: upload your edition's folder (pyproject.toml, src)"
    printf '{{"score": 0, "output": "%s"}}\\n' "$MESSAGE" > "$ROOT/results/results.json"
fi
"""


def _add(archive: zipfile.ZipFile, name: str, data: bytes, executable: bool = False) -> None:
    info = zipfile.ZipInfo(name)
    mode = 0o755 if executable else 0o644
    info.external_attr = (stat.S_IFREG | mode) << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    archive.writestr(info, data)


def write_autograder(
    assignment_id: str, out: Path | str, hidden_tests: Path | str | None = None
) -> Path:
    """Write the autograder of ``assignment_id`` to the zip ``out`` (with the hidden tests of
    the folder ``hidden_tests``, validated first, as ``hidden/``)."""
    from .hidden import hidden_files

    chosen = assignment(assignment_id)
    files = {} if hidden_tests is None else hidden_files(chosen.id, hidden_tests)
    root = project_root()
    out = Path(out)
    with zipfile.ZipFile(out, "w") as archive:
        _add(archive, "setup.sh", SETUP.encode(), executable=True)
        _add(archive, "run_autograder", RUN_AUTOGRADER.format(assignment=chosen.id).encode(),
             executable=True)
        for name in PROJECT_FILES:
            if (root / name).is_file():
                _add(archive, name, (root / name).read_bytes())
        package = root / "src" / "minitorch"
        for path in sorted(package.rglob("*")):
            relative = path.relative_to(root)
            skipped = "__pycache__" in path.parts or path.suffix in (".pyc", ".pyo")
            if path.is_file() and not skipped and not path.name.startswith("."):
                _add(archive, relative.as_posix(), path.read_bytes(),
                     executable=os.access(path, os.X_OK))
        for path in files.values():
            _add(archive, f"hidden/{path.name}", path.read_bytes())
    return out
