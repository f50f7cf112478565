"""The affine map y = x W + b as a stateless forward/backward pair."""

from __future__ import annotations

import numpy as np

LinearCache = tuple[np.ndarray, np.ndarray, "np.ndarray | None"]


def linear_forward(
    x: np.ndarray, W: np.ndarray, b: np.ndarray | None = None
) -> tuple[np.ndarray, LinearCache]:
    """y = x @ W + b.

    Shapes: x (..., D_in), W (D_in, D_out), b (1, D_out) or (D_out,) -> y (..., D_out).
    Returns ``(y, cache)`` with ``cache = (x, W, b)``.
    """
    # Leading dimensions (N, T, ...) are one big batch: one matrix product, not one per sample.
    y = (x.reshape(-1, W.shape[0]) @ W).reshape(*x.shape[:-1], W.shape[1])
    if b is not None:
        y += b
    return y, (x, W, b)


def linear_backward(
    grad_output: np.ndarray, cache: LinearCache, input_grad: bool = True
) -> tuple[np.ndarray | None, np.ndarray, np.ndarray | None]:
    """Gradients of y = x @ W + b given G = dL/dy, of shape (..., D_out).

    dx = G @ Wᵀ            (..., D_in)     (``None`` when ``input_grad`` is False)
    dW = xᵀ @ G            (D_in, D_out)   leading dimensions of x are flattened into the batch
    db = Σ_batch G         shaped like b   (``None`` when there is no bias)
    """
    x, W, b = cache
    d_in, d_out = W.shape
    x_rows = x.reshape(-1, d_in)
    grad_rows = grad_output.reshape(-1, d_out)
    dW = x_rows.T @ grad_rows
    db = None if b is None else grad_rows.sum(axis=0).reshape(b.shape)
    dx = (grad_rows @ W.T).reshape(*grad_output.shape[:-1], d_in) if input_grad else None
    return dx, dW, db
