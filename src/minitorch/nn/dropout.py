"""Dropout: random zeroing during training, identity during evaluation."""

from __future__ import annotations

import numpy as np

from .._validation import check_float, float_input
from . import functional as F
from .module import Module


class Dropout(Module):
    """Inverted dropout with probability ``p`` (default 0.5).

    In training mode each element is zeroed with probability p and the rest are scaled by
    1/(1 − p); in eval mode (``model.eval()``) the layer is the identity. Masks are drawn from
    minitorch's global generator, so ``minitorch.manual_seed`` makes them reproducible.

    forward:  y = x ⊙ m,   mᵢ ∈ {0, 1/(1 − p)}      any shape
    backward: dx = grad_output ⊙ m                  (the mask of the last forward)

    The code: ``F.dropout_forward`` / ``F.dropout_backward`` (``nn/functional/dropout.py``);
    ``cache`` is the forward's DropoutCache (the mask).
    """

    def __init__(self, p: float = 0.5) -> None:
        super().__init__()
        self.p = check_float(type(self).__name__, "p", p, 0, 1)
        self.cache = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = float_input(x, f"{type(self).__name__}(p={self.p})")  # ints would round the scale
        y, self.cache = F.dropout_forward(x, self.p, self.training)
        return y

    def backward(self, grad_output: np.ndarray) -> np.ndarray | None:
        G, input_grad = self._begin_backward(grad_output)
        return F.dropout_backward(G, self.cache) if input_grad else None

    def extra_repr(self) -> str:
        return f"p={self.p}"


class Dropout2d(Dropout):
    """Channel dropout: each feature map of each image is zeroed with probability ``p``.

    Use it after convolutions, where neighbouring pixels are so alike that dropping single
    pixels (``Dropout``) hardly regularises. Training mode scales the surviving channels by
    1/(1 − p); eval mode is the identity. Inputs (N, C, H, W), or (N, C, L) as PyTorch takes
    a 3-D input.

    forward:  y = x ⊙ m,   m[n, c] ∈ {0, 1/(1 − p)},  m of shape (N, C, 1, 1)
    backward: dx = grad_output ⊙ m                    (m broadcast over H and W)

    The code: ``F.dropout2d_forward`` / ``F.dropout2d_backward`` (``nn/functional/dropout.py``).
    """

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = float_input(x, f"Dropout2d(p={self.p})")
        if x.ndim not in (3, 4):
            raise ValueError(
                f"Dropout2d(p={self.p}) expects input of shape (N, C, H, W) (or (N, C, L)), got "
                f"{x.shape}; for (N, D) features use Dropout"
            )
        y, self.cache = F.dropout2d_forward(x, self.p, self.training)
        return y

    def backward(self, grad_output: np.ndarray) -> np.ndarray | None:
        G, input_grad = self._begin_backward(grad_output)
        return F.dropout2d_backward(G, self.cache) if input_grad else None
