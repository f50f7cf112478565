"""Flatten: reshape (N, C, H, W) images into (N, C·H·W) rows for a Linear layer."""

from __future__ import annotations

import numpy as np

from .._validation import check_int, float_input
from .module import Module


class Flatten(Module):
    """Merge dimensions ``start_dim..end_dim`` into one (defaults: all but the batch dimension).

    forward:  (N, C, H, W) -> (N, C·H·W)     (a view, no copy, when the input is contiguous)
    backward: grad_output reshaped back to the input's shape
    """

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        self.start_dim = check_int("Flatten", "start_dim", start_dim)
        self.end_dim = check_int("Flatten", "end_dim", end_dim)
        self.input_shape: tuple[int, ...] | None = None
        self.output_shape: tuple[int, ...] | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = float_input(x, "Flatten")
        start = self.start_dim % max(x.ndim, 1)
        end = self.end_dim % max(x.ndim, 1)
        if x.ndim == 0 or start > end:
            raise ValueError(
                f"Flatten(start_dim={self.start_dim}, end_dim={self.end_dim}) cannot flatten "
                f"an input of shape {x.shape}"
            )
        y = x.reshape(*x.shape[:start], -1, *x.shape[end + 1 :])
        self.input_shape, self.output_shape = x.shape, y.shape
        return y

    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        input_shape = self._saved(self.input_shape, "input shape")
        self._check_grad_shape(grad_output, self.output_shape)
        return np.reshape(grad_output, input_shape)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"
