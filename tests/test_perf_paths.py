"""The hot-path optimisations of issue 10 change the speed, not the numbers (or, for the
cross-entropy's softmax and the opt-in flush of subnormals, change them by the stated bound).

No timing is asserted here: ``benchmarks/run.py`` measures, the tests check the results.
"""

from __future__ import annotations

import numpy as np
import pytest

import minitorch
from minitorch import nn, optim
from minitorch.nn import functional as F
from minitorch.nn.functional.activation import log_softmax
from minitorch.optim.optimizer import flush_subnormal_

TINY32 = np.finfo(np.float32).tiny


# ---------------------------------------------------------------------- named_children
class Holder(nn.Module):
    """A layer with every kind of plain attribute the fast path skips, and a hidden module."""

    def __init__(self, hidden):
        super().__init__()
        self.W = np.ones((2, 2), np.float32)
        self.dW = None
        self.count, self.rate, self.name, self.flag = 3, 0.5, "x", True
        self.scalar = np.float32(1.0)
        self.hidden = hidden


@pytest.mark.parametrize(
    "hidden",
    [
        {"a": nn.Linear(2, 2)},
        [nn.Linear(2, 2), 3],
        [[nn.Linear(2, 2)]],
        {nn.ReLU()},
        (nn.ReLU(), "not a module"),
    ],
)
def test_a_module_hidden_in_a_plain_container_is_still_refused(hidden):
    with pytest.raises(TypeError, match="holds Modules"):
        Holder(hidden).named_children()
    with pytest.raises(TypeError, match="holds Modules"):
        Holder(hidden).modules()


def test_plain_attributes_are_no_children_and_real_children_are_found():
    holder = Holder(None)
    assert holder.named_children() == []
    holder.child = nn.Linear(2, 3)
    holder.pair = [nn.ReLU(), nn.Tanh()]
    names = [name for name, _ in holder.named_children()]
    assert names == ["child", "pair.0", "pair.1"]


def test_parameters_and_grads_of_containers_are_unchanged():
    minitorch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 5), nn.ReLU(), nn.Sequential(nn.Linear(5, 3), nn.Tanh()))
    assert [id(p) for p in model.parameters()] == [
        id(model[0].W),
        id(model[0].b),
        id(model[2][0].W),
        id(model[2][0].b),
    ]
    model(np.ones((2, 4), np.float32))
    model.backward(np.ones((2, 3), np.float32))
    assert [id(g) for g in model.grads()] == [
        id(model[0].dW),
        id(model[0].db),
        id(model[2][0].dW),
        id(model[2][0].db),
    ]


# ---------------------------------------------------------------------- the optimizer's step
def _model(seed=0):
    minitorch.manual_seed(seed)
    return nn.Sequential(nn.Linear(6, 5), nn.ReLU(), nn.Linear(5, 4), nn.ReLU(), nn.Linear(4, 3))


def _train(model, optimizer, steps, rng, zero=True):
    loss_fn = nn.CrossEntropyLoss()
    for _ in range(steps):
        x = rng.standard_normal((7, 6)).astype(np.float32)
        y = rng.integers(0, 3, 7)
        loss_fn(model(x), y)
        if zero:
            optimizer.zero_grad()
        model.backward(loss_fn.backward())
        optimizer.step()


@pytest.mark.parametrize("make", [
    lambda m: optim.SGD(m, lr=0.1, momentum=0.9),
    lambda m: optim.SGD(m, lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01),
    lambda m: optim.Adam(m, lr=0.01),
    lambda m: optim.AdamW(m, lr=0.01, amsgrad=True),
])  # fmt: skip
def test_fresh_gradients_are_read_at_every_step(make):
    """Each step uses that step's gradient arrays (new after every zero_grad) and matches the
    same optimizer stepped with copies of them, bit for bit."""
    ours, twin = _model(), _model()
    opt_ours, opt_twin = make(ours), make(twin)
    rng = np.random.default_rng(0)
    for _ in range(4):
        x = rng.standard_normal((7, 6)).astype(np.float32)
        ours(x)
        opt_ours.zero_grad()
        ours.backward(rng.standard_normal((7, 3)).astype(np.float32))
        for layer, other in zip(ours, twin, strict=True):
            if isinstance(layer, nn.Linear):
                other.dW, other.db = layer.dW.copy(), layer.db.copy()
        opt_ours.step()
        opt_twin.step()
        for p, q in zip(ours.parameters(), twin.parameters(), strict=True):
            assert p.tobytes() == q.tobytes()


def test_a_gradient_that_appears_later_is_used_and_none_is_skipped():
    model = _model()
    optimizer = optim.SGD(model, lr=0.1, momentum=0.9)
    before = [p.copy() for p in model.parameters()]
    model[4].dW = np.ones_like(model[4].W)  # only the last layer's weight has a gradient
    optimizer.step()
    changed = [not np.array_equal(a, p) for a, p in zip(before, model.parameters(), strict=True)]
    assert changed == [False, False, False, False, True, False]
    assert list(optimizer.state) == [4]
    model[0].dW = np.ones_like(model[0].W)
    optimizer.step()
    assert sorted(optimizer.state) == [0, 4]


def test_a_wrong_gradient_is_refused_after_fast_steps():
    model = _model()
    optimizer = optim.SGD(model, lr=0.1, momentum=0.9)
    _train(model, optimizer, 3, np.random.default_rng(0))
    model[2].dW = np.ones((4, 5), np.float32)  # transposed
    with pytest.raises(ValueError, match=r"has shape \(5, 4\) but its gradient has shape"):
        optimizer.step()
    model[2].dW = [[0.0] * 4] * 5  # a list of the right shape passes the check, as before
    optimizer.step()


def test_a_changed_model_is_still_refused():
    model = _model()
    optimizer = optim.Adam(model)
    _train(model, optimizer, 2, np.random.default_rng(0))
    model[2].W = model[2].W.copy()
    with pytest.raises(RuntimeError, match="not the arrays this optimizer was built with"):
        optimizer.step()


def test_several_modules_step_like_one():
    whole, parts = _model(), _model()
    opt_whole = optim.SGD(whole, lr=0.1, momentum=0.9)
    opt_parts = optim.SGD([parts[0], parts[2], parts[4]], lr=0.1, momentum=0.9)
    _train(whole, opt_whole, 3, np.random.default_rng(1))
    _train(parts, opt_parts, 3, np.random.default_rng(1))
    for p, q in zip(whole.parameters(), parts.parameters(), strict=True):
        assert p.tobytes() == q.tobytes()


# ---------------------------------------------------------------------- flushing subnormals
@pytest.fixture
def flush_mode():
    yield
    minitorch.set_flush_denormal(False)


def _special_values(dtype):
    info = np.finfo(dtype)
    smallest = np.nextafter(dtype(0), dtype(1))
    values = [0.0, -0.0, smallest, -smallest, info.tiny, -info.tiny, info.tiny / 2, -info.tiny / 3]
    values += [np.nextafter(info.tiny, dtype(0)), 1.0, -2.5, 1e-30, np.inf, -np.inf, np.nan]
    rng = np.random.default_rng(0)
    mixed = rng.standard_normal(500) * np.where(rng.random(500) < 0.5, 1, info.tiny / 7)
    return np.concatenate([np.array(values, dtype), mixed.astype(dtype)])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_flush_subnormal_sets_exactly_the_subnormals_to_signed_zero(dtype):
    array = _special_values(dtype)
    original = array.copy()
    flush_subnormal_(array)
    magnitude = np.abs(original)
    subnormal = (magnitude < np.finfo(dtype).tiny) & (magnitude > 0)
    expected = np.where(subnormal, np.copysign(dtype(0), original), original)
    assert expected.tobytes() == array.tobytes()  # normals, ±inf and NaN kept bit for bit
    assert np.all(np.signbit(array[subnormal]) == np.signbit(original[subnormal]))
    assert np.max(np.abs(original[subnormal].astype(np.float64))) < 1.18e-38


def test_flush_subnormal_leaves_float16_and_integers_alone():
    half = np.array([6e-8, -6e-8, 1e-5, 1.0], np.float16)  # float16's own subnormals
    ints = np.arange(5)
    assert flush_subnormal_(half.copy()).tobytes() == half.tobytes()
    assert flush_subnormal_(ints.copy()).tobytes() == ints.tobytes()


def test_set_flush_denormal_is_off_by_default_and_checks_its_argument(flush_mode):
    assert minitorch._state.flush_denormal() is False
    assert minitorch.set_flush_denormal(True) is True
    assert minitorch._state.flush_denormal() is True
    with pytest.raises(TypeError, match="True or False"):
        minitorch.set_flush_denormal("yes")


def _stuck_momentum(optimizer_factory, flush):
    """A layer whose gradient is 0 for a while: its momentum decays into the subnormals."""
    minitorch.set_flush_denormal(flush)
    minitorch.manual_seed(0)
    layer = nn.Linear(3, 2)
    optimizer = optimizer_factory(layer)
    layer.dW, layer.db = np.ones_like(layer.W), np.ones_like(layer.b)
    optimizer.step()
    for _ in range(1000):
        layer.dW, layer.db = np.zeros_like(layer.W), np.zeros_like(layer.b)
        optimizer.step()
    return layer, optimizer


@pytest.mark.parametrize(
    "factory",
    [lambda m: optim.SGD(m, lr=0.1, momentum=0.9), lambda m: optim.Adam(m)],
)
def test_flushing_removes_the_subnormals_of_the_state_and_changes_little(factory, flush_mode):
    plain_layer, plain = _stuck_momentum(factory, flush=False)
    flushed_layer, flushed = _stuck_momentum(factory, flush=True)
    plain_state = [v for s in plain.state.values() for v in s.values() if isinstance(v, np.ndarray)]
    state = [v for s in flushed.state.values() for v in s.values() if isinstance(v, np.ndarray)]
    assert any(((np.abs(v) < TINY32) & (v != 0)).any() for v in plain_state)
    assert not any(((np.abs(v) < TINY32) & (v != 0)).any() for v in state)
    for a, b in zip(plain_state, state, strict=True):
        assert np.max(np.abs(a.astype(np.float64) - b)) < 1.18e-38
    for p, q in zip(plain_layer.parameters(), flushed_layer.parameters(), strict=True):
        np.testing.assert_allclose(p, q, rtol=1e-6, atol=1e-30)


def test_without_the_flag_nothing_is_flushed(flush_mode):
    _, optimizer = _stuck_momentum(lambda m: optim.SGD(m, lr=0.1, momentum=0.9), flush=False)
    buffer = optimizer.state[0]["momentum_buffer"]
    assert ((np.abs(buffer) < TINY32) & (buffer != 0)).all()


# ---------------------------------------------------------------------- cross-entropy
def _old_cross_entropy_grad(logits, targets):
    """The previous backward: p = exp(log_softmax), s = 1/N, p·s with s off at the target."""
    log_probs = log_softmax(logits, dim=1)
    probs = np.exp(log_probs)
    scale = logits.dtype.type(1 / len(targets))
    grad = probs * scale
    grad[np.arange(len(targets)), targets] += -scale
    return grad


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(("n", "c", "spread"), [(1, 10, 1), (64, 10, 3), (32, 1000, 5)])
def test_cross_entropy_loss_unchanged_gradient_within_a_few_ulp(dtype, n, c, spread):
    rng = np.random.default_rng(0)
    logits = (rng.standard_normal((n, c)) * spread).astype(dtype)
    targets = rng.integers(0, c, n)
    loss, cache = F.cross_entropy_forward(logits, targets)
    log_probs = log_softmax(logits, dim=1)
    expected_loss = -log_probs[np.arange(n), targets].sum() / dtype(n)
    assert loss.tobytes() == np.asarray(expected_loss, dtype).tobytes() or np.isclose(
        loss, expected_loss, rtol=2 * np.finfo(dtype).eps, atol=0
    )
    probs = cache.probs
    shifted = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(shifted)
    assert probs.tobytes() == (e / e.sum(axis=1, keepdims=True)).tobytes()
    old = _old_cross_entropy_grad(logits, targets)
    new = F.cross_entropy_backward(None, cache)
    eps = np.finfo(dtype).eps
    assert np.all(np.abs(new - old) <= 64 * eps * (np.abs(old) + 1 / n))


def test_cross_entropy_log_probabilities_are_log_softmax_bit_for_bit():
    rng = np.random.default_rng(1)
    logits = rng.standard_normal((16, 7, 3)).astype(np.float32) * 4
    from minitorch.nn.functional.multiclass_loss import _log_softmax_and_softmax

    log_probs, probs = _log_softmax_and_softmax(logits)
    assert log_probs.tobytes() == log_softmax(logits, dim=1).tobytes()
    np.testing.assert_allclose(probs.sum(axis=1), 1, rtol=1e-6)


def test_cross_entropy_extreme_and_non_finite_rows_behave_as_before():
    logits = np.array(
        [[1e4, -1e4, 0.0], [-np.inf, 0.0, 1.0], [np.nan, 0.0, 1.0], [np.inf, 0.0, 1.0]],
        np.float32,
    )
    _, cache = F.cross_entropy_forward(logits[:2], np.array([0, 2]))
    probs = cache.probs
    assert np.isfinite(probs).all()
    assert probs[0].tolist() == [1.0, 0.0, 0.0] and probs[1, 0] == 0.0
    with np.errstate(all="ignore"):
        old = np.exp(log_softmax(logits, dim=1))
    _, cache = F.cross_entropy_forward(logits, np.array([0, 2, 1, 1]))
    assert np.array_equal(np.isnan(cache.probs), np.isnan(old))


# ---------------------------------------------------------------------- ReLU
def _relu_inputs(shape, dtype, order="C"):
    rng = np.random.default_rng(sum(shape))
    x = np.asarray(rng.standard_normal(shape), dtype=dtype, order=order)
    flat = x.reshape(-1, order="A")
    if flat.size:
        flat[::7], flat[::11], flat[::13], flat[::17] = -0.0, np.nan, 0.0, -np.inf
    return x


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(
    "shape", [(1, 64), (8, 64), (128, 512), (4096,), (64, 6, 28, 28), (0, 5), (3000, 0)]
)
def test_relu_is_bit_for_bit_the_formula_and_leaves_its_inputs_alone(dtype, shape):
    x = _relu_inputs(shape, dtype)
    g = _relu_inputs(shape[::-1], dtype).reshape(shape)
    x_before, g_before = x.copy(), g.copy()
    y, cache = F.relu_forward(x)
    assert y.tobytes() == np.maximum(x, 0).tobytes()
    assert y.dtype == x.dtype and y.shape == x.shape and not np.shares_memory(y, x)
    with np.errstate(invalid="ignore"):  # -inf · 0 is NaN, with NumPy's warning, as before
        dx = F.relu_backward(g, cache)
        expected = g * (x > 0)
    assert dx.tobytes() == expected.tobytes() and dx.dtype == expected.dtype
    assert not np.shares_memory(dx, g) and not np.shares_memory(dx, x)
    assert x.tobytes() == x_before.tobytes() and g.tobytes() == g_before.tobytes()


def test_relu_on_non_contiguous_integer_and_broadcast_inputs():
    x = _relu_inputs((600, 40), np.float32, order="F")
    assert F.relu_forward(x)[0].tobytes() == np.maximum(x, 0).tobytes()
    t = _relu_inputs((40, 600), np.float32).T
    assert F.relu_forward(t)[0].tobytes() == np.maximum(t, 0).tobytes()
    ints = np.arange(-3000, 3000).reshape(60, 100)
    assert F.relu_forward(ints)[0].tobytes() == np.maximum(ints, 0).tobytes()
    assert F.relu_backward(ints, F.ReLUCache(ints)).tobytes() == (ints * (ints > 0)).tobytes()
    g = np.ones((1, 100), np.float32)
    assert F.relu_backward(g, F.ReLUCache(ints)).tobytes() == (g * (ints > 0)).tobytes()


def test_relu_module_still_matches_its_math():
    relu = nn.ReLU()
    x = _relu_inputs((64, 300), np.float32)
    y = relu(x)
    g = np.random.default_rng(3).standard_normal((64, 300)).astype(np.float32)
    assert y.tobytes() == np.maximum(x, 0).tobytes()
    assert relu.backward(g).tobytes() == (g * (x > 0)).tobytes()


def test_relu_forward_still_takes_lists_and_scalars():
    assert F.relu([1.0, -2.0]).tolist() == [1.0, 0.0]
    assert F.relu(-3.0) == 0.0
