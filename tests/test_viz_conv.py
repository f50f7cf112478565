"""minitorch.viz's pictures of convolutional networks: learned filters and feature maps (Agg)."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")

from matplotlib.figure import Figure  # noqa: E402

import minitorch  # noqa: E402
from minitorch import nn, viz  # noqa: E402

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


# --------------------------------------------------------------------------- helpers
def assert_png(path) -> None:
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE
    assert len(data) > 2000  # a real picture, not an empty file


def mosaic_values(ax) -> np.ndarray:
    """The numbers drawn in an axes' one image, gaps (NaN) left out, sorted."""
    (image,) = ax.images
    data = np.ma.filled(np.ma.asarray(image.get_array(), dtype=float), np.nan)
    return np.sort(data[np.isfinite(data)])


def tile_labels(ax) -> list[str]:
    return [t.get_text() for t in ax.texts]


def small_cnn(batch_norm: bool = False) -> nn.Sequential:
    norm = [nn.BatchNorm2d(4)] if batch_norm else []
    return nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1),  # (N, 4, 8, 8)
        *norm,
        nn.ReLU(),
        nn.MaxPool2d(2),  # (N, 4, 4, 4)
        nn.Conv2d(4, 6, 3),  # (N, 6, 2, 2)
        nn.ReLU(),
        nn.Flatten(),
        nn.Linear(24, 10),
        nn.ReLU(),
        nn.Linear(10, 3),
    )


@pytest.fixture
def image(rng):
    return rng.standard_normal((1, 8, 8)).astype(np.float32)


def panels(fig: Figure) -> dict[str, object]:
    """The feature-map panels of a figure, by their title."""
    return {ax.get_title(loc="left"): ax for ax in fig.axes if ax.get_title(loc="left")}


# --------------------------------------------------------------------------- plot_filters
def test_plot_filters_draws_every_kernel_on_a_scale_centred_at_zero(tmp_path):
    conv = nn.Conv2d(1, 6, 3)
    path = tmp_path / "figures" / "filters.png"
    fig = viz.plot_filters(conv, path=path)
    assert isinstance(fig, Figure)
    assert_png(path)
    ax = fig.axes[0]
    np.testing.assert_allclose(mosaic_values(ax), np.sort(conv.W.ravel()), rtol=1e-6)
    low, high = ax.images[0].get_clim()
    assert low == pytest.approx(-np.abs(conv.W).max()) and high == -low
    assert ax.images[0].get_cmap().name.startswith("RdBu_r")
    assert tile_labels(ax) == [str(i) for i in range(6)]
    assert "6 learned filters of Conv2d(1 → 6, 3×3)" in ax.get_title()
    assert len(fig.axes) == 2  # the filters and their colour bar


def test_plot_filters_lays_out_ncols_per_row_and_takes_a_fixed_scale():
    conv = nn.Conv2d(1, 10, 5)
    image = viz.plot_filters(conv, ncols=4, vmax=2.0).axes[0].images[0]
    rows, cols = image.get_array().shape
    assert cols == 4 * 5 + 3 * 1  # four 5-pixel kernels, three 1-pixel gaps
    assert rows == 3 * (5 + 2)  # three rows, each with a 2-pixel band above it for the numbers
    assert image.get_clim() == (-2.0, 2.0)


def test_plot_filters_finds_the_first_conv_of_a_model():
    model = small_cnn()
    ax = viz.plot_filters(model).axes[0]
    np.testing.assert_allclose(mosaic_values(ax), np.sort(model[0].W.ravel()), rtol=1e-6)
    assert "layer 0: Conv2d(1 → 4, 3×3)" in ax.get_title()


def test_plot_filters_of_several_input_channels_is_a_table():
    conv = nn.Conv2d(3, 5, 3)
    ax = viz.plot_filters(conv).axes[0]
    np.testing.assert_allclose(mosaic_values(ax), np.sort(conv.W.ravel()), rtol=1e-6)
    assert ax.get_xlabel() == "input channel" and ax.get_ylabel() == "filter (output channel)"
    assert [t.get_text() for t in ax.get_xticklabels()] == ["0", "1", "2"]
    assert len(ax.get_yticks()) == 5

    one = viz.plot_filters(conv, in_channel=2).axes[0]
    np.testing.assert_allclose(mosaic_values(one), np.sort(conv.W[:, 2].ravel()), rtol=1e-6)
    assert "input channel 2" in one.get_title()
    assert tile_labels(one) == [str(i) for i in range(5)]


def test_plot_filters_from_arrays(rng):
    weights = rng.standard_normal((4, 5, 5))
    ax = viz.plot_filters(weights, labels=False, colorbar=False, title="mine").axes[0]
    np.testing.assert_allclose(mosaic_values(ax), np.sort(weights.ravel()))
    assert ax.get_title() == "mine" and not ax.texts


def test_plot_filters_draws_into_given_axes():
    fig = Figure()
    left, right = fig.subplots(1, 2)
    assert viz.plot_filters(nn.Conv2d(1, 4, 3), ax=left, colorbar=False) is fig
    assert left.images and not right.images


@pytest.mark.parametrize(
    ("conv", "kwargs", "error", "message"),
    [
        (nn.Sequential(nn.Linear(2, 3)), {}, ValueError, "no Conv2d"),
        (np.zeros((3, 3)), {}, ValueError, r"\(F, C, kH, kW\)"),
        (np.zeros((0, 1, 3, 3)), {}, ValueError, r"\(F, C, kH, kW\)"),
        (np.full((2, 1, 3, 3), np.nan), {}, ValueError, "NaN"),
        (np.array([[["a"]]]), {}, TypeError, "numbers"),
        ("conv", {}, TypeError, "Conv2d"),
        (nn.Conv2d(3, 4, 3), {"in_channel": 3}, ValueError, "0..2"),
        (nn.Conv2d(3, 4, 3), {"in_channel": 1.0}, TypeError, "in_channel"),
        (nn.Conv2d(1, 4, 3), {"ncols": 0}, ValueError, "ncols"),
        (nn.Conv2d(1, 4, 3), {"vmax": -1.0}, ValueError, "vmax"),
        (nn.Conv2d(1, 4, 3), {"ax": "left"}, TypeError, "Axes"),
    ],
)
def test_plot_filters_rejects_bad_input(conv, kwargs, error, message):
    with pytest.raises(error, match=message):
        viz.plot_filters(conv, **kwargs)


# --------------------------------------------------------------------------- plot_feature_maps
def test_plot_feature_maps_shows_each_conv_and_activation_output(image, tmp_path):
    model = small_cnn()
    path = tmp_path / "maps.png"
    fig = viz.plot_feature_maps(model, image, label=2, path=path)
    assert_png(path)
    shown = panels(fig)
    assert list(shown) == [
        "layer 0: Conv2d(1 → 4, 3×3) → 4×8×8",
        "layer 1: ReLU → 4×8×8",
        "layer 3: Conv2d(4 → 6, 3×3) → 6×2×2",
        "layer 4: ReLU → 6×2×2",
    ]  # not the ReLU after Flatten: its output is no image
    with minitorch.no_grad():
        conv1 = model[0](image[None])
        conv2 = model[3](model[2](model[1](conv1)))
        scores = model(image[None])
    expected = [conv1, np.maximum(conv1, 0), conv2, np.maximum(conv2, 0)]
    for ax, output in zip(shown.values(), expected, strict=True):
        np.testing.assert_allclose(mosaic_values(ax), np.sort(output.ravel()), rtol=1e-5)
        low, high = ax.images[0].get_clim()
        assert high == pytest.approx(np.abs(output).max(), rel=1e-5) and low == -high
    assert fig.get_suptitle() == f"feature maps of a 2 (predicted {int(scores.argmax())})"
    assert any(ax.get_title() == "input 1×8×8" for ax in fig.axes)


def test_plot_feature_maps_leaves_the_model_as_it_found_it(image, rng):
    """Drawn between a forward and its backward, the plot changes nothing: same gradients,
    same modes, same running statistics, no wrapper left on any layer."""
    model = small_cnn(batch_norm=True)
    x, y = rng.standard_normal((5, 1, 8, 8)), rng.integers(0, 3, 5)
    loss_fn = nn.CrossEntropyLoss()
    loss_fn(model(x), y)
    model[1].eval()  # one module in another mode than the rest
    running = model[1].running_mean.copy()

    viz.plot_feature_maps(model, image)

    assert model.training and model[0].training and not model[1].training
    np.testing.assert_array_equal(model[1].running_mean, running)
    assert all("forward" not in vars(m) for _, m in model.named_modules())
    model.backward(loss_fn.backward())  # the forward's caches are still there
    grads = [g.copy() for g in model.grads()]
    model.zero_grad()
    model[1].train()  # the same forward and backward again, with no plot between them
    loss_fn(model(x), y)
    model[1].eval()
    model.backward(loss_fn.backward())
    for got, expected in zip(grads, model.grads(), strict=True):
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-7)


def test_plot_feature_maps_chooses_layers_by_name_or_class(image):
    model = small_cnn()
    assert list(panels(viz.plot_feature_maps(model, image, layers=["2"]))) == [
        "layer 2: MaxPool2d → 4×4×4"
    ]
    by_class = panels(viz.plot_feature_maps(model, image, layers=[nn.Conv2d, nn.MaxPool2d]))
    assert [title.split(":")[0] for title in by_class] == ["layer 0", "layer 2", "layer 3"]


def test_plot_feature_maps_shows_the_first_max_channels(image):
    model = small_cnn()
    fig = viz.plot_feature_maps(model, image, layers=["0"], max_channels=3, ncols=2)
    (ax,) = panels(fig).values()
    assert ax.get_title(loc="left").endswith("(first 3 of 4 channels)")
    assert tile_labels(ax) == ["0", "1", "2"]
    with minitorch.no_grad():
        first = model[0](image[None])[:, :3]
    np.testing.assert_allclose(mosaic_values(ax), np.sort(first.ravel()), rtol=1e-5)


@pytest.mark.parametrize("shape", [(8, 8), (1, 8, 8), (1, 1, 8, 8)])
def test_plot_feature_maps_takes_one_image_in_any_layout(shape, rng):
    image = rng.standard_normal(shape)  # float64 into a float32 model: cast as a forward does
    assert len(panels(viz.plot_feature_maps(small_cnn(), image))) == 4


def test_plot_feature_maps_works_for_a_model_of_ones_own(image):
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(1, 3, 3)
            self.act = nn.Tanh()
            self.head = nn.Sequential(nn.Flatten(), nn.Linear(3 * 6 * 6, 2))

        def forward(self, x):
            return self.head(self.act(self.conv(x)))

    fig = viz.plot_feature_maps(Net(), image)
    assert list(panels(fig)) == [
        "layer conv: Conv2d(1 → 3, 3×3) → 3×6×6",
        "layer act: Tanh → 3×6×6",
    ]


@pytest.mark.parametrize(
    ("model", "image", "kwargs", "error", "message"),
    [
        (small_cnn(), np.zeros((2, 1, 8, 8)), {}, ValueError, "one image"),
        (small_cnn(), np.zeros((1, 2, 1, 8, 8)), {}, ValueError, "one image"),
        (small_cnn(), [[0.0] * 8] * 8, {}, TypeError, "NumPy array"),
        (small_cnn(), np.full((1, 8, 8), np.nan), {}, ValueError, "finite"),
        (small_cnn(), np.zeros((1, 8, 8)), {"layers": ["9"]}, ValueError, "no layer named '9'"),
        (small_cnn(), np.zeros((1, 8, 8)), {"layers": ["7"]}, ValueError, "not images"),
        (small_cnn(), np.zeros((1, 8, 8)), {"layers": "0"}, TypeError, "list of layer names"),
        (small_cnn(), np.zeros((1, 8, 8)), {"layers": [nn.Tanh]}, ValueError, "no Tanh"),
        (small_cnn(), np.zeros((1, 8, 8)), {"layers": [0]}, TypeError, "names or Module"),
        (small_cnn(), np.zeros((1, 8, 8)), {"max_channels": 0}, ValueError, "max_channels"),
        (nn.Sequential(nn.Linear(2, 2)), np.zeros((1, 2)), {}, ValueError, "no Conv2d"),
        (lambda x: x, np.zeros((1, 8, 8)), {}, TypeError, "Module"),
        (small_cnn(), np.zeros((3, 8, 8)), {}, ValueError, r"expects input of shape"),
    ],
)
def test_plot_feature_maps_rejects_bad_input(model, image, kwargs, error, message):
    with pytest.raises(error, match=message):
        viz.plot_feature_maps(model, image, **kwargs)


def test_conv_plots_load_matplotlib_only_when_used_and_never_pyplot():
    code = "\n".join(
        [
            "import sys, json",
            "from minitorch import nn, viz",
            "before = ['matplotlib' in sys.modules, 'minitorch.viz.conv_plots' in sys.modules]",
            "viz.plot_filters(nn.Conv2d(1, 2, 3))",
            "print(json.dumps([*before, 'matplotlib.pyplot' in sys.modules]))",
        ]
    )
    output = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True
    ).stdout
    assert json.loads(output.splitlines()[-1]) == [False, False, False]
    assert {"plot_filters", "plot_feature_maps"} <= set(viz.__all__)
