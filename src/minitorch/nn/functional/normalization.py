"""Layer normalization as a stateless forward/backward pair."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ._fast import row_dot, row_mean


class LayerNormCache(NamedTuple):
    """What the backward of layer norm needs from its forward."""

    xhat: np.ndarray  # (M, D): the normalized rows
    rstd: np.ndarray  # (M, 1): 1/√(σ² + ε) of each row
    gamma: np.ndarray | None
    has_beta: bool
    normalized_shape: tuple[int, ...]
    input_shape: tuple[int, ...]


def layer_norm_forward(
    x: np.ndarray,
    normalized_shape: tuple[int, ...],
    gamma: np.ndarray | None = None,
    beta: np.ndarray | None = None,
    eps: float = 1e-5,
) -> tuple[np.ndarray, LayerNormCache]:
    """Normalize each sample over its last ``len(normalized_shape)`` dimensions.

    The trailing dimensions are flattened into D = prod(normalized_shape) features, the
    leading ones into M rows::

        μ  = (1/D) Σⱼ xⱼ                        (M, 1)
        σ² = (1/D) Σⱼ (xⱼ − μ)²                 (M, 1)   biased, as PyTorch
        x̂  = (x − μ) / √(σ² + ε)                (M, D)
        y  = γ ⊙ x̂ + β                          (..., *normalized_shape)

    Shapes: x (..., *normalized_shape); gamma and beta ``normalized_shape``, or ``None`` (no
    scale, no shift). Returns ``(y, cache)``, a :class:`LayerNormCache`.
    (``row_mean(a)`` is ``a.mean(axis=-1, keepdims=True)`` and ``row_dot(a, b)`` is
    ``(a * b).sum(axis=-1, keepdims=True)``, see ``_fast.py``.)
    """
    normalized_shape = tuple(normalized_shape)
    D = int(np.prod(normalized_shape, dtype=np.int64))
    rows = x.reshape(-1, D)
    mu = row_mean(rows)
    xhat = rows - mu  # x − μ, made x̂ in place below
    var = row_dot(xhat, xhat) / D  # (1/D) Σⱼ (xⱼ − μ)²
    rstd = 1.0 / np.sqrt(var + eps)
    xhat *= rstd  # x̂ = (x − μ) / √(σ² + ε)
    y = xhat.copy() if gamma is None else xhat * gamma.reshape(-1)  # y = γ ⊙ x̂ + β
    if beta is not None:
        y += beta.reshape(-1)
    cache = LayerNormCache(xhat, rstd, gamma, beta is not None, normalized_shape, x.shape)
    return y.reshape(x.shape), cache


def layer_norm_backward(
    grad_output: np.ndarray, cache: LayerNormCache, input_grad: bool = True
) -> tuple[np.ndarray | None, np.ndarray | None, np.ndarray | None]:
    """Gradients of layer norm given G = dL/dy, shaped like y: returns ``(dx, dγ, dβ)``.

    With ĝ = G ⊙ γ, the gradient reaching x̂, and means over the D features of a row::

        dγ = Σ_rows G ⊙ x̂                                  normalized_shape
        dβ = Σ_rows G                                      normalized_shape
        dx = (ĝ − mean(ĝ) − x̂ ⊙ mean(ĝ ⊙ x̂)) / σ           (..., *normalized_shape)

    The last line is the Jacobian of x ↦ x̂ applied without forming it: every x̂ⱼ depends on
    the whole row through μ (hence − mean(ĝ)) and through σ (hence − x̂ · mean(ĝ ⊙ x̂)); it is
    llm.c's ``layernorm_backward`` in one line. dγ and dβ are ``None`` when the forward had no
    γ or no β; dx is ``None`` unless ``input_grad``.
    """
    xhat, rstd, gamma = cache.xhat, cache.rstd, cache.gamma
    G = grad_output.reshape(xhat.shape)
    dbeta = G.sum(axis=0).reshape(cache.normalized_shape) if cache.has_beta else None
    dgamma = None if gamma is None else (G * xhat).sum(axis=0).reshape(cache.normalized_shape)
    if not input_grad:
        return None, dgamma, dbeta
    ghat = G if gamma is None else G * gamma.reshape(-1)
    dx = (ghat - row_mean(ghat) - xhat * row_mean(ghat * xhat)) * rstd
    return dx.reshape(cache.input_shape), dgamma, dbeta
