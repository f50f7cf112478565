"""The speed tricks of the formula lines, each once, named for the math it computes.

``x.sum(axis=-1, keepdims=True)`` and ``x.mean(axis=-1, keepdims=True)`` reduce every row of an
(M, D) array with NumPy's pairwise summation, which for the short rows of a transformer (D =
64 to 1024) costs about three times as much as the multiply-add loop ``np.einsum`` runs
(measured on (768, 128) float32: 40 us against 14 us). The formula lines (LayerNorm's,
softmax's in attention) call these helpers by the names of the math they compute; the values
are the same sums, added in another order (equal to the last bit or two of rounding).
"""

from __future__ import annotations

import numpy as np


def row_sum(x: np.ndarray) -> np.ndarray:
    """Σⱼ xⱼ over the last axis, keeping it: ``x.sum(axis=-1, keepdims=True)``."""
    return np.einsum("...j->...", x)[..., None]


def row_dot(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Σⱼ aⱼ bⱼ over the last axis, keeping it: ``(a * b).sum(axis=-1, keepdims=True)``, in one
    pass without forming the product."""
    return np.einsum("...j,...j->...", a, b)[..., None]


def row_mean(x: np.ndarray) -> np.ndarray:
    """(1/D) Σⱼ xⱼ over the last axis (D values), keeping it: ``x.mean(axis=-1, keepdims=True)``."""
    return np.einsum("...j->...", x)[..., None] / x.shape[-1]


def matmul_t(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a @ bᵀ, as a C-contiguous array, for a short wide ``a`` (F, P) and ``b`` (K, P).

    Computed as (b @ aᵀ)ᵀ and copied to C order: the same products and sums, but BLAS runs a
    long (K, P) matrix times a thin (P, F) one about twice as fast as the other orientation
    (Conv2d's dW = G_col @ colsᵀ: 864 -> 525 us for (16, 12544) and (72, 12544) float32). The
    copy is of the small (F, K) result, so the gradient an optimizer reads is contiguous.
    """
    return np.ascontiguousarray((b @ a.T).T)


def maximum(x: np.ndarray, value: float) -> np.ndarray:
    """``np.maximum(x, value)``, bit for bit (NaN, −0.0, ±inf alike), up to 2x faster.

    NumPy runs ``maximum`` against a scalar in a loop about twice as slow as against an array,
    so a large floating, C-contiguous x is compared with a row of ``value`` broadcast over its
    rows (below 2048 values the plain call is as fast).
    """
    large = isinstance(x, np.ndarray) and x.size >= 2048
    if not large or x.dtype.kind != "f" or not x.flags.c_contiguous:
        return np.maximum(x, value)
    rows = x.reshape(x.shape[0] if x.ndim > 1 else 1, -1)
    return np.maximum(rows, np.full(rows.shape[1], value, x.dtype)).reshape(x.shape)


def times_mask(grad: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """``grad * mask`` for a boolean ``mask``, the same numbers, 1.2-1.4x faster.

    Multiplying by a bool array makes NumPy convert it chunk by chunk; here the 0/1 mask is
    made once in the gradient's dtype and the product written into it (a fresh array, so
    nobody else holds it).
    """
    grad = np.asarray(grad)
    if grad.shape != mask.shape or grad.dtype.kind != "f":
        return grad * mask
    product = mask.astype(grad.dtype)
    return np.multiply(grad, product, out=product)


def channel_sum(x: np.ndarray) -> np.ndarray:
    """Σ over n and l of x (N, C, L) for each channel c: ``x.sum(axis=(0, 2))``, shape (C,).

    ``np.einsum`` sums without the temporary (N, L) copies NumPy's two-axis sum makes.
    """
    return np.einsum("ncl->c", x)


def channel_dot(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Σ over n and l of a ⊙ b (both (N, C, L)) for each channel: ``(a * b).sum(axis=(0, 2))``.

    One pass over a and b, without forming the product (an image batch's worth of memory).
    """
    return np.einsum("ncl,ncl->c", a, b)


def batch_last(x: np.ndarray) -> np.ndarray:
    """x (N, ...) with the batch moved last, (..., N), as a C-contiguous copy:
    ``np.ascontiguousarray(np.moveaxis(x, 0, -1))``, the same numbers.

    The copy reads the N images side by side, one number of each in turn. When an image's size
    is a multiple of 4 KiB, all N reads fall into the same set of the CPU's cache, which holds
    only a few of them, and every read misses; copying 16 images at a time avoids this (Conv2d's
    gradient (64, 64, 24, 24) float32, 144 KiB an image: 10.9 -> 2.2 ms).
    """
    if len(x) <= 16 or x[0].nbytes % 4096:
        return np.ascontiguousarray(np.moveaxis(x, 0, -1))
    out = np.empty((*x.shape[1:], len(x)), x.dtype)
    for start in range(0, len(x), 16):
        out[..., start : start + 16] = np.moveaxis(x[start : start + 16], 0, -1)
    return out


def batch_first(x: np.ndarray, plus: np.ndarray | None = None) -> np.ndarray:
    """x (F, ..., N) with the batch moved first, (N, F, ...), as a new C-contiguous array, plus
    ``plus`` (broadcasting against the result, e.g. a bias (1, F, 1, 1)) on the way:
    ``np.moveaxis(x, -1, 0) + plus``, the same numbers.

    The copy writes the N images side by side; done 8 rows of x (channels) at a time, the
    rows being written stay in the cache (Conv2d's output, (64, 24, 24, 64) float32 into
    (64, 64, 24, 24) with its bias: 4.3 -> 2.6 ms, min of 21).
    """
    out = np.empty((x.shape[-1], *x.shape[:-1]), x.dtype)
    plus = None if plus is None else np.broadcast_to(plus, out.shape)
    for start in range(0, len(x), 8):
        rows = slice(start, start + 8)
        source = np.moveaxis(x[rows], -1, 0)
        if plus is None:
            out[:, rows] = source
        else:
            np.add(source, plus[:, rows], out=out[:, rows])
    return out


def reusable(
    buffer: np.ndarray | None, shape: tuple[int, ...], dtype: np.dtype
) -> np.ndarray | None:
    """``buffer`` if an array of ``shape`` and ``dtype`` can be written into it (C-contiguous),
    else ``None`` (the caller then allocates a new one).

    Reusing a large array the last step left (a patch matrix, its gradient) spares allocating
    it afresh (see ``functional.conv.workspace``).
    """
    if buffer is None or buffer.shape != shape or buffer.dtype != dtype:
        return None
    return buffer if buffer.flags.c_contiguous else None


def matmul_into(a: np.ndarray, b: np.ndarray, buffer: np.ndarray | None) -> np.ndarray:
    """a @ b, written into ``buffer`` when it fits (:func:`reusable`), else into a new array:
    the same numbers either way. Conv2d's backward passes the scratch array it keeps for dcols.
    """
    out = reusable(buffer, (a.shape[0], b.shape[1]), np.result_type(a, b))
    return np.matmul(a, b, out=out)

