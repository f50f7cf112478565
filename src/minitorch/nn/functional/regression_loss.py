"""Regression losses as stateless forward/backward pairs: squared, absolute and Huber error.

Where the inputs are huge (x − y or (x − y)² beyond the dtype's range) or infinite, the loss is
the inf or NaN PyTorch returns, without NumPy's RuntimeWarning (``quiet_nonfinite``).

Each ``name_forward(predictions, targets, reduction) -> (loss, cache)`` computes the unreduced
loss ℓ element by element and reduces it (:mod:`.reduction`); ``name_backward(grad_output,
cache)`` is ``dL/dx = s ⊙ dℓ/dx``, s the reduction's scale.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..._validation import QUIET_NONFINITE, quiet_nonfinite
from .reduction import ReductionCache, _same_shape_pair, reduce_loss_backward, reduce_loss_forward


class MSELossCache(NamedTuple):
    diff: np.ndarray  # x − y
    reduction: ReductionCache


class L1LossCache(NamedTuple):
    diff: np.ndarray  # x − y
    reduction: ReductionCache


class HuberLossCache(NamedTuple):
    diff: np.ndarray  # x − y
    delta: float
    reduction: ReductionCache


__all__ = [
    "HuberLossCache",
    "L1LossCache",
    "MSELossCache",
    "huber_loss",
    "huber_loss_backward",
    "huber_loss_forward",
    "l1_loss",
    "l1_loss_backward",
    "l1_loss_forward",
    "mse_loss",
    "mse_loss_backward",
    "mse_loss_forward",
]


def mse_loss_forward(
    predictions: np.ndarray,
    targets: np.ndarray,
    reduction: str = "mean",
    *,
    name: str = "mse_loss",
) -> tuple[np.floating | np.ndarray, MSELossCache]:
    """Squared error ℓ = (x − y)², reduced.

    x (predictions) and y (targets) have the same shape (any); ℓ has that shape too.
    """
    predictions, targets = _same_shape_pair(name, predictions, targets)
    with np.errstate(**QUIET_NONFINITE):
        diff = predictions - targets
        loss, reduce_cache = reduce_loss_forward(diff * diff, reduction, name=name)
    return loss, MSELossCache(diff, reduce_cache)


def mse_loss_backward(grad_output: float | np.ndarray | None, cache: MSELossCache) -> np.ndarray:
    """dℓ/dx = 2(x − y), so dL/dx = 2(x − y) ⊙ s (s from :func:`reduce_loss_backward`).

    x − y is the cached ``diff``; s is 1/N for ``'mean'``, 1 for ``'sum'`` (times a scalar
    grad_output) and grad_output itself for ``'none'``. Shapes: diff the predictions' shape;
    grad_output a scalar, or that shape for ``'none'``; dx the predictions' shape. (2s first,
    as PyTorch: x − y = 3e38 in float32 with ``'mean'`` gives 3e38·2/N, not an overflowed 2(x − y).)
    """
    s = reduce_loss_backward(grad_output, cache.reduction)
    with np.errstate(**QUIET_NONFINITE):
        return 2 * s * cache.diff


@quiet_nonfinite
def l1_loss_forward(
    predictions: np.ndarray,
    targets: np.ndarray,
    reduction: str = "mean",
    *,
    name: str = "l1_loss",
) -> tuple[np.floating | np.ndarray, L1LossCache]:
    """Absolute error ℓ = |x − y|, reduced. x, y and ℓ have the same shape (any)."""
    predictions, targets = _same_shape_pair(name, predictions, targets)
    diff = predictions - targets
    loss, reduce_cache = reduce_loss_forward(np.abs(diff), reduction, name=name)
    return loss, L1LossCache(diff, reduce_cache)


def l1_loss_backward(grad_output: float | np.ndarray | None, cache: L1LossCache) -> np.ndarray:
    """dℓ/dx = sign(x − y), taken as 0 where x = y (as PyTorch); dL/dx = sign(x − y) ⊙ s."""
    s = reduce_loss_backward(grad_output, cache.reduction)
    return np.sign(cache.diff) * s


@quiet_nonfinite
def huber_loss_forward(
    predictions: np.ndarray,
    targets: np.ndarray,
    reduction: str = "mean",
    delta: float = 1.0,
    *,
    name: str = "huber_loss",
) -> tuple[np.floating | np.ndarray, HuberLossCache]:
    """Huber loss: quadratic near 0, linear in the tails (robust to outliers).

    With d = x − y:  ℓ = ½d²  if |d| < δ,  else  δ(|d| − ½δ). x, y and ℓ share one shape.
    """
    if not delta > 0:
        raise ValueError(f"{name}: delta must be positive, got {delta}")
    predictions, targets = _same_shape_pair(name, predictions, targets)
    diff = predictions - targets
    abs_diff = np.abs(diff)
    # Both pieces in one formula, without computing each everywhere: with c = min(|d|, δ),
    # c·(|d| − ½c) is ½d² where |d| < δ (c = |d|) and δ(|d| − ½δ) elsewhere (c = δ).
    clipped = np.minimum(abs_diff, delta)
    unreduced = clipped * (abs_diff - 0.5 * clipped)
    loss, reduce_cache = reduce_loss_forward(unreduced, reduction, name=name)
    return loss, HuberLossCache(diff, delta, reduce_cache)


def huber_loss_backward(
    grad_output: float | np.ndarray | None, cache: HuberLossCache
) -> np.ndarray:
    """dℓ/dx = d clipped to [−δ, δ] (d inside, ±δ in the linear tails); dL/dx = clip(d) ⊙ s."""
    s = reduce_loss_backward(grad_output, cache.reduction)
    return np.clip(cache.diff, -cache.delta, cache.delta) * s



# ---------------------------------------------------------------------------- value only
def mse_loss(predictions, targets, reduction: str = "mean"):
    """The value of :func:`mse_loss_forward` (no cache), like ``torch.nn.functional.mse_loss``."""
    return mse_loss_forward(predictions, targets, reduction)[0]


def l1_loss(predictions, targets, reduction: str = "mean"):
    """The value of :func:`l1_loss_forward`."""
    return l1_loss_forward(predictions, targets, reduction)[0]


def huber_loss(predictions, targets, reduction: str = "mean", delta: float = 1.0):
    """The value of :func:`huber_loss_forward`."""
    return huber_loss_forward(predictions, targets, reduction, delta)[0]
