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
from .batchnorm import batch_norm_backward, batch_norm_forward
from .conv import col2im, conv2d_backward, conv2d_forward, im2col
from .dropout import dropout2d_backward, dropout2d_forward, dropout_backward, dropout_forward
from .embedding import embedding_backward, embedding_forward
from .linear import linear_backward, linear_forward
from .loss import *  # noqa: F403
from .loss import __all__ as _loss_all
from .normalization import layer_norm_backward, layer_norm_forward
from .pooling import (
    adaptive_avg_pool2d_backward,
    adaptive_avg_pool2d_forward,
    adaptive_pool_matrix,
    avg_pool2d_backward,
    avg_pool2d_forward,
    max_pool2d_backward,
    max_pool2d_forward,
)

__all__ = [
    *_activation_all,
    *_loss_all,
    "adaptive_avg_pool2d_backward",
    "adaptive_avg_pool2d_forward",
    "adaptive_pool_matrix",
    "attention_backward",
    "attention_forward",
    "attention_mask",
    "avg_pool2d_backward",
    "avg_pool2d_forward",
    "batch_norm_backward",
    "batch_norm_forward",
    "causal_mask",
    "col2im",
    "conv2d_backward",
    "conv2d_forward",
    "dropout2d_backward",
    "dropout2d_forward",
    "dropout_backward",
    "dropout_forward",
    "embedding_backward",
    "embedding_forward",
    "im2col",
    "layer_norm_backward",
    "layer_norm_forward",
    "linear_backward",
    "linear_forward",
    "max_pool2d_backward",
    "max_pool2d_forward",
    "merge_heads",
    "split_heads",
]
