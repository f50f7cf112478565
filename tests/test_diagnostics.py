"""minitorch.diagnostics: activation and gradient statistics, dead ReLUs, update ratios, read
from what the modules hold after a forward and backward pass (NumPy only; viz draws them)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from minitorch import diagnostics, nn, optim
from small_models import forward_backward, linear, small_relu_model


def test_dead_relu_fraction_on_a_hand_built_batch(float64):
    # Linear(2 -> 4) with W = [[1, -1, 1, 0], [0, 0, -1, 0]], b = 0: pre-activations are
    # x0 (always > 0 here), -x0 (always < 0), x0 - x1 (mixed) and 0 (never > 0: dead).
    model = nn.Sequential(linear([[1, -1, 1, 0], [0, 0, -1, 0]], b=[0, 0, 0, 0]), nn.ReLU())
    model(np.array([[1.0, 0.0], [2.0, 3.0], [0.5, 0.1]]))
    assert diagnostics.dead_relu_fraction(model) == {"1": 0.5}


def test_dead_relu_fraction_counts_image_units_over_the_batch():
    relu = nn.ReLU()
    x = -np.ones((5, 2, 3, 3))  # 18 units
    x[0, 0, 0, 0] = 1.0  # alive in one sample only: not dead
    x[:, 1, 2, 2] = 0.0  # zero everywhere: dead
    relu(x)
    assert diagnostics.dead_relu_fraction(relu) == {"ReLU": 17 / 18}


def test_dead_relu_fraction_without_relus_or_before_forward():
    assert diagnostics.dead_relu_fraction(nn.Sequential(nn.Linear(2, 2), nn.Tanh())) == {}
    with pytest.raises(RuntimeError, match="forward"):
        diagnostics.dead_relu_fraction(small_relu_model())


def test_activation_stats_agree_with_the_cached_arrays(float64, rng):
    model = nn.Sequential(nn.Linear(3, 5), nn.ReLU(), nn.Linear(5, 4), nn.Sigmoid())
    model(rng.standard_normal((16, 3)))
    relu, sigmoid = model[1], model[3]
    cached = (relu.x, sigmoid.x, sigmoid.cache)

    outputs = diagnostics.activation_outputs(model)
    assert list(outputs) == ["1", "3"]
    np.testing.assert_array_equal(outputs["1"], np.maximum(relu.x, 0))
    np.testing.assert_array_equal(outputs["3"], sigmoid.cache.y)  # Sigmoid caches its output
    assert (relu.x, sigmoid.x, sigmoid.cache) == cached  # the caches are untouched

    stats = diagnostics.activation_stats(model)
    relu_out = np.maximum(relu.x, 0)
    assert stats["1"]["mean"] == pytest.approx(relu_out.mean(), rel=1e-12)
    assert stats["1"]["std"] == pytest.approx(relu_out.std(), rel=1e-12)
    assert stats["1"]["min"] == relu_out.min() and stats["1"]["max"] == relu_out.max()
    assert stats["1"]["zero_fraction"] == np.mean(relu.x <= 0)
    assert stats["1"]["sample_std"] == pytest.approx(relu_out.std(axis=0).mean(), rel=1e-12)
    assert math.isnan(stats["1"]["saturated"])  # ReLU does not saturate
    assert stats["3"]["max"] == sigmoid.cache.y.max()


def test_saturation_of_tanh_and_sigmoid_on_hand_built_inputs(float64):
    # tanh outputs 0.99, -0.98, 0.5, 0 -> two of four beyond |y| > 0.97
    tanh = nn.Tanh()
    tanh(np.arctanh(np.array([[0.99, -0.98, 0.5, 0.0]])))
    assert diagnostics.activation_stats(tanh)["Tanh"]["saturated"] == 0.5
    # sigmoid outputs 0.999, 0.001, 0.6 -> |2y - 1| = 0.998, 0.998, 0.2 -> two of three
    sigmoid = nn.Sigmoid()
    p = np.array([[0.999, 0.001, 0.6]])
    sigmoid(np.log(p / (1 - p)))
    assert diagnostics.activation_stats(sigmoid)["Sigmoid"]["saturated"] == pytest.approx(2 / 3)


def test_activation_stats_need_a_forward_pass():
    with pytest.raises(RuntimeError, match="forward pass"):
        diagnostics.activation_stats(small_relu_model())
    assert diagnostics.activation_stats(nn.Linear(2, 2)) == {}
    with pytest.raises(TypeError, match="Module"):
        diagnostics.activation_outputs(np.zeros(3))


def test_gradient_stats_agree_with_grads(blobs):
    model = small_relu_model()
    forward_backward(model, *blobs)
    names = [name for name, _ in model.named_parameters()]

    gradients = diagnostics.parameter_gradients(model)
    assert list(gradients) == names
    for (name, _), grad in zip(model.named_parameters(), model.grads(), strict=True):
        assert gradients[name] is grad  # the module's own array, not a copy
    assert list(diagnostics.parameter_gradients(model, include_bias=False)) == ["0.W", "2.W", "4.W"]

    stats = diagnostics.gradient_stats(model)
    params = dict(model.named_parameters())
    for name, grad in gradients.items():
        g = grad.astype(np.float64)
        assert stats[name]["norm"] == pytest.approx(np.linalg.norm(g), rel=1e-12)
        assert stats[name]["std"] == pytest.approx(g.std(), rel=1e-12)
        assert stats[name]["abs_max"] == np.abs(g).max()
        if name.endswith(".W"):
            expected = np.linalg.norm(g) / np.linalg.norm(params[name].astype(np.float64))
            assert stats[name]["grad_to_weight"] == pytest.approx(expected, rel=1e-12)
        else:  # a bias is still zero before the first step
            assert stats[name]["grad_to_weight"] == math.inf


def test_gradients_need_a_backward_pass():
    with pytest.raises(RuntimeError, match="backward"):
        diagnostics.gradient_stats(small_relu_model())


def test_update_ratios_of_a_hand_built_step(float64):
    # W = (3, 4)ᵀ has norm 5; with dW = (0.75, 1)ᵀ and lr = 1 the step has norm 1.25: ratio 1/4.
    model = nn.Sequential(linear([[3.0], [4.0]], b=[0.0]))
    layer = model[0]
    layer.dW = np.array([[0.75], [1.0]])
    layer.db = np.array([[0.5]])
    snapshot = diagnostics.parameter_snapshot(model)
    assert snapshot["0.W"] is not layer.W
    optim.SGD(model, lr=1.0).step()

    np.testing.assert_array_equal(layer.W, [[2.25], [3.0]])
    np.testing.assert_array_equal(snapshot["0.W"], [[3.0], [4.0]])  # the snapshot is a copy
    assert diagnostics.update_ratios(model, snapshot) == {"0.W": 0.25, "0.b": math.inf}
    assert diagnostics.update_ratios(model, snapshot, include_bias=False) == {"0.W": 0.25}
    # no step taken since the new snapshot: every ratio is 0 (0/0 for the bias too)
    assert diagnostics.update_ratios(model, {"0.W": layer.W.copy(), "0.b": np.zeros((1, 1))}) == {
        "0.W": 0.0,
        "0.b": math.inf,
    }
    assert diagnostics.update_ratios(model, diagnostics.parameter_snapshot(model))["0.b"] == 0.0


def test_update_ratios_reject_a_foreign_snapshot():
    model = nn.Sequential(nn.Linear(2, 3))
    with pytest.raises(KeyError, match="not in the snapshot"):
        diagnostics.update_ratios(model, {"0.W": model[0].W.copy()})
    with pytest.raises(ValueError, match="another model"):
        diagnostics.update_ratios(model, {"0.W": np.zeros((3, 2)), "0.b": np.zeros((1, 3))})
    with pytest.raises(TypeError, match="parameter_snapshot"):
        diagnostics.update_ratios(model, [model[0].W.copy()])


def test_diagnostics_summary_lists_every_layer(trained):
    model, ratios = trained
    text = diagnostics.diagnostics_summary(model, ratios)
    for label in ("1 (ReLU)", "3 (ReLU)", "0.W", "2.b", "4.W", "‖Δp‖/‖p‖"):
        assert label in text
    assert len(text.splitlines()) == 1 + 2 + 1 + 1 + 6  # two tables with their headers
