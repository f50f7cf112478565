"""Linear, Identity, Flatten and Dropout: parity, gradient checks, contract, errors."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minitorch
from minitorch import nn
from minitorch.nn import functional as F
from minitorch.testing import check_module, gradcheck
from parity import assert_matches_torch, torch, torch_tensor


@pytest.mark.parity
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("input_shape", [(5, 4), (2, 3, 4)], ids=["2d", "3d"])
def test_linear_matches_torch(bias, input_shape, float64):
    rng = np.random.default_rng(11)
    layer = nn.Linear(4, 3, bias=bias)
    if bias:
        layer.b[...] = rng.standard_normal(layer.b.shape)
    x = rng.standard_normal(input_shape)
    g = rng.standard_normal((*input_shape[:-1], 3))
    y = layer(x)
    dx = layer.backward(g)
    ours = {"y": y, "dx": dx, "dW": layer.dW}
    if bias:
        ours["db"] = layer.db

    def reference():
        torch_layer = torch.nn.Linear(4, 3, bias=bias)
        with torch.no_grad():
            torch_layer.weight.copy_(torch_tensor(layer.W.T))  # torch stores (out, in)
            if bias:
                torch_layer.bias.copy_(torch_tensor(layer.b[0]))
        xt = torch_tensor(x, requires_grad=True)
        yt = torch_layer(xt)
        yt.backward(torch_tensor(g))
        out = {"y": yt, "dx": xt.grad, "dW": torch_layer.weight.grad.T}
        if bias:
            out["db"] = torch_layer.bias.grad[None, :]
        return out

    assert_matches_torch(f"linear_bias{bias}_{len(input_shape)}d", ours, reference)


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


def test_linear_casts_input_to_parameter_dtype():
    layer = nn.Linear(3, 2)
    y = layer(np.ones((2, 3), dtype=np.float64))
    assert y.dtype == np.float32
    assert layer(np.ones((2, 3), dtype=np.uint8)).dtype == np.float32


def test_linear_errors_name_the_shapes():
    layer = nn.Linear(4, 3)
    with pytest.raises(
        ValueError, match=r"Linear\(4 -> 3\) expects input of shape \(N, 4\), got \(2, 5\)"
    ):
        layer(np.zeros((2, 5)))
    with pytest.raises(ValueError, match="Flatten images first"):
        layer(np.zeros((2, 1, 2, 2)))
    with pytest.raises(RuntimeError, match="before forward"):
        nn.Linear(2, 2).backward(np.zeros((1, 2)))
    layer(np.zeros((2, 4)))
    with pytest.raises(ValueError, match=r"expects grad_output of shape \(2, 3\)"):
        layer.backward(np.zeros((2, 4)))
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


def test_linear_contract():
    assert check_module(nn.Linear(5, 3), (4, 5))
    assert check_module(nn.Linear(5, 3, bias=False), (4, 5))


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
    assert check_module(nn.Flatten(), (2, 3, 2))
    with pytest.raises(ValueError, match="cannot flatten"):
        nn.Flatten(2, 1)(x)
    with pytest.raises(RuntimeError, match="before forward"):
        nn.Flatten().backward(np.ones((2, 3)))


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


def test_dropout_eval_is_identity_and_seed_reproducible():
    x = np.random.default_rng(0).standard_normal((4, 6))
    drop = nn.Dropout(0.5)
    drop.eval()
    np.testing.assert_array_equal(drop(x), x)
    np.testing.assert_array_equal(drop.backward(x), x)
    drop.train()
    minitorch.manual_seed(5)
    a = drop(x)
    minitorch.manual_seed(5)
    np.testing.assert_array_equal(drop(x), a)
    assert not np.array_equal(drop(x), a)  # the generator moved on


def test_dropout_extremes_and_errors():
    x = np.ones((3, 4))
    np.testing.assert_array_equal(nn.Dropout(0.0)(x), x)
    zeros = nn.Dropout(1.0)
    np.testing.assert_array_equal(zeros(x), 0 * x)
    np.testing.assert_array_equal(zeros.backward(x), 0 * x)
    with pytest.raises(ValueError, match="between 0 and 1"):
        nn.Dropout(1.5)
    assert repr(nn.Dropout(0.25)) == "Dropout(p=0.25)"


def test_dropout_gradcheck_and_contract():
    x = np.random.default_rng(0).standard_normal((4, 5))
    assert gradcheck(nn.Dropout(0.4), x)
    assert check_module(nn.Dropout(0.4), (4, 5))
    model = nn.Sequential(nn.Linear(5, 6), nn.Dropout(0.5), nn.Tanh(), nn.Linear(6, 2))
    assert gradcheck(model, x, atol=1e-7, rtol=1e-6)


def test_identity_and_flatten_gradcheck():
    x = np.random.default_rng(4).standard_normal((2, 3, 2))
    assert gradcheck(nn.Identity(), x)
    assert gradcheck(nn.Flatten(), x)
    assert gradcheck(nn.Sequential(nn.Flatten(), nn.Linear(6, 2)), x, atol=1e-7, rtol=1e-6)


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
