"""Adagrad: per-coordinate learning rates from the sum of all past squared gradients."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from .optimizer import Optimizer, check_flag, check_non_negative, gradient_with_decay

if TYPE_CHECKING:
    from collections.abc import Sequence

    from ..nn.module import Module


class Adagrad(Optimizer):
    r"""Adagrad, computed as ``torch.optim.Adagrad`` computes it (dense, single-tensor).

    The same operations in the same order (float64 agrees to about 1e-15); in float32 the last
    bit can differ where PyTorch's vectorised ``sqrt`` is not correctly rounded (see
    :class:`~minitorch.optim.Adam`).

    Parameters
    ----------
    modules : Module or list of Module
        The model (not ``model.parameters()``).
    lr : float
        Learning rate γ (default 1e-2).
    lr_decay : float
        η >= 0: the learning rate at step t is γ / (1 + (t − 1) η) (default 0).
    weight_decay : float
        L2 penalty λ added to the gradient (default 0).
    initial_accumulator_value : float
        Starting value s₀ >= 0 of the sum of squared gradients (default 0).
    eps : float
        ε added to the denominator for numerical stability (default 1e-10).
    maximize : bool
        Follow the gradient uphill instead of downhill.

    Math
    ----
    For each parameter θ with gradient ∇, at its step t = 1, 2, ...::

        g  = −∇ if maximize else ∇
        g  = g + λ θ                          if λ ≠ 0
        γₜ = γ / (1 + (t − 1) η)
        s  = s + g²                           s starts at s₀
        θ  = θ − γₜ g / (√s + ε)

    State per parameter: ``step`` t and ``sum`` s (shaped like θ).
    """

    hyperparameter_names: ClassVar[tuple[str, ...]] = (
        "lr",
        "lr_decay",
        "weight_decay",
        "initial_accumulator_value",
        "eps",
        "maximize",
    )

    def __init__(
        self,
        modules: Module | Sequence[Module],
        lr: float = 1e-2,
        lr_decay: float = 0,
        weight_decay: float = 0,
        initial_accumulator_value: float = 0,
        eps: float = 1e-10,
        maximize: bool = False,
    ) -> None:
        super().__init__(
            modules,
            lr,
            lr_decay=lr_decay,
            weight_decay=weight_decay,
            initial_accumulator_value=initial_accumulator_value,
            eps=eps,
            maximize=maximize,
        )

    def check_hyperparameters(self) -> None:
        super().check_hyperparameters()
        self.lr_decay = check_non_negative("Adagrad", "lr_decay", self.lr_decay)
        self.weight_decay = check_non_negative("Adagrad", "weight_decay", self.weight_decay)
        self.initial_accumulator_value = check_non_negative(
            "Adagrad", "initial_accumulator_value", self.initial_accumulator_value
        )
        self.eps = check_non_negative("Adagrad", "eps", self.eps, " (typical: 1e-10)")
        self.maximize = check_flag("Adagrad", "maximize", self.maximize)

    def update_parameter(self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any]) -> None:
        if not state:
            state["step"] = 0
            state["sum"] = np.full_like(param, self.initial_accumulator_value)
        state["step"] += 1
        self.apply_in_chunks(
            adagrad_update,
            param,
            grad,
            state["sum"],
            step=state["step"],
            lr=float(self.lr),
            lr_decay=self.lr_decay,
            weight_decay=self.weight_decay,
            eps=self.eps,
            maximize=self.maximize,
        )


def adagrad_update(
    p: np.ndarray,
    grad: np.ndarray,
    state_sum: np.ndarray,
    work: tuple[np.ndarray, np.ndarray],
    *,
    step: int,
    lr: float,
    lr_decay: float,
    weight_decay: float,
    eps: float,
    maximize: bool,
) -> None:
    """One Adagrad step, in place: the math of :class:`Adagrad`, line by line.

    ``p`` is θ, ``grad`` ∇ and ``state_sum`` s, all the same shape; ``work`` is two scratch
    arrays of that shape; ``step`` is t, already counting this step. Each comment is the plain
    NumPy the lines under it compute, operation for operation (so with the same rounding; ``a·x
    + y`` in ``gradient_with_decay`` and ``axpy_`` is rounded once, as in PyTorch); the lines
    themselves write into existing arrays (``+=``, ``out=``) instead of allocating new ones.
    """
    tmp = work[1]
    decayed_lr = lr / (1 + (step - 1) * lr_decay)
    # g = (-grad if maximize else grad) + weight_decay * p
    g = gradient_with_decay(p, grad, weight_decay, maximize, out=work[0])
    # s = s + g * g
    state_sum += np.multiply(g, g, out=tmp)
    # denominator = np.sqrt(s) + eps
    denominator = np.sqrt(state_sum, out=tmp)
    denominator += eps
    # p += -decayed_lr * g / denominator
    update = np.multiply(g, -decayed_lr, out=work[0])
    update /= denominator
    p += update
