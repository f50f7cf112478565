"""Dropout: random zeroing during training, identity during evaluation."""

from __future__ import annotations

import numpy as np

from . import functional as F
from .module import Module


class Dropout(Module):
    """Inverted dropout with probability ``p`` (default 0.5).

    In training mode each element is zeroed with probability p and the rest are scaled by
    1/(1 − p); in eval mode (``model.eval()``) the layer is the identity. Masks are drawn from
    minitorch's global generator, so ``minitorch.manual_seed`` makes them reproducible.

    forward:  y = x ⊙ m,   mᵢ ∈ {0, 1/(1 − p)}      any shape
    backward: dx = grad_output ⊙ m                  (the mask of the last forward)
    """

    def __init__(self, p: float = 0.5) -> None:
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"Dropout: p must be between 0 and 1, got {p}")
        self.p = float(p)
        self.x = None
        self.mask = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x)
        self.x = x
        y, self.mask = F.dropout_forward(x, self.p, self.training)
        return y

    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        x = self._saved(self.x)
        self._check_grad_shape(grad_output, x.shape)
        return F.dropout_backward(grad_output, self.mask)

    def extra_repr(self) -> str:
        return f"p={self.p}"
