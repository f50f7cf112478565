"""Where a task's body is: resolving a dotted target, and its lines in the source file.

A target ``minitorch.optim.sgd.SGD.step`` is a module (the longest importable prefix) and a
qualified name in it. :func:`locate` finds that ``def`` in a source text with :mod:`ast` and
returns the lines its body occupies after the docstring (comments of the body included), so
that the student edition can replace exactly those lines and leave every other byte as it is.
"""

from __future__ import annotations

import ast
import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["Body", "formula_place", "locate", "module_and_qualname", "resolve", "source_path"]


def module_and_qualname(target: str) -> tuple[str, str]:
    """``("minitorch.optim.sgd", "SGD.step")`` for ``minitorch.optim.sgd.SGD.step``: the
    module is the longest prefix that is a module file of the package."""
    parts = target.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        module = ".".join(parts[:cut])
        try:
            importlib.import_module(module)
        except ImportError:
            continue
        return module, ".".join(parts[cut:])
    raise ImportError(f"{target}: no importable module in this dotted path")


def resolve(target: str) -> Any:
    """The function (or method, taken from its class) that ``target`` names."""
    module, qualname = module_and_qualname(target)
    obj: Any = importlib.import_module(module)
    for part in qualname.split("."):
        obj = getattr(obj, part)
    return obj


def source_path(package_root: Path, target: str) -> Path:
    """The file of ``target``'s module inside a copy of the package at ``package_root``
    (the directory holding ``minitorch/``), found from the dotted path alone."""
    module, _ = module_and_qualname(target)
    base = package_root.joinpath(*module.split("."))
    return base / "__init__.py" if base.is_dir() else base.with_suffix(".py")


@dataclass(frozen=True)
class Body:
    """A body's place in its file: lines ``start``..``end`` (1-based, inclusive) after the
    docstring, their indentation, and whether the function has a docstring."""

    start: int
    end: int
    indent: str
    has_docstring: bool
    node: ast.FunctionDef | ast.AsyncFunctionDef

    def text(self, lines: list[str]) -> str:
        return "".join(lines[self.start - 1 : self.end])


def _find_def(tree: ast.Module, qualname: str) -> ast.FunctionDef | ast.AsyncFunctionDef:
    scope: Any = tree
    parts = qualname.split(".")
    for position, part in enumerate(parts):
        last = position == len(parts) - 1
        kinds = (ast.FunctionDef, ast.AsyncFunctionDef) if last else (ast.ClassDef,)
        found = [n for n in scope.body if isinstance(n, kinds) and n.name == part]
        if not found:
            raise LookupError(f"{qualname}: no {'def' if last else 'class'} {part!r} in the file")
        scope = found[-1]  # the last definition wins, as at import
    return scope


def locate(source: str, qualname: str) -> Body:
    """The lines of ``qualname``'s body in ``source`` (docstring excluded, comments included).

    The body runs from the line after the docstring (or after the signature) to the last
    line of its last statement, extended over the comment lines indented like the body that
    follow it; blank lines after it are left to the file.
    """
    tree = ast.parse(source)
    node = _find_def(tree, qualname)
    lines = source.splitlines(keepends=True)
    body = node.body
    first = body[0]
    has_docstring = (
        isinstance(first, ast.Expr)
        and isinstance(first.value, ast.Constant)
        and isinstance(first.value.value, str)
    )
    statements = body[1:] if has_docstring else body
    if not statements:
        raise LookupError(f"{qualname}: the body holds nothing but its docstring")
    if statements[0].lineno == node.lineno:
        raise LookupError(f"{qualname}: a body on the line of its def cannot be stubbed")
    if has_docstring:
        start = first.end_lineno + 1
    else:
        start = statements[0].lineno
        while start - 1 > node.lineno and lines[start - 2].strip().startswith("#"):
            start -= 1  # comments between the signature and the first statement
    end = statements[-1].end_lineno
    first_line = lines[statements[0].lineno - 1]
    indent = first_line[: len(first_line) - len(first_line.lstrip())]
    scan = end
    while scan < len(lines):
        line = lines[scan]
        if not line.strip():
            scan += 1
            continue
        if line.startswith(indent) and line.strip().startswith("#"):
            scan += 1
            end = scan  # a comment of the body, after its last statement
            continue
        break
    return Body(start, end, indent, has_docstring, node)


def _comment_above(lines: list[str], node: ast.AST) -> bool:
    first = min(d.lineno for d in [node, *getattr(node, "decorator_list", [])])
    return first >= 2 and lines[first - 2].strip().startswith("#")


def formula_place(source: str, qualname: str) -> str | None:
    """Where the formula of ``qualname`` is written, for the stub's message: ``"its
    docstring"``, ``"the comment above it"``, ``"the comment above relu_forward"`` (a backward
    whose pair's comment gives both formulas), or ``None`` when nothing says it."""
    body = locate(source, qualname)
    if body.has_docstring:
        return "its docstring"
    lines = source.splitlines()
    if _comment_above(lines, body.node):
        return "the comment above it"
    name = qualname.rsplit(".", 1)[-1]
    if "." in qualname:  # a method: the class's docstring (its Math block) says it
        owner = _find_def_or_class(ast.parse(source), qualname.rsplit(".", 1)[0])
        if ast.get_docstring(owner):
            return f"the docstring of {owner.name}"
    if name.endswith("_backward"):
        pair = qualname[: -len("_backward")] + "_forward"
        try:
            forward = locate(source, pair)
        except LookupError:
            return None
        if _comment_above(lines, forward.node):
            return f"the comment above {pair.rsplit('.', 1)[-1]}"
    return None


def _find_def_or_class(tree: ast.Module, qualname: str) -> ast.ClassDef:
    scope: Any = tree
    for part in qualname.split("."):
        scope = [n for n in scope.body if isinstance(n, ast.ClassDef) and n.name == part][-1]
    return scope
