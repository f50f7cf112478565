"""PyTorch's in-place tensor ops on NumPy arrays: the words the update rules are written in.

Each function is the ``torch.Tensor`` method of the same name, taking the tensor as its first
argument: ``mul_(x, a)`` is ``x.mul_(a)``, ``addcmul_(v, g, g, value=0.001)`` is
``v.addcmul_(g, g, value=0.001)``. The in-place ones (trailing ``_``) write into ``x`` and return
it, so they chain as PyTorch's do: ``addcmul_(mul_(v, beta2), g, g, value=1 - beta2)`` is
``v.mul_(beta2).addcmul_(g, g, value=1 - beta2)``. ``x`` and the arrays it is combined with
have the same shape and dtype.

How each is rounded decides whether the numbers are PyTorch's to the last bit in float32:

* ``mul_``, ``div_``, ``neg``: one correctly rounded operation, as in PyTorch; ``sqrt_`` and
  NumPy's ``np.sqrt`` too, where PyTorch 2.13's vectorised ``sqrt`` is not correctly rounded on
  this kind of CPU (about 1 float32 value in 6 is 1 ulp off).
* ``add_``/``add`` with an array: ``x + alpha·y`` rounded once (a fused multiply-add), on BLAS's
  axpy (:mod:`._blas`): exactly PyTorch's ``add_(y, alpha=a)``. So SGD is PyTorch's bit for
  bit.
* ``lerp_``: ``torch.lerp``'s formula and its fused rounding, bit for bit.
* ``addcdiv_``: ``(value·t1) / t2``, then added to ``x``, each operation rounded: PyTorch's
  order and rounding, bit for bit (float32 and float64).
* ``addcmul_``: ``(value·t1)·t2``, then added to ``x``. PyTorch fuses the last multiply with the
  add (rounded once); NumPy has no fused multiply-add, so the product is rounded first and about
  1 value in 4 differs from PyTorch's in the last bit (float32 or float64: ~1e-16 relative in
  float64). Given up for plain NumPy: Adam's, RMSprop's and Adagrad's second moments use it.

The in-place functions allocate nothing: the one intermediate array some of them need
(``end − x`` in ``lerp_``, ``value·t1·t2`` in ``addcmul_``) is scratch memory of this module,
reused from call to call (per thread), and never returned. The functions that make a new array
(``add``, ``neg``, ``addcmul``: PyTorch's ``grad.add(param, alpha=λ)``, ``-grad``, ...) write it
into ``out=`` when given one, so an update rule can keep even those in reused memory.
"""

from __future__ import annotations

import threading

import numpy as np

from ._blas import _BLAS, _BLAS_MAX, axpy, scal

_local = threading.local()


def _scratch_arrays(like: np.ndarray) -> tuple[np.ndarray, ...]:
    """Four scratch arrays shaped and typed like ``like``, with garbage contents.

    Views of the rows of one ``(4, n)`` buffer per dtype (and thread), grown to the largest
    piece asked for, so that an update step allocates nothing after its first and its scratch
    memory is one block (measured: 3-6% faster steps than separate buffers). Rows 0 to 2 are
    an update rule's ``scratch`` (:func:`scratch_for`), row 3 the intermediate result of one
    helper call here (never returned).
    """
    views = getattr(_local, "views", None)
    if views is None:
        views = _local.views = {}
        _local.buffers = {}
    key = (like.shape, like.dtype.char)  # the type's letter: a cheaper key than the dtype
    found = views.get(key)
    if found is None:
        kind = like.dtype.char
        buffer = _local.buffers.get(kind)
        if buffer is None or buffer.shape[1] < like.size:
            buffer = _local.buffers[kind] = np.empty((4, like.size), np.dtype(kind))
            views.clear()  # views of the old buffer
        found = views[key] = tuple(row[: like.size].reshape(like.shape) for row in buffer)
    return found


def scratch_for(like: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Three scratch arrays shaped like ``like`` for an update rule's ``scratch`` argument
    (where it writes PyTorch's new tensors, ``-grad`` or ``exp_avg_sq.sqrt()``), reused from
    step to step. Valid until the next rule call of this thread."""
    first, second, third, _ = _scratch_arrays(like)
    return first, second, third


def _scratch(like: np.ndarray) -> np.ndarray:
    return _scratch_arrays(like)[3]


def mul_(x: np.ndarray, value: np.ndarray | float) -> np.ndarray:
    """``x ← x · value`` (``x.mul_(value)``): a number on BLAS's scal (the same numbers as
    ``x *= value``, and faster here), or an array like ``x``, element by element."""
    if type(value) is np.ndarray:
        return np.multiply(x, value, out=x)
    routines = _BLAS.get(x.dtype)
    if routines is not None and x.flags.c_contiguous and x.size < _BLAS_MAX:  # the usual case
        flat = x.reshape(-1)
        if routines[1](value, flat) is not flat:
            raise RuntimeError("scal did not write in place")
        return x
    return scal(x, value)  # the first call (it loads BLAS), float16, strided or huge arrays


def div_(x: np.ndarray, value: np.ndarray | float) -> np.ndarray:
    """``x ← x / value`` (``x.div_(value)``), by a number or an array like ``x``."""
    x /= value
    return x


def add_(x: np.ndarray, other: np.ndarray | float, alpha: float = 1) -> np.ndarray:
    """``x ← x + alpha · other`` (``x.add_(other, alpha=alpha)``), rounded once.

    ``other`` is an array like ``x`` (BLAS's axpy: PyTorch's numbers to the last bit) or a
    number (``x.add_(eps)``).
    """
    routines = _BLAS.get(x.dtype)
    if (  # the usual case, on BLAS's axpy
        routines is not None
        and type(other) is np.ndarray
        and other.shape == x.shape
        and other.dtype == x.dtype
        and x.flags.c_contiguous
        and other.flags.c_contiguous
        and x.size < _BLAS_MAX
    ):
        flat = x.reshape(-1)
        if routines[0](other.reshape(-1), flat, a=alpha) is not flat:
            raise RuntimeError("axpy did not write in place")
        return x
    if isinstance(other, np.ndarray):
        return axpy(x, other, alpha)  # the first call (it loads BLAS), float16, strided arrays
    x += alpha * other
    return x


def add(
    x: np.ndarray, other: np.ndarray | float, alpha: float = 1, out: np.ndarray | None = None
) -> np.ndarray:
    """``x + alpha · other`` as a new array, or in ``out`` (``torch.add(x, other, alpha=)``),
    rounded once as :func:`add_`; ``other`` is an array like ``x`` or a number
    (``x.add(eps)``). ``x`` itself is left as it is unless it is ``out``."""
    if not isinstance(other, np.ndarray):
        return np.add(x, alpha * other, out=out)
    if out is None:
        out = x.copy()
    elif out is not x:
        np.copyto(out, x)
    return add_(out, other, alpha)


def sqrt_(x: np.ndarray) -> np.ndarray:
    """``x ← √x`` (``x.sqrt_()``), correctly rounded (PyTorch's vectorised sqrt may be 1 ulp off
    in float32)."""
    return np.sqrt(x, out=x)


def neg(x: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """``−x`` as a new array, or in ``out`` (``torch.neg``)."""
    return np.negative(x, out=out)


def lerp_(x: np.ndarray, end: np.ndarray, weight: float) -> np.ndarray:
    """``x ← x + weight · (end − x)`` (``x.lerp_(end, weight)``), computed as ``torch.lerp``.

    PyTorch rounds the product and the sum once (a fused multiply-add, as :func:`add_`) and
    switches to ``end − (1 − weight) · (end − x)`` when ``weight >= 0.5``, so that
    ``weight = 1`` gives exactly ``end``; ``1 − weight`` is computed in the arrays' dtype. The
    same bits as PyTorch in float32 and float64.
    """
    difference = np.subtract(end, x, out=_scratch(x))
    if abs(weight) < 0.5:
        return axpy(x, difference, weight)
    dtype = x.dtype.type
    np.copyto(x, end)
    return axpy(x, difference, -float(dtype(1) - dtype(weight)))


def addcmul_(x: np.ndarray, t1: np.ndarray, t2: np.ndarray, value: float = 1) -> np.ndarray:
    """``x ← x + value · t1 · t2`` (``x.addcmul_(t1, t2, value=value)``).

    Computed as ``(value · t1) · t2``, then added, each operation rounded (``value = 1`` skips
    its exact product); PyTorch rounds the last multiply-add once (see the module's notes).
    """
    return _addcmul(x, t1, t2, value, product=_scratch(x), out=x)


def addcmul(
    x: np.ndarray,
    t1: np.ndarray,
    t2: np.ndarray,
    value: float = 1,
    out: np.ndarray | None = None,
) -> np.ndarray:
    """``x + value · t1 · t2`` as a new array, or in ``out`` (``torch.addcmul``), rounded as
    :func:`addcmul_`. ``out`` must not be ``x``, ``t1`` or ``t2``."""
    out = np.empty_like(x) if out is None else out
    return _addcmul(x, t1, t2, value, product=out, out=out)


def _addcmul(
    x: np.ndarray,
    t1: np.ndarray,
    t2: np.ndarray,
    value: float,
    product: np.ndarray,
    out: np.ndarray,
) -> np.ndarray:
    """``x + (value · t1) · t2`` into ``out``, the product formed in ``product``. ``value = 1``
    skips its exact product, ``value = −1`` subtracts ``t1 · t2`` instead (the same numbers)."""
    if value == -1:
        return np.subtract(x, np.multiply(t1, t2, out=product), out=out)
    if value == 1:
        np.multiply(t1, t2, out=product)
    else:
        np.multiply(np.multiply(t1, value, out=product), t2, out=product)
    return np.add(x, product, out=out)


def addcdiv_(x: np.ndarray, t1: np.ndarray, t2: np.ndarray, value: float = 1) -> np.ndarray:
    """``x ← x + value · t1 / t2`` (``x.addcdiv_(t1, t2, value=value)``).

    Computed as ``(value · t1) / t2``, then added, each operation rounded (``value = 1`` skips
    its exact product): PyTorch's numbers to the last bit.
    """
    quotient = _scratch(x)
    np.divide(t1 if value == 1 else np.multiply(t1, value, out=quotient), t2, out=quotient)
    x += quotient
    return x
