"""Importing minitorch loads only what the specification allows."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import minitorch

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


# ---------------------------------------------------------------------- no import cycle
SRC = Path(minitorch.__file__).parents[1]  # the folder that holds the package
def _module_files(src: Path, package: str) -> dict[str, tuple[Path, bool]]:
    """Every module of ``src/package``: dotted name -> (file, whether it is an ``__init__``)."""
    found = {}
    for path in sorted((src / package).rglob("*.py")):
        parts = path.relative_to(src).with_suffix("").parts
        is_package = parts[-1] == "__init__"
        found[".".join(parts[:-1] if is_package else parts)] = (path, is_package)
    return found


def _import_graph(src: Path = SRC, package: str = "minitorch") -> dict[str, dict[str, str]]:
    """importer -> {imported: "file:line"} over every ``import`` statement of ``src/package``.

    The rules (see :func:`test_the_package_has_no_import_cycle`):

    * every statement counts, wherever it is: module level, inside a function or method, under
      ``if TYPE_CHECKING:``;
    * ``from P import name`` is an edge to the module ``P.name`` when that is a module or a
      package (``from . import functional as F`` -> ``nn/functional/__init__.py``), else to
      ``P`` (a package's ``__init__`` when ``P`` is a package); relative imports are resolved;
    * importing ``a.b.c`` also runs the ``__init__`` of every package on the way, ``a`` and
      ``a.b``: those are edges too, except for the packages that contain the importer, which
      are already being imported when it runs (``nn/linear.py`` importing
      ``minitorch.nn.functional`` depends on ``nn/functional/__init__.py``, not on
      ``nn/__init__.py``, which is what imported it).
    """
    modules = _module_files(src, package)
    graph: dict[str, dict[str, str]] = {name: {} for name in modules}
    for importer, (path, is_package) in modules.items():
        home = importer if is_package else importer.rpartition(".")[0]
        where = path.relative_to(src)
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parent = home.rsplit(".", node.level - 1)[0]
                    base = f"{parent}.{base}" if base else parent
                targets = [
                    f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base
                    for alias in node.names
                ]
            else:
                continue
            for target in targets:
                parts = target.split(".")
                for n in range(1, len(parts) + 1):
                    name = ".".join(parts[:n])
                    contains_importer = importer == name or importer.startswith(name + ".")
                    implicit = n < len(parts) and contains_importer
                    if name in modules and name != importer and not implicit:
                        graph[importer].setdefault(name, f"{where}:{node.lineno}")
    return graph


def _cycles(graph: dict[str, dict[str, str]]) -> list[list[str]]:
    """One cycle through each strongly connected component of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    components: list[set[str]] = []

    def connect(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph[v]:
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = set()
            while True:
                w = stack.pop()
                component.add(w)
                if w == v:
                    break
            if len(component) > 1:
                components.append(component)

    for v in sorted(graph):
        if v not in index:
            connect(v)
    cycles = []
    for component in components:  # a shortest way from the component's first module back to it
        start = min(component)
        previous: dict[str, str | None] = {start: None}
        frontier = [start]
        while not (closing := [v for v in frontier if start in graph[v]]):
            reached = []
            for v in frontier:
                for w in sorted(graph[v]):
                    if w in component and w not in previous:
                        previous[w] = v
                        reached.append(w)
            frontier = reached
        cycle, v = [], closing[0]
        while v is not None:
            cycle.append(v)
            v = previous[v]
        cycles.append(cycle[::-1])
    return cycles


def _describe(graph: dict[str, dict[str, str]], cycle: list[str]) -> str:
    steps = zip(cycle, [*cycle[1:], cycle[0]], strict=True)
    return "\n  ".join(f"{a} -> {b}  ({graph[a][b]})" for a, b in steps)


# A small package with every kind of import the rules name, and one cycle hidden in a function.
PACKAGE = {
    "pkg/__init__.py": "from .a import A\n",
    "pkg/a.py": (
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from .b import B\n"
        "class A:\n    def parts(self):\n        from . import sub as s\n        return s\n"
    ),
    "pkg/b.py": "import pkg.sub.c\nfrom pkg import helpers\n",
    "pkg/helpers.py": "import numpy\n",
    "pkg/sub/__init__.py": "from .c import C\n",
    "pkg/sub/c.py": "class C:\n    def back(self):\n        from .. import a\n        return a\n",
}


def test_the_import_graph_sees_every_kind_of_import(tmp_path):
    """The graph has the edges the rules promise (a wrong resolution would hide a cycle)."""
    for name, text in PACKAGE.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    graph = {k: set(v) for k, v in _import_graph(tmp_path, "pkg").items()}
    assert graph == {
        "pkg": {"pkg.a"},  # a package's __init__ importing its parts
        "pkg.a": {"pkg.b", "pkg.sub"},  # under TYPE_CHECKING; in a method, a package
        "pkg.b": {"pkg.sub", "pkg.sub.c", "pkg.helpers"},  # the packages on the way; a module
        "pkg.helpers": set(),  # no edge to other libraries, none to the importer's package
        "pkg.sub": {"pkg.sub.c"},
        "pkg.sub.c": {"pkg.a"},  # from .. import a: up the tree
    }
    assert _cycles(_import_graph(tmp_path, "pkg")) == [["pkg.a", "pkg.b", "pkg.sub.c"]]  # shortest
    assert _cycles({"a": {"b": ""}, "b": {"c": ""}, "c": {"a": ""}, "d": {"a": ""}}) == [
        ["a", "b", "c"]
    ]


def test_the_package_has_no_import_cycle():
    """No module of minitorch imports, directly or through others, a module that imports it.

    The graph is built from the source (``ast``), so it sees the imports hidden inside
    functions, which run only when called and which a test that imports the package cannot
    see. A package's ``__init__`` is a module like the others: ``nn/__init__.py`` re-exporting
    ``from .linear import Linear`` is an edge from ``minitorch.nn`` to ``minitorch.nn.linear``,
    the normal way down the tree; a submodule importing its own package back (were
    ``nn/linear.py`` to say ``from .. import nn`` or ``from . import Module``) is an edge up
    and, with the re-export, a cycle. The one import that is not an edge is the implicit one
    of the packages that contain the importer (they are what is importing it). ``importlib``
    calls are not read: the package's and ``minitorch.viz``'s lazy attributes (PEP 562) load
    their own submodules by name, the direction the tree already has. The rules for each
    statement are in :func:`_import_graph`.
    """
    graph = _import_graph()
    cycles = _cycles(graph)
    assert not cycles, "import cycles:\n  " + "\n\n  ".join(_describe(graph, c) for c in cycles)
