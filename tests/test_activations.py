"""Activations: gradient checks, PyTorch parity, extreme inputs, errors."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from minitorch import nn
from minitorch.testing import check_module, gradcheck
from parity import assert_matches_torch, torch, torch_tensor

# (case name, minitorch module factory, torch function of a tensor)
ACTIVATIONS = [
    ("relu", lambda: nn.ReLU(), lambda t: torch.nn.functional.relu(t)),
    ("leaky_relu", lambda: nn.LeakyReLU(), lambda t: torch.nn.functional.leaky_relu(t)),
    ("leaky_relu_0.2", lambda: nn.LeakyReLU(0.2), lambda t: torch.nn.functional.leaky_relu(t, 0.2)),
    ("elu", lambda: nn.ELU(), lambda t: torch.nn.functional.elu(t)),
    ("elu_alpha_0.5", lambda: nn.ELU(0.5), lambda t: torch.nn.functional.elu(t, 0.5)),
    ("sigmoid", lambda: nn.Sigmoid(), lambda t: torch.sigmoid(t)),
    ("tanh", lambda: nn.Tanh(), lambda t: torch.tanh(t)),
    ("gelu", lambda: nn.GELU(), lambda t: torch.nn.functional.gelu(t)),
    (
        "gelu_tanh",
        lambda: nn.GELU("tanh"),
        lambda t: torch.nn.functional.gelu(t, approximate="tanh"),
    ),
    ("silu", lambda: nn.SiLU(), lambda t: torch.nn.functional.silu(t)),
    ("softplus", lambda: nn.Softplus(), lambda t: torch.nn.functional.softplus(t)),
    (
        "softplus_beta2_th5",
        lambda: nn.Softplus(beta=2.0, threshold=5.0),
        lambda t: torch.nn.functional.softplus(t, beta=2.0, threshold=5.0),
    ),
    ("softmax", lambda: nn.Softmax(dim=-1), lambda t: torch.softmax(t, dim=-1)),
    ("softmax_dim0", lambda: nn.Softmax(dim=0), lambda t: torch.softmax(t, dim=0)),
    ("log_softmax", lambda: nn.LogSoftmax(dim=1), lambda t: torch.log_softmax(t, dim=1)),
    ("log_softmax_dim0", lambda: nn.LogSoftmax(dim=0), lambda t: torch.log_softmax(t, dim=0)),
]
IDS = [case[0] for case in ACTIVATIONS]


def _inputs() -> np.ndarray:
    x = np.random.default_rng(7).standard_normal((6, 5)) * 3
    x[0] = [0.0, -0.0, 1e-8, -1e-8, 2.5]  # the kinks
    x[1] = [1e4, -1e4, 1e3, -1e3, 30.0]  # extremes: must stay finite and match
    return x


@pytest.mark.parity
@pytest.mark.parametrize(("name", "make", "torch_fn"), ACTIVATIONS, ids=IDS)
def test_activation_matches_torch(name, make, torch_fn, float64):
    x = _inputs()
    g = np.random.default_rng(8).standard_normal(x.shape)
    module = make()
    y = module(x)
    dx = module.backward(g)
    assert np.all(np.isfinite(y)) and np.all(np.isfinite(dx))

    def reference():
        xt = torch_tensor(x, requires_grad=True)
        yt = torch_fn(xt)
        yt.backward(torch_tensor(g))
        return {"y": yt, "dx": xt.grad}

    assert_matches_torch(f"act_{name}", {"y": y, "dx": dx}, reference)


@pytest.mark.parametrize(("name", "make", "torch_fn"), ACTIVATIONS, ids=IDS)
def test_activation_gradcheck(name, make, torch_fn):
    x = np.random.default_rng(3).standard_normal((4, 5))
    x += np.sign(x) * 0.05  # keep central differences away from the kinks at 0
    report = gradcheck(make(), x, atol=1e-7, rtol=1e-6)
    assert report.ok and report.rows[0].name == "input"


@pytest.mark.parametrize(("name", "make", "torch_fn"), ACTIVATIONS, ids=IDS)
def test_activation_contract(name, make, torch_fn):
    module = make()
    assert module.parameters() == [] and module.grads() == []
    assert check_module(module, (3, 5))


@pytest.mark.parametrize(("name", "make", "torch_fn"), ACTIVATIONS, ids=IDS)
def test_activation_keeps_float32(name, make, torch_fn):
    x = np.random.default_rng(0).standard_normal((4, 3)).astype(np.float32)
    module = make()
    assert module(x).dtype == np.float32
    assert module.backward(np.ones((4, 3), np.float32)).dtype == np.float32


@given(
    shape=st.lists(st.integers(1, 4), min_size=1, max_size=3).map(tuple),
    index=st.integers(0, len(ACTIVATIONS) - 1),
    seed=st.integers(0, 2**16),
)
def test_activation_gradcheck_any_shape(shape, index, seed):
    _name, make, _ = ACTIVATIONS[index]
    module = make()
    if isinstance(module, (nn.Softmax, nn.LogSoftmax)) and len(shape) <= abs(module.dim):
        shape = (2, *shape)
    x = np.random.default_rng(seed).standard_normal(shape)
    x += np.sign(x) * 0.05
    assert gradcheck(module, x, atol=1e-7, rtol=1e-6)


def test_backward_before_forward_raises():
    with pytest.raises(RuntimeError, match=r"ReLU\.backward\(\) was called before forward"):
        nn.ReLU().backward(np.ones((2, 2)))


def test_grad_output_shape_mismatch_raises():
    act = nn.Tanh()
    act(np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"Tanh.backward expects grad_output of shape \(2, 3\)"):
        act.backward(np.ones((3, 2)))


def test_bad_options():
    with pytest.raises(ValueError, match="approximate must be 'none' or 'tanh'"):
        nn.GELU("fast")
    with pytest.raises(TypeError, match="dim must be an int"):
        nn.Softmax(dim=None)
    with pytest.raises(ValueError, match=r"Softmax\(dim=2\) got input of shape \(2, 3\)"):
        nn.Softmax(dim=2)(np.zeros((2, 3)))


def test_repr():
    assert repr(nn.ReLU()) == "ReLU()"
    assert repr(nn.LeakyReLU(0.2)) == "LeakyReLU(negative_slope=0.2)"
    assert repr(nn.GELU("tanh")) == "GELU(approximate='tanh')"
    assert repr(nn.Softmax(dim=1)) == "Softmax(dim=1)"


def test_relu_matches_the_spec_formula():
    x = np.array([[-2.0, -0.5, 0.0, 0.5, 2.0]])
    relu = nn.ReLU()
    np.testing.assert_array_equal(relu(x), np.maximum(0, x))
    np.testing.assert_array_equal(relu.backward(np.full_like(x, 3.0)), 3.0 * (x > 0))
    assert relu.x is x  # the spec's cache
