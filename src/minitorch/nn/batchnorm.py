"""Batch normalisation: BatchNorm1d for (N, C) and (N, C, L) inputs, BatchNorm2d for images."""

from __future__ import annotations

import numpy as np

from .. import _state
from .._validation import check_flag, check_float, check_int, float_input
from . import functional as F
from .module import Module, accumulate_grad


class _BatchNorm(Module):
    r"""What BatchNorm1d and BatchNorm2d share; they differ only in the input shapes they take.

    Parameters
    ----------
    num_features : int
        C, the number of channels (features) normalised separately.
    eps : float
        ε added to the variance before the square root (default 1e-5).
    momentum : float or None
        Weight of the new batch in the running statistics (default 0.1). ``None``: a cumulative
        average over all batches seen, weight 1 / num_batches_tracked, as in PyTorch.
    affine : bool
        Learn the scale γ and shift β (default ``True``). ``False``: no parameters.
    track_running_stats : bool
        Keep running statistics for evaluation (default ``True``). ``False``: no buffers, and
        the batch's own statistics are used in eval mode too, as in PyTorch.
    dtype : numpy dtype, optional
        Defaults to :func:`minitorch.get_default_dtype` (float32).

    Attributes
    ----------
    gamma, beta : ndarray, shape (1, C) for BatchNorm1d, (1, C, 1, 1) for BatchNorm2d, or None
        γ (ones at first) and β (zeros), shaped to broadcast over the input as Linear's ``b``
        (1, D) broadcasts over (N, D). (A (1, C) γ is applied to an (N, C, L) input as
        (1, C, 1).)
    dgamma, dbeta : ndarray or None
        Accumulated gradients, shaped like ``gamma`` and ``beta``.
    running_mean, running_var : ndarray, shaped like gamma, or None
        Buffers (saved in ``state_dict``, not trained): zeros and ones at first.
    num_batches_tracked : ndarray of int64, shape ()
        Buffer: the training batches seen so far.
    cache : BatchNormCache
        What the forward kept for the backward (x̂, 1/σ, γ).

    Math
    ----
    The code: ``F.batch_norm_forward`` / ``F.batch_norm_backward``
    (``nn/functional/batchnorm.py``).

    Per channel, over the m values of a batch (m = N, N·L or N·H·W):

    forward:   μ = (1/m) Σ x,   σ² = (1/m) Σ (x − μ)²       (biased, as in the paper)
               x̂ = (x − μ) / √(σ² + ε),   y = γ ⊙ x̂ + β     (shape of x)
               running_mean ← (1 − momentum)·running_mean + momentum·μ
               running_var  ← (1 − momentum)·running_var + momentum·σ²·m/(m − 1)   (unbiased)
    backward:  dβ += Σ G,   dγ += Σ G ⊙ x̂                    (shape of gamma)
               dx  = γ / (m·√(σ² + ε)) ⊙ (m·G − Σ G − x̂ ⊙ Σ G ⊙ x̂)   (μ and σ depend on x)

    In eval mode (``model.eval()``) μ and σ² are the running statistics, constants, so
    x̂ = (x − running_mean) / √(running_var + ε) and the backward is the affine one,
    dx = γ / √(running_var + ε) ⊙ G. With ``track_running_stats=False`` there are no running
    statistics and both modes use the batch's.
    """

    #: input dimensions accepted, and how they are written in error messages
    _ndims: tuple[int, ...] = ()
    _shapes: str = ""

    buffer_names = ("running_mean", "running_var", "num_batches_tracked")
    no_weight_decay = ("gamma", "beta")

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
        dtype=None,
    ) -> None:
        super().__init__()
        name = type(self).__name__
        self.num_features = check_int(name, "num_features", num_features, 1)
        # eps = 0 divides a constant channel by 0; PyTorch refuses it too ("eps must be positive")
        self.eps = check_float(name, "eps", eps, 0.0, low_inclusive=False)
        self.momentum = None if momentum is None else check_float(name, "momentum", momentum, 0, 1)
        self.affine = check_flag(name, "affine", affine)
        self.track_running_stats = check_flag(name, "track_running_stats", track_running_stats)
        dtype = _state.parameter_dtype(name, dtype)
        shape = (1, self.num_features) + (1,) * (min(self._ndims) - 2)
        self.gamma = np.ones(shape, dtype=dtype) if affine else None
        self.beta = np.zeros(shape, dtype=dtype) if affine else None
        self.dgamma = None
        self.dbeta = None
        if track_running_stats:
            self.running_mean = np.zeros(shape, dtype=dtype)
            self.running_var = np.ones(shape, dtype=dtype)
            self.num_batches_tracked = np.array(0, dtype=np.int64)
        else:
            self.running_mean = self.running_var = self.num_batches_tracked = None
            self.buffer_names = ()  # nothing to save
        self.cache = None

    def _name(self) -> str:
        return f"{type(self).__name__}({self.num_features})"

    def _dtype(self) -> np.dtype | None:
        # The parameters' dtype; without parameters (affine=False) the input's, as for other
        # parameter-free layers (the running statistics are then kept in their own dtype).
        return None if self.gamma is None else self.gamma.dtype

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = float_input(x, self._name(), self._dtype())
        if x.ndim not in self._ndims or x.shape[1] != self.num_features:
            expected = self._shapes.format(C=self.num_features)
            hint = ""
            if x.ndim not in self._ndims and x.ndim in (2, 3, 4):
                hint = "; for this input use " + ("BatchNorm2d" if x.ndim == 4 else "BatchNorm1d")
            raise ValueError(
                f"{self._name()} expects input of shape {expected}, got {x.shape}{hint}"
            )
        batch_statistics = self.training or not self.track_running_stats
        if batch_statistics and x.size // self.num_features <= 1:
            raise ValueError(
                f"{self._name()}: expected more than 1 value per channel when training, got "
                f"input of shape {x.shape}: a single value has no variance. Use a larger "
                "batch, or model.eval() to use the running statistics"
            )
        momentum = self.momentum
        if self.training and self.track_running_stats:
            self.num_batches_tracked += 1
            if momentum is None:  # a cumulative average over all batches, as in PyTorch
                momentum = 1.0 / float(self.num_batches_tracked)
        # Without track_running_stats the running statistics are None: nothing is updated.
        y, self.cache = F.batch_norm_forward(
            x,
            self.gamma,
            self.beta,
            self.running_mean,
            self.running_var,
            training=batch_statistics,
            momentum=momentum,
            eps=self.eps,
        )
        return y

    def backward(self, grad_output: np.ndarray) -> np.ndarray | None:
        G, input_grad = self._begin_backward(grad_output)
        dx, dgamma, dbeta = F.batch_norm_backward(G, self.cache, input_grad)
        if self.affine:
            self.dgamma = accumulate_grad(self.dgamma, dgamma.reshape(self.gamma.shape), owned=True)
            self.dbeta = accumulate_grad(self.dbeta, dbeta.reshape(self.beta.shape), owned=True)
        return dx

    def parameters(self) -> list[np.ndarray]:
        return [self.gamma, self.beta] if self.affine else []

    def grads(self) -> list[np.ndarray | None]:
        return [self.dgamma, self.dbeta] if self.affine else []

    def extra_repr(self) -> str:
        return (
            f"{self.num_features}, eps={self.eps:g}, momentum={self.momentum}, "
            f"affine={self.affine}, track_running_stats={self.track_running_stats}"
        )


class BatchNorm1d(_BatchNorm):
    __doc__ = (
        "Batch normalisation of (N, C) features or (N, C, L) sequences, per channel C.\n\n"
        "``gamma``, ``beta``, ``running_mean`` and ``running_var`` have shape (1, C).\n"
        + _BatchNorm.__doc__.split("\n", 1)[1]
    )
    _ndims = (2, 3)
    _shapes = "(N, {C}) or (N, {C}, L)"


class BatchNorm2d(_BatchNorm):
    __doc__ = (
        "Batch normalisation of (N, C, H, W) images, per channel C (over N·H·W pixels).\n\n"
        "``gamma``, ``beta``, ``running_mean`` and ``running_var`` have shape (1, C, 1, 1).\n"
        + _BatchNorm.__doc__.split("\n", 1)[1]
    )
    _ndims = (4,)
    _shapes = "(N, {C}, H, W)"
