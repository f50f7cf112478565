"""Importing minitorch loads only what the specification allows."""

from __future__ import annotations

import json
import subprocess
import sys

PROHIBITED = ("torch", "tensorflow", "keras", "jax", "sklearn")
ONLY_FOR_PLOTS_AND_CLI = ("matplotlib", "tqdm")


def _modules_after(statement: str) -> set[str]:
    code = f"import sys, json\n{statement}\nprint(json.dumps(sorted(sys.modules)))"
    output = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True
    ).stdout
    return {name.split(".")[0] for name in json.loads(output.splitlines()[-1])}


def test_import_minitorch_loads_nothing_prohibited():
    loaded = _modules_after(
        "import minitorch, minitorch.nn.functional, minitorch.optim.lr_scheduler, "
        "minitorch.utils.data, minitorch.testing"
    )
    assert "minitorch" in loaded and "numpy" in loaded
    assert not loaded & set(PROHIBITED), loaded & set(PROHIBITED)
    assert not loaded & set(ONLY_FOR_PLOTS_AND_CLI), "the core must not import plotting or tqdm"


def test_source_never_imports_a_prohibited_library():
    from pathlib import Path

    import minitorch

    root = Path(minitorch.__file__).parent
    for path in root.rglob("*.py"):
        for line in path.read_text().splitlines():
            words = line.strip().split()
            if len(words) >= 2 and words[0] in ("import", "from"):
                top = words[1].split(".")[0]
                assert top not in PROHIBITED, f"{path}: {line.strip()}"
