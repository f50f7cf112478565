"""PyTorch habits get PyTorch's behaviour, or an error that teaches the minitorch way."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

import minitorch
import minitorch.nn.functional as F
from minitorch import nn


@pytest.mark.parametrize(
    ("make", "predictions", "targets"),
    [
        (nn.MSELoss, np.ones((2, 3), np.float32), np.zeros((2, 3), np.float32)),
        (nn.CrossEntropyLoss, np.ones((2, 3)), np.array([0, 2])),
        (lambda: nn.L1Loss(reduction="sum"), np.ones(3, np.float32), np.zeros(3, np.float32)),
    ],
    ids=["mse-float32", "cross-entropy-float64", "l1-sum"],
)
def test_loss_backward_explains_there_is_no_autograd(make, predictions, targets):
    loss = make()(predictions, targets)
    assert isinstance(loss, np.floating) and float(loss) == loss.item()
    with pytest.raises(RuntimeError, match="no autograd") as error:
        loss.backward()
    assert "model.backward(loss_fn.backward())" in str(error.value)
    assert type(loss * 2) in (np.float32, np.float64)  # arithmetic gives plain NumPy scalars


def test_no_grad_keeps_no_caches_and_a_backward_after_it_explains():
    minitorch.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Dropout(0.5), nn.Linear(4, 2))
    with minitorch.no_grad():
        y = model(np.ones((5, 3), np.float32))
    assert y.shape == (5, 2)
    assert model[0].x is None and model[1].x is None and model[1].cache is None
    assert model[2].cache is None
    assert all(p is not None for p in model.parameters())
    with pytest.raises(RuntimeError, match=r"ran under minitorch\.no_grad\(\)"):
        model.backward(np.ones((5, 2), np.float32))
    model(np.ones((5, 3), np.float32))  # a forward outside no_grad is usable again
    model.backward(np.ones((5, 2), np.float32))

    @minitorch.no_grad()
    def predict(x):
        return model(x)

    predict(np.ones((1, 3), np.float32))
    assert model[0].x is None
    assert minitorch._state.grad_enabled()


@pytest.mark.parametrize(
    ("args", "kwargs", "dtype"),
    [
        (("cpu",), {}, np.float32),
        ((np.float64,), {}, np.float64),
        (("float64",), {}, np.float64),
        (("cpu", np.float64), {}, np.float64),
        ((), {"device": "cpu", "dtype": np.float64}, np.float64),
    ],
)
def test_to_accepts_the_cpu_and_dtypes(args, kwargs, dtype):
    model = nn.Sequential(nn.Linear(2, 2))
    assert model.to(*args, **kwargs) is model
    assert model[0].W.dtype == dtype


@pytest.mark.parametrize(
    ("arg", "error", "words"),
    [
        ("cuda", ValueError, "runs on the CPU"),
        ("cuda:0", ValueError, "runs on the CPU"),
        ("mps", ValueError, "runs on the CPU"),
        (np.int32, TypeError, "parameters must be floating point"),
        ("fast", TypeError, "expected a device"),
    ],
)
def test_to_refuses_other_devices_and_dtypes(arg, error, words):
    with pytest.raises(error, match=words):
        nn.Linear(2, 2).to(arg)


FORWARD_ONLY = [
    (F.relu, nn.ReLU()),
    (F.leaky_relu, nn.LeakyReLU()),
    (F.elu, nn.ELU()),
    (F.sigmoid, nn.Sigmoid()),
    (F.tanh, nn.Tanh()),
    (F.gelu, nn.GELU()),
    (F.silu, nn.SiLU()),
    (F.softplus, nn.Softplus()),
    (F.softmax, nn.Softmax()),
    (F.log_softmax, nn.LogSoftmax()),
]


@pytest.mark.parametrize(
    ("function", "module"), FORWARD_ONLY, ids=lambda f: getattr(f, "__name__", "")
)
def test_pytorchs_forward_only_functions_exist(function, module):
    x = np.linspace(-3, 3, 12).reshape(3, 4)
    np.testing.assert_array_equal(function(x), module(x))


def test_summary_prints_in_a_script(capsys):
    summary = nn.summary(nn.Sequential(nn.Linear(4, 3), nn.ReLU()), (1, 4))
    printed = capsys.readouterr().out
    assert "0 Linear" in printed and "total parameters: 15" in printed
    assert summary.total_parameters == 15 and "total_parameters=15" in repr(summary)
    nn.summary(nn.Linear(2, 2), (1, 2), verbose=False)
    assert capsys.readouterr().out == ""


def test_viz_loads_lazily():
    code = (
        "import sys, json, minitorch\n"
        "before = 'matplotlib' in sys.modules\n"
        "viz = minitorch.viz\n"
        "print(json.dumps([before, hasattr(viz, 'plot_history')]))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == [False, True]
    with pytest.raises(AttributeError, match="has no attribute 'nope'"):
        minitorch.nope  # noqa: B018
