"""Inverted dropout as a stateless forward/backward pair."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ... import _state


class DropoutCache(NamedTuple):
    """What the backward of dropout needs from its forward."""

    mask: np.ndarray | None  # m, shaped like x (or (N, C, 1, 1)); None: no dropout happened


def dropout_forward(
    x: np.ndarray,
    p: float = 0.5,
    training: bool = True,
    generator: np.random.Generator | None = None,
) -> tuple[np.ndarray, DropoutCache]:
    """Zero each element with probability ``p`` and scale the survivors by 1/(1 − p).

    y = x ⊙ m, with mᵢ = 1/(1 − p) with probability 1 − p, else 0, so E[y] = x and nothing needs
    rescaling at evaluation time. When ``training`` is False (or p = 0), y = x and the mask is
    ``None``. The mask is drawn from minitorch's global generator unless one is given.
    Returns ``(y, DropoutCache(m))``.
    """
    return _dropout(x, p, training, generator, x.shape)


def _dropout(x, p, training, generator, mask_shape) -> tuple[np.ndarray, DropoutCache]:
    """y = x ⊙ m for a mask of ``mask_shape`` (x's shape, or one value per channel)."""
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability must be between 0 and 1, got {p}")
    if not training or p == 0.0:
        return x, DropoutCache(None)
    rng = _state.generator() if generator is None else generator
    if p == 1.0:
        mask = np.zeros(mask_shape, dtype=x.dtype)
    else:
        keep = rng.random(mask_shape, dtype=np.float32) >= p
        mask = keep.astype(x.dtype) * x.dtype.type(1.0 / (1.0 - p))
    return x * mask, DropoutCache(mask)


def dropout_backward(grad_output: np.ndarray, cache: DropoutCache) -> np.ndarray:
    """dx = grad_output ⊙ m (the same mask as the forward; identity when there was none)."""
    return grad_output if cache.mask is None else grad_output * cache.mask


def dropout2d_forward(
    x: np.ndarray,
    p: float = 0.5,
    training: bool = True,
    generator: np.random.Generator | None = None,
) -> tuple[np.ndarray, DropoutCache]:
    """Zero whole channels: each (n, c) feature map is dropped with probability ``p``.

    y = x ⊙ m with one mask value per channel, m of shape (N, C, 1, 1) (or (N, C, 1) for an
    (N, C, L) input): m[n, c] = 1/(1 − p) with probability 1 − p, else 0. Neighbouring pixels are
    strongly correlated, so dropping single pixels hardly regularises a convolutional layer;
    dropping a whole feature map does. The cache holds the mask (``None`` when not training).
    """
    return _dropout(x, p, training, generator, (*x.shape[:2], *(1,) * (x.ndim - 2)))


#: dx = grad_output ⊙ m: the same formula as dropout's, the mask broadcasting over H and W.
dropout2d_backward = dropout_backward
