"""Conv2d, MaxPool2d, AvgPool2d, AdaptiveAvgPool2d and Dropout2d beyond their rows in the layer
table (tests/layer_table.py, which runs parity, gradcheck, contract, float32 and bad-input checks
on each): im2col and col2im, the convolution written out, max pooling's ties, a whole LeNet-style
network against PyTorch, hyperparameter errors, channel dropout."""

from __future__ import annotations

import numpy as np
import pytest

import minitorch
from layer_table import conv2d_to_torch, conv2d_torch_grads
from minitorch import nn
from minitorch.nn import functional as F
from parity import assert_matches_torch, torch, torch_tensor


def grad_key(name: str) -> str:
    owner, dot, attr = name.rpartition(".")
    return f"{owner}{dot}d{attr}"


# ---------------------------------------------------------------------- im2col and col2im
def test_im2col_is_the_picture_in_its_docstring():
    x = np.arange(1.0, 10.0).reshape(1, 1, 3, 3)  # a..i = 1..9
    a, b, c, d, e, f, g, h, i = range(1, 10)
    expected = [[a, b, d, e], [b, c, e, f], [d, e, g, h], [e, f, h, i]]
    np.testing.assert_array_equal(F.im2col(x, 2), expected)
    w = np.array([1.0, 10.0, 100.0, 1000.0])  # the filter [[w00, w01], [w10, w11]] as a row
    y, _ = F.conv2d_forward(x, w.reshape(1, 1, 2, 2))
    np.testing.assert_array_equal(y.ravel(), w @ F.im2col(x, 2))


def test_im2col_rows_are_channel_and_offset_columns_are_pixel_then_image():
    """Row c·kH·kW + i·kW + j, column (r·Wo + s)·N + n holds what kernel offset (i, j) of
    channel c sees for output pixel (r, s) of image n: every entry, written out."""
    rng = np.random.default_rng(0)
    n, c, h, w = 2, 3, 5, 6
    x = rng.standard_normal((n, c, h, w))
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = (2, 3), (2, 1), (1, 0), (1, 2)
    cols = F.im2col(x, (kh, kw), stride=(sh, sw), padding=(ph, pw), dilation=(dh, dw))
    ho, wo = (h + 2 * ph - dh * (kh - 1) - 1) // sh + 1, (w + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    assert cols.shape == (c * kh * kw, ho * wo * n) == (18, 3 * 2 * 2)
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    expected = np.empty_like(cols)
    for ch, i, j, r, s, im in np.ndindex(c, kh, kw, ho, wo, n):
        expected[ch * kh * kw + i * kw + j, (r * wo + s) * n + im] = xp[
            im, ch, r * sh + i * dh, s * sw + j * dw
        ]
    np.testing.assert_array_equal(cols, expected)


@pytest.mark.parametrize(
    ("kernel", "stride", "padding", "dilation"),
    [(3, 1, 0, 1), ((3, 2), (2, 1), (1, 2), (2, 1)), (2, 3, 1, 1), (1, 2, 0, 1)],
)
def test_col2im_is_the_adjoint_of_im2col(kernel, stride, padding, dilation):
    """⟨im2col(x), c⟩ = ⟨x, col2im(c)⟩ for every x and c: col2im is im2col's transpose, which
    is exactly what the backward needs (dL/dx from dL/dcols)."""
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 3, 7, 6))
    cols = F.im2col(x, kernel, stride, padding, dilation)
    c = rng.standard_normal(cols.shape)
    back = F.col2im(c, x.shape, kernel, stride, padding, dilation)
    assert back.shape == x.shape and back.flags.c_contiguous
    np.testing.assert_allclose(np.sum(cols * c), np.sum(x * back), rtol=1e-12)


def test_col2im_counts_how_many_patches_hold_each_pixel():
    ones = np.ones((1, 1, 3, 3))
    counts = F.col2im(F.im2col(ones, 2), ones.shape, 2)
    np.testing.assert_array_equal(counts[0, 0], [[1, 2, 1], [2, 4, 2], [1, 2, 1]])


def test_col2im_refuses_columns_of_the_wrong_shape():
    with pytest.raises(ValueError, match=r"columns must have shape \(4, 4\), got \(4, 5\)"):
        F.col2im(np.zeros((4, 5)), (1, 1, 3, 3), 2)


# ---------------------------------------------------------------------- Conv2d
def test_conv2d_attributes_initialisation_and_repr():
    layer = nn.Conv2d(3, 8, (5, 3), padding=1)
    assert layer.W.shape == (8, 3, 5, 3) and layer.b.shape == (1, 8, 1, 1)
    assert layer.W.dtype == np.float32 and not np.any(layer.b)
    assert layer.cache is None and layer.dW is None and layer.db is None
    assert layer.parameters() == [layer.W, layer.b]
    assert repr(layer) == "Conv2d(3, 8, kernel_size=(5, 3), stride=(1, 1), padding=(1, 1))"
    big = nn.Conv2d(32, 64, 3)
    assert big.W.std() == pytest.approx(np.sqrt(2 / (32 * 9)), rel=0.02)  # He over C·kH·kW
    assert abs(big.W.mean()) < 0.002
    no_bias = nn.Conv2d(1, 2, 3, bias=False, stride=2, dilation=2)
    assert no_bias.b is None and no_bias.parameters() == [no_bias.W]
    assert (
        repr(no_bias)
        == "Conv2d(1, 2, kernel_size=(3, 3), stride=(2, 2), dilation=(2, 2), bias=False)"
    )


def test_conv2d_is_a_sum_over_the_window(float64):
    """y[n, f, r, s] = b[f] + Σ W[f, c, i, j] · xp[n, c, r·s + i·d, s·s + j·d], written out."""
    rng = np.random.default_rng(0)
    layer = nn.Conv2d(2, 3, (2, 3), stride=(2, 1), padding=(1, 1), dilation=(2, 1))
    layer.b[...] = rng.standard_normal(layer.b.shape)
    x = rng.standard_normal((2, 2, 5, 4))
    y = layer(x)
    xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    n, f, r, s = 1, 2, 1, 3
    window = xp[n, :, r * 2 : r * 2 + 3 : 2, s : s + 3]
    assert y[n, f, r, s] == pytest.approx(layer.b[0, f, 0, 0] + np.sum(layer.W[f] * window))


def test_conv2d_first_layer_skips_the_input_gradient():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 1, 6, 6)).astype(np.float32)
    g = rng.standard_normal((2, 4, 4, 4)).astype(np.float32)
    layer = nn.Conv2d(1, 4, 3)
    layer(x)
    layer.backward(g)
    dW = layer.dW.copy()
    layer.zero_grad()
    layer.needs_input_grad = False
    layer(x)
    assert layer.backward(g) is None
    np.testing.assert_array_equal(layer.dW, dW)


def test_conv2d_gradients_accumulate_until_zero_grad():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 2, 5, 5)).astype(np.float32)
    layer = nn.Conv2d(2, 3, 3)
    g = np.ones((2, 3, 3, 3), np.float32)
    layer(x)
    layer.backward(g)
    first_dW, first_db, dW_array = layer.dW.copy(), layer.db.copy(), layer.dW
    layer(x)
    layer.backward(g)
    assert layer.dW is dW_array  # added in place
    np.testing.assert_allclose(layer.dW, 2 * first_dW, rtol=1e-6)
    np.testing.assert_allclose(layer.db, 2 * first_db, rtol=1e-6)
    layer.zero_grad()
    assert layer.dW is None and layer.db is None


def test_conv2d_reuses_its_last_patch_matrix_and_stays_exact(float64):
    """A forward writes its patches into the last forward's matrix (dead by then): the results
    are those of a fresh layer, batch after batch, and a batch of another size gets its own."""
    rng = np.random.default_rng(0)
    layer = nn.Conv2d(2, 3, 3, padding=1)
    fresh = nn.Conv2d(2, 3, 3, padding=1)
    fresh.W[...] = layer.W
    buffers = []
    for n in (4, 4, 2):
        x, g = rng.standard_normal((n, 2, 5, 5)), rng.standard_normal((n, 3, 5, 5))
        y = layer(x)
        buffers.append(layer.cache.cols)
        dx = layer.backward(g)
        fresh.zero_grad()
        np.testing.assert_array_equal(y, fresh(x))
        np.testing.assert_array_equal(dx, fresh.backward(g))
        layer.zero_grad()
        layer(x)
        layer.backward(g)
        np.testing.assert_array_equal(layer.dW, fresh.dW)
    assert buffers[1] is buffers[0] and buffers[2] is not buffers[1]


def test_im2col_out_must_fit():
    x = np.zeros((1, 1, 3, 3), np.float32)
    out = np.empty((4, 4), np.float32)
    assert F.im2col(x, 2, out=out) is out
    with pytest.raises(ValueError, match=r"out must be a C-contiguous float32 array of shape"):
        F.im2col(x, 2, out=np.empty((4, 5), np.float32))


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"kernel_size": 0}, ValueError, r"Conv2d: kernel_size must be >= 1, got 0"),
        ({"kernel_size": (3, 3, 3)}, ValueError, r"kernel_size must be an int or a pair"),
        ({"kernel_size": 2.5}, TypeError, r"Conv2d: kernel_size must be an int, got float"),
        ({"stride": 0}, ValueError, r"Conv2d: stride must be >= 1, got 0"),
        ({"padding": -1}, ValueError, r"Conv2d: padding must be >= 0, got -1"),
        ({"dilation": (1, 0)}, ValueError, r"Conv2d: dilation must be >= 1, got 0"),
        ({"in_channels": 0}, ValueError, r"Conv2d: in_channels must be >= 1, got 0"),
        ({"bias": "yes"}, TypeError, r"Conv2d: bias must be True or False"),
    ],
)
def test_conv2d_refuses_bad_hyperparameters(kwargs, error, match):
    arguments = {"in_channels": 3, "out_channels": 4, "kernel_size": 3, **kwargs}
    with pytest.raises(error, match=match):
        nn.Conv2d(**arguments)


@pytest.mark.parity
def test_a_lenet_style_cnn_matches_torch(float64):
    """A whole network: conv, ReLU, max pool, conv, average pool, flatten, linear."""
    minitorch.manual_seed(0)
    model = nn.Sequential(
        nn.Conv2d(1, 4, 5, padding=2),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(4, 6, 3),
        nn.ReLU(),
        nn.AvgPool2d(2),
        nn.Flatten(),
        nn.Linear(6 * 2 * 2, 3),
    )
    rng = np.random.default_rng(0)
    for layer in model:
        if isinstance(layer, nn.Conv2d):
            layer.b[...] = rng.standard_normal(layer.b.shape)
    x = rng.standard_normal((3, 1, 12, 12))
    y = model(x)
    g = rng.standard_normal(y.shape)
    ours = {"y": y, "dx": model.backward(g)}
    ours.update(
        {
            grad_key(name): grad
            for (name, _), grad in zip(model.named_parameters(), model.grads(), strict=True)
        }
    )

    def reference():
        linear = torch.nn.Linear(24, 3)
        with torch.no_grad():
            linear.weight.copy_(torch_tensor(model[7].W.T))
            linear.bias.copy_(torch_tensor(model[7].b[0]))
        net = torch.nn.Sequential(
            conv2d_to_torch(model[0]),
            torch.nn.ReLU(),
            torch.nn.MaxPool2d(2),
            conv2d_to_torch(model[3]),
            torch.nn.ReLU(),
            torch.nn.AvgPool2d(2),
            torch.nn.Flatten(),
            linear,
        )
        xt = torch_tensor(x, requires_grad=True)
        out = net(xt)
        out.backward(torch_tensor(g))
        theirs = {
            "y": out,
            "dx": xt.grad,
            "7.dW": linear.weight.grad.T,
            "7.db": linear.bias.grad[None],
        }
        for i in (0, 3):
            theirs.update({f"{i}.d{k}": v for k, v in conv2d_torch_grads(net[i]).items()})
        return theirs

    assert_matches_torch("cnn_lenet_style", ours, reference)


# ---------------------------------------------------------------------- pooling
def test_max_pool_ties_go_to_the_first_maximum():
    x = np.array([[[[1.0, 1.0], [1.0, 1.0]]]])
    layer = nn.MaxPool2d(2)
    layer(x)
    np.testing.assert_array_equal(layer.backward(np.array([[[[5.0]]]])), [[[[5.0, 0], [0, 0]]]])
    overlapping = nn.MaxPool2d(2, stride=1)
    y = overlapping(np.zeros((1, 1, 3, 3)))  # every window ties: each sends to its top-left
    dx = overlapping.backward(np.ones_like(y))
    np.testing.assert_array_equal(dx[0, 0], [[1, 1, 0], [1, 1, 0], [0, 0, 0]])


def test_max_pool_padding_never_wins_and_nan_propagates():
    x = np.full((1, 1, 2, 2), -np.inf)
    layer = nn.MaxPool2d(2, stride=2, padding=1)
    y = layer(x)
    assert np.all(y == -np.inf)
    dx = layer.backward(np.ones_like(y))  # each window's gradient reaches its real pixel
    np.testing.assert_array_equal(dx, np.ones_like(x))
    x = np.array([[[[1.0, np.nan], [3.0, 2.0]]]])
    assert np.isnan(nn.MaxPool2d(2)(x)).all()


def test_pooling_defaults_and_repr():
    layer = nn.MaxPool2d(3)
    assert layer.stride == (3, 3) and layer.padding == (0, 0)  # PyTorch: stride = kernel_size
    assert repr(layer) == "MaxPool2d(kernel_size=(3, 3), stride=(3, 3), padding=(0, 0))"
    assert nn.AvgPool2d((2, 3), stride=1).stride == (1, 1)
    assert repr(nn.AdaptiveAvgPool2d(1)) == "AdaptiveAvgPool2d(output_size=1)"
    assert repr(nn.AdaptiveAvgPool2d((2, None))) == "AdaptiveAvgPool2d(output_size=(2, None))"
    assert nn.MaxPool2d(2).parameters() == [] and nn.AdaptiveAvgPool2d(2).grads() == []


def test_avg_pool_counts_the_padding_in_the_mean():
    y = nn.AvgPool2d(2, stride=2, padding=1)(np.ones((1, 1, 2, 2)))
    np.testing.assert_array_equal(y, np.full((1, 1, 2, 2), 0.25))  # 1 real pixel of 4


def test_adaptive_pool_matrix_is_the_picture_in_its_docstring():
    third, half = 1 / 3, 1 / 2
    expected = [[half, half, 0, 0, 0], [0, third, third, third, 0], [0, 0, 0, half, half]]
    np.testing.assert_allclose(F.adaptive_pool_matrix(5, 3), expected)
    np.testing.assert_array_equal(F.adaptive_pool_matrix(6, 3).sum(axis=1), 1)


def test_adaptive_avg_pool_of_a_divisible_size_is_avg_pool():
    x = np.random.default_rng(0).standard_normal((2, 3, 8, 6))
    np.testing.assert_allclose(nn.AdaptiveAvgPool2d((4, 2))(x), nn.AvgPool2d((2, 3))(x))


@pytest.mark.parametrize(
    ("make", "error", "match"),
    [
        (
            lambda: nn.MaxPool2d(2, padding=2),
            ValueError,
            r"MaxPool2d: padding must be at most half",
        ),
        (lambda: nn.AvgPool2d(3, padding=(1, 2)), ValueError, r"AvgPool2d: padding must be at"),
        (lambda: nn.MaxPool2d(0), ValueError, r"MaxPool2d: kernel_size must be >= 1, got 0"),
        (lambda: nn.AvgPool2d(2, stride=0), ValueError, r"AvgPool2d: stride must be >= 1"),
        (lambda: nn.MaxPool2d(2, padding=-1), ValueError, r"padding must be >= 0"),
        (
            lambda: nn.AdaptiveAvgPool2d(0),
            ValueError,
            r"AdaptiveAvgPool2d: output_size must be >= 1",
        ),
        (
            lambda: nn.AdaptiveAvgPool2d((1, 2, 3)),
            ValueError,
            r"output_size must be an int or a pair",
        ),
        (lambda: nn.AdaptiveAvgPool2d(1.5), TypeError, r"output_size must be an int"),
    ],
)
def test_pooling_refuses_bad_hyperparameters(make, error, match):
    with pytest.raises(error, match=match):
        make()


def test_pooling_computes_integer_images_in_floating_point():
    y = nn.AvgPool2d(2)(np.arange(16, dtype=np.uint8).reshape(1, 1, 4, 4))
    assert y.dtype == np.float32 and y[0, 0, 0, 0] == 2.5
    assert nn.MaxPool2d(2)(np.zeros((1, 1, 2, 2), dtype=np.int64)).dtype == np.float32


# ---------------------------------------------------------------------- Dropout2d
def test_dropout2d_zeroes_whole_channels_and_scales_the_rest():
    x = np.ones((64, 32, 3, 4), dtype=np.float32)
    layer = nn.Dropout2d(0.25)
    y = layer(x)
    per_channel = y.reshape(64, 32, -1)
    assert np.all(per_channel.min(axis=2) == per_channel.max(axis=2))  # all or nothing
    assert set(np.unique(y)) <= {0.0, np.float32(1 / 0.75)}
    assert (per_channel[:, :, 0] == 0).mean() == pytest.approx(0.25, abs=0.03)
    g = np.random.default_rng(0).standard_normal(x.shape).astype(np.float32)
    np.testing.assert_array_equal(layer.backward(g), g * y)  # the same mask, x = 1
    assert layer.cache.mask.shape == (64, 32, 1, 1)


def test_dropout2d_three_dimensional_input_drops_channels_of_length_l():
    y = nn.Dropout2d(0.5)(np.ones((8, 16, 5)))
    assert np.all(y.min(axis=2) == y.max(axis=2))


def test_dropout2d_eval_p1_and_seeding():
    x = np.random.default_rng(0).standard_normal((2, 3, 4, 4))
    layer = nn.Dropout2d(0.5)
    assert layer.eval()(x) is x
    assert not np.any(nn.Dropout2d(1.0)(x))
    minitorch.manual_seed(7)
    a = nn.Dropout2d(0.5)(x)
    minitorch.manual_seed(7)
    np.testing.assert_array_equal(nn.Dropout2d(0.5)(x), a)
    with pytest.raises(ValueError, match=r"Dropout2d: p must be in \[0, 1\], got 1.5"):
        nn.Dropout2d(1.5)


def test_dropout_scales_integer_inputs_exactly():
    """An integer batch is computed in floating point: 1/(1 − p) is not rounded to an int."""
    y = nn.Dropout(0.4)(np.ones((4, 50), dtype=np.int64))
    assert y.dtype == np.float32
    assert set(np.unique(y)) <= {0.0, np.float32(1 / 0.6)}


@pytest.mark.parametrize("large", [0, 32 * 2**20], ids=["kept", "per_call"])
def test_conv2d_backward_twice_on_one_cache_gives_the_same_gradients(float64, monkeypatch, large):
    """The input gradient's product goes into a workspace the layer keeps when large (never
    into the cache's patch matrix): a second backward on the same forward is exact, and the
    workspace is the same array from one backward to the next (or None, below the size)."""
    monkeypatch.setattr("minitorch.nn.functional.conv.LARGE_ARRAY", large)
    rng = np.random.default_rng(1)
    layer = nn.Conv2d(2, 3, 3, stride=2, padding=1)
    x, g = rng.standard_normal((4, 2, 7, 7)), rng.standard_normal((4, 3, 4, 4))
    layer(x)
    dx = layer.backward(g)
    workspace = layer._dcols
    dW = layer.dW.copy()
    np.testing.assert_array_equal(layer.backward(g), dx)
    np.testing.assert_array_equal(layer.dW, 2 * dW)
    assert layer._dcols is workspace
    assert (workspace is None) == bool(large)
    out = np.empty_like(layer.cache.cols)
    dx_f, _, _ = F.conv2d_backward(g, layer.cache, dcols_buffer=out)
    np.testing.assert_array_equal(dx_f, dx)
