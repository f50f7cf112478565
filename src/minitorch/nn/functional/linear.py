"""The affine map y = x W + b as a stateless forward/backward pair."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np


class LinearCache(NamedTuple):
    """What the backward of y = x W + b needs from its forward."""

    x: np.ndarray  # (..., D_in): the input
    W: np.ndarray  # (D_in, D_out)
    b: np.ndarray | None  # (1, D_out), or None without a bias


def linear_forward(
    x: np.ndarray, W: np.ndarray, b: np.ndarray | None = None
) -> tuple[np.ndarray, LinearCache]:
    """y = x @ W + b.

    Shapes: x (..., D_in), W (D_in, D_out), b (1, D_out) or (D_out,) -> y (..., D_out).
    Returns ``(y, LinearCache(x, W, b))``.
    """
    # Leading dimensions (N, T, ...) are one big batch: one matrix product, not one per sample.
    y = (x.reshape(-1, W.shape[0]) @ W).reshape(*x.shape[:-1], W.shape[1])
    if b is not None:
        y += b
    return y, LinearCache(x, W, b)


def linear_backward(
    grad_output: np.ndarray, cache: LinearCache, input_grad: bool = True
) -> tuple[np.ndarray | None, np.ndarray, np.ndarray | None]:
    """Gradients of y = x @ W + b given G = dL/dy, of shape (..., D_out): ``(dx, dW, db)``.

    dx = G @ Wᵀ            (..., D_in)     (``None`` when ``input_grad`` is False)
    dW = xᵀ @ G            (D_in, D_out)   leading dimensions of x are flattened into the batch
    db = Σ_batch G         shaped like b   (``None`` when there is no bias)
    """
    x, W, b = cache.x, cache.W, cache.b
    d_in, d_out = W.shape
    x_rows = x.reshape(-1, d_in)
    G = grad_output.reshape(-1, d_out)
    dW = x_rows.T @ G
    db = None if b is None else G.sum(axis=0).reshape(b.shape)
    dx = (G @ W.T).reshape(*grad_output.shape[:-1], d_in) if input_grad else None
    return dx, dW, db
