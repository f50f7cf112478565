"""minitorch.viz: every plot on the Agg backend.

The plots build figures with ``matplotlib.figure.Figure`` (never pyplot), so nothing is left open
between tests and no figure needs closing.
"""

from __future__ import annotations

import importlib.util
import io
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")

from matplotlib.figure import Figure  # noqa: E402

from minitorch import diagnostics, nn, viz  # noqa: E402
from minitorch.metrics import confusion_matrix  # noqa: E402
from small_models import forward_backward, linear, small_relu_model  # noqa: E402

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


def test_the_numbers_import_without_matplotlib_and_the_plots_without_pyplot():
    """The trainer needs confusion_matrix and the diagnostics' numbers without loading
    matplotlib (they are outside viz: minitorch.metrics, minitorch.diagnostics); the plots load
    matplotlib, never pyplot (no global figure list, no GUI backend)."""
    code = "\n".join(
        [
            "import sys, json",
            "import minitorch",
            "core = 'minitorch.viz' in sys.modules",
            "from minitorch.metrics import confusion_matrix",
            "from minitorch.diagnostics import activation_stats, update_ratios",
            "from minitorch import viz",
            "numbers = 'matplotlib' in sys.modules",
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
    assert not numbers, "metrics, diagnostics and importing viz must not import matplotlib"
    assert plots and not pyplot


@pytest.mark.parametrize(
    ("name", "where"),
    [
        ("confusion_matrix", "minitorch.metrics.confusion_matrix"),
        ("update_ratios", "minitorch.diagnostics.update_ratios"),
        ("diagnostics", "minitorch.diagnostics"),
    ],
)
def test_viz_holds_the_plots_only_and_says_where_the_numbers_went(name, where):
    with pytest.raises(AttributeError, match=f"is now {where} "):
        getattr(viz, name)
    assert all(name.startswith(("plot_", "show_")) for name in viz.__all__)


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
    expected = [s["norm"] for s in diagnostics.gradient_stats(model, include_bias=False).values()]
    np.testing.assert_allclose(heights, expected, rtol=1e-12)
    assert ax.get_yscale() == "log"


def test_plot_dead_relus_from_model_or_dict(trained):
    model, _ = trained
    (ax,) = drawn_axes(viz.plot_dead_relus(model))
    expected = list(diagnostics.dead_relu_fraction(model).values())
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
