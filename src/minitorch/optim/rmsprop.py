"""RMSprop: divide the gradient by a running root-mean-square of recent gradients."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from .optimizer import (
    Optimizer,
    axpy_,
    check_flag,
    check_non_negative,
    gradient_with_decay,
    lerp_,
    scale_,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

    from ..nn.module import Module


class RMSprop(Optimizer):
    r"""RMSprop, computed as ``torch.optim.RMSprop`` computes it (single-tensor implementation).

    The same operations in the same order (float64 agrees to about 1e-15); in float32 the last
    bit can differ where PyTorch's vectorised ``sqrt`` is not correctly rounded (see
    :class:`~minitorch.optim.Adam`).

    Parameters
    ----------
    modules : Module or list of Module
        The model (not ``model.parameters()``).
    lr : float
        Learning rate γ (default 1e-2).
    alpha : float
        Smoothing constant α >= 0 of the running average of g² (default 0.99).
    eps : float
        ε added to the denominator for numerical stability (default 1e-8).
    weight_decay : float
        L2 penalty λ added to the gradient (default 0).
    momentum : float
        Momentum factor μ >= 0 (default 0).
    centered : bool
        Normalise by an estimate of the gradient's variance, v − ḡ², instead of v.
    maximize : bool
        Follow the gradient uphill instead of downhill.

    Math
    ----
    For each parameter θ with gradient ∇::

        g  = −∇ if maximize else ∇
        g  = g + λ θ                          if λ ≠ 0
        v  = α v + (1 − α) g²                 running mean of g²
        ḡ  = ḡ + (1 − α) (g − ḡ)              if centered (running mean of g)
        d  = √(v − ḡ²) + ε   if centered  else  √v + ε
        b  = μ b + g / d ;  θ = θ − γ b       if μ > 0
        θ  = θ − γ g / d                      otherwise

    v, ḡ and b start at zero. State per parameter: ``step``, ``square_avg`` v and, when used,
    ``grad_avg`` ḡ and ``momentum_buffer`` b.
    """

    hyperparameter_names: ClassVar[tuple[str, ...]] = (
        "lr",
        "alpha",
        "eps",
        "weight_decay",
        "momentum",
        "centered",
        "maximize",
    )

    def __init__(
        self,
        modules: Module | Sequence[Module],
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum: float = 0,
        centered: bool = False,
        maximize: bool = False,
    ) -> None:
        super().__init__(
            modules,
            lr,
            alpha=alpha,
            eps=eps,
            weight_decay=weight_decay,
            momentum=momentum,
            centered=centered,
            maximize=maximize,
        )

    def check_hyperparameters(self) -> None:
        super().check_hyperparameters()
        self.alpha = check_non_negative("RMSprop", "alpha", self.alpha, " (typical: 0.99)")
        self.eps = check_non_negative("RMSprop", "eps", self.eps, " (typical: 1e-8)")
        self.weight_decay = check_non_negative("RMSprop", "weight_decay", self.weight_decay)
        self.momentum = check_non_negative("RMSprop", "momentum", self.momentum)
        self.centered = check_flag("RMSprop", "centered", self.centered)
        self.maximize = check_flag("RMSprop", "maximize", self.maximize)

    def update_parameter(self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any]) -> None:
        if not state:
            state["step"] = 0
            state["square_avg"] = np.zeros_like(param)
        if self.momentum > 0 and "momentum_buffer" not in state:
            state["momentum_buffer"] = np.zeros_like(param)
        if self.centered and "grad_avg" not in state:
            state["grad_avg"] = np.zeros_like(param)
        state["step"] += 1
        self.apply_in_chunks(
            rmsprop_update,
            param,
            grad,
            state["square_avg"],
            state.get("grad_avg") if self.centered else None,
            state.get("momentum_buffer") if self.momentum > 0 else None,
            lr=float(self.lr),
            alpha=self.alpha,
            eps=self.eps,
            weight_decay=self.weight_decay,
            momentum=self.momentum,
            maximize=self.maximize,
        )


def rmsprop_update(
    p: np.ndarray,
    grad: np.ndarray,
    square_avg: np.ndarray,
    grad_avg: np.ndarray | None,
    buf: np.ndarray | None,
    work: tuple[np.ndarray, np.ndarray],
    *,
    lr: float,
    alpha: float,
    eps: float,
    weight_decay: float,
    momentum: float,
    maximize: bool,
) -> None:
    """One RMSprop step, in place: the math of :class:`RMSprop`, line by line.

    ``p`` is θ, ``grad`` ∇, ``square_avg`` v, ``grad_avg`` ḡ (``None`` unless centered) and
    ``buf`` the momentum buffer b (``None`` when momentum is 0), all the same shape; ``work`` is
    two scratch arrays of that shape. Each comment is the plain NumPy the lines under it
    compute, operation for operation (so with the same rounding; ``a·x + y`` in
    ``gradient_with_decay`` and ``axpy_`` is rounded once, as in PyTorch); the lines themselves
    write into existing arrays (``*=``, ``out=``) instead of allocating new ones.
    """
    tmp = work[1]
    # g = (-grad if maximize else grad) + weight_decay * p
    g = gradient_with_decay(p, grad, weight_decay, maximize, out=work[0])
    # v = alpha * v + (1 - alpha) * g * g
    square_avg *= alpha
    squared = np.multiply(g, 1 - alpha, out=tmp)
    squared *= g
    square_avg += squared
    if grad_avg is not None:
        # g_avg = g_avg + (1 - alpha) * (g - g_avg)   computed as torch.lerp does (see lerp_)
        lerp_(grad_avg, g, 1 - alpha, tmp)
        # denominator = np.sqrt(v - g_avg * g_avg) + eps
        variance = np.multiply(grad_avg, grad_avg, out=tmp)
        np.subtract(square_avg, variance, out=variance)
        denominator = np.sqrt(variance, out=variance)
    else:
        # denominator = np.sqrt(v) + eps
        denominator = np.sqrt(square_avg, out=tmp)
    denominator += eps
    if buf is not None:
        # buf = momentum * buf + g / denominator;  p -= lr * buf
        scale_(buf, momentum)
        buf += np.divide(g, denominator, out=denominator)
        axpy_(p, buf, -lr)  # p - lr·buf rounded once, as PyTorch's p.add_(buf, alpha=-lr)
    else:
        # p += -lr * g / denominator
        update = np.multiply(g, -lr, out=work[0])
        update /= denominator
        p += update
