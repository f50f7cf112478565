"""Upsampling images (nearest and bilinear) as a stateless forward/backward pair.

Both modes are linear and separable: every output row is a fixed mix of input rows, every
output column a fixed mix of input columns. So an upsampling is two small matrices, A_H
(Ho, H) and A_W (Wo, W), and ``y = A_H x A_Wᵀ`` applied to every (H, W) image; its backward is
the transposed matrices, ``dx = A_Hᵀ G A_W``. The matrices hold PyTorch's index rules exactly
(``aten/src/ATen/native/UpSample.h``):

* nearest: output pixel i copies input pixel ⌊i · scale⌋ (at most H − 1), with scale =
  1/scale_factor when a scale factor is given, else H/Ho, computed in float32 as PyTorch does;
* bilinear, ``align_corners=False``: output pixel i sits at source coordinate
  src = scale · (i + ½) − ½ (clamped at 0), between pixels ⌊src⌋ and ⌊src⌋ + 1 (the last
  pixel repeats at the edge), weighted 1 − λ and λ = src − ⌊src⌋;
  ``align_corners=True``: src = i · (H − 1)/(Ho − 1), the corner pixels' centres aligned.

When Ho = H the output row is the input row (PyTorch copies).
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np

from ..._validation import check_choice, check_flag, check_float, check_int

Pair = tuple[int, int]
Scales = tuple[float | None, float | None]


class UpsampleCache(NamedTuple):
    """What the backward of an upsampling needs: its two matrices."""

    A_H: np.ndarray  # (Ho, H)
    A_W: np.ndarray  # (Wo, W)


def nearest_source_index(
    input_size: int, output_size: int, scale_factor: float | None = None
) -> np.ndarray:
    """For each output pixel i, the input pixel nearest mode copies: min(⌊i·scale⌋, H − 1).

    scale = 1/scale_factor if a scale factor is given (a factor of 1.5 maps 7 pixels to 10),
    else H/Ho; PyTorch computes i·scale in float32 (``floorf``), and so does this.
    """
    i = np.arange(output_size)
    if output_size == input_size:
        return i
    if scale_factor is not None and scale_factor > 0:
        scale = np.float32(1.0 / scale_factor)
    else:
        scale = np.float32(input_size) / np.float32(output_size)
    source = np.floor(i.astype(np.float32) * scale).astype(np.int64)
    return np.minimum(source, input_size - 1)


def nearest_matrix(
    input_size: int, output_size: int, scale_factor: float | None = None, dtype=np.float64
) -> np.ndarray:
    """The (output_size, input_size) matrix of nearest upsampling: a one in each row, at
    :func:`nearest_source_index`. For H = 2, Ho = 3 (a factor of 1.5)::

        [[1 .]
         [1 .]
         [. 1]]
    """
    A = np.zeros((output_size, input_size), dtype)
    A[np.arange(output_size), nearest_source_index(input_size, output_size, scale_factor)] = 1
    return A


def bilinear_matrix(
    input_size: int,
    output_size: int,
    align_corners: bool = False,
    scale_factor: float | None = None,
    dtype=np.float64,
) -> np.ndarray:
    """The (output_size, input_size) matrix of linear interpolation along one axis.

    Row i holds 1 − λ at pixel ⌊src⌋ and λ at ⌊src⌋ + 1 (both at the last pixel on the
    edge), src the source coordinate of output pixel i (see the module's docstring); computed
    in ``dtype``, as PyTorch computes in the input's. For H = 2, Ho = 4, align_corners=False
    (src = −0.25 → 0, 0.25, 0.75, 1.25)::

        [[1     .   ]
         [0.75  0.25]
         [0.25  0.75]
         [.     1   ]]
    """
    i = np.arange(output_size, dtype=dtype)
    if output_size == input_size:
        return np.eye(output_size, dtype=dtype)
    if align_corners:
        scale = dtype(input_size - 1) / (output_size - 1) if output_size > 1 else dtype(0)
        source = scale * i
    else:
        if scale_factor is not None and scale_factor > 0:
            scale = dtype(1.0 / scale_factor)
        else:
            scale = dtype(input_size) / dtype(output_size)
        source = np.maximum(scale * (i + dtype(0.5)) - dtype(0.5), 0)  # clamped at 0
    low = source.astype(np.int64)  # ⌊src⌋, src >= 0
    high = low + (low < input_size - 1)  # the next pixel, or the last one again
    lam = source - low  # λ, the weight of the upper pixel
    A = np.zeros((output_size, input_size), dtype)
    rows = np.arange(output_size)
    A[rows, low] += 1 - lam
    A[rows, high] += lam
    return A


def upsample_nearest2d_forward(
    x: np.ndarray, output_size: Pair, scale_factor: Scales = (None, None)
) -> tuple[np.ndarray, UpsampleCache]:
    """y[n, c, i, j] = x[n, c, r(i), s(j)], r and s from :func:`nearest_source_index`.

    Shapes: x (N, C, H, W) -> y (N, C, Ho, Wo). ``scale_factor``: (for H, for W), the factors
    given by the user (PyTorch's index rule uses them), or ``None`` when a size was given.
    The forward copies (gathers) the pixels; the cache holds the matrices of the backward
    (:func:`nearest_matrix`: y = A_H x A_Wᵀ). Returns ``(y, UpsampleCache(A_H, A_W))``.
    """
    (h, w), (ho, wo) = x.shape[2:], output_size
    rows = nearest_source_index(h, ho, scale_factor[0])
    cols = nearest_source_index(w, wo, scale_factor[1])
    y = x[:, :, rows[:, None], cols]  # a gather: exact, ±inf and NaN too
    A_H = nearest_matrix(h, ho, scale_factor[0], x.dtype)
    A_W = nearest_matrix(w, wo, scale_factor[1], x.dtype)
    return y, UpsampleCache(A_H, A_W)


def upsample_bilinear2d_forward(
    x: np.ndarray,
    output_size: Pair,
    align_corners: bool = False,
    scale_factor: Scales = (None, None),
) -> tuple[np.ndarray, UpsampleCache]:
    """y = A_H x A_Wᵀ with the interpolation matrices of :func:`bilinear_matrix`.

    Shapes: x (N, C, H, W), A_H (Ho, H), A_W (Wo, W) -> y (N, C, Ho, Wo): each output pixel
    mixes the four input pixels around its source point, (1 − λ_H)(1 − λ_W), ..., λ_H λ_W.
    The columns are mixed first, then the rows, PyTorch's order.
    Returns ``(y, UpsampleCache(A_H, A_W))``.
    """
    (h, w), (ho, wo) = x.shape[2:], output_size
    A_H = bilinear_matrix(h, ho, align_corners, scale_factor[0], x.dtype.type)
    A_W = bilinear_matrix(w, wo, align_corners, scale_factor[1], x.dtype.type)
    return A_H @ (x @ A_W.T), UpsampleCache(A_H, A_W)


def upsample2d_backward(grad_output: np.ndarray, cache: UpsampleCache) -> np.ndarray:
    """dx = A_Hᵀ G A_W, G = dL/dy (N, C, Ho, Wo) -> dx (N, C, H, W): the backward of both modes.

    Each input pixel receives the gradients of every output pixel that read it, weighted as it
    was read (nearest: summed over the copies; bilinear: by the interpolation weights).
    """
    return cache.A_H.T @ grad_output @ cache.A_W


def upsample_arguments(
    owner: str, size: Any, scale_factor: Any, mode: Any, align_corners: Any
) -> tuple[Pair | None, tuple[float, float] | None, str, bool | None]:
    """``(size, scale_factor, mode, align_corners)`` checked, as PyTorch's Upsample takes them:
    exactly one of size (an int or (H, W)) and scale_factor (a number > 0 or a pair);
    ``align_corners`` only with ``mode='bilinear'``. Sizes and factors come back as pairs."""
    mode = check_choice(owner, "mode", mode, ("nearest", "bilinear"))
    if (size is None) == (scale_factor is None):
        raise ValueError(
            f"{owner}: give either size or scale_factor (exactly one of them), got "
            f"size={size!r} and scale_factor={scale_factor!r}"
        )
    if size is not None:
        size = _pair(owner, "size", size, lambda v: check_int(owner, "size", v, 1))
    if scale_factor is not None:
        positive = lambda v: check_float(owner, "scale_factor", v, 0, low_inclusive=False)  # noqa: E731
        scale_factor = _pair(owner, "scale_factor", scale_factor, positive)
    if align_corners is not None:
        check_flag(owner, "align_corners", align_corners)
        if mode == "nearest":
            raise ValueError(
                f"{owner}: align_corners can only be set with mode='bilinear' (nearest mode "
                "has no corners to align); leave it None"
            )
    return size, scale_factor, mode, align_corners


def _pair(owner: str, name: str, value: Any, check) -> tuple:
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise ValueError(f"{owner}: {name} must be one value or a pair (H, W), got {value!r}")
        return (check(value[0]), check(value[1]))
    return (check(value), check(value))


def upsample_output_size(
    input_shape: tuple[int, ...], size: Pair | None, scale_factor: tuple[float, float] | None
) -> Pair:
    """(Ho, Wo): ``size``, or ⌊H · scale_factor⌋ and ⌊W · scale_factor⌋ as PyTorch's."""
    if size is not None:
        return size
    return tuple(  # type: ignore[return-value]
        math.floor(n * s) for n, s in zip(input_shape[2:], scale_factor, strict=True)
    )


def interpolate(
    x: np.ndarray,
    size: int | Pair | None = None,
    scale_factor: float | tuple[float, float] | None = None,
    mode: str = "nearest",
    align_corners: bool | None = None,
) -> np.ndarray:
    """Upsample (or downsample) images, as ``torch.nn.functional.interpolate`` for 4-D input
    and modes ``'nearest'`` and ``'bilinear'`` (forward only; the layer is
    :class:`~minitorch.nn.Upsample`)."""
    owner = "F.interpolate"
    size, scale_factor, mode, align_corners = upsample_arguments(
        owner, size, scale_factor, mode, align_corners
    )
    x = np.asarray(x)
    if x.ndim != 4:
        raise ValueError(f"{owner} expects input of shape (N, C, H, W), got {x.shape}")
    output_size = upsample_output_size(x.shape, size, scale_factor)
    scales = scale_factor or (None, None)
    if mode == "nearest":
        return upsample_nearest2d_forward(x, output_size, scales)[0]
    return upsample_bilinear2d_forward(x, output_size, bool(align_corners), scales)[0]
