"""One input policy for every layer, activation and loss (minitorch._validation.float_input).

Bool, int and uint inputs are computed in floating point; Python lists behave like arrays;
complex, object and string arrays are refused with a TypeError naming the module; parameters
must be floating point. Each module is one row; each kind of input is one row.
"""

from __future__ import annotations

import numpy as np
import pytest

import minitorch
from minitorch import nn

# (id, factory, feature size): every module that takes a float input x of shape (2, D).
MODULES = [
    ("Linear", lambda: nn.Linear(3, 2), 3),
    ("Identity", nn.Identity, 3),
    ("Flatten", nn.Flatten, 3),
    ("ReLU", nn.ReLU, 3),
    ("LeakyReLU", nn.LeakyReLU, 3),
    ("ELU", nn.ELU, 3),
    ("GELU", nn.GELU, 3),
    ("GELU-tanh", lambda: nn.GELU("tanh"), 3),
    ("SiLU", nn.SiLU, 3),
    ("Sigmoid", nn.Sigmoid, 3),
    ("Tanh", nn.Tanh, 3),
    ("Softplus", nn.Softplus, 3),
    ("Softmax", nn.Softmax, 3),
    ("LogSoftmax", nn.LogSoftmax, 3),
    ("Sequential", lambda: nn.Sequential(nn.Linear(3, 4), nn.ReLU()), 3),
]

# (id, input, expected dtype of the output): what the policy does with each kind of input.
ACCEPTED = [
    ("int64", np.array([[1, -2, 3], [0, 4, -1]]), np.float32),
    ("uint8", np.array([[1, 200, 3], [0, 255, 1]], dtype=np.uint8), np.float32),
    ("bool", np.array([[True, False, True], [False, False, True]]), np.float32),
    ("list", [[1.0, -2.0, 3.0], [0.5, 4.0, -1.0]], np.float32),
    ("float32", np.array([[1.0, -2.0, 3.0], [0.5, 4.0, -1.0]], np.float32), np.float32),
]

REFUSED = [
    ("complex", np.array([[1 + 2j, 0, 1], [0, 1, 1]]), "complex numbers"),
    ("object", np.array([[1, None, 3], [0, 1, 2]], dtype=object), "Python objects"),
    ("string", np.array([["a", "b", "c"], ["d", "e", "f"]]), "strings"),
    ("ragged", [[1.0, 2.0, 3.0], [1.0]], "could not be made into an array"),
]


@pytest.mark.parametrize(("input_id", "x", "dtype"), ACCEPTED, ids=[a[0] for a in ACCEPTED])
@pytest.mark.parametrize(("name", "make", "dim"), MODULES, ids=[m[0] for m in MODULES])
def test_numbers_of_any_kind_are_computed_in_floating_point(name, make, dim, input_id, x, dtype):
    if name == "Identity":
        pytest.skip("Identity returns its input as it is")
    minitorch.manual_seed(0)
    module = make()
    y = module(x)
    assert y.dtype == dtype, f"{name} on {input_id}"
    minitorch.manual_seed(0)
    expected = make()(np.asarray(x, dtype=np.float32))
    np.testing.assert_array_equal(y, expected)
    grad = module.backward(np.ones_like(y))
    assert grad is None or grad.dtype == dtype


@pytest.mark.parametrize(("input_id", "x", "words"), REFUSED, ids=[r[0] for r in REFUSED])
@pytest.mark.parametrize(("name", "make", "dim"), MODULES, ids=[m[0] for m in MODULES])
def test_other_inputs_are_refused_naming_the_module(name, make, dim, input_id, x, words):
    if name == "Identity":
        pytest.skip("Identity returns its input as it is")
    label = {"Sequential": "Linear", "GELU-tanh": "GELU"}.get(name, name)
    with pytest.raises(TypeError, match=rf"^{label}.*{words}"):
        make()(x)


LOSSES = [
    ("MSELoss", nn.MSELoss, np.array([[1.0, 2.0]])),
    ("L1Loss", nn.L1Loss, np.array([[1.0, 2.0]])),
    ("HuberLoss", nn.HuberLoss, np.array([[1.0, 2.0]])),
    ("BCELoss", nn.BCELoss, np.array([[1.0, 0.0]])),
    ("BCEWithLogitsLoss", nn.BCEWithLogitsLoss, np.array([[1.0, 0.0]])),
    ("CrossEntropyLoss", nn.CrossEntropyLoss, np.array([1])),
    ("NLLLoss", nn.NLLLoss, np.array([1])),
]


@pytest.mark.parametrize(("name", "make", "targets"), LOSSES, ids=[loss[0] for loss in LOSSES])
def test_losses_follow_the_same_policy(name, make, targets):
    predictions = np.array([[0, 1]]) if name != "NLLLoss" else np.array([[-1, 0]])
    loss = make()(predictions, targets)
    assert loss.dtype == np.float32
    expected = make()(predictions.astype(np.float32), targets)
    assert loss == expected
    with pytest.raises(TypeError, match=rf"^{name}.*complex numbers"):
        make()(predictions.astype(complex), targets)
    with pytest.raises(TypeError, match=rf"^{name}.*strings"):
        make()(predictions.astype(str), targets)


@pytest.mark.parametrize(
    "make",
    [lambda dt: nn.Linear(2, 2, dtype=dt), lambda dt: nn.Embedding(3, 2, dtype=dt)],
    ids=["Linear", "Embedding"],
)
def test_parameters_must_be_floating_point(make):
    with pytest.raises(TypeError, match=r"parameters must be floating point.*got dtype int64"):
        make(np.int64)
    with pytest.raises(TypeError, match="dtype must be a NumPy dtype"):
        make("no such dtype")
    assert make(np.float64).parameters()[0].dtype == np.float64


def test_float64_input_to_a_float32_layer_is_computed_in_float32():
    minitorch.manual_seed(0)
    layer = nn.Linear(3, 2)
    assert layer(np.ones((2, 3))).dtype == np.float32
    assert nn.ReLU()(np.ones((2, 3))).dtype == np.float64  # no parameters: the input's dtype
