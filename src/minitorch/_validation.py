"""Checks shared by every layer, activation, loss and optimizer: one policy, one place.

* :func:`float_input` is the input policy: what a module accepts as ``x`` and what it computes
  in. Floating arrays are kept (or cast to the parameters' dtype); bool, int and uint arrays
  are computed in floating point (the default dtype, float32, unless told otherwise); Python
  lists get the default dtype, as ``torch.tensor`` gives them, the same way everywhere;
  complex, object, string and date arrays are refused with a ``TypeError`` naming the module.
* :func:`index_input` is its twin for integer indices (tokens, positions): an Embedding's and
  a GPT's input.
* :func:`check_size` checks a layer's size (a dimension, a vocabulary): a positive int.
* :func:`check_int`, :func:`check_float`, :func:`check_flag` and :func:`check_choice` check a
  constructor's hyperparameters, naming the module and the argument.
* :func:`check_fill_target` checks the array an ``nn.init`` function draws random values into:
  floating point, as PyTorch's fills require.
* :func:`check_memory` refuses an array larger than the machine's memory before it is
  allocated, naming the layer, the array, its size and the setting to lower.
* :func:`quiet_nonfinite` marks a method whose inf or NaN results PyTorch returns without a
  word (an average over ±inf, a +inf attention mask): NumPy's RuntimeWarning is silenced there,
  never the result changed.
"""

from __future__ import annotations

import functools
import math
import os
from collections.abc import Callable
from numbers import Integral, Real
from typing import Any

import numpy as np

from . import _state


def float_input(
    x: Any, owner: str, dtype: np.dtype | None = None, what: str = "input"
) -> np.ndarray:
    """``x`` as a floating-point array, by minitorch's one input policy.

    Parameters
    ----------
    x : array-like
        What the user passed: an ndarray, a Python list, a NumPy scalar.
    owner : str
        The module's name for error messages, e.g. ``"Linear(4 -> 3)"``.
    dtype : numpy dtype, optional
        Compute in this dtype (a layer's parameter dtype). Without it, floating inputs keep
        their dtype and others become the default dtype.
    what : str
        What ``x`` is, for messages (``"input"``, ``"predictions"``).
    """
    if isinstance(x, np.ndarray):
        array = x
    elif isinstance(x, np.generic):
        array = np.asarray(x)
    else:  # a Python list or number has no dtype of its own: it gets the default, as in torch
        if dtype is None:
            dtype = _state.get_default_dtype()
        try:
            array = np.asarray(x)
        except ValueError as error:  # a ragged nested list
            raise TypeError(
                f"{owner}: the {what} could not be made into an array ({error}); "
                "pass a NumPy array with one shape, e.g. np.array(rows, dtype=np.float32)"
            ) from None
    kind = array.dtype.kind
    if kind == "f":
        return array if dtype is None or array.dtype == dtype else array.astype(dtype)
    if kind in "biu":  # booleans and integers count as the numbers they are
        return array.astype(_state.get_default_dtype() if dtype is None else dtype)
    described = {
        "c": "complex numbers",
        "O": "Python objects",
        "U": "strings",
        "S": "bytes",
        "M": "dates",
        "m": "time spans",
    }.get(kind, f"values of dtype {array.dtype}")
    raise TypeError(
        f"{owner} expects real numbers as its {what}, got an array of {described} "
        f"(dtype {array.dtype}); convert it with .astype(np.float32)"
        + (" (take .real or abs() of complex values first)" if kind == "c" else "")
    )


def index_input(
    indices: Any, owner: str, num_embeddings: int | None = None, what: str = "indices"
) -> np.ndarray:
    """``indices`` as an integer array, each in ``[0, num_embeddings)`` when that is given.

    Floating, boolean and other arrays are refused with a ``TypeError`` naming the module (a
    float token id is a bug upstream: rounding it would hide it); an index out of range with
    an ``IndexError`` that shows it.
    """
    indices = np.asarray(indices)
    if not np.issubdtype(indices.dtype, np.integer):
        raise TypeError(
            f"{owner} expects integer {what}, got an array of {indices.dtype}"
            + (
                "; convert token ids with .astype(np.int64)"
                if np.issubdtype(indices.dtype, np.floating)
                else ""
            )
        )
    out_of_range = num_embeddings is not None and indices.size
    if out_of_range and (indices.min() < 0 or indices.max() >= num_embeddings):
        bad = indices[(indices < 0) | (indices >= num_embeddings)].flat[0]
        raise IndexError(
            f"{owner}: index {bad} is out of range; {what} must be in [0, {num_embeddings})"
        )
    return indices


def is_size(value: Any) -> bool:
    """Whether ``value`` is a positive int (not a bool, not a float): a valid size."""
    return not isinstance(value, (bool, np.bool_)) and isinstance(value, Integral) and value > 0


def check_size(owner: str, name: str, value: Any) -> int:
    """``value`` as a positive int, the size of a layer's dimension; anything else (0, 2.5,
    True) is a ``ValueError`` naming the module and the argument."""
    if not is_size(value):
        raise ValueError(f"{owner}: {name} must be a positive int, got {value!r}")
    return int(value)


def check_int(owner: str, name: str, value: Any, minimum: int | None = None) -> int:
    """``value`` as an int (not a bool, not a float), at least ``minimum``."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, Integral):
        raise TypeError(f"{owner}: {name} must be an int, got {type(value).__name__} {value!r}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{owner}: {name} must be >= {minimum}, got {value!r}")
    return int(value)


def check_float(
    owner: str,
    name: str,
    value: Any,
    low: float | None = None,
    high: float | None = None,
    *,
    low_inclusive: bool = True,
    high_inclusive: bool = True,
    infinite: bool = False,
) -> float:
    """``value`` as a finite Python float, optionally within [low, high] (bounds as told).

    With ``infinite=True``, ±inf count as numbers too (bounds still apply; NaN never passes);
    the string ``'inf'`` stays refused, as every string."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, Real):
        raise TypeError(f"{owner}: {name} must be a number, got {type(value).__name__} {value!r}")
    number = float(value)
    if math.isnan(number) or (math.isinf(number) and not infinite):
        raise ValueError(f"{owner}: {name} must be a finite number, got {value!r}")
    too_low = low is not None and (number < low if low_inclusive else number <= low)
    too_high = high is not None and (number > high if high_inclusive else number >= high)
    if too_low or too_high:
        allowed = _range_words(low, high, low_inclusive, high_inclusive)
        raise ValueError(f"{owner}: {name} must be {allowed}, got {value!r}")
    return number


def _range_words(low, high, low_inclusive: bool, high_inclusive: bool) -> str:
    if high is None:
        if low == 0:
            return "non-negative" if low_inclusive else "positive"
        return f"{'>=' if low_inclusive else '>'} {low:g}"
    if low is None:
        return f"{'<=' if high_inclusive else '<'} {high:g}"
    left, right = "[" if low_inclusive else "(", "]" if high_inclusive else ")"
    return f"in {left}{low:g}, {high:g}{right}"


def check_flag(owner: str, name: str, value: Any) -> bool:
    """``value`` as a bool; anything but True/False is refused (``"False"`` would be truthy)."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{owner}: {name} must be True or False, got {value!r}")
    return bool(value)


def check_choice(owner: str, name: str, value: Any, choices: tuple[str, ...]) -> str:
    """``value`` as one of ``choices`` (strings)."""
    if not isinstance(value, str) or value not in choices:
        quoted = [repr(c) for c in choices]
        options = " or ".join(quoted) if len(quoted) == 2 else "one of " + ", ".join(quoted)
        raise ValueError(f"{owner}: {name} must be {options}, got {value!r}")
    return value


def check_fill_target(owner: str, array: Any) -> np.ndarray:
    """``array`` if it can hold random draws: a floating-point ndarray (float16, 32 or 64).

    An integer or bool array would keep only the draws' whole parts (0 for most of N(0, 0.1²))
    and a complex one only their real parts, without a word; PyTorch refuses them too
    (``"normal_kernel_cpu" not implemented for 'Int'``). A ``TypeError`` names the function,
    the dtype and the fix.
    """
    if not isinstance(array, np.ndarray):
        raise TypeError(
            f"{owner}: expects a NumPy array to fill in place, got {type(array).__name__}"
        )
    if array.dtype.kind != "f":
        lost = {"b": "True or False", "c": "their real parts"}.get(
            array.dtype.kind, "their whole-number parts"
        )
        raise TypeError(
            f"{owner}: cannot fill an array of dtype {array.dtype} with random values (it would "
            f"keep only {lost}; PyTorch refuses it too); give a floating-point array, "
            "e.g. W = W.astype(np.float32) first"
        )
    return array


QUIET_NONFINITE = {"invalid": "ignore", "divide": "ignore", "over": "ignore"}  # np.errstate's


def quiet_nonfinite(method: Callable) -> Callable:
    """``method`` run under ``np.errstate(invalid, divide, over="ignore")``: where its inputs
    hold inf or NaN it returns the inf or NaN PyTorch returns, without NumPy's RuntimeWarning
    (``inf - inf`` in an average or a softmax). Only for operations whose non-finite result is
    PyTorch's too; a check that must refuse stays a check."""

    @functools.wraps(method)
    def quiet(*args: Any, **kwargs: Any) -> Any:
        with np.errstate(**QUIET_NONFINITE):
            return method(*args, **kwargs)

    return quiet


@functools.cache
def machine_memory() -> int | None:
    """The machine's physical memory in bytes (``None`` where the system does not say)."""
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):  # not POSIX
        return None


def _bytes_text(count: float) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if count < 1024 or unit == "PiB":
            return f"{count:.0f} {unit}" if unit == "bytes" else f"{count:.3g} {unit}"
        count /= 1024
    return f"{count:.3g} EiB"  # pragma: no cover


def check_memory(owner: str, what: str, shape: tuple[int, ...], dtype: Any, lower: str) -> None:
    """Refuse (``MemoryError``) an array of ``shape`` and ``dtype`` larger than the machine's
    memory, before anything is allocated: the message names ``owner`` (the layer), ``what``
    the array is, its size, and ``lower``, the arguments that make it smaller (NumPy's own
    "Unable to allocate 304. GiB for an array with shape (10201, 8000000)" names none)."""
    total = machine_memory()
    needed = math.prod(int(n) for n in shape) * np.dtype(dtype).itemsize
    if total is not None and needed > total:
        raise MemoryError(
            f"{owner}: {what} would need {_bytes_text(needed)} (shape {tuple(shape)}, "
            f"{np.dtype(dtype)}), more than this machine's {_bytes_text(total)} of memory; "
            f"lower {lower}"
        )
