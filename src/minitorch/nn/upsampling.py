"""Upsample: enlarge images by nearest-neighbour copying or bilinear interpolation."""

from __future__ import annotations

import numpy as np

from .._validation import float_input
from . import functional as F
from .functional.upsampling import upsample_arguments, upsample_output_size
from .module import Module


class Upsample(Module):
    r"""Upsample (N, C, H, W) images, as ``torch.nn.Upsample`` for 2-D images.

    Parameters
    ----------
    size : int or (int, int), optional
        The output size (Ho, Wo). Give ``size`` or ``scale_factor``, not both.
    scale_factor : float or (float, float), optional
        Ho = ⌊H · scale_factor⌋ (likewise Wo); 2 doubles the image, 1.5 maps 4 pixels to 6.
    mode : str
        ``'nearest'`` (default: copy the nearest pixel) or ``'bilinear'`` (mix the four pixels
        around the source point).
    align_corners : bool, optional
        Bilinear only, as in PyTorch: ``False`` (the default when ``None``) places pixel
        centres at half-integers, so the image's area scales; ``True`` aligns the corner
        pixels' centres. Nearest mode refuses it, as PyTorch does.

    Math
    ----
    The code: ``F.upsample_nearest2d_forward``, ``F.upsample_bilinear2d_forward`` and
    ``F.upsample2d_backward`` (``nn/functional/upsampling.py``, which gives PyTorch's index
    rules). Both modes are linear and separable, two small matrices A_H (Ho, H) and A_W (Wo, W)
    applied to each image, so with G = dL/dy::

        forward:   y  = A_H x A_Wᵀ                      (N, C, Ho, Wo)
        backward:  dx = A_Hᵀ G A_W                      (N, C, H, W)

    nearest:   A[i, ⌊i · scale⌋] = 1, scale = 1/scale_factor (or H/Ho for a given size)
    bilinear:  src = scale · (i + ½) − ½ clamped at 0, λ = src − ⌊src⌋,
               A[i, ⌊src⌋] = 1 − λ,  A[i, ⌊src⌋ + 1] = λ   (the last pixel repeats at the edge)

    (nearest's forward copies the pixels rather than multiplying, which is the same numbers).
    A parameter-free layer: a floating input keeps its dtype.
    """

    def __init__(
        self,
        size: int | tuple[int, int] | None = None,
        scale_factor: float | tuple[float, float] | None = None,
        mode: str = "nearest",
        align_corners: bool | None = None,
    ) -> None:
        super().__init__()
        self.size, self.scale_factor, self.mode, self.align_corners = upsample_arguments(
            "Upsample", size, scale_factor, mode, align_corners
        )
        self.cache: F.UpsampleCache | None = None

    def _name(self) -> str:
        what = f"size={self.size}" if self.size is not None else f"scale_factor={self.scale_factor}"
        return f"Upsample({what}, mode={self.mode!r})"

    def output_size(self, input_shape: tuple[int, ...]) -> tuple[int, int]:
        """(Ho, Wo): ``size``, or ⌊H · scale_factor⌋ and ⌊W · scale_factor⌋."""
        return upsample_output_size(input_shape, self.size, self.scale_factor)

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = float_input(x, self._name())
        if x.ndim != 4:
            raise ValueError(
                f"{self._name()} expects input of shape (N, C, H, W), got {x.shape}"
                + ("; a single image needs a batch dimension: x[None]" if x.ndim == 3 else "")
            )
        size = self.output_size(x.shape)
        if min(x.shape[2:]) < 1 or min(size) < 1:
            raise ValueError(
                f"{self._name()}: input and output sizes must be greater than 0, got input of "
                f"shape {x.shape} and output size {size}"
            )
        scales = self.scale_factor or (None, None)
        if self.mode == "nearest":
            y, self.cache = F.upsample_nearest2d_forward(x, size, scales)
        else:
            align = bool(self.align_corners)
            y, self.cache = F.upsample_bilinear2d_forward(x, size, align, scales)
        return y

    def backward(self, grad_output: np.ndarray) -> np.ndarray | None:
        G, input_grad = self._begin_backward(grad_output)
        return F.upsample2d_backward(G, self.cache) if input_grad else None

    def extra_repr(self) -> str:
        text = f"size={self.size}" if self.size is not None else f"scale_factor={self.scale_factor}"
        text += f", mode={self.mode!r}"
        if self.align_corners is not None:
            text += f", align_corners={self.align_corners}"
        return text
