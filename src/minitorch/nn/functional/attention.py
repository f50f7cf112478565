"""Scaled dot-product attention as a stateless forward/backward pair, and its helpers.

Shapes: N batch, H heads, T positions (queries and keys: self-attention), d = E / H features
per head. Arrays of heads are ``(N, H, T, d)``; the scores and attention weights ``(N, H, T, T)``,
row i holding query i's weights over the keys j.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from ._fast import row_dot, row_sum
from .dropout import dropout_forward


def split_heads(x: np.ndarray, num_heads: int, parts: int = 1) -> tuple[np.ndarray, ...]:
    """Cut ``(N, T, parts·E)`` into ``parts`` arrays of heads ``(N, H, T, d)``, d = E / H.

    The columns of x are ``part 0 | part 1 | ...`` (``q | k | v`` for the projected input,
    parts = 3), each of E = H·d columns ``head 0 | head 1 | ...``. The results are views (no
    copy): ``np.matmul`` reads them in place.
    """
    N, T, width = x.shape
    d = width // (parts * num_heads)
    return tuple(x.reshape(N, T, parts, num_heads, d).transpose(2, 0, 3, 1, 4))


def merge_heads(*heads: np.ndarray) -> np.ndarray:
    """The inverse of :func:`split_heads`: k arrays ``(N, H, T, d)`` -> one ``(N, T, k·H·d)``."""
    N, H, T, d = heads[0].shape
    merged = np.empty((N, T, len(heads), H, d), dtype=np.result_type(*heads))
    for i, head in enumerate(heads):
        merged[:, :, i] = head.transpose(0, 2, 1, 3)
    return merged.reshape(N, T, len(heads) * H * d)


def causal_mask(T: int, dtype=np.float32) -> np.ndarray:
    """The additive causal mask ``(T, T)``: 0 where key j ≤ query i, −∞ where j > i."""
    return np.triu(np.full((T, T), -np.inf, dtype=dtype), k=1)


def attention_mask(
    attn_mask: np.ndarray | None,
    N: int,
    num_heads: int,
    T: int,
    causal: bool = False,
    dtype=np.float32,
    name: str = "attention",
) -> np.ndarray | None:
    """An ``attn_mask`` as PyTorch reads it, made additive: ``(T, T)`` or ``(N, H, T, T)``.

    * boolean: ``True`` means *may not attend* (as in PyTorch); it becomes −∞, ``False`` 0;
    * floating: added to the scores as is (−∞ or a large negative number forbids);
    * shape ``(T, T)`` (the same for every sample and head) or ``(N·H, T, T)`` (PyTorch's
      per-sample-and-head layout, sample-major);
    * ``causal=True`` adds :func:`causal_mask`.

    Returns ``None`` when nothing is masked. A query that may attend to no key at all has no
    softmax (0/0); PyTorch gives 0 or NaN depending on its code path, so it is refused here.
    """
    if attn_mask is None:
        return causal_mask(T, dtype) if causal else None
    attn_mask = np.asarray(attn_mask)
    if attn_mask.dtype == np.bool_:
        mask = np.where(attn_mask, -np.inf, 0).astype(dtype)
    elif np.issubdtype(attn_mask.dtype, np.floating):
        mask = attn_mask.astype(dtype, copy=False)
    else:
        raise TypeError(
            f"{name}: attn_mask must be boolean (True = may not attend, as in PyTorch) or "
            f"floating (added to the attention scores), got an array of {attn_mask.dtype}"
        )
    if mask.shape == (N * num_heads, T, T):
        mask = mask.reshape(N, num_heads, T, T)
    elif mask.shape != (T, T):
        raise ValueError(
            f"{name}: attn_mask must have shape (T, T) = ({T}, {T}) or (N·num_heads, T, T) = "
            f"({N * num_heads}, {T}, {T}) for input of {T} positions, got {attn_mask.shape}"
        )
    if causal:
        mask = mask + causal_mask(T, dtype)
    blocked = np.isneginf(mask).all(axis=-1)
    if blocked.any():
        where = np.argwhere(blocked)[0]
        query = int(where[-1])
        raise ValueError(
            f"{name}: attn_mask lets query position {query} attend to no key at all (its whole "
            f"row is masked{' together with the causal mask' if causal else ''}), so its "
            "attention weights would be 0/0. Leave every query at least one key it may attend "
            "to, e.g. itself."
        )
    return mask


class AttentionCache(NamedTuple):
    """What the backward of attention needs from its forward."""

    q: np.ndarray  # (N, H, T, d)
    k: np.ndarray  # (N, H, T, d)
    v: np.ndarray  # (N, H, T, d)
    weights: np.ndarray  # (N, H, T, T): P, the softmax
    dropout_mask: np.ndarray | None  # (N, H, T, T): M, or None without dropout
    output: np.ndarray  # (N, H, T, d): O
    scale: float


def attention_forward(
    q: np.ndarray,
    k: np.ndarray,
    v: np.ndarray,
    mask: np.ndarray | None = None,
    dropout_p: float = 0.0,
    training: bool = True,
    generator: np.random.Generator | None = None,
    out: np.ndarray | None = None,
) -> tuple[np.ndarray, AttentionCache]:
    """Scaled dot-product attention, ``softmax(q kᵀ / √d + mask) v``, for every head at once.

    ::

        S = q kᵀ / √d + mask             (N, H, T, T)   scores: query i against key j
        P = softmax(S) along j            (N, H, T, T)   attention weights, rows sum to 1
        P̃ = P ⊙ M                         (N, H, T, T)   dropout on the weights (training only)
        O = P̃ v                           (N, H, T, d)

    q, k, v: ``(N, H, T, d)``; mask: additive, broadcastable to ``(N, H, T, T)``
    (see :func:`attention_mask`), or ``None``. Dropout draws M from minitorch's generator
    (or ``generator``); in evaluation (``training=False``) or with p = 0 there is none.
    ``out``: an ``(N, H, T, d)`` array (a view, say ``split_heads(buffer, H)[0]`` of an
    ``(N, T, E)`` buffer, where the heads are already merged) to write O into.
    Returns ``(O, cache)``.
    """
    scale = 1.0 / math.sqrt(q.shape[-1])
    scores = q @ k.swapaxes(-1, -2)
    scores *= scale  # S = q kᵀ / √d (+ mask), then its softmax, all in the memory of S:
    if mask is not None:
        scores += mask
    scores -= scores.max(axis=-1, keepdims=True, initial=-np.inf)  # S − max S: exp never overflows
    weights = np.exp(scores, out=scores)  # e = exp(S − max S)
    weights /= row_sum(weights)  # P = e / Σⱼ e  (row_sum(e) = e.sum(-1, keepdims=True))
    dropped, dropout = dropout_forward(weights, dropout_p, training, generator)
    dropout_mask = dropout.mask
    output = np.matmul(dropped, v, out=out)
    return output, AttentionCache(q, k, v, weights, dropout_mask, output, scale)


def attention_backward(
    grad_output: np.ndarray,
    cache: AttentionCache,
    out: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gradients of O = (softmax(q kᵀ/√d + mask) ⊙ M) v given G = dL/dO: ``(dq, dk, dv)``.

    Back through each line of the forward, last first::

        dv  = P̃ᵀ G                              (N, H, T, d)   O = P̃ v
        dP̃  = G vᵀ                              (N, H, T, T)
        dP  = dP̃ ⊙ M                            (N, H, T, T)   P̃ = P ⊙ M (dP = dP̃ without dropout)
        dS  = P ⊙ (dP − Dᵢ),                    (N, H, T, T)   the softmax's Jacobian, row by row
              Dᵢ = Σⱼ dPᵢⱼ Pᵢⱼ = Σ_c Gᵢ_c Oᵢ_c   (N, H, T, 1)
        dq  = dS k / √d                         (N, H, T, d)   S = q kᵀ / √d
        dk  = dSᵀ q / √d                        (N, H, T, d)

    The softmax backward is fused: for each row, dSᵢ = Pᵢ ⊙ (dPᵢ − Pᵢ·dPᵢ), applied without
    forming the T×T Jacobian diag(Pᵢ) − PᵢPᵢᵀ. Its row sums Dᵢ = Pᵢ·dPᵢ equal Gᵢ·Oᵢ (since
    Σⱼ (Gᵢ·vⱼ) Mᵢⱼ Pᵢⱼ = Gᵢ·Σⱼ P̃ᵢⱼ vⱼ), a sum over d features instead of T keys, as
    FlashAttention computes it. Masked keys have Pᵢⱼ = 0, so their dSᵢⱼ is 0 too.
    ``out``: three ``(N, H, T, d)`` arrays to write dq, dk, dv into (views of one
    ``(N, T, 3E)`` buffer from :func:`split_heads`, so that they need no merging).
    """
    q, k, v, P, M, scale = cache.q, cache.k, cache.v, cache.weights, cache.dropout_mask, cache.scale
    dq_out, dk_out, dv_out = (None, None, None) if out is None else out
    G = grad_output
    dropped = P if M is None else P * M
    dv = np.matmul(dropped.swapaxes(-1, -2), G, out=dv_out)
    dP = G @ v.swapaxes(-1, -2)
    if M is not None:
        dP *= M
    D = row_dot(G, cache.output)  # Dᵢ = Gᵢ·Oᵢ = Σⱼ dPᵢⱼ Pᵢⱼ
    dS = dP  # dS = P ⊙ (dP − D), written over dP (one T×T array per head fewer)
    dS -= D
    dS *= P
    dq = np.matmul(dS, k, out=dq_out)
    dq *= scale
    dk = np.matmul(dS.swapaxes(-1, -2), q, out=dk_out)
    dk *= scale
    return dq, dk, dv
