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


# What minitorch.nn may not depend on: the layers above it, and the libraries only they use.
ABOVE_NN = (
    "minitorch.optim",
    "minitorch.utils",
    "minitorch.viz",
    "minitorch.training",
    "minitorch.cli",
    "minitorch.datasets",
)
NOT_FOR_NN = ("matplotlib", "tqdm", *PROHIBITED)


def test_importing_nn_alone_loads_nothing_above_it():
    """``minitorch.nn``'s own modules import nothing above nn (DESIGN: "nn knows nothing of
    optim or utils.data"), nor matplotlib, tqdm or torch.

    A plain ``import minitorch.nn`` cannot show this: Python runs ``minitorch/__init__.py``
    first, and that imports datasets, optim, utils and serialization itself, so they would be
    in ``sys.modules`` whatever nn does. So the fresh interpreter here puts an empty stand-in
    for the ``minitorch`` package into ``sys.modules`` (same ``__path__``, its ``__init__``
    never runs) and then imports ``minitorch.nn`` and each of its submodules for real. Every
    module that nn imports, directly or through a helper such as ``minitorch._state``, is then
    in ``sys.modules``, and only those. The test checks that these are the nn package itself
    and minitorch's private helpers (``minitorch._*``), and no library nn must not use.
    """
    code = """
import importlib, importlib.util, json, pkgutil, sys, types
spec = importlib.util.find_spec("minitorch")  # locates the package without running __init__
stub = types.ModuleType("minitorch")
stub.__path__ = list(spec.submodule_search_locations)
stub.__spec__ = spec
sys.modules["minitorch"] = stub
import minitorch.nn
for info in pkgutil.walk_packages(minitorch.nn.__path__, "minitorch.nn."):
    importlib.import_module(info.name)
print(json.dumps(sorted(sys.modules)))
"""
    output = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True
    ).stdout
    loaded = json.loads(output.splitlines()[-1])
    assert "minitorch.nn.linear" in loaded and "minitorch.nn.functional.loss" in loaded
    ours = [name for name in loaded if name == "minitorch" or name.startswith("minitorch.")]
    outside = [
        name
        for name in ours
        if name != "minitorch"
        and not name.startswith(("minitorch.nn.", "minitorch._"))
        and name != "minitorch.nn"
    ]
    assert not outside, f"minitorch.nn imports {outside}"
    assert not [name for name in ours if name.startswith(ABOVE_NN)]  # spelled out, to be sure
    libraries = sorted({name.split(".")[0] for name in loaded} & set(NOT_FOR_NN))
    assert not libraries, f"importing minitorch.nn loads {libraries}"


def test_nn_source_has_no_import_of_anything_above_it():
    """The same rule for imports the test above cannot see: those inside functions (a lazy
    ``import matplotlib`` in a method runs only when called). Every ``import`` statement in
    ``minitorch/nn/**.py``, wherever it is, resolved to an absolute name, must be nn itself, a
    private helper (``minitorch._*``) or another library than those nn must not use."""
    import ast
    from pathlib import Path

    import minitorch.nn

    root = Path(minitorch.nn.__file__).parent
    for path in sorted(root.rglob("*.py")):
        package = "minitorch." + ".".join(path.relative_to(root.parent).parent.parts)
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:  # relative: from .. import _state, from .module import Module
                    parent = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                    base = f"{parent}.{base}" if base else parent
                    targets = [f"{base}.{alias.name}" for alias in node.names]
                else:  # from minitorch import optim -> minitorch.optim
                    targets = [f"{base}.{alias.name}" for alias in node.names]
            else:
                continue
            for name in targets:
                where = f"{path.relative_to(root.parent)}:{node.lineno} imports {name}"
                if name == "minitorch" or name.startswith("minitorch."):
                    inside = name == "minitorch.nn" or name.startswith("minitorch.nn.")
                    assert inside or name.startswith("minitorch._"), where
                else:
                    assert name.split(".")[0] not in NOT_FOR_NN, where
