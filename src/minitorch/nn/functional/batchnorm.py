"""Batch normalisation as a stateless forward/backward pair.

Each channel c is normalised over every axis but the channel axis 1: the batch, and the
length or the pixels. For (N, C) that is the N rows; for (N, C, L) the N·L positions; for
(N, C, H, W) the N·H·W pixels. ``m`` below is that count.
"""

from __future__ import annotations

import numpy as np

BatchNormCache = tuple[np.ndarray, np.ndarray, "np.ndarray | None", tuple[int, ...], bool]


def batch_norm_forward(
    x: np.ndarray,
    gamma: np.ndarray | None = None,
    beta: np.ndarray | None = None,
    running_mean: np.ndarray | None = None,
    running_var: np.ndarray | None = None,
    training: bool = True,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> tuple[np.ndarray, BatchNormCache]:
    """y = γ ⊙ x̂ + β with x̂ = (x − μ) / √(σ² + ε), per channel.

    Shapes: x (N, C, ...); gamma, beta, running_mean, running_var: C elements each, in any
    shape ((C,), (1, C), (1, C, 1, 1)); y like x.

    * ``training=True``: μ and σ² are the batch's mean and (biased) variance per channel, over
      m values each. The running statistics, when given, are updated **in place**, as
      PyTorch's ``F.batch_norm`` does, with the *unbiased* variance::

          running_mean ← (1 − momentum)·running_mean + momentum·μ
          running_var  ← (1 − momentum)·running_var  + momentum·σ²·m/(m − 1)

    * ``training=False``: μ = running_mean and σ² = running_var, constants.

    ``gamma``/``beta`` ``None``: no affine part (γ = 1, β = 0).
    Returns ``(y, cache)`` with ``cache = (x̂, 1/√(σ² + ε), γ, axes, training)``.
    """
    c = x.shape[1]
    axes = (0, *range(2, x.ndim))  # every axis but the channels
    shape = (1, c) + (1,) * (x.ndim - 2)  # a channel vector that broadcasts over x
    if training:
        m = x.size // c
        if m <= 1:
            raise ValueError(
                f"batch_norm: expected more than 1 value per channel when training, got input "
                f"of shape {x.shape}; use a larger batch, or eval mode"
            )
        mean = x.mean(axis=axes, keepdims=True)
        centred = x - mean
        var = np.mean(centred * centred, axis=axes, keepdims=True)  # biased: divides by m
        if running_mean is not None:
            running_mean *= 1 - momentum
            running_mean += momentum * mean.reshape(running_mean.shape)
        if running_var is not None:
            running_var *= 1 - momentum
            running_var += (momentum * m / (m - 1)) * var.reshape(running_var.shape)
    else:
        if running_mean is None or running_var is None:
            raise ValueError(
                "batch_norm: evaluation (training=False) uses the running statistics; pass "
                "running_mean and running_var, or training=True for the batch statistics"
            )
        mean = running_mean.reshape(shape).astype(x.dtype, copy=False)
        var = running_var.reshape(shape).astype(x.dtype, copy=False)
        centred = x - mean
    inv_std = 1.0 / np.sqrt(var + eps)
    x_hat = centred * inv_std
    gamma = None if gamma is None else gamma.reshape(shape)
    y = x_hat if gamma is None else x_hat * gamma
    if beta is not None:
        y = y + beta.reshape(shape)
    return y, (x_hat, inv_std, gamma, axes, training)


def batch_norm_backward(
    grad_output: np.ndarray, cache: BatchNormCache, input_grad: bool = True
) -> tuple[np.ndarray | None, np.ndarray, np.ndarray]:
    """Gradients of y = γ ⊙ x̂ + β given G = dL/dy, shaped like x.

    dβ = Σ G                     per channel, shape (1, C, 1, ...)
    dγ = Σ G ⊙ x̂                 per channel, shape (1, C, 1, ...)

    Batch statistics (training): μ and σ depend on every x of the channel, which gives the
    compact formula (Σ over the m values of the channel)::

        dx = γ / (m·√(σ² + ε)) ⊙ (m·G − dβ − x̂ ⊙ dγ)

    Running statistics (evaluation): they are constants, so the layer is affine::

        dx = γ / √(σ² + ε) ⊙ G

    dγ and dβ are returned for the caller to reshape like its parameters; ``dx`` is ``None``
    unless ``input_grad``.
    """
    x_hat, inv_std, gamma, axes, batch_statistics = cache
    dbeta = grad_output.sum(axis=axes, keepdims=True)
    dgamma = np.sum(grad_output * x_hat, axis=axes, keepdims=True)
    if not input_grad:
        return None, dgamma, dbeta
    scale = inv_std if gamma is None else gamma * inv_std
    if batch_statistics:
        m = grad_output.size // grad_output.shape[1]
        dx = (scale / m) * (m * grad_output - dbeta - x_hat * dgamma)
    else:
        dx = scale * grad_output
    return dx, dgamma, dbeta
