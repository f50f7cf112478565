"""A character-level language model: Embedding -> recurrent layers -> Linear (char-rnn's)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from .. import _state, nn
from .._validation import check_choice, check_float, check_int
from .gpt import sample_next_token, scaled_logits

#: The recurrent layer of each ``cell``: every one batch-first, (N, T, E) in, (N, T, H) out.
CELLS = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}


@dataclass(frozen=True)
class CharRNNRecipe:
    """How the character model is trained on Tiny Shakespeare: the one place of its numbers.

    Batches of ``batch_size`` windows of ``block_size`` characters drawn at random from the
    training split (nanoGPT's ``get_batch``), each read from a zero state; AdamW(``lr``,
    ``betas``, ``weight_decay``) on every parameter; ``warmup_iters`` of linear warm-up then a
    cosine down to ``min_lr`` at iteration ``lr_decay_iters`` (nanoGPT's ``get_lr``,
    :class:`minitorch.optim.lr_scheduler.WarmupCosineLR`); the gradients' global norm clipped
    at ``grad_clip``; every ``eval_interval`` iterations the mean loss over ``eval_batches``
    fixed validation batches (``eval_batches(eval_batches, batch_size, block_size, seed=0)``).

    A PyTorch copy of this recipe measured 1.792 after 500 iterations, 1.674 after 1,000 and
    1.591 after 2,000 (``tests/char_rnn_torch.py``).
    """

    cell: str = "lstm"
    embedding_dim: int = 64
    hidden_size: int = 256
    num_layers: int = 2
    batch_size: int = 32
    block_size: int = 64
    max_iters: int = 2000
    lr: float = 2e-3
    min_lr: float = 2e-4
    betas: tuple[float, float] = (0.9, 0.99)
    weight_decay: float = 0.01
    warmup_iters: int = 100
    lr_decay_iters: int = 2000
    grad_clip: float = 1.0
    eval_interval: int = 500
    eval_batches: int = 200

    def to_dict(self) -> dict[str, Any]:
        """The recipe as a plain dict (``betas`` a list), for a run's config.json."""
        values = asdict(self)
        values["betas"] = list(values["betas"])
        return values


#: The default recipe; ``dataclasses.replace(CHAR_RNN_RECIPE, max_iters=200)`` changes one number.
CHAR_RNN_RECIPE = CharRNNRecipe()


class CharRNN(nn.Module):
    r"""A character model: ``Embedding(V, E) -> LSTM, GRU or RNN(E, H, L) -> Linear(H, V)``.

    The model of Karpathy's char-rnn, batch-first: ``model(idx)`` maps character ids (N, T)
    to logits (N, T, V), at every position a score for each next character.

    Parameters
    ----------
    vocab_size : int
        V, the number of distinct characters.
    embedding_dim, hidden_size, num_layers : int
        E, H and the recurrent layers stacked (defaults 64, 256, 2: :data:`CHAR_RNN_RECIPE`).
    cell : {'lstm', 'gru', 'rnn'}
        The recurrent layer: ``nn.LSTM``, ``nn.GRU`` or a tanh ``nn.RNN`` (default ``'lstm'``).
    dropout : float
        The recurrent layer's dropout between its layers, in training mode (default 0).
    dtype : numpy dtype, optional
        Defaults to :func:`minitorch.get_default_dtype` (float32).

    Attributes
    ----------
    embedding : Embedding(V, E)
    rnn : LSTM, GRU or RNN(E, H, num_layers, batch_first=True)
    head : Linear(H, V)
    state
        The final state of the last forward: h_n (num_layers, N, H), the LSTM's ``(h_n, c_n)``;
        ``None`` before any. Kept under :class:`minitorch.no_grad` too: it is the next call's
        input, not a cache.

    Every layer keeps its own initialisation, as PyTorch's (``Embedding`` N(0, 1), the
    recurrent layer and ``Linear`` U(−1/√fan, 1/√fan)).

    Math
    ----
    With idx (N, T) and G = dL/dlogits (N, T, V)::

        forward:   x = embedding(idx)                        (N, T, E)
                   hs, state = rnn(x, state)                 (N, T, H), the final state
                   logits = head(hs)                         (N, T, V)
        backward:  dhs = head.backward(G)                    (N, T, H)
                   dx = rnn.backward(dhs)                    (N, T, E), through time
                   embedding.backward(dx)                    dW rows of the characters read

    backward returns ``None``: character ids have no gradient.

    Truncated backpropagation through time
    --------------------------------------
    Carry the state from one batch of consecutive text to the next, without a gradient into
    the previous batch, with one line after each backward, ``state = model.state``::

        state = None                                 # the first batch starts from zeros
        for x, y in consecutive_batches:
            logits = model(x, state)
            ...                                      # the loss and its gradient G
            model.backward(G)                        # stops at this batch's first step
            state = model.state                      # new arrays each forward: a snapshot

    :data:`CHAR_RNN_RECIPE` draws its windows at random instead, each from a zero state.
    """

    def __init__(
        self,
        vocab_size: int,
        embedding_dim: int = 64,
        hidden_size: int = 256,
        num_layers: int = 2,
        cell: str = "lstm",
        dropout: float = 0.0,
        dtype=None,
    ) -> None:
        super().__init__()
        owner = "CharRNN"
        self.vocab_size = check_int(owner, "vocab_size", vocab_size, 1)
        self.embedding_dim = check_int(owner, "embedding_dim", embedding_dim, 1)
        self.hidden_size = check_int(owner, "hidden_size", hidden_size, 1)
        self.num_layers = check_int(owner, "num_layers", num_layers, 1)
        self.cell = check_choice(owner, "cell", cell, tuple(CELLS))
        self.dropout = check_float(owner, "dropout", dropout, 0, 1)
        dtype = _state.parameter_dtype(owner, dtype)
        self.embedding = nn.Embedding(vocab_size, embedding_dim, dtype=dtype)
        self.rnn = CELLS[cell](
            embedding_dim, hidden_size, num_layers, batch_first=True, dropout=dropout, dtype=dtype
        )
        self.head = nn.Linear(hidden_size, vocab_size, dtype=dtype)
        # The final state lives in a list made here, which a no_grad forward does not clear.
        self._final_state = [None]

    @property
    def state(self):
        """The last forward's final state (see the class docstring)."""
        return self._final_state[0]

    def forward(self, idx: np.ndarray, state: Any = None) -> np.ndarray:
        """Logits of the next character at every position: (N, T) ids -> (N, T, V).

        ``state`` is the recurrent layer's initial state, h0 (num_layers, N, H) or the LSTM's
        ``(h0, c0)``, or ``None`` for zeros; the final one is kept in :attr:`state`.
        """
        idx = np.asarray(idx)
        if not np.issubdtype(idx.dtype, np.integer) or idx.ndim != 2 or idx.shape[1] == 0:
            raise ValueError(
                "CharRNN expects character ids: an integer array of shape (N, T) with T >= 1, "
                f"got shape {idx.shape} of {idx.dtype}"
                + ("; for one sequence use idx[None]" if idx.ndim == 1 else "")
            )
        x = self.embedding(idx)
        hs, self._final_state[0] = self.rnn(x, state)
        return self.head(hs)

    def backward(self, grad_output: np.ndarray) -> None:
        """Backpropagate G = dL/dlogits (N, T, V) through head, the layers in time, embedding.

        A forward given a state returns its gradient too (``(dx, dh0)``); truncated BPTT
        stops there, so it is dropped. Returns ``None`` (ids have no gradient).
        """
        G, _ = self._begin_backward(grad_output)  # ids have no gradient: None
        dx = self.rnn.backward(self.head.backward(G))
        if isinstance(dx, tuple):  # (dx, dh0): the state came from the previous batch
            dx = dx[0]
        self.embedding.backward(dx)
        return None

    def generate(
        self,
        idx: np.ndarray,
        max_new_tokens: int,
        temperature: float = 1.0,
        top_k: int | None = None,
    ) -> np.ndarray:
        """Continue each sequence of ``idx`` (N, T) by ``max_new_tokens`` sampled characters.

        The prompt is read once; then each new character is one step from the carried state
        (the whole context is never read again, as it is by a GPT). Sampling as
        :meth:`GPT.generate`: the last logits divided by ``temperature`` (0: greedy, the
        likeliest character), the ``top_k`` largest kept if given, a draw from their softmax
        with minitorch's generator (``minitorch.manual_seed`` makes it reproducible); logits
        with a NaN or a +inf, or a temperature that overflows them, raise a ``ValueError``.
        Runs under :class:`minitorch.no_grad` in evaluation mode, the modes restored after.
        Returns the (N, T + max_new_tokens) integer array.
        """
        idx = np.asarray(idx)
        if not np.issubdtype(idx.dtype, np.integer) or idx.ndim != 2 or idx.shape[1] == 0:
            raise ValueError(
                "CharRNN.generate expects a prompt of character ids: an integer array of "
                f"shape (N, T) with T >= 1, got shape {idx.shape} of {idx.dtype}"
                + ("; for one prompt use idx[None]" if idx.ndim == 1 else "")
            )
        max_new_tokens = check_int("CharRNN.generate", "max_new_tokens", max_new_tokens, 0)
        temperature = check_float("CharRNN.generate", "temperature", temperature, 0)
        if top_k is not None:
            top_k = min(check_int("CharRNN.generate", "top_k", top_k, 1), self.vocab_size)
        new = np.empty((idx.shape[0], max_new_tokens), dtype=idx.dtype)
        modes = [(module, module.training) for module in self.modules()]
        self.eval()
        try:
            # A damaged model's NaN or inf is reported by scaled_logits, not as NumPy's warning.
            with _state.no_grad(), np.errstate(over="ignore", invalid="ignore"):
                logits = self(idx)  # the prompt, once
                for step in range(max_new_tokens):
                    last = logits[:, -1, :].astype(np.float64)
                    scaled = scaled_logits(last, temperature, "CharRNN.generate")
                    if temperature == 0:  # greedy decoding
                        new[:, step] = scaled.argmax(axis=-1)
                    else:
                        new[:, step] = sample_next_token(scaled, top_k)
                    if step < max_new_tokens - 1:  # one step from the carried state
                        logits = self(new[:, step : step + 1], self.state)
        finally:
            for module, training in modes:
                module.training = training
        return np.concatenate([idx, new], axis=1)

    def extra_repr(self) -> str:
        return (
            f"vocab_size={self.vocab_size}, cell={self.cell!r}, "
            f"embedding_dim={self.embedding_dim}, hidden_size={self.hidden_size}, "
            f"num_layers={self.num_layers}" + (f", dropout={self.dropout}" if self.dropout else "")
        )
