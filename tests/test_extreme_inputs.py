"""Extreme but valid float32 inputs: no RuntimeWarning, no NaN where PyTorch is finite.

Each activation and loss is one row; each extreme input is one row. Where PyTorch's result is
finite, minitorch's must match it; where PyTorch gives inf or NaN (a row of −inf, a sum past
float32's range), minitorch gives the same or the finite mathematical value. The test suite
turns every RuntimeWarning into an error (pyproject.toml), so a warning fails the row. PyTorch's
outputs are stored in tests/golden/extreme_*.npz for machines without torch.
"""

from __future__ import annotations

import numpy as np
import pytest

from minitorch import nn
from parity import GOLDEN_DIR, HAVE_TORCH, WRITE_GOLDEN, to_numpy, torch

HUGE = np.array([[3e38, -3e38, 1e20], [-1e20, 0.0, 1.0]], np.float32)
INPUTS = {
    "huge": HUGE,
    "minus-inf-row": np.full((2, 3), -np.inf, np.float32),
    "empty": np.zeros((0, 3), np.float32),
}

# (id, minitorch factory, torch factory name and arguments)
ACTIVATIONS = [
    ("relu", nn.ReLU, ("ReLU",)),
    ("leaky_relu", nn.LeakyReLU, ("LeakyReLU",)),
    ("elu", nn.ELU, ("ELU",)),
    ("gelu", nn.GELU, ("GELU",)),
    ("gelu_tanh", lambda: nn.GELU("tanh"), ("GELU", "tanh")),
    ("silu", nn.SiLU, ("SiLU",)),
    ("sigmoid", nn.Sigmoid, ("Sigmoid",)),
    ("tanh", nn.Tanh, ("Tanh",)),
    ("softplus", nn.Softplus, ("Softplus",)),
    ("softmax", nn.Softmax, ("Softmax", -1)),
    ("log_softmax", nn.LogSoftmax, ("LogSoftmax", -1)),
]

TARGETS = {
    "class": np.array([0, 2]),
    "binary": np.array([[1, 0, 1], [0, 1, 1]], np.float32),
    "zeros": np.zeros((2, 3), np.float32),
}
# (id, minitorch factory, torch class name, targets, scale of the predictions)
LOSSES = [
    ("cross_entropy", nn.CrossEntropyLoss, "CrossEntropyLoss", "class", 1.0),
    ("nll", nn.NLLLoss, "NLLLoss", "class", 1.0),
    ("bce_logits", nn.BCEWithLogitsLoss, "BCEWithLogitsLoss", "binary", 1.0),
    ("mse", nn.MSELoss, "MSELoss", "zeros", 1e-20),
    ("l1", nn.L1Loss, "L1Loss", "zeros", 1.0),
    ("huber", nn.HuberLoss, "HuberLoss", "zeros", 1.0),
]


def reference(case: str, compute) -> dict[str, np.ndarray]:
    """PyTorch's outputs, live (stored when MINITORCH_WRITE_GOLDEN=1) or from the golden file."""
    path = GOLDEN_DIR / f"extreme_{case}.npz"
    if HAVE_TORCH:
        theirs = {key: to_numpy(value) for key, value in compute().items()}
        if WRITE_GOLDEN:
            np.savez_compressed(path, **theirs)
        return theirs
    if not path.exists():
        pytest.skip(f"{case}: torch is not installed and there is no golden file")
    with np.load(path, allow_pickle=False) as stored:
        return {key: stored[key] for key in stored.files}


def assert_as_good_as_torch(case: str, ours: np.ndarray, theirs: np.ndarray) -> None:
    ours, theirs = np.asarray(ours, np.float64), np.asarray(theirs, np.float64)
    assert ours.shape == theirs.shape, case
    finite = np.isfinite(theirs)
    np.testing.assert_allclose(ours[finite], theirs[finite], rtol=1e-5, atol=0, err_msg=case)
    # where torch is not finite: the same inf/NaN, or a finite value (the exact limit)
    same = (ours == theirs) | (np.isnan(ours) & np.isnan(theirs)) | np.isfinite(ours)
    assert same[~finite].all(), f"{case}: {ours[~finite]} where PyTorch gives {theirs[~finite]}"


@pytest.mark.parity
@pytest.mark.parametrize("input_id", list(INPUTS))
@pytest.mark.parametrize(
    ("name", "make", "torch_spec"), ACTIVATIONS, ids=[a[0] for a in ACTIVATIONS]
)
def test_activations_on_extreme_inputs(name, make, torch_spec, input_id):
    x = INPUTS[input_id]
    module = make()
    y = module(x)
    dx = module.backward(np.ones_like(y))
    assert y.dtype == dx.dtype == np.float32

    def compute():
        xt = torch.tensor(x, requires_grad=True)
        yt = getattr(torch.nn, torch_spec[0])(*torch_spec[1:])(xt)
        if yt.numel():
            yt.backward(torch.ones_like(yt))
        grad = xt.grad if xt.grad is not None else torch.zeros_like(xt)
        return {"y": yt, "dx": grad}

    theirs = reference(f"{name}_{input_id}", compute)
    assert_as_good_as_torch(f"{name} y", y, theirs["y"])
    assert_as_good_as_torch(f"{name} dx", dx, theirs["dx"])


@pytest.mark.parity
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("batch", ["full", "empty"])
@pytest.mark.parametrize(
    ("name", "make", "torch_name", "target_kind", "scale"), LOSSES, ids=[loss[0] for loss in LOSSES]
)
def test_losses_on_extreme_inputs(name, make, torch_name, target_kind, scale, batch, reduction):
    x = (HUGE * np.float32(scale)).astype(np.float32)
    y = TARGETS[target_kind]
    if batch == "empty":
        x, y = x[:0], y[:0]
    loss_fn = make(reduction=reduction)
    loss = loss_fn(x, y)
    dx = loss_fn.backward(np.ones_like(loss) if reduction == "none" else None)

    def compute():
        xt = torch.tensor(x, requires_grad=True)
        lt = getattr(torch.nn, torch_name)(reduction=reduction)(xt, torch.tensor(y))
        lt.backward(torch.ones_like(lt))
        return {"loss": lt, "dx": xt.grad}

    theirs = reference(f"{name}_{batch}_{reduction}", compute)
    assert_as_good_as_torch(f"{name} loss", loss, theirs["loss"])
    assert_as_good_as_torch(f"{name} dx", dx, theirs["dx"])
