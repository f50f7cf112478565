"""BatchNorm1d and BatchNorm2d beyond the layer table's rows: the running statistics over
several training steps against PyTorch's (momentum, cumulative average, unbiased variance),
train and eval behaviour, buffers in the state dict, and the errors."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from minitorch import nn
from minitorch.nn import functional as F
from parity import assert_matches_torch, torch, torch_tensor


def torch_batchnorm(layer):
    """A torch BatchNorm with the same options, parameters and buffers as ``layer``."""
    cls = getattr(torch.nn, type(layer).__name__)
    module = cls(
        layer.num_features,
        eps=layer.eps,
        momentum=layer.momentum,
        affine=layer.affine,
        track_running_stats=layer.track_running_stats,
    )
    with torch.no_grad():
        if layer.affine:
            module.weight.copy_(torch_tensor(layer.gamma.ravel()))
            module.bias.copy_(torch_tensor(layer.beta.ravel()))
        if layer.track_running_stats:
            module.running_mean.copy_(torch_tensor(layer.running_mean.ravel()))
            module.running_var.copy_(torch_tensor(layer.running_var.ravel()))
            module.num_batches_tracked.fill_(int(layer.num_batches_tracked))
    return module


RUNNING_CASES = [
    ("bn1d_rows", lambda: nn.BatchNorm1d(3), (6, 3)),
    ("bn1d_sequence_momentum_none", lambda: nn.BatchNorm1d(4, momentum=None), (3, 4, 5)),
    ("bn2d", lambda: nn.BatchNorm2d(3), (2, 3, 4, 5)),
    ("bn2d_momentum_half_eps", lambda: nn.BatchNorm2d(2, momentum=0.5, eps=1e-3), (1, 2, 3, 3)),
    (
        "bn2d_momentum_none_no_affine",
        lambda: nn.BatchNorm2d(3, momentum=None, affine=False),
        (4, 3, 2, 2),
    ),
]


@pytest.mark.parity
@pytest.mark.parametrize(
    ("case", "make", "shape"), RUNNING_CASES, ids=[c[0] for c in RUNNING_CASES]
)
def test_running_statistics_over_several_steps_match_torch(case, make, shape, float64):
    """Four training steps (batches of different means and spreads, gradients accumulating),
    then an evaluation step: every output, gradient and buffer after every step."""
    layer = make()
    rng = np.random.default_rng(0)
    if layer.affine:
        layer.gamma[...] = 1 + 0.5 * rng.standard_normal(layer.gamma.shape)
        layer.beta[...] = rng.standard_normal(layer.beta.shape)
    start = copy.deepcopy(layer)  # the initial state, for the reference
    steps = []
    for step in range(5):
        x = rng.standard_normal(shape) * (1 + step) + step
        steps.append((x, rng.standard_normal(shape)))
    ours = {}
    for step, (x, g) in enumerate(steps):
        if step == 4:
            layer.eval()
        ours[f"y{step}"] = layer(x)
        ours[f"dx{step}"] = layer.backward(g)
        if layer.affine:
            ours[f"dgamma{step}"], ours[f"dbeta{step}"] = layer.dgamma.copy(), layer.dbeta.copy()
        ours[f"running_mean{step}"] = layer.running_mean.ravel().copy()
        ours[f"running_var{step}"] = layer.running_var.ravel().copy()
        ours[f"num_batches_tracked{step}"] = np.asarray(layer.num_batches_tracked).copy()
    assert int(layer.num_batches_tracked) == 4  # eval mode does not count

    def reference():
        module, theirs = torch_batchnorm(start), {}
        for step, (x, g) in enumerate(steps):
            if step == 4:
                module.eval()
            xt = torch_tensor(x, requires_grad=True)
            out = module(xt)
            out.backward(torch_tensor(g))
            theirs[f"y{step}"], theirs[f"dx{step}"] = out, xt.grad
            if module.affine:
                theirs[f"dgamma{step}"] = module.weight.grad.reshape(layer.gamma.shape).clone()
                theirs[f"dbeta{step}"] = module.bias.grad.reshape(layer.beta.shape).clone()
            theirs[f"running_mean{step}"] = module.running_mean.clone()
            theirs[f"running_var{step}"] = module.running_var.clone()
            theirs[f"num_batches_tracked{step}"] = module.num_batches_tracked.clone()
        return theirs

    assert_matches_torch(f"batchnorm_running_{case}", ours, reference)


def test_running_variance_is_unbiased_and_momentum_none_is_the_cumulative_average(float64):
    rng = np.random.default_rng(1)
    batches = [rng.standard_normal((5, 2)) * (i + 1) for i in range(3)]
    layer = nn.BatchNorm1d(2, momentum=None)
    for x in batches:
        layer(x)
    np.testing.assert_allclose(layer.running_mean[0], np.mean([b.mean(0) for b in batches], 0))
    np.testing.assert_allclose(
        layer.running_var[0], np.mean([b.var(0, ddof=1) for b in batches], 0)
    )
    one = nn.BatchNorm1d(2, momentum=1.0)
    one(batches[0])
    np.testing.assert_allclose(one.running_var[0], batches[0].var(0, ddof=1))


def test_eval_uses_the_running_statistics_and_its_backward_is_affine(float64):
    rng = np.random.default_rng(2)
    layer = nn.BatchNorm2d(3)
    layer.gamma[...] = rng.standard_normal(layer.gamma.shape)
    layer.beta[...] = rng.standard_normal(layer.beta.shape)
    layer.running_mean[...] = rng.standard_normal(layer.running_mean.shape)
    layer.running_var[...] = rng.uniform(0.5, 2.0, layer.running_var.shape)
    layer.eval()
    x, g = rng.standard_normal((2, 3, 4, 4)), rng.standard_normal((2, 3, 4, 4))
    scale = layer.gamma / np.sqrt(layer.running_var + layer.eps)
    np.testing.assert_allclose(layer(x), (x - layer.running_mean) * scale + layer.beta)
    np.testing.assert_allclose(layer.backward(g), g * scale)
    before = layer.state_dict()
    layer(x)  # eval mode changes no buffer
    for name, value in layer.state_dict().items():
        np.testing.assert_array_equal(value, before[name])


def test_without_running_statistics_eval_uses_the_batch():
    x = np.random.default_rng(3).standard_normal((8, 3)).astype(np.float32)
    layer = nn.BatchNorm1d(3, track_running_stats=False)
    train = layer(x)
    np.testing.assert_array_equal(layer.eval()(x), train)
    assert layer.running_mean is None and layer.named_buffers() == []
    assert set(layer.state_dict()) == {"gamma", "beta"}


def test_parameters_buffers_and_state_dict():
    layer = nn.BatchNorm2d(4)
    assert layer.gamma.shape == layer.beta.shape == layer.running_mean.shape == (1, 4, 1, 1)
    assert nn.BatchNorm1d(4).gamma.shape == (1, 4)
    assert np.all(layer.gamma == 1) and not np.any(layer.beta)
    assert layer.parameters() == [layer.gamma, layer.beta] and layer.grads() == [None, None]
    assert layer.num_batches_tracked.dtype == np.int64 and layer.num_batches_tracked.shape == ()
    x = np.random.default_rng(0).standard_normal((3, 4, 2, 2)).astype(np.float32)
    layer(x)
    layer(x)
    state = layer.state_dict()
    assert list(state) == ["gamma", "beta", "running_mean", "running_var", "num_batches_tracked"]
    assert int(state["num_batches_tracked"]) == 2
    fresh = nn.BatchNorm2d(4)
    fresh.load_state_dict(state)
    assert int(fresh.num_batches_tracked) == 2
    np.testing.assert_array_equal(fresh.eval()(x), layer.eval()(x))
    no_affine = nn.BatchNorm2d(4, affine=False)
    assert no_affine.parameters() == [] and no_affine.gamma is None
    assert set(no_affine.state_dict()) == {"running_mean", "running_var", "num_batches_tracked"}
    assert repr(layer) == (
        "BatchNorm2d(4, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)"
    )


def test_a_sequential_with_batchnorm_saves_its_buffers_by_dotted_name():
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.ReLU())
    assert {"1.running_mean", "1.running_var", "1.num_batches_tracked"} <= set(model.state_dict())


def test_double_keeps_the_batch_counter_an_integer():
    layer = nn.BatchNorm2d(2).double()
    assert layer.running_mean.dtype == np.float64
    assert layer.num_batches_tracked.dtype == np.int64


def test_batch_of_one_value_per_channel_is_refused_in_training_only():
    layer = nn.BatchNorm1d(3)
    with pytest.raises(ValueError, match=r"BatchNorm1d\(3\): expected more than 1 value per "
                       r"channel when training, got input of shape \(1, 3\)"):  # fmt: skip
        layer(np.ones((1, 3)))
    assert int(layer.num_batches_tracked) == 0  # nothing was counted
    assert layer.eval()(np.ones((1, 3))).shape == (1, 3)
    assert nn.BatchNorm2d(3)(np.ones((1, 3, 2, 1))).shape == (1, 3, 2, 1)  # 2 values per channel


@pytest.mark.parametrize(
    ("make", "shape", "match"),
    [
        (lambda: nn.BatchNorm1d(3), (2, 4), r"^BatchNorm1d\(3\) expects input of shape \(N, 3\) "
         r"or \(N, 3, L\), got \(2, 4\)$"),
        (lambda: nn.BatchNorm1d(3), (2, 3, 4, 4), r"got \(2, 3, 4, 4\); for this input use "
         r"BatchNorm2d"),
        (lambda: nn.BatchNorm2d(3), (2, 3), r"^BatchNorm2d\(3\) expects input of shape "
         r"\(N, 3, H, W\), got \(2, 3\); for this input use BatchNorm1d$"),
        (lambda: nn.BatchNorm2d(3), (2, 5, 4, 4), r"expects input of shape \(N, 3, H, W\), got "
         r"\(2, 5, 4, 4\)$"),
    ],
)  # fmt: skip
def test_bad_inputs_name_the_layer_and_both_shapes(make, shape, match):
    with pytest.raises(ValueError, match=match):
        make()(np.zeros(shape))


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"num_features": 0}, ValueError, r"BatchNorm2d: num_features must be >= 1, got 0"),
        ({"num_features": 2.0}, TypeError, r"num_features must be an int"),
        ({"eps": -1e-5}, ValueError, r"BatchNorm2d: eps must be positive"),
        ({"eps": 0}, ValueError, r"BatchNorm2d: eps must be positive, got 0"),  # as PyTorch
        ({"momentum": 1.5}, ValueError, r"BatchNorm2d: momentum must be in \[0, 1\]"),
        ({"momentum": "0.1"}, TypeError, r"momentum must be a number"),
        ({"affine": 1}, TypeError, r"BatchNorm2d: affine must be True or False"),
        ({"track_running_stats": None}, TypeError, r"track_running_stats must be True or False"),
    ],
)
def test_bad_hyperparameters(kwargs, error, match):
    with pytest.raises(error, match=match):
        nn.BatchNorm2d(**{"num_features": 3, **kwargs})


def test_functional_pair_updates_running_statistics_in_place_like_torch():
    rng = np.random.default_rng(4)
    x = rng.standard_normal((10, 3))
    mean, var = np.zeros(3), np.ones(3)
    y, cache = F.batch_norm_forward(x, running_mean=mean, running_var=var, momentum=0.2)
    np.testing.assert_allclose(mean, 0.2 * x.mean(0))
    np.testing.assert_allclose(var, 0.8 + 0.2 * x.var(0, ddof=1))
    np.testing.assert_allclose(y.mean(0), 0, atol=1e-12)
    dx, dgamma, dbeta = F.batch_norm_backward(np.ones_like(x), cache)
    np.testing.assert_allclose(dx, 0, atol=1e-12)  # a constant shift of y is normalised away
    np.testing.assert_allclose(dbeta.ravel(), 10.0)
    np.testing.assert_allclose(dgamma.ravel(), 0, atol=1e-12)  # Σ x̂ = 0
    with pytest.raises(ValueError, match="uses the running statistics"):
        F.batch_norm_forward(x, training=False)


def test_float32_stays_float32_and_a_first_layer_skips_the_input_gradient():
    layer = nn.BatchNorm2d(2)
    x = np.random.default_rng(5).standard_normal((4, 2, 3, 3)).astype(np.float32)
    y = layer(x)
    assert y.dtype == layer.running_mean.dtype == layer.running_var.dtype == np.float32
    layer.needs_input_grad = False
    assert layer.backward(np.ones_like(y)) is None
    assert layer.dgamma.shape == (1, 2, 1, 1) and layer.dgamma.dtype == np.float32
