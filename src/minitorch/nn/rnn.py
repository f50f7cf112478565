r"""Recurrent layers: nn.RNN, nn.LSTM, nn.GRU over whole sequences, and their cells.

The formulas live in ``nn/functional/rnn.py`` (the step pairs, and the sequence pairs with
backpropagation through time); these modules validate, keep the cache, loop over layers and
directions and hold the parameters under PyTorch's names in minitorch's row-vector layout.
"""

from __future__ import annotations

import warnings
from typing import Any, NamedTuple

import numpy as np

from .. import _state
from .._validation import check_choice, check_flag, check_float, check_size, float_input
from . import functional as F
from .module import Module, accumulate_grad

#: ``batch_first``'s "not given": it has no default (see the sequence layers' docstring).
_NOT_GIVEN: Any = type("NotGiven", (), {"__repr__": lambda self: "<required>"})()


def pytorch_name(name: str) -> str:
    """Our parameter name as PyTorch's: ``W_ih_l0`` -> ``weight_ih_l0``, ``b_hh`` -> ``bias_hh``."""
    kind, _, rest = name.partition("_")
    return {"W": "weight", "b": "bias"}[kind] + "_" + rest


def _as_numpy(value: Any) -> np.ndarray:
    """A torch tensor (without importing torch) or anything array-like, as a NumPy array."""
    if hasattr(value, "detach") and hasattr(value, "numpy"):
        value = value.detach().cpu().numpy()
    return np.asarray(value)


class _Parameters:
    """Mixin: parameters kept as attributes named in ``self.param_names``, gradients beside them
    as ``d<name>``; ``parameters()``/``grads()`` aligned in that order (PyTorch's), and the
    translation to and from a PyTorch state_dict."""

    param_names: list[str]

    def _add_parameter(self, name: str, shape: tuple[int, int], dtype: np.dtype) -> None:
        setattr(self, name, np.empty(shape, dtype=dtype))
        setattr(self, "d" + name, None)
        self.param_names.append(name)

    def reset_parameters(self) -> None:
        """Every weight and bias drawn from U(−1/√H, 1/√H), PyTorch's initialisation, from
        minitorch's generator (``minitorch.manual_seed``), in place."""
        bound = 1.0 / np.sqrt(self.hidden_size)
        rng = _state.generator()
        for name in self.param_names:
            array = getattr(self, name)
            array[...] = rng.uniform(-bound, bound, array.shape)

    def parameters(self) -> list[np.ndarray]:
        return [getattr(self, name) for name in self.param_names]

    def grads(self) -> list[np.ndarray | None]:
        return [getattr(self, "d" + name) for name in self.param_names]

    def _accumulate(self, name: str, grad: np.ndarray | None) -> None:
        """d<name> += grad (stored as it is after zero_grad): a fresh array of this backward."""
        if grad is not None:
            setattr(self, "d" + name, accumulate_grad(getattr(self, "d" + name), grad, owned=True))

    def pytorch_state_dict(self) -> dict[str, np.ndarray]:
        """These parameters under PyTorch's names and in its layout (NumPy arrays):
        ``weight_ih_l0 = W_ih_l0.T`` (G·H, D), ``bias_ih_l0 = b_ih_l0[0]`` (G·H,). Load them
        into the torch module with ``{k: torch.from_numpy(v) for k, v in ....items()}``."""
        state = {}
        for name in self.param_names:
            value = getattr(self, name)
            state[pytorch_name(name)] = value.T.copy() if name.startswith("W") else value[0].copy()
        return state

    def load_pytorch_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Load the ``state_dict()`` of the matching torch module (``torch.nn.LSTM(...)``
        with the same sizes): ``W_ih_l0 = weight_ih_l0.T``, ``b_ih_l0 = bias_ih_l0[None]``,
        and so on for every layer, direction and cell. Tensors or arrays; every key and shape
        is checked before anything is written (as ``load_state_dict``)."""
        kind = type(self).__name__
        ours = {pytorch_name(name): name for name in self.param_names}
        missing = sorted(set(ours) - set(state_dict))
        unexpected = sorted(set(state_dict) - set(ours))
        if missing or unexpected:
            raise KeyError(
                f"{kind}.load_pytorch_state_dict: the keys are not those of a torch "
                f"{kind} built like this one ({self.extra_repr()}); missing: "
                f"{missing or 'none'}; unexpected: {unexpected or 'none'}"
                + (" (proj_size is not supported)" if any("_hr_" in k for k in unexpected) else "")
            )
        mapped = {}
        for torch_name, name in ours.items():
            value = _as_numpy(state_dict[torch_name])
            if name.startswith("W"):
                mapped[name] = value.T if value.ndim == 2 else value
            else:
                mapped[name] = value[None] if value.ndim == 1 else value
        self.load_state_dict(mapped)


class _SequenceCache(NamedTuple):
    """What a sequence layer's backward needs from its forward."""

    layers: list  # one F.RNNCache / LSTMCache / GRUCache per (layer, direction), in that order
    dropouts: list  # one F.DropoutCache per layer but the last
    N: int
    T: int
    unbatched: bool  # the input was (T, D): one sequence without a batch dimension
    states_given: bool  # h0 (LSTM: (h0, c0)) was passed to forward


class _Recurrent(_Parameters, Module):
    """What nn.RNN, nn.LSTM and nn.GRU share: arguments, parameters, layers, directions.

    A subclass sets ``gates`` (G), ``num_states`` (1, or 2 for the LSTM's h and c) and the two
    methods that run one layer in one direction through its functional pair.
    """

    gates = 1
    num_states = 1
    state_names: tuple[str, ...] = ("h0",)
    grad_state_names: tuple[str, ...] = ("grad_h_n",)

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int,
        bias: bool,
        batch_first: Any,
        dropout: float,
        bidirectional: bool,
        dtype: Any,
    ) -> None:
        super().__init__()
        owner = type(self).__name__
        self.input_size = check_size(owner, "input_size", input_size)
        self.hidden_size = check_size(owner, "hidden_size", hidden_size)
        self.num_layers = check_size(owner, "num_layers", num_layers)
        self.bias = check_flag(owner, "bias", bias)
        if batch_first is _NOT_GIVEN:
            raise TypeError(
                f"{owner}({input_size}, {hidden_size}, ...) needs batch_first: say how the "
                "sequences are laid out. batch_first=True: (N, T, D), batch first, minitorch's "
                "layout everywhere (an nn.Embedding's output); batch_first=False: (T, N, D), "
                f"time first, PyTorch's default. minitorch's {owner} has no default, so that "
                "code ported from PyTorch (which assumes (T, N, D) unless told) and code "
                "written for minitorch (which gives (N, T, D)) are never silently transposed. "
                "h0 and h_n are (num_layers·directions, N, H) either way, as in PyTorch."
            )
        self.batch_first = check_flag(owner, "batch_first", batch_first)
        self.dropout = check_float(owner, "dropout", dropout, 0, 1)
        if self.dropout and self.num_layers == 1:  # PyTorch's warning, in its words
            warnings.warn(
                f"{owner}: dropout option adds dropout after all but last recurrent layer, so "
                f"non-zero dropout expects num_layers greater than 1, but got dropout="
                f"{self.dropout} and num_layers=1",
                UserWarning,
                stacklevel=3,
            )
        self.bidirectional = check_flag(owner, "bidirectional", bidirectional)
        self.num_directions = 2 if self.bidirectional else 1
        dtype = _state.parameter_dtype(owner, dtype)
        H, GH = self.hidden_size, self.gates * self.hidden_size
        self.param_names = []
        for layer in range(self.num_layers):
            width = self.input_size if layer == 0 else H * self.num_directions
            for suffix in ("", "_reverse")[: self.num_directions]:
                self._add_parameter(f"W_ih_l{layer}{suffix}", (width, GH), dtype)
                self._add_parameter(f"W_hh_l{layer}{suffix}", (H, GH), dtype)
                if self.bias:
                    self._add_parameter(f"b_ih_l{layer}{suffix}", (1, GH), dtype)
                    self._add_parameter(f"b_hh_l{layer}{suffix}", (1, GH), dtype)
        self.no_weight_decay = tuple(name for name in self.param_names if name.startswith("b"))
        self.cache = None
        self.reset_parameters()

    # ------------------------------------------------------------------ the module's calls
    def forward(self, x: np.ndarray, h0: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """``(output, h_n)``; see the class docstring (the LSTM's takes ``hx = (h0, c0)``)."""
        output, (h_n,) = self._forward(x, None if h0 is None else (h0,))
        return output, h_n

    def backward(self, grad_output: np.ndarray | None, grad_h_n: np.ndarray | None = None):
        """dx, or ``(dx, dh0)`` when forward was given h0; see the class docstring."""
        G, input_grad = self._begin_backward(grad_output)  # output is a tuple: checked below
        dx, (dh0,) = self._backward(G, (grad_h_n,), input_grad)
        return (dx, dh0) if self.cache.states_given else dx

    # ------------------------------------------------------------------ one layer, one direction
    def _layer_forward(self, x, states, W_ih, W_hh, b_ih, b_hh):
        """-> (hs (N, T, H), the final states (tuple), the pair's cache)."""
        raise NotImplementedError

    def _layer_backward(self, grad_hs, grad_finals, cache, input_grad):
        """-> (dx, the initial states' gradients (tuple), (dW_ih, dW_hh, db_ih, db_hh))."""
        raise NotImplementedError

    def _weights(self, layer: int, direction: int) -> tuple[str, ...]:
        suffix = f"l{layer}" + ("_reverse" if direction else "")
        return tuple(f"{p}_{suffix}" for p in ("W_ih", "W_hh", "b_ih", "b_hh"))

    # ------------------------------------------------------------------ checks
    def _name(self) -> str:
        return f"{type(self).__name__}({self.input_size}, {self.hidden_size})"

    def _layout(self, unbatched: bool = False) -> str:
        if unbatched:
            return f"(T, {self.input_size})"
        return f"(N, T, {self.input_size})" if self.batch_first else f"(T, N, {self.input_size})"

    def _sequences(self, x: Any) -> tuple[np.ndarray, bool]:
        """The input as (N, T, D) batch-first (a view), and whether it was unbatched (T, D)."""
        name = self._name()
        integers = isinstance(x, np.ndarray) and x.dtype.kind in "iu"
        x = float_input(x, name, getattr(self, self.param_names[0]).dtype)
        if x.ndim not in (2, 3) or x.shape[-1] != self.input_size:
            first = "batch_first=True: batch, time, features" if self.batch_first else (
                "batch_first=False: time, batch, features"
            )
            raise ValueError(
                f"{name} expects input of shape {self._layout()} ({first}) or "
                f"{self._layout(True)} for one sequence, got {x.shape}"
                + (
                    f": the last axis must hold the input_size = {self.input_size} features"
                    if x.ndim in (2, 3)
                    else ""
                )
                + (
                    "; integer token ids? Give them to an nn.Embedding first, whose "
                    "(N, T, embedding_dim) output this layer reads"
                    if integers
                    else ""
                )
            )
        unbatched = x.ndim == 2
        given = x.shape
        x = x[None] if unbatched else (x if self.batch_first else x.transpose(1, 0, 2))
        if x.shape[1] == 0:
            raise ValueError(
                f"{name}: the input of shape {given} has T = 0 time steps (read as "
                f"{self._layout(unbatched)}); a recurrent layer needs at least one step, as "
                "PyTorch's does"
            )
        return x, unbatched

    def _state_shape(self, N: int, unbatched: bool) -> tuple[int, ...]:
        LD, H = self.num_layers * self.num_directions, self.hidden_size
        return (LD, H) if unbatched else (LD, N, H)

    def _check_state(self, value: Any, what: str, N: int, unbatched: bool) -> np.ndarray:
        """A given h0 / c0 (or grad_h_n ...) as an (L·dirs, N, H) array of the parameters' dtype."""
        name = self._name()
        dtype = getattr(self, self.param_names[0]).dtype
        state = float_input(value, name, dtype, what)
        expected = self._state_shape(N, unbatched)
        if state.shape != expected:
            raise ValueError(
                f"{name}: {what} must have shape {expected} = (num_layers·num_directions"
                + ("" if unbatched else ", N")
                + f", hidden_size) for this input, got {state.shape}"
                + (
                    "; h0 is not batch-first even with batch_first=True (as in PyTorch)"
                    if not unbatched and state.ndim == 3 and state.shape[1] == expected[0]
                    else ""
                )
            )
        return state[:, None] if unbatched else state

    # ------------------------------------------------------------------ the stack
    def _forward(self, x: Any, states: tuple | None) -> tuple[np.ndarray, tuple]:
        """Every layer and direction; returns (output, final states) in the user's layout."""
        x, unbatched = self._sequences(x)
        N, T, _ = x.shape
        dtype, dirs = x.dtype, self.num_directions
        shape = self._state_shape(N, False)
        if states is None:
            initial = tuple(np.zeros(shape, dtype) for _ in range(self.num_states))
        else:
            initial = tuple(
                self._check_state(s, what, N, unbatched)
                for s, what in zip(states, self.state_names, strict=True)
            )
        finals = tuple(np.empty(shape, dtype) for _ in range(self.num_states))
        caches, dropouts = [], []
        layer_input = x
        for layer in range(self.num_layers):
            outputs = []
            for direction in range(dirs):
                k = layer * dirs + direction
                weights = [getattr(self, n, None) for n in self._weights(layer, direction)]
                sequence = layer_input[:, ::-1] if direction else layer_input  # reverse: T..1
                hs, last, cache = self._layer_forward(
                    sequence, tuple(s[k] for s in initial), *weights
                )
                outputs.append(hs[:, ::-1] if direction else hs)
                for final, value in zip(finals, last, strict=True):
                    final[k] = value
                caches.append(cache)
            layer_input = outputs[0] if dirs == 1 else np.concatenate(outputs, axis=2)
            if layer < self.num_layers - 1:  # dropout between layers, never after the last
                layer_input, dropout = F.dropout_forward(layer_input, self.dropout, self.training)
                dropouts.append(dropout)
        self.cache = _SequenceCache(caches, dropouts, N, T, unbatched, states is not None)
        output = layer_input
        if unbatched:
            return output[0], tuple(f[:, 0] for f in finals)
        if not self.batch_first:
            output = np.ascontiguousarray(output.transpose(1, 0, 2))
        return output, finals

    def _backward(self, grad_output: Any, grad_finals: tuple, input_grad: bool) -> tuple:
        """Backpropagation through the stack; returns (dx, the initial states' gradients)."""
        if self.cache is None:
            raise RuntimeError(
                f"{type(self).__name__}.backward() was called before forward(): there is no "
                "cached forward. Run the forward pass on a batch first."
            )
        cache = self.cache
        N, T, H, dirs = cache.N, cache.T, self.hidden_size, self.num_directions
        dtype = getattr(self, self.param_names[0]).dtype
        out_shape = (T, dirs * H) if cache.unbatched else (
            (N, T, dirs * H) if self.batch_first else (T, N, dirs * H)
        )
        if grad_output is None:
            grad = np.zeros((N, T, dirs * H), dtype)
        else:
            grad = self._check_grad_shape(grad_output, out_shape, dtype)
            grad = grad[None] if cache.unbatched else (
                grad if self.batch_first else grad.transpose(1, 0, 2)
            )
        finals = tuple(
            None if g is None else self._check_state(g, what, N, cache.unbatched)
            for g, what in zip(grad_finals, self.grad_state_names, strict=True)
        )
        d_initial = tuple(np.empty(self._state_shape(N, False), dtype) for _ in finals)
        for layer in reversed(range(self.num_layers)):
            if layer < self.num_layers - 1:
                grad = F.dropout_backward(grad, cache.dropouts[layer])
            d_input = None
            for direction in range(dirs):
                k = layer * dirs + direction
                g = grad[:, :, direction * H : (direction + 1) * H]
                dx, d_states, weight_grads = self._layer_backward(
                    g[:, ::-1] if direction else g,
                    tuple(None if f is None else f[k] for f in finals),
                    cache.layers[k],
                    input_grad or layer > 0,
                )
                for d_initial_state, value in zip(d_initial, d_states, strict=True):
                    d_initial_state[k] = value
                for name, value in zip(self._weights(layer, direction), weight_grads, strict=True):
                    self._accumulate(name, value)
                if dx is not None:
                    dx = dx[:, ::-1] if direction else dx
                    d_input = dx if d_input is None else d_input + dx
            grad = d_input
        if cache.unbatched:
            return (None if grad is None else grad[0]), tuple(d[:, 0] for d in d_initial)
        if grad is not None and not self.batch_first:
            grad = np.ascontiguousarray(grad.transpose(1, 0, 2))
        return grad, d_initial

    def extra_repr(self) -> str:
        text = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            text += f", num_layers={self.num_layers}"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            text += f", nonlinearity={self.nonlinearity!r}"
        if not self.bias:
            text += ", bias=False"
        text += f", batch_first={self.batch_first}"
        if self.dropout:
            text += f", dropout={self.dropout}"
        if self.bidirectional:
            text += ", bidirectional=True"
        return text


_SEQUENCE_DOC = r"""

    Parameters
    ----------
    input_size, hidden_size : int
        D, the features of each step's input, and H, the hidden state's.
    num_layers : int
        Layers stacked: layer k > 0 reads layer k − 1's output sequence (default 1).
    bias : bool
        Whether each layer has the biases ``b_ih`` and ``b_hh`` (default ``True``).
    batch_first : bool, required
        ``True``: sequences are (N, T, D), batch first, minitorch's layout (an Embedding's
        output); ``False``: (T, N, D), PyTorch's default. **It has no default**: PyTorch's
        default (T, N, D) is the opposite of minitorch's (N, T, D), and either default would
        silently transpose somebody's data (a PyTorch user's, or a minitorch user's), so a
        layer built without it raises a ``TypeError`` that explains both. h0 and h_n are
        (num_layers·num_directions, N, H) either way, as in PyTorch.
    dropout : float
        Dropout on each layer's output but the last's, in training mode only, drawn from
        minitorch's generator (default 0).
    bidirectional : bool
        A second direction per layer reads the sequence from T to 1; its output is
        concatenated to the first's, giving 2H features (default ``False``).
    dtype : numpy dtype, optional
        Parameter dtype; defaults to :func:`minitorch.get_default_dtype` (float32).

    Attributes
    ----------
    W_ih_l{k}, W_hh_l{k} : ndarray, shapes (D_k, G·H) and (H, G·H)
        Layer k's weights, D_0 = input_size and D_k = H·num_directions above; the G gates'
        columns side by side in PyTorch's order. ``..._reverse`` for the second direction.
    b_ih_l{k}, b_hh_l{k} : ndarray, shape (1, G·H)
        Its biases (absent with ``bias=False``).
    dW_ih_l{k}, ... : ndarray or None
        The accumulated gradients, one per parameter; ``None`` before a backward.
    cache
        The functional pairs' caches of the last forward, one per layer and direction.

    All parameters start U(−1/√H, 1/√H), PyTorch's initialisation, from minitorch's generator.
    **PyTorch's names**: its ``weight_ih_l0`` (G·H, D) is ``W_ih_l0.T`` and ``bias_ih_l0``
    (G·H,) is ``b_ih_l0[0]``; ``load_pytorch_state_dict(torch_module.state_dict())`` loads a
    torch model's weights and ``pytorch_state_dict()`` gives ours in its layout.

    Input and output
    ----------------
    ``forward(x, h0=None)``: x (N, T, D) (``batch_first=False``: (T, N, D); one sequence:
    (T, D), as PyTorch accepts it), h0 (L·dirs, N, H) or zeros. It returns ``(output, h_n)``:
    output (N, T, dirs·H), every step's hidden state of the last layer (both directions
    side by side), and h_n (L·dirs, N, H), every layer's and direction's final state (the
    reverse direction's final state is its state after step 1).

    ``backward(grad_output, grad_h_n=None)``: grad_output = dL/d(output) (``None``: zeros, for
    a loss on h_n alone), grad_h_n = dL/dh_n (``None``: zeros). It returns dx, or
    ``(dx, dh0)`` when forward was given h0 (one gradient per input, as every layer).
    ``needs_input_grad = False`` skips dx (``None``); dh0 costs nothing extra and is returned
    still. An empty sequence (T = 0) is refused, as PyTorch refuses it.

    **Truncated backpropagation through time**: carry the state to the next batch without
    a gradient into the previous one, one line, ``h = h_n.copy()``::

        h = np.zeros((num_layers * num_directions, N, H), np.float32)  # the first state
        for x, target in batches:
            output, h_n = rnn(x, h)                # LSTM: rnn(x, (h, c)) -> output, (h_n, c_n)
            ...                                    # the loss, its gradient grad_output
            dx, _ = rnn.backward(grad_output)      # dh0 would go into the last batch: unused
            h = h_n.copy()                         # LSTM: h, c = h_n.copy(), c_n.copy()

    (a copy: a snapshot of the state, nothing of this batch kept). Starting from zeros rather
    than None keeps backward's return the pair ``(dx, dh0)`` at every batch.
"""


class RNN(_Recurrent):
    __doc__ = r"""An Elman RNN over sequences, as ``torch.nn.RNN``:
    ``h_t = tanh(x_t W_ih + b_ih + h_{t−1} W_hh + b_hh)`` for every layer (G = 1).

    ``nonlinearity`` : ``'tanh'`` (default) or ``'relu'``.

    Math
    ----
    The code: ``F.rnn_forward`` / ``F.rnn_backward`` (``nn/functional/rnn.py``), one layer and
    one direction at a time (the step: ``F.rnn_step_forward`` / ``F.rnn_step_backward``).

    forward:   xw   = x W_ih + b_ih + b_hh                  (N, T, H)  one product
               h_t  = tanh(xw_t + h_{t−1} W_hh)             (N, H)     t = 1..T, h_0 = h0
    backward:  dh_t = G_t + da_{t+1} W_hhᵀ                  (N, H)     t = T..1 (+ grad_h_n at T)
               da_t = dh_t ⊙ (1 − h_t²)     (relu: ⊙ [h_t > 0])
               dW_ih += Σ x_tᵀ da_t,  dW_hh += Σ h_{t−1}ᵀ da_t,  db_ih = db_hh += Σ da_t
               dx_t = da_t W_ihᵀ,  dh0 = da_1 W_hhᵀ
    where G = dL/d(output). A layer above the first reads the one below's output.
    """ + _SEQUENCE_DOC

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        nonlinearity: str = "tanh",
        bias: bool = True,
        batch_first: bool = _NOT_GIVEN,
        dropout: float = 0.0,
        bidirectional: bool = False,
        dtype=None,
    ) -> None:
        self.nonlinearity = check_choice("RNN", "nonlinearity", nonlinearity, ("tanh", "relu"))
        super().__init__(
            input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional, dtype
        )

    def _layer_forward(self, x, states, W_ih, W_hh, b_ih, b_hh):
        (h0,) = states
        hs, cache = F.rnn_forward(x, h0, W_ih, W_hh, b_ih, b_hh, self.nonlinearity)
        return hs, (hs[:, -1],), cache

    def _layer_backward(self, grad_hs, grad_finals, cache, input_grad):
        (grad_h_n,) = grad_finals
        dx, dh0, *weight_grads = F.rnn_backward(grad_hs, cache, grad_h_n, input_grad)
        return dx, (dh0,), weight_grads


class GRU(_Recurrent):
    __doc__ = r"""A gated recurrent unit over sequences, as ``torch.nn.GRU`` (G = 3, gates
    r | z | n, the reset gate applied after the hidden product as PyTorch does).

    Math
    ----
    The code: ``F.gru_forward`` / ``F.gru_backward`` (``nn/functional/rnn.py``), one layer and
    one direction at a time (the step: ``F.gru_step_forward`` / ``F.gru_step_backward``).

    forward:   xw   = x W_ih + b_ih                         (N, T, 3H)  one product
               hw   = h_{t−1} W_hh + b_hh                   (N, 3H)     one product a step
               r, z = σ(xw_r + hw_r), σ(xw_z + hw_z);  n = tanh(xw_n + r ⊙ hw_n)
               h_t  = (1 − z) ⊙ n + z ⊙ h_{t−1}             h_0 = h0
    backward:  dh_t = G_t + (dh_{t+1} ⊙ z_{t+1} + dhw_{t+1} W_hhᵀ)        t = T..1
               da_n = dh_t ⊙ (1 − z)(1 − n²),  da_z = dh_t ⊙ (h_{t−1} − n) z(1 − z),
               da_r = da_n ⊙ hw_n ⊙ r(1 − r)
               dxw = [da_r | da_z | da_n],  dhw = [da_r | da_z | da_n ⊙ r]
               dW_ih += Σ x_tᵀ dxw_t,  dW_hh += Σ h_{t−1}ᵀ dhw_t,  db_ih += Σ dxw,  db_hh += Σ dhw
               dx_t = dxw_t W_ihᵀ
    """ + _SEQUENCE_DOC

    gates = 3

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = _NOT_GIVEN,
        dropout: float = 0.0,
        bidirectional: bool = False,
        dtype=None,
    ) -> None:
        super().__init__(
            input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional, dtype
        )

    def _layer_forward(self, x, states, W_ih, W_hh, b_ih, b_hh):
        (h0,) = states
        hs, cache = F.gru_forward(x, h0, W_ih, W_hh, b_ih, b_hh)
        return hs, (hs[:, -1],), cache

    def _layer_backward(self, grad_hs, grad_finals, cache, input_grad):
        (grad_h_n,) = grad_finals
        dx, dh0, *weight_grads = F.gru_backward(grad_hs, cache, grad_h_n, input_grad)
        return dx, (dh0,), weight_grads


class LSTM(_Recurrent):
    __doc__ = r"""A long short-term memory layer over sequences, as ``torch.nn.LSTM`` (G = 4,
    gates i | f | g | o; no ``proj_size``).

    ``forward(x, hx=None)`` takes ``hx = (h0, c0)``, both (L·dirs, N, H), or neither, and
    returns ``(output, (h_n, c_n))``; ``backward(grad_output, grad_h_n=None, grad_c_n=None)``
    returns dx, or ``(dx, (dh0, dc0))`` when hx was given. Below, read h0 as ``(h0, c0)``.

    Math
    ----
    The code: ``F.lstm_forward`` / ``F.lstm_backward`` (``nn/functional/rnn.py``), one layer
    and one direction at a time (the step: ``F.lstm_step_forward`` / ``F.lstm_step_backward``).

    forward:   xw  = x W_ih + b_ih + b_hh                    (N, T, 4H)  one product
               a_t = xw_t + h_{t−1} W_hh                     (N, 4H)     one product a step
               i, f, g, o = σ(a_i), σ(a_f), tanh(a_g), σ(a_o)
               c_t = f ⊙ c_{t−1} + i ⊙ g,   h_t = o ⊙ tanh(c_t)
    backward:  dh_t = G_t + da_{t+1} W_hhᵀ,  dc_t = dc_{t+1} ⊙ f_{t+1} + dh_t ⊙ o (1 − tanh²c_t)
               da_t = [dc_t g i(1−i) | dc_t c_{t−1} f(1−f) | dc_t i (1−g²) | dh_t tanh(c_t) o(1−o)]
               dW_ih += Σ x_tᵀ da_t,  dW_hh += Σ h_{t−1}ᵀ da_t,  db_ih = db_hh += Σ da_t
               dx_t = da_t W_ihᵀ,  dh0 = da_1 W_hhᵀ,  dc0 = dc_1 ⊙ f_1
    """ + _SEQUENCE_DOC

    gates = 4
    num_states = 2
    state_names = ("h0", "c0")
    grad_state_names = ("grad_h_n", "grad_c_n")

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = _NOT_GIVEN,
        dropout: float = 0.0,
        bidirectional: bool = False,
        dtype=None,
    ) -> None:
        super().__init__(
            input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional, dtype
        )

    def _layer_forward(self, x, states, W_ih, W_hh, b_ih, b_hh):
        h0, c0 = states
        hs, cs, cache = F.lstm_forward(x, h0, c0, W_ih, W_hh, b_ih, b_hh)
        return hs, (hs[:, -1], cs[:, -1]), cache

    def _layer_backward(self, grad_hs, grad_finals, cache, input_grad):
        grad_h_n, grad_c_n = grad_finals
        dx, dh0, dc0, *weight_grads = F.lstm_backward(
            grad_hs, cache, grad_h_n, grad_c_n, input_grad
        )
        return dx, (dh0, dc0), weight_grads

    def forward(self, x: np.ndarray, hx: tuple | None = None) -> tuple[np.ndarray, tuple]:
        if hx is not None and (not isinstance(hx, (tuple, list)) or len(hx) != 2):
            raise TypeError(
                f"{self._name()}: hx must be the pair (h0, c0), each of shape "
                f"(num_layers·num_directions, N, hidden_size), or None, got {type(hx).__name__}"
            )
        output, (h_n, c_n) = self._forward(x, None if hx is None else tuple(hx))
        return output, (h_n, c_n)

    def backward(
        self,
        grad_output: np.ndarray | None,
        grad_h_n: np.ndarray | None = None,
        grad_c_n: np.ndarray | None = None,
    ):
        G, input_grad = self._begin_backward(grad_output)  # output is a tuple: checked below
        dx, (dh0, dc0) = self._backward(G, (grad_h_n, grad_c_n), input_grad)
        return (dx, (dh0, dc0)) if self.cache.states_given else dx


# ---------------------------------------------------------------------- the cells
class _Cell(_Parameters, Module):
    """What the cells share: W_ih (D, G·H), W_hh (H, G·H), b_ih, b_hh (1, G·H), the checks."""

    gates = 1
    no_weight_decay = ("b_ih", "b_hh")

    def __init__(self, input_size: int, hidden_size: int, bias: bool, dtype: Any) -> None:
        super().__init__()
        owner = type(self).__name__
        self.input_size = check_size(owner, "input_size", input_size)
        self.hidden_size = check_size(owner, "hidden_size", hidden_size)
        self.bias = check_flag(owner, "bias", bias)
        dtype = _state.parameter_dtype(owner, dtype)
        GH = self.gates * self.hidden_size
        self.param_names = []
        self._add_parameter("W_ih", (self.input_size, GH), dtype)
        self._add_parameter("W_hh", (self.hidden_size, GH), dtype)
        self.b_ih = self.b_hh = None
        if self.bias:
            self._add_parameter("b_ih", (1, GH), dtype)
            self._add_parameter("b_hh", (1, GH), dtype)
        self.cache = None
        self.unbatched = False
        self.state_given = False
        self.reset_parameters()

    def _name(self) -> str:
        return f"{type(self).__name__}({self.input_size}, {self.hidden_size})"

    def _input(self, x: Any) -> np.ndarray:
        """x as (N, D) (an unbatched (D,) becomes (1, D)); remembers which it was."""
        x = float_input(x, self._name(), self.W_ih.dtype)
        if x.ndim not in (1, 2) or x.shape[-1] != self.input_size:
            raise ValueError(
                f"{self._name()} expects input of shape (N, {self.input_size}), or "
                f"({self.input_size},) for one sample, got {x.shape}"
                + ("; a cell takes one time step: loop over x[:, t], or use the sequence layer"
                   if x.ndim == 3 else "")
            )
        self.unbatched = x.ndim == 1
        return x[None] if self.unbatched else x

    def _state(self, value: Any, what: str, N: int) -> np.ndarray:
        """A given h (or c) as (N, H); zeros when it is None."""
        if value is None:
            return np.zeros((N, self.hidden_size), self.W_ih.dtype)
        state = float_input(value, self._name(), self.W_ih.dtype, what)
        expected = (self.hidden_size,) if self.unbatched else (N, self.hidden_size)
        if state.shape != expected:
            raise ValueError(
                f"{self._name()}: {what} must have shape {expected} (batch, hidden_size) for "
                f"this input, got {state.shape}"
            )
        return state[None] if self.unbatched else state

    def _grad(self, value: Any, what: str) -> np.ndarray:
        """A gradient of an output state, checked against its shape, as (N, H)."""
        N = self.cache.x.shape[0]
        expected = (self.hidden_size,) if self.unbatched else (N, self.hidden_size)
        grad = self._check_grad_shape(value, expected, self.W_ih.dtype)
        return grad[None] if self.unbatched else grad

    def _out(self, value: np.ndarray) -> np.ndarray:
        return value[0] if self.unbatched else value

    def _accumulate_all(self, dW_ih, dW_hh, db_ih, db_hh) -> None:
        grads = (dW_ih, dW_hh, db_ih, db_hh)
        for name, value in zip(("W_ih", "W_hh", "b_ih", "b_hh"), grads, strict=True):
            self._accumulate(name, value)

    def extra_repr(self) -> str:
        text = f"{self.input_size}, {self.hidden_size}"
        if not self.bias:
            text += ", bias=False"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            text += f", nonlinearity={self.nonlinearity!r}"
        return text


_CELL_DOC = r"""

    Attributes
    ----------
    W_ih : (input_size, G·H),  W_hh : (hidden_size, G·H),  b_ih, b_hh : (1, G·H) or None
        U(−1/√H, 1/√H), PyTorch's initialisation; PyTorch's ``weight_ih`` is ``W_ih.T``,
        ``bias_ih`` is ``b_ih[0]`` (``load_pytorch_state_dict``, ``pytorch_state_dict``).
    dW_ih, dW_hh, db_ih, db_hh : the accumulated gradients (``None`` before a backward).
    cache : the step pair's cache of the last forward.

    One forward, one backward, as every module: a cell keeps its last step only. To run a cell
    over a sequence and backpropagate through time, use the sequence layer, or call the step
    pair of ``nn.functional`` at each step and keep every cache.
"""


class RNNCell(_Cell):
    __doc__ = r"""One step of an Elman RNN, as ``torch.nn.RNNCell``:
    ``forward(x, h=None) -> h'``, x (N, D) or (D,), h (N, H) (zeros when ``None``).

    ``backward(grad_output)`` returns dx, or ``(dx, dh)`` when forward was given h;
    ``needs_input_grad = False`` gives ``None`` for dx.

    Math
    ----
    The code: ``F.rnn_step_forward`` / ``F.rnn_step_backward`` (``nn/functional/rnn.py``).

    forward:   h' = tanh(x W_ih + b_ih + h W_hh + b_hh)       (N, H)   (relu: max(·, 0))
    backward:  da = G ⊙ (1 − h'²)    (relu: G ⊙ [h' > 0])       (N, H)
               dW_ih += xᵀ da,  dW_hh += hᵀ da,  db_ih = db_hh += Σₙ da
               dx = da W_ihᵀ,  dh = da W_hhᵀ
    """ + _CELL_DOC

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool = True,
        nonlinearity: str = "tanh",
        dtype=None,
    ) -> None:
        self.nonlinearity = check_choice(
            "RNNCell", "nonlinearity", nonlinearity, ("tanh", "relu")
        )
        super().__init__(input_size, hidden_size, bias, dtype)

    def forward(self, x: np.ndarray, h: np.ndarray | None = None) -> np.ndarray:
        x = self._input(x)
        self.state_given = h is not None
        h = self._state(h, "h", len(x))
        h_new, self.cache = F.rnn_step_forward(
            x, h, self.W_ih, self.W_hh, self.b_ih, self.b_hh, self.nonlinearity
        )
        return self._out(h_new)

    def backward(self, grad_output: np.ndarray):
        G, input_grad = self._begin_backward(grad_output)
        G = G[None] if self.unbatched else G
        dx, dh, *weight_grads = F.rnn_step_backward(G, self.cache)
        self._accumulate_all(*weight_grads)
        dx = self._out(dx) if input_grad else None
        return (dx, self._out(dh)) if self.state_given else dx


class GRUCell(_Cell):
    __doc__ = r"""One GRU step, as ``torch.nn.GRUCell`` (gates r | z | n, G = 3):
    ``forward(x, h=None) -> h'``; ``backward(grad_output)`` returns dx, or ``(dx, dh)``.

    Math
    ----
    The code: ``F.gru_step_forward`` / ``F.gru_step_backward`` (``nn/functional/rnn.py``).

    forward:   xw = x W_ih + b_ih,  hw = h W_hh + b_hh           (N, 3H)
               r = σ(xw_r + hw_r),  z = σ(xw_z + hw_z),  n = tanh(xw_n + r ⊙ hw_n)
               h' = (1 − z) ⊙ n + z ⊙ h                           (N, H)
    backward:  da_n = G (1 − z)(1 − n²),  da_z = G (h − n) z(1 − z),  da_r = da_n hw_n r(1 − r)
               dxw = [da_r | da_z | da_n],  dhw = [da_r | da_z | da_n ⊙ r]
               dW_ih += xᵀ dxw,  dW_hh += hᵀ dhw,  db_ih += Σₙ dxw,  db_hh += Σₙ dhw
               dx = dxw W_ihᵀ,  dh = G ⊙ z + dhw W_hhᵀ
    """ + _CELL_DOC

    gates = 3

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, dtype=None) -> None:
        super().__init__(input_size, hidden_size, bias, dtype)

    def forward(self, x: np.ndarray, h: np.ndarray | None = None) -> np.ndarray:
        x = self._input(x)
        self.state_given = h is not None
        h = self._state(h, "h", len(x))
        h_new, self.cache = F.gru_step_forward(x, h, self.W_ih, self.W_hh, self.b_ih, self.b_hh)
        return self._out(h_new)

    def backward(self, grad_output: np.ndarray):
        G, input_grad = self._begin_backward(grad_output)
        G = G[None] if self.unbatched else G
        dx, dh, *weight_grads = F.gru_step_backward(G, self.cache)
        self._accumulate_all(*weight_grads)
        dx = self._out(dx) if input_grad else None
        return (dx, self._out(dh)) if self.state_given else dx


class LSTMCell(_Cell):
    __doc__ = r"""One LSTM step, as ``torch.nn.LSTMCell`` (gates i | f | g | o, G = 4):
    ``forward(x, hx=None) -> (h', c')`` with hx = (h, c), each (N, H), or zeros.

    ``backward(grad_h, grad_c=None)`` (dL/dh', dL/dc'; ``None`` counts as zeros) returns dx,
    or ``(dx, (dh, dc))`` when forward was given hx.

    Math
    ----
    The code: ``F.lstm_step_forward`` / ``F.lstm_step_backward`` (``nn/functional/rnn.py``).

    forward:   a = x W_ih + b_ih + h W_hh + b_hh                  (N, 4H)
               i, f, g, o = σ(a_i), σ(a_f), tanh(a_g), σ(a_o)
               c' = f ⊙ c + i ⊙ g,   h' = o ⊙ tanh(c')             (N, H)
    backward:  dc' ← dc' + dh' ⊙ o ⊙ (1 − tanh²c')
               da = [dc' g i(1−i) | dc' c f(1−f) | dc' i (1−g²) | dh' tanh(c') o(1−o)]
               dW_ih += xᵀ da,  dW_hh += hᵀ da,  db_ih = db_hh += Σₙ da
               dx = da W_ihᵀ,  dh = da W_hhᵀ,  dc = dc' ⊙ f
    """ + _CELL_DOC

    gates = 4

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, dtype=None) -> None:
        super().__init__(input_size, hidden_size, bias, dtype)

    def forward(self, x: np.ndarray, hx: tuple | None = None) -> tuple[np.ndarray, np.ndarray]:
        if hx is not None and (not isinstance(hx, (tuple, list)) or len(hx) != 2):
            raise TypeError(
                f"{self._name()}: hx must be the pair (h, c), each of shape (N, hidden_size), "
                f"or None, got {type(hx).__name__}"
            )
        x = self._input(x)
        self.state_given = hx is not None
        h = self._state(None if hx is None else hx[0], "h", len(x))
        c = self._state(None if hx is None else hx[1], "c", len(x))
        h_new, c_new, self.cache = F.lstm_step_forward(
            x, h, c, self.W_ih, self.W_hh, self.b_ih, self.b_hh
        )
        return self._out(h_new), self._out(c_new)

    def backward(self, grad_output: np.ndarray | None, grad_c: np.ndarray | None = None):
        G, input_grad = self._begin_backward(grad_output)  # output is a tuple: checked below
        if self.cache is None:
            raise RuntimeError(
                "LSTMCell.backward() was called before forward(): there is no cached forward. "
                "Run the forward pass on a batch first."
            )
        zeros = np.zeros_like(self.cache.h_prev)
        dh_new = zeros if G is None else self._grad(G, "grad_h")
        dc_new = zeros if grad_c is None else self._grad(grad_c, "grad_c")
        dx, dh, dc, *weight_grads = F.lstm_step_backward(dh_new, dc_new, self.cache)
        self._accumulate_all(*weight_grads)
        dx = self._out(dx) if input_grad else None
        return (dx, (self._out(dh), self._out(dc))) if self.state_given else dx
