"""No RuntimeWarning where PyTorch returns inf or NaN quietly, and PyTorch's values (issue 16,
category 7): AvgPool2d and AdaptiveAvgPool2d over ±inf, a +inf attention mask, the adaptive
optimizers' step on an infinite gradient, clipping float32 gradients whose norm overflows.
Where PyTorch refuses (BatchNorm with eps = 0 in training), minitorch refuses too. Each row
runs with every warning turned into an error.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from minitorch import nn, optim
from minitorch.nn.utils import clip_grad_norm_
from parity import HAVE_TORCH, torch

pytestmark = pytest.mark.skipif(not HAVE_TORCH, reason="torch is the reference")

INF = np.inf
MIXED = np.array([[[[INF, 1.0], [-INF, 2.0]]]], np.float32)
PLUS = np.array([[[[INF, 1.0], [3.0, 2.0]]]], np.float32)

# (id, minitorch layer, torch layer name and arguments, input)
POOLS = [
    ("avg-pool-plus-minus-inf", lambda: nn.AvgPool2d(2), ("AvgPool2d", 2), MIXED),
    ("avg-pool-plus-inf", lambda: nn.AvgPool2d(2), ("AvgPool2d", 2), PLUS),
    ("avg-pool-padded", lambda: nn.AvgPool2d(2, 1, 1), ("AvgPool2d", 2, 1, 1), MIXED),
    ("adaptive-plus-minus-inf", lambda: nn.AdaptiveAvgPool2d(1), ("AdaptiveAvgPool2d", 1), MIXED),
    ("adaptive-overlapping", lambda: nn.AdaptiveAvgPool2d(3), ("AdaptiveAvgPool2d", 3), PLUS),
]


@pytest.mark.parametrize("build, twin, x", [r[1:] for r in POOLS], ids=[r[0] for r in POOLS])
def test_pooling_over_infinities_is_pytorchs_inf_or_nan_without_a_warning(build, twin, x):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y = build()(x)
    expected = getattr(torch.nn, twin[0])(*twin[1:])(torch.tensor(x)).numpy()
    np.testing.assert_array_equal(y, expected)


def test_a_plus_inf_attention_mask_gives_pytorchs_nan_rows_without_a_warning():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((1, 3, 4)).astype(np.float32)
    mask = np.zeros((3, 3), np.float32)
    mask[0, 1] = INF
    mha = nn.MultiheadAttention(4, 1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y = mha(x, attn_mask=mask)
        mha.backward(np.ones_like(y))
    twin = torch.nn.MultiheadAttention(4, 1, batch_first=True, dtype=torch.float32)
    t = torch.tensor(x)
    expected = twin(t, t, t, attn_mask=torch.tensor(mask))[0].detach().numpy()
    np.testing.assert_array_equal(np.isnan(y), np.isnan(expected))
    assert np.isnan(y[0, 0]).all() and np.isfinite(y[0, 1:]).all()


# (id, minitorch optimizer, torch optimizer, keyword arguments)
OPTIMIZERS = [
    ("adam", optim.Adam, "Adam", {}),
    ("adamw", optim.AdamW, "AdamW", {}),
    ("adam-amsgrad", optim.Adam, "Adam", {"amsgrad": True}),
    ("rmsprop", optim.RMSprop, "RMSprop", {}),
    ("rmsprop-centered", optim.RMSprop, "RMSprop", {"centered": True, "momentum": 0.9}),
    ("adagrad", optim.Adagrad, "Adagrad", {}),
    ("sgd-momentum", optim.SGD, "SGD", {"lr": 0.1, "momentum": 0.9}),
]


@pytest.mark.parametrize("cls, twin, kwargs", [r[1:] for r in OPTIMIZERS],
                         ids=[r[0] for r in OPTIMIZERS])  # fmt: skip
@pytest.mark.parametrize("bad", [INF, -INF, np.nan])
def test_an_infinite_gradient_steps_as_pytorch_without_a_warning(cls, twin, kwargs, bad):
    gradient = np.array([[bad], [1.0]])
    model = nn.Linear(2, 1, bias=False, dtype=np.float64)
    model.W[:] = 1.0
    optimizer = cls(model, **kwargs)
    p = torch.nn.Parameter(torch.ones(2, dtype=torch.float64))
    reference = getattr(torch.optim, twin)([p], **kwargs)
    for _ in range(3):
        model.dW = gradient.copy()
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            optimizer.step()
        p.grad = torch.tensor(gradient[:, 0])
        reference.step()
    np.testing.assert_allclose(model.W[:, 0], p.detach().numpy(), rtol=1e-12)


@pytest.mark.parametrize("value", [1e30, 3e38, np.inf])
def test_clipping_gradients_whose_norm_overflows_is_pytorchs(value):
    model = nn.Linear(2, 2)
    model.dW = np.full((2, 2), value, np.float32)
    model.db = np.full((1, 2), value, np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        total = clip_grad_norm_(model, 1.0)
    f32 = torch.float32
    w = torch.nn.Parameter(torch.ones(2, 2, dtype=f32))
    b = torch.nn.Parameter(torch.ones(2, dtype=f32))
    w.grad, b.grad = torch.full((2, 2), value, dtype=f32), torch.full((2,), value, dtype=f32)
    expected = torch.nn.utils.clip_grad_norm_([w, b], 1.0)
    assert float(total) == float(expected) and total.dtype == np.float32
    np.testing.assert_array_equal(model.dW, w.grad.numpy())
    np.testing.assert_array_equal(model.db[0], b.grad.numpy())


@pytest.mark.parametrize("layer", ["BatchNorm1d", "BatchNorm2d"])
def test_batchnorm_with_eps_zero_is_refused_as_pytorch_refuses_it(layer):
    with pytest.raises(ValueError, match=f"{layer}: eps must be positive, got 0"):
        getattr(nn, layer)(2, eps=0)
    twin = getattr(torch.nn, layer)(2, eps=0)
    shape = (4, 2, 3, 3) if layer == "BatchNorm2d" else (4, 2)
    with pytest.raises(ValueError, match="eps must be positive"):
        twin(torch.ones(shape))
