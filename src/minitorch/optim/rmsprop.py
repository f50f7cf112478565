"""RMSprop: divide the gradient by a running root-mean-square of recent gradients."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from .._validation import check_flag
from ._checks import ALPHA_HARM, MOMENTUM_HARM, check_decay_factor, check_non_negative
from ._grad import decayed_grad
from ._inplace import add_, addcdiv_, addcmul, addcmul_, lerp_, mul_, sqrt_
from .optimizer import Optimizer

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
    params : Module, list of Module, or list of dict
        The model (not ``model.parameters()``), or parameter groups (see
        :class:`~minitorch.optim.Optimizer`).
    lr : float
        Learning rate γ (default 1e-2).
    alpha : float
        Smoothing constant α in [0, 1) of the running average of g² (default 0.99; PyTorch also
        accepts α >= 1).
    eps : float
        ε added to the denominator for numerical stability (default 1e-8).
    weight_decay : float
        L2 penalty λ added to the gradient (default 0).
    momentum : float
        Momentum factor μ in [0, 1) (default 0; PyTorch also accepts μ >= 1).
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

    v, ḡ and b start at zero. The code is :func:`rmsprop`. State per parameter: ``step``,
    ``square_avg`` v and, when used, ``grad_avg`` ḡ and ``momentum_buffer`` b.
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
        params: Module | Sequence[Module] | Sequence[dict[str, Any]],
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum: float = 0,
        centered: bool = False,
        maximize: bool = False,
    ) -> None:
        super().__init__(
            params,
            lr,
            alpha=alpha,
            eps=eps,
            weight_decay=weight_decay,
            momentum=momentum,
            centered=centered,
            maximize=maximize,
        )

    def check_hyperparameters(self, group: dict[str, Any]) -> None:
        super().check_hyperparameters(group)
        group["alpha"] = check_decay_factor(
            "RMSprop", "alpha", group["alpha"], ALPHA_HARM, typical=0.99
        )
        group["eps"] = check_non_negative("RMSprop", "eps", group["eps"], " (typical: 1e-8)")
        group["weight_decay"] = check_non_negative("RMSprop", "weight_decay", group["weight_decay"])
        group["momentum"] = check_decay_factor(
            "RMSprop", "momentum", group["momentum"], MOMENTUM_HARM, typical=0.9
        )
        group["centered"] = check_flag("RMSprop", "centered", group["centered"])
        group["maximize"] = check_flag("RMSprop", "maximize", group["maximize"])

    def update_parameter(
        self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]
    ) -> None:
        momentum, centered = group["momentum"], group["centered"]
        if not state:
            state["step"] = 0
            state["square_avg"] = np.zeros_like(param)
        if momentum > 0 and "momentum_buffer" not in state:
            state["momentum_buffer"] = np.zeros_like(param)
        if centered and "grad_avg" not in state:
            state["grad_avg"] = np.zeros_like(param)
        state["step"] += 1
        self.apply_in_chunks(
            rmsprop,
            param,
            grad,
            state["square_avg"],
            state.get("grad_avg") if centered else None,
            state.get("momentum_buffer") if momentum > 0 else None,
            lr=group["lr"],
            alpha=group["alpha"],
            eps=group["eps"],
            weight_decay=group["weight_decay"],
            momentum=momentum,
            maximize=group["maximize"],
        )


def rmsprop(
    param: np.ndarray,
    grad: np.ndarray,
    square_avg: np.ndarray,
    grad_avg: np.ndarray | None,
    buf: np.ndarray | None,
    scratch: tuple[np.ndarray, ...],
    *,
    lr: float,
    alpha: float,
    eps: float,
    weight_decay: float,
    momentum: float,
    maximize: bool,
) -> None:
    """One RMSprop step, in place: PyTorch's ``_single_tensor_rmsprop``, line for line.

    ``param`` is θ, ``grad`` ∇, ``square_avg`` v, ``grad_avg`` ḡ (``None`` unless centered) and
    ``buf`` the momentum buffer b (``None`` when momentum is 0), all the same shape. The
    in-place helpers are PyTorch's tensor methods (:mod:`._inplace`); PyTorch's new tensors
    (``-grad``, ``grad.add(...)``, ``square_avg.sqrt()``) are written into ``scratch``,
    arrays of that shape.
    """
    grad = decayed_grad(grad, param, weight_decay, maximize, scratch)

    addcmul_(mul_(square_avg, alpha), grad, grad, value=1 - alpha)

    if grad_avg is not None:
        lerp_(grad_avg, grad, 1 - alpha)
        avg = sqrt_(addcmul(square_avg, grad_avg, grad_avg, value=-1, out=scratch[1]))
    else:
        avg = np.sqrt(square_avg, out=scratch[1])
    avg = add_(avg, eps)

    if buf is not None:
        addcdiv_(mul_(buf, momentum), grad, avg)
        add_(param, buf, alpha=-lr)
    else:
        addcdiv_(param, grad, avg, value=-lr)
