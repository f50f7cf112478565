"""Linear, Identity, Flatten and Dropout: what is specific to each layer.

Gradient checks, the contract, dtypes, PyTorch parity and bad inputs of every layer are in the
layer table (tests/layer_table.py, run by tests/test_layer_table.py)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minitorch
from minitorch import nn
from minitorch.nn import functional as F
from minitorch.testing import check_module, gradcheck


def test_linear_has_the_spec_attributes():
    minitorch.manual_seed(0)
    layer = nn.Linear(4, 3)
    assert layer.W.shape == (4, 3) and layer.b.shape == (1, 3)
    assert layer.W.dtype == np.float32 and layer.b.dtype == np.float32
    assert layer.x is None and layer.dW is None and layer.db is None
    assert not np.any(layer.b)
    assert layer.parameters()[0] is layer.W and layer.parameters()[1] is layer.b
    x = np.ones((2, 4), np.float32)
    layer(x)
    assert layer.x is x
    layer.backward(np.ones((2, 3), np.float32))
    assert layer.grads() == [layer.dW, layer.db]


def test_linear_he_initialisation_statistics():
    minitorch.manual_seed(0)
    W = nn.Linear(500, 400).W
    assert abs(W.mean()) < 0.005
    assert W.std() == pytest.approx(np.sqrt(2 / 500), rel=0.02)


def test_linear_same_seed_same_weights():
    minitorch.manual_seed(3)
    a = nn.Linear(5, 2).W.copy()
    minitorch.manual_seed(3)
    b = nn.Linear(5, 2).W
    np.testing.assert_array_equal(a, b)


def test_linear_spec_backward_formulas():
    layer = nn.Linear(3, 2)
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    g = np.array([[1.0, -1.0], [0.5, 2.0]], np.float32)
    layer(x)
    dx = layer.backward(g)
    np.testing.assert_allclose(layer.dW, x.T @ g)
    np.testing.assert_allclose(layer.db, g.sum(axis=0, keepdims=True))
    np.testing.assert_allclose(dx, g @ layer.W.T)


def test_linear_gradients_accumulate_until_zero_grad():
    layer = nn.Linear(3, 2)
    x = np.ones((4, 3), np.float32)
    g = np.ones((4, 2), np.float32)
    layer(x)
    layer.backward(g)
    first = layer.dW.copy()
    dW_array = layer.dW
    layer(x)
    layer.backward(g)
    np.testing.assert_allclose(layer.dW, 2 * first)
    assert layer.dW is dW_array  # accumulated in place
    layer.zero_grad(set_to_none=False)
    assert layer.dW is dW_array and not np.any(layer.dW) and not np.any(layer.db)
    layer.zero_grad()  # the default, as in PyTorch: the next backward stores, in one pass
    assert layer.dW is None and layer.db is None
    layer(x)
    layer.backward(g)
    np.testing.assert_allclose(layer.dW, first)


def test_linear_casts_an_integer_batch_to_its_dtype():
    # float64 inputs: the table's float64-input check (tests/test_layer_table.py)
    layer = nn.Linear(3, 2)
    assert layer(np.ones((2, 3), dtype=np.uint8)).dtype == np.float32


def test_linear_constructor_errors():
    # bad inputs and grad_output shapes: the table (tests/layer_table.py)
    with pytest.raises(ValueError, match="input_dim must be a positive int"):
        nn.Linear(0, 3)
    with pytest.raises(ValueError, match="output_dim must be a positive int"):
        nn.Linear(3, 2.5)


@given(
    n=st.integers(1, 4),
    d_in=st.integers(1, 5),
    d_out=st.integers(1, 4),
    bias=st.booleans(),
    lead=st.sampled_from([(), (2,)]),
)
def test_linear_gradcheck_any_size(n, d_in, d_out, bias, lead):
    x = np.random.default_rng(n * 100 + d_in).standard_normal((*lead, n, d_in))
    report = gradcheck(nn.Linear(d_in, d_out, bias=bias), x, atol=1e-7, rtol=1e-6)
    assert [row.name for row in report.rows] == ["input", "W", "b"][: 3 if bias else 2]


def test_functional_pair_is_the_module_formula(float64):
    rng = np.random.default_rng(0)
    layer = nn.Linear(3, 4)
    x, g = rng.standard_normal((2, 3)), rng.standard_normal((2, 4))
    y, cache = F.linear_forward(x, layer.W, layer.b)
    np.testing.assert_array_equal(y, layer(x))
    dx, dW, db = F.linear_backward(g, cache)
    np.testing.assert_array_equal(dx, layer.backward(g))
    np.testing.assert_array_equal(dW, layer.dW)
    np.testing.assert_array_equal(db, layer.db)


def test_functional_weight_sharing(float64):
    """The stateless pair lets one weight be used twice; gradients add up."""
    rng = np.random.default_rng(1)
    W = rng.standard_normal((3, 3))
    x = rng.standard_normal((2, 3))
    h, cache1 = F.linear_forward(x, W)
    y, cache2 = F.linear_forward(h, W)
    g = np.ones_like(y)
    dh, dW2, _ = F.linear_backward(g, cache2)
    _, dW1, _ = F.linear_backward(dh, cache1)
    eps = 1e-6
    numeric = np.zeros_like(W)
    for i in np.ndindex(W.shape):
        Wp, Wm = W.copy(), W.copy()
        Wp[i] += eps
        Wm[i] -= eps
        numeric[i] = ((x @ Wp @ Wp).sum() - (x @ Wm @ Wm).sum()) / (2 * eps)
    np.testing.assert_allclose(dW1 + dW2, numeric, rtol=1e-6, atol=1e-8)


def test_identity():
    x = np.arange(6.0).reshape(2, 3)
    layer = nn.Identity(54, unused="argument")
    assert layer(x) is x and layer.backward(x) is x
    assert layer.parameters() == [] and repr(layer) == "Identity()"


def test_flatten():
    x = np.arange(24.0).reshape(2, 3, 2, 2)
    flat = nn.Flatten()
    y = flat(x)
    assert y.shape == (2, 12) and np.shares_memory(y, x)
    assert flat.backward(np.ones((2, 12))).shape == (2, 3, 2, 2)
    assert nn.Flatten(0, 1)(x).shape == (6, 2, 2)
    assert nn.Flatten(2)(x).shape == (2, 3, 4)
    with pytest.raises(ValueError, match="cannot flatten"):
        nn.Flatten(2, 1)(x)


def test_dropout_training_statistics():
    minitorch.manual_seed(0)
    drop = nn.Dropout(0.3)
    x = np.ones((200, 500), np.float32)
    y = drop(x)
    kept = y != 0
    assert kept.mean() == pytest.approx(0.7, abs=0.01)
    np.testing.assert_allclose(y[kept], 1 / 0.7, rtol=1e-6)
    g = np.random.default_rng(0).standard_normal(x.shape).astype(np.float32)
    np.testing.assert_array_equal(drop.backward(g), g * y)  # same mask, same scale
    assert y.dtype == np.float32


def test_dropout_is_seed_reproducible():
    x = np.random.default_rng(0).standard_normal((4, 6))
    drop = nn.Dropout(0.5)
    minitorch.manual_seed(5)
    a = drop(x)
    minitorch.manual_seed(5)
    np.testing.assert_array_equal(drop(x), a)
    assert not np.array_equal(drop(x), a)  # the generator moved on


def test_dropout_p1_and_errors():
    x = np.ones((3, 4))
    zeros = nn.Dropout(1.0)
    np.testing.assert_array_equal(zeros(x), 0 * x)
    np.testing.assert_array_equal(zeros.backward(x), 0 * x)
    with pytest.raises(ValueError, match=r"p must be in \[0, 1\]"):
        nn.Dropout(1.5)
    assert repr(nn.Dropout(0.25)) == "Dropout(p=0.25)"


def test_gradcheck_through_models():
    """gradcheck replays the generator, so a model with Dropout inside is checked too."""
    x = np.random.default_rng(0).standard_normal((4, 5))
    model = nn.Sequential(nn.Linear(5, 6), nn.Dropout(0.5), nn.Tanh(), nn.Linear(6, 2))
    assert gradcheck(model, x, atol=1e-7, rtol=1e-6)
    images = np.random.default_rng(4).standard_normal((2, 3, 2))
    model = nn.Sequential(nn.Flatten(), nn.Linear(6, 2))
    assert gradcheck(model, images, atol=1e-7, rtol=1e-6)


def test_first_layer_can_skip_the_input_gradient():
    x = np.random.default_rng(0).standard_normal((5, 4)).astype(np.float32)
    g = np.random.default_rng(1).standard_normal((5, 3)).astype(np.float32)
    full = nn.Sequential(nn.Linear(4, 6), nn.ReLU(), nn.Linear(6, 3))
    lean = nn.Sequential(nn.Linear(4, 6), nn.ReLU(), nn.Linear(6, 3))
    lean.load_state_dict(full.state_dict())
    lean[0].needs_input_grad = False
    full(x)
    assert full.backward(g).shape == (5, 4)
    lean(x)
    assert lean.backward(g) is None
    for a, b in zip(full.grads(), lean.grads(), strict=True):
        np.testing.assert_array_equal(a, b)  # the parameter gradients are untouched
    # the checking tools still check the whole contract, input gradient included
    assert check_module(lean, (5, 4))
    assert gradcheck(lean, x.astype(np.float64), atol=1e-6, rtol=1e-5)
    assert lean[0].needs_input_grad is False  # on the caller's model, nothing changed
