"""Embedding lookup ``y = W[indices]`` as a stateless forward/backward pair."""

from __future__ import annotations

import numpy as np

EmbeddingCache = tuple[np.ndarray, tuple[int, int]]


def embedding_forward(indices: np.ndarray, W: np.ndarray) -> tuple[np.ndarray, EmbeddingCache]:
    """y = W[indices]: row ``indices[...]`` of the table for every index.

    Shapes: indices (...) integers in [0, V), W (V, D) -> y (..., D).
    Returns ``(y, cache)`` with ``cache = (indices, W.shape)``.
    """
    return W[indices], (indices, W.shape)


def embedding_backward(
    grad_output: np.ndarray, cache: EmbeddingCache, padding_idx: int | None = None
) -> np.ndarray:
    """dW of y = W[indices], given G = dL/dy of shape (..., D).

    dW[v] = Σ over the positions p with indices[p] = v of G[p]      (V, D)

    An index that occurs several times receives the sum of its rows (``np.add.at`` adds
    repeated indices; plain ``dW[indices] += G`` would keep only one of them). The row of
    ``padding_idx`` gets no gradient. The indices themselves have none.
    """
    indices, (num_embeddings, dim) = cache
    dW = np.zeros((num_embeddings, dim), dtype=grad_output.dtype)
    np.add.at(dW, indices.reshape(-1), grad_output.reshape(-1, dim))
    if padding_idx is not None:
        dW[padding_idx] = 0
    return dW
