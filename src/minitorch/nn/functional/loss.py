"""Loss functions as stateless forward/backward pairs.

Each loss ``name`` comes as

* ``name_forward(predictions, targets, ..., reduction='mean') -> (loss, cache)`` and
* ``name_backward(grad_output, cache) -> grad_predictions``,

where ``grad_predictions = dL/d(predictions)`` has the shape and dtype of ``predictions``. The
plain ``name(predictions, targets, ...)`` (``mse_loss``, ``cross_entropy``, ...) returns the loss
value only, like ``torch.nn.functional``.

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
``float(loss)`` and ``loss.item()`` both work. The keyword ``name`` of each forward is only used in
error messages (the loss modules pass their class name).
"""

from __future__ import annotations

import numpy as np

from ..._validation import float_input
from .activation import _IEEE

__all__ = [
    "REDUCTIONS",
    "binary_cross_entropy",
    "binary_cross_entropy_backward",
    "binary_cross_entropy_forward",
    "binary_cross_entropy_with_logits",
    "binary_cross_entropy_with_logits_backward",
    "binary_cross_entropy_with_logits_forward",
    "check_reduction",
    "cross_entropy",
    "cross_entropy_backward",
    "cross_entropy_forward",
    "huber_loss",
    "huber_loss_backward",
    "huber_loss_forward",
    "l1_loss",
    "l1_loss_backward",
    "l1_loss_forward",
    "mse_loss",
    "mse_loss_backward",
    "mse_loss_forward",
    "nll_loss",
    "nll_loss_backward",
    "nll_loss_forward",
    "reduce_loss_backward",
    "reduce_loss_forward",
]

REDUCTIONS = ("mean", "sum", "none")

# PyTorch's BCELoss clamps each log at -100 (so p = 0 or 1 gives a large but finite loss) and
# divides its gradient by max(x(1 − x), 1e-12) (so the gradient stays finite too). PyTorch's
# 1e-12 is a float32 constant, 9.99999996e-13 as a double: using the same number makes the
# gradient at x = 0 or 1 agree to the last digit.
_BCE_LOG_FLOOR = -100.0
_BCE_EPSILON = float(np.float32(1e-12))


# ---------------------------------------------------------------------------- reduction
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
) -> tuple[np.floating | np.ndarray, tuple]:
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
    cache : tuple
        What :func:`reduce_loss_backward` needs.
    """
    check_reduction(reduction, name)
    dtype = unreduced.dtype
    if reduction == "none":
        return unreduced, (reduction, unreduced.shape, None, dtype, name)
    with np.errstate(over="ignore"):  # a total beyond the dtype's range is inf, as in PyTorch
        total = unreduced.sum()
    if reduction == "sum":
        return _loss_scalar(dtype, total), (reduction, unreduced.shape, None, dtype, name)
    divisor = unreduced.size if divisor is None else divisor
    # The mean of nothing (no element, or every target ignored or of weight 0) is NaN, as in
    # PyTorch, and without a division-by-zero warning.
    value = _loss_scalar(dtype, total / divisor if divisor != 0 else np.nan)
    return value, (reduction, unreduced.shape, divisor, dtype, name)


def reduce_loss_backward(
    grad_output: float | np.ndarray | None, cache: tuple
) -> np.floating | np.ndarray:
    """The scale s = dL/dℓ that each unreduced loss value receives.

    Parameters
    ----------
    grad_output : float, ndarray or None
        ``'mean'``/``'sum'``: a scalar multiplier of the loss (default 1), i.e. dL_total/dL.
        ``'none'``: dL_total/dℓ, an array shaped like ℓ (default: ones).
    cache : tuple
        From :func:`reduce_loss_forward`.

    Returns
    -------
    NumPy scalar (``'mean'``: grad_output / D, ``'sum'``: grad_output) or, for ``'none'``, an
    ndarray shaped like ℓ; always of the loss's dtype.
    """
    reduction, shape, divisor, dtype, name = cache
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


# ---------------------------------------------------------------------------- regression
def mse_loss_forward(
    predictions: np.ndarray,
    targets: np.ndarray,
    reduction: str = "mean",
    *,
    name: str = "mse_loss",
) -> tuple[np.floating | np.ndarray, tuple]:
    """Squared error ℓ = (x − y)², reduced.

    x (predictions) and y (targets) have the same shape (any); ℓ has that shape too.
    """
    predictions, targets = _same_shape_pair(name, predictions, targets)
    diff = predictions - targets
    loss, reduce_cache = reduce_loss_forward(diff * diff, reduction, name=name)
    return loss, (diff, reduce_cache)


def mse_loss_backward(grad_output: float | np.ndarray | None, cache: tuple) -> np.ndarray:
    """dℓ/dx = 2(x − y), so dL/dx = 2(x − y) ⊙ s (s from :func:`reduce_loss_backward`)."""
    diff, reduce_cache = cache
    scale = reduce_loss_backward(grad_output, reduce_cache)
    return diff * (2 * scale)


def l1_loss_forward(
    predictions: np.ndarray,
    targets: np.ndarray,
    reduction: str = "mean",
    *,
    name: str = "l1_loss",
) -> tuple[np.floating | np.ndarray, tuple]:
    """Absolute error ℓ = |x − y|, reduced. x, y and ℓ have the same shape (any)."""
    predictions, targets = _same_shape_pair(name, predictions, targets)
    diff = predictions - targets
    loss, reduce_cache = reduce_loss_forward(np.abs(diff), reduction, name=name)
    return loss, (diff, reduce_cache)


def l1_loss_backward(grad_output: float | np.ndarray | None, cache: tuple) -> np.ndarray:
    """dℓ/dx = sign(x − y), taken as 0 where x = y (as PyTorch); dL/dx = sign(x − y) ⊙ s."""
    diff, reduce_cache = cache
    scale = reduce_loss_backward(grad_output, reduce_cache)
    return np.sign(diff) * scale


def huber_loss_forward(
    predictions: np.ndarray,
    targets: np.ndarray,
    reduction: str = "mean",
    delta: float = 1.0,
    *,
    name: str = "huber_loss",
) -> tuple[np.floating | np.ndarray, tuple]:
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
    return loss, (diff, delta, reduce_cache)


def huber_loss_backward(grad_output: float | np.ndarray | None, cache: tuple) -> np.ndarray:
    """dℓ/dx = d clipped to [−δ, δ] (d inside, ±δ in the linear tails); dL/dx = clip(d) ⊙ s."""
    diff, delta, reduce_cache = cache
    scale = reduce_loss_backward(grad_output, reduce_cache)
    return np.clip(diff, -delta, delta) * scale


# ---------------------------------------------------------------------------- binary
def binary_cross_entropy_forward(
    probabilities: np.ndarray,
    targets: np.ndarray,
    weight: np.ndarray | None = None,
    reduction: str = "mean",
    *,
    name: str = "binary_cross_entropy",
) -> tuple[np.floating | np.ndarray, tuple]:
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
    return loss, (probabilities, targets, weight, reduce_cache)


def binary_cross_entropy_backward(
    grad_output: float | np.ndarray | None, cache: tuple
) -> np.ndarray:
    """dℓ/dx = w·(x − y) / max(x(1 − x), 1e-12) (PyTorch's guard keeps x = 0, 1 finite)."""
    probabilities, targets, weight, reduce_cache = cache
    scale = reduce_loss_backward(grad_output, reduce_cache)
    grad = (probabilities - targets) / np.maximum((1 - probabilities) * probabilities, _BCE_EPSILON)
    if weight is not None:
        grad *= weight
    grad *= scale
    return grad


def binary_cross_entropy_with_logits_forward(
    logits: np.ndarray,
    targets: np.ndarray,
    weight: np.ndarray | None = None,
    reduction: str = "mean",
    pos_weight: np.ndarray | None = None,
    *,
    name: str = "binary_cross_entropy_with_logits",
) -> tuple[np.floating | np.ndarray, tuple]:
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
    return loss, (logits, exp_neg_abs, targets, weight, pos_weight, reduce_cache)


def binary_cross_entropy_with_logits_backward(
    grad_output: float | np.ndarray | None, cache: tuple
) -> np.ndarray:
    """dℓ/dx = w·[(p·y + 1 − y)·σ(x) − p·y], which is w·(σ(x) − y) when p = 1.

    σ(x) comes from the forward's e^{−|x|}: 1/(1 + e^{−|x|}) for x ≥ 0 and
    e^{−|x|}/(1 + e^{−|x|}) for x < 0, the two overflow-free forms of 1/(1 + e^{−x}).
    """
    logits, exp_neg_abs, targets, weight, pos_weight, reduce_cache = cache
    scale = reduce_loss_backward(grad_output, reduce_cache)
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


# ---------------------------------------------------------------------------- multi-class
# Scores (logits for cross-entropy, log-probabilities for NLL) have shape (N, C), (N, C, d1, ...)
# or, unbatched, (C,). Internally an unbatched input is viewed as a batch of one, so the class
# axis is always axis 1 and one "sample" is one position (n, d1, ...): the per-sample arrays
# (targets, sample weights, ℓ, s) have the shape (N, d1, ...).


def _class_count(scores: np.ndarray) -> int:
    return scores.shape[0] if scores.ndim == 1 else scores.shape[1]


def _index_shape(scores: np.ndarray) -> tuple[int, ...]:
    """The shape of class-index targets for these scores: (N, d1, ...), or () unbatched."""
    return () if scores.ndim == 1 else (scores.shape[0], *scores.shape[2:])


def _check_scores(name: str, what: str, scores) -> np.ndarray:
    scores = _as_float_array(name, what, scores)
    if scores.ndim == 0:
        raise ValueError(
            f"{name} expects {what} of shape (N, C), (N, C, d1, ...) or (C,), got a scalar"
        )
    return scores


def _target_kind(
    name: str, scores: np.ndarray, targets: np.ndarray, allow_probabilities: bool
) -> str:
    """Decide whether ``targets`` are class indices or class probabilities, or explain why not."""
    index_shape = _index_shape(scores)
    kind = targets.dtype.kind
    if kind in "iu" and targets.shape == index_shape:
        return "index"
    if kind == "f" and targets.shape == scores.shape and allow_probabilities:
        return "probabilities"

    # Everything below only explains what is wrong.
    n_classes = _class_count(scores)
    index_form = f"class indices: integers in [0, {n_classes - 1}] of shape {index_shape}"
    prob_form = f"class probabilities: floats of shape {scores.shape} (the shape of the input)"
    accepted = f"{index_form}, or {prob_form}" if allow_probabilities else index_form
    if kind in "iu":
        hint = ""
        if targets.shape == scores.shape:
            hint = (
                " These look like one-hot labels: pass targets.argmax(axis="
                f"{0 if scores.ndim == 1 else 1}) for class indices"
                + (
                    ", or targets.astype(np.float32) for probabilities."
                    if allow_probabilities
                    else "."
                )
            )
        raise ValueError(
            f"{name}: integer targets of shape {targets.shape} do not fit input of shape "
            f"{scores.shape}; expected {index_form}.{hint}"
        )
    if kind == "f":
        if targets.shape == scores.shape:  # probabilities given to NLLLoss
            raise TypeError(
                f"{name} takes class indices (integers of shape {index_shape}), got floating "
                f"targets of the input's shape {scores.shape}. For class probabilities (soft "
                f"labels) use CrossEntropyLoss on the logits instead."
            )
        if targets.shape == index_shape:
            raise TypeError(
                f"{name}: targets of shape {targets.shape} look like class indices but have "
                f"dtype {targets.dtype}; class indices must be integers: pass "
                f"targets.astype(np.int64)."
                + (
                    f" (Floating targets are read as class probabilities only when they have the "
                    f"input's shape {scores.shape}.)"
                    if allow_probabilities
                    else ""
                )
            )
        raise ValueError(
            f"{name}: targets of shape {targets.shape} do not fit input of shape {scores.shape}; "
            f"expected {accepted}."
        )
    raise TypeError(f"{name}: targets must be {accepted}; got dtype {targets.dtype}")


def _class_weight(name: str, weight, n_classes: int, dtype) -> np.ndarray | None:
    if weight is None:
        return None
    weight = np.asarray(weight)
    if weight.shape != (n_classes,):
        raise ValueError(
            f"{name}: weight must hold one value per class, shape ({n_classes},), but it has "
            f"shape {weight.shape} while the input has C = {n_classes} classes"
        )
    return weight.astype(dtype, copy=False)


def _class_index_targets(
    name: str,
    targets: np.ndarray,
    n_classes: int,
    class_weight: np.ndarray | None,
    ignore_index: int,
    dtype: np.dtype,
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    """Check batched class-index targets (N, d1, ...) and look up each sample's weight.

    Returns
    -------
    index : intp array (N, d1, ...)
        The targets, with ignored ones replaced by 0 so they can index safely.
    sample_weight : array (N, d1, ...), or None when every sample has weight 1
        w[yᵢ] (1 without class weights), 0 where the target is ignored. Its sum is the
        denominator of the ``'mean'`` reduction. ``None`` (no class weights, nothing ignored)
        lets the common case skip multiplying by ones.
    ignored : bool array (N, d1, ...), or None when no target is ignored
    """
    index = targets.astype(np.intp, copy=False)
    if index.size == 0:
        return index, None, None
    # The common case in one pass over the targets: viewed as unsigned integers, negative
    # indices become huge, so max < C means every index is in [0, C). An ignore_index outside
    # [0, C) then cannot occur either.
    if not 0 <= ignore_index < n_classes and index.view(np.uintp).max() < n_classes:
        ignored = None
    else:
        ignored = index == ignore_index
        if not ignored.any():
            ignored = None
        counted = index if ignored is None else index[~ignored]
        out_of_range = (counted < 0) | (counted >= n_classes)
        if out_of_range.any():
            raise ValueError(
                f"{name}: target class index {counted[out_of_range][0]} is out of range; with "
                f"C = {n_classes} classes the valid indices are 0 to {n_classes - 1} (targets "
                f"equal to ignore_index = {ignore_index} are skipped). Are the labels 1-based, "
                f"or is the output layer too small?"
            )
    if ignored is not None:
        index = np.where(ignored, 0, index)
    if class_weight is None and ignored is None:
        return index, None, None
    if class_weight is None:
        sample_weight = (~ignored).astype(dtype)
    else:
        sample_weight = class_weight[index]
        if ignored is not None:
            sample_weight[ignored] = 0
    return index, sample_weight, ignored


def _take_class(scores: np.ndarray, index: np.ndarray) -> np.ndarray:
    """scores[n, index[n, ...], ...] for every sample: shape (N, d1, ...)."""
    if scores.ndim == 2:  # the common (N, C) case: plain fancy indexing
        return scores[np.arange(scores.shape[0]), index]
    return np.take_along_axis(scores, index[:, None], axis=1)[:, 0]


def _add_at_class(array: np.ndarray, index: np.ndarray, values) -> None:
    """array[n, index[n, ...], ...] += values[n, ...] (or a scalar), in place, for every sample.

    Each sample has exactly one target class, so no position is written twice.
    """
    if array.ndim == 2:
        array[np.arange(array.shape[0]), index] += values
    else:
        index = index[:, None]
        current = np.take_along_axis(array, index, axis=1)
        values = np.broadcast_to(values, index.shape[:1] + index.shape[2:])
        np.put_along_axis(array, index, current + values[:, None], axis=1)


def _per_sample(scale, sample_shape: tuple[int, ...]):
    """The reduction's scale s as a scalar or an array of the per-sample shape (N, d1, ...)."""
    return scale.reshape(sample_shape) if isinstance(scale, np.ndarray) else scale


def _class_dim(per_sample):
    """Insert the class axis into a per-sample array (N, d1, ...) -> (N, 1, d1, ...)."""
    return np.expand_dims(per_sample, 1) if isinstance(per_sample, np.ndarray) else per_sample


def _weighted_nll(log_probs: np.ndarray, index: np.ndarray, sample_weight, ignored) -> np.ndarray:
    """ℓᵢ = −w[yᵢ]·log pᵢ[yᵢ], and 0 for ignored targets: shape (N, d1, ...)."""
    nll = -_take_class(log_probs, index)
    if ignored is not None:
        nll[ignored] = 0  # before multiplying, so an ignored −inf log-probability stays harmless
    if sample_weight is not None:
        nll *= sample_weight
    return nll


def _mean_divisor(index: np.ndarray, sample_weight) -> float:
    """Σ w[yᵢ] over the targets that count: the denominator of the weighted mean."""
    return index.size if sample_weight is None else sample_weight.sum()


def _target_coefficient(scale, sample_weight, ignored, dtype):
    """sᵢ·w[yᵢ], the weight of sample i's log-probability of its target in the loss.

    A scalar when every weight is 1; else an array (N, d1, ...), 0 for ignored targets even when
    sᵢ is inf or NaN (the mean over no target), as in PyTorch.
    """
    if sample_weight is None:
        return scale
    with np.errstate(invalid="ignore"):  # s = inf times a weight of 0 is NaN, as in PyTorch
        coefficient = np.asarray(scale * sample_weight, dtype=dtype)
    if ignored is not None:
        coefficient[ignored] = 0
    return coefficient


def _batched(scores: np.ndarray, targets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """View unbatched (C,) scores as (1, C), and their targets as a batch of one."""
    if scores.ndim == 1:
        return scores[None], targets[None]
    return scores, targets


def _unbatched_loss(loss, unbatched: bool):
    return loss.reshape(()) if unbatched else loss


def nll_loss_forward(
    log_probs: np.ndarray,
    targets: np.ndarray,
    weight: np.ndarray | None = None,
    ignore_index: int = -100,
    reduction: str = "mean",
    *,
    name: str = "nll_loss",
) -> tuple[np.floating | np.ndarray, tuple]:
    """Negative log-likelihood of class-index targets, given log-probabilities.

    ℓᵢ = −w[yᵢ]·log pᵢ[yᵢ] (w = 1 without ``weight``), and ℓᵢ = 0 where yᵢ = ignore_index.
    ``'mean'`` divides Σℓᵢ by Σ w[yᵢ] over the targets that are not ignored (as PyTorch).

    Shapes: log_probs (N, C), (N, C, d1, ...) or (C,); targets (N,), (N, d1, ...) or ()
    (integers in [0, C)); weight (C,); unreduced ℓ (N,), (N, d1, ...) or ().
    """
    log_probs = _check_scores(name, "log-probabilities", log_probs)
    targets = np.asarray(targets)
    _target_kind(name, log_probs, targets, allow_probabilities=False)
    n_classes = _class_count(log_probs)
    class_weight = _class_weight(name, weight, n_classes, log_probs.dtype)
    unbatched = log_probs.ndim == 1
    log_probs, targets = _batched(log_probs, targets)
    index, sample_weight, ignored = _class_index_targets(
        name, targets, n_classes, class_weight, ignore_index, log_probs.dtype
    )
    unreduced = _weighted_nll(log_probs, index, sample_weight, ignored)
    loss, reduce_cache = reduce_loss_forward(
        _unbatched_loss(unreduced, unbatched),
        reduction,
        _mean_divisor(index, sample_weight),
        name=name,
    )
    return loss, (
        log_probs.shape,
        log_probs.dtype,
        index,
        sample_weight,
        ignored,
        unbatched,
        reduce_cache,
    )


def nll_loss_backward(grad_output: float | np.ndarray | None, cache: tuple) -> np.ndarray:
    """dℓᵢ/d(log pᵢ) = −w[yᵢ] at the target class and 0 elsewhere (0 for ignored targets)."""
    shape, dtype, index, sample_weight, ignored, unbatched, reduce_cache = cache
    scale = _per_sample(reduce_loss_backward(grad_output, reduce_cache), index.shape)
    coefficient = _target_coefficient(scale, sample_weight, ignored, dtype)
    grad = np.zeros(shape, dtype=dtype)
    _add_at_class(grad, index, -coefficient)
    return grad[0] if unbatched else grad


def _log_softmax_and_softmax(logits: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """log p = (x − max x) − log Σ e and p = e / Σ e over the classes (axis 1), e = exp(x − max x).

    The log-probabilities are those of :func:`~minitorch.nn.functional.log_softmax` (the same
    operations, bit for bit). The probabilities reuse its exponentials instead of computing
    exp(log p), a second exponential: 1.1-1.7x faster for large class counts, and closer to the
    exact softmax (e / Σe is within ~18 ulp of it where exp(log p) strays ~34 ulp, since log p
    carries the rounding of the log into the exponent). PyTorch's backward computes exp(log p),
    so the gradients agree with it to a few ulp rather than bit for bit. Σe >= 1 (the maximum
    contributes e⁰ = 1), so the division cannot overflow; a row holding NaN or +inf gives NaN
    throughout, as before.
    """
    with np.errstate(**_IEEE):  # as in log_softmax: −inf where x − max x overflows
        shifted = logits - logits.max(axis=1, keepdims=True)
        exponentials = np.exp(shifted)
        total = exponentials.sum(axis=1, keepdims=True)
        shifted -= np.log(total)
        exponentials /= total
    return shifted, exponentials


def cross_entropy_forward(
    logits: np.ndarray,
    targets: np.ndarray,
    weight: np.ndarray | None = None,
    ignore_index: int = -100,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
    *,
    name: str = "cross_entropy",
) -> tuple[np.floating | np.ndarray, tuple]:
    """Softmax cross-entropy of logits, with class-index or class-probability targets.

    With log pᵢ = log_softmax(xᵢ) over the classes, ε = label_smoothing, C classes and class
    weights w (all 1 without ``weight``):

    * class indices yᵢ (integers):
      ℓᵢ = (1 − ε)·w[yᵢ]·(−log pᵢ[yᵢ]) + (ε/C)·Σ_c w_c·(−log pᵢ_c),  ℓᵢ = 0 if yᵢ = ignore_index;
      ``'mean'`` divides by Σ w[yᵢ] over the targets that are not ignored.
    * class probabilities tᵢ (floats, the logits' shape), smoothed to t' = (1 − ε)·t + ε/C:
      ℓᵢ = −Σ_c w_c·t'ᵢ_c·log pᵢ_c;  ``'mean'`` divides by the number of samples N·d1·...
      (ignore_index does not apply).

    Shapes: logits (N, C), (N, C, d1, ...) or (C,); class-index targets (N,), (N, d1, ...) or
    (); probability targets the logits' shape; weight (C,); ℓ (N,), (N, d1, ...) or ().

    The log-softmax is computed once, shifted by the maximum, so logits of ±1e4 are fine; the
    probabilities p = e / Σe, from the exponentials e = exp(x − max x) the log-softmax already
    computed, are cached for the backward pass (see :func:`_log_softmax_and_softmax`).
    """
    logits = _check_scores(name, "logits", logits)
    targets = np.asarray(targets)
    kind = _target_kind(name, logits, targets, allow_probabilities=True)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"{name}: label_smoothing must be in [0, 1], got {label_smoothing}")
    n_classes = _class_count(logits)
    dtype = logits.dtype
    class_weight = _class_weight(name, weight, n_classes, dtype)
    unbatched = logits.ndim == 1
    logits, targets = _batched(logits, targets)
    # The class weights broadcast against (N, C, d1, ...): shape (1, C, 1, ...).
    weight_b = (
        None
        if class_weight is None
        else class_weight.reshape((1, n_classes) + (1,) * (logits.ndim - 2))
    )
    log_probs, probs = _log_softmax_and_softmax(logits)
    smoothing = float(label_smoothing)

    if kind == "probabilities":
        if ignore_index >= 0:
            raise ValueError(
                f"{name}: ignore_index applies to class-index targets only; with class-"
                f"probability targets leave it negative (the default is -100), and give a sample "
                f"you want to skip all-zero probabilities instead"
            )
        target_probs = targets.astype(dtype, copy=False)
        if smoothing > 0:
            target_probs = target_probs * (1 - smoothing) + smoothing / n_classes
        weighted_targets = target_probs if weight_b is None else target_probs * weight_b
        unreduced = -(log_probs * weighted_targets).sum(axis=1)
        loss, reduce_cache = reduce_loss_forward(
            _unbatched_loss(unreduced, unbatched), reduction, name=name
        )
        cache = (kind, probs, weighted_targets, unbatched, reduce_cache)
        return loss, cache

    index, sample_weight, ignored = _class_index_targets(
        name, targets, n_classes, class_weight, ignore_index, log_probs.dtype
    )
    unreduced = _weighted_nll(log_probs, index, sample_weight, ignored)
    if smoothing > 0:
        weighted_log_probs = log_probs if weight_b is None else log_probs * weight_b
        smooth = -weighted_log_probs.sum(axis=1)
        if ignored is not None:
            smooth[ignored] = 0
        unreduced = (1 - smoothing) * unreduced + (smoothing / n_classes) * smooth
    loss, reduce_cache = reduce_loss_forward(
        _unbatched_loss(unreduced, unbatched),
        reduction,
        _mean_divisor(index, sample_weight),
        name=name,
    )
    cache = (
        kind,
        probs,
        index,
        sample_weight,
        ignored,
        weight_b,
        smoothing,
        unbatched,
        reduce_cache,
    )
    return loss, cache


def cross_entropy_backward(grad_output: float | np.ndarray | None, cache: tuple) -> np.ndarray:
    """Gradient with respect to the logits, from the cached probabilities p = softmax(x).

    * class indices, no smoothing: dℓᵢ/dxᵢ = w[yᵢ]·(pᵢ − onehot(yᵢ)), computed as
      p·(s·w[y]) with s·w[y] subtracted at the target class; no one-hot matrix is built.
    * with label smoothing ε: dℓᵢ/dxᵢ = ((1 − ε)·w[yᵢ] + (ε/C)·Σ_c w_c)·pᵢ
      − (1 − ε)·w[yᵢ]·onehot(yᵢ) − (ε/C)·w; zero for ignored targets.
    * probabilities: dℓᵢ/dxᵢ = pᵢ·Σ_c w_c·t'ᵢ_c − w ⊙ t'ᵢ.

    Each is multiplied by the reduction's scale sᵢ. Shape: that of the logits.
    """
    kind = cache[0]
    if kind == "probabilities":
        _, probs, weighted_targets, unbatched, reduce_cache = cache
        scale = _per_sample(
            reduce_loss_backward(grad_output, reduce_cache),
            weighted_targets.shape[:1] + weighted_targets.shape[2:],
        )
        grad = probs * weighted_targets.sum(axis=1, keepdims=True)
        grad -= weighted_targets
        grad *= _class_dim(scale)
        return grad[0] if unbatched else grad

    _, probs, index, sample_weight, ignored, weight_b, smoothing, unbatched, reduce_cache = cache
    n_classes = probs.shape[1]
    scale = _per_sample(reduce_loss_backward(grad_output, reduce_cache), index.shape)
    target_coefficient = _target_coefficient(scale, sample_weight, ignored, probs.dtype)
    if smoothing == 0:  # the hot path: p·(s·w[y]), then s·w[y] off at the target class
        grad = probs * _class_dim(target_coefficient)
        _add_at_class(grad, index, -target_coefficient)
        return grad[0] if unbatched else grad

    target_coefficient = target_coefficient * (1 - smoothing)  # sᵢ·(1 − ε)·w[yᵢ]
    smooth_coefficient = scale * (smoothing / n_classes)  # sᵢ·ε/C, 0 for ignored targets
    if ignored is not None:
        # astype: NumPy 1.x would promote the float32 gradient to float64 here
        smooth_coefficient = np.where(ignored, 0, smooth_coefficient).astype(probs.dtype)
    weight_total = n_classes if weight_b is None else weight_b.sum()
    with np.errstate(invalid="ignore"):  # s = inf (mean over zero total weight) gives NaN
        grad = probs * _class_dim(target_coefficient + smooth_coefficient * weight_total)
        _add_at_class(grad, index, -target_coefficient)
        smooth_term = _class_dim(smooth_coefficient)
        grad -= smooth_term if weight_b is None else smooth_term * weight_b
    return grad[0] if unbatched else grad


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


def nll_loss(log_probs, targets, weight=None, ignore_index: int = -100, reduction: str = "mean"):
    """The value of :func:`nll_loss_forward`."""
    return nll_loss_forward(log_probs, targets, weight, ignore_index, reduction)[0]


def cross_entropy(
    logits,
    targets,
    weight=None,
    ignore_index: int = -100,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
):
    """The value of :func:`cross_entropy_forward`, like ``torch.nn.functional.cross_entropy``."""
    return cross_entropy_forward(logits, targets, weight, ignore_index, reduction, label_smoothing)[
        0
    ]
