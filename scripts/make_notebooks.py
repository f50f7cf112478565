"""Write the course's Jupyter notebooks, notebooks/*.ipynb, from their readable sources.

    python scripts/make_notebooks.py           # (re)write every notebook
    python scripts/make_notebooks.py --check   # exit 1 if a notebook differs from its source

Each notebook is written from ``notebooks/source/<id>.py``, a Python file in the "percent"
format (Jupytext's, VS Code's and Spyder's): ``# %%`` starts a code cell, ``# %% [markdown]``
a markdown cell whose lines are comments (``# `` is taken off). Lines before the first marker
are the source's own header and do not go into the notebook. The notebooks are stored without
outputs, with cell ids derived from the notebook's name and the cell's position, so that the
same source always gives the same bytes (a test compares them). No dependency: the JSON is
written as nbformat 4.5 writes it.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
SOURCES = NOTEBOOKS / "source"

_MARKDOWN = "# %% [markdown]"
_CODE = "# %%"
_METADATA = {
    "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"},
    "language_info": {"name": "python"},
}


def _markdown_line(line: str, where: str) -> str:
    if line.strip() in ("", "#"):
        return ""
    if not line.startswith("# "):
        raise ValueError(f"{where}: a markdown cell's lines are comments ('# ...'), got {line!r}")
    return line[2:]


def parse(text: str, name: str = "<source>") -> list[tuple[str, str]]:
    """The cells of a percent-format source: ``[(kind, text), ...]``, kind ``markdown`` or
    ``code``, each cell's blank lines at either end removed."""
    cells: list[tuple[str, list[str]]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if line.startswith(_MARKDOWN):
            cells.append(("markdown", []))
        elif line.startswith(_CODE):
            cells.append(("code", []))
        elif cells:
            kind, lines = cells[-1]
            lines.append(_markdown_line(line, f"{name}:{number}") if kind == "markdown" else line)
    result = []
    for kind, lines in cells:
        body = "\n".join(lines).strip("\n")
        if not body:
            raise ValueError(f"{name}: an empty {kind} cell")
        result.append((kind, body))
    return result


def _source_lines(text: str) -> list[str]:
    lines = text.split("\n")
    return [line + "\n" for line in lines[:-1]] + [lines[-1]]


def render(source: Path) -> str:
    """The notebook ``source`` gives, as the text of its ``.ipynb`` file."""
    cells = []
    for index, (kind, body) in enumerate(parse(source.read_text(encoding="utf-8"), source.name)):
        cell = {"cell_type": kind, "id": f"{source.stem}-{index:02d}", "metadata": {},
                "source": _source_lines(body)}
        if kind == "code":
            cell.update(execution_count=None, outputs=[])
        cells.append(cell)
    notebook = {"cells": cells, "metadata": _METADATA, "nbformat": 4, "nbformat_minor": 5}
    return json.dumps(notebook, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def sources() -> list[Path]:
    """Every notebook source, in the course's order."""
    return sorted(SOURCES.glob("*.py"))


def target(source: Path) -> Path:
    return NOTEBOOKS / f"{source.stem}.ipynb"


def main(argv: list[str]) -> int:
    check = "--check" in argv
    stale = []
    for source in sources():
        text = render(source)
        path = target(source)
        if path.is_file() and path.read_text(encoding="utf-8") == text:
            continue
        if check:
            stale.append(path.name)
        else:
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path.relative_to(ROOT)}")
    if stale:
        print(f"stale: {', '.join(stale)}; run python scripts/make_notebooks.py", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
