"""minitorch.viz: confusion matrix, training diagnostics, and every plot on the Agg backend.

The plots build figures with ``matplotlib.figure.Figure`` (never pyplot), so nothing is left open
between tests and no figure needs closing.
"""

from __future__ import annotations

import importlib.util
import io
import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")

from matplotlib.figure import Figure  # noqa: E402

from minitorch import nn, optim, viz  # noqa: E402
from minitorch.viz import confusion_matrix, diagnostics  # noqa: E402

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


# --------------------------------------------------------------------------- helpers
def drawn_axes(fig: Figure) -> list:
    """The visible axes of a figure that hold something (lines, images, bars, contours, text)."""
    assert isinstance(fig, Figure)
    fig.draw_without_rendering()  # runs layout and every artist's draw logic
    return [
        ax
        for ax in fig.axes
        if ax.get_visible()
        and ax.axison
        and (ax.lines or ax.images or ax.patches or ax.collections or ax.texts)
    ]


def assert_png(path: Path) -> None:
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE
    assert len(data) > 2000  # a real picture, not an empty file


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


@pytest.fixture
def blobs(rng):
    """Three well-separated 2-D blobs: (60, 2) points and their (60,) classes."""
    centers = np.array([[-2.0, 0.0], [2.0, 0.0], [0.0, 2.5]])
    y = np.repeat(np.arange(3), 20)
    x = centers[y] + 0.3 * rng.standard_normal((60, 2))
    return x, y


@pytest.fixture
def trained(blobs):
    """A small ReLU model after one forward/backward and an optimizer step, with its ratios."""
    x, y = blobs
    model = small_relu_model()
    forward_backward(model, x, y)
    snapshot = viz.parameter_snapshot(model)
    optim.SGD(model, lr=0.1).step()
    return model, viz.update_ratios(model, snapshot)


# --------------------------------------------------------------------------- confusion matrix
def test_confusion_matrix_counts_pairs():
    cm = confusion_matrix([0, 1, 1, 2, 2, 2], [0, 1, 2, 2, 2, 0])
    np.testing.assert_array_equal(cm, [[1, 0, 0], [0, 1, 1], [1, 0, 2]])
    assert cm.dtype == np.int64


def test_confusion_matrix_matches_a_loop_on_random_labels(rng):
    y_true, y_pred = rng.integers(0, 7, 500), rng.integers(0, 7, 500)
    expected = np.zeros((7, 7), dtype=np.int64)
    for t, p in zip(y_true, y_pred, strict=True):
        expected[t, p] += 1
    cm = confusion_matrix(y_true, y_pred)
    np.testing.assert_array_equal(cm, expected)
    assert cm.sum() == 500 and np.trace(cm) == np.sum(y_true == y_pred)


def test_confusion_matrix_num_classes_keeps_the_size():
    cm = confusion_matrix([0, 1], [1, 1], num_classes=4)
    assert cm.shape == (4, 4)
    np.testing.assert_array_equal(cm[:2, :2], [[0, 1], [0, 1]])
    assert cm[2:].sum() == 0 and cm[:, 2:].sum() == 0


def test_confusion_matrix_accepts_integral_floats_and_booleans():
    np.testing.assert_array_equal(
        confusion_matrix(np.array([0.0, 1.0, 1.0]), np.array([False, True, False])),
        [[1, 0], [1, 1]],
    )


@pytest.mark.parametrize(
    ("y_true", "y_pred", "kwargs", "error", "message"),
    [
        ([0, 1], [0, 1, 1], {}, ValueError, "same length"),
        ([0, 3], [0, 1], {"num_classes": 3}, ValueError, "num_classes=3"),
        ([0, -1], [0, 1], {}, ValueError, "negative"),
        ([0, 1], [[0.2, 0.8], [0.9, 0.1]], {}, ValueError, "argmax"),
        ([0, 1], [[0], [1]], {}, ValueError, "ravel"),
        ([0, 1], [0.3, 0.7], {}, ValueError, "non-integer"),
        ([0, 1], ["a", "b"], {}, TypeError, "integer class indices"),
        ([0, 1], [0, 1], {"num_classes": 0}, ValueError, "positive"),
        ([0, 1], [0, 1], {"num_classes": 2.0}, TypeError, "num_classes"),
    ],
)
def test_confusion_matrix_rejects_bad_input(y_true, y_pred, kwargs, error, message):
    with pytest.raises(error, match=message):
        confusion_matrix(y_true, y_pred, **kwargs)


def test_metrics_and_diagnostics_import_without_matplotlib():
    """The trainer needs confusion_matrix and the numbers without loading matplotlib or pyplot;
    the plots load matplotlib, never pyplot (no global figure list, no GUI backend)."""
    code = "\n".join(
        [
            "import sys, json",
            "import minitorch",
            "core = 'minitorch.viz' in sys.modules",
            "import minitorch.viz.metrics",
            "from minitorch.viz import confusion_matrix, activation_stats, update_ratios",
            "numbers = 'matplotlib' in sys.modules",
            "from minitorch import viz",
            "viz.plot_history({'loss': [1.0, 0.5]})",
            "print(json.dumps([core, numbers, 'matplotlib' in sys.modules,",
            "                  'matplotlib.pyplot' in sys.modules]))",
        ]
    )
    output = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True
    ).stdout
    core, numbers, plots, pyplot = json.loads(output.splitlines()[-1])
    assert not core, "import minitorch must not import minitorch.viz"
    assert not numbers, "metrics and diagnostics must not import matplotlib"
    assert plots and not pyplot


# --------------------------------------------------------------------------- diagnostics
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
    assert viz.dead_relu_fraction(relu) == {"ReLU": 17 / 18}


def test_dead_relu_fraction_without_relus_or_before_forward():
    assert viz.dead_relu_fraction(nn.Sequential(nn.Linear(2, 2), nn.Tanh())) == {}
    with pytest.raises(RuntimeError, match="forward"):
        viz.dead_relu_fraction(small_relu_model())


def test_activation_stats_agree_with_the_cached_arrays(float64, rng):
    model = nn.Sequential(nn.Linear(3, 5), nn.ReLU(), nn.Linear(5, 4), nn.Sigmoid())
    model(rng.standard_normal((16, 3)))
    relu, sigmoid = model[1], model[3]
    cached = (relu.x, sigmoid.x, sigmoid.cache)

    outputs = viz.activation_outputs(model)
    assert list(outputs) == ["1", "3"]
    np.testing.assert_array_equal(outputs["1"], np.maximum(relu.x, 0))
    np.testing.assert_array_equal(outputs["3"], sigmoid.cache)  # Sigmoid caches its output
    assert (relu.x, sigmoid.x, sigmoid.cache) == cached  # the caches are untouched

    stats = viz.activation_stats(model)
    relu_out = np.maximum(relu.x, 0)
    assert stats["1"]["mean"] == pytest.approx(relu_out.mean(), rel=1e-12)
    assert stats["1"]["std"] == pytest.approx(relu_out.std(), rel=1e-12)
    assert stats["1"]["min"] == relu_out.min() and stats["1"]["max"] == relu_out.max()
    assert stats["1"]["zero_fraction"] == np.mean(relu.x <= 0)
    assert stats["1"]["sample_std"] == pytest.approx(relu_out.std(axis=0).mean(), rel=1e-12)
    assert math.isnan(stats["1"]["saturated"])  # ReLU does not saturate
    assert stats["3"]["max"] == sigmoid.cache.max()


def test_saturation_of_tanh_and_sigmoid_on_hand_built_inputs(float64):
    # tanh outputs 0.99, -0.98, 0.5, 0 -> two of four beyond |y| > 0.97
    tanh = nn.Tanh()
    tanh(np.arctanh(np.array([[0.99, -0.98, 0.5, 0.0]])))
    assert viz.activation_stats(tanh)["Tanh"]["saturated"] == 0.5
    # sigmoid outputs 0.999, 0.001, 0.6 -> |2y - 1| = 0.998, 0.998, 0.2 -> two of three
    sigmoid = nn.Sigmoid()
    p = np.array([[0.999, 0.001, 0.6]])
    sigmoid(np.log(p / (1 - p)))
    assert viz.activation_stats(sigmoid)["Sigmoid"]["saturated"] == pytest.approx(2 / 3)


def test_activation_stats_need_a_forward_pass():
    with pytest.raises(RuntimeError, match="forward pass"):
        viz.activation_stats(small_relu_model())
    assert viz.activation_stats(nn.Linear(2, 2)) == {}
    with pytest.raises(TypeError, match="Module"):
        viz.activation_outputs(np.zeros(3))


def test_gradient_stats_agree_with_grads(blobs):
    model = small_relu_model()
    forward_backward(model, *blobs)
    names = [name for name, _ in model.named_parameters()]

    gradients = viz.parameter_gradients(model)
    assert list(gradients) == names
    for (name, _), grad in zip(model.named_parameters(), model.grads(), strict=True):
        assert gradients[name] is grad  # the module's own array, not a copy
    assert list(viz.parameter_gradients(model, include_bias=False)) == ["0.W", "2.W", "4.W"]

    stats = viz.gradient_stats(model)
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
        viz.gradient_stats(small_relu_model())


def test_update_ratios_of_a_hand_built_step(float64):
    # W = (3, 4)ᵀ has norm 5; with dW = (0.75, 1)ᵀ and lr = 1 the step has norm 1.25: ratio 1/4.
    model = nn.Sequential(linear([[3.0], [4.0]], b=[0.0]))
    layer = model[0]
    layer.dW = np.array([[0.75], [1.0]])
    layer.db = np.array([[0.5]])
    snapshot = viz.parameter_snapshot(model)
    assert snapshot["0.W"] is not layer.W
    optim.SGD(model, lr=1.0).step()

    np.testing.assert_array_equal(layer.W, [[2.25], [3.0]])
    np.testing.assert_array_equal(snapshot["0.W"], [[3.0], [4.0]])  # the snapshot is a copy
    assert viz.update_ratios(model, snapshot) == {"0.W": 0.25, "0.b": math.inf}
    assert viz.update_ratios(model, snapshot, include_bias=False) == {"0.W": 0.25}
    # no step taken since the new snapshot: every ratio is 0 (0/0 for the bias too)
    assert viz.update_ratios(model, {"0.W": layer.W.copy(), "0.b": np.zeros((1, 1))}) == {
        "0.W": 0.0,
        "0.b": math.inf,
    }
    assert viz.update_ratios(model, viz.parameter_snapshot(model))["0.b"] == 0.0


def test_update_ratios_reject_a_foreign_snapshot():
    model = nn.Sequential(nn.Linear(2, 3))
    with pytest.raises(KeyError, match="not in the snapshot"):
        viz.update_ratios(model, {"0.W": model[0].W.copy()})
    with pytest.raises(ValueError, match="another model"):
        viz.update_ratios(model, {"0.W": np.zeros((3, 2)), "0.b": np.zeros((1, 3))})
    with pytest.raises(TypeError, match="parameter_snapshot"):
        viz.update_ratios(model, [model[0].W.copy()])


def test_diagnostics_summary_lists_every_layer(trained):
    model, ratios = trained
    text = viz.diagnostics_summary(model, ratios)
    for label in ("1 (ReLU)", "3 (ReLU)", "0.W", "2.b", "4.W", "‖Δp‖/‖p‖"):
        assert label in text
    assert len(text.splitlines()) == 1 + 2 + 1 + 1 + 6  # two tables with their headers


# --------------------------------------------------------------------------- plot_history
HISTORY = {
    "train_loss": [1.2, 0.8, 0.5, 0.4],
    "test_loss": [1.3, None, 0.7, float("nan")],
    "train_acc": [0.4, 0.6, 0.8, 0.85],
    "test_acc": [0.35, 0.55, 0.7, 0.8],
    "lr": [0.1, 0.1, 0.01, 0.01],
}


def test_plot_history_draws_loss_accuracy_and_lr_panels():
    fig = viz.plot_history(HISTORY)
    axes = drawn_axes(fig)
    assert [ax.get_title() for ax in axes] == ["loss", "accuracy", "learning rate"]
    loss_lines = {line.get_label(): line for line in axes[0].lines}
    assert set(loss_lines) == {"train_loss", "test_loss"}
    # missing test losses are skipped, not drawn as zeros
    np.testing.assert_array_equal(loss_lines["test_loss"].get_xdata(), [1, 3])
    np.testing.assert_array_equal(loss_lines["test_loss"].get_ydata(), [1.3, 0.7])
    assert len(axes[1].lines) == 2 and axes[2].get_yscale() == "log"


def test_plot_history_from_csv_rows_skips_text_columns_and_empty_panels():
    rows = [
        {"epoch": "1", "phase": "warmup", "train_loss": "0.9", "test_loss": ""},
        {"epoch": "3", "phase": "main", "train_loss": "0.5", "test_loss": "0.6"},
    ]
    fig = viz.plot_history(rows)
    (ax,) = drawn_axes(fig)  # no accuracy and no lr: one panel
    train = next(line for line in ax.lines if line.get_label() == "train_loss")
    np.testing.assert_array_equal(train.get_xdata(), [1, 3])  # the epoch column is the x-axis
    assert ax.get_xlabel() == "epoch"


def test_plot_history_into_given_axes_and_errors():
    fig = Figure()
    axes = fig.subplots(1, 3)
    assert viz.plot_history(HISTORY, axes=axes) is fig
    assert all(ax.lines for ax in axes)
    with pytest.raises(ValueError, match="3 panels"):
        viz.plot_history(HISTORY, axes=axes[:2])
    with pytest.raises(ValueError, match="nothing to plot"):
        viz.plot_history({"epoch": [1, 2], "time": [0.1, 0.2]})
    with pytest.raises(TypeError, match="dict of lists"):
        viz.plot_history([1.0, 0.5])


# --------------------------------------------------------------------------- decision boundary
def test_plot_decision_boundary_multiclass(blobs):
    x, y = blobs
    model = small_relu_model()
    fig = viz.plot_decision_boundary(model, x, y, resolution=30)
    (ax,) = drawn_axes(fig)
    assert ax.collections  # filled regions, boundary lines, points
    assert ax.get_title().startswith("decision boundary (accuracy")
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["0", "1", "2"]


def test_plot_decision_boundary_single_output_thresholds(float64, rng):
    x = rng.standard_normal((40, 2))
    y = (x[:, 0] > 0).astype(np.int64)
    logit = nn.Sequential(linear([[1.0], [0.0]], b=[0.0]))  # logit x0: class 1 where x0 > 0
    title = viz.plot_decision_boundary(logit, x, y, resolution=20).axes[0].get_title()
    assert title == "decision boundary (accuracy 100.0%)"
    # with a Sigmoid at the end the output is a probability: the threshold becomes 0.5
    probability = nn.Sequential(linear([[1.0], [0.0]], b=[0.0]), nn.Sigmoid())
    fig = viz.plot_decision_boundary(probability, x, y.reshape(-1, 1), resolution=20)
    assert fig.axes[0].get_title() == "decision boundary (accuracy 100.0%)"
    # an explicit threshold above every logit predicts class 0 everywhere
    fig = viz.plot_decision_boundary(logit, x, y, threshold=100.0, resolution=20)
    assert fig.axes[0].get_title() == f"decision boundary (accuracy {np.mean(y == 0):.1%})"


@pytest.mark.parametrize("training", [True, False])
def test_plot_decision_boundary_restores_modes_and_caches(blobs, training):
    x, y = blobs
    model = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Dropout(0.5), nn.Linear(8, 3))
    model.train(training)
    forward_backward(model, x, y)
    seen_modes = []
    original_forward = model[2].forward

    def spy(batch):
        seen_modes.append(model[2].training)
        return original_forward(batch)

    model[2].forward = spy
    cached = [m.x for m in (model[0], model[1], model[3])]
    viz.plot_decision_boundary(model, x, y, resolution=10)
    assert seen_modes and not any(seen_modes)  # evaluated in eval mode (dropout off)
    assert all(m.training is training for _, m in model.named_modules())
    assert all(m.x is c for m, c in zip((model[0], model[1], model[3]), cached, strict=True))


def test_plot_decision_boundary_restores_mixed_modes(blobs):
    model = nn.Sequential(nn.Linear(2, 4), nn.Dropout(0.2), nn.Linear(4, 2))
    model[1].eval()  # only the dropout layer in eval mode
    viz.plot_decision_boundary(model, *blobs, resolution=10)
    assert [m.training for m in model] == [True, False, True] and model.training


def test_plot_decision_boundary_evaluates_in_batches(blobs):
    x, y = blobs
    seen = []

    class Recorder(nn.Module):
        def forward(self, batch):
            seen.append(len(batch))
            return batch @ np.array([[1.0, -1.0], [0.0, 0.0]])

    viz.plot_decision_boundary(Recorder(), x, y, resolution=20, batch_size=150)
    assert max(seen) <= 150
    assert sum(seen) == 20 * 20 + len(x)  # the grid, then the points for the accuracy


def test_plot_decision_boundary_rejects_bad_input(blobs):
    x, y = blobs
    model = small_relu_model()
    with pytest.raises(ValueError, match=r"\(N, 2\)"):
        viz.plot_decision_boundary(model, np.zeros((5, 3)), np.zeros(5, dtype=int))
    with pytest.raises(ValueError, match="60 points but y has 59"):
        viz.plot_decision_boundary(model, x, y[:-1])


# --------------------------------------------------------------------------- show_images
def image_axes(fig: Figure) -> list:
    return [ax for ax in drawn_axes(fig) if ax.images]


@pytest.mark.parametrize(
    "shape", [(6, 8, 8), (6, 1, 8, 8), (6, 64), (6, 3, 8, 8)], ids=["NHW", "N1HW", "rows", "RGB"]
)
def test_show_images_layouts(rng, shape):
    fig = viz.show_images(rng.standard_normal(shape), labels=np.arange(6) % 3)
    axes = image_axes(fig)
    assert len(axes) == 6
    expected = (8, 8, 3) if shape[1] == 3 else (8, 8)
    assert axes[0].images[0].get_array().shape == expected
    assert axes[4].get_title() == "1"


def test_show_images_marks_mistakes(rng):
    labels = np.array([0, 1, 2, 1])
    scores = np.eye(3)[[0, 2, 2, 0]]  # predictions 0, 2, 2, 0: images 1 and 3 are wrong
    fig = viz.show_images(rng.random((4, 5, 5)), labels, scores, class_names=["a", "b", "c"])
    axes = image_axes(fig)
    red = matplotlib.colors.to_rgba("#d62728")
    wrong = [matplotlib.colors.to_rgba(ax.title.get_color()) == red for ax in axes]
    assert wrong == [False, True, False, True]
    assert axes[1].get_title() == "true b\npred c"
    assert matplotlib.colors.to_rgba(axes[1].spines["left"].get_edgecolor()) == red
    assert any("2 of 4 wrong" in text.get_text() for text in fig.texts)  # the suptitle

    only = viz.show_images(rng.random((4, 5, 5)), labels, scores, mistakes_only=True)
    assert [ax.get_title() for ax in image_axes(only)] == ["true 1\npred 2", "true 1\npred 0"]
    none_wrong = viz.show_images(rng.random((2, 5, 5)), [0, 1], [0, 1], mistakes_only=True)
    assert "no mistakes" in none_wrong.axes[0].texts[0].get_text()


def test_show_images_rejects_bad_input(rng):
    with pytest.raises(ValueError, match="not square"):
        viz.show_images(rng.random((3, 10)))
    with pytest.raises(ValueError, match="3 images but 2 labels"):
        viz.show_images(rng.random((3, 4, 4)), labels=[0, 1])
    with pytest.raises(ValueError, match="needs both"):
        viz.show_images(rng.random((3, 4, 4)), labels=[0, 1, 1], mistakes_only=True)
    with pytest.raises(ValueError, match="only 2 names"):
        viz.show_images(rng.random((3, 4, 4)), labels=[0, 1, 2], class_names=["a", "b"])


# --------------------------------------------------------------------------- confusion matrix plot
def test_plot_confusion_matrix_from_labels_and_from_a_matrix():
    y_true, y_pred = [0, 0, 1, 1, 2, 2], [0, 1, 1, 1, 2, 0]
    fig = viz.plot_confusion_matrix(y_true, y_pred, class_names=["cat", "dog", "emu"])
    ax = fig.axes[0]
    assert drawn_axes(fig)
    np.testing.assert_array_equal(ax.images[0].get_array(), confusion_matrix(y_true, y_pred))
    assert [t.get_text() for t in ax.texts] == ["1", "1", "0", "0", "2", "0", "1", "0", "1"]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["cat", "dog", "emu"]
    assert ax.get_title() == "confusion matrix (accuracy 66.7%)"

    same = viz.plot_confusion_matrix(confusion_matrix(y_true, y_pred))
    np.testing.assert_array_equal(same.axes[0].images[0].get_array(), ax.images[0].get_array())


@pytest.mark.parametrize(
    ("normalize", "expected"),
    [
        (True, [[0.5, 0.5, 0.0], [0.0, 0.0, 0.0], [0.4, 0.0, 0.6]]),
        ("pred", [[1 / 3, 1.0, 0.0], [0.0, 0.0, 0.0], [2 / 3, 0.0, 1.0]]),
        ("all", [[1 / 7, 1 / 7, 0.0], [0.0, 0.0, 0.0], [2 / 7, 0.0, 3 / 7]]),
    ],
)
def test_plot_confusion_matrix_normalizes_and_keeps_empty_rows_zero(normalize, expected):
    cm = np.array([[1, 1, 0], [0, 0, 0], [2, 0, 3]])  # class 1 never occurs
    fig = viz.plot_confusion_matrix(cm, normalize=normalize)
    np.testing.assert_allclose(fig.axes[0].images[0].get_array(), expected, rtol=1e-15)


def test_plot_confusion_matrix_rejects_bad_input():
    with pytest.raises(ValueError, match="square"):
        viz.plot_confusion_matrix(np.ones((2, 3)))
    with pytest.raises(ValueError, match="normalize"):
        viz.plot_confusion_matrix(np.eye(2), normalize="rows")
    with pytest.raises(ValueError, match="class_names"):
        viz.plot_confusion_matrix(np.eye(2), class_names=["a"])


# --------------------------------------------------------------------------- diagnostic plots
def test_activation_and_gradient_histograms(trained):
    model, _ = trained
    (ax,) = drawn_axes(viz.plot_activation_histograms(model))
    assert [line.get_label().split(" ")[0] for line in ax.lines] == ["1", "3"]
    (ax,) = drawn_axes(viz.plot_gradient_histograms(model))
    assert [line.get_label().split(":")[0] for line in ax.lines] == ["0.W", "2.W", "4.W"]
    (ax,) = drawn_axes(viz.plot_gradient_histograms(model, include_bias=True))
    assert len(ax.lines) == 6


def test_histogram_lines_hold_the_fraction_of_values(float64, rng):
    model = nn.Sequential(nn.Linear(3, 50), nn.Tanh())
    model(rng.standard_normal((40, 3)))
    line = viz.plot_activation_histograms(model, bins=10).axes[0].lines[0]
    assert line.get_ydata().sum() == pytest.approx(1.0)  # each of the 2000 values counted once


def test_gradient_norms_plot_one_bar_per_weight(trained):
    model, _ = trained
    (ax,) = drawn_axes(viz.plot_gradient_norms(model))
    heights = [bar.get_height() for bar in ax.patches]
    expected = [s["norm"] for s in viz.gradient_stats(model, include_bias=False).values()]
    np.testing.assert_allclose(heights, expected, rtol=1e-12)
    assert ax.get_yscale() == "log"


def test_plot_dead_relus_from_model_or_dict(trained):
    model, _ = trained
    (ax,) = drawn_axes(viz.plot_dead_relus(model))
    expected = list(viz.dead_relu_fraction(model).values())
    assert [bar.get_height() for bar in ax.patches] == expected
    (ax,) = drawn_axes(viz.plot_dead_relus({"1": 0.25, "3": 0.5}))
    assert [bar.get_height() for bar in ax.patches] == [0.25, 0.5]
    with pytest.raises(ValueError, match="no ReLU"):
        viz.plot_dead_relus(nn.Sequential(nn.Linear(2, 2), nn.Tanh()))


def test_plot_update_ratios_bars_for_one_step_lines_for_many(trained):
    _, ratios = trained
    (ax,) = drawn_axes(viz.plot_update_ratios(ratios))
    assert [bar.get_height() for bar in ax.patches] == [ratios[k] for k in ("0.W", "2.W", "4.W")]
    (ax,) = drawn_axes(viz.plot_update_ratios([ratios, ratios, ratios]))
    lines = [line for line in ax.lines if line.get_label() in ratios]
    assert [line.get_label() for line in lines] == ["0.W", "2.W", "4.W"]
    np.testing.assert_array_equal(lines[0].get_xdata(), [1, 2, 3])
    # biases start at zero: their infinite first ratio leaves a gap (NaN), not a crash
    (ax,) = drawn_axes(viz.plot_update_ratios([ratios, ratios], include_bias=True))
    bias = next(line for line in ax.lines if line.get_label() == "0.b")
    assert np.isnan(bias.get_ydata()).all()
    with pytest.raises(TypeError, match="update_ratios"):
        viz.plot_update_ratios([1.0, 2.0])


def test_plot_diagnostics_draws_the_panels_that_apply(trained, blobs):
    model, ratios = trained
    titles = [ax.get_title() for ax in drawn_axes(viz.plot_diagnostics(model, [ratios, ratios]))]
    assert titles == [
        "activations per layer",
        "weight gradients per layer",
        "gradient norm per layer",
        "dead ReLUs (off for the whole batch)",
        "update-to-weight ratio",
    ]
    sigmoid = nn.Sequential(nn.Linear(2, 4), nn.Sigmoid(), nn.Linear(4, 3))
    forward_backward(sigmoid, *blobs)
    assert len(drawn_axes(viz.plot_diagnostics(sigmoid))) == 3  # no ReLUs, no ratios


# --------------------------------------------------------------------------- saving
def _every_plot(trained, blobs, rng):
    model, ratios = trained
    x, y = blobs
    return {
        "history": lambda path: viz.plot_history(HISTORY, path=path),
        "boundary": lambda path: viz.plot_decision_boundary(model, x, y, resolution=20, path=path),
        "images": lambda path: viz.show_images(rng.random((4, 6, 6)), [0, 1, 2, 0], path=path),
        "confusion": lambda path: viz.plot_confusion_matrix(y, y, path=path),
        "activations": lambda path: viz.plot_activation_histograms(model, path=path),
        "gradients": lambda path: viz.plot_gradient_histograms(model, path=path),
        "norms": lambda path: viz.plot_gradient_norms(model, path=path),
        "dead": lambda path: viz.plot_dead_relus(model, path=path),
        "ratios": lambda path: viz.plot_update_ratios([ratios, ratios], path=path),
        "dashboard": lambda path: viz.plot_diagnostics(model, ratios, path=path),
    }


def test_every_plot_saves_a_png_into_a_new_folder(trained, blobs, rng, tmp_path):
    for name, plot in _every_plot(trained, blobs, rng).items():
        path = tmp_path / "figures" / f"{name}.png"
        fig = plot(path)
        assert isinstance(fig, Figure) and drawn_axes(fig), name
        assert_png(path)


def test_single_panel_plots_draw_into_given_axes(trained, blobs):
    model, ratios = trained
    fig = Figure()
    axes = fig.subplots(2, 3).ravel()
    calls = [
        lambda ax: viz.plot_decision_boundary(model, *blobs, resolution=10, ax=ax),
        lambda ax: viz.plot_confusion_matrix(np.eye(3, dtype=int), ax=ax),
        lambda ax: viz.plot_activation_histograms(model, ax=ax),
        lambda ax: viz.plot_gradient_norms(model, ax=ax),
        lambda ax: viz.plot_dead_relus(model, ax=ax),
        lambda ax: viz.plot_update_ratios(ratios, ax=ax),
    ]
    for call, ax in zip(calls, axes, strict=True):
        assert call(ax) is fig
    drawn = drawn_axes(fig)
    assert all(ax in drawn for ax in axes)  # (and the confusion matrix's colour bar)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    assert buffer.getvalue()[:8] == PNG_SIGNATURE
    with pytest.raises(TypeError, match="Axes"):
        viz.plot_gradient_norms(model, ax="left")


# --------------------------------------------------------------------------- the example
def test_diagnostics_example_shows_vanishing_gradients(tmp_path, capsys):
    path = Path(__file__).resolve().parents[1] / "examples" / "diagnostics.py"
    spec = importlib.util.spec_from_file_location("example_diagnostics", path)
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    results = example.main(out=tmp_path, steps=2)

    ratios = results["gradient_norm_first_over_last"]
    sigmoid, relu = ratios["sigmoid, N(0, 0.1²)"], ratios["ReLU, He"]
    assert sigmoid < 1e-4  # the first layer gets almost no gradient
    assert 0.2 < relu < 5  # gradients stay level through the ReLU + He network
    for name in ("sigmoid_first_pass", "relu_he_first_pass", "gradient_norms", "update_ratios"):
        assert_png(tmp_path / f"{name}.png")
    assert str(tmp_path.resolve()) in capsys.readouterr().out
