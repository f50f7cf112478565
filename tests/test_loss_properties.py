"""Losses, property-based: hypothesis draws shapes, class counts and options; every drawn
configuration must pass a float64 gradient check and, where torch is installed, match PyTorch."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minitorch.nn.functional as F
from minitorch import nn
from minitorch.testing import gradcheck
from parity import HAVE_TORCH, relative_difference, torch, torch_tensor

REDUCTION = st.sampled_from(["mean", "sum", "none"])
SEED = st.integers(0, 2**16)


def _torch_loss_and_grad(cls: str, options: dict, predictions, targets, grad_output):
    options = {k: torch_tensor(v) if isinstance(v, np.ndarray) else v for k, v in options.items()}
    x = torch_tensor(predictions, requires_grad=True)
    value = getattr(torch.nn, cls)(**options)(x, torch_tensor(targets))
    value.backward(torch.ones_like(value) if grad_output is None else torch_tensor(grad_output))
    return value.detach().numpy(), x.grad.numpy()


def _check(cls: str, options: dict, predictions, targets, seed: int) -> None:
    """Gradient check, then (with torch) parity of the loss and of the gradient."""
    loss_fn = getattr(nn, cls)(**options)
    assert gradcheck(loss_fn, predictions, targets, atol=1e-7, rtol=1e-6)
    value = loss_fn(predictions, targets)
    grad_output = None
    if options.get("reduction") == "none":
        grad_output = np.random.default_rng(seed).standard_normal(np.shape(value))
    grad = loss_fn.backward(grad_output)
    assert grad.shape == np.shape(predictions) and np.all(np.isfinite(grad))
    if HAVE_TORCH:
        torch_value, torch_grad = _torch_loss_and_grad(
            cls, options, predictions, targets, grad_output
        )
        assert relative_difference(value, torch_value) <= 1e-10
        assert relative_difference(grad, torch_grad) <= 1e-10


@st.composite
def class_problems(draw, allow_probabilities: bool = True):
    """Logits (N, C, d...) or (C,), targets, and the options of a CrossEntropyLoss/NLLLoss."""
    n_classes = draw(st.integers(2, 5))
    unbatched = draw(st.booleans())
    extra = () if unbatched else tuple(draw(st.lists(st.integers(1, 3), max_size=2)))
    shape = (n_classes,) if unbatched else (draw(st.integers(1, 4)), n_classes, *extra)
    seed = draw(SEED)
    rng = np.random.default_rng(seed)
    logits = rng.standard_normal(shape) * draw(st.sampled_from([0.5, 2.0, 5.0]))
    options = {"reduction": draw(REDUCTION)}
    if draw(st.booleans()):
        options["weight"] = rng.uniform(0.2, 3.0, n_classes)
    class_axis = 0 if unbatched else 1
    if allow_probabilities and draw(st.booleans()):
        batch = tuple(np.delete(shape, class_axis))
        targets = np.moveaxis(rng.dirichlet(np.ones(n_classes), batch), -1, class_axis)
    else:
        index_shape = () if unbatched else (shape[0], *extra)
        targets = rng.integers(0, n_classes, index_shape)
        ignore_index = draw(st.sampled_from([-100, -1, 0]))
        options["ignore_index"] = ignore_index
        flat = targets.reshape(-1)
        n_ignored = draw(st.integers(0, flat.size - 1))  # keep one target: the mean is defined
        flat[rng.choice(flat.size, n_ignored, replace=False)] = ignore_index
        if ignore_index == 0 and not np.any(flat != 0):
            flat[0] = n_classes - 1
    return logits, targets, options, seed


@given(problem=class_problems(), smoothing=st.sampled_from([0.0, 0.0, 0.1, 0.5, 1.0]))
def test_cross_entropy_any_configuration(problem, smoothing):
    logits, targets, options, seed = problem
    _check("CrossEntropyLoss", {**options, "label_smoothing": smoothing}, logits, targets, seed)


@given(problem=class_problems(allow_probabilities=False))
def test_nll_any_configuration(problem):
    logits, targets, options, seed = problem
    log_probs = F.log_softmax(logits, dim=0 if logits.ndim == 1 else 1)
    _check("NLLLoss", options, log_probs, targets, seed)


@given(problem=class_problems(), smoothing=st.sampled_from([0.0, 0.3]))
def test_cross_entropy_gradient_rows_sum_to_zero_and_shift_invariance(problem, smoothing):
    """Softmax is invariant to adding a constant to a sample's logits: so is the loss, and each
    sample's gradient sums to 0 over the classes."""
    logits, targets, options, _ = problem
    loss_fn = nn.CrossEntropyLoss(**options, label_smoothing=smoothing)
    value = loss_fn(logits, targets)
    grad = loss_fn.backward()
    class_axis = 0 if logits.ndim == 1 else 1
    # The row sums cancel terms of size up to Σ_c w_c (times a scale s ≤ 1): round-off only.
    weight_total = options["weight"].sum() if "weight" in options else logits.shape[class_axis]
    assert np.all(np.abs(grad.sum(axis=class_axis)) <= 1e-14 * weight_total)
    shifted = logits + np.random.default_rng(0).uniform(
        -50, 50, np.shape(np.sum(logits, axis=class_axis, keepdims=True))
    )
    np.testing.assert_allclose(loss_fn(shifted, targets), value, rtol=1e-12, atol=1e-12)


SHAPES = st.lists(st.integers(1, 4), min_size=1, max_size=3).map(tuple)


@st.composite
def elementwise_weight(draw, shape, rng):
    """None, or a weight of the full shape, of the last axis, or of the first axis (N, 1, ...)."""
    kind = draw(st.sampled_from(["none", "full", "last", "first"]))
    if kind == "none":
        return None
    if kind == "full":
        return rng.uniform(0.2, 2.0, shape)
    if kind == "last":
        return rng.uniform(0.2, 2.0, shape[-1:])
    return rng.uniform(0.2, 2.0, (shape[0],) + (1,) * (len(shape) - 1))


@given(data=st.data(), shape=SHAPES, reduction=REDUCTION, seed=SEED)
def test_bce_any_configuration(data, shape, reduction, seed):
    rng = np.random.default_rng(seed)
    probabilities = rng.uniform(0.02, 0.98, shape)
    targets = (
        rng.uniform(0, 1, shape) if data.draw(st.booleans()) else rng.integers(0, 2, shape) * 1.0
    )
    options = {"reduction": reduction, "weight": data.draw(elementwise_weight(shape, rng))}
    _check("BCELoss", options, probabilities, targets, seed)


@given(data=st.data(), shape=SHAPES, reduction=REDUCTION, seed=SEED)
def test_bce_with_logits_any_configuration(data, shape, reduction, seed):
    rng = np.random.default_rng(seed)
    logits = rng.standard_normal(shape) * data.draw(st.sampled_from([1.0, 4.0, 20.0]))
    targets = rng.uniform(0, 1, shape)
    options = {
        "reduction": reduction,
        "weight": data.draw(elementwise_weight(shape, rng)),
        "pos_weight": rng.uniform(0.2, 4.0, shape[-1:]) if data.draw(st.booleans()) else None,
    }
    _check("BCEWithLogitsLoss", options, logits, targets, seed)


@given(
    shape=SHAPES,
    reduction=REDUCTION,
    seed=SEED,
    loss=st.sampled_from(
        [("MSELoss", None), ("L1Loss", None), ("HuberLoss", 1.0), ("HuberLoss", 0.3)]
    ),
)
def test_regression_any_configuration(shape, reduction, seed, loss):
    cls, delta = loss
    rng = np.random.default_rng(seed)
    targets = rng.standard_normal(shape)
    # errors of magnitude in [0.1, 2.5], away from the kinks of |d| at 0 and of Huber at |d| = δ
    magnitude = rng.uniform(0.1, 2.5, shape)
    if delta is not None:
        magnitude = np.where(np.abs(magnitude - delta) < 0.05, delta + 0.1, magnitude)
    predictions = targets + magnitude * rng.choice([-1.0, 1.0], shape)
    options = (
        {"reduction": reduction} if delta is None else {"reduction": reduction, "delta": delta}
    )
    _check(cls, options, predictions, targets, seed)


@given(shape=SHAPES, seed=SEED, extreme=st.sampled_from([1e3, 1e4, 1e6]))
def test_extreme_logits_never_overflow(shape, seed, extreme):
    """Logits drawn from {−e, 0, e}: every loss and gradient finite, in float64 and float32."""
    rng = np.random.default_rng(seed)
    for dtype in (np.float64, np.float32):
        logits = rng.choice([-extreme, 0.0, extreme], shape).astype(dtype)
        bce = nn.BCEWithLogitsLoss(pos_weight=np.full(shape[-1:], 2.0))
        assert np.isfinite(bce(logits, rng.uniform(0, 1, shape)))
        assert np.all(np.isfinite(bce.backward()))
        if len(shape) >= 2 or shape[0] >= 2:
            ce = nn.CrossEntropyLoss(label_smoothing=0.1)
            targets = rng.integers(
                0,
                shape[1] if len(shape) >= 2 else shape[0],
                (shape[0], *shape[2:]) if len(shape) >= 2 else (),
            )
            value = ce(logits, targets)
            assert np.isfinite(value) and value.dtype == dtype
            assert np.all(np.isfinite(ce.backward()))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_bce_exact_zero_and_one_for_every_target(dtype):
    probabilities = np.array([0.0, 1.0] * 3, dtype=dtype)
    targets = np.repeat(np.array([0.0, 0.5, 1.0]), 2)
    for reduction in ("mean", "sum", "none"):
        bce = nn.BCELoss(reduction=reduction)
        value = bce(probabilities, targets)
        assert np.all(np.isfinite(value)) and np.all(np.isfinite(bce.backward()))
