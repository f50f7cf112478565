"""SyncBatchNorm: batch normalisation over the global batch of a data-parallel job."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _world
from .._validation import float_input
from . import functional as F
from .batchnorm import _BatchNorm
from .functional._fast import channel_dot, channel_sum
from .module import Module, accumulate_grad


class SyncBatchNorm(_BatchNorm):
    r"""Batch normalisation whose statistics are those of the whole batch, over all processes.

    PyTorch's ``nn.SyncBatchNorm``: in data-parallel training (:mod:`minitorch.distributed`)
    each process sees B/N samples; a plain BatchNorm normalises them by their own mean and
    variance, this layer by the mean and variance of all B, so N processes compute exactly
    what one process computes on the whole batch. In a one-process world, or in eval mode, it
    is BatchNorm. Takes (N, C), (N, C, L), (N, C, H, W) or (N, C, D, H, W) inputs; the
    parameters are those of BatchNorm1d (shape (1, C)); :meth:`convert_sync_batchnorm` turns
    the BatchNorm layers of a model into SyncBatchNorm.

    Math
    ----
    Per channel, with Σ_all a sum over the values of every process (an all-reduce of the
    processes' own sums) and m = Σ_all 1 the global count:

    forward:   μ = Σ_all x / m,   σ² = Σ_all (x − μ)² / m        (two all-reduces of C values)
               x̂ = (x − μ) / √(σ² + ε),   y = γ ⊙ x̂ + β         (as BatchNorm)
    backward:  dβ += Σ G,   dγ += Σ G ⊙ x̂        (this process's sums: all_reduce_gradients
                                                   averages them like every other gradient)
               dx  = γ / √(σ² + ε) ⊙ (G − Σ_all G / m − x̂ ⊙ Σ_all G ⊙ x̂ / m)
                                                   (one all-reduce of 2C values)
    """

    _ndims = (2, 3, 4, 5)
    _shapes = "(N, {C}, *)"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._global = False  # whether the last forward used the global statistics
        self._count = 0  # m, the values per channel over every process, in that forward

    def _synced(self) -> bool:
        return _world.world_size > 1 and (self.training or not self.track_running_stats)

    def forward(self, x: np.ndarray) -> np.ndarray:
        if not self._synced():
            self._global = False
            return super().forward(x)
        x = float_input(x, self._name(), self._dtype())
        if x.ndim not in self._ndims or x.shape[1] != self.num_features:
            raise ValueError(
                f"{self._name()} expects input of shape (N, {self.num_features}, *), got {x.shape}"
            )
        batch, channels = x.shape[0], x.shape[1]
        length = x[:1, :1].size  # L: the values of one channel of one sample
        x3 = x.reshape(batch, channels, length)  # (N, C, L), as BatchNorm
        local_count = np.array([x3.shape[0] * x3.shape[2]], dtype=x.dtype)
        counts = np.concatenate([channel_sum(x3), local_count])
        _world.all_reduce_sum_(counts)  # [Σ_all x per channel..., m]
        m = round(float(counts[-1]))
        if m <= 1:
            raise ValueError(
                f"{self._name()}: expected more than 1 value per channel over all processes "
                f"when training, got {m}"
            )
        mean = counts[:-1] / m
        centred = x3 - mean[:, None]
        var = _world.all_reduce_sum_(channel_dot(centred, centred)) / m  # biased, as BatchNorm
        momentum = self.momentum
        if self.training and self.track_running_stats:
            self.num_batches_tracked += 1
            if momentum is None:
                momentum = 1.0 / float(self.num_batches_tracked)
            self.running_mean *= 1 - momentum
            self.running_mean += momentum * mean.reshape(self.running_mean.shape)
            unbiased = var * (m / (m - 1))
            self.running_var *= 1 - momentum
            self.running_var += momentum * unbiased.reshape(self.running_var.shape)
        # Normalised by the global μ and σ², the rest of the forward is BatchNorm's own.
        y, cache = F.batch_norm_forward(
            x, self.gamma, self.beta, mean, var, training=False, eps=self.eps
        )
        self.cache, self._global, self._count = cache, True, m
        return y

    def backward(self, grad_output: np.ndarray) -> np.ndarray | None:
        G, input_grad = self._begin_backward(grad_output)
        if self._global:
            dx, dgamma, dbeta = self._global_backward(G, input_grad)
        else:  # BatchNorm's own: this process's batch was the whole batch
            dx, dgamma, dbeta = F.batch_norm_backward(G, self.cache, input_grad)
        if self.affine:
            self.dgamma = accumulate_grad(self.dgamma, dgamma.reshape(self.gamma.shape), owned=True)
            self.dbeta = accumulate_grad(self.dbeta, dbeta.reshape(self.beta.shape), owned=True)
        return dx

    def _global_backward(
        self, G: np.ndarray, input_grad: bool
    ) -> tuple[np.ndarray | None, np.ndarray, np.ndarray]:
        """dx with the sums over every process; dγ and dβ (C,) of this process alone."""
        x_hat, inv_std, gamma = self.cache.x_hat, self.cache.inv_std, self.cache.gamma
        G3 = G.reshape(x_hat.shape)  # (N, C, L)
        dbeta, dgamma = channel_sum(G3), channel_dot(G3, x_hat)  # Σ G, Σ G ⊙ x̂ (this process)
        if not input_grad:
            return None, dgamma, dbeta
        totals = _world.all_reduce_sum_(np.concatenate([dbeta, dgamma]))  # Σ_all of both
        mean_G, mean_G_xhat = np.split(totals / self._count, 2)
        gamma_over_std = inv_std * (1.0 if gamma is None else gamma)  # γ / √(σ² + ε)
        dx = (G3 - mean_G[:, None] - x_hat * mean_G_xhat[:, None]) * gamma_over_std[:, None]
        return dx.reshape(G.shape), dgamma, dbeta

    @classmethod
    def convert_sync_batchnorm(cls, module: Module) -> Module:
        """``module`` with every BatchNorm1d/2d replaced by a SyncBatchNorm holding the same
        parameters and running statistics (the arrays themselves, not copies); returns it, or
        the new layer when ``module`` itself is a BatchNorm. As PyTorch's classmethod."""
        if isinstance(module, _BatchNorm) and not isinstance(module, cls):
            return cls._from(module)
        for owner in module.modules():  # a layer is held in an attribute, a list or a dict
            for attr, value in list(vars(owner).items()):
                if _is_plain_bn(value, cls):
                    setattr(owner, attr, cls._from(value))
                elif isinstance(value, list):
                    value[:] = [cls._from(v) if _is_plain_bn(v, cls) else v for v in value]
                elif isinstance(value, dict):
                    found = {k: v for k, v in value.items() if _is_plain_bn(v, cls)}
                    value.update({k: cls._from(v) for k, v in found.items()})
        return module

    @classmethod
    def _from(cls, bn: _BatchNorm) -> SyncBatchNorm:
        dtype = None if bn.gamma is None else bn.gamma.dtype
        sync = cls(bn.num_features, bn.eps, bn.momentum, bn.affine, bn.track_running_stats, dtype)
        for name in ("gamma", "beta", "running_mean", "running_var", "num_batches_tracked"):
            setattr(sync, name, getattr(bn, name))
        sync.training = bn.training
        return sync


def _is_plain_bn(value: Any, cls: type) -> bool:
    return isinstance(value, _BatchNorm) and not isinstance(value, cls)
