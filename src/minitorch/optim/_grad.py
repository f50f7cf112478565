"""The gradient every update rule starts from, written once for all of them.

PyTorch's optimizers each begin with the same two lines, ``grad = grad if not maximize else
-grad`` and ``grad = grad.add(param, alpha=weight_decay)`` (the L2 penalty's gradient λθ);
:func:`decayed_grad` is those lines, so that each update rule (``sgd``, ``adam``, ...) holds only
its own formula.
"""

from __future__ import annotations

import numpy as np

from ._inplace import add, neg

__all__ = ["decayed_grad"]


def decayed_grad(
    grad: np.ndarray,
    param: np.ndarray,
    weight_decay: float,
    maximize: bool,
    scratch: tuple[np.ndarray, ...],
) -> np.ndarray:
    """g = (−∇ if maximize else ∇) + λθ, PyTorch's numbers bit for bit.

    ``grad`` is ∇ itself when neither applies (no copy); otherwise the result is written into
    ``scratch[0]``, an array of the parameter's shape.
    """
    grad = neg(grad, out=scratch[0]) if maximize else grad
    if weight_decay:
        grad = add(grad, param, alpha=weight_decay, out=scratch[0])
    return grad
