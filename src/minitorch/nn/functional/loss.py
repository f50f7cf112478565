"""Loss functions as stateless forward/backward pairs.

Each loss ``name`` comes as

* ``name_forward(predictions, targets, ..., reduction='mean') -> (loss, cache)`` and
* ``name_backward(grad_output, cache) -> grad_predictions``,

where ``grad_predictions = dL/d(predictions)`` has the shape and dtype of ``predictions``. The
plain ``name(predictions, targets, ...)`` (``mse_loss``, ``cross_entropy``, ...) returns the loss
value only, like ``torch.nn.functional``.

The losses live by kind: :mod:`.regression_loss` (MSE, L1, Huber), :mod:`.binary_loss` (BCE,
BCE with logits), :mod:`.multiclass_loss` (NLL, cross-entropy), all reduced by
:mod:`.reduction`. This module gathers them under one name, as ``torch.nn.functional`` does.

Every loss first computes an *unreduced* loss ℓ, one value per element (regression, BCE) or per
sample (cross-entropy, NLL), and then reduces it with :func:`reduce_loss_forward`:

* ``'mean'``: L = Σᵢ ℓᵢ / D, with D the number of elements, or for class-index targets the sum of
  the weights of the targets that are not ignored (as PyTorch);
* ``'sum'``:  L = Σᵢ ℓᵢ;
* ``'none'``: L = ℓ itself, an array.

:func:`reduce_loss_backward` turns ``grad_output`` into the *scale* s = dL_total/dℓ of each
unreduced value: ``grad_output / D`` for ``'mean'``, ``grad_output`` for ``'sum'`` (both scalars,
default 1) and, for ``'none'``, the array ``grad_output`` of ℓ's shape (default ones). Each loss's
backward is then just the chain rule ``dL/dx = s ⊙ dℓ/dx``. This pair is the one place where the
reductions are written; a loss of your own can use it too.

``mean``/``sum`` losses are returned as a NumPy floating scalar of the predictions' dtype, so
``float(loss)`` and ``loss.item()`` both work. The keyword ``name`` of each forward is only used in
error messages (the loss modules pass their class name).
"""

from __future__ import annotations

from .binary_loss import *  # noqa: F403
from .binary_loss import __all__ as _binary_all
from .multiclass_loss import *  # noqa: F403
from .multiclass_loss import __all__ as _multiclass_all
from .reduction import (
    REDUCTIONS,
    ReductionCache,
    check_reduction,
    reduce_loss_backward,
    reduce_loss_forward,
)
from .regression_loss import *  # noqa: F403
from .regression_loss import __all__ as _regression_all

__all__ = [
    *_binary_all,
    *_multiclass_all,
    *_regression_all,
    "REDUCTIONS",
    "ReductionCache",
    "check_reduction",
    "reduce_loss_backward",
    "reduce_loss_forward",
]
