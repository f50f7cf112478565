"""Recurrent layers as stateless forward/backward pairs: one time step, and a whole sequence.

A recurrent layer reads a sequence one step at a time and carries a hidden state h from each
step to the next. Two kinds of pair live here:

* the **steps** ``rnn_step_forward/backward``, ``lstm_step_forward/backward`` and
  ``gru_step_forward/backward`` (CS231n's names): one time step, the formula of the cell
  written out (``nn.RNNCell``, ``nn.LSTMCell``, ``nn.GRUCell`` call them);
* the **sequences** ``rnn_forward/backward``, ``lstm_forward/backward`` and
  ``gru_forward/backward``: the same step over T positions, for one layer and one direction,
  with backpropagation through time (``nn.RNN``, ``nn.LSTM``, ``nn.GRU`` call them for every
  layer and direction). They compute the step's formula with its input projection taken out of
  the loop: ``x W_ih`` for all T positions is one matrix product before the loop, the loop
  does one product per step for the recurrence ``h W_hh``, and after the backward loop the
  weight gradients are one product each over the stacked sequence.

Shapes: N batch, T time steps, D input features, H hidden features, G gates (1 for the RNN,
4 for the LSTM, 3 for the GRU). Rows are samples (the spec's row-vector style, as Linear's
``x W + b``)::

    x     (N, D) one step, (N, T, D) a sequence (batch first)
    h     (N, H) one step's hidden state, (N, T, H) every step's (the layer's output)
    W_ih  (D, G·H)    W_hh  (H, G·H)    b_ih, b_hh  (1, G·H), or None without a bias

The G·H columns are the gates side by side in PyTorch's order: the LSTM's ``i | f | g | o``,
the GRU's ``r | z | n``. PyTorch's ``weight_ih_l0`` (G·H, D) is ``W_ih.T`` and its
``bias_ih_l0`` (G·H,) is ``b_ih[0]``.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np


def sigmoid(a: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """σ(a) = 1 / (1 + e^(−a)), computed as (1 + tanh(a / 2)) / 2, the same function.

    The tanh form never overflows (e^(−a) does for a < −88 in float32) and runs on NumPy's
    vectorised tanh: four times faster than ``scipy.special.expit`` in float32 (an LSTM step's
    gates: 16 us against 66 us for 32 × 256 values), within 2e-16 of it in float64.
    ``out``: where to write σ(a) (a view of the cache, say).
    """
    y = np.multiply(a, 0.5, out=out)
    np.tanh(y, out=y)
    y += 1
    y *= 0.5
    return y


def sequence_grads(
    x: np.ndarray,
    h0: np.ndarray,
    hs: np.ndarray,
    W_ih: np.ndarray,
    dxw: np.ndarray,
    dhw: np.ndarray,
    bias: bool,
    input_grad: bool,
) -> tuple[np.ndarray | None, ...]:
    """The gradients a layer's backward through time takes out of its loop:
    ``(dx, dW_ih, dW_hh, db_ih, db_hh)``, each one product over the stacked sequence.

    dxw and dhw (N, T, G·H) are every step's gradients of ``x_t W_ih + b_ih`` and of
    ``h_{t−1} W_hh + b_hh`` (the same array for the RNN and the LSTM, which add the two);
    h_prev = [h0, h_1, ..., h_{T−1}] are the inputs of the recurrence::

        dW_ih = Σ_{n,t} x_tᵀ dxw_t        one product (D, N·T) @ (N·T, G·H)
        dW_hh = Σ_{n,t} h_{t−1}ᵀ dhw_t    one product (H, N·T) @ (N·T, G·H)
        db_ih = Σ_{n,t} dxw_t,   db_hh = Σ_{n,t} dhw_t      (1, G·H), None without bias
        dx    = dxw W_ihᵀ                 (N, T, D), None when input_grad is False
    """
    N, T, D = x.shape
    H = hs.shape[2]
    h_prev = np.concatenate((h0[:, None], hs[:, :-1]), axis=1)
    dxw_rows = dxw.reshape(N * T, -1)
    dhw_rows = dhw.reshape(N * T, -1)
    dW_ih = x.reshape(N * T, D).T @ dxw_rows
    dW_hh = h_prev.reshape(N * T, H).T @ dhw_rows
    db_ih = np.sum(dxw_rows, axis=0, keepdims=True) if bias else None
    if dhw is dxw:  # one gradient for b_ih and b_hh, which were added together
        db_hh = None if db_ih is None else db_ih.copy()
    else:
        db_hh = np.sum(dhw_rows, axis=0, keepdims=True) if bias else None
    dx = (dxw_rows @ W_ih.T).reshape(N, T, D) if input_grad else None
    return dx, dW_ih, dW_hh, db_ih, db_hh


# ---------------------------------------------------------------------- the vanilla RNN
class RNNStepCache(NamedTuple):
    """What the backward of one RNN step needs from its forward."""

    x: np.ndarray  # (N, D)
    h_prev: np.ndarray  # (N, H)
    W_ih: np.ndarray  # (D, H)
    W_hh: np.ndarray  # (H, H)
    bias: bool  # whether there were b_ih, b_hh
    h: np.ndarray  # (N, H): the step's output
    nonlinearity: str  # "tanh" or "relu"


def rnn_step_forward(
    x: np.ndarray,
    h_prev: np.ndarray,
    W_ih: np.ndarray,
    W_hh: np.ndarray,
    b_ih: np.ndarray | None = None,
    b_hh: np.ndarray | None = None,
    nonlinearity: str = "tanh",
) -> tuple[np.ndarray, RNNStepCache]:
    """One step of an Elman RNN: ``h = tanh(x W_ih + b_ih + h_prev W_hh + b_hh)``.

    ::

        a = x W_ih + b_ih + h_prev W_hh + b_hh      (N, H)
        h = tanh(a)    (or max(a, 0) for nonlinearity="relu")

    x (N, D), h_prev (N, H), W_ih (D, H), W_hh (H, H), b_ih and b_hh (1, H) or both None.
    Returns ``(h, cache)``.
    """
    a = x @ W_ih + h_prev @ W_hh
    if b_ih is not None:
        a += b_ih + b_hh
    h = np.tanh(a) if nonlinearity == "tanh" else np.maximum(a, 0)
    return h, RNNStepCache(x, h_prev, W_ih, W_hh, b_ih is not None, h, nonlinearity)


def rnn_step_backward(
    grad_h: np.ndarray, cache: RNNStepCache
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray | None, np.ndarray | None]:
    """Gradients of one RNN step given dh = dL/dh (N, H):
    ``(dx, dh_prev, dW_ih, dW_hh, db_ih, db_hh)``.

    ::

        da      = dh ⊙ (1 − h²)     (tanh' written with the output h = tanh(a))
                  dh ⊙ [h > 0]      (relu)                            (N, H)
        dx      = da W_ihᵀ                                            (N, D)
        dh_prev = da W_hhᵀ                                            (N, H)
        dW_ih   = xᵀ da,   dW_hh = h_prevᵀ da                         (D, H), (H, H)
        db_ih   = db_hh = Σₙ daₙ                                      (1, H)  (None without bias)
    """
    x, h_prev, W_ih, W_hh, h = cache.x, cache.h_prev, cache.W_ih, cache.W_hh, cache.h
    da = grad_h * (1 - h * h) if cache.nonlinearity == "tanh" else grad_h * (h > 0)
    dx = da @ W_ih.T
    dh_prev = da @ W_hh.T
    dW_ih = x.T @ da
    dW_hh = h_prev.T @ da
    db_ih = da.sum(axis=0, keepdims=True) if cache.bias else None
    db_hh = None if db_ih is None else db_ih.copy()
    return dx, dh_prev, dW_ih, dW_hh, db_ih, db_hh


class RNNCache(NamedTuple):
    """What the backward of an RNN layer over a sequence needs from its forward."""

    x: np.ndarray  # (N, T, D)
    h0: np.ndarray  # (N, H)
    W_ih: np.ndarray  # (D, H)
    W_hh: np.ndarray  # (H, H)
    bias: bool
    hs: np.ndarray  # (N, T, H): every step's h
    nonlinearity: str


def rnn_forward(
    x: np.ndarray,
    h0: np.ndarray,
    W_ih: np.ndarray,
    W_hh: np.ndarray,
    b_ih: np.ndarray | None = None,
    b_hh: np.ndarray | None = None,
    nonlinearity: str = "tanh",
) -> tuple[np.ndarray, RNNCache]:
    """An RNN layer over a whole sequence (one direction): :func:`rnn_step_forward` for t = 1..T.

    ::

        xw      = x W_ih + b_ih + b_hh          (N, T, H)   one product for every step
        h_t     = tanh(xw_t + h_{t−1} W_hh)     (N, H)      t = 1..T, h_0 = h0
        hs      = [h_1, ..., h_T]               (N, T, H)

    x (N, T, D), h0 (N, H). Returns ``(hs, cache)``; the final state is ``hs[:, -1]``.
    """
    N, T, D = x.shape
    H = W_hh.shape[0]
    xw = (x.reshape(N * T, D) @ W_ih).reshape(N, T, H)
    if b_ih is not None:
        xw += b_ih + b_hh
    hs = np.empty((N, T, H), dtype=xw.dtype)
    tanh = nonlinearity == "tanh"
    h = h0
    for t in range(T):
        a = xw[:, t] + h @ W_hh
        h = np.tanh(a, out=hs[:, t]) if tanh else np.maximum(a, 0, out=hs[:, t])
    return hs, RNNCache(x, h0, W_ih, W_hh, b_ih is not None, hs, nonlinearity)


def rnn_backward(
    grad_hs: np.ndarray,
    cache: RNNCache,
    grad_h_n: np.ndarray | None = None,
    input_grad: bool = True,
) -> tuple[np.ndarray | None, ...]:
    """Backpropagation through time for :func:`rnn_forward`:
    ``(dx, dh0, dW_ih, dW_hh, db_ih, db_hh)``.

    grad_hs (N, T, H) is dL/dhs, the gradient reaching each step's output from above;
    grad_h_n (N, H), optional, is dL/dh_T from a loss on the final state. Walking back from
    t = T to 1, the gradient of h_t is what reaches it from above plus what came back
    through the recurrence from step t + 1::

        dh_t  = grad_hs_t + dh_{t+1}→t           (dh_{T+1}→T = grad_h_n, or 0)
        da_t  = dh_t ⊙ (1 − h_t²)                 (relu: dh_t ⊙ [h_t > 0])      (N, H)
        dh_{t}→{t−1} = da_t W_hhᵀ                 the recurrence, one product a step
        dh0   = dh_1→0                                                        (N, H)

    and after the loop (:func:`sequence_grads`), with da = [da_1, ..., da_T] (N, T, H)
    stacked and the inputs h_prev = [h0, h_1, ..., h_{T−1}]::

        dW_ih = Σ_{n,t} x_tᵀ da_t                 one product (D, N·T) @ (N·T, H)
        dW_hh = Σ_{n,t} h_{t−1}ᵀ da_t             one product (H, N·T) @ (N·T, H)
        db_ih = db_hh = Σ_{n,t} da_t              (1, H)
        dx    = da W_ihᵀ                          (N, T, D)  (None when input_grad is False)
    """
    x, h0, W_hh, hs = cache.x, cache.h0, cache.W_hh, cache.hs
    W_hh_T = np.ascontiguousarray(W_hh.T)  # Wᵀ laid out in memory: the step's product ~1.5x faster
    da = np.empty_like(hs)
    dh = np.zeros_like(h0) if grad_h_n is None else grad_h_n
    for t in reversed(range(x.shape[1])):
        dh = grad_hs[:, t] + dh
        h = hs[:, t]
        da[:, t] = dh * (1 - h * h) if cache.nonlinearity == "tanh" else dh * (h > 0)
        dh = da[:, t] @ W_hh_T
    dx, dW_ih, dW_hh, db_ih, db_hh = sequence_grads(
        x, h0, hs, cache.W_ih, da, da, cache.bias, input_grad
    )
    return dx, dh, dW_ih, dW_hh, db_ih, db_hh


# ---------------------------------------------------------------------- the LSTM
class LSTMStepCache(NamedTuple):
    """What the backward of one LSTM step needs from its forward."""

    x: np.ndarray  # (N, D)
    h_prev: np.ndarray  # (N, H)
    c_prev: np.ndarray  # (N, H)
    W_ih: np.ndarray  # (D, 4H)
    W_hh: np.ndarray  # (H, 4H)
    bias: bool
    i: np.ndarray  # (N, H) input gate
    f: np.ndarray  # (N, H) forget gate
    g: np.ndarray  # (N, H) candidate cell
    o: np.ndarray  # (N, H) output gate
    tanh_c: np.ndarray  # (N, H) tanh of the new cell state


def lstm_step_forward(
    x: np.ndarray,
    h_prev: np.ndarray,
    c_prev: np.ndarray,
    W_ih: np.ndarray,
    W_hh: np.ndarray,
    b_ih: np.ndarray | None = None,
    b_hh: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, LSTMStepCache]:
    """One LSTM step, PyTorch's gate order i, f, g, o.

    ::

        a = x W_ih + b_ih + h_prev W_hh + b_hh            (N, 4H), columns i | f | g | o
        i = σ(a_i)   f = σ(a_f)   g = tanh(a_g)   o = σ(a_o)     (N, H) each
        c = f ⊙ c_prev + i ⊙ g                            (N, H)  the cell state
        h = o ⊙ tanh(c)                                   (N, H)  the hidden state

    Returns ``(h, c, cache)``.
    """
    a = x @ W_ih + h_prev @ W_hh
    if b_ih is not None:
        a += b_ih + b_hh
    a_i, a_f, a_g, a_o = np.split(a, 4, axis=1)
    i, f, g, o = sigmoid(a_i), sigmoid(a_f), np.tanh(a_g), sigmoid(a_o)
    c = f * c_prev + i * g
    tanh_c = np.tanh(c)
    h = o * tanh_c
    cache = LSTMStepCache(x, h_prev, c_prev, W_ih, W_hh, b_ih is not None, i, f, g, o, tanh_c)
    return h, c, cache


def lstm_step_backward(
    grad_h: np.ndarray, grad_c: np.ndarray, cache: LSTMStepCache
) -> tuple[np.ndarray, ...]:
    """Gradients of one LSTM step given dh = dL/dh and dc = dL/dc (both (N, H)):
    ``(dx, dh_prev, dc_prev, dW_ih, dW_hh, db_ih, db_hh)``.

    ::

        dc      = dc + dh ⊙ o ⊙ (1 − tanh²(c))     c reaches the loss directly and through h
        da_i    = dc ⊙ g ⊙ i(1 − i)                 σ' = σ(1 − σ)
        da_f    = dc ⊙ c_prev ⊙ f(1 − f)
        da_g    = dc ⊙ i ⊙ (1 − g²)                 tanh' = 1 − tanh²
        da_o    = dh ⊙ tanh(c) ⊙ o(1 − o)
        da      = [da_i | da_f | da_g | da_o]       (N, 4H)
        dc_prev = dc ⊙ f                            (N, H)
        dh_prev = da W_hhᵀ,   dx = da W_ihᵀ         (N, H), (N, D)
        dW_ih   = xᵀ da,   dW_hh = h_prevᵀ da,   db_ih = db_hh = Σₙ daₙ (None without bias)
    """
    i, f, g, o, tanh_c = cache.i, cache.f, cache.g, cache.o, cache.tanh_c
    dc = grad_c + grad_h * o * (1 - tanh_c * tanh_c)
    da = np.concatenate(
        (
            dc * g * i * (1 - i),
            dc * cache.c_prev * f * (1 - f),
            dc * i * (1 - g * g),
            grad_h * tanh_c * o * (1 - o),
        ),
        axis=1,
    )
    dc_prev = dc * f
    dh_prev = da @ cache.W_hh.T
    dx = da @ cache.W_ih.T
    dW_ih = cache.x.T @ da
    dW_hh = cache.h_prev.T @ da
    db_ih = da.sum(axis=0, keepdims=True) if cache.bias else None
    db_hh = None if db_ih is None else db_ih.copy()
    return dx, dh_prev, dc_prev, dW_ih, dW_hh, db_ih, db_hh


class LSTMCache(NamedTuple):
    """What the backward of an LSTM layer over a sequence needs from its forward."""

    x: np.ndarray  # (N, T, D)
    h0: np.ndarray  # (N, H)
    c0: np.ndarray  # (N, H)
    W_ih: np.ndarray  # (D, 4H)
    W_hh: np.ndarray  # (H, 4H)
    bias: bool
    gates: np.ndarray  # (N, T, 4H): every step's i | f | g | o, after their σ and tanh
    cs: np.ndarray  # (N, T, H): every step's cell state c
    tanh_cs: np.ndarray  # (N, T, H): tanh(c)
    hs: np.ndarray  # (N, T, H): every step's h


def lstm_forward(
    x: np.ndarray,
    h0: np.ndarray,
    c0: np.ndarray,
    W_ih: np.ndarray,
    W_hh: np.ndarray,
    b_ih: np.ndarray | None = None,
    b_hh: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, LSTMCache]:
    """An LSTM layer over a whole sequence (one direction): :func:`lstm_step_forward` for
    t = 1..T, the input projection taken out of the loop.

    ::

        xw    = x W_ih + b_ih + b_hh                    (N, T, 4H)  one product for every step
        a_t   = xw_t + h_{t−1} W_hh                     (N, 4H)     one product a step
        i, f, g, o = σ(a_i), σ(a_f), tanh(a_g), σ(a_o)
        c_t   = f ⊙ c_{t−1} + i ⊙ g,   h_t = o ⊙ tanh(c_t)      h_0 = h0, c_0 = c0

    x (N, T, D), h0 and c0 (N, H). Returns ``(hs, cs, cache)``, every step's h and c (N, T, H);
    the final states are ``hs[:, -1]`` and ``cs[:, -1]``.
    """
    N, T, D = x.shape
    H = W_hh.shape[0]
    xw = (x.reshape(N * T, D) @ W_ih).reshape(N, T, 4 * H)
    if b_ih is not None:
        xw += b_ih + b_hh
    gates = np.empty_like(xw)
    cs = np.empty((N, T, H), dtype=xw.dtype)
    tanh_cs = np.empty_like(cs)
    hs = np.empty_like(cs)
    h, c = h0, c0
    for t in range(T):
        a = xw[:, t] + h @ W_hh
        i = sigmoid(a[:, :H], out=gates[:, t, :H])
        f = sigmoid(a[:, H : 2 * H], out=gates[:, t, H : 2 * H])
        g = np.tanh(a[:, 2 * H : 3 * H], out=gates[:, t, 2 * H : 3 * H])
        o = sigmoid(a[:, 3 * H :], out=gates[:, t, 3 * H :])
        c = np.add(f * c, i * g, out=cs[:, t])
        h = np.multiply(o, np.tanh(c, out=tanh_cs[:, t]), out=hs[:, t])
    return hs, cs, LSTMCache(x, h0, c0, W_ih, W_hh, b_ih is not None, gates, cs, tanh_cs, hs)


def lstm_backward(
    grad_hs: np.ndarray,
    cache: LSTMCache,
    grad_h_n: np.ndarray | None = None,
    grad_c_n: np.ndarray | None = None,
    input_grad: bool = True,
) -> tuple[np.ndarray | None, ...]:
    """Backpropagation through time for :func:`lstm_forward`:
    ``(dx, dh0, dc0, dW_ih, dW_hh, db_ih, db_hh)``.

    grad_hs (N, T, H) is dL/dhs from above; grad_h_n and grad_c_n (N, H), optional, are the
    gradients of a loss on the final states. From t = T down to 1 (:func:`lstm_step_backward`'s
    lines, the cell state's gradient carried back as the hidden state's is)::

        dh_t  = grad_hs_t + dh_{t+1}→t                    (dh_{T+1}→T = grad_h_n, or 0)
        dc_t  = dc_{t+1}→t + dh_t ⊙ o ⊙ (1 − tanh²(c_t))  (dc_{T+1}→T = grad_c_n, or 0)
        da_t  = [dc_t ⊙ g ⊙ i(1−i) | dc_t ⊙ c_{t−1} ⊙ f(1−f) | dc_t ⊙ i ⊙ (1−g²) |
                 dh_t ⊙ tanh(c_t) ⊙ o(1−o)]                (N, 4H)
        dc_{t}→{t−1} = dc_t ⊙ f,   dh_{t}→{t−1} = da_t W_hhᵀ
        dh0, dc0 = dh_1→0, dc_1→0

    then (:func:`sequence_grads`), over the stacked da (N, T, 4H) and
    h_prev = [h0, h_1, ..., h_{T−1}]::

        dW_ih = Σ x_tᵀ da_t,   dW_hh = Σ h_{t−1}ᵀ da_t,   db_ih = db_hh = Σ da_t
        dx    = da W_ihᵀ       (N, T, D)  (None when input_grad is False)
    """
    x, h0, c0, W_hh = cache.x, cache.h0, cache.c0, cache.W_hh
    gates, cs, tanh_cs, hs = cache.gates, cache.cs, cache.tanh_cs, cache.hs
    H = h0.shape[1]
    W_hh_T = np.ascontiguousarray(W_hh.T)  # Wᵀ laid out in memory: the step's product ~1.5x faster
    da = np.empty_like(gates)
    dh = np.zeros_like(h0) if grad_h_n is None else grad_h_n
    dc = np.zeros_like(c0) if grad_c_n is None else grad_c_n
    for t in reversed(range(x.shape[1])):
        i, f, g, o = (gates[:, t, k * H : (k + 1) * H] for k in range(4))
        tanh_c = tanh_cs[:, t]
        c_prev = c0 if t == 0 else cs[:, t - 1]
        dh = grad_hs[:, t] + dh
        dc = dc + dh * o * (1 - tanh_c * tanh_c)
        da_i, da_f, da_g, da_o = np.split(da[:, t], 4, axis=1)  # views into da
        da_i[:] = dc * g * i * (1 - i)
        da_f[:] = dc * c_prev * f * (1 - f)
        da_g[:] = dc * i * (1 - g * g)
        da_o[:] = dh * tanh_c * o * (1 - o)
        dc = dc * f
        dh = da[:, t] @ W_hh_T
    dx, dW_ih, dW_hh, db_ih, db_hh = sequence_grads(
        x, h0, hs, cache.W_ih, da, da, cache.bias, input_grad
    )
    return dx, dh, dc, dW_ih, dW_hh, db_ih, db_hh


# ---------------------------------------------------------------------- the GRU
class GRUStepCache(NamedTuple):
    """What the backward of one GRU step needs from its forward."""

    x: np.ndarray  # (N, D)
    h_prev: np.ndarray  # (N, H)
    W_ih: np.ndarray  # (D, 3H)
    W_hh: np.ndarray  # (H, 3H)
    bias: bool
    r: np.ndarray  # (N, H) reset gate
    z: np.ndarray  # (N, H) update gate
    n: np.ndarray  # (N, H) candidate state
    hw_n: np.ndarray  # (N, H) h_prev W_hn + b_hn, the part the reset gate scales


def gru_step_forward(
    x: np.ndarray,
    h_prev: np.ndarray,
    W_ih: np.ndarray,
    W_hh: np.ndarray,
    b_ih: np.ndarray | None = None,
    b_hh: np.ndarray | None = None,
) -> tuple[np.ndarray, GRUStepCache]:
    """One GRU step, as PyTorch computes it (gate order r, z, n; the reset gate applied after
    the hidden product).

    ::

        xw = x W_ih + b_ih,   hw = h_prev W_hh + b_hh     (N, 3H), columns r | z | n
        r  = σ(xw_r + hw_r)                               (N, H)  reset gate
        z  = σ(xw_z + hw_z)                               (N, H)  update gate
        n  = tanh(xw_n + r ⊙ hw_n)                        (N, H)  candidate
        h  = (1 − z) ⊙ n + z ⊙ h_prev                     (N, H)

    Returns ``(h, cache)``.
    """
    xw = x @ W_ih
    hw = h_prev @ W_hh
    if b_ih is not None:
        xw += b_ih
        hw += b_hh
    xw_r, xw_z, xw_n = np.split(xw, 3, axis=1)
    hw_r, hw_z, hw_n = np.split(hw, 3, axis=1)
    r = sigmoid(xw_r + hw_r)
    z = sigmoid(xw_z + hw_z)
    n = np.tanh(xw_n + r * hw_n)
    h = (1 - z) * n + z * h_prev
    return h, GRUStepCache(x, h_prev, W_ih, W_hh, b_ih is not None, r, z, n, hw_n)


def gru_step_backward(grad_h: np.ndarray, cache: GRUStepCache) -> tuple[np.ndarray | None, ...]:
    """Gradients of one GRU step given dh = dL/dh (N, H):
    ``(dx, dh_prev, dW_ih, dW_hh, db_ih, db_hh)``.

    ::

        da_n   = dh ⊙ (1 − z) ⊙ (1 − n²)            n's pre-activation     (N, H)
        da_z   = dh ⊙ (h_prev − n) ⊙ z(1 − z)
        da_r   = da_n ⊙ hw_n ⊙ r(1 − r)
        dxw    = [da_r | da_z | da_n]                (N, 3H)  the input side
        dhw    = [da_r | da_z | da_n ⊙ r]            (N, 3H)  the hidden side (r scales hw_n)
        dx     = dxw W_ihᵀ
        dh_prev = dh ⊙ z + dhw W_hhᵀ
        dW_ih  = xᵀ dxw,   dW_hh = h_prevᵀ dhw,   db_ih = Σₙ dxw,   db_hh = Σₙ dhw
    """
    r, z, n, hw_n, h_prev = cache.r, cache.z, cache.n, cache.hw_n, cache.h_prev
    da_n = grad_h * (1 - z) * (1 - n * n)
    da_z = grad_h * (h_prev - n) * z * (1 - z)
    da_r = da_n * hw_n * r * (1 - r)
    dxw = np.concatenate((da_r, da_z, da_n), axis=1)
    dhw = np.concatenate((da_r, da_z, da_n * r), axis=1)
    dx = dxw @ cache.W_ih.T
    dh_prev = grad_h * z + dhw @ cache.W_hh.T
    dW_ih = cache.x.T @ dxw
    dW_hh = h_prev.T @ dhw
    db_ih = dxw.sum(axis=0, keepdims=True) if cache.bias else None
    db_hh = dhw.sum(axis=0, keepdims=True) if cache.bias else None
    return dx, dh_prev, dW_ih, dW_hh, db_ih, db_hh


class GRUCache(NamedTuple):
    """What the backward of a GRU layer over a sequence needs from its forward."""

    x: np.ndarray  # (N, T, D)
    h0: np.ndarray  # (N, H)
    W_ih: np.ndarray  # (D, 3H)
    W_hh: np.ndarray  # (H, 3H)
    bias: bool
    gates: np.ndarray  # (N, T, 3H): every step's r | z | n, after their σ and tanh
    hw_n: np.ndarray  # (N, T, H): every step's h_{t−1} W_hn + b_hn
    hs: np.ndarray  # (N, T, H): every step's h


def gru_forward(
    x: np.ndarray,
    h0: np.ndarray,
    W_ih: np.ndarray,
    W_hh: np.ndarray,
    b_ih: np.ndarray | None = None,
    b_hh: np.ndarray | None = None,
) -> tuple[np.ndarray, GRUCache]:
    """A GRU layer over a whole sequence (one direction): :func:`gru_step_forward` for
    t = 1..T, the input projection taken out of the loop.

    ::

        xw   = x W_ih + b_ih                         (N, T, 3H)  one product for every step
        hw   = h_{t−1} W_hh + b_hh                   (N, 3H)     one product a step
        r, z = σ(xw_r + hw_r), σ(xw_z + hw_z)
        n    = tanh(xw_n + r ⊙ hw_n)
        h_t  = (1 − z) ⊙ n + z ⊙ h_{t−1}             h_0 = h0

    x (N, T, D), h0 (N, H). Returns ``(hs, cache)``; the final state is ``hs[:, -1]``.
    """
    N, T, D = x.shape
    H = W_hh.shape[0]
    xw = (x.reshape(N * T, D) @ W_ih).reshape(N, T, 3 * H)
    if b_ih is not None:
        xw += b_ih
    gates = np.empty_like(xw)
    hw_ns = np.empty((N, T, H), dtype=xw.dtype)
    hs = np.empty_like(hw_ns)
    h = h0
    for t in range(T):
        hw = h @ W_hh
        if b_hh is not None:
            hw += b_hh
        r = sigmoid(xw[:, t, :H] + hw[:, :H], out=gates[:, t, :H])
        z = sigmoid(xw[:, t, H : 2 * H] + hw[:, H : 2 * H], out=gates[:, t, H : 2 * H])
        hw_n = hw_ns[:, t] = hw[:, 2 * H :]
        n = np.tanh(xw[:, t, 2 * H :] + r * hw_n, out=gates[:, t, 2 * H :])
        h = np.add((1 - z) * n, z * h, out=hs[:, t])
    return hs, GRUCache(x, h0, W_ih, W_hh, b_ih is not None, gates, hw_ns, hs)


def gru_backward(
    grad_hs: np.ndarray,
    cache: GRUCache,
    grad_h_n: np.ndarray | None = None,
    input_grad: bool = True,
) -> tuple[np.ndarray | None, ...]:
    """Backpropagation through time for :func:`gru_forward`:
    ``(dx, dh0, dW_ih, dW_hh, db_ih, db_hh)``.

    From t = T down to 1 (:func:`gru_step_backward`'s lines)::

        dh_t   = grad_hs_t + dh_{t+1}→t                      (dh_{T+1}→T = grad_h_n, or 0)
        da_n   = dh_t ⊙ (1 − z) ⊙ (1 − n²)
        da_z   = dh_t ⊙ (h_{t−1} − n) ⊙ z(1 − z)
        da_r   = da_n ⊙ hw_n ⊙ r(1 − r)
        dxw_t  = [da_r | da_z | da_n],   dhw_t = [da_r | da_z | da_n ⊙ r]     (N, 3H)
        dh_{t}→{t−1} = dh_t ⊙ z + dhw_t W_hhᵀ
        dh0    = dh_1→0

    then (:func:`sequence_grads`), over the stacked dxw, dhw (N, T, 3H) and
    h_prev = [h0, h_1, ..., h_{T−1}]::

        dW_ih = Σ x_tᵀ dxw_t,   dW_hh = Σ h_{t−1}ᵀ dhw_t,   db_ih = Σ dxw_t,   db_hh = Σ dhw_t
        dx    = dxw W_ihᵀ       (N, T, D)  (None when input_grad is False)
    """
    x, h0, W_hh = cache.x, cache.h0, cache.W_hh
    gates, hw_ns, hs = cache.gates, cache.hw_n, cache.hs
    H = h0.shape[1]
    W_hh_T = np.ascontiguousarray(W_hh.T)  # Wᵀ laid out in memory: the step's product ~1.5x faster
    dxw = np.empty_like(gates)
    dhw = np.empty_like(gates)
    dh = np.zeros_like(h0) if grad_h_n is None else grad_h_n
    for t in reversed(range(x.shape[1])):
        r, z, n = (gates[:, t, k * H : (k + 1) * H] for k in range(3))
        h_prev = h0 if t == 0 else hs[:, t - 1]
        dh = grad_hs[:, t] + dh
        da_n = dh * (1 - z) * (1 - n * n)
        da_z = dh * (h_prev - n) * z * (1 - z)
        da_r = da_n * hw_ns[:, t] * r * (1 - r)
        dxw[:, t, :H] = dhw[:, t, :H] = da_r
        dxw[:, t, H : 2 * H] = dhw[:, t, H : 2 * H] = da_z
        dxw[:, t, 2 * H :] = da_n
        dhw[:, t, 2 * H :] = da_n * r
        dh = dh * z + dhw[:, t] @ W_hh_T
    dx, dW_ih, dW_hh, db_ih, db_hh = sequence_grads(
        x, h0, hs, cache.W_ih, dxw, dhw, cache.bias, input_grad
    )
    return dx, dh, dW_ih, dW_hh, db_ih, db_hh
