"""Flatten: reshape (N, C, H, W) images into (N, C·H·W) rows for a Linear layer; Unflatten:
back."""

from __future__ import annotations

import math

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


class Unflatten(Module):
    """Split dimension ``dim`` into ``unflattened_size``, as ``torch.nn.Unflatten``.

    forward:  (N, C·H·W) -> (N, C, H, W)     with Unflatten(1, (C, H, W)); a view when
                                               the input is contiguous
    backward: grad_output reshaped back to the input's shape

    One size may be −1 (inferred). The code: ``F.unflatten_forward`` / ``F.unflatten_backward``
    (``nn/functional/flatten.py``).
    """

    def __init__(self, dim: int, unflattened_size: tuple[int, ...]) -> None:
        super().__init__()
        self.dim = check_int("Unflatten", "dim", dim)
        if not isinstance(unflattened_size, (tuple, list)) or not unflattened_size:
            raise TypeError(
                "Unflatten: unflattened_size must be a tuple of ints, e.g. (C, H, W), got "
                f"{unflattened_size!r}"
            )
        sizes = tuple(check_int("Unflatten", "unflattened_size", n, -1) for n in unflattened_size)
        if 0 in sizes or sizes.count(-1) > 1:
            raise ValueError(
                "Unflatten: unflattened_size must hold positive sizes (and at most one -1, "
                f"inferred), got {tuple(unflattened_size)}"
            )
        self.unflattened_size = sizes
        self.cache: F.UnflattenCache | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = float_input(x, "Unflatten")
        name = f"Unflatten(dim={self.dim}, unflattened_size={self.unflattened_size})"
        if not -x.ndim <= self.dim < x.ndim:
            raise IndexError(
                f"{name} cannot unflatten an input of shape {x.shape}: it has no dimension "
                f"{self.dim} (its dimensions are {-x.ndim} to {x.ndim - 1})"
            )
        length = x.shape[self.dim]
        known = math.prod(n for n in self.unflattened_size if n != -1)
        fits = length % known == 0 if -1 in self.unflattened_size else length == known
        if not fits:
            raise ValueError(
                f"{name}: the sizes {self.unflattened_size} do not multiply up to the size of "
                f"dimension {self.dim} ({length}) of the input of shape {x.shape}"
            )
        y, self.cache = F.unflatten_forward(x, self.dim, self.unflattened_size)
        return y

    def backward(self, grad_output: np.ndarray) -> np.ndarray | None:
        G, input_grad = self._begin_backward(grad_output)
        return F.unflatten_backward(G, self.cache) if input_grad else None

    def extra_repr(self) -> str:
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"
