"""Stateless forward/backward pairs: ``import minitorch.nn.functional as F``.

Each operation ``op`` comes as ``op_forward(x, ...) -> (y, cache)`` and
``op_backward(grad_output, cache) -> gradients``. The modules of ``minitorch.nn`` call these same
functions, so every formula is written once. Use the pairs directly for weight sharing (call a
forward twice, keep both caches) or to write a network in the functional style.
"""

from .activation import *  # noqa: F403
from .activation import __all__ as _activation_all
from .attention import (
    attention_backward,
    attention_forward,
    attention_mask,
    causal_mask,
    merge_heads,
    split_heads,
)
from .dropout import dropout_backward, dropout_forward
from .embedding import embedding_backward, embedding_forward
from .linear import linear_backward, linear_forward
from .loss import *  # noqa: F403
from .loss import __all__ as _loss_all
from .normalization import layer_norm_backward, layer_norm_forward

__all__ = [
    *_activation_all,
    *_loss_all,
    "attention_backward",
    "attention_forward",
    "attention_mask",
    "causal_mask",
    "dropout_backward",
    "dropout_forward",
    "embedding_backward",
    "embedding_forward",
    "layer_norm_backward",
    "layer_norm_forward",
    "linear_backward",
    "linear_forward",
    "merge_heads",
    "split_heads",
]
