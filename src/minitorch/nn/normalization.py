"""Layer normalization: each sample normalized over its own features (transformers' norm)."""

from __future__ import annotations

import numpy as np

from .. import _state
from .._validation import check_flag, check_float, float_input, is_size
from . import functional as F
from .module import Module, accumulate_grad


class LayerNorm(Module):
    r"""Layer normalization (Ba et al., 2016), as ``torch.nn.LayerNorm``.

    Every sample (every token of a sequence) is normalized over its last dimensions to zero
    mean and unit variance, then scaled and shifted by learned ``gamma`` and ``beta``. Unlike
    BatchNorm it uses no batch statistics, so training and evaluation compute the same thing.

    Parameters
    ----------
    normalized_shape : int or tuple of int
        The trailing shape to normalize over, e.g. ``E`` for inputs (N, T, E).
    eps : float
        Added to the variance before the square root (default 1e-5, as PyTorch).
    elementwise_affine : bool
        Learn ``gamma`` (ones) and ``beta`` (zeros); default ``True``.
    bias : bool
        With ``elementwise_affine``, whether to learn ``beta`` too (default ``True``).
    dtype : numpy dtype, optional
        Defaults to :func:`minitorch.get_default_dtype` (float32).

    Attributes
    ----------
    gamma, beta : ndarray, shape normalized_shape, or None
        Scale and shift; ``dgamma``, ``dbeta`` their gradients (``None`` before a backward).
    cache : LayerNormCache
        What the forward kept for the backward (x̂ and 1/σ of every row).

    Math
    ----
    The code: ``F.layer_norm_forward`` / ``F.layer_norm_backward``
    (``nn/functional/normalization.py``).

    For each row x of D = prod(normalized_shape) features (all leading dimensions are rows),
    with G = dL/dy::

        forward:   μ = mean(x),  σ² = mean((x − μ)²)                    (..., 1)
                   x̂ = (x − μ) / √(σ² + ε)                              (..., *normalized_shape)
                   y = γ ⊙ x̂ + β                                        (..., *normalized_shape)
        backward:  dγ += Σ_rows G ⊙ x̂,   dβ += Σ_rows G                normalized_shape
                   ĝ  = G ⊙ γ
                   dx = (ĝ − mean(ĝ) − x̂ ⊙ mean(ĝ ⊙ x̂)) / √(σ² + ε)    (..., *normalized_shape)

    (means over the D features of the row). Inputs are cast to the parameters' dtype; without
    ``elementwise_affine`` a floating input keeps its own.
    """

    no_weight_decay = ("gamma", "beta")

    def __init__(
        self,
        normalized_shape: int | tuple[int, ...],
        eps: float = 1e-5,
        elementwise_affine: bool = True,
        bias: bool = True,
        dtype=None,
    ) -> None:
        super().__init__()
        shape_argument = normalized_shape
        if isinstance(normalized_shape, (int, np.integer)):
            normalized_shape = (normalized_shape,)
        normalized_shape = (
            tuple(normalized_shape) if isinstance(normalized_shape, (tuple, list)) else ()
        )
        if not normalized_shape or not all(is_size(n) for n in normalized_shape):
            raise ValueError(
                "LayerNorm: normalized_shape must be a positive int or a tuple of positive ints "
                f"(the trailing shape to normalize over), got {shape_argument!r}"
            )
        self.normalized_shape = tuple(int(n) for n in normalized_shape)
        self.eps = check_float("LayerNorm", "eps", eps, 0, low_inclusive=False)
        elementwise_affine = check_flag("LayerNorm", "elementwise_affine", elementwise_affine)
        bias = check_flag("LayerNorm", "bias", bias)
        self.elementwise_affine = elementwise_affine
        dtype = _state.parameter_dtype("LayerNorm", dtype)
        self.gamma = np.ones(self.normalized_shape, dtype) if elementwise_affine else None
        self.beta = np.zeros(self.normalized_shape, dtype) if elementwise_affine and bias else None
        self.dgamma = None
        self.dbeta = None
        self.cache = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        dtype = None if self.gamma is None else self.gamma.dtype
        x = float_input(x, "LayerNorm", dtype)  # computed in the parameters' dtype
        k = len(self.normalized_shape)
        if x.ndim < k or x.shape[x.ndim - k :] != self.normalized_shape:
            shape = ", ".join(map(str, self.normalized_shape))
            raise ValueError(
                f"LayerNorm({self.normalized_shape}) normalizes over the last dimensions, which "
                f"must be ({shape}); expects input of shape (N, ..., {shape}), got {x.shape}"
            )
        y, self.cache = F.layer_norm_forward(
            x, self.normalized_shape, self.gamma, self.beta, self.eps
        )
        return y

    def backward(self, grad_output: np.ndarray) -> np.ndarray | None:
        G, input_grad = self._begin_backward(grad_output)
        dx, dgamma, dbeta = F.layer_norm_backward(G, self.cache, input_grad)
        if self.gamma is not None:
            self.dgamma = accumulate_grad(self.dgamma, dgamma, owned=True)
        if self.beta is not None:
            self.dbeta = accumulate_grad(self.dbeta, dbeta, owned=True)
        return dx

    def parameters(self) -> list[np.ndarray]:
        return [p for p in (self.gamma, self.beta) if p is not None]

    def grads(self) -> list[np.ndarray | None]:
        return [g for p, g in ((self.gamma, self.dgamma), (self.beta, self.dbeta)) if p is not None]

    def extra_repr(self) -> str:
        text = f"{self.normalized_shape}, eps={self.eps}"
        if not self.elementwise_affine:
            text += ", elementwise_affine=False"
        elif self.beta is None:
            text += ", bias=False"
        return text
