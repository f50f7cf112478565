"""ConvTranspose2d, Upsample, GroupNorm and Unflatten beyond their rows in the layer table
(tests/layer_table.py runs parity, gradcheck, contract, float32 and bad-input checks on each):
the transposed convolution as the adjoint of the convolution, its backward as a convolution
forward, output_size, PyTorch's initialisation, hyperparameters refused, empty batches;
Upsample's index rules and F.interpolate; GroupNorm's groups."""

from __future__ import annotations

import math

import numpy as np
import pytest

import minitorch
from layer_table import conv_transpose2d_to_torch
from minitorch import nn
from minitorch.nn import functional as F
from parity import HAVE_TORCH, assert_matches_torch, torch, torch_tensor

# (kernel, stride, padding, dilation, input size (H, W)) of the convolution whose adjoint is taken
ADJOINT_CASES = [
    ((3, 3), (1, 1), (0, 0), (1, 1), (6, 5)),
    ((3, 3), (2, 2), (1, 1), (1, 1), (7, 6)),
    ((4, 4), (2, 2), (1, 1), (1, 1), (8, 8)),  # DCGAN's layer
    ((3, 2), (3, 2), (1, 0), (1, 1), (8, 7)),  # stride 3, pixels the kernel never reaches
    ((3, 3), (1, 2), (2, 1), (2, 1), (7, 9)),  # dilation
    ((2, 3), (2, 3), (0, 1), (2, 2), (9, 10)),
    ((1, 1), (2, 2), (0, 0), (1, 1), (5, 5)),
]


@pytest.mark.parametrize("kernel, stride, padding, dilation, size", ADJOINT_CASES)
def test_the_transposed_convolution_is_the_adjoint_of_the_convolution(
    kernel, stride, padding, dilation, size
):
    """<conv2d(u, W), v> = <u, conv_transpose2d(v, W)> for every u, v: the definition of the
    transpose of a linear map. W (F, C, kH, kW) is Conv2d's weight, and the transposed
    convolution reads the same array as its own (in_channels = F, out_channels = C); the
    output_padding that brings the transposed output back to (H, W) is < stride."""
    rng = np.random.default_rng(0)
    n, c, f = 2, 3, 4
    W = rng.standard_normal((f, c, *kernel))
    u = rng.standard_normal((n, c, *size))
    conv_u = F.conv2d(u, W, stride=stride, padding=padding, dilation=dilation)
    v = rng.standard_normal(conv_u.shape)
    smallest = F.conv.conv_transpose_output_size(conv_u.shape[2:], kernel, stride, padding, (0, 0),
                                                 dilation)  # fmt: skip
    output_padding = tuple(h - s for h, s in zip(size, smallest, strict=True))
    assert all(op < s for op, s in zip(output_padding, stride, strict=True))
    transposed_v = F.conv_transpose2d(v, W, None, stride, padding, output_padding, 1, dilation)
    assert transposed_v.shape == u.shape
    left, right = np.vdot(conv_u, v), np.vdot(u, transposed_v)
    assert abs(left - right) <= 1e-12 * max(abs(left), np.abs(conv_u).sum() * np.abs(v).max())


@pytest.mark.parametrize("kernel, stride, padding, dilation, size", ADJOINT_CASES)
def test_the_backward_input_gradient_is_a_convolution_forward(
    kernel, stride, padding, dilation, size
):
    """dx of conv_transpose2d is conv2d(G, W), Conv2d's forward with the same W; and the
    forward is Conv2d's input gradient (col2im of W_colᵀ @ X), computed by conv2d_backward."""
    rng = np.random.default_rng(1)
    n, c, f = 2, 3, 4
    x = rng.standard_normal((n, f, *size))
    W = rng.standard_normal((f, c, *kernel))  # read as (in_channels, out_channels, kH, kW)
    y, cache = F.conv_transpose2d_forward(x, W, None, stride, padding, 0, 1, dilation)
    G = rng.standard_normal(y.shape)
    dx, _, _ = F.conv_transpose2d_backward(G, cache)
    conv_G = F.conv2d(G, W, stride=stride, padding=padding, dilation=dilation)
    np.testing.assert_allclose(dx, conv_G[:, :, : size[0], : size[1]], rtol=1e-12, atol=1e-12)
    # the forward is the input gradient of the convolution of y's shape, with G_col = x
    _, conv_cache = F.conv2d_forward(np.zeros(y.shape), W, None, stride, padding, dilation)
    if conv_cache.cols.shape[1] == math.prod(size) * n:  # the grids meet (no leftover rows)
        dx_conv, _, _ = F.conv2d_backward(x, conv_cache)
        np.testing.assert_allclose(y, dx_conv, rtol=1e-12, atol=1e-12)


def test_the_initialisation_is_pytorchs():
    """kaiming_uniform_(a=√5) over fan = W.shape[1]·kH·kW (PyTorch's fan_in of this layout):
    U(−1/√fan, 1/√fan), the bias too."""
    minitorch.manual_seed(0)
    layer = nn.ConvTranspose2d(64, 32, (4, 3), groups=2)
    assert layer.W.shape == (64, 16, 4, 3) and layer.b.shape == (1, 32, 1, 1)
    bound = 1 / math.sqrt(16 * 4 * 3)
    assert np.abs(layer.W).max() <= bound and np.abs(layer.W).max() > 0.99 * bound
    assert abs(layer.W.std() - bound / math.sqrt(3)) < 0.02 * bound  # a uniform's std
    assert np.abs(layer.b).max() <= bound and np.any(layer.b)
    assert layer.W.dtype == np.float32 and nn.ConvTranspose2d(2, 2, 2, bias=False).b is None
    if HAVE_TORCH:
        torch_layer = torch.nn.ConvTranspose2d(64, 32, (4, 3), groups=2)
        assert tuple(torch_layer.weight.shape) == layer.W.shape
        assert math.isclose(float(torch_layer.weight.detach().abs().max()), bound, rel_tol=0.02)


def test_repr_and_no_weight_decay():
    layer = nn.ConvTranspose2d(4, 2, 4, stride=2, padding=1, output_padding=1, groups=2)
    assert repr(layer) == (
        "ConvTranspose2d(4, 2, kernel_size=(4, 4), stride=(2, 2), padding=(1, 1), "
        "output_padding=(1, 1), groups=2)"
    )
    assert layer.no_weight_decay == ("b",)
    assert layer.output_shape((5, 4, 3, 3)) == (5, 2, 7, 7)


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"output_padding": 2, "stride": 2}, ValueError,
         r"ConvTranspose2d: output_padding must be smaller than either stride or dilation, got "
         r"output_padding=\(2, 2\), stride=\(2, 2\), dilation=\(1, 1\)"),
        ({"output_padding": 1}, ValueError, r"output_padding must be smaller than either stride"),
        ({"output_padding": (0, 1), "dilation": (1, 2)}, None, None),  # < dilation: allowed
        ({"groups": 3}, ValueError,
         r"ConvTranspose2d: in_channels must be divisible by groups, got in_channels=4 and "
         r"groups=3"),
        ({"groups": 4}, ValueError, r"out_channels must be divisible by groups"),
        ({"groups": 0}, ValueError, r"ConvTranspose2d: groups must be >= 1, got 0"),
        ({"stride": 0}, ValueError, r"ConvTranspose2d: stride must be >= 1, got 0"),
        ({"padding": -1}, ValueError, r"ConvTranspose2d: padding must be >= 0, got -1"),
        ({"output_padding": -1}, ValueError, r"output_padding must be >= 0, got -1"),
        ({"kernel_size": (3, 0)}, ValueError, r"kernel_size must be >= 1, got 0"),
        ({"bias": "yes"}, TypeError, r"ConvTranspose2d: bias must be True or False"),
    ],
)  # fmt: skip
def test_bad_hyperparameters_are_refused(kwargs, error, match):
    arguments = {"in_channels": 4, "out_channels": 6, "kernel_size": 3, **kwargs}
    if error is None:
        nn.ConvTranspose2d(**arguments)
        return
    with pytest.raises(error, match=match):
        nn.ConvTranspose2d(**arguments)
    if HAVE_TORCH and "smaller than" in match:
        torch_arguments = {k: v for k, v in arguments.items()}
        with pytest.raises(RuntimeError, match="output padding must be smaller"):
            torch.nn.ConvTranspose2d(**torch_arguments)(torch.zeros(1, 4, 3, 3))


def test_an_output_smaller_than_a_pixel_is_refused():
    layer = nn.ConvTranspose2d(1, 1, 1, padding=1)
    with pytest.raises(ValueError, match=r"gives an output of size \(-1, -1\).*lower padding"):
        layer(np.zeros((1, 1, 1, 1)))


@pytest.mark.parity
@pytest.mark.parametrize("output_size", [(7, 7), (8, 8), (7, 8), (2, 3, 8, 7)])
def test_output_size_picks_the_output_padding_as_pytorch(float64, output_size):
    minitorch.manual_seed(0)
    layer = nn.ConvTranspose2d(3, 2, 3, stride=2, padding=1)
    x = np.random.default_rng(2).standard_normal((2, 3, 4, 4))
    y = layer(x, output_size=output_size)
    assert y.shape[2:] == tuple(output_size[-2:])
    G = np.random.default_rng(3).standard_normal(y.shape)
    dx = layer.backward(G)

    def reference():
        module = conv_transpose2d_to_torch(layer)
        xt = torch_tensor(x, requires_grad=True)
        yt = module(xt, output_size=list(output_size))
        yt.backward(torch_tensor(G))
        return {"y": yt, "dx": xt.grad, "dW": module.weight.grad}

    name = "x".join(map(str, output_size))
    assert_matches_torch(f"conv_transpose2d_output_size_{name}", {"y": y, "dx": dx,
                         "dW": layer.dW}, reference)  # fmt: skip


@pytest.mark.parametrize("output_size", [(6, 7), (9, 8), (7,), (7.0, 7.0)])
def test_an_unreachable_output_size_is_refused(output_size):
    layer = nn.ConvTranspose2d(3, 2, 3, stride=2, padding=1)
    malformed = len(output_size) != 2 or any(isinstance(n, float) for n in output_size)
    match = "output_size must be" if malformed else (
        r"output_size \(.*\) is not reachable from input of shape \(2, 3, 4, 4\): each size "
        r"must be between \(7, 7\) and \(8, 8\)")  # fmt: skip
    with pytest.raises(ValueError, match=match):
        layer(np.zeros((2, 3, 4, 4)), output_size=output_size)


EMPTY_BATCH = [
    ("conv-transpose", lambda: nn.ConvTranspose2d(3, 2, 4, stride=2, padding=1),
     lambda: torch.nn.ConvTranspose2d(3, 2, 4, stride=2, padding=1), (0, 3, 3, 3)),
    ("upsample-nearest", lambda: nn.Upsample(scale_factor=2),
     lambda: torch.nn.Upsample(scale_factor=2), (0, 2, 3, 3)),
    ("upsample-bilinear", lambda: nn.Upsample(size=(5, 4), mode="bilinear"),
     lambda: torch.nn.Upsample(size=(5, 4), mode="bilinear"), (0, 2, 3, 3)),
    ("groupnorm", lambda: nn.GroupNorm(2, 4), lambda: torch.nn.GroupNorm(2, 4), (0, 4, 3, 3)),
    ("unflatten", lambda: nn.Unflatten(1, (2, 3)), lambda: torch.nn.Unflatten(1, (2, 3)), (0, 6)),
]  # fmt: skip


@pytest.mark.parametrize("build, build_torch, shape", [r[1:] for r in EMPTY_BATCH],
                         ids=[r[0] for r in EMPTY_BATCH])  # fmt: skip
def test_an_empty_batch_gives_pytorchs_empty_result(build, build_torch, shape):
    module = build()
    y = module(np.zeros(shape, np.float32))
    assert y.size == 0 and y.dtype == np.float32
    if HAVE_TORCH:
        assert y.shape == tuple(build_torch()(torch.zeros(shape)).shape)
    dx = module.backward(np.zeros(y.shape, np.float32))
    assert dx.shape == shape
    assert all(g is None or (g.shape == p.shape and not np.any(g))
               for p, g in zip(module.parameters(), module.grads(), strict=True))  # fmt: skip


def test_a_dcgan_generator_upsamples_4_7_14_28():
    """MNIST's DCGAN generator: a 1x1 noise image to 28x28 through three transposed layers."""
    minitorch.manual_seed(0)
    generator = nn.Sequential(
        nn.ConvTranspose2d(8, 16, 7),  # 1 -> 7
        nn.BatchNorm2d(16),
        nn.ReLU(),
        nn.ConvTranspose2d(16, 8, 4, stride=2, padding=1),  # 7 -> 14
        nn.BatchNorm2d(8),
        nn.ReLU(),
        nn.ConvTranspose2d(8, 1, 4, stride=2, padding=1),  # 14 -> 28
        nn.Tanh(),
    )
    z = np.random.default_rng(0).standard_normal((3, 8, 1, 1)).astype(np.float32)
    images = generator(z)
    assert images.shape == (3, 1, 28, 28) and np.abs(images).max() <= 1
    assert generator.backward(np.ones_like(images)).shape == z.shape


# ---------------------------------------------------------------------- Upsample
def test_nearest_indices_follow_pytorchs_float32_rule():
    """⌊i · (1/scale_factor)⌋ in float32, as PyTorch's floorf: for a factor of 1.5 on 4 pixels
    the 6 outputs copy 0 0 1 2 2 3; a size, H/Ho; 2x halves the index."""
    np.testing.assert_array_equal(F.upsampling.nearest_source_index(4, 6, 1.5), [0, 0, 1, 2, 2, 3])
    np.testing.assert_array_equal(F.upsampling.nearest_source_index(3, 6), [0, 0, 1, 1, 2, 2])
    np.testing.assert_array_equal(F.upsampling.nearest_source_index(5, 3), [0, 1, 3])
    A = F.upsampling.nearest_matrix(2, 3, 1.5)
    np.testing.assert_array_equal(A, [[1, 0], [1, 0], [0, 1]])  # its docstring's picture


def test_bilinear_matrix_is_the_picture_in_its_docstring():
    A = F.upsampling.bilinear_matrix(2, 4)
    np.testing.assert_allclose(A, [[1, 0], [0.75, 0.25], [0.25, 0.75], [0, 1]])
    assert np.allclose(F.upsampling.bilinear_matrix(5, 13, scale_factor=2.6).sum(axis=1), 1)


def test_nearest_copies_infinities_exactly():
    x = np.array([[[[np.inf, -np.inf], [np.nan, 1.0]]]])
    y = nn.Upsample(scale_factor=2)(x)
    np.testing.assert_array_equal(y[0, 0, ::2, ::2], x[0, 0])
    np.testing.assert_array_equal(y[0, 0, 1::2, 1::2], x[0, 0])


INTERPOLATIONS = {
    "nearest_2": {"scale_factor": 2},
    "bilinear_1.5": {"scale_factor": 1.5, "mode": "bilinear"},
    "bilinear_size_5x3_align_corners": {"size": (5, 3), "mode": "bilinear", "align_corners": True},
    "nearest_3_by_1.7": {"scale_factor": (3, 1.7)},
    "nearest_size_4": {"size": 4},
}


@pytest.mark.parity
@pytest.mark.parametrize("name", INTERPOLATIONS)
def test_interpolate_is_pytorchs(name):
    kwargs = INTERPOLATIONS[name]
    x = np.random.default_rng(4).standard_normal((2, 3, 4, 5))
    y = F.interpolate(x, **kwargs)
    np.testing.assert_array_equal(y, nn.Upsample(**kwargs)(x))
    reference = lambda: {"y": torch.nn.functional.interpolate(torch_tensor(x), **kwargs)}  # noqa: E731
    assert_matches_torch(f"interpolate_{name}", {"y": y}, reference)


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({}, ValueError, r"Upsample: give either size or scale_factor \(exactly one of them\)"),
        ({"size": 4, "scale_factor": 2}, ValueError, r"give either size or scale_factor"),
        ({"scale_factor": 0}, ValueError, r"Upsample: scale_factor must be positive"),
        ({"scale_factor": "2"}, TypeError, r"Upsample: scale_factor must be a number"),
        ({"scale_factor": (2, 2, 2)}, ValueError, r"scale_factor must be one value or a pair"),
        ({"size": 0}, ValueError, r"Upsample: size must be >= 1, got 0"),
        ({"size": 2.5}, TypeError, r"Upsample: size must be an int"),
        ({"scale_factor": 2, "mode": "bicubic"}, ValueError,
         r"Upsample: mode must be 'nearest' or 'bilinear', got 'bicubic'"),
        ({"scale_factor": 2, "align_corners": True}, ValueError,
         r"align_corners can only be set with mode='bilinear'"),
        ({"scale_factor": 2, "mode": "bilinear", "align_corners": "no"}, TypeError,
         r"Upsample: align_corners must be True or False"),
    ],
)  # fmt: skip
def test_upsample_refuses_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        nn.Upsample(**kwargs)
    with pytest.raises(error, match=match.replace("Upsample", "F.interpolate")):
        F.interpolate(np.zeros((1, 1, 2, 2)), **kwargs)


def test_upsample_to_nothing_is_refused():
    with pytest.raises(ValueError, match=r"output size \(0, 0\)"):
        nn.Upsample(scale_factor=0.4)(np.zeros((1, 1, 2, 2)))


# ---------------------------------------------------------------------- GroupNorm, Unflatten
def test_groupnorm_one_group_per_channel_normalises_each_channel(float64):
    x = np.random.default_rng(5).standard_normal((2, 3, 4, 5)) * 3 + 1
    y = nn.GroupNorm(3, 3)(x)
    np.testing.assert_allclose(y.mean(axis=(2, 3)), 0, atol=1e-12)
    np.testing.assert_allclose(y.var(axis=(2, 3)), 1, atol=1e-4)  # ε = 1e-5
    whole = nn.GroupNorm(1, 3)(x)  # one group: LayerNorm over (C, H, W)
    np.testing.assert_allclose(whole, nn.LayerNorm((3, 4, 5), elementwise_affine=False)(x))


@pytest.mark.parametrize(
    "args, kwargs, error, match",
    [
        ((4, 6), {}, ValueError,
         r"GroupNorm: num_channels must be divisible by num_groups, got num_channels=6 and "
         r"num_groups=4"),
        ((0, 6), {}, ValueError, r"GroupNorm: num_groups must be >= 1, got 0"),
        ((2, 6), {"eps": 0}, ValueError, r"GroupNorm: eps must be positive"),
        ((2, 6), {"affine": 1}, TypeError, r"GroupNorm: affine must be True or False"),
    ],
)  # fmt: skip
def test_groupnorm_refuses_bad_arguments(args, kwargs, error, match):
    with pytest.raises(error, match=match):
        nn.GroupNorm(*args, **kwargs)


def test_groupnorm_parameters_and_repr():
    layer = nn.GroupNorm(2, 4)
    assert layer.gamma.shape == layer.beta.shape == (1, 4, 1, 1)
    assert layer.no_weight_decay == ("gamma", "beta")
    assert repr(layer) == "GroupNorm(2, 4, eps=1e-05, affine=True)"
    assert nn.GroupNorm(2, 4, affine=False).parameters() == []


def test_unflatten_undoes_flatten():
    x = np.arange(24.0).reshape(2, 3, 2, 2)
    flat = nn.Flatten()(x)
    np.testing.assert_array_equal(nn.Unflatten(1, (3, 2, 2))(flat), x)
    np.testing.assert_array_equal(nn.Unflatten(1, (3, -1, 2))(flat), x)


@pytest.mark.parametrize(
    "args, error, match",
    [
        ((1, 6), TypeError, r"Unflatten: unflattened_size must be a tuple of ints"),
        ((1, ()), TypeError, r"unflattened_size must be a tuple of ints"),
        ((1, (2, 0)), ValueError, r"unflattened_size must hold positive sizes"),
        ((1, (-1, -1)), ValueError, r"at most one -1"),
        ((1, (2, 1.5)), TypeError, r"Unflatten: unflattened_size must be an int"),
        (("1", (2, 3)), TypeError, r"Unflatten: dim must be an int"),
    ],
)
def test_unflatten_refuses_bad_arguments(args, error, match):
    with pytest.raises(error, match=match):
        nn.Unflatten(*args)
