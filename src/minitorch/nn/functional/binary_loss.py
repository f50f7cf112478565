"""Binary losses as stateless forward/backward pairs: BCE on probabilities, and on logits.

Each ``name_forward(x, targets, weight, reduction, ...) -> (loss, cache)`` computes the unreduced
loss ℓ element by element and reduces it (:mod:`.reduction`); ``name_backward(grad_output,
cache)`` is ``dL/dx = s ⊙ dℓ/dx``, s the reduction's scale.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .reduction import (
    ReductionCache,
    _elementwise_weight,
    _same_shape_pair,
    reduce_loss_backward,
    reduce_loss_forward,
)

__all__ = [
    "BCELossCache",
    "BCEWithLogitsLossCache",
    "binary_cross_entropy",
    "binary_cross_entropy_backward",
    "binary_cross_entropy_forward",
    "binary_cross_entropy_with_logits",
    "binary_cross_entropy_with_logits_backward",
    "binary_cross_entropy_with_logits_forward",
]

# PyTorch's BCELoss clamps each log at -100 (so p = 0 or 1 gives a large but finite loss) and
# divides its gradient by max(x(1 − x), 1e-12) (so the gradient stays finite too). PyTorch's
# 1e-12 is a float32 constant, 9.99999996e-13 as a double: using the same number makes the
# gradient at x = 0 or 1 agree to the last digit.
_BCE_LOG_FLOOR = -100.0
_BCE_EPSILON = float(np.float32(1e-12))


class BCELossCache(NamedTuple):
    probabilities: np.ndarray  # x
    targets: np.ndarray  # y
    weight: np.ndarray | None  # w, or None
    reduction: ReductionCache


class BCEWithLogitsLossCache(NamedTuple):
    logits: np.ndarray  # x
    exp_neg_abs: np.ndarray  # e^{−|x|}, from which σ(x) is computed without overflow
    targets: np.ndarray  # y
    weight: np.ndarray | None  # w, or None
    pos_weight: np.ndarray | None  # p, or None
    reduction: ReductionCache


def binary_cross_entropy_forward(
    probabilities: np.ndarray,
    targets: np.ndarray,
    weight: np.ndarray | None = None,
    reduction: str = "mean",
    *,
    name: str = "binary_cross_entropy",
) -> tuple[np.floating | np.ndarray, BCELossCache]:
    """Binary cross-entropy of probabilities x ∈ [0, 1] against targets y ∈ [0, 1].

    ℓ = −w·(y·log x + (1 − y)·log(1 − x)), each log clamped at −100 as in PyTorch, so x = 0 or 1
    gives a large finite loss, never inf or NaN. x, y and ℓ share one shape (any); the optional
    ``weight`` w broadcasts to it. For raw scores use :func:`binary_cross_entropy_with_logits`.
    """
    probabilities, targets = _same_shape_pair(name, probabilities, targets)
    if probabilities.size:
        low, high = probabilities.min(), probabilities.max()
        if not (low >= 0 and high <= 1):  # also catches NaN
            raise ValueError(
                f"{name} expects probabilities in [0, 1], but the predictions range from "
                f"{low:.4g} to {high:.4g}. If they are raw scores (logits), use "
                f"BCEWithLogitsLoss, which applies the sigmoid itself and is numerically "
                f"stable; otherwise put a Sigmoid at the end of the model."
            )
    if targets.size and not (targets.min() >= 0 and targets.max() <= 1):  # NaN fails too
        raise ValueError(
            f"{name} expects targets in [0, 1] (as PyTorch does), but they range from "
            f"{targets.min():.4g} to {targets.max():.4g}. Binary targets are 0 or 1 (or a "
            "probability between); for class indices use CrossEntropyLoss."
        )
    weight = _elementwise_weight(name, "weight", weight, probabilities.shape, probabilities.dtype)
    with np.errstate(divide="ignore"):  # log(0) = −inf, clamped to −100 on the next line
        log_x = np.maximum(np.log(probabilities), _BCE_LOG_FLOOR)
        log_1mx = np.maximum(np.log1p(-probabilities), _BCE_LOG_FLOOR)
    unreduced = (targets - 1) * log_1mx - targets * log_x
    if weight is not None:
        unreduced *= weight
    loss, reduce_cache = reduce_loss_forward(unreduced, reduction, name=name)
    return loss, BCELossCache(probabilities, targets, weight, reduce_cache)


def binary_cross_entropy_backward(
    grad_output: float | np.ndarray | None, cache: BCELossCache
) -> np.ndarray:
    """dℓ/dx = w·(x − y) / max(x(1 − x), 1e-12) (PyTorch's guard keeps x = 0, 1 finite)."""
    x, y, weight = cache.probabilities, cache.targets, cache.weight
    s = reduce_loss_backward(grad_output, cache.reduction)
    grad = (x - y) / np.maximum((1 - x) * x, _BCE_EPSILON)
    if weight is not None:
        grad *= weight
    grad *= s
    return grad


def binary_cross_entropy_with_logits_forward(
    logits: np.ndarray,
    targets: np.ndarray,
    weight: np.ndarray | None = None,
    reduction: str = "mean",
    pos_weight: np.ndarray | None = None,
    *,
    name: str = "binary_cross_entropy_with_logits",
) -> tuple[np.floating | np.ndarray, BCEWithLogitsLossCache]:
    """Sigmoid and binary cross-entropy in one stable step.

    With σ the sigmoid, p = pos_weight (default 1) and w = weight (default 1):

        ℓ = w·[(1 − y)·x − (1 + (p − 1)·y)·log σ(x)],

    which equals −w·[p·y·log σ(x) + (1 − y)·log(1 − σ(x))] because log(1 − σ(x)) = log σ(x) − x.
    log σ(x) = min(x, 0) − log(1 + e^{−|x|}) never overflows, so logits of ±1e4 are fine.
    x, y and ℓ share one shape (any); w and p broadcast to it (p is typically one value per
    class, shape (C,), weighting the positive examples of that class).
    """
    logits, targets = _same_shape_pair(name, logits, targets)
    weight = _elementwise_weight(name, "weight", weight, logits.shape, logits.dtype)
    pos_weight = _elementwise_weight(name, "pos_weight", pos_weight, logits.shape, logits.dtype)
    exp_neg_abs = np.exp(-np.abs(logits))  # e^{−|x|} ∈ (0, 1]: cannot overflow
    log_sigmoid = np.minimum(logits, 0) - np.log1p(exp_neg_abs)
    if pos_weight is not None:
        log_sigmoid *= (pos_weight - 1) * targets + 1
    unreduced = (1 - targets) * logits - log_sigmoid
    if weight is not None:
        unreduced *= weight
    loss, reduce_cache = reduce_loss_forward(unreduced, reduction, name=name)
    cache = BCEWithLogitsLossCache(logits, exp_neg_abs, targets, weight, pos_weight, reduce_cache)
    return loss, cache


def binary_cross_entropy_with_logits_backward(
    grad_output: float | np.ndarray | None, cache: BCEWithLogitsLossCache
) -> np.ndarray:
    """dℓ/dx = w·[(p·y + 1 − y)·σ(x) − p·y], which is w·(σ(x) − y) when p = 1.

    σ(x) comes from the forward's e^{−|x|}: 1/(1 + e^{−|x|}) for x ≥ 0 and
    e^{−|x|}/(1 + e^{−|x|}) for x < 0, the two overflow-free forms of 1/(1 + e^{−x}).
    Times the reduction's scale s. Shapes: logits, targets, weight and pos_weight one shape
    (any); dx that shape.
    """
    logits, exp_neg_abs, targets = cache.logits, cache.exp_neg_abs, cache.targets
    weight, pos_weight = cache.weight, cache.pos_weight
    scale = reduce_loss_backward(grad_output, cache.reduction)
    # Numerator 1 where x ≥ 0 and e^{−|x|} where x < 0, as max(e^{−|x|}, [x ≥ 0]) since
    # e^{−|x|} ≤ 1: branch-free, so about 5x faster than np.where on mixed signs.
    sigmoid = np.maximum(exp_neg_abs, logits >= 0)
    sigmoid /= 1 + exp_neg_abs
    if pos_weight is None:
        grad = sigmoid - targets
    else:
        weighted_targets = pos_weight * targets
        grad = (weighted_targets + 1 - targets) * sigmoid - weighted_targets
    if weight is not None:
        grad *= weight
    grad *= scale
    return grad


# ---------------------------------------------------------------------------- value only
def binary_cross_entropy(probabilities, targets, weight=None, reduction: str = "mean"):
    """The value of :func:`binary_cross_entropy_forward`."""
    return binary_cross_entropy_forward(probabilities, targets, weight, reduction)[0]


def binary_cross_entropy_with_logits(
    logits, targets, weight=None, reduction: str = "mean", pos_weight=None
):
    """The value of :func:`binary_cross_entropy_with_logits_forward`."""
    return binary_cross_entropy_with_logits_forward(logits, targets, weight, reduction, pos_weight)[
        0
    ]
