"""Flatten: reshape (N, C, H, W) images into (N, C·H·W) rows for a Linear layer."""

from __future__ import annotations

import numpy as np

from .._validation import check_int, float_input
from . import functional as F
from .module import Module


class Flatten(Module):
    """Merge dimensions ``start_dim..end_dim`` into one (defaults: all but the batch dimension).

    forward:  (N, C, H, W) -> (N, C·H·W)     (a view, no copy, when the input is contiguous)
    backward: grad_output reshaped back to the input's shape

    The code: ``F.flatten_forward`` / ``F.flatten_backward`` (``nn/functional/flatten.py``).
    """

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        self.start_dim = check_int("Flatten", "start_dim", start_dim)
        self.end_dim = check_int("Flatten", "end_dim", end_dim)
        self.cache: F.FlattenCache | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = float_input(x, "Flatten")
        name = f"Flatten(start_dim={self.start_dim}, end_dim={self.end_dim})"
        for dim in (self.start_dim, self.end_dim):
            if not -x.ndim <= dim < x.ndim:  # as PyTorch: no wrapping around
                raise IndexError(
                    f"{name} cannot flatten an input of shape {x.shape}: it has no dimension "
                    f"{dim} (its dimensions are {-x.ndim} to {x.ndim - 1})"
                )
        start, end = self.start_dim % x.ndim, self.end_dim % x.ndim
        if start > end:
            raise ValueError(
                f"{name} cannot flatten an input of shape {x.shape}: start_dim comes after end_dim"
            )
        y, self.cache = F.flatten_forward(x, start, end)
        return y

    def backward(self, grad_output: np.ndarray) -> np.ndarray | None:
        G, input_grad = self._begin_backward(grad_output)
        return F.flatten_backward(G, self.cache) if input_grad else None

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"
