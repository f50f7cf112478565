"""The input policy beyond the layer table (minitorch._validation.float_input).

Every layer's inputs of every kind (bool, int, uint, lists; complex, object, string, ragged)
are checks of the layer table (tests/test_layer_table.py), one row per layer. Here: the losses,
and the parameter dtypes every layer refuses.
"""

from __future__ import annotations

import numpy as np
import pytest

from minitorch import nn
from minitorch.models import GPT

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


#: Every layer that creates parameters, built with a given dtype.
WITH_PARAMETERS = {
    "Linear": lambda dt: nn.Linear(2, 2, dtype=dt),
    "Embedding": lambda dt: nn.Embedding(3, 2, dtype=dt),
    "Conv2d": lambda dt: nn.Conv2d(1, 2, 3, dtype=dt),
    "ConvTranspose2d": lambda dt: nn.ConvTranspose2d(1, 2, 3, dtype=dt),
    "GroupNorm": lambda dt: nn.GroupNorm(2, 4, dtype=dt),
    "BatchNorm1d": lambda dt: nn.BatchNorm1d(3, dtype=dt),
    "BatchNorm2d": lambda dt: nn.BatchNorm2d(3, dtype=dt),
    "LayerNorm": lambda dt: nn.LayerNorm(4, dtype=dt),
    "MultiheadAttention": lambda dt: nn.MultiheadAttention(4, 2, dtype=dt),
    "TransformerBlock": lambda dt: nn.TransformerBlock(4, 2, dtype=dt),
    "GPT": lambda dt: GPT(7, 4, 1, 2, 4, dtype=dt),
}


@pytest.mark.parametrize("make", WITH_PARAMETERS.values(), ids=WITH_PARAMETERS.keys())
def test_parameters_must_be_floating_point(make):
    with pytest.raises(TypeError, match=r"parameters must be floating point.*got dtype int64"):
        make(np.int64)
    with pytest.raises(TypeError, match=r"parameters must be floating point.*got dtype int32"):
        make(np.int32)
    with pytest.raises(TypeError, match="dtype must be a NumPy dtype"):
        make("no such dtype")
    assert all(p.dtype == np.float64 for p in make(np.float64).parameters())
