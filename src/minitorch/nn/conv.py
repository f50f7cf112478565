"""Conv2d: a 2-D convolution layer, computed as one matrix product over image patches."""

from __future__ import annotations

import numpy as np

from .. import _state
from .._validation import check_flag, check_int, check_memory, float_input
from . import functional as F
from . import init
from .functional.conv import check_window_fits, conv_output_size, pair, workspace
from .module import Module, accumulate_grad


class Conv2d(Module):
    r"""2-D convolution (cross-correlation, as in PyTorch) over a batch of images.

    Parameters
    ----------
    in_channels, out_channels : int
        C, the channels of each input image, and F, the number of filters (output channels).
    kernel_size : int or (int, int)
        (kH, kW), the height and width of each filter.
    stride : int or (int, int)
        Step between neighbouring windows (default 1).
    padding : int or (int, int)
        Rows and columns of zeros added on each side of the image (default 0).
    dilation : int or (int, int)
        Spacing between the kernel's taps (default 1: adjacent pixels).
    bias : bool
        Whether to add the learned bias ``b`` (default ``True``).
    dtype : numpy dtype, optional
        Parameter dtype; defaults to :func:`minitorch.get_default_dtype` (float32).

    Attributes
    ----------
    W : ndarray, shape (out_channels, in_channels, kH, kW)
        The filters, in PyTorch's layout. He-normal initialised over the fan-in:
        ``randn * sqrt(2 / (in_channels·kH·kW))``.
    b : ndarray, shape (1, out_channels, 1, 1), or None
        One bias per filter, zeros at first; shaped to broadcast over (N, F, Ho, Wo) as Linear's
        ``b`` (1, D) broadcasts over (N, D).
    cache : Conv2dCache
        What :func:`~minitorch.nn.functional.conv2d_forward` returned for the backward: the
        input's shape and the patch matrix ``cols`` (C·kH·kW, Ho·Wo·N) among others.
    dW, db : ndarray or None
        Accumulated gradients, shaped like ``W`` and ``b``; ``None`` before the first backward.

    Math
    ----
    The code: ``F.conv2d_forward`` / ``F.conv2d_backward`` (``nn/functional/conv.py``).

    With C = in_channels, F = out_channels and G = dL/dy:

    forward:   y[n, f, r, s] = b[f] + Σ_{c,i,j} W[f, c, i, j] · xp[n, c, r·sH + i·dH, s·sW + j·dW]
               (xp: x zero-padded), computed as one matrix product over patches:
               cols = im2col(x)                               (C·kH·kW, Ho·Wo·N)
               y    = W_col @ cols + b,  W_col = W as (F, C·kH·kW)  -> (N, F, Ho, Wo)
    backward:  G_col = G as (F, Ho·Wo·N)
               dW += G_col @ colsᵀ                            (F, C, kH, kW)
               db += Σ_{n,r,s} G[n, :, r, s]                   (1, F, 1, 1)
               dx  = col2im(W_colᵀ @ G_col)                    (N, C, H, W)
    where Ho = ⌊(H + 2·padH − dH·(kH − 1) − 1) / sH⌋ + 1 (likewise Wo). With
    ``needs_input_grad = False`` (a first layer, whose input is data) backward skips dx and its
    col2im and returns ``None``. Inputs are cast to the parameters' dtype.
    """

    no_weight_decay = ("b",)

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int | tuple[int, int],
        stride: int | tuple[int, int] = 1,
        padding: int | tuple[int, int] = 0,
        dilation: int | tuple[int, int] = 1,
        bias: bool = True,
        dtype=None,
    ) -> None:
        super().__init__()
        self.in_channels = check_int("Conv2d", "in_channels", in_channels, 1)
        self.out_channels = check_int("Conv2d", "out_channels", out_channels, 1)
        self.kernel_size = pair("Conv2d", "kernel_size", kernel_size, 1)
        self.stride = pair("Conv2d", "stride", stride, 1)
        self.padding = pair("Conv2d", "padding", padding, 0)
        self.dilation = pair("Conv2d", "dilation", dilation, 1)
        check_flag("Conv2d", "bias", bias)
        dtype = _state.parameter_dtype("Conv2d", dtype)
        shape = (self.out_channels, self.in_channels, *self.kernel_size)
        lower = "in_channels, out_channels or kernel_size"
        check_memory(self._name(), "the weights W", shape, dtype, lower)
        self.W = init.kaiming_normal_(np.empty(shape, dtype=dtype))  # fan-in C·kH·kW
        self.b = np.zeros((1, self.out_channels, 1, 1), dtype=dtype) if bias else None
        self.cache = None
        self._dcols = None  # see backward
        self.dW = None
        self.db = None

    def _name(self) -> str:
        return f"Conv2d({self.in_channels} -> {self.out_channels}, kernel_size={self.kernel_size})"

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = float_input(x, self._name(), self.W.dtype)
        if x.ndim != 4 or x.shape[1] != self.in_channels:
            hint = ""
            if x.ndim == 3 and x.shape[0] == self.in_channels:
                hint = "; a single image needs a batch dimension: x[None]"
            elif x.ndim == 2:
                hint = "; reshape rows of pixels into images first, e.g. x.reshape(N, C, H, W)"
            raise ValueError(
                f"{self._name()} expects input of shape (N, {self.in_channels}, H, W), "
                f"got {x.shape}{hint}"
            )
        check_window_fits(self._name(), x.shape, self.kernel_size, self.padding, self.dilation)
        _, _, Ho, Wo = self.output_shape(x.shape)
        patches = (self.in_channels * self.kernel_size[0] * self.kernel_size[1], Ho * Wo * len(x))
        lower = "the batch size, the image size or kernel_size (or raise stride)"
        check_memory(self._name(), "the patch matrix (im2col)", patches, x.dtype, lower)
        # The last forward's patch matrix is dead now (each backward belongs to the forward
        # just before it): its memory is reused for this one's.
        old_cols = None if self.cache is None else self.cache.cols
        y, self.cache = F.conv2d_forward(
            x, self.W, self.b, self.stride, self.padding, self.dilation, cols_buffer=old_cols
        )
        return y

    def output_shape(self, input_shape: tuple[int, int, int, int]) -> tuple[int, int, int, int]:
        """(N, F, Ho, Wo) for an input of shape (N, C, H, W)."""
        size = conv_output_size(
            tuple(input_shape[2:]), self.kernel_size, self.stride, self.padding, self.dilation
        )
        return (input_shape[0], self.out_channels, *size)

    def backward(self, grad_output: np.ndarray) -> np.ndarray | None:
        G, input_grad = self._begin_backward(grad_output)
        if input_grad:  # W_colᵀ @ G_col's scratch array, kept from step to step when large
            self._dcols = workspace(self._dcols, self.cache.cols)
        dx, dW, db = F.conv2d_backward(G, self.cache, input_grad, dcols_buffer=self._dcols)
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
        if self.dilation != (1, 1):
            text += f", dilation={self.dilation}"
        if self.b is None:
            text += ", bias=False"
        return text
