"""Adagrad: per-coordinate learning rates from the sum of all past squared gradients."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from .._validation import check_flag
from ._checks import check_non_negative
from ._grad import decayed_grad
from ._inplace import add_, addcdiv_, addcmul_
from .optimizer import Optimizer

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
    params : Module, list of Module, or list of dict
        The model (not ``model.parameters()``), or parameter groups (see
        :class:`~minitorch.optim.Optimizer`).
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

    The code is :func:`adagrad`. State per parameter: ``step`` t and ``sum`` s (shaped like θ).
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
        params: Module | Sequence[Module] | Sequence[dict[str, Any]],
        lr: float = 1e-2,
        lr_decay: float = 0,
        weight_decay: float = 0,
        initial_accumulator_value: float = 0,
        eps: float = 1e-10,
        maximize: bool = False,
    ) -> None:
        super().__init__(
            params,
            lr,
            lr_decay=lr_decay,
            weight_decay=weight_decay,
            initial_accumulator_value=initial_accumulator_value,
            eps=eps,
            maximize=maximize,
        )

    def check_hyperparameters(self, group: dict[str, Any]) -> None:
        super().check_hyperparameters(group)
        group["lr_decay"] = check_non_negative("Adagrad", "lr_decay", group["lr_decay"])
        group["weight_decay"] = check_non_negative("Adagrad", "weight_decay", group["weight_decay"])
        group["initial_accumulator_value"] = check_non_negative(
            "Adagrad", "initial_accumulator_value", group["initial_accumulator_value"]
        )
        group["eps"] = check_non_negative("Adagrad", "eps", group["eps"], " (typical: 1e-10)")
        group["maximize"] = check_flag("Adagrad", "maximize", group["maximize"])

    def update_parameter(
        self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]
    ) -> None:
        if not state:
            state["step"] = 0
            state["sum"] = np.full_like(param, group["initial_accumulator_value"])
        state["step"] += 1
        self.apply_in_chunks(
            adagrad,
            param,
            grad,
            state["sum"],
            step=state["step"],
            lr=group["lr"],
            lr_decay=group["lr_decay"],
            weight_decay=group["weight_decay"],
            eps=group["eps"],
            maximize=group["maximize"],
        )


def adagrad(
    param: np.ndarray,
    grad: np.ndarray,
    state_sum: np.ndarray,
    scratch: tuple[np.ndarray, ...],
    *,
    step: int,
    lr: float,
    lr_decay: float,
    weight_decay: float,
    eps: float,
    maximize: bool,
) -> None:
    """One Adagrad step, in place: PyTorch's ``_single_tensor_adagrad`` (dense), line for line.

    ``param`` is θ, ``grad`` ∇ and ``state_sum`` s, all the same shape; ``step`` is t, already
    counting this step. The in-place helpers are PyTorch's tensor methods (:mod:`._inplace`);
    PyTorch's new tensors (``-grad``, ``grad.add(...)``, ``state_sum.sqrt()``) are written into
    ``scratch``, arrays of that shape.
    """
    grad = decayed_grad(grad, param, weight_decay, maximize, scratch)

    clr = lr / (1 + (step - 1) * lr_decay)

    addcmul_(state_sum, grad, grad, value=1)
    std = add_(np.sqrt(state_sum, out=scratch[1]), eps)
    addcdiv_(param, grad, std, value=-clr)
