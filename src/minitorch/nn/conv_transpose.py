"""ConvTranspose2d: the adjoint of a convolution, which upsamples (a generator's layer)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from .. import _state
from .._validation import check_flag, check_int, check_memory, float_input
from . import functional as F
from . import init
from .functional.conv import (
    check_output_padding,
    conv_output_size,
    conv_transpose_output_size,
    pair,
)
from .module import Module, accumulate_grad


class ConvTranspose2d(Module):
    r"""Transposed 2-D convolution, as ``torch.nn.ConvTranspose2d``: Conv2d's input gradient
    run as a layer, so a stride-2 layer doubles the image size.

    Parameters
    ----------
    in_channels, out_channels : int
        C, the channels of each input image, and F, the output channels.
    kernel_size : int or (int, int)
        (kH, kW), the size of the patch each input pixel paints onto the output.
    stride : int or (int, int)
        Spacing of the patches on the output (default 1); stride 2 doubles H and W.
    padding : int or (int, int)
        Rows and columns cropped from each side of the output: the padding of the convolution
        this layer is the adjoint of (default 0).
    output_padding : int or (int, int)
        Rows and columns added at the bottom and right (default 0): a convolution with stride s
        maps s sizes to one, and this picks which one comes back. Must be smaller than the
        stride or the dilation, as in PyTorch.
    dilation : int or (int, int)
        Spacing between the kernel's taps (default 1).
    groups : int
        Blocks of channels that do not see each other (default 1); must divide both channel
        counts.
    bias : bool
        Whether to add the learned bias ``b`` (default ``True``).
    dtype : numpy dtype, optional
        Parameter dtype; defaults to :func:`minitorch.get_default_dtype` (float32).

    Attributes
    ----------
    W : ndarray, shape (in_channels, out_channels / groups, kH, kW)
        PyTorch's layout (in_channels first: the transpose of Conv2d's). PyTorch's
        initialisation: ``kaiming_uniform_(W, a=√5)`` over fan = W.shape[1]·kH·kW, i.e.
        U(−1/√fan, 1/√fan).
    b : ndarray, shape (1, out_channels, 1, 1), or None
        One bias per output channel, U(−1/√fan, 1/√fan) as in PyTorch; shaped as Conv2d's.
    cache : ConvTranspose2dCache
        What :func:`~minitorch.nn.functional.conv_transpose2d_forward` returned.
    dW, db : ndarray or None
        Accumulated gradients, shaped like ``W`` and ``b``.

    Math
    ----
    The code: ``F.conv_transpose2d_forward`` / ``F.conv_transpose2d_backward``
    (``nn/functional/conv.py``).

    With C = in_channels, F = out_channels, G = dL/dy and W_col = W as (C, F·kH·kW):

    forward:   X    = x as (C, H·W·N)                    one column per input pixel
               cols = W_colᵀ @ X                         (F·kH·kW, H·W·N)
               y    = col2im(cols) + b                   (N, F, Ho, Wo)
    backward:  cols = im2col(G)                          (F·kH·kW, H·W·N)
               dW  += X @ colsᵀ                          (C, F, kH, kW)
               db  += Σ_{n,r,s} G[n, :, r, s]             (1, F, 1, 1)
               dx   = W_col @ cols as (N, C, H, W)       = conv2d(G, W), Conv2d's forward
    where Ho = (H − 1)·sH − 2·padH + dH·(kH − 1) + output_padding + 1 (likewise Wo).

    The forward is exactly Conv2d's input gradient (col2im of a product) and the backward's
    dx exactly Conv2d's forward: the two layers are adjoint. For the same W (read as Conv2d's
    (F', C', kH, kW) = (C, F, kH, kW)), stride, padding and dilation, and any u, v,

               ⟨conv2d(u, W), v⟩ = ⟨u, conv_transpose2d(v, W)⟩,

    the definition of the transpose of a linear map (tests/test_conv_transpose.py checks it).
    ``forward(x, output_size=(Ho, Wo))`` picks ``output_padding`` for that size, as PyTorch's.
    """

    no_weight_decay = ("b",)

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int | tuple[int, int],
        stride: int | tuple[int, int] = 1,
        padding: int | tuple[int, int] = 0,
        output_padding: int | tuple[int, int] = 0,
        groups: int = 1,
        bias: bool = True,
        dilation: int | tuple[int, int] = 1,
        dtype=None,
    ) -> None:
        super().__init__()
        owner = "ConvTranspose2d"
        self.in_channels = check_int(owner, "in_channels", in_channels, 1)
        self.out_channels = check_int(owner, "out_channels", out_channels, 1)
        self.kernel_size = pair(owner, "kernel_size", kernel_size, 1)
        self.stride = pair(owner, "stride", stride, 1)
        self.padding = pair(owner, "padding", padding, 0)
        self.output_padding = pair(owner, "output_padding", output_padding, 0)
        self.dilation = pair(owner, "dilation", dilation, 1)
        self.groups = check_int(owner, "groups", groups, 1)
        for name, channels in (("in_channels", in_channels), ("out_channels", out_channels)):
            if channels % self.groups:
                raise ValueError(
                    f"{owner}: {name} must be divisible by groups, got {name}={channels} and "
                    f"groups={self.groups}"
                )
        check_output_padding(owner, self.output_padding, self.stride, self.dilation)
        check_flag(owner, "bias", bias)
        dtype = _state.parameter_dtype(owner, dtype)
        shape = (self.in_channels, self.out_channels // self.groups, *self.kernel_size)
        lower = "in_channels, out_channels or kernel_size"
        check_memory(self._name(), "the weights W", shape, dtype, lower)
        self.W = init.kaiming_uniform_(np.empty(shape, dtype=dtype), a=math.sqrt(5))
        self.b = None
        if bias:  # PyTorch's: U(-1/√fan_in, 1/√fan_in), fan_in = W.shape[1]·kH·kW
            bound = 1.0 / math.sqrt(shape[1] * shape[2] * shape[3])
            self.b = init.uniform_(np.empty((1, self.out_channels, 1, 1), dtype), -bound, bound)
        self.cache = None
        self.dW = None
        self.db = None

    def _name(self) -> str:
        return (
            f"ConvTranspose2d({self.in_channels} -> {self.out_channels}, "
            f"kernel_size={self.kernel_size})"
        )

    def forward(self, x: np.ndarray, output_size: Sequence[int] | None = None) -> np.ndarray:
        x = float_input(x, self._name(), self.W.dtype)
        if x.ndim != 4 or x.shape[1] != self.in_channels:
            hint = ""
            if x.ndim == 3 and x.shape[0] == self.in_channels:
                hint = "; a single image needs a batch dimension: x[None]"
            elif x.ndim == 2:
                hint = "; reshape rows into images first, e.g. nn.Unflatten(1, (C, H, W))"
            raise ValueError(
                f"{self._name()} expects input of shape (N, {self.in_channels}, H, W), "
                f"got {x.shape}{hint}"
            )
        output_padding = self._output_padding(x.shape, output_size)
        size = conv_transpose_output_size(
            x.shape[2:], self.kernel_size, self.stride, self.padding, output_padding, self.dilation
        )
        if min(size) < 1:
            raise ValueError(
                f"{self._name()}: input of shape {x.shape} gives an output of size {size} "
                f"(padding {self.padding} crops more than there is); lower padding"
            )
        grid = conv_output_size(size, self.kernel_size, self.stride, self.padding, self.dilation)
        kh, kw = self.kernel_size
        patches = (self.out_channels * kh * kw, math.prod(grid) * len(x))
        lower = "the batch size, the image size or kernel_size"
        check_memory(self._name(), "the patch matrix (col2im)", patches, x.dtype, lower)
        y, self.cache = F.conv_transpose2d_forward(
            x, self.W, self.b, self.stride, self.padding, output_padding, self.groups, self.dilation
        )
        return y

    def _output_padding(self, input_shape, output_size) -> tuple[int, int]:
        """``output_padding``, or the one that gives ``output_size`` (H, W) — or (N, F, H, W) —
        as PyTorch's: each size must lie between the smallest output and that plus stride − 1."""
        if output_size is None:
            return self.output_padding
        sizes = tuple(output_size)
        if len(sizes) == 4:
            sizes = sizes[2:]
        if len(sizes) != 2 or not all(isinstance(n, (int, np.integer)) for n in sizes):
            raise ValueError(
                f"{self._name()}: output_size must be (H, W) or (N, F, H, W), got {output_size!r}"
            )
        smallest = conv_transpose_output_size(
            input_shape[2:], self.kernel_size, self.stride, self.padding, (0, 0), self.dilation
        )
        padding = []
        for size, low, stride in zip(sizes, smallest, self.stride, strict=True):
            if not low <= size <= low + stride - 1:
                raise ValueError(
                    f"{self._name()}: output_size {tuple(sizes)} is not reachable from input of "
                    f"shape {tuple(input_shape)}: each size must be between {smallest} and "
                    f"{tuple(n + s - 1 for n, s in zip(smallest, self.stride, strict=True))}"
                )
            padding.append(int(size) - low)
        return (padding[0], padding[1])

    def output_shape(self, input_shape: tuple[int, int, int, int]) -> tuple[int, int, int, int]:
        """(N, F, Ho, Wo) for an input of shape (N, C, H, W)."""
        size = conv_transpose_output_size(
            tuple(input_shape[2:]),
            self.kernel_size,
            self.stride,
            self.padding,
            self.output_padding,
            self.dilation,
        )
        return (input_shape[0], self.out_channels, *size)

    def backward(self, grad_output: np.ndarray) -> np.ndarray | None:
        G, input_grad = self._begin_backward(grad_output)
        dx, dW, db = F.conv_transpose2d_backward(G, self.cache, input_grad)
        self.dW = accumulate_grad(self.dW, dW, owned=True)  # dW, db: fresh arrays of this call
        if self.b is not None:
            self.db = accumulate_grad(self.db, db, owned=True)
        return dx

    def parameters(self) -> list[np.ndarray]:
        return [self.W] if self.b is None else [self.W, self.b]

    def grads(self) -> list[np.ndarray | None]:
        return [self.dW] if self.b is None else [self.dW, self.db]

    def extra_repr(self) -> str:
        text = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}"
        text += f", stride={self.stride}"
        if self.padding != (0, 0):
            text += f", padding={self.padding}"
        if self.output_padding != (0, 0):
            text += f", output_padding={self.output_padding}"
        if self.dilation != (1, 1):
            text += f", dilation={self.dilation}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        if self.b is None:
            text += ", bias=False"
        return text
