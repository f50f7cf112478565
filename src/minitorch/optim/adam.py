"""Adam and AdamW: adaptive moment estimation, with L2 or decoupled weight decay.

Both classes share one update rule (:func:`adam`); they differ only in where the weight decay
goes, as in PyTorch, where ``AdamW`` is ``Adam`` with ``decoupled_weight_decay=True``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from .._validation import check_flag
from ._checks import check_fraction, check_non_negative
from ._grad import decayed_grad
from ._inplace import add_, addcdiv_, addcmul_, div_, lerp_, mul_
from .optimizer import Optimizer

if TYPE_CHECKING:
    from collections.abc import Sequence

    from ..nn.module import Module


class Adam(Optimizer):
    r"""Adam, computed as ``torch.optim.Adam`` computes it (single-tensor implementation).

    The same operations in the same order: float64 agrees with PyTorch to about 1e-15. In
    float32 the last bit can differ, because PyTorch 2.13's vectorised ``sqrt`` is not correctly
    rounded on this kind of CPU (about 1 value in 6 is 1 ulp off float64's ``sqrt`` rounded;
    NumPy's is exact) and its ``addcmul_`` fuses a product that NumPy rounds (see
    :mod:`minitorch.optim._inplace`).

    Parameters
    ----------
    params : Module, list of Module, or list of dict
        The model (not ``model.parameters()``), or parameter groups (see
        :class:`~minitorch.optim.Optimizer`).
    lr : float
        Learning rate γ (default 1e-3).
    betas : tuple of 2 floats
        Decay rates (β₁, β₂) in [0, 1) of the first and second moment estimates
        (default (0.9, 0.999)).
    eps : float
        ε added to the denominator for numerical stability (default 1e-8).
    weight_decay : float
        L2 penalty λ added to the gradient (default 0). For decoupled decay use :class:`AdamW`.
    amsgrad : bool
        Normalise by the running maximum of v instead of v itself (AMSGrad).
    maximize : bool
        Follow the gradient uphill instead of downhill.

    Math
    ----
    For each parameter θ with gradient ∇, at its step t = 1, 2, ...::

        g  = −∇ if maximize else ∇
        g  = g + λ θ                             (Adam, if λ ≠ 0)
        θ  = θ (1 − γ λ)                         (AdamW, if λ ≠ 0: decay outside the moments)
        m  = m + (1 − β₁) (g − m)                first moment  (= β₁ m + (1 − β₁) g)
        v  = β₂ v + (1 − β₂) g²                  second moment
        v̂  = max(v̂, v)   if amsgrad, else  v̂ = v
        θ  = θ − (γ / (1 − β₁ᵗ)) · m / (√v̂ / √(1 − β₂ᵗ) + ε)

    m and v start at zero; the bias corrections 1 − β₁ᵗ and 1 − β₂ᵗ undo that start.
    The code is :func:`adam`.

    State per parameter: ``step`` t, ``exp_avg`` m, ``exp_avg_sq`` v and, with amsgrad,
    ``max_exp_avg_sq`` v̂ (arrays shaped like θ).
    """

    hyperparameter_names: ClassVar[tuple[str, ...]] = (
        "lr",
        "betas",
        "eps",
        "weight_decay",
        "amsgrad",
        "maximize",
    )
    #: Where the weight decay goes: into the gradient (Adam) or straight onto θ (AdamW).
    decoupled_weight_decay: ClassVar[bool] = False

    def __init__(
        self,
        params: Module | Sequence[Module] | Sequence[dict[str, Any]],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        amsgrad: bool = False,
        maximize: bool = False,
    ) -> None:
        super().__init__(
            params,
            lr,
            betas=betas,
            eps=eps,
            weight_decay=weight_decay,
            amsgrad=amsgrad,
            maximize=maximize,
        )

    def check_hyperparameters(self, group: dict[str, Any]) -> None:
        super().check_hyperparameters(group)
        owner = type(self).__name__
        betas = group["betas"]
        if isinstance(betas, np.ndarray):
            betas = tuple(betas.tolist())
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise TypeError(
                f"{owner}: betas must be a pair (beta1, beta2), got {group['betas']!r}; "
                "e.g. betas=(0.9, 0.999)"
            )
        hint = " (typical: betas=(0.9, 0.999))"
        group["betas"] = (
            check_fraction(owner, "betas[0]", betas[0], hint),
            check_fraction(owner, "betas[1]", betas[1], hint),
        )
        group["eps"] = check_non_negative(owner, "eps", group["eps"], " (typical: 1e-8)")
        group["weight_decay"] = check_non_negative(owner, "weight_decay", group["weight_decay"])
        group["amsgrad"] = check_flag(owner, "amsgrad", group["amsgrad"])
        group["maximize"] = check_flag(owner, "maximize", group["maximize"])

    def update_parameter(
        self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]
    ) -> None:
        if not state:
            state["step"] = 0
            state["exp_avg"] = np.zeros_like(param)
            state["exp_avg_sq"] = np.zeros_like(param)
        if group["amsgrad"] and "max_exp_avg_sq" not in state:
            state["max_exp_avg_sq"] = np.zeros_like(param)
        state["step"] += 1
        beta1, beta2 = group["betas"]
        self.apply_in_chunks(
            adam,
            param,
            grad,
            state["exp_avg"],
            state["exp_avg_sq"],
            state.get("max_exp_avg_sq"),
            step=state["step"],
            lr=group["lr"],
            beta1=beta1,
            beta2=beta2,
            eps=group["eps"],
            weight_decay=group["weight_decay"],
            decoupled_weight_decay=self.decoupled_weight_decay,
            amsgrad=group["amsgrad"],
            maximize=group["maximize"],
        )


def adam(
    param: np.ndarray,
    grad: np.ndarray,
    exp_avg: np.ndarray,
    exp_avg_sq: np.ndarray,
    max_exp_avg_sq: np.ndarray | None,
    scratch: tuple[np.ndarray, ...],
    *,
    step: int,
    lr: float,
    beta1: float,
    beta2: float,
    eps: float,
    weight_decay: float,
    decoupled_weight_decay: bool,
    amsgrad: bool,
    maximize: bool,
) -> None:
    """One Adam (or AdamW) step, in place: PyTorch's ``_single_tensor_adam``, line for line.

    ``param`` is θ, ``grad`` ∇, ``exp_avg`` m, ``exp_avg_sq`` v and ``max_exp_avg_sq`` v̂
    (``None`` without amsgrad), all the same shape; ``step`` is t, already counting this step.
    The in-place helpers are PyTorch's tensor methods (:mod:`._inplace`); PyTorch's new tensors
    (``-grad``, ``grad.add(...)``, ``exp_avg_sq.sqrt()``) are written into ``scratch``,
    arrays of that shape.

    AdamW: θ = θ·(1 − lr·λ), g = ∇;  Adam: g = ∇ + λθ   (−∇ to maximize)
    m = β₁ m + (1 − β₁) g;  v = β₂ v + (1 − β₂) g²;  amsgrad: v̂ = max(v̂, v), used for v
    θ = θ − (lr / (1 − β₁ᵗ)) · m / (√v / √(1 − β₂ᵗ) + ε)
    """
    if decoupled_weight_decay:  # AdamW: θ shrinks; g is not decayed
        if weight_decay != 0:
            mul_(param, 1 - lr * weight_decay)
        grad = decayed_grad(grad, param, 0.0, maximize, scratch)
    else:
        grad = decayed_grad(grad, param, weight_decay, maximize, scratch)

    lerp_(exp_avg, grad, 1 - beta1)
    addcmul_(mul_(exp_avg_sq, beta2), grad, grad, value=1 - beta2)

    bias_correction1 = 1 - beta1**step
    bias_correction2 = 1 - beta2**step
    step_size = lr / bias_correction1
    bias_correction2_sqrt = bias_correction2**0.5

    if amsgrad:
        np.maximum(max_exp_avg_sq, exp_avg_sq, out=max_exp_avg_sq)
        denom = add_(div_(np.sqrt(max_exp_avg_sq, out=scratch[1]), bias_correction2_sqrt), eps)
    else:
        denom = add_(div_(np.sqrt(exp_avg_sq, out=scratch[1]), bias_correction2_sqrt), eps)
    addcdiv_(param, exp_avg, denom, value=-step_size)


class AdamW(Adam):
    r"""AdamW: Adam with decoupled weight decay, computed as ``torch.optim.AdamW`` computes it.

    The same parameters and update as :class:`Adam`, except that the weight decay shrinks the
    parameter directly, ``θ ← θ (1 − γ λ)``, before the moment updates, instead of being added to
    the gradient (where Adam's normalisation would rescale it). Default ``weight_decay=1e-2``.

    Math
    ----
    ::

        θ  = θ (1 − γ λ)
        g  = −∇ if maximize else ∇
        m  = m + (1 − β₁) (g − m)
        v  = β₂ v + (1 − β₂) g²
        v̂  = max(v̂, v)   if amsgrad, else  v̂ = v
        θ  = θ − (γ / (1 − β₁ᵗ)) · m / (√v̂ / √(1 − β₂ᵗ) + ε)

    The code is :func:`adam` (with ``decoupled_weight_decay=True``).
    """

    decoupled_weight_decay: ClassVar[bool] = True

    def __init__(
        self,
        params: Module | Sequence[Module] | Sequence[dict[str, Any]],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
        maximize: bool = False,
    ) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize)
