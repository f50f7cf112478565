"""Embedding lookup ``y = W[indices]`` as a stateless forward/backward pair."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np


class EmbeddingCache(NamedTuple):
    """What the backward of y = W[indices] needs from its forward."""

    indices: np.ndarray  # (...) integers in [0, V)
    num_embeddings: int  # V, the rows of W
    padding_idx: int | None  # the row that gets no gradient, or None


def embedding_forward(
    indices: np.ndarray, W: np.ndarray, padding_idx: int | None = None
) -> tuple[np.ndarray, EmbeddingCache]:
    """y = W[indices]: row ``indices[...]`` of the table for every index.

    Shapes: indices (...) integers in [0, V), W (V, D) -> y (..., D).
    Returns ``(y, EmbeddingCache(indices, V, padding_idx))``.
    """
    return W[indices], EmbeddingCache(indices, W.shape[0], padding_idx)


def embedding_backward(grad_output: np.ndarray, cache: EmbeddingCache) -> np.ndarray:
    """dW of y = W[indices], given G = dL/dy of shape (..., D).

    dW[v] = Σ over the positions p with indices[p] = v of G[p]      (V, D)

    An index that occurs several times receives the sum of its rows (``np.add.at`` adds
    repeated indices; plain ``dW[indices] += G`` would keep only one of them). The row of
    ``padding_idx`` gets no gradient. The indices themselves have none.
    """
    D = grad_output.shape[-1]
    dW = np.zeros((cache.num_embeddings, D), dtype=grad_output.dtype)
    np.add.at(dW, cache.indices.reshape(-1), grad_output.reshape(-1, D))
    if cache.padding_idx is not None:
        dW[cache.padding_idx] = 0
    return dW
