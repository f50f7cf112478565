"""Embedding: a learned table of vectors looked up by integer index (tokens, positions)."""

from __future__ import annotations

import numpy as np

from .. import _state
from .._validation import check_int, check_memory, check_size, index_input
from . import functional as F
from .module import Module, accumulate_grad


class Embedding(Module):
    r"""A lookup table: ``y = W[indices]``, one learned row per token.

    Parameters
    ----------
    num_embeddings : int
        Size V of the vocabulary (rows of the table).
    embedding_dim : int
        Size D of each vector.
    padding_idx : int, optional
        A row that stays zero and receives no gradient (negative counts from the end, as in
        PyTorch).
    dtype : numpy dtype, optional
        Defaults to :func:`minitorch.get_default_dtype` (float32).

    Attributes
    ----------
    W : ndarray, shape (num_embeddings, embedding_dim)
        Drawn from N(0, 1), as PyTorch does; the ``padding_idx`` row is zero.
    dW : ndarray or None
        The accumulated gradient; ``None`` before the first backward and after ``zero_grad()``.
    cache : EmbeddingCache
        What the forward kept for the backward: the integer input ``indices``.

    Math
    ----
    The code: ``F.embedding_forward`` / ``F.embedding_backward`` (``nn/functional/embedding.py``).

    forward:   y[p] = W[indices[p]]                          (..., D)
    backward:  dW[v] += Σ_{p : indices[p] = v} G[p]          (V, D)
               no input gradient: backward returns ``None`` (indices are not differentiable)
    """

    no_weight_decay = ()  # the table is a matrix: decayed, as nanoGPT decays wte and wpe

    def __init__(
        self, num_embeddings: int, embedding_dim: int, padding_idx: int | None = None, dtype=None
    ) -> None:
        super().__init__()
        self.num_embeddings = check_size("Embedding", "num_embeddings", num_embeddings)
        self.embedding_dim = check_size("Embedding", "embedding_dim", embedding_dim)
        if padding_idx is not None:
            padding_idx = check_int("Embedding", "padding_idx", padding_idx)
            if not -self.num_embeddings <= padding_idx < self.num_embeddings:
                raise ValueError(
                    f"Embedding: padding_idx must be within num_embeddings "
                    f"({self.num_embeddings}), got {padding_idx}"
                )
            padding_idx = int(padding_idx) % self.num_embeddings
        self.padding_idx = padding_idx
        dtype = _state.parameter_dtype("Embedding", dtype)
        shape = (self.num_embeddings, self.embedding_dim)
        check_memory("Embedding", "the table W", shape, dtype, "num_embeddings or embedding_dim")
        self.W = _normal_table(shape, dtype)
        if padding_idx is not None:
            self.W[padding_idx] = 0
        self.cache = None
        self.dW = None

    def forward(self, indices: np.ndarray) -> np.ndarray:
        name = f"Embedding({self.num_embeddings}, {self.embedding_dim})"
        indices = index_input(indices, name, self.num_embeddings)
        y, self.cache = F.embedding_forward(indices, self.W, self.padding_idx)
        return y

    def backward(self, grad_output: np.ndarray) -> None:
        G, _ = self._begin_backward(grad_output)  # indices have no gradient: always None
        dW = F.embedding_backward(G, self.cache)
        self.dW = accumulate_grad(self.dW, dW, owned=True)
        return None

    def parameters(self) -> list[np.ndarray]:
        return [self.W]

    def grads(self) -> list[np.ndarray | None]:
        return [self.dW]

    def extra_repr(self) -> str:
        text = f"{self.num_embeddings}, {self.embedding_dim}"
        return text if self.padding_idx is None else f"{text}, padding_idx={self.padding_idx}"


def _normal_table(shape: tuple[int, int], dtype: np.dtype) -> np.ndarray:
    """N(0, 1) draws of the global generator in ``dtype``, drawn a block of rows at a time, so
    a float32 table never needs its float64 twin in memory (the same numbers as one draw of
    the whole table: the generator's stream is consumed in order)."""
    table = np.empty(shape, dtype=dtype)
    rows = max(1, (1 << 20) // max(1, shape[1]))  # about 8 MB of float64 at a time
    for start in range(0, shape[0], rows):
        table[start : start + rows] = _state.generator().standard_normal(
            (min(rows, shape[0] - start), shape[1])
        )
    return table
