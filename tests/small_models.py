"""Small models that the diagnostics tests and the plot tests share (``tests/test_diagnostics.py``,
``tests/test_viz.py``); the fixtures ``blobs`` and ``trained`` built from them are in conftest."""

from __future__ import annotations

import numpy as np

from minitorch import nn


def linear(W, b=None) -> nn.Linear:
    """A Linear layer with the given weights (float64)."""
    W = np.asarray(W, dtype=np.float64)
    layer = nn.Linear(W.shape[0], W.shape[1], bias=b is not None, dtype=np.float64)
    layer.W[...] = W
    if b is not None:
        layer.b[...] = np.asarray(b, dtype=np.float64).reshape(1, -1)
    return layer


def small_relu_model() -> nn.Sequential:
    return nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 8), nn.ReLU(), nn.Linear(8, 3))


def forward_backward(model: nn.Module, x: np.ndarray, y: np.ndarray) -> float:
    loss_fn = nn.CrossEntropyLoss()
    loss = loss_fn(model(x), y)
    model.zero_grad()
    model.backward(loss_fn.backward())
    return float(loss)
