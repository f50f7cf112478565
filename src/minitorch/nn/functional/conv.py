"""2-D convolution as one matrix product over image patches: im2col, col2im and the conv pair.

A convolution slides a kernel over the image and takes a dot product at every position. Laid
out right, all those dot products are *one* matrix product: ``im2col`` copies every patch the
kernel sees into a column of a matrix, the kernel becomes a matrix with one row per output
channel, and ``W_col @ cols`` computes every output pixel of every image at once. The backward
pass is two more matrix products and ``col2im``, which adds each column's gradient back onto the
pixels it was copied from.

Shapes (NCHW, batch first)::

    x     (N, C, H, W)                 the input images
    W     (F, C, kH, kW)               F filters, PyTorch's layout
    b     (1, F, 1, 1)                 one bias per filter (any shape of F elements works)
    cols  (C·kH·kW, Ho·Wo·N)           one column per patch, one row per (channel, kernel offset)
    y     (N, F, Ho, Wo)               Ho = ⌊(H + 2·pad − dil·(kH − 1) − 1) / stride⌋ + 1

The columns run over the output pixels with the batch varying fastest (CS231n's layout). Then
each kernel offset's block of ``cols`` is one slice of the image laid out as (C, H, W, N), whose
rows are long contiguous runs of memory: im2col and col2im copy and add whole runs of Wo·N
numbers instead of Wo, which makes them two to three times faster than with the batch first.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, NamedTuple

import numpy as np

from ..._validation import check_int
from ._fast import batch_first, batch_last, matmul_into, matmul_t, reusable

Pair = tuple[int, int]


class Conv2dCache(NamedTuple):
    """What the backward of a convolution needs from its forward."""

    x_shape: tuple[int, ...]  # (N, C, H, W)
    cols: np.ndarray  # (C·kH·kW, Ho·Wo·N): im2col(x)
    W: np.ndarray  # (F, C, kH, kW)
    b: np.ndarray | None  # (1, F, 1, 1), or None without a bias
    stride: Pair
    padding: Pair
    dilation: Pair


def pair(owner: str, name: str, value: Any, minimum: int = 0) -> Pair:
    """``value`` (an int, or a pair of ints) as a pair ``(for the height, for the width)``."""
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise ValueError(
                f"{owner}: {name} must be an int or a pair (height, width), got {value!r}"
            )
        height, width = value
        return (check_int(owner, name, height, minimum), check_int(owner, name, width, minimum))
    number = check_int(owner, name, value, minimum)
    return (number, number)


def conv_output_size(
    size: Pair, kernel_size: Pair, stride: Pair, padding: Pair, dilation: Pair = (1, 1)
) -> Pair:
    """``(Ho, Wo)``: where a (dilated) kernel fits in the padded image, taken every ``stride``.

    Ho = ⌊(H + 2·pad − dil·(kH − 1) − 1) / stride⌋ + 1, and likewise for the width.
    """
    return tuple(  # type: ignore[return-value]
        (n + 2 * p - d * (k - 1) - 1) // s + 1
        for n, k, s, p, d in zip(size, kernel_size, stride, padding, dilation, strict=True)
    )


def check_window_fits(
    owner: str, input_shape: tuple[int, ...], kernel_size: Pair, padding: Pair, dilation: Pair
) -> None:
    """Refuse a (dilated) kernel larger than the padded image: it would have no output pixel."""
    spatial = tuple(input_shape[-2:])
    padded = tuple(n + 2 * p for n, p in zip(spatial, padding, strict=True))
    span = tuple(d * (k - 1) + 1 for k, d in zip(kernel_size, dilation, strict=True))
    if span[0] > padded[0] or span[1] > padded[1]:
        kernel = f"dilated kernel {span}" if dilation != (1, 1) else f"kernel {span}"
        raise ValueError(
            f"{owner}: the {kernel} is larger than the padded input {padded} (input of shape "
            f"{tuple(input_shape)}, padding {padding}), so there is no output pixel; use a "
            "smaller kernel, more padding or a larger image"
        )


def window_slices(
    kernel_size: Pair, stride: Pair, dilation: Pair, output_size: Pair
) -> Iterator[tuple[int, int, slice, slice]]:
    """For each kernel offset (i, j): the rows and columns of the padded image it touches.

    ``xp[:, :, rows, cols]`` is an ``(N, C, Ho, Wo)`` view holding, for every output pixel, the
    input pixel under kernel offset (i, j). Looping over the kH·kW offsets (never over pixels)
    is how col2im and the pooling layers stay vectorised.
    """
    (kh, kw), (sh, sw), (dh, dw), (ho, wo) = kernel_size, stride, dilation, output_size
    for i in range(kh):
        for j in range(kw):
            rows = slice(i * dh, i * dh + sh * (ho - 1) + 1, sh)
            cols = slice(j * dw, j * dw + sw * (wo - 1) + 1, sw)
            yield i, j, rows, cols


def padded_full(
    shape: tuple[int, ...], padding: Pair, dtype: Any, value: float = 0.0, axes: Pair = (2, 3)
) -> np.ndarray:
    """An array of ``value`` of ``shape`` grown by ``2·padding`` along the two image ``axes``
    (H and W; (2, 3) for (N, C, H, W), (1, 2) for im2col's (C, H, W, N))."""
    grown = list(shape)
    for axis, pad in zip(axes, padding, strict=True):
        grown[axis] += 2 * pad
    return np.zeros(grown, dtype) if value == 0 else np.full(grown, value, dtype)


def unpadded(padded: np.ndarray, padding: Pair, axes: Pair = (2, 3)) -> np.ndarray:
    """The view of ``padded`` without its ``padding`` rows and columns (the inverse of
    :func:`padded_full`'s growth)."""
    index = [slice(None)] * padded.ndim
    for axis, pad in zip(axes, padding, strict=True):
        index[axis] = slice(pad, padded.shape[axis] - pad)
    return padded[tuple(index)]


def _batch_last(x: np.ndarray, padding: Pair) -> np.ndarray:
    """x (N, C, H, W) as (C, H + 2·padH, W + 2·padW, N), zero-padded: one copy."""
    xp = padded_full((*x.shape[1:], len(x)), padding, x.dtype, axes=(1, 2))
    unpadded(xp, padding, axes=(1, 2))[...] = x.transpose(1, 2, 3, 0)
    return xp


def pad2d(x: np.ndarray, padding: Pair, value: float = 0.0) -> np.ndarray:
    """``x`` (N, C, H, W) with ``padding`` rows and columns of ``value`` on each side."""
    if padding == (0, 0):
        return x
    padded = padded_full(x.shape, padding, x.dtype, value)
    unpadded(padded, padding)[...] = x
    return padded


#: Arrays from this size up are worth keeping from step to step (:func:`workspace`): glibc's
#: malloc hands out anything larger than 32 MiB (its highest mmap threshold) as fresh pages.
LARGE_ARRAY = 32 * 2**20


def workspace(old: np.ndarray | None, like: np.ndarray) -> np.ndarray | None:
    """The scratch array of ``like``'s shape and dtype a layer keeps between steps: ``old`` if
    it fits, else a new one; ``None`` (allocate per call) when ``like`` is below LARGE_ARRAY.

    Only large arrays gain from it: the C allocator gives them fresh pages at every step, which
    the operating system maps and zeroes on first touch (Conv2d 32 -> 64 on 26×26 at batch 64:
    its dcols product, 41 MiB, runs in 19.7 ms into a kept array, 24.3 into a new one). A
    smaller one comes from memory just freed, still in the cache; a kept one is colder there
    (LeNet-5's 3.7 MiB dcols kept: its whole step 7.4 -> 8.4 ms).
    """
    if like.nbytes < LARGE_ARRAY:
        return None
    return old if reusable(old, like.shape, like.dtype) is not None else np.empty_like(like)


def im2col(
    x: np.ndarray,
    kernel_size: int | Pair,
    stride: int | Pair = 1,
    padding: int | Pair = 0,
    dilation: int | Pair = 1,
    out: np.ndarray | None = None,
) -> np.ndarray:
    """Copy every patch a kernel sees into one column of a matrix.

    One channel of 3×3 pixels, a 2×2 kernel, stride 1: four patches, four columns::

        x                  patches                        cols = im2col(x, 2)
        +---+---+---+
        | a | b | c |      [a b]  [b c]  [d e]  [e f]       a  b  d  e    <- offset (0, 0)
        +---+---+---+      [d e]  [e f]  [g h]  [h i]       b  c  e  f    <- offset (0, 1)
        | d | e | f |                                       d  e  g  h    <- offset (1, 0)
        +---+---+---+                                       e  f  h  i    <- offset (1, 1)
        | g | h | i |                                       ^ one column per output pixel
        +---+---+---+

    A filter w = [[w00, w01], [w10, w11]] flattened to the row (w00 w01 w10 w11) then gives
    all four outputs as one product, ``row @ cols``; F filters stacked as rows give the F output
    channels, ``W.reshape(F, -1) @ cols``.

    Parameters
    ----------
    x : ndarray, shape (N, C, H, W)
    kernel_size, stride, padding, dilation : int or (int, int)
        As for :class:`~minitorch.nn.Conv2d`. ``padding`` adds zeros around the image;
        ``dilation`` spaces the kernel's taps ``dilation`` pixels apart.
    out : ndarray, optional
        A C-contiguous array of the result's shape and of x's dtype to write the columns into
        (an old patch matrix nothing needs any more), instead of a new one.

    Returns
    -------
    cols : ndarray, shape (C·kH·kW, Ho·Wo·N)
        Row ``c·kH·kW + i·kW + j`` (channel c, kernel offset (i, j): the order of
        ``W.reshape(F, -1)``'s columns); column ``(r·Wo + s)·N + n`` (output pixel (r, s) of
        image n: the batch varies fastest). Overlapping patches share pixels, so ``cols`` is
        about kH·kW times as large as ``x``.
    """
    kh, kw = pair("im2col", "kernel_size", kernel_size, 1)
    stride, dilation = pair("im2col", "stride", stride, 1), pair("im2col", "dilation", dilation, 1)
    padding = pair("im2col", "padding", padding, 0)
    if x.ndim != 4:
        raise ValueError(f"im2col expects images of shape (N, C, H, W), got {x.shape}")
    n, c, h, w = x.shape
    check_window_fits("im2col", x.shape, (kh, kw), padding, dilation)
    ho, wo = conv_output_size((h, w), (kh, kw), stride, padding, dilation)
    xp = _batch_last(x, padding)  # (C, Hp, Wp, N)
    shape = (c * kh * kw, ho * wo * n)
    if out is None:
        out = np.empty(shape, dtype=x.dtype)
    elif out.shape != shape or out.dtype != x.dtype or not out.flags.c_contiguous:
        raise ValueError(
            f"im2col: out must be a C-contiguous {x.dtype} array of shape {shape}, got "
            f"{out.dtype} {out.shape}"
        )
    cols = out.reshape(c, kh, kw, ho, wo, n)  # a view: filling it fills out
    for i, j, rows, columns in window_slices((kh, kw), stride, dilation, (ho, wo)):
        cols[:, i, j] = xp[:, rows, columns, :]  # what offset (i, j) sees, for every pixel
    return out


def col2im(
    cols: np.ndarray,
    input_shape: tuple[int, int, int, int],
    kernel_size: int | Pair,
    stride: int | Pair = 1,
    padding: int | Pair = 0,
    dilation: int | Pair = 1,
) -> np.ndarray:
    """The adjoint of :func:`im2col`: add each column back onto the pixels it was copied from.

    A pixel that lay in several patches (b, d, f, h in the 2×2 picture of :func:`im2col` lie in
    two, e in all four) receives the sum of its entries: for ``dcols = dL/dcols`` this is
    ``dL/dx``. Gradient entries that fall on the padding are dropped. Note that
    ``col2im(im2col(x))`` is not ``x``: each pixel comes back multiplied by the number of
    patches it lies in.

    Parameters
    ----------
    cols : ndarray, shape (C·kH·kW, Ho·Wo·N)
        Laid out as :func:`im2col` returns it.
    input_shape : (N, C, H, W)
        The shape of the image the columns came from.

    Returns
    -------
    ndarray, shape (N, C, H, W)
    """
    kh, kw = pair("col2im", "kernel_size", kernel_size, 1)
    stride, dilation = pair("col2im", "stride", stride, 1), pair("col2im", "dilation", dilation, 1)
    padding = pair("col2im", "padding", padding, 0)
    n, c, h, w = input_shape
    ho, wo = conv_output_size((h, w), (kh, kw), stride, padding, dilation)
    if cols.shape != (c * kh * kw, ho * wo * n):
        raise ValueError(
            f"col2im: for input shape {tuple(input_shape)} and kernel {(kh, kw)} the columns "
            f"must have shape {(c * kh * kw, ho * wo * n)}, got {cols.shape}"
        )
    patches = cols.reshape(c, kh, kw, ho, wo, n)
    padded = padded_full((c, h, w, n), padding, cols.dtype, axes=(1, 2))  # (C, Hp, Wp, N)
    for i, j, rows, columns in window_slices((kh, kw), stride, dilation, (ho, wo)):
        padded[:, rows, columns, :] += patches[:, i, j]  # im2col's copy, run backwards
    # Crop the padding, back to batch-first (N, C, H, W).
    return np.ascontiguousarray(unpadded(padded, padding, axes=(1, 2)).transpose(3, 0, 1, 2))


def conv2d_forward(
    x: np.ndarray,
    W: np.ndarray,
    b: np.ndarray | None = None,
    stride: int | Pair = 1,
    padding: int | Pair = 0,
    dilation: int | Pair = 1,
    cols_buffer: np.ndarray | None = None,
) -> tuple[np.ndarray, Conv2dCache]:
    """y = W ⋆ x + b, computed as one matrix product over patches.

    cols  = im2col(x)                                  (C·kH·kW, Ho·Wo·N)
    Y     = W_col @ cols,  W_col = W.reshape(F, -1)    (F, Ho·Wo·N)
    y     = Y as (N, F, Ho, Wo), plus b                (N, F, Ho, Wo)

    Shapes: x (N, C, H, W), W (F, C, kH, kW), b (1, F, 1, 1) (or any shape of F elements).
    Returns ``(y, Conv2dCache(x.shape, cols, W, b, stride, padding, dilation))``.
    ``cols_buffer``: the ``cols`` of a cache that is no longer needed (Conv2d passes its last
    forward's), reused when its shape and dtype fit; this spares allocating (and the operating
    system zeroing) a new patch matrix, often the largest array of the network, at every step.
    """
    stride, padding = pair("conv2d", "stride", stride, 1), pair("conv2d", "padding", padding, 0)
    dilation = pair("conv2d", "dilation", dilation, 1)
    if x.ndim != 4 or W.ndim != 4 or x.shape[1] != W.shape[1]:
        raise ValueError(
            f"conv2d_forward: x must be (N, C, H, W) and W (F, C, kH, kW) with the same C, got "
            f"x {x.shape} and W {W.shape}"
        )
    n, _, h, w = x.shape
    f, _, kh, kw = W.shape
    ho, wo = conv_output_size((h, w), (kh, kw), stride, padding, dilation)
    out = reusable(cols_buffer, (W[0].size, ho * wo * n), x.dtype)
    cols = im2col(x, (kh, kw), stride, padding, dilation, out=out)
    Y = W.reshape(f, -1) @ cols  # (F, Ho·Wo·N): every output pixel of every image at once
    # Back to batch-first (N, F, Ho, Wo), adding the bias on the way: one pass, one copy.
    y = batch_first(Y.reshape(f, ho, wo, n), plus=None if b is None else b.reshape(1, f, 1, 1))
    return y, Conv2dCache(x.shape, cols, W, b, stride, padding, dilation)


def conv2d(
    x: np.ndarray,
    W: np.ndarray,
    b: np.ndarray | None = None,
    stride: int | Pair = 1,
    padding: int | Pair = 0,
    dilation: int | Pair = 1,
) -> np.ndarray:
    """A 2-D convolution, as ``torch.nn.functional.conv2d`` (forward only).

    x (N, C, H, W); W (F, C, kH, kW), the layout of PyTorch's weight and of ``Conv2d.W``;
    b of F elements (PyTorch's (F,) bias, or ``Conv2d.b``, stored as (1, F, 1, 1)), or None.
    """
    owner = "F.conv2d"
    padding, dilation = pair(owner, "padding", padding), pair(owner, "dilation", dilation, 1)
    check_window_fits(owner, np.shape(x), np.shape(W)[-2:], padding, dilation)
    return conv2d_forward(x, W, b, stride, padding, dilation)[0]


def conv2d_backward(
    grad_output: np.ndarray,
    cache: Conv2dCache,
    input_grad: bool = True,
    dcols_buffer: np.ndarray | None = None,
) -> tuple[np.ndarray | None, np.ndarray, np.ndarray | None]:
    """Gradients of y = W ⋆ x + b given G = dL/dy of shape (N, F, Ho, Wo).

    G_col = G as (F, Ho·Wo·N)                          one row per filter
    dW    = G_col @ colsᵀ, reshaped like W             (F, C, kH, kW)
    db    = Σ_{n,r,s} G, shaped like b                 (1, F, 1, 1)   (``None`` without bias)
    dx    = col2im(W_colᵀ @ G_col)                     (N, C, H, W)   (``None`` unless
                                                                       ``input_grad``)

    ``dcols_buffer``: an array of ``cols``' shape and dtype whose contents nothing needs (Conv2d
    passes the :func:`workspace` it keeps for a large ``cols``, never the cache's ``cols``):
    W_colᵀ @ G_col is written into it, when it fits (``_fast.matmul_into``), instead of into a
    new array. Only dx leaves the call.
    """
    W, b, cols = cache.W, cache.b, cache.cols
    f = W.shape[0]
    G_col = batch_last(grad_output).reshape(f, -1)  # (F, Ho·Wo·N), one copy (see _fast.py)
    dW = matmul_t(G_col, cols).reshape(W.shape)  # G_col @ colsᵀ (see _fast.py)
    db = None if b is None else G_col.sum(axis=1).reshape(b.shape)
    dx = None
    if input_grad:
        dcols = matmul_into(W.reshape(f, -1).T, G_col, dcols_buffer)  # (C·kH·kW, Ho·Wo·N)
        dx = col2im(dcols, cache.x_shape, W.shape[2:], cache.stride, cache.padding, cache.dilation)
    return dx, dW, db


# ---------------------------------------------------------------------- transposed convolution
class ConvTranspose2dCache(NamedTuple):
    """What the backward of a transposed convolution needs from its forward."""

    x_shape: tuple[int, ...]  # (N, C, H, W)
    x_cols: np.ndarray  # (groups, C/groups, H'·W'·N): x batch-last, see transposed_input_columns
    W: np.ndarray  # (C, F/groups, kH, kW)
    b: np.ndarray | None  # (1, F, 1, 1), or None without a bias
    stride: Pair
    padding: Pair
    dilation: Pair
    groups: int
    grid: Pair  # (H', W'): what a convolution maps the output to, (H, W) but for output_padding


def conv_transpose_output_size(
    size: Pair,
    kernel_size: Pair,
    stride: Pair,
    padding: Pair,
    output_padding: Pair = (0, 0),
    dilation: Pair = (1, 1),
) -> Pair:
    """``(Ho, Wo)`` of a transposed convolution, the sizes a convolution maps back to ``size``.

    Ho = (H − 1)·stride − 2·pad + dil·(kH − 1) + output_padding + 1, and likewise for the width.
    A convolution with stride s maps s sizes to the same H; ``output_padding`` (< stride, or
    < dilation) picks which.
    """
    return tuple(  # type: ignore[return-value]
        (n - 1) * s - 2 * p + d * (k - 1) + op + 1
        for n, k, s, p, op, d in zip(
            size, kernel_size, stride, padding, output_padding, dilation, strict=True
        )
    )


def check_output_padding(owner: str, output_padding: Pair, stride: Pair, dilation: Pair) -> None:
    """PyTorch's rule: each output_padding smaller than its stride or its dilation."""
    for op, s, d in zip(output_padding, stride, dilation, strict=True):
        if not (op < s or op < d):
            raise ValueError(
                f"{owner}: output_padding must be smaller than either stride or dilation, got "
                f"output_padding={output_padding}, stride={stride}, dilation={dilation}; it "
                "only chooses among the stride sizes that a convolution maps to the same size"
            )


def transposed_input_columns(x: np.ndarray, groups: int, grid: Pair) -> np.ndarray:
    """x (N, C, H, W) as the columns (groups, C/groups, H'·W'·N) a transposed convolution
    multiplies: batch last, as im2col lays out a convolution's output pixels, one copy.

    ``grid`` (H', W') is the size the convolution of the output maps to, which is (H, W) but
    when output_padding ≥ stride (allowed when it is < dilation): then the output has rows no
    input pixel reaches, and x is extended with zeros to H'·W' so the shapes meet.
    """
    n, c, h, w = x.shape
    columns = np.zeros((c, *grid, n), dtype=x.dtype)
    columns[:, :h, :w, :] = x.transpose(1, 2, 3, 0)
    return columns.reshape(groups, c // groups, -1)


def conv_transpose2d_forward(
    x: np.ndarray,
    W: np.ndarray,
    b: np.ndarray | None = None,
    stride: int | Pair = 1,
    padding: int | Pair = 0,
    output_padding: int | Pair = 0,
    groups: int = 1,
    dilation: int | Pair = 1,
) -> tuple[np.ndarray, ConvTranspose2dCache]:
    """y = Wᵀ ⋆ x + b: the adjoint of a convolution, col2im of one matrix product.

    A convolution y = conv2d(x, W) computes cols = im2col(x) and Y = W_col @ cols; its input
    gradient is col2im(W_colᵀ @ G_col). A transposed convolution *is* that input gradient,
    applied to x (PyTorch's torch.nn.ConvTranspose2d, argument order of its functional)::

        X     = x as (C, H·W·N)                          one column per input pixel
        cols  = W_colᵀ @ X,  W_col = W as (C, F·kH·kW)   (F·kH·kW, H·W·N)
        y     = col2im(cols) as (N, F, Ho, Wo), plus b   (N, F, Ho, Wo)

    Each input pixel scatters its kernel-sized patch W[c] · x[n, c, r, s] onto the output,
    stride pixels apart, and overlapping patches add up. For every W, stride, padding and
    dilation, ⟨conv2d(u, W), v⟩ = ⟨u, conv_transpose2d(v, W)⟩ (tests/test_conv_transpose.py).

    Shapes: x (N, C, H, W), W (C, F/groups, kH, kW) (PyTorch's layout: in_channels first),
    b (1, F, 1, 1) (or any shape of F elements); Ho = (H − 1)·sH − 2·padH + dH·(kH − 1) +
    output_padding + 1 (:func:`conv_transpose_output_size`). With ``groups`` = g the C input
    channels and the F outputs are cut into g blocks and block j of the output sees only
    block j of the input: the product above is g products, one per block.
    Returns ``(y, ConvTranspose2dCache(...))``.
    """
    owner = "conv_transpose2d_forward"
    stride, padding = pair(owner, "stride", stride, 1), pair(owner, "padding", padding, 0)
    dilation = pair(owner, "dilation", dilation, 1)
    output_padding = pair(owner, "output_padding", output_padding, 0)
    groups = check_int(owner, "groups", groups, 1)
    if x.ndim != 4 or W.ndim != 4 or x.shape[1] != W.shape[0] or x.shape[1] % groups:
        raise ValueError(
            f"{owner}: x must be (N, C, H, W) and W (C, F/groups, kH, kW) with the same C, "
            f"divisible by groups={groups}, got x {x.shape} and W {W.shape}"
        )
    check_output_padding(owner, output_padding, stride, dilation)
    n, c, h, w = x.shape
    _, f_group, kh, kw = W.shape
    f = f_group * groups
    size = conv_transpose_output_size((h, w), (kh, kw), stride, padding, output_padding, dilation)
    if min(size) < 1:
        raise ValueError(
            f"{owner}: the output would have size {size} for input {x.shape}: lower padding"
        )
    grid = conv_output_size(size, (kh, kw), stride, padding, dilation)
    X = transposed_input_columns(x, groups, grid)  # (g, C/g, H'·W'·N)
    W_col = W.reshape(groups, c // groups, f_group * kh * kw)  # (g, C/g, F/g·kH·kW)
    cols = (W_col.transpose(0, 2, 1) @ X).reshape(f * kh * kw, -1)  # W_colᵀ @ X, per group
    y = col2im(cols, (n, f, *size), (kh, kw), stride, padding, dilation)
    if b is not None:
        y += b.reshape(f)[:, None, None]  # one bias per output channel
    return y, ConvTranspose2dCache(x.shape, X, W, b, stride, padding, dilation, groups, grid)


def conv_transpose2d(
    x: np.ndarray,
    W: np.ndarray,
    b: np.ndarray | None = None,
    stride: int | Pair = 1,
    padding: int | Pair = 0,
    output_padding: int | Pair = 0,
    groups: int = 1,
    dilation: int | Pair = 1,
) -> np.ndarray:
    """A transposed 2-D convolution, as ``torch.nn.functional.conv_transpose2d`` (forward only).

    x (N, C, H, W); W (C, F/groups, kH, kW), the layout of PyTorch's weight and of
    ``ConvTranspose2d.W``; b of F elements, or None.
    """
    return conv_transpose2d_forward(x, W, b, stride, padding, output_padding, groups, dilation)[0]


def conv_transpose2d_backward(
    grad_output: np.ndarray, cache: ConvTranspose2dCache, input_grad: bool = True
) -> tuple[np.ndarray | None, np.ndarray, np.ndarray | None]:
    """Gradients of y = col2im(W_colᵀ @ X) + b given G = dL/dy of shape (N, F, Ho, Wo).

    The adjoint of col2im is im2col, so the backward runs a convolution forward::

        cols  = im2col(G)                                (F·kH·kW, H·W·N)
        dW    = X @ colsᵀ, reshaped like W               (C, F/groups, kH, kW)
        db    = Σ_{n,r,s} G, shaped like b               (1, F, 1, 1)   (``None`` without bias)
        dx    = W_col @ cols as (N, C, H, W)             = conv2d(G, W): Conv2d's forward,
                                                           (``None`` unless ``input_grad``)

    (per group with ``groups`` > 1: block j of W, X and cols).
    """
    W, b, X, groups = cache.W, cache.b, cache.x_cols, cache.groups
    n, c, h, w = cache.x_shape
    f = grad_output.shape[1]
    kh, kw = W.shape[2:]
    cols = im2col(
        grad_output, (kh, kw), stride=cache.stride, padding=cache.padding, dilation=cache.dilation
    )
    cols = cols.reshape(groups, f // groups * kh * kw, -1)  # (g, F/g·kH·kW, P)
    # dW = X @ colsᵀ, computed as (cols @ Xᵀ)ᵀ: BLAS runs the long-by-thin product faster (see
    # _fast.matmul_t); copied to C order, the small (C, F/g·kH·kW) result.
    dW = np.ascontiguousarray((cols @ X.transpose(0, 2, 1)).transpose(0, 2, 1)).reshape(W.shape)
    db = None if b is None else np.einsum("nfrs->f", grad_output).reshape(b.shape)
    dx = None
    if input_grad:
        W_col = W.reshape(groups, c // groups, -1)
        dX = (W_col @ cols).reshape(c, *cache.grid, n)  # (C, H', W', N)
        dx = np.ascontiguousarray(np.moveaxis(dX[:, :h, :w, :], -1, 0))  # batch first again
    return dx, dW, db
