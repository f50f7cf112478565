"""Group normalization: each sample's channels normalised in groups (diffusion U-Nets' norm)."""

from __future__ import annotations

import numpy as np

from .. import _state
from .._validation import check_flag, check_float, check_int, float_input
from . import functional as F
from .module import Module, accumulate_grad


class GroupNorm(Module):
    r"""Group normalization (Wu and He, 2018), as ``torch.nn.GroupNorm``.

    The C channels of each sample are cut into ``num_groups`` groups of C/G consecutive
    channels; each group is normalised over its channels and pixels to zero mean and unit
    variance, then every channel is scaled and shifted by a learned ``gamma`` and ``beta``. No
    batch statistics: training and evaluation compute the same thing, for any batch size.
    G = 1 normalises all channels together (LayerNorm over (C, H, W) with per-channel γ);
    G = C each channel alone (instance norm).

    Parameters
    ----------
    num_groups : int
        G; must divide ``num_channels``.
    num_channels : int
        C, the channels of the input (N, C, H, W) (or (N, C, ...)).
    eps : float
        Added to the variance before the square root (default 1e-5).
    affine : bool
        Learn ``gamma`` (ones) and ``beta`` (zeros); default ``True``.
    dtype : numpy dtype, optional
        Defaults to :func:`minitorch.get_default_dtype` (float32).

    Attributes
    ----------
    gamma, beta : ndarray, shape (1, C, 1, 1), or None
        Per-channel scale and shift, shaped as BatchNorm2d's; ``dgamma``, ``dbeta`` their
        gradients (``None`` before a backward).
    cache : GroupNormCache
        What the forward kept for the backward (x̂ and 1/σ of every group).

    Math
    ----
    The code: ``F.group_norm_forward`` / ``F.group_norm_backward``
    (``nn/functional/groupnorm.py``), which view x as N·G rows of D = (C/G)·H·W values and
    call layer norm's pair on them. With G = dL/dy::

        forward:   μ, σ² = mean and (biased) variance of each group    (N, G)
                   x̂ = (x − μ) / √(σ² + ε)                              (N, C, H, W)
                   y = γ ⊙ x̂ + β                                        (N, C, H, W)
        backward:  dγ += Σ_{n,h,w} G ⊙ x̂,   dβ += Σ_{n,h,w} G           (1, C, 1, 1)
                   ĝ  = G ⊙ γ
                   dx = (ĝ − mean(ĝ) − x̂ ⊙ mean(ĝ ⊙ x̂)) / √(σ² + ε)    (means over a group)

    Inputs are cast to the parameters' dtype; without ``affine`` a floating input keeps its own.
    """

    no_weight_decay = ("gamma", "beta")

    def __init__(
        self,
        num_groups: int,
        num_channels: int,
        eps: float = 1e-5,
        affine: bool = True,
        dtype=None,
    ) -> None:
        super().__init__()
        self.num_groups = check_int("GroupNorm", "num_groups", num_groups, 1)
        self.num_channels = check_int("GroupNorm", "num_channels", num_channels, 1)
        if self.num_channels % self.num_groups:
            raise ValueError(
                f"GroupNorm: num_channels must be divisible by num_groups, got num_channels="
                f"{self.num_channels} and num_groups={self.num_groups}"
            )
        self.eps = check_float("GroupNorm", "eps", eps, 0, low_inclusive=False)
        self.affine = check_flag("GroupNorm", "affine", affine)
        dtype = _state.parameter_dtype("GroupNorm", dtype)
        shape = (1, self.num_channels, 1, 1)
        self.gamma = np.ones(shape, dtype) if affine else None
        self.beta = np.zeros(shape, dtype) if affine else None
        self.dgamma = None
        self.dbeta = None
        self.cache = None

    def _name(self) -> str:
        return f"GroupNorm({self.num_groups}, {self.num_channels})"

    def forward(self, x: np.ndarray) -> np.ndarray:
        dtype = None if self.gamma is None else self.gamma.dtype
        x = float_input(x, self._name(), dtype)
        if x.ndim < 2 or x.shape[1] != self.num_channels:
            raise ValueError(
                f"{self._name()} expects input of shape (N, {self.num_channels}, H, W) (or "
                f"(N, {self.num_channels}, ...)), got {x.shape}"
            )
        y, self.cache = F.group_norm_forward(x, self.num_groups, self.gamma, self.beta, self.eps)
        return y

    def backward(self, grad_output: np.ndarray) -> np.ndarray | None:
        G, input_grad = self._begin_backward(grad_output)
        dx, dgamma, dbeta = F.group_norm_backward(G, self.cache, input_grad)
        if self.affine:
            self.dgamma = accumulate_grad(self.dgamma, dgamma.reshape(self.gamma.shape), owned=True)
            self.dbeta = accumulate_grad(self.dbeta, dbeta.reshape(self.beta.shape), owned=True)
        return dx

    def parameters(self) -> list[np.ndarray]:
        return [self.gamma, self.beta] if self.affine else []

    def grads(self) -> list[np.ndarray | None]:
        return [self.dgamma, self.dbeta] if self.affine else []

    def extra_repr(self) -> str:
        return f"{self.num_groups}, {self.num_channels}, eps={self.eps:g}, affine={self.affine}"
