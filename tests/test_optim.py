"""Optimizers: PyTorch parity of every update rule and option, in-place float32 updates, None
gradients, state_dict round trips that resume bitwise, and the errors a student meets."""

from __future__ import annotations

import numpy as np
import pytest

import minitorch
from minitorch import nn, optim
from parity import assert_matches_torch, torch

STEPS = 12
DECAY_PULL = 0.3  # gradients are G_t + 0.3·θ, so every step depends on the parameters reached


# ---------------------------------------------------------------------- a small model
def make_model() -> nn.Sequential:
    return nn.Sequential(nn.Linear(5, 4), nn.ReLU(), nn.Linear(4, 3))


def linear_layers(model: nn.Sequential) -> list[nn.Linear]:
    return [m for m in model if isinstance(m, nn.Linear)]


# minitorch's W is (in, out) and b is (1, out); torch's weight is (out, in) and bias (out,).
def to_torch_layout(array: np.ndarray) -> np.ndarray:
    return array.reshape(-1).copy() if array.shape[0] == 1 else array.T.copy()


def from_torch_layout(array: np.ndarray, like: np.ndarray) -> np.ndarray:
    return array.reshape(like.shape).copy() if like.shape[0] == 1 else array.T.copy()


def fixed_gradients(shapes, seed: int = 7) -> list[list[np.ndarray]]:
    rng = np.random.default_rng(seed)
    return [[rng.standard_normal(shape) for shape in shapes] for _ in range(STEPS)]


def has_grad(step: int, index: int, late_layer: bool) -> bool:
    """With ``late_layer``, the second Linear gets no gradient (None) for the first 3 steps."""
    return not (late_layer and index >= 2 and step < 3)


def run_minitorch(make_optimizer, late_layer: bool = False):
    model = make_model()
    params = model.parameters()
    initial = [p.copy() for p in params]
    optimizer = make_optimizer(model)
    fixed = fixed_gradients([p.shape for p in params])
    trajectory = {f"p{i}": [] for i in range(len(params))}
    for step in range(STEPS):
        for layer in linear_layers(model):
            layer.dW = layer.db = None
        for index, param in enumerate(model.parameters()):
            if not has_grad(step, index, late_layer):
                continue
            layer, attr = linear_layers(model)[index // 2], ("dW", "db")[index % 2]
            setattr(layer, attr, fixed[step][index] + DECAY_PULL * param)
        optimizer.step()
        for i, param in enumerate(params):
            trajectory[f"p{i}"].append(param.copy())
    ours = {key: np.stack(values) for key, values in trajectory.items()}
    for index, state in optimizer.state.items():
        for key, value in state.items():
            ours[f"state{index}_{key}"] = np.asarray(value, dtype=np.float64)
    return initial, ours


def run_torch(initial, make_torch_optimizer, late_layer: bool = False):
    params = [torch.tensor(to_torch_layout(p)).requires_grad_() for p in initial]
    optimizer = make_torch_optimizer(params)
    fixed = fixed_gradients([p.shape for p in initial])
    trajectory = {f"p{i}": [] for i in range(len(params))}
    for step in range(STEPS):
        for index, param in enumerate(params):
            if has_grad(step, index, late_layer):
                pull = DECAY_PULL * param.detach()
                param.grad = torch.tensor(to_torch_layout(fixed[step][index])) + pull
            else:
                param.grad = None
        optimizer.step()
        for i, param in enumerate(params):
            trajectory[f"p{i}"].append(from_torch_layout(param.detach().numpy(), initial[i]))
    theirs = {key: np.stack(values) for key, values in trajectory.items()}
    for index, param in enumerate(params):
        for key, value in optimizer.state[param].items():
            if value is None:
                continue
            value = value.detach().numpy()
            if value.ndim:
                value = from_torch_layout(value, initial[index])
            theirs[f"state{index}_{key}"] = np.asarray(value, dtype=np.float64)
    return theirs


def _t(name):
    """A torch optimizer factory (single-tensor implementation, as minitorch mirrors)."""

    def factory(**kwargs):
        return lambda params: getattr(torch.optim, name)(params, foreach=False, **kwargs)

    return factory


# (case, minitorch optimizer factory, torch optimizer factory, late_layer)
CASES = [
    ("sgd_plain", lambda m: optim.SGD(m, lr=0.1), _t("SGD")(lr=0.1), False),
    (
        "sgd_momentum",
        lambda m: optim.SGD(m, lr=0.05, momentum=0.9),
        _t("SGD")(lr=0.05, momentum=0.9),
        False,
    ),
    (
        "sgd_dampening",
        lambda m: optim.SGD(m, lr=0.05, momentum=0.9, dampening=0.3),
        _t("SGD")(lr=0.05, momentum=0.9, dampening=0.3),
        False,
    ),
    (
        "sgd_nesterov",
        lambda m: optim.SGD(m, lr=0.05, momentum=0.9, nesterov=True),
        _t("SGD")(lr=0.05, momentum=0.9, nesterov=True),
        False,
    ),
    (
        "sgd_weight_decay",
        lambda m: optim.SGD(m, lr=0.1, weight_decay=0.1),
        _t("SGD")(lr=0.1, weight_decay=0.1),
        False,
    ),
    (
        "sgd_maximize",
        lambda m: optim.SGD(m, lr=0.05, momentum=0.5, maximize=True),
        _t("SGD")(lr=0.05, momentum=0.5, maximize=True),
        False,
    ),
    (
        "sgd_nesterov_decay_maximize",
        lambda m: optim.SGD(
            m, lr=0.05, momentum=0.8, weight_decay=0.05, nesterov=True, maximize=True
        ),
        _t("SGD")(lr=0.05, momentum=0.8, weight_decay=0.05, nesterov=True, maximize=True),
        False,
    ),
    (
        "sgd_dampening_decay_late",
        lambda m: optim.SGD(m, lr=0.05, momentum=0.7, dampening=0.2, weight_decay=0.01),
        _t("SGD")(lr=0.05, momentum=0.7, dampening=0.2, weight_decay=0.01),
        True,
    ),
    ("adam", lambda m: optim.Adam(m, lr=0.05), _t("Adam")(lr=0.05), False),
    ("adam_defaults", lambda m: optim.Adam(m), _t("Adam")(), False),
    (
        "adam_weight_decay",
        lambda m: optim.Adam(m, lr=0.05, weight_decay=0.1),
        _t("Adam")(lr=0.05, weight_decay=0.1),
        False,
    ),
    (
        "adam_amsgrad",
        lambda m: optim.Adam(m, lr=0.05, amsgrad=True),
        _t("Adam")(lr=0.05, amsgrad=True),
        False,
    ),
    (
        "adam_amsgrad_decay_maximize_late",
        lambda m: optim.Adam(m, lr=0.05, weight_decay=0.1, amsgrad=True, maximize=True),
        _t("Adam")(lr=0.05, weight_decay=0.1, amsgrad=True, maximize=True),
        True,
    ),
    (
        "adam_betas_eps",  # beta1 = 0.3 takes lerp's other branch (weight 0.7 >= 0.5)
        lambda m: optim.Adam(m, lr=0.05, betas=(0.3, 0.9), eps=1e-3),
        _t("Adam")(lr=0.05, betas=(0.3, 0.9), eps=1e-3),
        False,
    ),
    (
        "adam_beta1_zero",
        lambda m: optim.Adam(m, lr=0.05, betas=(0.0, 0.99)),
        _t("Adam")(lr=0.05, betas=(0.0, 0.99)),
        False,
    ),
    ("adamw", lambda m: optim.AdamW(m, lr=0.05), _t("AdamW")(lr=0.05), False),
    (
        "adamw_amsgrad",
        lambda m: optim.AdamW(m, lr=0.05, weight_decay=0.1, amsgrad=True),
        _t("AdamW")(lr=0.05, weight_decay=0.1, amsgrad=True),
        False,
    ),
    (
        "adamw_maximize_late",
        lambda m: optim.AdamW(m, lr=0.05, weight_decay=0.2, maximize=True),
        _t("AdamW")(lr=0.05, weight_decay=0.2, maximize=True),
        True,
    ),
    ("rmsprop", lambda m: optim.RMSprop(m), _t("RMSprop")(), False),
    (
        "rmsprop_alpha",
        lambda m: optim.RMSprop(m, lr=0.01, alpha=0.9),
        _t("RMSprop")(lr=0.01, alpha=0.9),
        False,
    ),
    (
        "rmsprop_momentum",
        lambda m: optim.RMSprop(m, lr=0.01, momentum=0.9),
        _t("RMSprop")(lr=0.01, momentum=0.9),
        False,
    ),
    (
        "rmsprop_centered",
        lambda m: optim.RMSprop(m, lr=0.01, centered=True),
        _t("RMSprop")(lr=0.01, centered=True),
        False,
    ),
    (
        "rmsprop_weight_decay",
        lambda m: optim.RMSprop(m, lr=0.01, weight_decay=0.1),
        _t("RMSprop")(lr=0.01, weight_decay=0.1),
        False,
    ),
    (
        "rmsprop_all_late",  # alpha = 0.3: the centred mean's lerp takes its other branch
        lambda m: optim.RMSprop(
            m, lr=0.01, alpha=0.3, eps=1e-6, weight_decay=0.1, momentum=0.5, centered=True
        ),
        _t("RMSprop")(lr=0.01, alpha=0.3, eps=1e-6, weight_decay=0.1, momentum=0.5, centered=True),
        True,
    ),
    (
        "rmsprop_maximize",
        lambda m: optim.RMSprop(m, lr=0.01, momentum=0.3, maximize=True),
        _t("RMSprop")(lr=0.01, momentum=0.3, maximize=True),
        False,
    ),
    ("adagrad", lambda m: optim.Adagrad(m, lr=0.1), _t("Adagrad")(lr=0.1), False),
    (
        "adagrad_lr_decay",
        lambda m: optim.Adagrad(m, lr=0.1, lr_decay=0.1),
        _t("Adagrad")(lr=0.1, lr_decay=0.1),
        False,
    ),
    (
        "adagrad_weight_decay",
        lambda m: optim.Adagrad(m, lr=0.1, weight_decay=0.1),
        _t("Adagrad")(lr=0.1, weight_decay=0.1),
        False,
    ),
    (
        "adagrad_initial_accumulator",
        lambda m: optim.Adagrad(m, lr=0.1, initial_accumulator_value=0.5),
        _t("Adagrad")(lr=0.1, initial_accumulator_value=0.5),
        False,
    ),
    (
        "adagrad_all_late",
        lambda m: optim.Adagrad(
            m,
            lr=0.1,
            lr_decay=0.05,
            weight_decay=0.1,
            initial_accumulator_value=0.2,
            eps=1e-6,
            maximize=True,
        ),
        _t("Adagrad")(
            lr=0.1,
            lr_decay=0.05,
            weight_decay=0.1,
            initial_accumulator_value=0.2,
            eps=1e-6,
            maximize=True,
        ),
        True,
    ),
]


@pytest.mark.parity
@pytest.mark.parametrize(("case", "ours", "theirs", "late"), CASES, ids=[c[0] for c in CASES])
def test_matches_torch(float64, case, ours, theirs, late):
    initial, result = run_minitorch(ours, late)
    assert_matches_torch(f"optim_{case}", result, lambda: run_torch(initial, theirs, late))
