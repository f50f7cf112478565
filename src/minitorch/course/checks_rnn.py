"""The public checks of 12-rnn: the RNN, LSTM and GRU steps and backpropagation through time.

Each row of :data:`RNN_CHECKS` says how a task is checked (see :mod:`.check_core`). The sizes
of every case (N, D, H, T) are drawn with its values, so a hidden test's inputs differ in shape
too. A backward is checked on the cache the reference's forward made (stored with the inputs),
then against central differences through the edition's own forward (the student's step
forward; the library's sequence forward), which can only fail a task. ``cases`` runs only on
the reference, when :mod:`.make_golden` stores the values.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .check_core import Arrays, Check, at_index, load_cache, number, store_cache

__all__ = ["RNN_CHECKS"]

_GATES = {"rnn": 1, "lstm": 4, "gru": 3}
_STEP_CASES = ("tanh", "relu", "no_bias")  # the RNN's; the LSTM and GRU have bias, no_bias


def _function(name: str) -> Callable:
    """``nn.functional.<name>`` as this process has it (the student's in an edition)."""
    from minitorch.nn import functional

    return getattr(functional, name)


def _cells(kind: str) -> tuple[str, ...]:
    return _STEP_CASES if kind == "rnn" else ("bias", "no_bias")


def _nonlinearity(case: str) -> str:
    return "relu" if case == "relu" else "tanh"


def _draw(rng: np.random.Generator, kind: str, case: str, steps: int | None) -> Arrays:
    """A layer's inputs and weights, sizes drawn too: x (N, D) or (N, T, D), the states (N, H),
    W_ih (D, G·H), W_hh (H, G·H), b_ih and b_hh (1, G·H) unless the case has no bias."""
    N, D, H = (int(v) for v in rng.integers(2, 5, size=3))
    GH = _GATES[kind] * H
    x_shape = (N, D) if steps is None else (N, steps, D)
    first = "h_prev" if steps is None else "h0"
    arrays = {"x": rng.standard_normal(x_shape), first: rng.standard_normal((N, H)) * 0.5}
    if kind == "lstm":
        arrays["c_prev" if steps is None else "c0"] = rng.standard_normal((N, H))
    arrays["W_ih"] = rng.standard_normal((D, GH)) * 0.5
    arrays["W_hh"] = rng.standard_normal((H, GH)) * 0.5
    if case != "no_bias":
        arrays["b_ih"] = rng.standard_normal((1, GH)) * 0.5
        arrays["b_hh"] = rng.standard_normal((1, GH)) * 0.5
    return arrays


def _weights(a: Arrays) -> tuple[Any, ...]:
    return a["W_ih"], a["W_hh"], a.get("b_ih"), a.get("b_hh")


def _extra(kind: str, case: str) -> dict[str, str]:
    return {"nonlinearity": _nonlinearity(case)} if kind == "rnn" else {}


# ----------------------------------------------------------------- one step
def _step_forward(fn: Callable, kind: str, case: str, a: Arrays) -> tuple[Any, ...]:
    states = (a["x"], a["h_prev"], a["c_prev"]) if kind == "lstm" else (a["x"], a["h_prev"])
    return fn(*states, *_weights(a), **_extra(kind, case))


def _step_forward_cases(kind: str) -> Callable[[np.random.Generator], dict[str, Arrays]]:
    def cases(rng: np.random.Generator) -> dict[str, Arrays]:
        return {case: _draw(rng, kind, case, None) for case in _cells(kind)}

    return cases


_CACHED = {  # what each step's cache holds that its backward reads (the rest are its inputs)
    "rnn": ("h",),
    "lstm": ("i", "f", "g", "o", "tanh_c"),
    "gru": ("r", "z", "n", "hw_n"),
}


def _step_forward_run(kind: str) -> Callable[[Callable, str, Arrays], dict[str, Any]]:
    def run(fn: Callable, case: str, a: Arrays) -> dict[str, Any]:
        *states, cache = _step_forward(fn, kind, case, a)
        outputs = dict(zip(("h", "c"), states, strict=False))
        outputs.update({f"cache.{name}": getattr(cache, name) for name in _CACHED[kind]})
        return outputs

    return run


_STEP_GRADS = {
    "rnn": ("dx", "dh_prev", "dW_ih", "dW_hh", "db_ih", "db_hh"),
    "lstm": ("dx", "dh_prev", "dc_prev", "dW_ih", "dW_hh", "db_ih", "db_hh"),
    "gru": ("dx", "dh_prev", "dW_ih", "dW_hh", "db_ih", "db_hh"),
}
_STEP_CACHE = {"rnn": "RNNStepCache", "lstm": "LSTMStepCache", "gru": "GRUStepCache"}


def _step_backward_cases(kind: str) -> Callable[[np.random.Generator], dict[str, Arrays]]:
    def cases(rng: np.random.Generator) -> dict[str, Arrays]:
        drawn = {}
        for case, a in _step_forward_cases(kind)(rng).items():
            h, *rest = _step_forward(_function(f"{kind}_step_forward"), kind, case, a)
            arrays = {"grad_h": rng.standard_normal(h.shape)}
            if kind == "lstm":
                arrays["grad_c"] = rng.standard_normal(h.shape)
            drawn[case] = {**arrays, **store_cache(rest[-1])}
        return drawn

    return cases


def _step_backward_run(kind: str) -> Callable[[Callable, str, Arrays], dict[str, Any]]:
    def run(fn: Callable, case: str, a: Arrays) -> dict[str, Any]:
        from minitorch.nn.functional import rnn

        cache = load_cache(getattr(rnn, _STEP_CACHE[kind]), a, **_extra(kind, case))
        grads = (a["grad_h"], a["grad_c"]) if kind == "lstm" else (a["grad_h"],)
        return dict(zip(_STEP_GRADS[kind], fn(*grads, cache), strict=True))

    return run


# ----------------------------------------------------------------- a sequence
_SEQUENCES = ("final_state", "no_bias_relu", "one_step", "no_input_grad")
_SEQ_GRADS = {
    "rnn": ("dx", "dh0", "dW_ih", "dW_hh", "db_ih", "db_hh"),
    "lstm": ("dx", "dh0", "dc0", "dW_ih", "dW_hh", "db_ih", "db_hh"),
    "gru": ("dx", "dh0", "dW_ih", "dW_hh", "db_ih", "db_hh"),
}
_SEQ_CACHE = {"rnn": "RNNCache", "lstm": "LSTMCache", "gru": "GRUCache"}


def _sequence_cases(kind: str) -> tuple[str, ...]:
    return _SEQUENCES if kind == "rnn" else tuple(c.replace("_relu", "") for c in _SEQUENCES)


def _seq_forward(fn: Callable, kind: str, case: str, a: Arrays) -> tuple[Any, ...]:
    states = (a["x"], a["h0"], a["c0"]) if kind == "lstm" else (a["x"], a["h0"])
    extra = {"nonlinearity": "relu" if case.endswith("relu") else "tanh"} if kind == "rnn" else {}
    return fn(*states, *_weights(a), **extra)


def _seq_backward_cases(kind: str) -> Callable[[np.random.Generator], dict[str, Arrays]]:
    def cases(rng: np.random.Generator) -> dict[str, Arrays]:
        drawn = {}
        for case in _sequence_cases(kind):
            steps = 1 if case == "one_step" else int(rng.integers(3, 7))
            a = _draw(rng, kind, "no_bias" if case.startswith("no_bias") else "bias", steps)
            hs, *rest = _seq_forward(_function(f"{kind}_forward"), kind, case, a)
            arrays = {"grad_hs": rng.standard_normal(hs.shape)}
            if case in ("final_state", "one_step"):  # a loss on the final state(s) too
                arrays["grad_h_n"] = rng.standard_normal(hs[:, -1].shape)
                if kind == "lstm":
                    arrays["grad_c_n"] = rng.standard_normal(hs[:, -1].shape)
            drawn[case] = {**arrays, **store_cache(rest[-1])}
        return drawn

    return cases


def _seq_backward_run(kind: str) -> Callable[[Callable, str, Arrays], dict[str, Any]]:
    def run(fn: Callable, case: str, a: Arrays) -> dict[str, Any]:
        from minitorch.nn.functional import rnn

        extra = {"nonlinearity": "relu" if case.endswith("relu") else "tanh"}
        cache = load_cache(getattr(rnn, _SEQ_CACHE[kind]), a, **(extra if kind == "rnn" else {}))
        finals = {"grad_h_n": a.get("grad_h_n")}
        if kind == "lstm":
            finals["grad_c_n"] = a.get("grad_c_n")
        grads = fn(a["grad_hs"], cache, **finals, input_grad=case != "no_input_grad")
        return dict(zip(_SEQ_GRADS[kind], grads, strict=True))

    return run


# ----------------------------------------------------------------- central differences
def _central_differences(loss: Callable[[], float], array: np.ndarray) -> np.ndarray:
    """dL/d(array) by (L(a + ε) − L(a − ε)) / 2ε, one entry at a time (ε = 1e-6)."""
    grad = np.zeros_like(array)
    for index in np.ndindex(array.shape):
        kept = array[index]
        array[index] = kept + 1e-6
        plus = loss()
        array[index] = kept - 1e-6
        minus = loss()
        array[index] = kept
        grad[index] = (plus - minus) / 2e-6
    return grad


def _gradient_check(task: str, forward: str, kind: str, steps: int | None) -> Callable:
    """A ``behaviour``: the backward ``fn`` against central differences of
    L = Σ G ⊙ outputs through the edition's ``forward`` (the student's, for a step)."""

    def behaviour(fn: Callable) -> str | None:
        try:
            return compared(fn)
        except NotImplementedError as error:
            return (
                f"{task} matches the stored values; its check against central differences runs "
                f"through your {forward}, which raised: {error}"
            )

    def compared(fn: Callable) -> str | None:
        rng = np.random.default_rng(12)
        a = _draw(rng, kind, "bias", steps)
        run = _step_forward if steps is None else _seq_forward

        def outputs() -> tuple[np.ndarray, ...]:  # a sequence: hs, and the final h (and c)
            made = run(_function(forward), kind, "tanh", a)[:-1]
            return made if steps is None else (made[0], *(o[:, -1] for o in made))

        weights = [rng.standard_normal(np.shape(o)) for o in outputs()]

        def loss() -> float:
            return float(sum(np.sum(w * o) for w, o in zip(weights, outputs(), strict=True)))

        *_, cache = run(_function(forward), kind, "tanh", a)
        if steps is None:
            grads = fn(*weights, cache)
            names = ["x", "h_prev", "c_prev"][: 3 if kind == "lstm" else 2]
        else:
            finals = dict(zip(("grad_h_n", "grad_c_n"), weights[1:], strict=False))
            grads = fn(weights[0], cache, **finals)
            names = ["x", "h0", "c0"][: 3 if kind == "lstm" else 2]
        names += ["W_ih", "W_hh", "b_ih", "b_hh"]
        for name, grad in zip(names, grads, strict=True):
            numeric = _central_differences(loss, a[name])
            yours = np.asarray(grad, dtype=np.float64)
            if yours.shape != numeric.shape or not np.allclose(yours, numeric, atol=1e-6,
                                                               rtol=1e-5):
                if yours.shape != numeric.shape:
                    return f"{task}: d{name} has shape {yours.shape}, expected {numeric.shape}"
                where = np.unravel_index(int(np.argmax(np.abs(yours - numeric))), yours.shape)
                return (
                    f"{task}: d{name} differs at {at_index(where)} from central differences "
                    f"through {forward} (yours {number(float(yours[where]))}, numeric "
                    f"{number(float(numeric[where]))}); the backward must be the derivative of "
                    "the forward"
                )
        return None

    return behaviour


# ----------------------------------------------------------------- the table
_DA_RNN = "da = dh ⊙ (1 − h²) for tanh, dh ⊙ [h > 0] for relu"
_DA_LSTM = ("dc = dc + dh ⊙ o ⊙ (1 − tanh²(c)); da = [dc ⊙ g ⊙ i(1−i) | dc ⊙ c_prev ⊙ f(1−f) | "
            "dc ⊙ i ⊙ (1−g²) | dh ⊙ tanh(c) ⊙ o(1−o)]")
_DA_GRU = ("da_n = dh ⊙ (1−z) ⊙ (1−n²), da_z = dh ⊙ (h_prev − n) ⊙ z(1−z), da_r = da_n ⊙ hw_n ⊙ "
           "r(1−r); dxw = [da_r | da_z | da_n], dhw = [da_r | da_z | da_n ⊙ r]")
_STEP_HINTS = {
    "rnn": {"dx": f"dx = da W_ihᵀ, {_DA_RNN}", "dh_prev": f"dh_prev = da W_hhᵀ, {_DA_RNN}",
            "dW_ih": "dW_ih = xᵀ da (D, H)", "dW_hh": "dW_hh = h_prevᵀ da (H, H)",
            "db_ih": "db_ih = Σₙ da (1, H), None without bias", "db_hh": "db_hh = db_ih"},
    "lstm": {"dx": f"dx = da W_ihᵀ, {_DA_LSTM}", "dh_prev": f"dh_prev = da W_hhᵀ, {_DA_LSTM}",
             "dc_prev": "dc_prev = (dc + dh ⊙ o ⊙ (1 − tanh²(c))) ⊙ f",
             "dW_ih": "dW_ih = xᵀ da (D, 4H)", "dW_hh": "dW_hh = h_prevᵀ da (H, 4H)",
             "db_ih": "db_ih = Σₙ da (1, 4H), None without bias", "db_hh": "db_hh = db_ih"},
    "gru": {"dx": f"dx = dxw W_ihᵀ, {_DA_GRU}", "dh_prev": f"dh_prev = dh ⊙ z + dhw W_hhᵀ, "
            f"{_DA_GRU}", "dW_ih": "dW_ih = xᵀ dxw (D, 3H)", "dW_hh": "dW_hh = h_prevᵀ dhw (H, 3H)",
            "db_ih": "db_ih = Σₙ dxw, None without bias",
            "db_hh": "db_hh = Σₙ dhw (r scales hw_n)"},
}
_BPTT = ("walking back from t = T, dh_t = grad_hs_t + the gradient from step t + 1 (grad_h_n at "
         "t = T), then the step's backward; the weight gradients add up over t")
_SEQ_HINTS = {
    "dx": f"dx_t is the step's dx at every t, (N, T, D), None when input_grad is False; {_BPTT}",
    "dh0": f"dh0 is what the recurrence carries back past t = 1; {_BPTT}",
    "dc0": f"dc0 = the cell's gradient carried back (⊙ f) past t = 1; {_BPTT}",
    "dW_ih": f"dW_ih = Σ_t x_tᵀ da_t; {_BPTT}", "dW_hh": f"dW_hh = Σ_t h_{{t−1}}ᵀ da_t; {_BPTT}",
    "db_ih": f"db_ih = Σ_(n,t) da_t, None without bias; {_BPTT}",
    "db_hh": f"db_hh = Σ_(n,t) of the hidden side's da_t; {_BPTT}",
}
_FORWARD_HINTS = {
    "rnn": {"h": "h = tanh(x W_ih + b_ih + h_prev W_hh + b_hh) (max(a, 0) for relu), (N, H)",
            "cache.h": "cache h, the step's output (the backward writes tanh' as 1 − h²)"},
    "lstm": {"h": "h = o ⊙ tanh(c), (N, H)", "c": "c = f ⊙ c_prev + i ⊙ g, (N, H)",
             "cache.i": "i = σ(a[:, :H]), a = x W_ih + b_ih + h_prev W_hh + b_hh, columns "
             "i | f | g | o", "cache.f": "f = σ(a[:, H:2H])", "cache.g": "g = tanh(a[:, 2H:3H])",
             "cache.o": "o = σ(a[:, 3H:])", "cache.tanh_c": "cache tanh(c)"},
    "gru": {"h": "h = (1 − z) ⊙ n + z ⊙ h_prev, (N, H)",
            "cache.r": "r = σ(xw_r + hw_r), xw = x W_ih + b_ih, hw = h_prev W_hh + b_hh, "
            "columns r | z | n", "cache.z": "z = σ(xw_z + hw_z)",
            "cache.n": "n = tanh(xw_n + r ⊙ hw_n): the reset gate after the hidden product",
            "cache.hw_n": "cache hw_n = h_prev W_hn + b_hn, the part r scales"},
}


def _rows() -> dict[str, Check]:
    rows = {}
    for kind in _GATES:
        rows[f"{kind}_step_forward"] = Check(
            cases=_step_forward_cases(kind), run=_step_forward_run(kind),
            hints=_FORWARD_HINTS[kind],
        )
        rows[f"{kind}_step_backward"] = Check(
            cases=_step_backward_cases(kind), run=_step_backward_run(kind),
            hints=_STEP_HINTS[kind],
            behaviour=_gradient_check(f"{kind}_step_backward", f"{kind}_step_forward", kind, None),
        )
        rows[f"{kind}_backward"] = Check(
            cases=_seq_backward_cases(kind), run=_seq_backward_run(kind), hints=_SEQ_HINTS,
            behaviour=_gradient_check(f"{kind}_backward", f"{kind}_forward", kind, 4),
        )
    return rows


RNN_CHECKS: dict[str, Check] = _rows()
