"""Losses: PyTorch parity for every loss, reduction and option; gradient checks; extreme inputs;
the Loss contract; and every error message."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pytest

import minitorch
import minitorch.nn.functional as F
from minitorch import nn
from minitorch.testing import gradcheck
from parity import assert_matches_torch, torch, torch_tensor

REDUCTIONS = ("mean", "sum", "none")
N, C = 5, 4


# ---------------------------------------------------------------------------- inputs
def _rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


def regression_inputs(seed: int = 0, shape=(N, 3)):
    rng = _rng(seed)
    return rng.standard_normal(shape) * 2, rng.standard_normal(shape)


def probability_inputs(seed: int = 1, shape=(N, C)):
    rng = _rng(seed)
    return rng.uniform(0.05, 0.95, shape), rng.uniform(0, 1, shape)


def logit_inputs(seed: int = 2, shape=(N, C)):
    rng = _rng(seed)
    return rng.standard_normal(shape) * 3, (rng.uniform(size=shape) < 0.5).astype(np.float64)


def class_index_inputs(seed: int = 3, shape=(N, C), ignored: int = 0, ignore_index: int = -100):
    """Logits of ``shape`` and integer targets of shape (N, d1, ...), some set to ignore_index."""
    rng = _rng(seed)
    logits = rng.standard_normal(shape) * 2
    index_shape = () if len(shape) == 1 else (shape[0], *shape[2:])
    targets = rng.integers(0, shape[0 if len(shape) == 1 else 1], index_shape)
    if ignored:
        flat = targets.reshape(-1)  # a view
        flat[rng.choice(flat.size, ignored, replace=False)] = ignore_index
    return logits, targets


def probability_target_inputs(seed: int = 4, shape=(N, C)):
    rng = _rng(seed)
    logits = rng.standard_normal(shape) * 2
    class_axis = 0 if len(shape) == 1 else 1
    targets = np.moveaxis(
        rng.dirichlet(np.ones(shape[class_axis]), tuple(np.delete(shape, class_axis))),
        -1,
        class_axis,
    )
    return logits, targets


def log_prob_inputs(seed: int = 5, shape=(N, C), ignored: int = 0):
    logits, targets = class_index_inputs(seed, shape, ignored)
    axis = 0 if len(shape) == 1 else 1
    return F.log_softmax(logits, dim=axis), targets


CLASS_WEIGHT = np.array([0.5, 2.0, 1.0, 3.0])


# ---------------------------------------------------------------------------- cases
@dataclass
class Case:
    """One loss configuration; the same class name and options are given to torch.nn."""

    name: str
    cls: str
    inputs: Callable[[], tuple[np.ndarray, np.ndarray]]
    options: dict = field(default_factory=dict)
    gradcheck: bool = True  # False where the loss is NaN or sits on a kink

    def make(self, reduction: str) -> nn.Loss:
        return getattr(nn, self.cls)(reduction=reduction, **self.options)

    def torch_module(self, reduction: str):
        options = {
            key: torch_tensor(value) if isinstance(value, np.ndarray) else value
            for key, value in self.options.items()
        }
        return getattr(torch.nn, self.cls)(reduction=reduction, **options)


def _extreme_logits(shape=(4, C)):
    logits = _rng(6).choice([-1e4, 1e4, 0.0, 3.0], size=shape)
    logits[(0, slice(None), *([0] * (len(shape) - 2)))] = [1e4, -1e4, -1e4, 1e4]
    return logits


CASES = [
    # regression
    Case("mse", "MSELoss", regression_inputs),
    Case("mse_3d", "MSELoss", lambda: regression_inputs(shape=(2, 3, 2))),
    Case("l1", "L1Loss", regression_inputs),
    Case(
        "l1_ties",  # sign(0) = 0 where prediction equals target
        "L1Loss",
        lambda: (np.array([[1.0, 2.0, -3.0]]), np.array([[1.0, 0.0, -3.0]])),
        gradcheck=False,
    ),
    Case("huber", "HuberLoss", regression_inputs),
    Case("huber_delta_0.5", "HuberLoss", regression_inputs, {"delta": 0.5}),
    Case("huber_delta_3", "HuberLoss", regression_inputs, {"delta": 3.0}),
    # binary cross-entropy on probabilities
    Case("bce", "BCELoss", probability_inputs),
    Case("bce_weight", "BCELoss", probability_inputs, {"weight": np.array([1.0, 0.5, 2.0, 0.0])}),
    Case(
        "bce_weight_per_sample",
        "BCELoss",
        probability_inputs,
        {"weight": np.linspace(0.5, 2, N)[:, None]},
    ),
    Case("bce_1d", "BCELoss", lambda: probability_inputs(shape=(7,))),
    Case(
        "bce_exact_0_1",  # log clamped at -100, gradient divided by max(x(1-x), 1e-12)
        "BCELoss",
        lambda: (
            np.array([0.0, 1.0, 0.0, 1.0, 0.0, 1.0, 1e-13, 1 - 1e-13]),
            np.array([0.0, 1.0, 1.0, 0.0, 0.3, 0.7, 0.5, 0.5]),
        ),
        gradcheck=False,
    ),
    # binary cross-entropy on logits
    Case("bce_logits", "BCEWithLogitsLoss", logit_inputs),
    Case("bce_logits_soft_targets", "BCEWithLogitsLoss", probability_inputs),
    Case(
        "bce_logits_weight",
        "BCEWithLogitsLoss",
        logit_inputs,
        {"weight": np.array([1.0, 0.5, 2.0, 0.0])},
    ),
    Case(
        "bce_logits_pos_weight",
        "BCEWithLogitsLoss",
        logit_inputs,
        {"pos_weight": np.array([1.0, 3.0, 0.5, 2.0])},
    ),
    Case(
        "bce_logits_weight_pos_weight",
        "BCEWithLogitsLoss",
        probability_inputs,
        {"weight": np.linspace(0.5, 2, N)[:, None], "pos_weight": np.array([1.0, 3.0, 0.5, 2.0])},
    ),
    Case(
        "bce_logits_extreme",
        "BCEWithLogitsLoss",
        lambda: (_extreme_logits(), _rng(7).uniform(size=(4, C))),
        {"pos_weight": np.array([1.0, 3.0, 0.5, 2.0])},
        gradcheck=False,
    ),
    # NLL on log-probabilities
    Case("nll", "NLLLoss", log_prob_inputs),
    Case("nll_weight", "NLLLoss", log_prob_inputs, {"weight": CLASS_WEIGHT}),
    Case("nll_ignore", "NLLLoss", lambda: log_prob_inputs(ignored=2)),
    Case(
        "nll_weight_ignore", "NLLLoss", lambda: log_prob_inputs(ignored=2), {"weight": CLASS_WEIGHT}
    ),
    Case(
        "nll_ignore_index_1",  # an ignore_index that is also a valid class
        "NLLLoss",
        lambda: (log_prob_inputs()[0], np.array([1, 0, 1, 3, 2])),
        {"ignore_index": 1, "weight": CLASS_WEIGHT},
    ),
    Case(
        "nll_kdim",
        "NLLLoss",
        lambda: log_prob_inputs(shape=(2, C, 3, 2), ignored=3),
        {"weight": CLASS_WEIGHT},
    ),
    Case("nll_unbatched", "NLLLoss", lambda: log_prob_inputs(shape=(C,)), {"weight": CLASS_WEIGHT}),
    # cross-entropy, class indices
    Case("ce", "CrossEntropyLoss", class_index_inputs),
    Case("ce_weight", "CrossEntropyLoss", class_index_inputs, {"weight": CLASS_WEIGHT}),
    Case("ce_ignore", "CrossEntropyLoss", lambda: class_index_inputs(ignored=2)),
    Case(
        "ce_weight_ignore",
        "CrossEntropyLoss",
        lambda: class_index_inputs(ignored=2),
        {"weight": CLASS_WEIGHT},
    ),
    Case(
        "ce_ignore_index_0",
        "CrossEntropyLoss",
        lambda: (class_index_inputs()[0], np.array([0, 2, 0, 3, 1])),
        {"ignore_index": 0, "label_smoothing": 0.2},
    ),
    Case("ce_smoothing", "CrossEntropyLoss", class_index_inputs, {"label_smoothing": 0.1}),
    Case(
        "ce_smoothing_weight",
        "CrossEntropyLoss",
        class_index_inputs,
        {"label_smoothing": 0.3, "weight": CLASS_WEIGHT},
    ),
    Case(
        "ce_smoothing_ignore",
        "CrossEntropyLoss",
        lambda: class_index_inputs(ignored=2),
        {"label_smoothing": 0.25},
    ),
    Case(
        "ce_smoothing_weight_ignore",
        "CrossEntropyLoss",
        lambda: class_index_inputs(ignored=2),
        {"label_smoothing": 0.3, "weight": CLASS_WEIGHT},
    ),
    Case(
        "ce_smoothing_1",
        "CrossEntropyLoss",
        class_index_inputs,
        {"label_smoothing": 1.0, "weight": CLASS_WEIGHT},
    ),
    Case(
        "ce_kdim",
        "CrossEntropyLoss",
        lambda: class_index_inputs(shape=(2, C, 3)),
        {"weight": CLASS_WEIGHT},
    ),
    Case(
        "ce_kdim2_smoothing_weight_ignore",
        "CrossEntropyLoss",
        lambda: class_index_inputs(shape=(2, C, 3, 2), ignored=3),
        {"weight": CLASS_WEIGHT, "label_smoothing": 0.2},
    ),
    Case(
        "ce_unbatched",
        "CrossEntropyLoss",
        lambda: class_index_inputs(shape=(C,)),
        {"weight": CLASS_WEIGHT},
    ),
    Case(
        "ce_unbatched_smoothing",
        "CrossEntropyLoss",
        lambda: class_index_inputs(shape=(C,)),
        {"weight": CLASS_WEIGHT, "label_smoothing": 0.2},
    ),
    Case(
        "ce_all_ignored",  # the weighted mean of nothing: NaN, with a zero gradient, as PyTorch
        "CrossEntropyLoss",
        lambda: class_index_inputs(ignored=N),
        {"label_smoothing": 0.1},
        gradcheck=False,
    ),
    Case(
        "ce_zero_weight_targets",  # total weight 0 although nothing is ignored: NaN everywhere
        "CrossEntropyLoss",
        lambda: (class_index_inputs()[0], np.array([0, 0, 2, 0, -100])),
        {"weight": np.array([0.0, 1.0, 0.0, 1.0]), "label_smoothing": 0.1},
        gradcheck=False,
    ),
    Case(
        "ce_extreme",
        "CrossEntropyLoss",
        lambda: (_extreme_logits(), np.array([0, 1, 2, 3])),
        {"weight": CLASS_WEIGHT, "label_smoothing": 0.1},
        gradcheck=False,
    ),
    Case(
        "ce_extreme_kdim",
        "CrossEntropyLoss",
        lambda: (_extreme_logits((2, C, 3)), _rng(8).integers(0, C, (2, 3))),
        gradcheck=False,
    ),
    # cross-entropy, class probabilities
    Case("ce_prob", "CrossEntropyLoss", probability_target_inputs),
    Case("ce_prob_weight", "CrossEntropyLoss", probability_target_inputs, {"weight": CLASS_WEIGHT}),
    Case(
        "ce_prob_smoothing", "CrossEntropyLoss", probability_target_inputs, {"label_smoothing": 0.2}
    ),
    Case(
        "ce_prob_smoothing_weight",
        "CrossEntropyLoss",
        probability_target_inputs,
        {"label_smoothing": 0.2, "weight": CLASS_WEIGHT},
    ),
    Case(
        "ce_prob_kdim",
        "CrossEntropyLoss",
        lambda: probability_target_inputs(shape=(2, C, 3)),
        {"label_smoothing": 0.1, "weight": CLASS_WEIGHT},
    ),
    Case(
        "ce_prob_unbatched",
        "CrossEntropyLoss",
        lambda: probability_target_inputs(shape=(C,)),
        {"weight": CLASS_WEIGHT},
    ),
    Case(
        "ce_prob_extreme",
        "CrossEntropyLoss",
        lambda: (_extreme_logits(), probability_target_inputs(shape=(4, C))[1]),
        {"label_smoothing": 0.1},
        gradcheck=False,
    ),
]
IDS = [case.name for case in CASES]


def _grad_output(reduction: str, loss_shape: tuple[int, ...]):
    """None (the default 1) for 'mean', a scalar multiplier for 'sum', a random array for 'none'."""
    if reduction == "mean":
        return None
    if reduction == "sum":
        return 0.7
    return _rng(99).standard_normal(loss_shape)


# ---------------------------------------------------------------------------- parity
@pytest.mark.parity
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_loss_matches_torch(case: Case, reduction: str):
    predictions, targets = case.inputs()
    loss_fn = case.make(reduction)
    loss = loss_fn(predictions, targets)
    grad_output = _grad_output(reduction, np.shape(loss))
    grad = loss_fn.backward(grad_output)
    assert grad.shape == predictions.shape and grad.dtype == np.float64
    if reduction == "none":
        assert isinstance(loss, np.ndarray)
    else:
        assert isinstance(loss, np.float64)

    def reference():
        x = torch_tensor(predictions, requires_grad=True)
        value = case.torch_module(reduction)(x, torch_tensor(targets))
        upstream = torch.ones_like(value) if grad_output is None else torch_tensor(grad_output)
        value.backward(upstream)
        return {"loss": value, "grad": x.grad}

    assert_matches_torch(f"loss_{case.name}_{reduction}", {"loss": loss, "grad": grad}, reference)


@pytest.mark.parity
@pytest.mark.parametrize(
    "case", [c for c in CASES if "extreme" in c.name or "exact" in c.name], ids=lambda c: c.name
)
def test_extreme_inputs_stay_finite(case: Case):
    predictions, targets = case.inputs()
    for reduction in REDUCTIONS:
        loss_fn = case.make(reduction)
        loss = loss_fn(predictions, targets)
        grad = loss_fn.backward(_grad_output(reduction, np.shape(loss)))
        assert np.all(np.isfinite(loss)) and np.all(np.isfinite(grad))
        # and in float32, the default dtype
        loss_fn = case.make(reduction)
        loss32 = loss_fn(predictions.astype(np.float32), targets)
        grad32 = loss_fn.backward()
        assert np.all(np.isfinite(loss32)) and np.all(np.isfinite(grad32))
        assert grad32.dtype == np.float32
        if "logits" in case.name or case.cls == "CrossEntropyLoss":  # ±1e4 is exact in float32
            np.testing.assert_allclose(loss32, loss, rtol=1e-5)


def test_extreme_logits_exact_values():
    """At ±1e4 the softmax is one-hot: the loss is the logit gap, the gradient p − onehot."""
    logits = np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 1e4]])
    loss_fn = nn.CrossEntropyLoss(reduction="none")
    np.testing.assert_array_equal(loss_fn(logits, np.array([1, 1])), [2e4, np.log(2)])
    np.testing.assert_array_equal(loss_fn.backward(), [[1.0, -1.0, 0.0], [0.0, -0.5, 0.5]])
    bce = nn.BCEWithLogitsLoss(reduction="none")
    np.testing.assert_array_equal(
        bce(np.array([1e4, -1e4, 1e4, -1e4]), np.array([1.0, 0, 0, 1])), [0, 0, 1e4, 1e4]
    )
    np.testing.assert_array_equal(bce.backward(), [0.0, 0.0, 1.0, -1.0])


def test_bce_clamps_log_at_minus_100():
    bce = nn.BCELoss(reduction="none")
    np.testing.assert_array_equal(
        bce(np.array([0.0, 1.0, 0.0]), np.array([1.0, 0.0, 0.0])), [100.0, 100.0, 0.0]
    )
    grad = bce.backward()
    assert np.all(np.isfinite(grad)) and grad[0] < -1e11 and grad[1] > 1e11 and grad[2] == 0


# ---------------------------------------------------------------------------- gradient checks
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("case", [c for c in CASES if c.gradcheck], ids=lambda c: c.name)
def test_loss_gradcheck(case: Case, reduction: str):
    predictions, targets = case.inputs()
    report = gradcheck(case.make(reduction), predictions, targets, atol=1e-7, rtol=1e-6)
    assert report.ok and report.rows[0].name == "input" and len(report.rows) == 1


# ---------------------------------------------------------------------------- the contract
@pytest.mark.parametrize("case", [c for c in CASES if c.gradcheck][::2], ids=lambda c: c.name)
def test_loss_contract(case: Case):
    predictions, targets = case.inputs()
    loss_fn = case.make("mean")
    assert isinstance(loss_fn, nn.Loss) and isinstance(loss_fn, nn.Module)
    assert loss_fn.parameters() == [] and loss_fn.grads() == []
    with pytest.raises(RuntimeError, match=rf"{case.cls}\.backward\(\) was called before forward"):
        loss_fn.backward()
    loss = loss_fn(predictions, targets)
    assert loss == loss_fn.forward(predictions, targets)
    assert float(loss) == loss.item() == loss
    grad = loss_fn.backward()
    np.testing.assert_array_equal(loss_fn.backward(1.0), grad)
    tiny = 1e-15 * np.abs(grad).max()  # the scale is applied before cancellations
    np.testing.assert_allclose(loss_fn.backward(2.5), 2.5 * grad, rtol=1e-15, atol=tiny)
    np.testing.assert_allclose(loss_fn.backward(np.float64(-1)), -grad, rtol=1e-15, atol=tiny)


@pytest.mark.parametrize("case", [c for c in CASES if c.gradcheck], ids=lambda c: c.name)
def test_reductions_agree(case: Case):
    """'none' with grad_output = ones is 'sum'; 'mean' is 'sum' divided by the mean's divisor."""
    predictions, targets = case.inputs()
    losses, grads = {}, {}
    for reduction in REDUCTIONS:
        loss_fn = case.make(reduction)
        losses[reduction] = loss_fn(predictions, targets)
        grads[reduction] = loss_fn.backward()
    np.testing.assert_allclose(losses["none"].sum(), losses["sum"], rtol=1e-14)
    np.testing.assert_array_equal(grads["none"], grads["sum"])
    divisor = losses["sum"] / losses["mean"]
    np.testing.assert_allclose(grads["mean"] * divisor, grads["sum"], rtol=1e-12, atol=1e-15)
    none_fn = case.make("none")
    none_fn(predictions, targets)
    np.testing.assert_array_equal(none_fn.backward(np.ones(np.shape(losses["none"]))), grads["sum"])


@pytest.mark.parametrize("case", CASES[::2], ids=lambda c: c.name)
def test_float32_in_float32_out(case: Case):
    predictions, targets = case.inputs()
    predictions = predictions.astype(np.float32)
    for reduction in REDUCTIONS:
        loss_fn = case.make(reduction)
        loss = loss_fn(predictions, targets)
        grad = loss_fn.backward(
            None if reduction != "none" else np.ones(np.shape(loss), np.float32)
        )
        assert np.asarray(loss).dtype == np.float32 and grad.dtype == np.float32
        if reduction != "none":
            assert isinstance(loss, np.float32)


def test_float32_class_weight_with_float64_logits_keeps_float64():
    logits, targets = class_index_inputs()
    loss_fn = nn.CrossEntropyLoss(weight=CLASS_WEIGHT.astype(np.float32))
    assert isinstance(loss_fn(logits, targets), np.float64)
    assert loss_fn.backward().dtype == np.float64


def test_integer_targets_for_regression_and_bce_are_cast():
    predictions = np.array([[0.2, 0.9], [0.6, 0.1]], dtype=np.float32)
    labels = np.array([[0, 1], [1, 0]])
    for loss_fn in (nn.MSELoss(), nn.BCELoss(), nn.BCEWithLogitsLoss()):
        expected = type(loss_fn)()(predictions, labels.astype(np.float32))
        assert loss_fn(predictions, labels) == expected
        assert loss_fn.backward().dtype == np.float32


def test_unbatched_shapes():
    logits, target = class_index_inputs(shape=(C,))
    loss_fn = nn.CrossEntropyLoss(reduction="none")
    loss = loss_fn(logits, target)
    assert isinstance(loss, np.ndarray) and loss.shape == ()
    assert loss_fn.backward(np.array(2.0)).shape == (C,)
    np.testing.assert_allclose(
        loss_fn.backward(np.array(2.0)), 2 * (F.softmax(logits) - np.eye(C)[target]), rtol=1e-14
    )


def test_cross_entropy_is_log_softmax_then_nll():
    logits, targets = class_index_inputs(shape=(6, C, 2), ignored=2)
    ce, nll = nn.CrossEntropyLoss(weight=CLASS_WEIGHT), nn.NLLLoss(weight=CLASS_WEIGHT)
    log_softmax = nn.LogSoftmax(dim=1)
    np.testing.assert_allclose(ce(logits, targets), nll(log_softmax(logits), targets), rtol=1e-14)
    np.testing.assert_allclose(
        ce.backward(), log_softmax.backward(nll.backward()), rtol=1e-13, atol=1e-16
    )


def test_one_hot_probabilities_equal_class_indices():
    """With one-hot probabilities the two target forms agree (for 'mean' only without class
    weights: indices divide by the summed target weights, probabilities by N)."""
    logits, targets = class_index_inputs()
    one_hot = np.eye(C)[targets]
    for options in ({}, {"weight": CLASS_WEIGHT, "reduction": "sum"}, {"label_smoothing": 0.2}):
        by_index, by_prob = nn.CrossEntropyLoss(**options), nn.CrossEntropyLoss(**options)
        np.testing.assert_allclose(by_index(logits, targets), by_prob(logits, one_hot), rtol=1e-14)
        np.testing.assert_allclose(by_index.backward(), by_prob.backward(), rtol=1e-13, atol=1e-16)


def test_cross_entropy_accepts_any_integer_dtype_and_leaves_inputs_alone():
    logits, targets = class_index_inputs(ignored=1)
    logits_copy, targets_copy = logits.copy(), targets.copy()
    reference = nn.CrossEntropyLoss()(logits, targets)
    for dtype in (np.int8, np.int32, np.uint8 if targets.min() >= 0 else np.int16):
        assert nn.CrossEntropyLoss()(logits, targets.astype(dtype)) == reference
    loss_fn = nn.CrossEntropyLoss(label_smoothing=0.1)
    loss_fn(logits, targets)
    loss_fn.backward()
    loss_fn.backward()  # twice from one forward: the cache is not consumed
    np.testing.assert_array_equal(logits, logits_copy)
    np.testing.assert_array_equal(targets, targets_copy)


def test_backward_can_be_called_twice_with_the_same_result():
    for case in CASES:
        predictions, targets = case.inputs()
        loss_fn = case.make("none")
        loss_fn(predictions, targets)
        g = _grad_output("none", np.shape(loss_fn(predictions, targets)))
        np.testing.assert_array_equal(loss_fn.backward(g), loss_fn.backward(g))


def test_functional_values_equal_modules():
    x, y = regression_inputs()
    assert F.mse_loss(x, y) == nn.MSELoss()(x, y)
    assert F.l1_loss(x, y, "sum") == nn.L1Loss("sum")(x, y)
    assert F.huber_loss(x, y, delta=0.5) == nn.HuberLoss(delta=0.5)(x, y)
    p, t = probability_inputs()
    assert F.binary_cross_entropy(p, t, CLASS_WEIGHT) == nn.BCELoss(CLASS_WEIGHT)(p, t)
    assert F.binary_cross_entropy_with_logits(
        p, t, pos_weight=CLASS_WEIGHT
    ) == nn.BCEWithLogitsLoss(pos_weight=CLASS_WEIGHT)(p, t)
    logits, targets = class_index_inputs(ignored=1)
    assert F.cross_entropy(
        logits, targets, CLASS_WEIGHT, label_smoothing=0.1
    ) == nn.CrossEntropyLoss(CLASS_WEIGHT, label_smoothing=0.1)(logits, targets)
    assert F.nll_loss(logits, targets, reduction="sum") == nn.NLLLoss(reduction="sum")(
        logits, targets
    )


def test_functional_pair_in_a_weight_sharing_style():
    """Two forward calls keep two caches; each backward uses its own."""
    logits_a, targets_a = class_index_inputs(seed=10)
    logits_b, targets_b = class_index_inputs(seed=11)
    loss_a, cache_a = F.cross_entropy_forward(logits_a, targets_a)
    loss_b, cache_b = F.cross_entropy_forward(logits_b, targets_b)
    module = nn.CrossEntropyLoss()
    assert module(logits_a, targets_a) == loss_a
    np.testing.assert_array_equal(F.cross_entropy_backward(None, cache_a), module.backward())
    assert module(logits_b, targets_b) == loss_b
    np.testing.assert_array_equal(F.cross_entropy_backward(None, cache_b), module.backward())
    for name in ("cross_entropy_forward", "nll_loss_backward", "reduce_loss_forward", "mse_loss"):
        assert name in F.__all__


def test_reduce_loss_pair():
    unreduced = np.array([[1.0, 2.0], [3.0, 6.0]])
    value, cache = F.reduce_loss_forward(unreduced, "mean")
    assert value == 3.0 and F.reduce_loss_backward(None, cache) == 0.25
    value, cache = F.reduce_loss_forward(unreduced, "mean", divisor=2.0)
    assert value == 6.0 and F.reduce_loss_backward(3.0, cache) == 1.5
    value, cache = F.reduce_loss_forward(unreduced, "sum")
    assert value == 12.0 and F.reduce_loss_backward(None, cache) == 1.0
    value, cache = F.reduce_loss_forward(unreduced, "none")
    assert value is unreduced and F.reduce_loss_backward(None, cache) == 1.0
    np.testing.assert_array_equal(F.reduce_loss_backward(unreduced, cache), unreduced)
    value, _ = F.reduce_loss_forward(unreduced, "mean", divisor=0.0)
    assert np.isnan(value)


def test_repr():
    assert repr(nn.MSELoss()) == "MSELoss(reduction='mean')"
    assert repr(nn.HuberLoss(delta=2)) == "HuberLoss(reduction='mean', delta=2.0)"
    assert repr(nn.CrossEntropyLoss(label_smoothing=0.1)) == (
        "CrossEntropyLoss(reduction='mean', ignore_index=-100, label_smoothing=0.1)"
    )


def test_training_step_reduces_the_loss():
    """One model, one loss, a few SGD steps by hand: the loop the README shows."""
    rng = _rng(12)
    x = rng.standard_normal((32, 3)).astype(np.float32)
    labels = (x @ np.array([1.0, -2.0, 0.5]) > 0).astype(np.int64)
    model = nn.Linear(3, 2)
    loss_fn = nn.CrossEntropyLoss()
    with minitorch.no_grad():  # a forward with no backward after it
        first = float(loss_fn(model(x), labels))
    for _ in range(50):
        loss_fn(model(x), labels)
        model.zero_grad()
        model.backward(loss_fn.backward())
        for param, grad in zip(model.parameters(), model.grads(), strict=True):
            param -= 0.5 * grad
    assert float(loss_fn(model(x), labels)) < 0.5 * first


# ---------------------------------------------------------------------------- errors
@pytest.mark.parametrize("cls", ["MSELoss", "L1Loss", "HuberLoss", "BCELoss", "BCEWithLogitsLoss"])
def test_shape_mismatch_raises_instead_of_broadcasting(cls):
    loss_fn = getattr(nn, cls)()
    predictions = np.full((4, 1), 0.5)
    with pytest.raises(
        ValueError, match=rf"{cls}: predictions have shape \(4, 1\) but targets have shape \(4,\)"
    ) as info:
        loss_fn(predictions, np.full(4, 0.5))
    assert "targets.reshape((4, 1))" in str(info.value)
    with pytest.raises(ValueError, match="different numbers of values"):
        loss_fn(predictions, np.full(3, 0.5))


def test_reduction_must_be_known():
    for cls in (
        "MSELoss",
        "L1Loss",
        "HuberLoss",
        "BCELoss",
        "BCEWithLogitsLoss",
        "NLLLoss",
        "CrossEntropyLoss",
    ):
        with pytest.raises(
            ValueError, match=rf"{cls}: reduction must be one of 'mean', 'sum' or 'none', got 'avg'"
        ):
            getattr(nn, cls)(reduction="avg")
    with pytest.raises(ValueError, match="reduction must be one of"):
        F.mse_loss(np.zeros(2), np.zeros(2), reduction="elementwise_mean")


def test_grad_output_must_fit_the_reduction():
    loss_fn = nn.MSELoss()
    loss_fn(np.zeros((3, 2)), np.ones((3, 2)))
    with pytest.raises(
        ValueError,
        match=r"MSELoss.backward: with reduction='mean' the loss is a scalar.*shape \(3, 2\)",
    ):
        loss_fn.backward(np.ones((3, 2)))
    loss_fn = nn.CrossEntropyLoss(reduction="none")
    loss_fn(*class_index_inputs())
    with pytest.raises(
        ValueError,
        match=(
            r"CrossEntropyLoss.backward: with reduction='none' the loss has shape "
            r"\(5,\).*got \(5, 4\)"
        ),
    ):
        loss_fn.backward(np.ones((N, C)))


def test_predictions_follow_the_input_policy():
    # integers are the numbers they are, computed in the default float dtype (as every layer)
    assert nn.MSELoss()(np.array([1, 2]), np.array([1.0, 4.0])) == np.float32(2.0)
    with pytest.raises(TypeError, match=r"MSELoss expects real numbers as its predictions"):
        nn.MSELoss()(np.array([1 + 1j, 2]), np.array([1.0, 2.0]))
    with pytest.raises(TypeError, match="CrossEntropyLoss expects real numbers as its logits"):
        nn.CrossEntropyLoss()(np.array([["a", "b"]]), np.array([0]))


def test_bce_rejects_values_outside_0_1():
    with pytest.raises(
        ValueError, match=r"BCELoss expects probabilities in \[0, 1\].*-2 to 3.*BCEWithLogitsLoss"
    ):
        nn.BCELoss()(np.array([-2.0, 0.5, 3.0]), np.array([0.0, 1.0, 1.0]))
    with pytest.raises(ValueError, match="BCEWithLogitsLoss"):
        nn.BCELoss()(np.array([0.5, np.nan]), np.array([0.0, 1.0]))


def test_elementwise_weight_must_broadcast():
    with pytest.raises(
        ValueError,
        match=(
            r"BCELoss: weight of shape \(3,\) does not broadcast to the predictions'"
            r" shape \(5, 4\)"
        ),
    ):
        nn.BCELoss(weight=np.ones(3))(*probability_inputs())
    with pytest.raises(
        ValueError, match=r"BCEWithLogitsLoss: pos_weight of shape \(2, 5, 4\) does not broadcast"
    ):
        nn.BCEWithLogitsLoss(pos_weight=np.ones((2, N, C)))(*logit_inputs())


def test_cross_entropy_float_class_indices():
    logits, targets = class_index_inputs()
    with pytest.raises(
        TypeError,
        match=(
            r"CrossEntropyLoss: targets of shape \(5,\) look like class indices but "
            r"have dtype float64.*astype\(np.int64\).*\(5, 4\)"
        ),
    ):
        nn.CrossEntropyLoss()(logits, targets.astype(np.float64))
    with pytest.raises(TypeError, match=r"NLLLoss: targets of shape .*astype"):
        nn.NLLLoss()(logits, targets.astype(np.float32))
    with pytest.raises(TypeError, match=r"look like class indices"):
        nn.CrossEntropyLoss()(logits[0], np.float64(2))


def test_cross_entropy_wrong_target_shape():
    logits, targets = class_index_inputs()
    with pytest.raises(
        ValueError,
        match=(
            r"CrossEntropyLoss: integer targets of shape \(5, 1\) do not fit input "
            r"of shape \(5, 4\); expected class indices: integers in \[0, 3\] "
            r"of shape \(5,\)"
        ),
    ):
        nn.CrossEntropyLoss()(logits, targets[:, None])
    with pytest.raises(ValueError, match=r"integer targets of shape \(4,\).*of shape \(5,\)"):
        nn.NLLLoss()(logits, targets[:4])
    with pytest.raises(ValueError, match=r"one-hot.*argmax\(axis=1\)"):
        nn.CrossEntropyLoss()(logits, np.eye(C, dtype=np.int64)[targets])
    with pytest.raises(
        ValueError,
        match=(
            r"targets of shape \(5, 3\) do not fit input of shape \(5, 4\).*or class"
            r" probabilities"
        ),
    ):
        nn.CrossEntropyLoss()(logits, np.full((N, 3), 1 / 3))
    with pytest.raises(ValueError, match=r"shape \(2, 3\)"):  # K-dimensional: targets (N, d1)
        nn.CrossEntropyLoss()(np.zeros((2, C, 3)), np.zeros((2, C), dtype=np.int64))
    with pytest.raises(ValueError, match="got a scalar"):
        nn.CrossEntropyLoss()(np.float64(1.0), np.int64(0))


def test_cross_entropy_out_of_range_class_index():
    logits, _ = class_index_inputs()
    with pytest.raises(
        ValueError,
        match=(
            r"CrossEntropyLoss: target class index 4 is out of range; with C = 4 "
            r"classes the valid indices are 0 to 3 \(targets equal to "
            r"ignore_index = -100 are skipped\)"
        ),
    ):
        nn.CrossEntropyLoss()(logits, np.array([0, 4, 1, 2, 3]))
    with pytest.raises(
        ValueError, match=r"NLLLoss: target class index -1 is out of range.*ignore_index = -100"
    ):
        nn.NLLLoss()(logits, np.array([0, -1, 1, 2, 3]))
    with pytest.raises(ValueError, match=r"index -100 is out of range.*ignore_index = 3"):
        nn.CrossEntropyLoss(ignore_index=3)(logits, np.array([0, -100, 1, 2, 3]))
    # the ignored value itself is never range-checked
    assert np.isfinite(nn.CrossEntropyLoss(ignore_index=-1)(logits, np.array([0, -1, 1, 2, 3])))


def test_class_weight_shape():
    logits, targets = class_index_inputs()
    with pytest.raises(
        ValueError,
        match=(
            r"CrossEntropyLoss: weight must hold one value per class, shape \(4,\), "
            r"but it has shape \(3,\) while the input has C = 4 classes"
        ),
    ):
        nn.CrossEntropyLoss(weight=np.ones(3))(logits, targets)
    with pytest.raises(
        ValueError,
        match=(
            r"NLLLoss: weight must be a 1-D array with one value per class, "
            r"shape \(C,\), got shape \(1, 4\)"
        ),
    ):
        nn.NLLLoss(weight=np.ones((1, C)))
    with pytest.raises(TypeError, match="weight must be numeric"):
        nn.CrossEntropyLoss(weight=np.array(["a", "b"]))


def test_nll_rejects_probability_targets():
    logits, _ = class_index_inputs()
    with pytest.raises(TypeError, match=r"NLLLoss takes class indices.*use CrossEntropyLoss"):
        nn.NLLLoss()(logits, np.full((N, C), 0.25))


def test_probability_targets_refuse_a_real_ignore_index():
    logits, probabilities = probability_target_inputs()
    with pytest.raises(ValueError, match="ignore_index applies to class-index targets only"):
        nn.CrossEntropyLoss(ignore_index=0)(logits, probabilities)


def test_bad_options():
    with pytest.raises(ValueError, match=r"label_smoothing must be in \[0, 1\], got 1.5"):
        nn.CrossEntropyLoss(label_smoothing=1.5)
    with pytest.raises(ValueError, match=r"label_smoothing must be in \[0, 1\], got -0.1"):
        F.cross_entropy(*class_index_inputs(), label_smoothing=-0.1)
    with pytest.raises(ValueError, match="HuberLoss: delta must be positive, got 0"):
        nn.HuberLoss(delta=0)
    with pytest.raises(ValueError, match="delta must be positive"):
        F.huber_loss(np.zeros(2), np.zeros(2), delta=-1.0)
    with pytest.raises(TypeError, match="targets must be class indices"):
        nn.CrossEntropyLoss()(np.zeros((2, C)), np.array([True, False]))
