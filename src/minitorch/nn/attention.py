"""Multi-head self-attention, the token-mixing layer of a transformer."""

from __future__ import annotations

import math

import numpy as np

from .. import _state
from .._validation import check_flag, check_float, check_int, float_input, quiet_nonfinite
from . import functional as F
from . import init
from .linear import Linear
from .module import Module


class MultiheadAttention(Module):
    r"""Multi-head self-attention on ``(N, T, E)``, as ``torch.nn.MultiheadAttention`` with
    ``batch_first=True`` called as ``mha(x, x, x, need_weights=False)``.

    Each position's vector is projected to a query, a key and a value; the E features are cut
    into ``num_heads`` heads of d = E / H features, and in every head each query takes a
    softmax-weighted average of the values, weighted by how well it matches each key. The
    heads' outputs are concatenated and projected back to E features.

    Parameters
    ----------
    embed_dim : int
        E, the features of each position (in and out).
    num_heads : int
        H; it must divide ``embed_dim``.
    dropout : float
        Dropout probability on the attention weights P, in training mode (default 0).
    bias : bool
        Whether both projections have a bias (default ``True``).
    causal : bool
        Position i may attend only to positions j ≤ i (a GPT's decoder); default ``False``.
    dtype : numpy dtype, optional
        Parameter dtype; defaults to :func:`minitorch.get_default_dtype` (float32).

    Attributes
    ----------
    in_proj : Linear(E, 3E)
        Its output columns are ``q | k | v``, so PyTorch's ``in_proj_weight`` (3E, E) is
        ``in_proj.W.T`` and ``in_proj_bias`` is ``in_proj.b[0]``. Xavier-uniform weights and
        zero bias, as PyTorch.
    out_proj : Linear(E, E)
        PyTorch's ``out_proj.weight`` is ``out_proj.W.T``. PyTorch's Linear initialisation
        (Kaiming uniform, a = √5) and zero bias, as PyTorch.
    cache : AttentionCache
        q, k, v, the attention weights and the output of the last forward, per head.

    Math
    ----
    The code: ``F.attention_forward`` / ``F.attention_backward``
    (``nn/functional/attention.py``) between the two Linear pairs.

    With x of shape (N, T, E), d = E / H, every head h at once, and G = dL/dy::

        forward:   [q | k | v] = x W_in + b_in              (N, T, 3E) -> three (N, H, T, d)
                   S = q kᵀ / √d + mask                     (N, H, T, T)
                   P = softmax(S)  (over keys j)            (N, H, T, T)
                   P̃ = P ⊙ M       (dropout, training)      (N, H, T, T)
                   O = P̃ v                                  (N, H, T, d) -> merged (N, T, E)
                   y = O W_out + b_out                      (N, T, E)
        backward:  dW_out += Oᵀ G,  db_out += Σ G,  dO = G W_outᵀ          (out_proj)
                   dv = P̃ᵀ dO,  dP = (dO vᵀ) ⊙ M                            (N, H, T, ·)
                   dS = P ⊙ (dP − Σⱼ dPᵢⱼ Pᵢⱼ)     the softmax, row by row  (N, H, T, T)
                   dq = dS k / √d,  dk = dSᵀ q / √d                          (N, H, T, d)
                   dW_in += xᵀ [dq | dk | dv],  db_in += Σ [dq | dk | dv]
                   dx = [dq | dk | dv] W_inᵀ                                 (N, T, E)

    The mask: ``attn_mask`` as PyTorch reads it, boolean (``True`` = may not attend, i.e. −∞)
    or floating (added to S), of shape (T, T) or (N·H, T, T); with ``causal=True`` the causal
    mask (−∞ above the diagonal) is added. A query left with no key to attend to is refused.
    See :func:`minitorch.nn.functional.attention_forward` and ``attention_backward``.
    """

    def __init__(
        self,
        embed_dim: int,
        num_heads: int,
        dropout: float = 0.0,
        bias: bool = True,
        causal: bool = False,
        dtype=None,
    ) -> None:
        super().__init__()
        owner = "MultiheadAttention"
        embed_dim = check_int(owner, "embed_dim", embed_dim, 1)
        num_heads = check_int(owner, "num_heads", num_heads, 1)
        if embed_dim % num_heads:
            raise ValueError(
                f"MultiheadAttention: embed_dim ({embed_dim}) must be divisible by num_heads "
                f"({num_heads}): each head gets embed_dim / num_heads features"
            )
        self.embed_dim = embed_dim
        self.num_heads = num_heads
        self.head_dim = embed_dim // num_heads
        self.dropout = check_float(owner, "dropout", dropout, 0, 1)
        self.causal = check_flag(owner, "causal", causal)
        bias = check_flag(owner, "bias", bias)
        dtype = _state.parameter_dtype(owner, dtype)
        E = embed_dim
        self.in_proj = Linear(E, 3 * E, bias=bias, dtype=dtype)
        self.out_proj = Linear(E, E, bias=bias, dtype=dtype)
        init.xavier_uniform_(self.in_proj.W)
        init.kaiming_uniform_(self.out_proj.W, a=math.sqrt(5))
        self.cache = None
        self._causal_masks: dict = {}  # the causal mask of the last length, not a cache

    @property
    def needs_input_grad(self) -> bool:
        return self.in_proj.needs_input_grad

    @needs_input_grad.setter
    def needs_input_grad(self, value: bool) -> None:
        self.in_proj.needs_input_grad = bool(value)

    @quiet_nonfinite  # a +inf mask gives NaN rows, as PyTorch's
    def forward(self, x: np.ndarray, attn_mask: np.ndarray | None = None) -> np.ndarray:
        E, H = self.embed_dim, self.num_heads
        x = float_input(x, "MultiheadAttention", self.in_proj.W.dtype)
        if x.ndim != 3 or x.shape[-1] != E:
            raise ValueError(
                f"MultiheadAttention(embed_dim={E}) expects input of shape (N, T, {E}) "
                f"(batch, positions, features; PyTorch's batch_first=True), got {x.shape}"
            )
        N, T, _ = x.shape
        mask = self._mask(attn_mask, N, T, x.dtype)
        qkv = self.in_proj(x.reshape(N * T, E))  # (N·T, 3E), columns q | k | v
        q, k, v = F.split_heads(qkv.reshape(N, T, 3 * E), H, parts=3)  # (N, H, T, d) each
        # O is written straight into (N, T, E), the heads side by side: out_proj's input
        merged = np.empty((N, T, E), dtype=qkv.dtype)
        (o,) = F.split_heads(merged, H)
        _, self.cache = F.attention_forward(q, k, v, mask, self.dropout, self.training, out=o)
        y = self.out_proj(merged.reshape(N * T, E))
        return y.reshape(N, T, E)

    def _mask(self, attn_mask, N: int, T: int, dtype) -> np.ndarray | None:
        """The additive mask; the causal one alone is made once per length and dtype."""
        if attn_mask is not None or not self.causal:
            return F.attention_mask(
                attn_mask, N, self.num_heads, T, self.causal, dtype, "MultiheadAttention"
            )
        key = (T, np.dtype(dtype))
        if self._causal_masks.get("key") != key:
            self._causal_masks = {"key": key, "mask": F.causal_mask(T, dtype)}
        return self._causal_masks["mask"]

    @quiet_nonfinite  # a +inf mask gives NaN rows, as PyTorch's
    def backward(self, grad_output: np.ndarray) -> np.ndarray | None:
        G, _ = self._begin_backward(grad_output)  # in_proj skips dx unless needs_input_grad
        N, T, E = G.shape
        d_o = self.out_proj.backward(G.reshape(N * T, E))
        (d_o,) = F.split_heads(d_o.reshape(N, T, E), self.num_heads)
        # dq, dk, dv are written straight into in_proj's output layout q | k | v
        d_qkv = np.empty((N, T, 3 * E), dtype=d_o.dtype)
        F.attention_backward(d_o, self.cache, out=F.split_heads(d_qkv, self.num_heads, parts=3))
        dx = self.in_proj.backward(d_qkv.reshape(N * T, 3 * E))
        return None if dx is None else dx.reshape(N, T, E)

    def extra_repr(self) -> str:
        text = f"embed_dim={self.embed_dim}, num_heads={self.num_heads}"
        if self.dropout:
            text += f", dropout={self.dropout}"
        if self.in_proj.b is None:
            text += ", bias=False"
        return text + (", causal=True" if self.causal else "")
