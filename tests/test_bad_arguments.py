"""Bad arguments, one row each: hyperparameters of every constructor, gradients handed to every
backward, targets of every loss. Each gets an error naming the module (and the argument)."""

from __future__ import annotations

import numpy as np
import pytest

from minitorch import nn

# (id, call, error type, message regex)
CONSTRUCTORS = [
    (
        "Linear-bias",
        lambda: nn.Linear(2, 2, bias="yes"),
        TypeError,
        r"Linear: bias must be True or False",
    ),
    (
        "Linear-dim",
        lambda: nn.Linear(2.0, 2),
        ValueError,
        r"Linear: input_dim must be a positive int",
    ),
    (
        "LeakyReLU",
        lambda: nn.LeakyReLU("0.1"),
        TypeError,
        r"LeakyReLU: negative_slope must be a number",
    ),
    ("ELU", lambda: nn.ELU(None), TypeError, r"ELU: alpha must be a number"),
    ("Softplus-beta", lambda: nn.Softplus(beta=0), ValueError, r"Softplus: beta must be positive"),
    ("Softplus-nan", lambda: nn.Softplus(threshold=float("nan")), ValueError, r"finite"),
    ("GELU", lambda: nn.GELU("fast"), ValueError, r"GELU: approximate must be 'none' or 'tanh'"),
    ("Softmax", lambda: nn.Softmax(dim=1.5), TypeError, r"Softmax: dim must be an int"),
    ("LogSoftmax", lambda: nn.LogSoftmax(dim=True), TypeError, r"LogSoftmax: dim must be an int"),
    ("Flatten", lambda: nn.Flatten("1"), TypeError, r"Flatten: start_dim must be an int"),
    (
        "Embedding",
        lambda: nn.Embedding(0, 2),
        ValueError,
        r"Embedding: num_embeddings must be a positive",
    ),
    (
        "Embedding-pad",
        lambda: nn.Embedding(4, 2, padding_idx=4),
        ValueError,
        r"padding_idx must be within",
    ),
    ("MSELoss", lambda: nn.MSELoss(reduction=1), ValueError, r"MSELoss: reduction must be one of"),
    ("HuberLoss", lambda: nn.HuberLoss(delta="1"), TypeError, r"HuberLoss: delta must be a number"),
    (
        "HuberLoss-0",
        lambda: nn.HuberLoss(delta=0),
        ValueError,
        r"HuberLoss: delta must be positive",
    ),
    (
        "CE-smoothing",
        lambda: nn.CrossEntropyLoss(label_smoothing="0.1"),
        TypeError,
        r"label_smoothing must be a number",
    ),
    (
        "CE-smoothing-range",
        lambda: nn.CrossEntropyLoss(label_smoothing=1.5),
        ValueError,
        r"label_smoothing must be in \[0, 1\]",
    ),
    (
        "CE-ignore",
        lambda: nn.CrossEntropyLoss(ignore_index=1.5),
        TypeError,
        r"CrossEntropyLoss: ignore_index must be an int",
    ),
    (
        "NLL-ignore",
        lambda: nn.NLLLoss(ignore_index="0"),
        TypeError,
        r"NLLLoss: ignore_index must be an int",
    ),
    (
        "ConvTranspose2d-output_padding",
        lambda: nn.ConvTranspose2d(2, 2, 3, stride=2, output_padding=2),
        ValueError,
        r"ConvTranspose2d: output_padding must be smaller than either stride or dilation",
    ),
    (
        "ConvTranspose2d-groups",
        lambda: nn.ConvTranspose2d(3, 4, 3, groups=2),
        ValueError,
        r"ConvTranspose2d: in_channels must be divisible by groups",
    ),
    ("Upsample-mode", lambda: nn.Upsample(scale_factor=2, mode="bicubic"), ValueError,
     r"Upsample: mode must be 'nearest' or 'bilinear'"),
    ("Upsample-none", lambda: nn.Upsample(), ValueError, r"Upsample: give either size or"),
    ("GroupNorm-groups", lambda: nn.GroupNorm(3, 4), ValueError,
     r"GroupNorm: num_channels must be divisible by num_groups"),
    ("Unflatten-size", lambda: nn.Unflatten(1, 6), TypeError,
     r"Unflatten: unflattened_size must be a tuple of ints"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("call", "error", "words"), [c[1:] for c in CONSTRUCTORS], ids=[c[0] for c in CONSTRUCTORS]
)
def test_constructors_check_their_hyperparameters(call, error, words):
    with pytest.raises(error, match=words):
        call()


# (id, module factory, forward input): backward must refuse a gradient of the wrong shape.
BACKWARDS = [
    ("Linear", lambda: nn.Linear(3, 2), np.ones((4, 3), np.float32)),
    ("TiedLinear", lambda: nn.TiedLinear(nn.Embedding(5, 3)), np.ones((4, 3), np.float32)),
    ("Embedding", lambda: nn.Embedding(5, 3), np.array([1, 2, 3, 4])),
    ("Flatten", nn.Flatten, np.ones((4, 3, 1), np.float32)),
    ("ConvTranspose2d", lambda: nn.ConvTranspose2d(3, 2, 2), np.ones((4, 3, 2, 2), np.float32)),
    ("Upsample", lambda: nn.Upsample(scale_factor=2), np.ones((4, 3, 2, 2), np.float32)),
    ("GroupNorm", lambda: nn.GroupNorm(1, 3), np.ones((4, 3, 2, 2), np.float32)),
    ("Unflatten", lambda: nn.Unflatten(1, (3, 1)), np.ones((4, 3), np.float32)),
    ("Dropout", nn.Dropout, np.ones((4, 3), np.float32)),
    ("ReLU", nn.ReLU, np.ones((4, 3), np.float32)),
    ("Softmax", nn.Softmax, np.ones((4, 3), np.float32)),
    ("Sequential", lambda: nn.Sequential(nn.Linear(3, 3), nn.Tanh()), np.ones((4, 3), np.float32)),
]


@pytest.mark.parametrize(("make", "x"), [b[1:] for b in BACKWARDS], ids=[b[0] for b in BACKWARDS])
def test_every_backward_checks_the_gradient_it_is_given(make, x):
    module = make()
    y = module(x)
    wrong = np.ones((*y.shape[:-1], y.shape[-1] + 1), np.float32)
    with pytest.raises(ValueError, match=r"backward expects grad_output of shape"):
        module.backward(wrong)


LOSS_TARGETS = [
    (
        "BCE-above-1",
        nn.BCELoss,
        np.array([0.5, 0.5]),
        np.array([2.0, 1.0]),
        ValueError,
        r"BCELoss expects targets in \[0, 1\]",
    ),
    (
        "BCE-negative",
        nn.BCELoss,
        np.array([0.5, 0.5]),
        np.array([-1.0, 1.0]),
        ValueError,
        r"targets in \[0, 1\]",
    ),
    (
        "BCE-nan",
        nn.BCELoss,
        np.array([0.5, 0.5]),
        np.array([np.nan, 1.0]),
        ValueError,
        r"targets in \[0, 1\]",
    ),
    (
        "BCE-shape",
        nn.BCELoss,
        np.array([[0.5, 0.5]]),
        np.array([1.0, 1.0]),
        ValueError,
        r"must have the same shape",
    ),
    (
        "MSE-strings",
        nn.MSELoss,
        np.array([0.5, 0.5]),
        np.array(["a", "b"]),
        TypeError,
        r"numeric targets",
    ),
    (
        "CE-out-of-range",
        nn.CrossEntropyLoss,
        np.ones((2, 3)),
        np.array([0, 3]),
        ValueError,
        r"out of range",
    ),
    (
        "CE-negative",
        nn.CrossEntropyLoss,
        np.ones((2, 3)),
        np.array([0, -2]),
        ValueError,
        r"out of range",
    ),
    (
        "CE-float-indices",
        nn.CrossEntropyLoss,
        np.ones((2, 3)),
        np.array([0.0, 1.0]),
        TypeError,
        r"class indices must be integers",
    ),
    (
        "NLL-out-of-range",
        nn.NLLLoss,
        np.ones((2, 3)),
        np.array([0, 5]),
        ValueError,
        r"out of range",
    ),
]


@pytest.mark.parametrize(
    ("make", "predictions", "targets", "error", "words"),
    [t[1:] for t in LOSS_TARGETS],
    ids=[t[0] for t in LOSS_TARGETS],
)
def test_every_loss_validates_its_targets(make, predictions, targets, error, words):
    with pytest.raises(error, match=words):
        make()(predictions, targets)
