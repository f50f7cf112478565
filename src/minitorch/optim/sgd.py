"""Stochastic gradient descent, with optional momentum, Nesterov momentum and weight decay."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from .._validation import check_flag
from ._checks import MOMENTUM_HARM, check_decay_factor, check_non_negative, check_number
from ._grad import decayed_grad
from ._inplace import add, add_, mul_
from .optimizer import Optimizer

if TYPE_CHECKING:
    from collections.abc import Sequence

    from ..nn.module import Module


class SGD(Optimizer):
    r"""Stochastic gradient descent, identical to ``torch.optim.SGD`` to the last bit.

    Parameters
    ----------
    params : Module, list of Module, or list of dict
        The model (not ``model.parameters()``), or parameter groups (see
        :class:`~minitorch.optim.Optimizer`).
    lr : float
        Learning rate γ (default 0.01, from the course specification; PyTorch has no default).
    momentum : float
        Momentum factor μ in [0, 1) (default 0: plain SGD; PyTorch also accepts μ >= 1).
    dampening : float
        Dampening τ in [0, 1] for momentum (default 0).
    weight_decay : float
        L2 penalty λ >= 0 added to the gradient (default 0).
    nesterov : bool
        Use Nesterov momentum (needs ``momentum > 0`` and ``dampening == 0``).
    maximize : bool
        Follow the gradient uphill instead of downhill.

    Math
    ----
    For each parameter θ with gradient ∇ (step t = 1, 2, ...)::

        g  = −∇ if maximize else ∇
        g  = g + λ θ                          if λ ≠ 0
        if μ ≠ 0:
            b = g                             at the parameter's first step (a copy)
            b = μ b + (1 − τ) g               afterwards
            g = g + μ b   if nesterov  else  b
        θ  = θ − γ g

    The code is :func:`sgd`. State per parameter: ``momentum_buffer`` b (only when μ ≠ 0),
    shaped like θ.
    """

    hyperparameter_names: ClassVar[tuple[str, ...]] = (
        "lr",
        "momentum",
        "dampening",
        "weight_decay",
        "nesterov",
        "maximize",
    )

    def __init__(
        self,
        params: Module | Sequence[Module] | Sequence[dict[str, Any]],
        lr: float = 0.01,
        momentum: float = 0,
        dampening: float = 0,
        weight_decay: float = 0,
        nesterov: bool = False,
        maximize: bool = False,
    ) -> None:
        super().__init__(
            params,
            lr,
            momentum=momentum,
            dampening=dampening,
            weight_decay=weight_decay,
            nesterov=nesterov,
            maximize=maximize,
        )

    def check_hyperparameters(self, group: dict[str, Any]) -> None:
        super().check_hyperparameters(group)
        group["momentum"] = check_decay_factor(
            "SGD", "momentum", group["momentum"], MOMENTUM_HARM, typical=0.9
        )
        group["dampening"] = dampening = check_number("SGD", "dampening", group["dampening"])
        if not 0 <= dampening <= 1:
            raise ValueError(f"SGD: dampening must be in [0, 1], got {dampening!r}")
        group["weight_decay"] = check_non_negative("SGD", "weight_decay", group["weight_decay"])
        group["nesterov"] = check_flag("SGD", "nesterov", group["nesterov"])
        group["maximize"] = check_flag("SGD", "maximize", group["maximize"])
        if group["nesterov"] and (group["momentum"] <= 0 or dampening != 0):
            raise ValueError(
                "SGD: nesterov=True needs momentum > 0 and dampening = 0, got "
                f"momentum={group['momentum']}, dampening={dampening}; e.g. "
                "SGD(model, lr=0.01, momentum=0.9, nesterov=True)"
            )

    def update_parameter(
        self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]
    ) -> None:
        buf, first_step = None, False
        if group["momentum"] != 0:
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = state["momentum_buffer"] = np.empty_like(param)
                first_step = True
        self.apply_in_chunks(
            sgd,
            param,
            grad,
            buf,
            lr=group["lr"],
            momentum=group["momentum"],
            dampening=group["dampening"],
            weight_decay=group["weight_decay"],
            nesterov=group["nesterov"],
            maximize=group["maximize"],
            first_step=first_step,
        )


def sgd(
    param: np.ndarray,
    grad: np.ndarray,
    buf: np.ndarray | None,
    scratch: tuple[np.ndarray, ...],
    *,
    lr: float,
    momentum: float,
    dampening: float,
    weight_decay: float,
    nesterov: bool,
    maximize: bool,
    first_step: bool,
) -> None:
    """One SGD step, in place: PyTorch's ``_single_tensor_sgd``, line for line.

    ``param`` is θ, ``grad`` ∇, ``buf`` the momentum buffer b (``None`` when momentum is 0,
    garbage at the parameter's first step), all the same shape. The in-place helpers are
    PyTorch's tensor methods (:mod:`._inplace`); PyTorch's new tensors (``-grad``,
    ``grad.add(...)``) are written into ``scratch``, arrays of that shape. The numbers are
    PyTorch's, bit for bit.

    g = ∇ (−∇ to maximize) + λθ                  (``decayed_grad``)
    b = g at the first step, else b = μ b + (1 − dampening) g
    g = g + μ b with nesterov, else g = b          (only with momentum μ ≠ 0)
    θ = θ − lr · g
    """
    grad = decayed_grad(grad, param, weight_decay, maximize, scratch)
    if momentum != 0:
        if first_step:
            buf[...] = grad  # buf = grad.clone()
        else:
            add_(mul_(buf, momentum), grad, alpha=1 - dampening)
        grad = add(grad, buf, alpha=momentum, out=scratch[1]) if nesterov else buf
    add_(param, grad, alpha=-lr)
