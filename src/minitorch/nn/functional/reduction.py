"""The reductions every loss ends with, written once, and the checks the losses share.

Every loss first computes an *unreduced* loss ℓ, one value per element (regression, BCE) or per
sample (cross-entropy, NLL), and then reduces it with :func:`reduce_loss_forward`:

* ``'mean'``: L = Σᵢ ℓᵢ / D, with D the number of elements, or for class-index targets the sum of
  the weights of the targets that are not ignored (as PyTorch);
* ``'sum'``:  L = Σᵢ ℓᵢ;
* ``'none'``: L = ℓ itself, an array.

:func:`reduce_loss_backward` turns ``grad_output`` into the *scale* s = dL_total/dℓ of each
unreduced value: ``grad_output / D`` for ``'mean'``, ``grad_output`` for ``'sum'`` (both scalars,
default 1) and, for ``'none'``, the array ``grad_output`` of ℓ's shape (default ones). Each loss's
backward is then just the chain rule ``dL/dx = s ⊙ dℓ/dx``. This pair is the one place where the
reductions are written; a loss of your own can use it too.

``mean``/``sum`` losses are returned as a NumPy floating scalar of the predictions' dtype, so
``float(loss)`` and ``loss.item()`` both work.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..._validation import float_input

REDUCTIONS = ("mean", "sum", "none")

# ---------------------------------------------------------------------------- reduction
class ReductionCache(NamedTuple):
    """What the backward of a reduction needs from its forward."""

    reduction: str  # 'mean', 'sum' or 'none'
    shape: tuple[int, ...]  # of the unreduced loss ℓ
    divisor: float | None  # the denominator of 'mean' (None otherwise)
    dtype: np.dtype  # the loss's
    name: str  # who is asking, for error messages


def check_reduction(reduction: str, name: str = "loss") -> str:
    """Return ``reduction`` if it is one of ``'mean'``, ``'sum'``, ``'none'``; else ValueError."""
    if not isinstance(reduction, str) or reduction not in REDUCTIONS:
        raise ValueError(
            f"{name}: reduction must be one of 'mean', 'sum' or 'none', got {reduction!r}"
        )
    return reduction


# ---------------------------------------------------------------------------- the loss value
_NO_AUTOGRAD = (
    "minitorch has no autograd, so a loss value cannot backpropagate itself. Ask the loss "
    "module for dL/d(predictions) and hand it to the model:\n"
    "    model.backward(loss_fn.backward())"
)


class _LossFloat32(np.float32):
    """A float32 loss value: a NumPy scalar in every way, whose ``backward()`` teaches."""

    def backward(self, *args: object, **kwargs: object) -> None:
        raise RuntimeError(_NO_AUTOGRAD)


class _LossFloat64(np.float64):
    """A float64 loss value: a NumPy scalar in every way, whose ``backward()`` teaches."""

    def backward(self, *args: object, **kwargs: object) -> None:
        raise RuntimeError(_NO_AUTOGRAD)


_LOSS_SCALARS = {np.dtype(np.float32): _LossFloat32, np.dtype(np.float64): _LossFloat64}


def _loss_scalar(dtype: np.dtype, value) -> np.floating:
    """``value`` as a scalar of ``dtype``; float32/64 ones answer ``loss.backward()``."""
    return _LOSS_SCALARS.get(dtype, dtype.type)(value)


def reduce_loss_forward(
    unreduced: np.ndarray,
    reduction: str = "mean",
    divisor: float | None = None,
    *,
    name: str = "loss",
) -> tuple[np.floating | np.ndarray, ReductionCache]:
    """Reduce the unreduced loss ℓ (any shape) to the loss the caller sees.

    Parameters
    ----------
    unreduced : ndarray
        ℓ, one loss value per element or per sample; its dtype is the loss's dtype.
    reduction : {'mean', 'sum', 'none'}
        ``'mean'``: Σℓ / divisor; ``'sum'``: Σℓ; ``'none'``: ℓ unchanged.
    divisor : float, optional
        The denominator of ``'mean'``: ``ℓ.size`` unless given (cross-entropy with class-index
        targets passes the summed weight of the targets that count). A divisor of 0 (every
        target ignored or of weight 0) gives NaN, silently, as in PyTorch.
    name : str
        Who is asking, for error messages.

    Returns
    -------
    loss : NumPy floating scalar (``'mean'``/``'sum'``) or ndarray shaped like ℓ (``'none'``)
    cache : ReductionCache
        What :func:`reduce_loss_backward` needs.
    """
    check_reduction(reduction, name)
    dtype = unreduced.dtype
    if reduction == "none":
        return unreduced, ReductionCache(reduction, unreduced.shape, None, dtype, name)
    with np.errstate(over="ignore"):  # a total beyond the dtype's range is inf, as in PyTorch
        total = unreduced.sum()
    if reduction == "sum":
        return _loss_scalar(dtype, total), ReductionCache(
            reduction, unreduced.shape, None, dtype, name
        )
    divisor = unreduced.size if divisor is None else divisor
    # The mean of nothing (no element, or every target ignored or of weight 0) is NaN, as in
    # PyTorch, and without a division-by-zero warning.
    value = _loss_scalar(dtype, total / divisor if divisor != 0 else np.nan)
    return value, ReductionCache(reduction, unreduced.shape, divisor, dtype, name)


def reduce_loss_backward(
    grad_output: float | np.ndarray | None, cache: ReductionCache
) -> np.floating | np.ndarray:
    """The scale s = dL/dℓ that each unreduced loss value receives.

    Parameters
    ----------
    grad_output : float, ndarray or None
        ``'mean'``/``'sum'``: a scalar multiplier of the loss (default 1), i.e. dL_total/dL.
        ``'none'``: dL_total/dℓ, an array shaped like ℓ (default: ones).
    cache : ReductionCache
        From :func:`reduce_loss_forward`.

    Returns
    -------
    NumPy scalar (``'mean'``: grad_output / D, ``'sum'``: grad_output) or, for ``'none'``, an
    ndarray shaped like ℓ; always of the loss's dtype.
    """
    reduction, shape, divisor, dtype, name = (
        cache.reduction, cache.shape, cache.divisor, cache.dtype, cache.name
    )
    if reduction == "none":
        if grad_output is None:
            return dtype.type(1)  # ones, without allocating them: broadcasting does the rest
        if np.shape(grad_output) != shape:
            raise ValueError(
                f"{name}.backward: with reduction='none' the loss has shape {shape}, so "
                f"grad_output must have that shape too (dL/d(each loss value)), got "
                f"{np.shape(grad_output)}"
            )
        return np.asarray(grad_output, dtype=dtype)
    if grad_output is None:
        grad_output = 1
    elif np.ndim(grad_output) != 0:
        raise ValueError(
            f"{name}.backward: with reduction={reduction!r} the loss is a scalar, so grad_output "
            f"must be a scalar multiplier (or None for 1), got an array of shape "
            f"{np.shape(grad_output)}. Use reduction='none' to weight each loss value."
        )
    scale = dtype.type(grad_output)
    if reduction == "mean":
        if divisor == 0:  # the mean over no target: s = ±inf or NaN, silently, as in PyTorch
            with np.errstate(divide="ignore", invalid="ignore"):
                return dtype.type(scale / dtype.type(divisor))
        scale = dtype.type(scale / divisor)
    return scale


# ---------------------------------------------------------------------------- input checks
def _as_float_array(name: str, what: str, value) -> np.ndarray:
    return float_input(value, name, what=what)  # the one input policy of every module


def _same_shape_pair(name: str, predictions, targets) -> tuple[np.ndarray, np.ndarray]:
    """Predictions as a float array and targets cast to its dtype; the shapes must be equal.

    Broadcasting (N, 1) against (N,) would silently compare every prediction with every target
    and give an (N, N) loss, so it is refused with the fix.
    """
    predictions = _as_float_array(name, "predictions", predictions)
    targets = np.asarray(targets)
    if predictions.shape != targets.shape:
        if predictions.size == targets.size:
            fix = (
                f"reshape one of them, e.g. targets.reshape({predictions.shape}) "
                f"or predictions.reshape({targets.shape})"
            )
        else:
            fix = "they hold different numbers of values: check that they come from the same batch"
        raise ValueError(
            f"{name}: predictions have shape {predictions.shape} but targets have shape "
            f"{targets.shape}; they must have the same shape (they are not broadcast, which "
            f"would silently compare every prediction with every target). Fix: {fix}."
        )
    if not (np.issubdtype(targets.dtype, np.number) or targets.dtype == np.bool_):
        raise TypeError(f"{name} expects numeric targets, got dtype {targets.dtype}")
    return predictions, targets.astype(predictions.dtype, copy=False)


def _elementwise_weight(name: str, what: str, weight, shape: tuple, dtype) -> np.ndarray | None:
    """A weight broadcastable to the predictions' shape, cast to their dtype (None stays None)."""
    if weight is None:
        return None
    weight = np.asarray(weight)
    try:
        broadcast = np.broadcast_shapes(weight.shape, shape)
    except ValueError:
        broadcast = None
    if broadcast != shape:
        raise ValueError(
            f"{name}: {what} of shape {weight.shape} does not broadcast to the predictions' "
            f"shape {shape}; give it shape {shape}, or a shape that broadcasts to it "
            f"(e.g. ({shape[-1] if shape else 1},) for one value per column)"
        )
    return weight.astype(dtype, copy=False)
