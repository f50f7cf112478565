"""BLAS's level-1 routines on NumPy arrays, in place: ``y += a·x`` (axpy) and ``x *= a`` (scal).

The two updates PyTorch's optimizers are made of, ``y.add_(x, alpha=a)`` and ``x.mul_(a)``, run
here on BLAS (saxpy/daxpy, sscal/dscal, from SciPy, which minitorch depends on): one pass over
memory each, and ``y + a·x`` with a single rounding (a fused multiply-add), which is exactly what
PyTorch computes; NumPy's ``y += a * x`` rounds ``a·x`` first and differs in the last bit for
about 1 value in 400. Measured on 1M float32 parameters (2-core AMD EPYC), SGD with momentum:
145 us against 390 us for the same passes in NumPy; on 64 values a BLAS call costs 0.3 us, a
NumPy one 0.7 us. :mod:`minitorch.optim._inplace` is the only user.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

_BLAS: dict[np.dtype, tuple[Callable[..., np.ndarray], Callable[..., np.ndarray]]] = {}

#: Values per BLAS call: BLAS counts in 32-bit integers.
_BLAS_MAX = 1 << 30


def _blas_for(dtype: np.dtype) -> tuple[Any, Any]:
    """(axpy, scal) of BLAS for float32 or float64 (``(None, None)`` otherwise), imported at the
    first step (40 ms)."""
    if not _BLAS:
        from scipy.linalg import blas

        _keep_scipy_blas_on_one_thread()
        _BLAS[np.dtype(np.float32)] = (blas.saxpy, blas.sscal)
        _BLAS[np.dtype(np.float64)] = (blas.daxpy, blas.dscal)
    return _BLAS.get(dtype, (None, None))


def _keep_scipy_blas_on_one_thread() -> None:
    """Run the BLAS that SciPy's wheels bundle (beside NumPy's own) on one thread.

    Each BLAS keeps worker threads that spin for a while after a call. With two of them on a
    2-core machine, SciPy's axpy threads and NumPy's matrix-product threads fight for the cores:
    an MLP's optimizer step measured 6x slower (3.3 ms against 0.5 ms), although on its own a
    two-thread axpy made the step on 1M parameters 2.7x faster. So SciPy's own copy of BLAS
    gets one thread, and NumPy's keeps all of its own. A BLAS that NumPy and SciPy share (conda,
    system builds) is left alone. Needs ``threadpoolctl``; without it only the speed changes.
    """
    try:
        import scipy
        from threadpoolctl import ThreadpoolController
    except ImportError:
        return
    scipy_dirs = {
        Path(scipy.__file__).resolve().parent,
        Path(scipy.__file__).resolve().parent.with_name("scipy.libs"),
    }
    try:
        controller = ThreadpoolController().select(user_api="blas")
    except Exception:  # an unusual build threadpoolctl cannot inspect: only speed is at stake
        return
    for library in controller.lib_controllers:
        folder = Path(library.filepath).resolve().parent
        if any(folder == d or d in folder.parents for d in scipy_dirs) and library.num_threads > 1:
            library.set_num_threads(1)


def _blas_in_place(
    routine: Callable[..., np.ndarray], target: np.ndarray, *args: Any, **kwargs: Any
) -> None:
    """Run ``routine(*args, target, **kwargs)`` (axpy's x, scal's alpha come first) so it writes
    ``target`` in place: on 1-D views of contiguous arrays, in pieces of ``_BLAS_MAX`` values, or
    for a strided view on a contiguous copy written back (the same numbers either way)."""
    work = target if target.flags.c_contiguous else np.ascontiguousarray(target)
    flat = work.reshape(-1)
    arrays = [np.ascontiguousarray(a).reshape(-1) if isinstance(a, np.ndarray) else a for a in args]
    for start in range(0, flat.size, _BLAS_MAX):
        piece = flat[start : start + _BLAS_MAX]
        pieces = [a[start : start + _BLAS_MAX] if isinstance(a, np.ndarray) else a for a in arrays]
        if routine(*pieces, piece, **kwargs) is not piece:  # f2py copies an array it cannot
            raise RuntimeError(f"{routine.__name__} did not write in place")  # use as it is
    if work is not target:
        target[...] = work


def axpy(y: np.ndarray, x: np.ndarray, alpha: float) -> np.ndarray:
    """``y += alpha * x`` in place, rounded once (BLAS's axpy for float32 and float64).

    ``x`` and ``y`` have the same shape and dtype; otherwise (and for float16, which BLAS lacks)
    this computes NumPy's ``y += alpha * x``.
    """
    routine = _blas_for(y.dtype)[0]
    if routine is None or x.dtype != y.dtype or x.shape != y.shape:
        y += alpha * x
        return y
    if y.flags.c_contiguous and x.flags.c_contiguous and y.size < _BLAS_MAX:  # the usual case
        flat = y.reshape(-1)
        if routine(x.reshape(-1), flat, a=alpha) is not flat:
            raise RuntimeError("axpy did not write in place")
        return y
    _blas_in_place(routine, y, x, a=alpha)
    return y


def scal(x: np.ndarray, alpha: float) -> np.ndarray:
    """``x *= alpha`` in place (BLAS's scal for float32 and float64: the same numbers)."""
    routine = _blas_for(x.dtype)[1]
    if routine is None:
        x *= alpha
        return x
    if x.flags.c_contiguous and x.size < _BLAS_MAX:  # the usual case
        flat = x.reshape(-1)
        if routine(alpha, flat) is not flat:
            raise RuntimeError("scal did not write in place")
        return x
    _blas_in_place(routine, x, alpha)
    return x
