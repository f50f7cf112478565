"""Batch normalisation as a stateless forward/backward pair.

Each channel c is normalised over every axis but the channel axis 1: the batch, and the
length or the pixels. For (N, C) that is the N rows; for (N, C, L) the N·L positions; for
(N, C, H, W) the N·H·W pixels. ``m`` below is that count. Inside, x is viewed as (N, C, L),
every axis after the channels as one, so that one set of formulas serves every rank: a
channel's statistics are sums over the axes n and l (``channel_sum(x)`` and
``channel_dot(a, b)`` = Σ a ⊙ b, from ``_fast.py``).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from ._fast import channel_dot, channel_sum


class BatchNormCache(NamedTuple):
    """What the backward of batch norm needs from its forward."""

    x_hat: np.ndarray  # (N, C, L): the normalised input, every axis after the channels as one
    inv_std: np.ndarray  # (C,): 1/√(σ² + ε)
    gamma: np.ndarray | None  # (C,), or None without the affine part
    batch_statistics: bool  # μ and σ² were the batch's (training), not the running ones


def _per_channel(values: np.ndarray, length: int) -> np.ndarray:
    """A per-channel vector (C,) as rows (C, L): each channel's value repeated L times.

    Against x (N, C, L) this broadcasts exactly as ``values[:, None]`` does, and gives the same
    numbers, but NumPy's element-wise loops run about twice as fast over two contiguous operands
    as over a repeated (stride-0) one. The rows are small: C·L values, one sample's worth.
    """
    return np.repeat(values, length).reshape(-1, length)


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
    Returns ``(y, BatchNormCache(x̂ as (N, C, L), 1/√(σ² + ε) (C,), γ (C,), training))``.
    """
    n, c = x.shape[:2]
    m = x.size // c
    x3 = x.reshape(n, c, math.prod(x.shape[2:]))  # (N, C, L); L named, so N = 0 works
    if training:
        if m <= 1:
            raise ValueError(
                f"batch_norm: expected more than 1 value per channel when training, got input "
                f"of shape {x.shape}; use a larger batch, or eval mode"
            )
        mean = channel_sum(x3) / m
        centred = x3 - _per_channel(mean, x3.shape[2])
        var = channel_dot(centred, centred) / m  # Σ (x − μ)² / m: biased, as in the paper
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
        mean = running_mean.reshape(c).astype(x.dtype, copy=False)
        var = running_var.reshape(c).astype(x.dtype, copy=False)
        centred = x3 - _per_channel(mean, x3.shape[2])
    inv_std = 1.0 / np.sqrt(var + eps)  # (C,)
    x_hat = centred
    length = x3.shape[2]
    x_hat *= _per_channel(inv_std, length)  # in place: the centred values are not needed again
    gamma = None if gamma is None else gamma.reshape(c)
    y = x_hat.copy() if gamma is None else x_hat * _per_channel(gamma, length)  # not the cache
    if beta is not None:
        y += _per_channel(beta.reshape(c), length)
    return y.reshape(x.shape), BatchNormCache(x_hat, inv_std, gamma, training)


def batch_norm_backward(
    grad_output: np.ndarray, cache: BatchNormCache, input_grad: bool = True
) -> tuple[np.ndarray | None, np.ndarray, np.ndarray]:
    """Gradients of y = γ ⊙ x̂ + β given G = dL/dy, shaped like x.

    dβ = Σ G                     per channel, shape (C,)
    dγ = Σ G ⊙ x̂                 per channel, shape (C,)

    Batch statistics (training): μ and σ depend on every x of the channel, which gives the
    compact formula (Σ over the m values of the channel, so dβ/m = mean(G) and dγ/m =
    mean(G ⊙ x̂), LayerNorm's backward over the batch instead of the features)::

        dx = γ / √(σ² + ε) ⊙ (G − mean(G) − x̂ ⊙ mean(G ⊙ x̂))

    Running statistics (evaluation): they are constants, so the layer is affine::

        dx = γ / √(σ² + ε) ⊙ G

    dγ and dβ are returned for the caller to reshape like its parameters; ``dx`` is ``None``
    unless ``input_grad``.
    """
    x_hat, inv_std, gamma = cache.x_hat, cache.inv_std, cache.gamma
    m = x_hat.size // x_hat.shape[1]
    G = grad_output.reshape(x_hat.shape)  # (N, C, L)
    dbeta = channel_sum(G)
    dgamma = channel_dot(G, x_hat)
    if not input_grad:
        return None, dgamma, dbeta
    scale = inv_std if gamma is None else gamma * inv_std  # γ / √(σ² + ε), per channel
    L = x_hat.shape[2]  # a per-channel value (C,) is used as (C, L) rows: see _per_channel
    if not cache.batch_statistics:  # running statistics: the affine layer's dx = γ/σ ⊙ G
        return (G * _per_channel(scale, L)).reshape(grad_output.shape), dgamma, dbeta
    mean_G, mean_G_xhat = _per_channel(dbeta / m, L), _per_channel(dgamma / m, L)
    dx = (G - mean_G - x_hat * mean_G_xhat) * _per_channel(scale, L)
    return dx.reshape(grad_output.shape), dgamma, dbeta
