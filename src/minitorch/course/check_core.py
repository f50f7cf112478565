"""What a public check is, and the message when a task fails it.

A :class:`Check` is one row of the table :data:`minitorch.course.checks.CHECKS`, keyed by the
task's name. Its ``cases`` draw fixed-seed float64 inputs; its ``run`` calls a function (the
student's, or the reference's when :mod:`.make_golden` stores the expected values) and returns
named outputs; ``hints`` say, per output, what it is and how it is computed, for the message
(a key ``"d(*"`` serves every output whose name starts with ``d(``). A check of behaviour
(what a batch holds, which order an epoch draws, how often a token is sampled) has a ``run``
that only *observes* (the student's code run on the case's inputs, its observations handed
back as arrays) and a ``judge`` that decides, in the process that compares (never the
student's): ``judge(case, inputs, yours, expected)`` returns the message or ``None``, from the
observations and the reference's on the same inputs (or from a property of the inputs where
the exact random draw is not the student's to match). A check may also run ``behaviour``, a
function of the student's function that returns a message or ``None``, in the student's
process (an extra test that can only fail a task). The stored values live in
``golden/<assignment>.npz`` (no reference code ships in a student edition), under
``<task>/<case>/in/<name>`` and ``<task>/<case>/out/<name>``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "Arrays",
    "Check",
    "NotNumbers",
    "at_index",
    "collect_outputs",
    "compare",
    "compare_outputs",
    "golden_path",
    "load_cache",
    "number",
    "run_check",
    "store_cache",
]

GOLDEN_DIR = Path(__file__).resolve().parent / "golden"
Arrays = dict[str, np.ndarray]


@dataclass(frozen=True)
class Check:
    """How one task is checked (see the module's docstring)."""

    cases: Callable[[np.random.Generator], dict[str, Arrays]] | None = None
    run: Callable[[Callable, str, Arrays], dict[str, Any]] | None = None
    hints: dict[str, str] = field(default_factory=dict)
    behaviour: Callable[[Callable], str | None] | None = None
    judge: Callable[[str, Arrays, dict[str, Any], dict[str, Any]], str | None] | None = None
    #: Whether the stored values keep the reference's outputs. A judge that decides from the
    #: inputs alone (a sampler judged by its frequencies) needs none, so none are stored.
    keeps_expected: bool = True
    atol: float = 1e-9
    rtol: float = 1e-7


def golden_path(assignment_id: str) -> Path:
    return GOLDEN_DIR / f"{assignment_id}.npz"


# ----------------------------------------------------------------- comparing and explaining
def at_index(index: tuple[int, ...]) -> str:
    return "[" + ", ".join(str(int(i)) for i in index) + "]"


def number(value: float) -> str:
    return f"{value:.4g}"


def _likely(yours: np.ndarray, expected: np.ndarray, atol: float, rtol: float) -> str | None:
    """A mistake recognised from the numbers alone: the sign, the transpose, a constant factor."""
    same_shape = yours.shape == expected.shape
    if same_shape and np.any(expected != 0) and np.allclose(yours, -expected, atol=atol, rtol=rtol):
        return "every value has the wrong sign"
    transposed = expected.ndim == 2 and yours.shape == expected.shape[::-1]
    if transposed and np.allclose(yours, expected.T, atol=atol, rtol=rtol):
        return "you computed its transpose"
    nonzero = np.abs(expected) > 1e-12
    if same_shape and nonzero.sum() >= 2:
        ratio = yours[nonzero] / expected[nonzero]
        factor = float(np.median(ratio))
        if factor != 0 and np.allclose(ratio, factor, rtol=1e-6) and abs(factor - 1) > 1e-6:
            return f"every value is {number(factor)} times the expected one (a factor missing?)"
    return None


def compare(
    function: str, name: str, yours: Any, expected: Any, hint: str, atol: float, rtol: float
) -> str | None:
    """``None`` when ``yours`` matches ``expected``, else the one message a student acts on:
    ``"linear_backward: dW differs at [2, 1] (yours 0.31, expected -0.12); <hint>"``."""
    tail = f"; {hint}" if hint else ""
    if expected is None:
        if yours is None:
            return None
        return f"{function}: {name} should be None here{tail}"
    if yours is None:
        return f"{function}: {name} is None, expected an array of shape {expected.shape}{tail}"
    if isinstance(yours, NotNumbers):
        return f"{function}: {name} is {yours.type_name}, not an array of numbers{tail}"
    try:
        yours = np.asarray(yours, dtype=np.float64)
    except (TypeError, ValueError):
        return f"{function}: {name} is {type(yours).__name__}, not an array of numbers{tail}"
    expected = np.asarray(expected, dtype=np.float64)
    if yours.shape != expected.shape:
        likely = _likely(yours, expected, atol, rtol)
        why = f" ({likely})" if likely else ""
        return f"{function}: {name} has shape {yours.shape}, expected {expected.shape}{why}{tail}"
    if np.allclose(yours, expected, atol=atol, rtol=rtol, equal_nan=True):
        return None
    error = np.abs(yours - expected)
    error = np.where(np.isnan(error), np.inf, error)
    where = np.unravel_index(int(np.argmax(error)), error.shape) if error.ndim else ()
    mine, theirs = float(yours[where]), float(expected[where])
    place = f" at {at_index(where)}" if error.ndim else ""
    likely = _likely(yours, expected, atol, rtol)
    why = f"; {likely}" if likely else ""
    return (
        f"{function}: {name} differs{place} (yours {number(mine)}, expected {number(theirs)}, "
        f"largest error {number(float(error[where]))}){why}{tail}"
    )


def _hint(check: Check, name: str) -> str:
    """The hint of output ``name``: its own, or that of a ``prefix*`` key it starts with."""
    if name in check.hints:
        return check.hints[name]
    for key, hint in check.hints.items():
        if key.endswith("*") and name.startswith(key[:-1]):
            return hint
    return ""


def _cases(task_name: str, golden: Any) -> list[str]:
    prefix = f"{task_name}/"
    cases = sorted({key.split("/")[1] for key in golden.files if key.startswith(prefix)})
    if not cases:
        raise LookupError(f"no stored values for {task_name}; run make_golden")
    return cases


def _stored(task_name: str, case: str, kind: str, golden: Any) -> dict[str, np.ndarray]:
    start = f"{task_name}/{case}/{kind}/"
    return {k[len(start) :]: np.array(golden[k]) for k in golden.files if k.startswith(start)}


class NotNumbers:
    """An output that is no array of numbers (its type's name), as the child reports it."""

    def __init__(self, type_name: str) -> None:
        self.type_name = type_name


def collect_outputs(task_name: str, check: Check, function: Callable, golden: Any) -> Arrays:
    """``function``'s outputs on every stored case of its check, as arrays to hand over:
    ``out/<case>/<name>`` (float64), ``none/<case>/<name>``, ``text/<case>/<name>`` (a
    string), ``bad/<case>/<name>`` (the type's name, for an output that is no array of
    numbers). This is all the child process, where the student's code runs, sends back; the
    parent compares."""
    collected: Arrays = {}
    if check.run is None:
        return collected
    for case in _cases(task_name, golden):
        outputs = check.run(function, case, _stored(task_name, case, "in", golden))
        for name, value in outputs.items():
            if value is None:
                collected[f"none/{case}/{name}"] = np.array(0)
                continue
            if isinstance(value, str):
                collected[f"text/{case}/{name}"] = np.array(value)
                continue
            try:
                collected[f"out/{case}/{name}"] = np.array(value, dtype=np.float64)
            except (TypeError, ValueError):
                collected[f"bad/{case}/{name}"] = np.array(type(value).__name__)
    return collected


def _yours(outputs: Any, case: str, name: str) -> Any:
    """Output ``name`` of ``case`` as the child handed it over: an array, a string, a
    :class:`NotNumbers`, or ``None`` (``None``, or not handed over)."""
    if f"out/{case}/{name}" in outputs:
        return np.array(outputs[f"out/{case}/{name}"])
    if f"text/{case}/{name}" in outputs:
        return str(outputs[f"text/{case}/{name}"])
    if f"bad/{case}/{name}" in outputs:
        return NotNumbers(str(outputs[f"bad/{case}/{name}"]))
    return None


def compare_outputs(task_name: str, check: Check, outputs: Any, golden: Any) -> str | None:
    """The message of the first output in ``outputs`` (what :func:`collect_outputs` made)
    that differs from the stored values in ``golden`` (or that the check's ``judge`` finds
    wrong), or ``None``."""
    if check.run is None:
        return None
    for case in _cases(task_name, golden):
        expected: dict[str, Any] = _stored(task_name, case, "out", golden)
        expected.update(dict.fromkeys(_stored(task_name, case, "none", golden)))
        expected.update({k: str(v) for k, v in _stored(task_name, case, "text", golden).items()})
        if check.judge is not None:
            keys = outputs.files if hasattr(outputs, "files") else list(outputs)
            handed = {key.split("/", 2)[2] for key in keys if key.split("/")[1] == case}
            yours = {name: _yours(outputs, case, name) for name in handed | set(expected)}
            inputs = _stored(task_name, case, "in", golden)
            message = check.judge(case, inputs, yours, expected)
            if message is not None:
                return f"{message} [case {case}]"
            continue
        for name, value in expected.items():
            message = compare(
                task_name, name, _yours(outputs, case, name), value, _hint(check, name),
                check.atol, check.rtol,
            )
            if message is not None:
                return f"{message} [case {case}]"
    return None


def run_check(task_name: str, check: Check, function: Callable, golden: Any) -> str | None:
    """Check ``function`` for ``task_name`` in this process against the stored values in
    ``golden`` (an open ``.npz``): ``None`` when it passes, else the message of its first
    failure (the stored values first, then the behaviour)."""
    outputs = collect_outputs(task_name, check, function, golden)
    message = compare_outputs(task_name, check, outputs, golden)
    if message is None and check.behaviour is not None:
        message = check.behaviour(function)
    return message


def store_cache(cache: Any) -> Arrays:
    """A cache's fields as arrays to store (``cache.<field>``): arrays, numbers, flags and
    tuples of ints (shapes, strides); ``None``, strings and nested caches are left out (the
    check's case gives them)."""
    stored = {}
    for name, value in cache._asdict().items():
        if isinstance(value, tuple) and not all(isinstance(v, (int, np.integer)) for v in value):
            continue
        if isinstance(value, (np.ndarray, bool, int, float, np.number, tuple)):
            stored[f"cache.{name}"] = np.asarray(value)
    return stored


def load_cache(cache_type: Any, arrays: Arrays, **given: Any) -> Any:
    """The cache ``store_cache`` stored, rebuilt: integer vectors become tuples (shapes,
    strides), 0-d arrays numbers or flags, missing fields ``None`` (or as ``given``)."""
    values = {}
    for name in cache_type._fields:
        if name in given:
            values[name] = given[name]
            continue
        value = arrays.get(f"cache.{name}")
        if value is None:
            values[name] = None
        elif value.ndim == 0:
            values[name] = value.item()
        elif value.dtype.kind in "iu" and value.ndim == 1:
            values[name] = tuple(int(v) for v in value)
        else:
            values[name] = value
    return cache_type(**values)
