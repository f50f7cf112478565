"""A GPT (decoder-only transformer language model) laid out as nanoGPT's, every gradient by hand."""

from __future__ import annotations

import math

import numpy as np

from .. import _state, nn
from .._validation import check_flag, check_float, check_int


class GPT(nn.Module):
    r"""A GPT-2-style language model, as Karpathy's nanoGPT lays it out.

    ``model(idx)`` maps token indices ``(N, T)`` to logits ``(N, T, V)``: at every position,
    a score for each possible next token. Position t sees only tokens 0..t (causal
    attention), so one forward trains all T predictions at once.

    Parameters
    ----------
    vocab_size : int
        V, the number of distinct tokens.
    block_size : int
        The longest context (positions 0..block_size-1 have an embedding).
    n_layer, n_head, n_embd : int
        Transformer blocks, attention heads per block, features per position (E).
    dropout : float
        Dropout probability in training mode: on the embeddings' sum and inside every block
        (see :class:`minitorch.nn.TransformerBlock`); default 0.
    tie_weights : bool
        Share the token embedding with the output head (GPT-2's weight tying): the head is
        ``nn.TiedLinear(self.wte)``, logits = x wteᵀ. Default ``False``: its own
        ``Linear(n_embd, vocab_size, bias=False)``.
    dtype : numpy dtype, optional
        Defaults to :func:`minitorch.get_default_dtype` (float32).

    Attributes
    ----------
    wte : Embedding(V, E)     token embedding
    wpe : Embedding(block_size, E)  position embedding
    drop : Dropout
    blocks : ModuleList of n_layer TransformerBlock(E, n_head, causal=True)
    ln_f : LayerNorm(E)        the final layer norm
    head : Linear(E, V, bias=False), or TiedLinear(wte)

    Initialisation, as nanoGPT's: every Linear and Embedding weight N(0, 0.02²), biases 0,
    LayerNorms γ = 1, β = 0; the two projections that write into the residual stream in
    every block (``attn.out_proj`` and ``mlp[2]``) N(0, (0.02/√(2·n_layer))²), so that the
    stream's variance does not grow with depth. (minitorch's ``Linear.W`` is (in, out),
    PyTorch's ``weight`` transposed; the distribution is the same.)

    Math
    ----
    With idx of shape (N, T), p = (0, 1, ..., T−1) and G = dL/dlogits (N, T, V)::

        forward:   x₀ = drop(wte[idx] + wpe[p])                   (N, T, E)
                   xₗ = blockₗ(xₗ₋₁),  l = 1..n_layer              (N, T, E)
                   logits = head(ln_f(x_L))                        (N, T, V)
        backward:  g = ln_f.backward(head.backward(G))             (N, T, E)
                   g = blockₗ.backward(g),  l = n_layer..1
                   g = drop.backward(g)
                   wpe.dW += Σₙ g[n]   (each position once)         (block_size, E)
                   wte.dW[v] += Σ_{(n,t): idx[n,t] = v} g[n, t]    (V, E)  (+ the head's, if tied)

    backward returns ``None``: token indices have no gradient.
    """

    def __init__(
        self,
        vocab_size: int,
        block_size: int,
        n_layer: int,
        n_head: int,
        n_embd: int,
        dropout: float = 0.0,
        tie_weights: bool = False,
        dtype=None,
    ) -> None:
        super().__init__()
        owner = "GPT"
        self.vocab_size = check_int(owner, "vocab_size", vocab_size, 1)
        self.block_size = check_int(owner, "block_size", block_size, 1)
        self.n_layer = check_int(owner, "n_layer", n_layer, 1)
        self.n_head = check_int(owner, "n_head", n_head, 1)
        self.n_embd = check_int(owner, "n_embd", n_embd, 1)
        if n_embd % n_head:
            raise ValueError(
                f"GPT: n_embd ({n_embd}) must be divisible by n_head ({n_head}): each head "
                "gets n_embd / n_head features"
            )
        self.dropout = check_float(owner, "dropout", dropout, 0, 1)
        self.tie_weights = check_flag(owner, "tie_weights", tie_weights)
        dtype = _state.parameter_dtype(owner, dtype)
        E = n_embd

        self.wte = nn.Embedding(vocab_size, E, dtype=dtype)
        self.wpe = nn.Embedding(block_size, E, dtype=dtype)
        self.drop = nn.Dropout(dropout)
        self.blocks = nn.ModuleList(
            nn.TransformerBlock(E, n_head, dropout=dropout, causal=True, dtype=dtype)
            for _ in range(n_layer)
        )
        self.ln_f = nn.LayerNorm(E, dtype=dtype)
        if tie_weights:
            self.head = nn.TiedLinear(self.wte)
        else:
            self.head = nn.Linear(E, vocab_size, bias=False, dtype=dtype)
        self._init_weights()

    def _init_weights(self) -> None:
        """nanoGPT's initialisation (see the class docstring)."""
        for module in self.modules():
            if isinstance(module, (nn.Linear, nn.Embedding)):
                nn.init.normal_(module.W, 0.0, 0.02)
                if getattr(module, "b", None) is not None:
                    nn.init.zeros_(module.b)
        residual_std = 0.02 / math.sqrt(2 * self.n_layer)
        for block in self.blocks:
            nn.init.normal_(block.attn.out_proj.W, 0.0, residual_std)
            nn.init.normal_(block.mlp[2].W, 0.0, residual_std)

    # ------------------------------------------------------------------ computation
    def forward(self, idx: np.ndarray) -> np.ndarray:
        """Logits of the next token at every position: (N, T) token indices -> (N, T, V).

        x = drop(wte(idx) + wpe(0..T−1))          (N, T, n_embd): token plus position
        x = block(x) for each block, in order       (N, T, n_embd)
        logits = head(ln_f(x))                      (N, T, V), each position a row of head

        ``idx`` holds integers in [0, V) with 1 ≤ T ≤ block_size (else a clear error). Each
        module caches what its backward needs.
        """
        idx = np.asarray(idx)
        if not np.issubdtype(idx.dtype, np.integer) or idx.ndim != 2:
            raise TypeError(
                "GPT expects token indices: an integer array of shape (N, T), got "
                f"{'an array of ' + str(idx.dtype) if idx.ndim == 2 else 'shape ' + str(idx.shape)}"
                + ("; for one sequence use idx[None]" if idx.ndim == 1 else "")
            )
        N, T = idx.shape
        if self.block_size < T:
            raise ValueError(
                f"GPT: cannot run a sequence of {T} tokens; block_size is {self.block_size} "
                f"(positions 0..{self.block_size - 1} have embeddings). Crop the context to "
                f"its last block_size tokens: idx[:, -{self.block_size}:]"
            )
        if T == 0:
            raise ValueError("GPT: got sequences of 0 tokens; give each at least one")
        x = self.drop(self.wte(idx) + self.wpe(np.arange(T)))
        for block in self.blocks:
            x = block(x)
        x = self.ln_f(x)
        logits = self.head(x.reshape(N * T, self.n_embd))  # every position is a row
        return logits.reshape(N, T, self.vocab_size)  # sizes named: N = 0 has no -1 to infer

    def backward(self, grad_output: np.ndarray) -> None:
        """Backpropagate G = dL/dlogits (N, T, V) through the forward's modules in reverse.

        g = ln_f.backward(head.backward(G))       (N, T, n_embd)
        g = block.backward(g) for each block, last first
        g = drop.backward(g)
        wpe gets Σₙ g (T, n_embd), its rows shared by the batch's sequences; wte gets g
        Every parameter's gradient accumulates in place (a tied head adds into wte.dW); token
        indices have no gradient, so it returns ``None``.
        """
        G, _ = self._begin_backward(grad_output)  # token indices have no gradient: None
        N, T, V = G.shape
        g = self.head.backward(G.reshape(N * T, V))
        g = self.ln_f.backward(g.reshape(N, T, self.n_embd))
        for block in reversed(self.blocks):
            g = block.backward(g)
        g = self.drop.backward(g)
        self.wpe.backward(g.sum(axis=0))  # one position row serves the whole batch
        self.wte.backward(g)
        return None

    # ------------------------------------------------------------------ sampling
    def generate(
        self,
        idx: np.ndarray,
        max_new_tokens: int,
        temperature: float = 1.0,
        top_k: int | None = None,
    ) -> np.ndarray:
        """Continue each sequence of ``idx`` (N, T) by ``max_new_tokens`` sampled tokens.

        As nanoGPT's ``generate``: at each step the model sees the last ``block_size`` tokens,
        the last position's logits are divided by ``temperature`` (below 1: more confident,
        above: more random), all but the ``top_k`` largest are set to −∞ if ``top_k`` is
        given, and the next token is drawn from their softmax with minitorch's global
        generator (so ``minitorch.manual_seed`` makes it reproducible). ``temperature=0``
        means greedy decoding: the likeliest token every time (the first of tied ones), no
        draw. Runs under :class:`minitorch.no_grad` and in evaluation mode (no dropout); the
        model's modes are restored afterwards. Returns the (N, T + max_new_tokens) integer
        array.

        Nothing is invented: logits with a NaN or a +inf (a diverged or damaged model), a row
        with no finite logit, or a temperature so small that the scaled logits overflow
        float64 raise a ``ValueError`` naming the cause, as ``torch.multinomial`` refuses
        such probabilities.
        """
        idx = np.asarray(idx)
        if not np.issubdtype(idx.dtype, np.integer) or idx.ndim != 2 or idx.shape[1] == 0:
            raise ValueError(
                "GPT.generate expects a prompt of token indices: an integer array of shape "
                f"(N, T) with T >= 1, got shape {idx.shape} of {idx.dtype}"
                + ("; for one prompt use idx[None]" if idx.ndim == 1 else "")
            )
        max_new_tokens = check_int("GPT.generate", "max_new_tokens", max_new_tokens, 0)
        temperature = check_float("GPT.generate", "temperature", temperature, 0)
        if top_k is not None:
            top_k = min(check_int("GPT.generate", "top_k", top_k, 1), self.vocab_size)
        modes = [(module, module.training) for module in self.modules()]
        self.eval()
        try:
            # A damaged model's NaN or inf is reported by scaled_logits, not as NumPy's warning.
            with _state.no_grad(), np.errstate(over="ignore", invalid="ignore"):
                for _ in range(max_new_tokens):
                    logits = self(idx[:, -self.block_size :])[:, -1, :].astype(np.float64)
                    scaled = scaled_logits(logits, temperature, "GPT.generate")
                    if temperature == 0:  # greedy decoding
                        idx_next = scaled.argmax(axis=-1)
                    else:
                        idx_next = sample_next_token(scaled, top_k)
                    idx = np.concatenate([idx, idx_next[:, None]], axis=1)
        finally:
            for module, training in modes:
                module.training = training
        return idx

    def extra_repr(self) -> str:
        return (
            f"vocab_size={self.vocab_size}, block_size={self.block_size}, "
            f"n_layer={self.n_layer}, n_head={self.n_head}, n_embd={self.n_embd}"
            + (f", dropout={self.dropout}" if self.dropout else "")
            + (", tie_weights=True" if self.tie_weights else "")
        )


def check_logits(logits: np.ndarray, owner: str) -> np.ndarray:
    """``logits`` (N, V) as an array, refused (``ValueError``) when sampling from them would
    invent a token: a NaN or a +inf anywhere, or a row whose logits are all −inf (its softmax
    is NaN). −inf alone is allowed (a masked token). ``torch.multinomial`` refuses the same
    rows ("probability tensor contains either inf, nan or element < 0")."""
    logits = np.asarray(logits)
    if logits.ndim != 2 or logits.shape[1] == 0:
        raise ValueError(f"{owner}: logits must have shape (N, V) with V >= 1, got {logits.shape}")
    if logits.dtype.kind not in "fiu":
        raise TypeError(f"{owner}: logits must be real numbers, got an array of {logits.dtype}")
    if logits.dtype.kind != "f" or np.isfinite(logits).all():
        return logits
    for bad, what in ((np.isnan(logits), "NaN"), (logits == np.inf, "+inf")):
        if bad.any():
            row, column = np.argwhere(bad)[0]
            raise ValueError(
                f"{owner}: the logits contain {what} (row {row}, token {column}, "
                f"{int(bad.sum())} value(s) in all); nothing can be sampled from them. The "
                "model's weights or its input overflowed: check the checkpoint, or a training "
                "run that diverged (a smaller learning rate, gradient clipping)"
            )
    dead = ~np.isfinite(logits).any(axis=-1)
    if dead.any():
        raise ValueError(
            f"{owner}: every logit of row {int(np.argmax(dead))} is -inf; no token can be drawn"
        )
    return logits


def scaled_logits(logits: np.ndarray, temperature: float, owner: str) -> np.ndarray:
    """``logits / temperature`` after :func:`check_logits`; a ``ValueError`` when the division
    overflows float64 (a temperature such as 1e-320 turns the logits into ±inf, and the draw
    into noise, which ``torch.multinomial`` refuses too). ``temperature == 0`` returns the
    logits unchanged: the caller decodes greedily (their argmax)."""
    logits = check_logits(logits, owner)
    if temperature == 0:
        return logits
    with np.errstate(over="ignore"):
        scaled = logits / temperature
        if not np.isfinite(scaled[np.isfinite(logits)]).all():
            largest = float(np.abs(logits[np.isfinite(logits)]).max())
            raise ValueError(
                f"{owner}: temperature {temperature!r} is too small: the logits (up to "
                f"{largest:.3g} in size) divided by it overflow float64; use a temperature of "
                f"at least {largest / np.finfo(np.float64).max:.3g}, or 0 for greedy decoding "
                "(always the likeliest token)"
            )
        return scaled


def sample_next_token(logits: np.ndarray, top_k: int | None = None) -> np.ndarray:
    """One token per row of ``logits`` (N, V), drawn from softmax(logits) with the global generator.

    With ``top_k``, only the k largest logits of a row compete (ties with the k-th included,
    as ``torch.topk`` then ``logits < v[-1]`` in nanoGPT). Sampling by inverse CDF: the
    first token whose cumulative probability exceeds u ~ U(0, 1). Logits with a NaN, a +inf
    or a row of −inf are refused first (:func:`check_logits`).
    """
    logits = check_logits(logits, "sample_next_token")
    if top_k is not None:
        kth = np.partition(logits, -top_k, axis=-1)[:, -top_k, None]
        logits = np.where(logits < kth, -np.inf, logits)
    with np.errstate(over="ignore"):  # a logit far below its row's largest: probability 0
        probs = np.exp(logits - logits.max(axis=-1, keepdims=True))
    cdf = np.cumsum(probs, axis=-1)
    u = _state.generator().random((logits.shape[0], 1)) * cdf[:, -1:]
    return (cdf <= u).sum(axis=-1)
