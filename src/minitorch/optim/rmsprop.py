"""RMSprop: divide the gradient by a running root-mean-square of recent gradients."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from .optimizer import Optimizer, check_flag, check_non_negative, lerp_

if TYPE_CHECKING:
    from collections.abc import Sequence

    from ..nn.module import Module


class RMSprop(Optimizer):
    r"""RMSprop, numerically identical to ``torch.optim.RMSprop`` (single-tensor implementation).

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
        lr, alpha, momentum = float(self.lr), self.alpha, self.momentum
        if not state:
            state["step"] = 0
            state["square_avg"] = np.zeros_like(param)
        if momentum > 0 and "momentum_buffer" not in state:
            state["momentum_buffer"] = np.zeros_like(param)
        if self.centered and "grad_avg" not in state:
            state["grad_avg"] = np.zeros_like(param)
        state["step"] += 1

        arrays = (
            param,
            grad,
            state["square_avg"],
            state.get("grad_avg") if self.centered else None,
            state.get("momentum_buffer") if momentum > 0 else None,
        )
        for p, d, square_avg, grad_avg, buffer in self._chunks(*arrays):
            g = self._gradient(p, d, self.weight_decay, self.maximize)
            work = self._scratch(p, 1)
            square_avg *= alpha
            squared = np.multiply(g, 1 - alpha, out=work)
            squared *= g
            square_avg += squared
            if grad_avg is not None:
                lerp_(grad_avg, g, 1 - alpha, work)
                variance = np.multiply(grad_avg, grad_avg, out=work)
                np.subtract(square_avg, variance, out=variance)
                denominator = np.sqrt(variance, out=variance)
            else:
                denominator = np.sqrt(square_avg, out=work)
            denominator += self.eps
            if buffer is not None:
                buffer *= momentum
                buffer += np.divide(g, denominator, out=denominator)
                p -= np.multiply(buffer, lr, out=work)
            else:
                update = np.multiply(g, -lr, out=self._scratch(p, 0))
                update /= denominator
                p += update
