"""Stochastic gradient descent, with optional momentum, Nesterov momentum and weight decay."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from .optimizer import (
    Optimizer,
    axpy_,
    check_flag,
    check_non_negative,
    check_number,
    gradient_with_decay,
    scale_,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

    from ..nn.module import Module


class SGD(Optimizer):
    r"""Stochastic gradient descent, identical to ``torch.optim.SGD`` to the last bit.

    Parameters
    ----------
    modules : Module or list of Module
        The model (not ``model.parameters()``).
    lr : float
        Learning rate γ (default 0.01, from the course specification; PyTorch has no default).
    momentum : float
        Momentum factor μ >= 0 (default 0: plain SGD).
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

    State per parameter: ``momentum_buffer`` b (only when μ ≠ 0), shaped like θ.
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
        modules: Module | Sequence[Module],
        lr: float = 0.01,
        momentum: float = 0,
        dampening: float = 0,
        weight_decay: float = 0,
        nesterov: bool = False,
        maximize: bool = False,
    ) -> None:
        super().__init__(
            modules,
            lr,
            momentum=momentum,
            dampening=dampening,
            weight_decay=weight_decay,
            nesterov=nesterov,
            maximize=maximize,
        )

    def check_hyperparameters(self) -> None:
        super().check_hyperparameters()
        self.momentum = check_non_negative("SGD", "momentum", self.momentum, " (typical: 0.9)")
        self.dampening = check_number("SGD", "dampening", self.dampening)
        if not 0 <= self.dampening <= 1:
            raise ValueError(f"SGD: dampening must be in [0, 1], got {self.dampening!r}")
        self.weight_decay = check_non_negative("SGD", "weight_decay", self.weight_decay)
        self.nesterov = check_flag("SGD", "nesterov", self.nesterov)
        self.maximize = check_flag("SGD", "maximize", self.maximize)
        if self.nesterov and (self.momentum <= 0 or self.dampening != 0):
            raise ValueError(
                "SGD: nesterov=True needs momentum > 0 and dampening = 0, got "
                f"momentum={self.momentum}, dampening={self.dampening}; e.g. "
                "SGD(model, lr=0.01, momentum=0.9, nesterov=True)"
            )

    def update_parameter(self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any]) -> None:
        buffer, first_step = None, False
        if self.momentum != 0:
            buffer = state.get("momentum_buffer")
            if buffer is None:
                buffer = state["momentum_buffer"] = np.empty_like(param)
                first_step = True
        self.apply_in_chunks(
            sgd_update,
            param,
            grad,
            buffer,
            lr=float(self.lr),
            momentum=self.momentum,
            dampening=self.dampening,
            weight_decay=self.weight_decay,
            nesterov=self.nesterov,
            maximize=self.maximize,
            first_step=first_step,
        )


def sgd_update(
    p: np.ndarray,
    grad: np.ndarray,
    buf: np.ndarray | None,
    work: tuple[np.ndarray, np.ndarray],
    *,
    lr: float,
    momentum: float,
    dampening: float,
    weight_decay: float,
    nesterov: bool,
    maximize: bool,
    first_step: bool,
) -> None:
    """One SGD step, in place: the math of :class:`SGD`, line by line.

    ``p`` is θ, ``grad`` is ∇, ``buf`` the momentum buffer b (``None`` when momentum is 0), all
    the same shape; ``work`` is two scratch arrays of that shape. Each comment is the plain NumPy
    the lines under it compute; the lines write into existing arrays instead of allocating new
    ones. ``axpy_(y, x, a)`` is ``y += a * x`` rounded once and ``scale_(x, a)`` is ``x *= a``
    (see optimizer.py): PyTorch's ``add_(x, alpha=a)`` and ``mul_(a)``, so the numbers are
    PyTorch's, bit for bit.
    """
    # g = (-grad if maximize else grad) + weight_decay * p
    g = gradient_with_decay(p, grad, weight_decay, maximize, out=work[0])
    if buf is not None:
        if first_step:
            # buf = g.copy()                       PyTorch starts the buffer at the first gradient
            buf[...] = g
        else:
            # buf = momentum * buf + (1 - dampening) * g
            scale_(buf, momentum)
            axpy_(buf, g, 1 - dampening)
        if nesterov:
            # g = g + momentum * buf
            look_ahead = work[1]
            look_ahead[...] = g
            g = axpy_(look_ahead, buf, momentum)
        else:
            # g = buf
            g = buf
    # p -= lr * g
    axpy_(p, g, -lr)
