"""Multi-class losses as stateless forward/backward pairs: NLL and softmax cross-entropy.

Each ``name_forward(scores, targets, weight, ignore_index, reduction, ...) -> (loss, cache)``
computes one unreduced loss ℓᵢ per sample and reduces it (:mod:`.reduction`);
``name_backward(grad_output, cache)`` is ``dL/dx = s ⊙ dℓ/dx``, s the reduction's scale.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .activation import _IEEE
from .reduction import (
    ReductionCache,
    _as_float_array,
    _loss_scalar,
    reduce_loss_backward,
    reduce_loss_forward,
)

__all__ = [
    "CrossEntropyCache",
    "NLLLossCache",
    "SoftmaxCrossEntropyCache",
    "cross_entropy",
    "cross_entropy_backward",
    "cross_entropy_forward",
    "nll_loss",
    "nll_loss_backward",
    "nll_loss_forward",
    "softmax_cross_entropy_backward",
    "softmax_cross_entropy_forward",
]


class NLLLossCache(NamedTuple):
    shape: tuple[int, ...]  # of the (batched) log-probabilities
    dtype: np.dtype
    index: np.ndarray  # (N, d1, ...): the target classes, ignored ones as 0
    sample_weight: np.ndarray | None  # w[yᵢ], 0 where ignored; None when all are 1
    ignored: np.ndarray | None  # where yᵢ = ignore_index; None when none is
    unbatched: bool  # the input was (C,)
    reduction: ReductionCache


class SoftmaxCrossEntropyCache(NamedTuple):
    """What the plain pair's backward needs: p = softmax(x) and the target classes."""

    probs: np.ndarray  # (N, C)
    targets: np.ndarray  # (N,), integers in [0, C)


class CrossEntropyCache(NamedTuple):
    """What the backward of cross-entropy needs; the target kind says which fields are set."""

    probs: np.ndarray  # p = softmax(x) over the classes, (N, C, d1, ...)
    unbatched: bool  # the input was (C,)
    reduction: ReductionCache
    # class-probability targets: w ⊙ t', the weighted smoothed targets (None for class indices)
    weighted_targets: np.ndarray | None = None
    # class-index targets (None for class probabilities):
    index: np.ndarray | None = None  # (N, d1, ...), ignored ones as 0
    sample_weight: np.ndarray | None = None  # w[yᵢ], 0 where ignored; None when all are 1
    ignored: np.ndarray | None = None  # where yᵢ = ignore_index; None when none is
    weight_b: np.ndarray | None = None  # the class weights as (1, C, 1, ...), or None
    smoothing: float = 0.0  # ε
    # the plain case (see _plain_cross_entropy): the cache of softmax_cross_entropy_forward
    plain: SoftmaxCrossEntropyCache | None = None


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


def _class_probability_targets(name: str, targets: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """Check batched class-probability targets (N, C, d1, ...) and return them in ``dtype``.

    Each sample's targets must be a distribution over the C classes (axis 1): no negative
    value, and a sum of 1 within C·eps of the coarser of the two dtypes (the rounding of C
    values summed), or all zeros: a sample that counts for nothing (it still counts in the
    mean's N, as in PyTorch). PyTorch documents the same rule but does not check it; anything
    else would give a loss and gradient that belong to no distribution, so it is refused here.
    """
    if targets.size == 0:
        return targets.astype(dtype, copy=False)
    n_classes = targets.shape[1]

    def where(position: tuple[int, ...]) -> str:
        sample = position[0] if len(position) == 1 else position
        return f"the targets of sample {sample}"

    if targets.min() < 0:  # NaN compares False here; the sums below catch it
        position = tuple(int(i) for i in np.argwhere(targets < 0)[0])
        raise ValueError(
            f"{name}: targets are class probabilities, but {where(position[:1] + position[2:])} "
            f"hold {float(targets[position]):.9g} at class {position[1]}; a probability cannot be "
            f"negative. Pass a distribution per sample, e.g. softmax of scores, or class indices "
            f"(integers) for hard labels."
        )
    sums = targets.sum(axis=1)
    tolerance = n_classes * max(np.finfo(targets.dtype).eps, np.finfo(dtype).eps)
    distribution = (np.abs(sums - 1) <= tolerance) | (sums == 0)
    if not distribution.all():
        position = tuple(int(i) for i in np.argwhere(~distribution)[0])
        total = sums[position]
        fix = (
            "they hold NaN or inf"
            if not np.isfinite(total)
            else f"they sum to {float(total):.9g}, not 1 (tolerance {float(tolerance):.3g})"
        )
        raise ValueError(
            f"{name}: targets are class probabilities, but {where(position)} are no "
            f"distribution over the {n_classes} classes: {fix}. Normalise each sample "
            f"(targets / targets.sum(axis=1, keepdims=True)); for several true labels per sample "
            f"(multi-hot rows) use BCEWithLogitsLoss; all zeros skip a sample."
        )
    return targets.astype(dtype, copy=False)


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
) -> tuple[np.floating | np.ndarray, NLLLossCache]:
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
    cache = NLLLossCache(
        log_probs.shape, log_probs.dtype, index, sample_weight, ignored, unbatched, reduce_cache
    )
    return loss, cache


def nll_loss_backward(grad_output: float | np.ndarray | None, cache: NLLLossCache) -> np.ndarray:
    """dℓᵢ/d(log pᵢ) = −w[yᵢ] at the target class and 0 elsewhere (0 for ignored targets)."""
    index = cache.index
    scale = _per_sample(reduce_loss_backward(grad_output, cache.reduction), index.shape)
    coefficient = _target_coefficient(scale, cache.sample_weight, cache.ignored, cache.dtype)
    grad = np.zeros(cache.shape, dtype=cache.dtype)
    _add_at_class(grad, index, -coefficient)
    return grad[0] if cache.unbatched else grad


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


def softmax_cross_entropy_forward(
    logits: np.ndarray, targets: np.ndarray
) -> tuple[np.floating, SoftmaxCrossEntropyCache]:
    """The mean softmax cross-entropy of class-index targets: the loss of every classifier.

    Math
    ----
    log pᵢ = log_softmax(xᵢ) over the C classes, and p = softmax(x), both from
    :func:`_log_softmax_and_softmax` (the stable log-softmax, max subtracted first)
    L = −(1/N) Σᵢ log pᵢ[yᵢ]        a scalar: the mean over the N rows of −log p at the target

    Shapes: logits (N, C); targets (N,) integers in [0, C); L a NumPy scalar of the logits'
    dtype. The cache holds p (N, C) and the targets for the backward. This is the plain path of
    :func:`cross_entropy_forward` (``CrossEntropyLoss()`` with its defaults), which checks the
    inputs first.
    """
    log_probs, probs = _log_softmax_and_softmax(logits)
    n = logits.shape[0]
    loss = -log_probs[np.arange(n), targets].sum() / n
    return loss, SoftmaxCrossEntropyCache(probs, targets)


def softmax_cross_entropy_backward(
    grad_output: float | np.floating, cache: SoftmaxCrossEntropyCache
) -> np.ndarray:
    """dL/dx of :func:`softmax_cross_entropy_forward`.

    Math
    ----
    s     = grad_output / N           the scale each row's loss receives from the mean
    dL/dx = s·(p − onehot(y))         (N, C), p = softmax(x) from the cache

    computed as p·s, then s subtracted at each row's target class (no one-hot matrix is
    built). grad_output is a scalar (1 for the loss itself).
    """
    probs, targets = cache.probs, cache.targets
    n = probs.shape[0]
    scale = grad_output / n
    grad = probs * scale
    grad[np.arange(n), targets] -= scale
    return grad


def _plain_cross_entropy(logits, index, reduction, weight_b, ignored, smoothing) -> bool:
    """Whether ``cross_entropy_forward``'s case is the plain pair's: (N, C) logits, class
    indices none of which is ignored, no class weights, no smoothing, the mean."""
    return (
        logits.ndim == 2 and reduction == "mean" and weight_b is None and ignored is None
        and smoothing == 0 and index.size > 0
    )


def cross_entropy_forward(
    logits: np.ndarray,
    targets: np.ndarray,
    weight: np.ndarray | None = None,
    ignore_index: int = -100,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
    *,
    name: str = "cross_entropy",
) -> tuple[np.floating | np.ndarray, CrossEntropyCache]:
    """Softmax cross-entropy of logits, with class-index or class-probability targets.

    With log pᵢ = log_softmax(xᵢ) over the classes, ε = label_smoothing, C classes and class
    weights w (all 1 without ``weight``):

    * class indices yᵢ (integers):
      ℓᵢ = (1 − ε)·w[yᵢ]·(−log pᵢ[yᵢ]) + (ε/C)·Σ_c w_c·(−log pᵢ_c),  ℓᵢ = 0 if yᵢ = ignore_index;
      ``'mean'`` divides by Σ w[yᵢ] over the targets that are not ignored.
    * class probabilities tᵢ (floats, the logits' shape), smoothed to t' = (1 − ε)·t + ε/C:
      ℓᵢ = −Σ_c w_c·t'ᵢ_c·log pᵢ_c;  ``'mean'`` divides by the number of samples N·d1·...
      (ignore_index does not apply). Each tᵢ must be a distribution (no negative value, a sum
      of 1; all zeros skip the sample), as PyTorch documents; PyTorch does not check it, this
      refuses it (see :func:`_class_probability_targets`).

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
    smoothing = float(label_smoothing)

    if kind == "probabilities":
        if ignore_index >= 0:
            raise ValueError(
                f"{name}: ignore_index applies to class-index targets only; with class-"
                f"probability targets leave it negative (the default is -100), and give a sample "
                f"you want to skip all-zero probabilities instead"
            )
        log_probs, probs = _log_softmax_and_softmax(logits)
        target_probs = _class_probability_targets(name, targets, dtype)
        if smoothing > 0:
            target_probs = target_probs * (1 - smoothing) + smoothing / n_classes
        weighted_targets = target_probs if weight_b is None else target_probs * weight_b
        unreduced = -(log_probs * weighted_targets).sum(axis=1)
        loss, reduce_cache = reduce_loss_forward(
            _unbatched_loss(unreduced, unbatched), reduction, name=name
        )
        return loss, CrossEntropyCache(probs, unbatched, reduce_cache, weighted_targets)

    index, sample_weight, ignored = _class_index_targets(
        name, targets, n_classes, class_weight, ignore_index, dtype
    )
    if not unbatched and _plain_cross_entropy(
        logits, index, reduction, weight_b, ignored, smoothing
    ):
        with np.errstate(over="ignore"):  # a total beyond the dtype's range is inf
            loss, plain = softmax_cross_entropy_forward(logits, index)
        # divisor 1: reduce_loss_backward only checks grad_output; the pair divides by N
        checker = ReductionCache("mean", index.shape, 1, dtype, name)
        return _loss_scalar(dtype, loss), CrossEntropyCache(
            plain.probs, False, checker, plain=plain
        )
    log_probs, probs = _log_softmax_and_softmax(logits)
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
    cache = CrossEntropyCache(
        probs, unbatched, reduce_cache, None, index, sample_weight, ignored, weight_b, smoothing
    )
    return loss, cache


def cross_entropy_backward(
    grad_output: float | np.ndarray | None, cache: CrossEntropyCache
) -> np.ndarray:
    """Gradient with respect to the logits, from the cached probabilities p = softmax(x).

    * class indices, no smoothing: dℓᵢ/dxᵢ = w[yᵢ]·(pᵢ − onehot(yᵢ)), computed as
      p·(s·w[y]) with s·w[y] subtracted at the target class; no one-hot matrix is built.
    * with label smoothing ε: dℓᵢ/dxᵢ = ((1 − ε)·w[yᵢ] + (ε/C)·Σ_c w_c)·pᵢ
      − (1 − ε)·w[yᵢ]·onehot(yᵢ) − (ε/C)·w; zero for ignored targets.
    * probabilities: dℓᵢ/dxᵢ = pᵢ·Σ_c w_c·t'ᵢ_c − w ⊙ t'ᵢ.

    Each is multiplied by the reduction's scale sᵢ. Shape: that of the logits.
    """
    probs, unbatched = cache.probs, cache.unbatched
    if cache.weighted_targets is not None:  # class-probability targets
        weighted_targets = cache.weighted_targets
        scale = _per_sample(
            reduce_loss_backward(grad_output, cache.reduction),
            weighted_targets.shape[:1] + weighted_targets.shape[2:],
        )
        grad = probs * weighted_targets.sum(axis=1, keepdims=True)
        grad -= weighted_targets
        grad *= _class_dim(scale)
        return grad[0] if unbatched else grad

    if cache.plain is not None:  # the plain case: the pair's own backward
        return softmax_cross_entropy_backward(
            reduce_loss_backward(grad_output, cache.reduction), cache.plain
        )

    # class-index targets
    index, sample_weight, ignored = cache.index, cache.sample_weight, cache.ignored
    weight_b, smoothing = cache.weight_b, cache.smoothing
    n_classes = probs.shape[1]
    scale = _per_sample(reduce_loss_backward(grad_output, cache.reduction), index.shape)
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
