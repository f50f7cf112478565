"""Pooling as stateless forward/backward pairs: max, average and adaptive average.

Every pooling window is visited one *kernel offset* at a time: for offset (i, j), the view
``xp[:, :, rows, cols]`` (see :func:`~minitorch.nn.functional.conv.window_slices`) holds, for
every output pixel at once, the input pixel under that offset. A 2×2 pool is four such views;
no Python loop runs over images, channels or pixels.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from .conv import (
    Pair,
    check_window_fits,
    conv_output_size,
    pad2d,
    padded_full,
    pair,
    unpadded,
    window_slices,
)


class MaxPool2dCache(NamedTuple):
    """What the backward of max pooling needs from its forward."""

    is_max: np.ndarray  # (kH·kW, N, C, Ho, Wo): where each window's maximum was
    x_shape: tuple[int, ...]  # (N, C, H, W)
    kernel_size: Pair
    stride: Pair
    padding: Pair


class AvgPool2dCache(NamedTuple):
    """What the backward of average pooling needs from its forward."""

    x_shape: tuple[int, ...]  # (N, C, H, W)
    kernel_size: Pair
    stride: Pair
    padding: Pair


class AdaptiveAvgPool2dCache(NamedTuple):
    """What the backward of adaptive average pooling needs from its forward."""

    A_H: np.ndarray  # (Ho, H): the averaging matrix of the rows
    A_W: np.ndarray  # (Wo, W): of the columns


def pool_windows(kernel_size: Pair, stride: Pair, output_size: Pair):
    """``(rows, cols)`` for each kernel offset, row-major: ``xp[:, :, rows, cols]`` is every
    window's pixel under that offset (:func:`~minitorch.nn.functional.conv.window_slices`
    without dilation)."""
    for _, _, rows, cols in window_slices(kernel_size, stride, (1, 1), output_size):
        yield rows, cols


def _scatter(
    parts, input_shape: tuple[int, ...], kernel_size: Pair, stride: Pair, padding: Pair, dtype
) -> np.ndarray:
    """Add ``parts[k]`` (N, C, Ho, Wo), one per kernel offset k, back onto the input pixels."""
    size = conv_output_size(input_shape[2:], kernel_size, stride, padding)
    padded = padded_full(input_shape, padding, dtype)
    for part, (rows, cols) in zip(parts, pool_windows(kernel_size, stride, size), strict=False):
        padded[:, :, rows, cols] += part
    return unpadded(padded, padding)


def pool_arguments(
    owner: str, kernel_size: int | Pair, stride: int | Pair | None, padding: int | Pair
) -> tuple[Pair, Pair, Pair]:
    """``(kernel_size, stride, padding)`` as pairs, from ints or pairs as PyTorch takes them.

    ``stride=None`` is PyTorch's default: windows side by side (stride = kernel_size). Padding
    above half the kernel is refused, as PyTorch refuses it: a window could hold only padding.
    """
    kernel_size = pair(owner, "kernel_size", kernel_size, 1)
    stride = kernel_size if stride is None else pair(owner, "stride", stride, 1)
    padding = pair(owner, "padding", padding, 0)
    if 2 * padding[0] > kernel_size[0] or 2 * padding[1] > kernel_size[1]:
        raise ValueError(
            f"{owner}: padding must be at most half of kernel_size, got padding {padding} for "
            f"kernel_size {kernel_size}"
        )
    return kernel_size, stride, padding


def takes_int_sizes(forward: Callable) -> Callable:
    """A pooling forward that also takes PyTorch's ints for ``kernel_size``, ``stride`` and
    ``padding`` (``max_pool2d_forward(x, 2, 2)``): they become pairs, checked by
    :func:`pool_arguments`, before the formula runs, so the body only ever sees pairs."""
    owner = forward.__name__

    @functools.wraps(forward)
    def with_pairs(x, kernel_size, stride, padding=(0, 0)):
        return forward(x, *pool_arguments(owner, kernel_size, stride, padding))

    return with_pairs


def max_pool2d(
    x: np.ndarray,
    kernel_size: int | Pair,
    stride: int | Pair | None = None,
    padding: int | Pair = 0,
) -> np.ndarray:
    """Max pooling, as ``torch.nn.functional.max_pool2d`` (forward only; x is (N, C, H, W))."""
    kernel_size, stride, padding = pool_arguments("max_pool2d", kernel_size, stride, padding)
    check_window_fits("max_pool2d", np.shape(x), kernel_size, padding, (1, 1))
    return max_pool2d_forward(x, kernel_size, stride, padding)[0]


def avg_pool2d(
    x: np.ndarray,
    kernel_size: int | Pair,
    stride: int | Pair | None = None,
    padding: int | Pair = 0,
) -> np.ndarray:
    """Average pooling, as ``torch.nn.functional.avg_pool2d`` with its defaults (the padding
    counts in the divisor); forward only, x is (N, C, H, W)."""
    kernel_size, stride, padding = pool_arguments("avg_pool2d", kernel_size, stride, padding)
    check_window_fits("avg_pool2d", np.shape(x), kernel_size, padding, (1, 1))
    return avg_pool2d_forward(x, kernel_size, stride, padding)[0]


@takes_int_sizes
def max_pool2d_forward(
    x: np.ndarray, kernel_size: int | Pair, stride: int | Pair, padding: int | Pair = (0, 0)
) -> tuple[np.ndarray, MaxPool2dCache]:
    """y[n, c, r, s] = max of the window, padded with −∞; remembers where each max was.

    Shapes: x (N, C, H, W) -> y (N, C, Ho, Wo), Ho = ⌊(H + 2·pad − kH) / stride⌋ + 1.
    ``is_max[k]`` (N, C, Ho, Wo) marks the windows whose maximum lies at kernel offset
    k = i·kW + j: exactly one offset per window. As in PyTorch, ties go to the first maximum
    in row-major order, a NaN is the maximum (the last NaN of the window), and a window whose
    real pixels are all −∞ picks its first real pixel, never the padding.
    Returns ``(y, MaxPool2dCache(is_max, x.shape, kernel_size, stride, padding))``.
    """
    (h, w), (kh, kw) = x.shape[2:], kernel_size
    size = conv_output_size((h, w), kernel_size, stride, padding)
    xp = pad2d(x, padding, -np.inf)
    # windows[k]: for every window at once, the pixel under kernel offset k; one contiguous
    # copy (kH·kW, N, C, Ho, Wo), so that everything below runs on contiguous memory
    windows = np.stack(
        [
            xp[:, :, rows, cols]
            for rows, cols in pool_windows(kernel_size, stride, size)
        ]
    )
    y = windows[0].copy()
    for pixels in windows[1:]:
        np.maximum(y, pixels, out=y)  # NaN propagates
    is_max = windows == y  # every maximum of every window ...
    found = is_max[0].copy()
    for k in range(1, kh * kw):  # ... of which an earlier offset wins a tie
        is_max[k] &= ~found
        found |= is_max[k]
    if not found.all():  # windows holding a NaN: PyTorch picks the window's last NaN
        for k in reversed(range(kh * kw)):
            last_nan = np.isnan(windows[k]) & ~found
            is_max[k] |= last_nan
            found |= last_nan
    if padding != (0, 0) and np.any(y == -np.inf):  # all real pixels −∞: not the padding
        (sh, sw), (ph, pw) = stride, padding
        first_row = np.maximum(ph - sh * np.arange(size[0]), 0)
        first_col = np.maximum(pw - sw * np.arange(size[1]), 0)
        first_real = first_row[:, None] * kw + first_col[None, :]  # (Ho, Wo)
        for k in range(kh * kw):
            np.copyto(is_max[k], first_real == k, where=y == -np.inf)
    return y, MaxPool2dCache(is_max, x.shape, kernel_size, stride, padding)


def max_pool2d_backward(grad_output: np.ndarray, cache: MaxPool2dCache) -> np.ndarray:
    """dx: each window's gradient goes to its maximum, and nowhere else.

    dx[pixel] = Σ over the windows whose maximum is that pixel of G[window]        (N, C, H, W)
    (a pixel that is the maximum of several overlapping windows gets the sum).
    """
    is_max, stride, padding = cache.is_max, cache.stride, cache.padding
    (h, w), (kh, kw) = cache.x_shape[2:], cache.kernel_size
    size = conv_output_size((h, w), (kh, kw), stride, padding)
    padded = padded_full(cache.x_shape, padding, grad_output.dtype)
    side_by_side = stride[0] >= kh and stride[1] >= kw  # windows share no pixel
    for k, (rows, cols) in enumerate(pool_windows((kh, kw), stride, size)):
        if side_by_side:  # each pixel is written once: write it directly
            np.multiply(grad_output, is_max[k], out=padded[:, :, rows, cols])
        else:
            padded[:, :, rows, cols] += grad_output * is_max[k]
    return unpadded(padded, padding)


@takes_int_sizes
def avg_pool2d_forward(
    x: np.ndarray, kernel_size: int | Pair, stride: int | Pair, padding: int | Pair = (0, 0)
) -> tuple[np.ndarray, AvgPool2dCache]:
    """y[n, c, r, s] = (1 / (kH·kW)) · Σ of the window, padded with zeros.

    Shapes: x (N, C, H, W) -> y (N, C, Ho, Wo). The padding counts in the divisor (PyTorch's
    default ``count_include_pad=True``): every window divides by kH·kW.
    Returns ``(y, AvgPool2dCache(x.shape, kernel_size, stride, padding))``.
    """
    (kh, kw), (h, w) = kernel_size, x.shape[2:]
    size = conv_output_size((h, w), kernel_size, stride, padding)
    xp = pad2d(x, padding)
    y = np.zeros((*x.shape[:2], *size), dtype=x.dtype)
    windows = pool_windows(kernel_size, stride, size)
    for rows, cols in windows:
        y += xp[:, :, rows, cols]
    y /= kh * kw
    return y, AvgPool2dCache(x.shape, kernel_size, stride, padding)


def avg_pool2d_backward(grad_output: np.ndarray, cache: AvgPool2dCache) -> np.ndarray:
    """dx: every pixel of a window gets 1/(kH·kW) of the window's gradient (summed over the
    windows it lies in; the share that falls on the padding is dropped).    (N, C, H, W)
    """
    kh, kw = cache.kernel_size
    share = grad_output / (kh * kw)
    parts = (share for _ in range(kh * kw))
    return _scatter(
        parts, cache.x_shape, cache.kernel_size, cache.stride, cache.padding, grad_output.dtype
    )


def adaptive_pool_matrix(input_size: int, output_size: int, dtype=np.float64) -> np.ndarray:
    """A (output_size, input_size) averaging matrix: row i averages input[start_i : end_i].

    PyTorch's windows: start_i = ⌊i·H / Ho⌋ and end_i = ⌈(i + 1)·H / Ho⌉. When H is not a
    multiple of Ho the windows differ in length and may overlap; each row still sums to 1.
    For H = 5, Ho = 3 the windows are [0, 2), [1, 4), [3, 5)::

        [[1/2 1/2  .   .   . ]
         [ .  1/3 1/3 1/3  . ]
         [ .   .   .  1/2 1/2]]
    """
    i = np.arange(output_size)
    start = (i * input_size) // output_size
    end = -((-(i + 1) * input_size) // output_size)  # ceiling division
    pixel = np.arange(input_size)
    inside = (pixel >= start[:, None]) & (pixel < end[:, None])
    return (inside / (end - start)[:, None]).astype(dtype)


def adaptive_avg_pool2d_forward(
    x: np.ndarray, output_size: Pair
) -> tuple[np.ndarray, AdaptiveAvgPool2dCache]:
    """y = A_H x A_Wᵀ: average pooling to a fixed output size, whatever the input size.

    Shapes: x (N, C, H, W), A_H (Ho, H), A_W (Wo, W) from :func:`adaptive_pool_matrix`
    -> y (N, C, Ho, Wo). Averaging the rows and then the columns of each window is the same as
    averaging the window, because the windows are rectangles.
    Returns ``(y, AdaptiveAvgPool2dCache(A_H, A_W))``.
    """
    (h, w), (ho, wo) = x.shape[2:], output_size
    A_H = adaptive_pool_matrix(h, ho, x.dtype)
    A_W = adaptive_pool_matrix(w, wo, x.dtype)
    return A_H @ x @ A_W.T, AdaptiveAvgPool2dCache(A_H, A_W)


def adaptive_window_means(x: np.ndarray, output_size: Pair) -> np.ndarray:
    """Each adaptive window's mean, taken window by window (PyTorch's windows, as
    :func:`adaptive_pool_matrix`'s): what ``A_H x A_Wᵀ`` computes, for inputs holding ±inf or
    NaN, where the matrices' zeros would turn ``0 · inf`` into NaN outside the window."""
    (h, w), (ho, wo) = x.shape[2:], output_size
    y = np.empty((*x.shape[:2], ho, wo), dtype=x.dtype)
    for i in range(ho):
        top, bottom = (i * h) // ho, -((-(i + 1) * h) // ho)
        for j in range(wo):
            left, right = (j * w) // wo, -((-(j + 1) * w) // wo)
            y[:, :, i, j] = x[:, :, top:bottom, left:right].mean(axis=(-2, -1))
    return y


def adaptive_avg_pool2d_backward(
    grad_output: np.ndarray, cache: AdaptiveAvgPool2dCache
) -> np.ndarray:
    """dx = A_Hᵀ G A_W                                                        (N, C, H, W)"""
    return cache.A_H.T @ grad_output @ cache.A_W
