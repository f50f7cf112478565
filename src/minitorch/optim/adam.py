"""Adam and AdamW: adaptive moment estimation, with L2 or decoupled weight decay.

Both classes share one update rule (:func:`adam_update`); they differ only in where
the weight decay goes, as in PyTorch, where ``AdamW`` is ``Adam`` with
``decoupled_weight_decay=True``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from .optimizer import (
    Optimizer,
    axpy_,
    check_flag,
    check_fraction,
    check_non_negative,
    gradient_with_decay,
    lerp_,
    scale_,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

    from ..nn.module import Module


class Adam(Optimizer):
    r"""Adam, computed as ``torch.optim.Adam`` computes it (single-tensor implementation).

    The same operations in the same order: float64 agrees with PyTorch to about 1e-15. In
    float32 the last bit can differ, because PyTorch 2.13's vectorised ``sqrt`` is not correctly
    rounded on this kind of CPU (about 1 value in 6 is 1 ulp off float64's ``sqrt`` rounded;
    NumPy's is exact) and its ``addcmul_`` fuses a product that NumPy rounds.

    Parameters
    ----------
    modules : Module or list of Module
        The model (not ``model.parameters()``).
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
        modules: Module | Sequence[Module],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        amsgrad: bool = False,
        maximize: bool = False,
    ) -> None:
        super().__init__(
            modules,
            lr,
            betas=betas,
            eps=eps,
            weight_decay=weight_decay,
            amsgrad=amsgrad,
            maximize=maximize,
        )

    def check_hyperparameters(self) -> None:
        super().check_hyperparameters()
        owner = type(self).__name__
        betas = self.betas
        if isinstance(betas, np.ndarray):
            betas = tuple(betas.tolist())
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise TypeError(
                f"{owner}: betas must be a pair (beta1, beta2), got {self.betas!r}; "
                "e.g. betas=(0.9, 0.999)"
            )
        hint = " (typical: betas=(0.9, 0.999))"
        self.betas = (
            check_fraction(owner, "betas[0]", betas[0], hint),
            check_fraction(owner, "betas[1]", betas[1], hint),
        )
        self.eps = check_non_negative(owner, "eps", self.eps, " (typical: 1e-8)")
        self.weight_decay = check_non_negative(owner, "weight_decay", self.weight_decay)
        self.amsgrad = check_flag(owner, "amsgrad", self.amsgrad)
        self.maximize = check_flag(owner, "maximize", self.maximize)

    def update_parameter(self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any]) -> None:
        if not state:
            state["step"] = 0
            state["exp_avg"] = np.zeros_like(param)
            state["exp_avg_sq"] = np.zeros_like(param)
        if self.amsgrad and "max_exp_avg_sq" not in state:
            state["max_exp_avg_sq"] = np.zeros_like(param)
        state["step"] += 1
        self.apply_in_chunks(
            adam_update,
            param,
            grad,
            state["exp_avg"],
            state["exp_avg_sq"],
            state.get("max_exp_avg_sq"),
            step=state["step"],
            lr=float(self.lr),
            betas=self.betas,
            eps=self.eps,
            weight_decay=self.weight_decay,
            decoupled_weight_decay=self.decoupled_weight_decay,
            amsgrad=self.amsgrad,
            maximize=self.maximize,
        )


def adam_update(
    p: np.ndarray,
    grad: np.ndarray,
    exp_avg: np.ndarray,
    exp_avg_sq: np.ndarray,
    max_exp_avg_sq: np.ndarray | None,
    work: tuple[np.ndarray, np.ndarray],
    *,
    step: int,
    lr: float,
    betas: tuple[float, float],
    eps: float,
    weight_decay: float,
    decoupled_weight_decay: bool,
    amsgrad: bool,
    maximize: bool,
) -> None:
    """One Adam (or AdamW) step, in place: the math of :class:`Adam`, line by line.

    ``p`` is θ, ``grad`` ∇, ``exp_avg`` m, ``exp_avg_sq`` v and ``max_exp_avg_sq`` v̂ (``None``
    without amsgrad), all the same shape; ``work`` is two scratch arrays of that shape; ``step``
    is t, already counting this step. Each comment is the plain NumPy the lines under it
    compute, operation for operation (so with the same rounding; ``a·x + y`` in
    ``gradient_with_decay`` and ``axpy_`` is rounded once, as in PyTorch); the lines themselves
    write into existing arrays (``*=``, ``out=``) instead of allocating new ones.
    """
    beta1, beta2 = betas
    bias_correction1 = 1 - beta1**step
    bias_correction2_sqrt = (1 - beta2**step) ** 0.5
    step_size = lr / bias_correction1
    tmp = work[1]
    if decoupled_weight_decay:  # AdamW: the decay shrinks θ itself, outside the moments
        # p = p * (1 - lr * weight_decay)
        if weight_decay != 0:
            scale_(p, 1 - lr * weight_decay)
        weight_decay = 0
    # g = (-grad if maximize else grad) + weight_decay * p
    g = gradient_with_decay(p, grad, weight_decay, maximize, out=work[0])
    # m = m + (1 - beta1) * (g - m)                  computed as torch.lerp does (see lerp_)
    lerp_(exp_avg, g, 1 - beta1, tmp)
    # v = beta2 * v + (1 - beta2) * g * g
    scale_(exp_avg_sq, beta2)
    squared = np.multiply(g, 1 - beta2, out=tmp)
    squared *= g
    exp_avg_sq += squared
    # v_hat = np.maximum(v_hat, v) if amsgrad else v
    v_hat = np.maximum(max_exp_avg_sq, exp_avg_sq, out=max_exp_avg_sq) if amsgrad else exp_avg_sq
    # denominator = np.sqrt(v_hat) / bias_correction2_sqrt + eps
    denominator = np.sqrt(v_hat, out=tmp)
    denominator /= bias_correction2_sqrt
    denominator += eps
    # p += -step_size * m / denominator              (g is done with, so work[0] takes this)
    update = np.multiply(exp_avg, -step_size, out=work[0])
    update /= denominator
    axpy_(p, update, 1.0)  # p + update, on BLAS's fast path


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
    """

    decoupled_weight_decay: ClassVar[bool] = True

    def __init__(
        self,
        modules: Module | Sequence[Module],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
        maximize: bool = False,
    ) -> None:
        super().__init__(modules, lr, betas, eps, weight_decay, amsgrad, maximize)
