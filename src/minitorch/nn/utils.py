"""Utilities on a model's gradients: ``from minitorch.nn.utils import clip_grad_norm_``."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .._validation import check_float
from .module import freeze_count

__all__ = ["clip_grad_norm_"]


def _gradients(modules: Any, caller: str) -> list[np.ndarray]:
    """The non-``None`` gradients of a Module or a list of Modules, each array once."""
    if hasattr(modules, "grads") and callable(modules.grads):
        modules = [modules]
    elif not isinstance(modules, (list, tuple)) or not all(
        hasattr(m, "grads") and callable(m.grads) for m in modules
    ):
        what = type(modules).__name__
        if (
            modules
            and isinstance(modules, (list, tuple))
            and all(isinstance(m, np.ndarray) for m in modules)
        ):
            what = f"a {what} of NumPy arrays"
        raise TypeError(
            f"{caller} expects the model (a Module) or a list of Modules, got {what}. "
            f"Pass the model itself: {caller}(model, max_norm=1.0) (NumPy arrays carry no "
            "gradient, so model.parameters() cannot be clipped)"
        )
    grads, seen = [], set()
    for module in modules:
        module_grads = module.grads()
        frozen_flags = getattr(module, "frozen_flags", None)  # a module-like object may lack it
        if freeze_count() and callable(frozen_flags):  # a frozen gradient is PyTorch's None
            flags = frozen_flags()
            module_grads = [g for g, frozen in zip(module_grads, flags, strict=True) if not frozen]
        for grad in module_grads:
            if grad is not None and id(grad) not in seen:
                seen.add(id(grad))
                grads.append(grad)
    return grads


def _norm(array: np.ndarray, norm_type: float) -> float:
    flat = array.reshape(-1)
    if norm_type == 2.0:
        return math.sqrt(float(np.dot(flat, flat)))
    if math.isinf(norm_type):
        magnitudes = np.abs(flat)
        return float(magnitudes.max() if norm_type > 0 else magnitudes.min())
    return float(np.sum(np.abs(flat) ** norm_type) ** (1.0 / norm_type))


#: Why clip_grad_norm_ refuses what PyTorch accepts, by argument and case.
_CLIP_HARM = {
    "max_norm": "a negative max_norm makes the factor max_norm / ‖g‖ negative, which flips every "
    "gradient: the step becomes gradient ascent",
    "norm_type=0": "norm_type=0 counts the non-zero entries, which is not a norm: scaling the "
    "gradients leaves the count unchanged, so clipping by it bounds nothing",
    "norm_type<0": "a negative norm_type is not a norm: it is at most the smallest magnitude "
    "(-inf gives exactly that), so one zero entry makes it 0 and nothing is ever clipped",
}
_CLIP_REFUSED = "PyTorch accepts it, minitorch refuses it as it only harms"


def _clip_arguments(max_norm: Any, norm_type: Any) -> tuple[float, float]:
    """clip_grad_norm_'s ``max_norm`` (>= 0, inf allowed) and ``norm_type`` (> 0, inf or
    ``'inf'`` allowed) as floats; what PyTorch accepts but only harms is refused saying why."""
    owner = "clip_grad_norm_"
    number = check_float(owner, "max_norm", max_norm, infinite=True)
    if number < 0:
        raise ValueError(
            f"{owner}: max_norm must be non-negative, got {max_norm!r} "
            f"({_CLIP_HARM['max_norm']}; {_CLIP_REFUSED}; typical: 1.0)"
        )
    if norm_type == "inf":  # PyTorch's spelling, float('inf') of the string
        norm_type = math.inf
    p = check_float(owner, "norm_type", norm_type, infinite=True)
    if p <= 0:
        harm = _CLIP_HARM["norm_type=0" if p == 0 else "norm_type<0"]
        raise ValueError(
            f"{owner}: norm_type must be positive, got {norm_type!r} "
            f"({harm}; {_CLIP_REFUSED}; typical: 2.0, or inf for the largest magnitude)"
        )
    return number, p


def clip_grad_norm_(
    modules: Any,
    max_norm: float,
    norm_type: float = 2.0,
    error_if_nonfinite: bool = False,
) -> np.floating:
    r"""Scale all gradients down, in place, so that their joint norm is at most ``max_norm``.

    As ``torch.nn.utils.clip_grad_norm_``, given the model instead of its parameters
    (minitorch's optimizers take modules too, since NumPy arrays carry no gradient). Call it
    after ``backward`` and before ``optimizer.step()``.

    Parameters
    ----------
    modules : Module or list of Module
        Whose gradients (``grads()``) to clip; ``None`` gradients and those of frozen layers
        (``requires_grad_(False)``, whose gradients PyTorch leaves ``None``) are skipped, and a
        gradient shared by two modules (a tied weight) counts once.
    max_norm : float
        The largest norm allowed: a number >= 0 (``inf``: no clipping). A negative one, which
        PyTorch accepts and which flips every gradient (gradient ascent), is refused, as are
        NaN, strings and booleans.
    norm_type : float
        p of the p-norm, a number > 0 (default 2; ``float('inf')`` or ``'inf'`` for the
        largest magnitude). PyTorch's 0 (a count of non-zeros), negative p and −inf (the
        smallest magnitude) are no norm to clip by and are refused, as are ``'fro'``, NaN and
        booleans.
    error_if_nonfinite : bool
        Raise ``RuntimeError`` when the total norm is NaN or infinite (default ``False``: as in
        PyTorch, the gradients are then scaled by a NaN coefficient and become NaN).

    Returns
    -------
    numpy floating scalar
        The total norm of the gradients *before* clipping (``float(norm)`` works), in the
        gradients' dtype; 0 if there are none.

    Math
    ----
    The gradients are treated as one long vector g::

        ‖g‖ₚ = ‖(‖g₁‖ₚ, ‖g₂‖ₚ, ...)‖ₚ                   the norm of the per-array norms
        c    = min(max_norm / (‖g‖ₚ + 10⁻⁶), 1)
        gᵢ  ← c · gᵢ                                   (only when c < 1: c = 1 changes nothing)
    """
    grads = _gradients(modules, "clip_grad_norm_")
    max_norm, norm_type = _clip_arguments(max_norm, norm_type)
    dtype = grads[0].dtype if grads else np.dtype(np.float32)
    if not grads:
        return dtype.type(0.0)
    with np.errstate(over="ignore"):  # a norm past the dtype's range is inf, as PyTorch's
        norms = np.array([_norm(g, norm_type) for g in grads])
        total = _norm(norms, norm_type)
    if error_if_nonfinite and not math.isfinite(total):
        raise RuntimeError(
            f"clip_grad_norm_: the total norm of order {norm_type} of the gradients is "
            f"{total}, so it cannot be clipped. Look for a NaN or infinite loss (a learning "
            "rate that is too high, log of 0); pass error_if_nonfinite=False to scale the "
            "gradients by the non-finite norm anyway"
        )
    coefficient = max_norm / (total + 1e-6)
    if not coefficient >= 1.0:  # also when NaN: then, as in PyTorch, the gradients become NaN
        with np.errstate(invalid="ignore"):  # inf · 0 is NaN, quietly as in PyTorch
            for grad in grads:
                grad *= grad.dtype.type(coefficient)
    return dtype.type(total)
