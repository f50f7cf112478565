"""minitorch.nn.init: PyTorch's formulas for minitorch's (in, out) weight layout."""

from __future__ import annotations

import math

import numpy as np
import pytest

import minitorch
from minitorch.nn import init


def big(shape=(400, 300)):
    return np.empty(shape, dtype=np.float64)


def test_kaiming_normal_default_is_the_spec_he_normal():
    minitorch.manual_seed(0)
    W = init.kaiming_normal_(big())
    assert W.std() == pytest.approx(math.sqrt(2 / 400), rel=0.01)
    minitorch.manual_seed(0)
    spec = minitorch.generator().standard_normal((400, 300)) * np.sqrt(2.0 / 400)
    np.testing.assert_allclose(W, spec)
    assert init.he_normal_ is init.kaiming_normal_


def test_kaiming_uniform_pytorch_linear_default_bound():
    W = init.kaiming_uniform_(big(), a=math.sqrt(5))
    bound = 1 / math.sqrt(400)
    assert W.max() <= bound and W.min() >= -bound
    assert W.max() > 0.99 * bound
    fan_out = init.kaiming_uniform_(big(), mode="fan_out", nonlinearity="relu")
    assert np.abs(fan_out).max() <= math.sqrt(6 / 300)


def test_xavier():
    U = init.xavier_uniform_(big(), gain=2.0)
    bound = 2.0 * math.sqrt(6 / 700)
    assert np.abs(U).max() <= bound and np.abs(U).max() > 0.99 * bound
    N = init.xavier_normal_(big())
    assert N.std() == pytest.approx(math.sqrt(2 / 700), rel=0.01)


def test_simple_fills_and_dtype():
    a = np.empty((3, 4), np.float32)
    assert init.zeros_(a) is a and not a.any()
    assert (init.ones_(a) == 1).all() and (init.constant_(a, 2.5) == 2.5).all()
    init.normal_(a, mean=3.0, std=0.0)
    assert (a == 3.0).all() and a.dtype == np.float32
    u = init.uniform_(big(), -1, 2)
    assert u.min() >= -1 and u.max() < 2


def test_conv_shaped_fans():
    kernel = init.kaiming_normal_(np.empty((64, 16, 3, 3)))
    assert kernel.std() == pytest.approx(math.sqrt(2 / (16 * 9)), rel=0.03)


def test_explicit_generator_and_reproducibility():
    a = init.normal_(big((5, 5)), generator=np.random.default_rng(1))
    b = init.normal_(big((5, 5)), generator=np.random.default_rng(1))
    np.testing.assert_array_equal(a, b)


def test_gains_match_pytorch():
    torch_mod = pytest.importorskip("torch")
    for name, param in [
        ("relu", None),
        ("tanh", None),
        ("leaky_relu", 0.2),
        ("leaky_relu", None),
        ("sigmoid", None),
        ("selu", None),
    ]:
        assert init.calculate_gain(name, param) == pytest.approx(
            torch_mod.nn.init.calculate_gain(name, param), rel=1e-12
        )


def test_errors():
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        init.xavier_uniform_(np.empty(5))
    with pytest.raises(ValueError, match="mode must be"):
        init.kaiming_normal_(big(), mode="fan_avg")
    with pytest.raises(ValueError, match="unsupported nonlinearity"):
        init.calculate_gain("swish")
