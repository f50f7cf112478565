"""Group normalization as a stateless forward/backward pair: layer norm over groups of channels.

GroupNorm (Wu and He, 2018) cuts the C channels of each sample into G groups of C/G and
normalises each group over its channels and pixels. Viewing x (N, C, ...) as N·G rows of
D = C/G · H·W numbers, that is layer norm of each row, so the normalisation is
:func:`~minitorch.nn.functional.layer_norm_forward`'s, written once; only the affine part
differs: γ and β are per channel, not per feature of the row.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from ._fast import channel_dot, channel_sum
from .normalization import LayerNormCache, layer_norm_backward, layer_norm_forward


class GroupNormCache(NamedTuple):
    """What the backward of group norm needs from its forward."""

    norm: LayerNormCache  # the rows' normalisation: x̂ (N·G, D) and 1/σ (N·G, 1)
    gamma: np.ndarray | None  # (C,), or None without the affine part
    has_beta: bool


def group_norm_forward(
    x: np.ndarray,
    num_groups: int,
    gamma: np.ndarray | None = None,
    beta: np.ndarray | None = None,
    eps: float = 1e-5,
) -> tuple[np.ndarray, GroupNormCache]:
    """y = γ ⊙ x̂ + β, x̂ normalised over each group of C/G channels and all their pixels.

    x (N, C, ...) is viewed as rows (N·G, D), D = (C/G)·H·W, and each row normalised::

        μ  = mean of the row,   σ² = mean((x − μ)²)      (N·G, 1)   biased, as PyTorch
        x̂  = (x − μ) / √(σ² + ε)                          (N, C, ...)
        y  = γ[c] · x̂ + β[c]                              per channel c

    Shapes: gamma and beta C elements each (GroupNorm's (1, C, 1, 1)), or ``None``.
    Returns ``(y, GroupNormCache(the rows' LayerNormCache, γ (C,), has β))``.
    """
    n, c, *pixels = x.shape
    length = math.prod(pixels)  # L = H·W pixels
    rows = x.reshape(n * num_groups, c // num_groups * length)  # (N·G, D)
    y, norm = layer_norm_forward(rows, rows.shape[1:], eps=eps)  # y = x̂ of each row (a copy)
    y = y.reshape(n, c, length)  # (N, C, L): a channel's pixels in a row
    gamma = None if gamma is None else gamma.reshape(c)
    if gamma is not None:
        y *= gamma[:, None]  # in place: y is a fresh array, the cache holds x̂ itself
    if beta is not None:
        y += beta.reshape(c)[:, None]
    return y.reshape(x.shape), GroupNormCache(norm, gamma, beta is not None)


def group_norm_backward(
    grad_output: np.ndarray, cache: GroupNormCache, input_grad: bool = True
) -> tuple[np.ndarray | None, np.ndarray | None, np.ndarray | None]:
    """Gradients of group norm given G = dL/dy, shaped like x: returns ``(dx, dγ, dβ)``.

    dγ = Σ_{n,pixels} G ⊙ x̂                        per channel, shape (C,)
    dβ = Σ_{n,pixels} G                            per channel, shape (C,)
    dx = layer norm's dx of each row, given ĝ = G ⊙ γ:
         (ĝ − mean(ĝ) − x̂ ⊙ mean(ĝ ⊙ x̂)) / σ       (means over the row's D values)

    dγ and dβ are ``None`` without γ or β (the caller reshapes them like its parameters);
    dx is ``None`` unless ``input_grad``.
    """
    norm, gamma = cache.norm, cache.gamma
    n, c = grad_output.shape[:2]
    G = grad_output.reshape(n, c, math.prod(grad_output.shape[2:]))  # (N, C, L)
    xhat = norm.xhat.reshape(G.shape)
    dgamma = None if gamma is None else channel_dot(G, xhat)
    dbeta = channel_sum(G) if cache.has_beta else None
    if not input_grad:
        return None, dgamma, dbeta
    ghat = G if gamma is None else G * gamma[:, None]  # the gradient reaching x̂
    dx, _, _ = layer_norm_backward(ghat.reshape(norm.xhat.shape), norm)
    return dx.reshape(grad_output.shape), dgamma, dbeta
