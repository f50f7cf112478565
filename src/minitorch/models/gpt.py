"""A GPT (decoder-only transformer language model) laid out as nanoGPT's, every gradient by hand."""

from __future__ import annotations

import math

import numpy as np

from .. import _state, nn
from .._validation import check_flag, check_float, check_int
from ..nn import functional as F


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
    bias : bool
        nanoGPT's ``GPTConfig.bias``: biases in every block's Linear layers and in every
        LayerNorm (``beta``), ``ln_f``'s included (default ``True``, as GPT-2). ``False``
        (nanoGPT's ``train.py`` default) leaves them out: they are then in none of
        ``parameters()``, ``grads()`` and ``state_dict()``. The head never has a bias.
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

    nanoGPT's way
    -------------
    ``logits, loss = model(idx, targets)`` returns the logits and nanoGPT's loss, the mean
    cross-entropy over the positions whose target is not -1 (``F.cross_entropy(...,
    ignore_index=-1)``); then ``model.backward()``, with no argument, backpropagates that loss
    (see :meth:`forward` and :meth:`backward`). ``crop_block_size``, ``get_num_params`` and
    :meth:`from_nanogpt_state_dict` / :meth:`to_nanogpt_state_dict` (nanoGPT's parameter
    names and PyTorch's ``(out, in)`` weights) are nanoGPT's too.
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
        bias: bool = True,
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
        self.bias = check_flag(owner, "bias", bias)
        dtype = _state.parameter_dtype(owner, dtype)
        E = n_embd

        self.wte = nn.Embedding(vocab_size, E, dtype=dtype)
        self.wpe = nn.Embedding(block_size, E, dtype=dtype)
        self.drop = nn.Dropout(dropout)
        self.blocks = nn.ModuleList(
            nn.TransformerBlock(E, n_head, dropout=dropout, causal=True, bias=bias, dtype=dtype)
            for _ in range(n_layer)
        )
        self.ln_f = nn.LayerNorm(E, bias=bias, dtype=dtype)
        if tie_weights:
            self.head = nn.TiedLinear(self.wte)
        else:
            self.head = nn.Linear(E, vocab_size, bias=False, dtype=dtype)
        self._loss_cache = None  # the cross-entropy of a forward given targets, for backward()
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
    def forward(self, idx: np.ndarray, targets: np.ndarray | None = None):
        """Logits of the next token at every position: (N, T) token indices -> (N, T, V).

        x = drop(wte(idx) + wpe(0..T−1))          (N, T, n_embd): token plus position
        x = block(x) for each block, in order       (N, T, n_embd)
        logits = head(ln_f(x))                      (N, T, V), each position a row of head

        ``idx`` holds integers in [0, V) with 1 ≤ T ≤ block_size (else a clear error). Each
        module caches what its backward needs. The last line, ``return self._output(logits,
        targets)``, returns the logits alone when ``targets`` is ``None``; given ``targets``
        (N, T) (the next token of every position), nanoGPT's ``(logits, loss)``: loss is the
        mean cross-entropy over the positions whose target is not -1 (nanoGPT's
        ``ignore_index=-1``), kept for :meth:`backward` with no argument. Unlike nanoGPT, the
        logits are those of every position in both cases (nanoGPT's forward without targets
        keeps only the last position's, ``(N, 1, V)``; :meth:`generate` takes ``[:, -1]``).
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
        logits = logits.reshape(N, T, self.vocab_size)  # sizes named: N = 0 has no -1 to infer
        return self._output(logits, targets)

    def _output(self, logits: np.ndarray, targets: np.ndarray | None):
        """The end of :meth:`forward`: ``logits``, or ``(logits, loss)`` given ``targets``.

        loss = −(1/|K|) Σ_{(n,t) ∈ K} log softmax(logits[n, t])[targets[n, t]], K the positions
        whose target is not -1, as nanoGPT's ``F.cross_entropy(logits.view(-1, V),
        targets.view(-1), ignore_index=-1)``; its cache is kept for :meth:`backward` (and
        dropped by a forward without targets). A float in the logits' dtype.
        """
        if targets is None:
            self._loss_cache = None
            return logits
        N, T, V = logits.shape
        targets = np.asarray(targets)
        if targets.shape != (N, T):
            raise ValueError(
                f"GPT: targets must have the shape of idx, (N, T) = {(N, T)} (the next token "
                f"of every position), got {targets.shape}"
            )
        if targets.size and (targets == -1).all():
            raise ValueError(
                "GPT: every target is -1, the index nanoGPT's loss ignores: there is no "
                "position to average the loss over (PyTorch gives NaN); give at least one "
                "real next token"
            )
        loss, cache = F.cross_entropy_forward(
            logits.reshape(N * T, V), targets.reshape(N * T), ignore_index=-1, name="GPT"
        )
        self._loss_cache = (cache, logits.shape)
        return logits, loss

    def backward(self, grad_output: np.ndarray | None = None) -> None:
        """Backpropagate G = dL/dlogits (N, T, V) through the forward's modules in reverse.

        g = ln_f.backward(head.backward(G))       (N, T, n_embd)
        g = block.backward(g) for each block, last first
        g = drop.backward(g)
        wpe gets Σₙ g (T, n_embd), its rows shared by the batch's sequences; wte gets g
        Every parameter's gradient accumulates in place (a tied head adds into wte.dW); token
        indices have no gradient, so it returns ``None``.

        Called with no argument after ``logits, loss = model(idx, targets)``, it backpropagates
        that loss (nanoGPT's ``loss.backward()``): the first line's ``self._begin_backward``
        then makes G = dloss/dlogits (see :meth:`_begin_backward`). A gradient given after a
        forward with targets, or none after one without, is refused (``RuntimeError``).
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

    def _begin_backward(self, grad_output: np.ndarray | None) -> tuple[np.ndarray, bool]:
        """Module's first step of every backward, and nanoGPT's ``loss.backward()``.

        ``grad_output=None`` after a forward given targets: G = dloss/dlogits =
        (softmax(logits) − onehot(targets)) / |K| at the positions K that count, 0 at the
        ignored ones (N, T, V). Otherwise G is checked as every layer's is; a gradient after a
        forward with targets (its loss is the one to backpropagate), or none after a forward
        without, is refused.
        """
        cache = self._loss_cache
        if grad_output is None and cache is not None:
            self._start_backward()  # a second forward since, or one under no_grad, is refused
            loss_cache, shape = cache
            return F.cross_entropy_backward(1.0, loss_cache).reshape(shape), False
        if grad_output is None:
            self._start_backward()  # refuses a backward after a forward under no_grad
            raise RuntimeError(
                "GPT.backward() without a gradient backpropagates the loss of a forward "
                "given targets (logits, loss = model(idx, targets)), and the last forward "
                "had none. Give the targets to the forward, or pass dL/dlogits (N, T, V): "
                "model.backward(grad)"
            )
        if cache is not None:
            raise RuntimeError(
                "GPT.backward(grad): the last forward was given targets, so its loss is the "
                "one to backpropagate: call model.backward() with no argument. To "
                "backpropagate a loss of your own, run the forward without targets "
                "(logits = model(idx)) and pass dL/dlogits"
            )
        return super()._begin_backward(grad_output)

    def __call__(self, idx: np.ndarray, targets: np.ndarray | None = None):
        output = super().__call__(idx, targets)
        if targets is not None and not isinstance(output, tuple):
            raise TypeError(
                f"{type(self).__name__}.forward was given targets but returned "
                f"{type(output).__name__}, not (logits, loss): end it with "
                "return self._output(logits, targets)"
            )
        return output

    # ------------------------------------------------------------------ nanoGPT's surgery
    def crop_block_size(self, block_size: int) -> None:
        """Shorten the context to ``block_size`` positions, as nanoGPT's ``crop_block_size``.

        The position table keeps its first ``block_size`` rows (``wpe.W`` becomes a new
        array, and ``wpe.dW`` its cropped copy); the blocks' cached causal masks are dropped.
        A larger ``block_size`` is refused: positions beyond the table have no embedding.
        Crop before building the optimizer, as nanoGPT's ``train.py`` does: an optimizer
        built earlier holds the old table and refuses to step (it names ``wpe.W``).
        """
        block_size = check_int("GPT.crop_block_size", "block_size", block_size, 1)
        if block_size > self.block_size:
            raise ValueError(
                f"GPT.crop_block_size: cannot grow the context from {self.block_size} to "
                f"{block_size} positions: positions {self.block_size}.. have no learned "
                f"embedding (nanoGPT refuses too). Crop to at most {self.block_size}, or train "
                f"a GPT with block_size={block_size}"
            )
        wpe = self.wpe
        wpe.W = wpe.W[:block_size].copy()
        wpe.dW = None if wpe.dW is None else wpe.dW[:block_size].copy()
        wpe.num_embeddings = block_size
        self.block_size = block_size
        for block in self.blocks:
            block.attn._causal_masks = {}

    def get_num_params(self, non_embedding: bool = True) -> int:
        """The number of parameters, as nanoGPT's ``get_num_params``: with ``non_embedding``
        (the default) without the position embedding ``wpe``. The token embedding counts
        (nanoGPT: it is the head's weight too); a tied head is counted once, an untied one
        (``tie_weights=False``, which nanoGPT does not have) with the rest."""
        non_embedding = check_flag("GPT.get_num_params", "non_embedding", non_embedding)
        return self.num_parameters() - (self.wpe.W.size if non_embedding else 0)

    # ------------------------------------------------------------------ nanoGPT's names
    def nanogpt_names(self) -> dict[str, str]:
        """minitorch's ``state_dict`` key -> nanoGPT's, for this model, in nanoGPT's order.

        ``wte.W`` -> ``transformer.wte.weight``, ``wpe.W`` -> ``transformer.wpe.weight``;
        in block i, ``blocks.{i}.ln1.gamma/beta`` -> ``transformer.h.{i}.ln_1.weight/bias``,
        ``attn.in_proj`` -> ``attn.c_attn``, ``attn.out_proj`` -> ``attn.c_proj``, ``ln2`` ->
        ``ln_2``, ``mlp.0`` -> ``mlp.c_fc``, ``mlp.2`` -> ``mlp.c_proj`` (``W``/``b`` ->
        ``weight``/``bias``); ``ln_f`` -> ``transformer.ln_f``; ``head.W`` ->
        ``lm_head.weight`` (a tied head has no key of its own: nanoGPT's ``lm_head.weight``
        is then ``wte.W``). Without ``bias`` the bias keys are in neither.
        """
        names = {"wte.W": "transformer.wte.weight", "wpe.W": "transformer.wpe.weight"}
        for i in range(self.n_layer):
            for ours, theirs in _NANOGPT_BLOCK_NAMES:
                names[f"blocks.{i}.{ours}"] = f"transformer.h.{i}.{theirs}"
        names.update({"ln_f.gamma": "transformer.ln_f.weight", "ln_f.beta": "transformer.ln_f.bias",
                      "head.W": "lm_head.weight"})  # fmt: skip
        keys = self.state_dict().keys()
        return {ours: theirs for ours, theirs in names.items() if ours in keys}

    def to_nanogpt_state_dict(self) -> dict[str, np.ndarray]:
        """The weights under nanoGPT's names and in PyTorch's layouts (copies, NumPy arrays).

        A Linear's ``W`` (in, out) becomes PyTorch's ``weight`` (out, in) = ``W.T``, its
        ``b`` (1, out) the ``bias`` (out,); embeddings and LayerNorms keep their shapes. A
        tied model's ``lm_head.weight`` is the very array of ``transformer.wte.weight``, as
        the tensors of nanoGPT's tied state_dict are one. Load it into nanoGPT's ``GPT`` with
        ``model.load_state_dict({k: torch.from_numpy(v) for k, v in sd.items()})``; the
        ``attn.bias`` causal-mask buffers that nanoGPT registers only without PyTorch's flash
        attention (PyTorch < 2.0) are not written (load with ``strict=False`` there).
        """
        state = self.state_dict()
        out = {theirs: _to_torch_layout(ours, state[ours]) for ours, theirs in
               self.nanogpt_names().items()}  # fmt: skip
        if self.tie_weights:
            out["lm_head.weight"] = out["transformer.wte.weight"]
        return out

    def load_nanogpt_state_dict(self, state_dict) -> None:
        """Load nanoGPT's weights (``model.state_dict()`` of nanoGPT's ``GPT``, or a
        checkpoint's ``ckpt["model"]``): the inverse of :meth:`to_nanogpt_state_dict`.

        Values may be NumPy arrays or CPU torch tensors. The ``_orig_mod.`` prefix that
        ``torch.compile`` adds is removed (as nanoGPT's ``train.py`` does on resume); the
        ``attn.bias`` causal-mask buffers are checked (the causal mask of block_size
        positions) and skipped. A tied model needs ``lm_head.weight`` equal to
        ``transformer.wte.weight``. All or nothing: a missing or unexpected key, a wrong
        shape or a value that is not numbers raises (naming the key) before anything is
        written; the model's arrays are updated in place.
        """
        owner = f"{type(self).__name__}.load_nanogpt_state_dict"
        theirs = _nanogpt_arrays(owner, state_dict)
        names = self.nanogpt_names()
        state = self.state_dict()
        expected = {name: ours for ours, name in names.items()}
        for i in range(self.n_layer):
            mask = theirs.pop(f"transformer.h.{i}.attn.bias", None)
            if mask is not None:
                _check_causal_buffer(owner, f"transformer.h.{i}.attn.bias", mask, self.block_size)
        head = theirs.pop("lm_head.weight", None) if self.tie_weights else None
        missing = [name for name in expected if name not in theirs]
        if self.tie_weights and head is None:
            missing.append("lm_head.weight")
        unexpected = [name for name in theirs if name not in expected]
        if missing or unexpected:
            raise KeyError(
                f"{owner}: the keys do not match this GPT ({self.extra_repr()}); missing: "
                f"{missing or 'none'}; unexpected: {unexpected or 'none'}"
                + _bias_hint(self.bias, missing, unexpected)
            )
        converted = {}
        for name, ours in expected.items():
            want = _to_torch_layout(ours, state[ours]).shape
            if theirs[name].shape != want:
                raise ValueError(
                    f"{owner}: {name!r} has shape {theirs[name].shape}, this GPT needs {want} "
                    f"(its {ours} is {state[ours].shape}; PyTorch's Linear weight is (out, in), "
                    "minitorch's W its transpose)"
                )
            converted[ours] = _from_torch_layout(ours, theirs[name], state[ours].shape)
        if head is not None:
            wte = theirs["transformer.wte.weight"]
            if head.shape != wte.shape or not np.array_equal(head, wte):
                raise ValueError(
                    f"{owner}: 'lm_head.weight' differs from 'transformer.wte.weight', but this "
                    "GPT ties its head to its token embedding (tie_weights=True), as nanoGPT "
                    "does; build it with tie_weights=False to load a separate head"
                )
        self.load_state_dict(converted)

    @classmethod
    def from_nanogpt_state_dict(cls, state_dict, n_head: int, dropout: float = 0.0, dtype=None):
        """A GPT built from nanoGPT's weights (see :meth:`load_nanogpt_state_dict`).

        ``vocab_size`` and ``n_embd`` are read from ``transformer.wte.weight``,
        ``block_size`` from ``transformer.wpe.weight``, ``n_layer`` from the blocks' keys and
        ``bias`` from whether ``transformer.ln_f.bias`` is there; ``n_head`` is not in the
        weights: give it (a nanoGPT checkpoint has it in ``ckpt["model_args"]["n_head"]``).
        The head is tied to the embedding (nanoGPT's) when ``lm_head.weight`` equals
        ``transformer.wte.weight``, separate otherwise. ``dtype`` defaults to
        :func:`minitorch.get_default_dtype`.
        """
        owner = f"{cls.__name__}.from_nanogpt_state_dict"
        theirs = _nanogpt_arrays(owner, state_dict)
        sizes: dict[str, int] = {}
        columns = "n_embd"
        for name, rows in (("transformer.wte.weight", "vocab_size"),
                           ("transformer.wpe.weight", "block_size")):  # fmt: skip
            value = theirs.get(name)
            if value is None or value.ndim != 2:
                got = "missing" if value is None else f"of shape {value.shape}"
                raise KeyError(f"{owner}: {name!r} (a 2-D table, {rows} x n_embd) is {got}")
            if sizes.get(columns, value.shape[1]) != value.shape[1]:
                raise ValueError(
                    f"{owner}: {name!r} has {value.shape[1]} columns, "
                    f"transformer.wte.weight {sizes[columns]}: both are n_embd"
                )
            sizes[rows], sizes[columns] = value.shape
        layers = 0
        while f"transformer.h.{layers}.ln_1.weight" in theirs:
            layers += 1
        head, wte = theirs.get("lm_head.weight"), theirs["transformer.wte.weight"]
        tie = head is not None and head.shape == wte.shape and np.array_equal(head, wte)
        model = cls(
            **sizes, n_layer=max(layers, 1), n_head=n_head, dropout=dropout, tie_weights=tie,
            bias="transformer.ln_f.bias" in theirs, dtype=dtype,
        )  # fmt: skip
        model.load_nanogpt_state_dict(theirs)
        return model

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
            + ("" if self.bias else ", bias=False")
        )


#: A block's names: minitorch's (``blocks.{i}.`` + ...) and nanoGPT's (``transformer.h.{i}.``).
_NANOGPT_BLOCK_NAMES = (
    ("ln1.gamma", "ln_1.weight"), ("ln1.beta", "ln_1.bias"),
    ("attn.in_proj.W", "attn.c_attn.weight"), ("attn.in_proj.b", "attn.c_attn.bias"),
    ("attn.out_proj.W", "attn.c_proj.weight"), ("attn.out_proj.b", "attn.c_proj.bias"),
    ("ln2.gamma", "ln_2.weight"), ("ln2.beta", "ln_2.bias"),
    ("mlp.0.W", "mlp.c_fc.weight"), ("mlp.0.b", "mlp.c_fc.bias"),
    ("mlp.2.W", "mlp.c_proj.weight"), ("mlp.2.b", "mlp.c_proj.bias"),
)  # fmt: skip


def _is_linear_weight(name: str) -> bool:
    """A Linear's ``W`` (in, out), PyTorch's ``weight`` transposed (the embeddings' are not)."""
    return name.endswith(".W") and name not in ("wte.W", "wpe.W")


def _to_torch_layout(name: str, value: np.ndarray) -> np.ndarray:
    """minitorch's array -> PyTorch's: ``W.T`` for a Linear, ``b`` (1, out) -> (out,)."""
    if _is_linear_weight(name):
        return value.T.copy()
    return value.reshape(-1).copy() if name.endswith(".b") else value.copy()


def _from_torch_layout(name: str, value: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """PyTorch's array -> minitorch's ``shape``: the inverse of :func:`_to_torch_layout`."""
    return value.T if _is_linear_weight(name) else value.reshape(shape)


def _nanogpt_arrays(owner: str, state_dict) -> dict[str, np.ndarray]:
    """nanoGPT's state_dict as NumPy arrays, without torch.compile's ``_orig_mod.`` prefix."""
    if not hasattr(state_dict, "items"):
        raise TypeError(
            f"{owner} expects a mapping of nanoGPT's names to arrays (model.state_dict(), "
            f"or a checkpoint's ckpt['model']), got {type(state_dict).__name__}"
        )
    arrays = {}
    for key, value in state_dict.items():
        name = key.removeprefix("_orig_mod.") if isinstance(key, str) else key
        if hasattr(value, "detach"):  # a torch tensor
            value = value.detach().cpu()
            value = value.float().numpy() if str(value.dtype) == "torch.bfloat16" else value.numpy()
        value = np.asarray(value)
        if value.dtype.kind not in "fiub":
            raise TypeError(f"{owner}: {key!r} must be an array of numbers, got {value.dtype}")
        arrays[name] = value
    return arrays


def _check_causal_buffer(owner: str, name: str, mask: np.ndarray, block_size: int) -> None:
    """nanoGPT's ``attn.bias`` buffer: tril(ones) of shape (1, 1, block_size, block_size)."""
    shape = (1, 1, block_size, block_size)
    if mask.shape != shape or not np.array_equal(mask[0, 0], np.tri(block_size)):
        got = f"shape {mask.shape}" if mask.shape != shape else "another mask"
        raise ValueError(
            f"{owner}: {name!r} should be nanoGPT's causal mask, the lower triangle of ones of "
            f"shape {shape}, got {got}: minitorch's attention is always causal"
        )


def _bias_hint(bias: bool, missing: list[str], unexpected: list[str]) -> str:
    """Say so when the keys differ only by the biases (``bias`` was not the weights')."""
    keys = missing if bias else unexpected
    if keys and all(k.endswith(".bias") for k in keys):
        return f"; the weights were saved with bias={not bias}: build the GPT with that"
    return ""


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
