"""Stateless forward/backward pairs: ``import minitorch.nn.functional as F``.

Each operation ``op`` comes as ``op_forward(x, ...) -> (y, cache)`` and
``op_backward(grad_output, cache) -> gradients``, the cache one named tuple per operation
(``LinearCache(x, W, b)``, ``Conv2dCache``, ...). The modules of ``minitorch.nn`` call these same
functions, so every formula is written once. Use the pairs directly for weight sharing (call a
forward twice, keep both caches) or to write a network in the functional style.
"""

from .activation import *  # noqa: F403
from .activation import __all__ as _activation_all
from .attention import (
    AttentionCache,
    attention_backward,
    attention_forward,
    attention_mask,
    causal_mask,
    merge_heads,
    split_heads,
)
from .batchnorm import BatchNormCache, batch_norm_backward, batch_norm_forward
from .conv import (
    Conv2dCache,
    ConvTranspose2dCache,
    col2im,
    conv2d,
    conv2d_backward,
    conv2d_forward,
    conv_transpose2d,
    conv_transpose2d_backward,
    conv_transpose2d_forward,
    im2col,
)
from .dropout import (
    DropoutCache,
    dropout2d_backward,
    dropout2d_forward,
    dropout_backward,
    dropout_forward,
)
from .embedding import EmbeddingCache, embedding_backward, embedding_forward
from .flatten import (
    FlattenCache,
    UnflattenCache,
    flatten,
    flatten_backward,
    flatten_forward,
    unflatten_backward,
    unflatten_forward,
)
from .groupnorm import GroupNormCache, group_norm_backward, group_norm_forward
from .linear import LinearCache, linear_backward, linear_forward
from .loss import *  # noqa: F403
from .loss import __all__ as _loss_all
from .normalization import LayerNormCache, layer_norm_backward, layer_norm_forward
from .pooling import (
    AdaptiveAvgPool2dCache,
    AvgPool2dCache,
    MaxPool2dCache,
    adaptive_avg_pool2d_backward,
    adaptive_avg_pool2d_forward,
    adaptive_pool_matrix,
    avg_pool2d,
    avg_pool2d_backward,
    avg_pool2d_forward,
    max_pool2d,
    max_pool2d_backward,
    max_pool2d_forward,
    pool_arguments,
)
from .rnn import (
    GRUCache,
    GRUStepCache,
    LSTMCache,
    LSTMStepCache,
    RNNCache,
    RNNStepCache,
    gru_backward,
    gru_forward,
    gru_step_backward,
    gru_step_forward,
    lstm_backward,
    lstm_forward,
    lstm_step_backward,
    lstm_step_forward,
    rnn_backward,
    rnn_forward,
    rnn_step_backward,
    rnn_step_forward,
)
from .sinusoidal import (
    SinusoidalEmbeddingCache,
    sinusoidal_embedding,
    sinusoidal_embedding_backward,
    sinusoidal_embedding_forward,
)
from .upsampling import (
    UpsampleCache,
    interpolate,
    upsample2d_backward,
    upsample_bilinear2d_forward,
    upsample_nearest2d_forward,
)
from .vae import (
    KLNormalCache,
    ReparameterizeCache,
    kl_normal_backward,
    kl_normal_forward,
    reparameterize_backward,
    reparameterize_forward,
)

__all__ = [
    *_activation_all,
    *_loss_all,
    "AdaptiveAvgPool2dCache",
    "AttentionCache",
    "AvgPool2dCache",
    "BatchNormCache",
    "Conv2dCache",
    "ConvTranspose2dCache",
    "DropoutCache",
    "EmbeddingCache",
    "FlattenCache",
    "GRUCache",
    "GRUStepCache",
    "GroupNormCache",
    "LSTMCache",
    "LSTMStepCache",
    "LayerNormCache",
    "LinearCache",
    "MaxPool2dCache",
    "RNNCache",
    "RNNStepCache",
    "SinusoidalEmbeddingCache",
    "UnflattenCache",
    "UpsampleCache",
    "adaptive_avg_pool2d_backward",
    "adaptive_avg_pool2d_forward",
    "adaptive_pool_matrix",
    "attention_backward",
    "attention_forward",
    "attention_mask",
    "avg_pool2d",
    "avg_pool2d_backward",
    "avg_pool2d_forward",
    "batch_norm_backward",
    "batch_norm_forward",
    "causal_mask",
    "col2im",
    "conv2d",
    "conv2d_backward",
    "conv2d_forward",
    "conv_transpose2d",
    "conv_transpose2d_backward",
    "conv_transpose2d_forward",
    "dropout2d_backward",
    "dropout2d_forward",
    "dropout_backward",
    "dropout_forward",
    "embedding_backward",
    "embedding_forward",
    "flatten",
    "flatten_backward",
    "flatten_forward",
    "group_norm_backward",
    "group_norm_forward",
    "gru_backward",
    "gru_forward",
    "gru_step_backward",
    "gru_step_forward",
    "im2col",
    "interpolate",
    "layer_norm_backward",
    "layer_norm_forward",
    "linear_backward",
    "linear_forward",
    "lstm_backward",
    "lstm_forward",
    "lstm_step_backward",
    "lstm_step_forward",
    "max_pool2d",
    "max_pool2d_backward",
    "max_pool2d_forward",
    "merge_heads",
    "pool_arguments",
    "rnn_backward",
    "rnn_forward",
    "rnn_step_backward",
    "rnn_step_forward",
    "sinusoidal_embedding",
    "sinusoidal_embedding_backward",
    "sinusoidal_embedding_forward",
    "split_heads",
    "unflatten_backward",
    "unflatten_forward",
    "upsample2d_backward",
    "upsample_bilinear2d_forward",
    "upsample_nearest2d_forward",
]
__all__ += ["KLNormalCache", "ReparameterizeCache", "kl_normal_backward", "kl_normal_forward"]
__all__ += ["reparameterize_backward", "reparameterize_forward"]
