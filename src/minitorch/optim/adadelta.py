"""Adadelta: step sizes from running averages of squared gradients and squared updates."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from .._validation import check_flag
from ._checks import RHO_HARM, check_fraction, check_non_negative, check_number
from ._grad import decayed_grad
from ._inplace import add, add_, addcmul_, div_, mul_, sqrt_
from .optimizer import Optimizer

if TYPE_CHECKING:
    from collections.abc import Sequence

    from ..nn.module import Module


class Adadelta(Optimizer):
    r"""Adadelta (Zeiler, 2012), computed as ``torch.optim.Adadelta`` computes it (single-tensor).

    pytorch/examples' MNIST trains with ``Adadelta(model.parameters(), lr=1.0)``; here
    ``optim.Adadelta(model, lr=1.0)``. The same operations in the same order (float64 agrees
    with PyTorch to about 1e-15); in float32 the last bit can differ where PyTorch's vectorised
    ``sqrt`` is not correctly rounded and its ``addcmul_`` fuses a product (see
    :class:`~minitorch.optim.Adam`).

    Parameters
    ----------
    params : Module, list of Module, or list of dict
        The model (not ``model.parameters()``), or parameter groups (see
        :class:`~minitorch.optim.Optimizer`).
    lr : float
        Learning rate γ, the factor of each update Δ (default 1.0).
    rho : float
        Decay rate ρ in [0, 1) of both running averages (default 0.9). PyTorch also accepts
        ρ = 1, which keeps both averages at 0 and makes every step γ·g: plain SGD.
    eps : float
        ε added inside both square roots (default 1e-6).
    weight_decay : float
        L2 penalty λ added to the gradient (default 0).
    maximize : bool
        Follow the gradient uphill instead of downhill.

    Math
    ----
    For each parameter θ with gradient ∇::

        g  = −∇ if maximize else ∇
        g  = g + λ θ                          if λ ≠ 0
        v  = ρ v + (1 − ρ) g²                 running mean of g²
        Δ  = √(u + ε) / √(v + ε) · g          the update, in the units of θ
        u  = ρ u + (1 − ρ) Δ²                 running mean of Δ²
        θ  = θ − γ Δ

    v and u start at zero. The code is :func:`adadelta`. State per parameter: ``step``,
    ``square_avg`` v and ``acc_delta`` u (shaped like θ).
    """

    hyperparameter_names: ClassVar[tuple[str, ...]] = (
        "lr",
        "rho",
        "eps",
        "weight_decay",
        "maximize",
    )

    def __init__(
        self,
        params: Module | Sequence[Module] | Sequence[dict[str, Any]],
        lr: float = 1.0,
        rho: float = 0.9,
        eps: float = 1e-6,
        weight_decay: float = 0,
        maximize: bool = False,
    ) -> None:
        super().__init__(
            params, lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize
        )

    def check_hyperparameters(self, group: dict[str, Any]) -> None:
        super().check_hyperparameters(group)
        rho = check_number("Adadelta", "rho", group["rho"])
        why = f"{RHO_HARM}; PyTorch accepts it, minitorch refuses it as it only harms; "
        hint = f" ({why if rho == 1 else ''}typical: 0.9)"
        group["rho"] = check_fraction("Adadelta", "rho", group["rho"], hint)
        group["eps"] = check_non_negative("Adadelta", "eps", group["eps"], " (typical: 1e-6)")
        group["weight_decay"] = check_non_negative(
            "Adadelta", "weight_decay", group["weight_decay"]
        )
        group["maximize"] = check_flag("Adadelta", "maximize", group["maximize"])

    def update_parameter(
        self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]
    ) -> None:
        if not state:
            state["step"] = 0
            state["square_avg"] = np.zeros_like(param)
            state["acc_delta"] = np.zeros_like(param)
        state["step"] += 1
        self.apply_in_chunks(
            adadelta,
            param,
            grad,
            state["square_avg"],
            state["acc_delta"],
            lr=group["lr"],
            rho=group["rho"],
            eps=group["eps"],
            weight_decay=group["weight_decay"],
            maximize=group["maximize"],
        )


def adadelta(
    param: np.ndarray,
    grad: np.ndarray,
    square_avg: np.ndarray,
    acc_delta: np.ndarray,
    scratch: tuple[np.ndarray, ...],
    *,
    lr: float,
    rho: float,
    eps: float,
    weight_decay: float,
    maximize: bool,
) -> None:
    """One Adadelta step, in place: PyTorch's ``_single_tensor_adadelta``, line for line.

    ``param`` is θ, ``grad`` ∇, ``square_avg`` v and ``acc_delta`` u, all the same shape. The
    in-place helpers are PyTorch's tensor methods (:mod:`._inplace`); PyTorch's new tensors
    (``-grad``, ``grad.add(...)``, ``square_avg.add(eps)``, ``acc_delta.add(eps)``) are
    written into ``scratch``, three arrays of that shape.
    """
    grad = decayed_grad(grad, param, weight_decay, maximize, scratch)

    addcmul_(mul_(square_avg, rho), grad, grad, value=1 - rho)
    std = sqrt_(add(square_avg, eps, out=scratch[1]))
    delta = sqrt_(add(acc_delta, eps, out=scratch[2]))
    mul_(div_(delta, std), grad)
    addcmul_(mul_(acc_delta, rho), delta, delta, value=1 - rho)
    add_(param, delta, alpha=-lr)
