"""Pooling layers: MaxPool2d, AvgPool2d and AdaptiveAvgPool2d (parameter-free, NCHW)."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._validation import float_input, quiet_nonfinite
from . import functional as F
from .functional.conv import check_window_fits, conv_output_size, pair
from .functional.pooling import adaptive_window_means
from .module import Module


class _Pool2d(Module):
    """What MaxPool2d and AvgPool2d share: hyperparameters, input checks, the cache."""

    def __init__(
        self,
        kernel_size: int | tuple[int, int],
        stride: int | tuple[int, int] | None = None,
        padding: int | tuple[int, int] = 0,
    ) -> None:
        super().__init__()
        name = type(self).__name__
        self.kernel_size = pair(name, "kernel_size", kernel_size, 1)
        # PyTorch's default: windows side by side (stride = kernel_size)
        self.stride = self.kernel_size if stride is None else pair(name, "stride", stride, 1)
        self.padding = pair(name, "padding", padding, 0)
        for p, k in zip(self.padding, self.kernel_size, strict=True):
            if 2 * p > k:  # PyTorch's rule: otherwise a window could hold only padding
                raise ValueError(
                    f"{name}: padding must be at most half of kernel_size, got padding "
                    f"{self.padding} for kernel_size {self.kernel_size}"
                )
        self.cache: Any = None

    def _name(self) -> str:
        return f"{type(self).__name__}(kernel_size={self.kernel_size}, stride={self.stride})"

    def _check_input(self, x: Any) -> np.ndarray:
        x = float_input(x, self._name())
        if x.ndim != 4:
            hint = "; a single image needs a batch dimension: x[None]" if x.ndim == 3 else ""
            raise ValueError(
                f"{self._name()} expects input of shape (N, C, H, W), got {x.shape}{hint}"
            )
        check_window_fits(self._name(), x.shape, self.kernel_size, self.padding, (1, 1))
        return x

    def output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        size = conv_output_size(input_shape[2:], self.kernel_size, self.stride, self.padding)
        return (*input_shape[:2], *size)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxPool2d(_Pool2d):
    r"""Max pooling: the largest value of each kH×kW window.

    Parameters
    ----------
    kernel_size : int or (int, int)
        (kH, kW), the window.
    stride : int or (int, int), optional
        Step between windows; defaults to ``kernel_size`` (windows side by side), as in PyTorch.
    padding : int or (int, int)
        −∞ added on each side (at most half the kernel, as in PyTorch), so padding never wins.

    Attributes
    ----------
    cache : MaxPool2dCache
        ``is_max`` for every kernel offset i·kW + j: which windows have their maximum there.

    Math
    ----
    The code: ``F.max_pool2d_forward`` / ``F.max_pool2d_backward``
    (``nn/functional/pooling.py``).

    forward:   y[n, c, r, s] = max_{i,j} xp[n, c, r·sH + i, s·sW + j]      (N, C, Ho, Wo)
    backward:  dx[n, c, p, q] = Σ of G over the windows whose maximum is pixel (p, q)
                                                                           (N, C, H, W)
    Ho = ⌊(H + 2·padH − kH) / sH⌋ + 1. Ties: the gradient goes to the *first* maximum of the
    window in row-major order, as in PyTorch; a pixel that is the maximum of several
    overlapping windows receives the sum of their gradients.
    """

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = self._check_input(x)
        y, self.cache = F.max_pool2d_forward(x, self.kernel_size, self.stride, self.padding)
        return y

    def backward(self, grad_output: np.ndarray) -> np.ndarray | None:
        G, input_grad = self._begin_backward(grad_output)
        return F.max_pool2d_backward(G, self.cache) if input_grad else None


class AvgPool2d(_Pool2d):
    r"""Average pooling: the mean of each kH×kW window.

    Parameters
    ----------
    kernel_size : int or (int, int)
        (kH, kW), the window.
    stride : int or (int, int), optional
        Step between windows; defaults to ``kernel_size``, as in PyTorch.
    padding : int or (int, int)
        Zeros added on each side (at most half the kernel). They count in the mean, as in
        PyTorch's default ``count_include_pad=True``: every window divides by kH·kW.

    Math
    ----
    The code: ``F.avg_pool2d_forward`` / ``F.avg_pool2d_backward``
    (``nn/functional/pooling.py``).

    forward:   y[n, c, r, s] = (1 / (kH·kW)) Σ_{i,j} xp[n, c, r·sH + i, s·sW + j]   (N, C, Ho, Wo)
    backward:  dx[n, c, p, q] = (1 / (kH·kW)) Σ over the windows holding pixel (p, q) of G
                                                                               (N, C, H, W)
    """

    @quiet_nonfinite  # an average over +inf and -inf is NaN, as PyTorch's
    def forward(self, x: np.ndarray) -> np.ndarray:
        x = self._check_input(x)
        y, self.cache = F.avg_pool2d_forward(x, self.kernel_size, self.stride, self.padding)
        return y

    def backward(self, grad_output: np.ndarray) -> np.ndarray | None:
        G, input_grad = self._begin_backward(grad_output)
        return F.avg_pool2d_backward(G, self.cache) if input_grad else None


class AdaptiveAvgPool2d(Module):
    r"""Average pooling to a fixed output size (Ho, Wo), whatever the input's size.

    ``AdaptiveAvgPool2d(1)`` is global average pooling. The windows are PyTorch's: output row i
    averages input rows ⌊i·H/Ho⌋ to ⌈(i + 1)·H/Ho⌉ − 1, so when H is not a multiple of Ho the
    windows differ in size and may overlap.

    Parameters
    ----------
    output_size : int or (int or None, int or None)
        (Ho, Wo); ``None`` keeps that dimension of the input.

    Math
    ----
    The code: ``F.adaptive_avg_pool2d_forward`` / ``F.adaptive_avg_pool2d_backward``
    (``nn/functional/pooling.py``).

    With A_H (Ho, H), A_H[i, h] = 1 / len(window i) for h in window i and 0 elsewhere (see
    :func:`~minitorch.nn.functional.adaptive_pool_matrix`), and A_W (Wo, W) likewise:

    forward:   y  = A_H x A_Wᵀ           (N, C, Ho, Wo)
    backward:  dx = A_Hᵀ G A_W            (N, C, H, W)
    """

    def __init__(self, output_size: int | tuple[int | None, int | None]) -> None:
        super().__init__()
        sizes = output_size if isinstance(output_size, (tuple, list)) else (output_size,) * 2
        if len(sizes) != 2:
            raise ValueError(
                f"AdaptiveAvgPool2d: output_size must be an int or a pair (Ho, Wo), got "
                f"{output_size!r}"
            )
        self.output_size = tuple(
            None if size is None else pair("AdaptiveAvgPool2d", "output_size", size, 1)[0]
            for size in sizes
        )
        self.cache = None

    def _size_for(self, input_shape: tuple[int, ...]) -> tuple[int, int]:
        return tuple(  # type: ignore[return-value]
            n if size is None else size
            for n, size in zip(input_shape[2:], self.output_size, strict=True)
        )

    @quiet_nonfinite  # an average over +inf and -inf is NaN, as PyTorch's
    def forward(self, x: np.ndarray) -> np.ndarray:
        name = f"AdaptiveAvgPool2d(output_size={self.output_size})"
        x = float_input(x, name)
        if x.ndim != 4:
            hint = "; a single image needs a batch dimension: x[None]" if x.ndim == 3 else ""
            raise ValueError(f"{name} expects input of shape (N, C, H, W), got {x.shape}{hint}")
        if 0 in x.shape[2:]:  # an average of nothing: PyTorch refuses it too
            raise ValueError(
                f"{name}: got an input of shape {x.shape}; each image needs at least one "
                "pixel to average (the batch and the channels may be empty)"
            )
        size = self._size_for(x.shape)
        y, self.cache = F.adaptive_avg_pool2d_forward(x, size)
        if size != (1, 1) and not np.isfinite(x).all():  # 0 · inf: NaN outside the window
            y = adaptive_window_means(x, size)
        return y

    def backward(self, grad_output: np.ndarray) -> np.ndarray | None:
        G, input_grad = self._begin_backward(grad_output)
        return F.adaptive_avg_pool2d_backward(G, self.cache) if input_grad else None

    def extra_repr(self) -> str:
        size = self.output_size
        return f"output_size={size[0] if size[0] == size[1] else size}"
