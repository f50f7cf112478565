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

Every loss computes an *unreduced* loss ℓ first and reduces it with the one pair of
:mod:`.reduction` (``reduce_loss_forward`` / ``reduce_loss_backward``), whose docstring gives the
three reductions and the chain rule each backward ends with.

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
