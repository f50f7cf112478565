"""Activations: what is specific to them (any shape, the spec's ReLU, options, repr).

Each activation's gradient check, contract, dtypes, PyTorch parity (on kinks and extremes) and
bad inputs are in the layer table (tests/layer_table.py, run by tests/test_layer_table.py)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from layer_table import ROWS
from minitorch import nn
from minitorch.testing import gradcheck

# Every activation's row in the layer table (its gradcheck, contract, dtypes, parity, errors).
ACTIVATION_ROWS = [row for row in ROWS if isinstance(row.make(), nn.Activation)]


@given(
    shape=st.lists(st.integers(1, 4), min_size=1, max_size=3).map(tuple),
    index=st.integers(0, len(ACTIVATION_ROWS) - 1),
    seed=st.integers(0, 2**16),
)
def test_activation_gradcheck_any_shape(shape, index, seed):
    module = ACTIVATION_ROWS[index].make()
    if isinstance(module, (nn.Softmax, nn.LogSoftmax)) and len(shape) <= abs(module.dim):
        shape = (2, *shape)
    x = np.random.default_rng(seed).standard_normal(shape)
    x += np.sign(x) * 0.05
    assert gradcheck(module, x, atol=1e-7, rtol=1e-6)


def test_backward_before_forward_raises():
    with pytest.raises(RuntimeError, match=r"ReLU\.backward\(\) was called before forward"):
        nn.ReLU().backward(np.ones((2, 2)))


def test_bad_options():
    with pytest.raises(ValueError, match="approximate must be 'none' or 'tanh'"):
        nn.GELU("fast")
    with pytest.raises(TypeError, match="dim must be an int"):
        nn.Softmax(dim=None)


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
