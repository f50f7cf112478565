"""The one speed trick of the formula lines: sums over the last axis (``row_sum``, ``row_mean``).

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
