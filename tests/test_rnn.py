"""nn.RNN, nn.LSTM, nn.GRU and their cells: what the layer table's rows (tests/layer_table.py,
``recurrent(...)``) do not cover.

* every configuration against torch (1 and 2 layers, both directions, with and without bias,
  with and without given states, T = 1 and T = 50): outputs, final states and every gradient
  (input, h0, c0, every parameter) to 1e-10 in float64, with a loss on the output and on the
  final states;
* float64 gradcheck of the states' gradients (the table's rows give x alone);
* batch_first, unbatched input, the missing batch_first's lesson, dropout in eval and training,
  truncated BPTT, loading a torch model's weights, the step pairs against the modules.

The comparisons with torch here are live only (skipped without torch): the configurations are
too many for golden files; the table's rows keep golden files for the case without torch.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import minitorch
import minitorch.nn.functional as F
from layer_table import RecurrentOutputs
from minitorch import nn
from minitorch.testing import gradcheck
from parity import PARITY_LOG, RTOL, relative_difference, torch, torch_tensor

needs_torch = pytest.mark.skipif(torch is None, reason="torch is the parity oracle")
N, D, H = 3, 4, 5
KINDS = {  # our class, its keyword arguments, torch's class name, whether it has c
    "rnn_tanh": (nn.RNN, {"nonlinearity": "tanh"}, "RNN", False),
    "rnn_relu": (nn.RNN, {"nonlinearity": "relu"}, "RNN", False),
    "lstm": (nn.LSTM, {}, "LSTM", True),
    "gru": (nn.GRU, {}, "GRU", False),
}
CELLS = {
    "rnn_tanh": (nn.RNNCell, {"nonlinearity": "tanh"}, "RNNCell", False),
    "rnn_relu": (nn.RNNCell, {"nonlinearity": "relu"}, "RNNCell", False),
    "lstm": (nn.LSTMCell, {}, "LSTMCell", True),
    "gru": (nn.GRUCell, {}, "GRUCell", False),
}


def to_torch(ours, torch_name: str, **options):
    """The torch module of the same sizes with our weights (``pytorch_state_dict``) in it."""
    module = getattr(torch.nn, torch_name)(ours.input_size, ours.hidden_size, **options)
    module.load_state_dict({k: torch_tensor(v) for k, v in ours.pytorch_state_dict().items()})
    return module


def torch_grads(module) -> dict[str, np.ndarray]:
    """A torch module's parameter gradients by our names, in our layout."""
    grads = {}
    for name, parameter in module.named_parameters():
        kind, _, rest = name.partition("_")
        ours = {"weight": "W", "bias": "b"}[kind] + "_" + rest
        g = parameter.grad.numpy()
        grads["d" + ours] = g.T if kind == "weight" else g[None, :]
    return grads


def assert_close(case: str, ours: dict, theirs: dict) -> None:
    assert set(ours) == set(theirs), (sorted(ours), sorted(theirs))
    for key, value in ours.items():
        expected = theirs[key]
        expected = expected.detach().numpy() if hasattr(expected, "detach") else expected
        assert value is not None and value.shape == expected.shape, (case, key)
        rel = relative_difference(value, expected)
        if PARITY_LOG:  # MINITORCH_PARITY_LOG=path: one line per comparison, for reports
            with open(PARITY_LOG, "a") as log:
                log.write(f"{case} {key} PyTorch {rel:.3e}\n")
        assert rel <= RTOL, f"{case}[{key}]: relative difference {rel:.3e} > {RTOL:g}"


SEQUENCE_CASES = list(
    itertools.product(KINDS, (1, 2), (False, True), (True, False), (True, False), (1, 50))
)


@needs_torch
@pytest.mark.parity
@pytest.mark.parametrize(
    ("kind", "layers", "bidirectional", "bias", "states", "T"),
    SEQUENCE_CASES,
    ids=[
        f"{k}-L{layers}-{'bi' if bi else 'uni'}-{'bias' if b else 'nobias'}-"
        f"{'states' if s else 'zeros'}-T{T}"
        for k, layers, bi, b, s, T in SEQUENCE_CASES
    ],
)
def test_sequence_layers_match_torch(kind, layers, bidirectional, bias, states, T):
    cls, kwargs, torch_name, has_c = KINDS[kind]
    options = dict(kwargs, bias=bias, batch_first=True, bidirectional=bidirectional)
    ours = cls(D, H, layers, dtype=np.float64, **options)
    theirs = to_torch(ours, torch_name, num_layers=layers, **options)
    rng = np.random.default_rng(len(SEQUENCE_CASES) + T)
    LD = layers * (2 if bidirectional else 1)
    x = rng.standard_normal((N, T, D))
    h0, c0 = rng.standard_normal((LD, N, H)), rng.standard_normal((LD, N, H))
    given = ((h0, c0) if has_c else h0) if states else None
    output, finals = ours(x, given)
    G = rng.standard_normal(output.shape)
    G_h, G_c = rng.standard_normal((LD, N, H)), rng.standard_normal((LD, N, H))
    result = ours.backward(G, G_h, G_c) if has_c else ours.backward(G, G_h)
    got = {"output": output}
    if has_c:
        got["h_n"], got["c_n"] = finals
    else:
        got["h_n"] = finals
    if states:
        got["dx"], d_states = result
        if has_c:
            got["dh0"], got["dc0"] = d_states
        else:
            got["dh0"] = d_states
    else:
        got["dx"] = result
    got.update({"d" + name: getattr(ours, "d" + name) for name in ours.param_names})

    xt = torch_tensor(x, requires_grad=True)
    h0t, c0t = torch_tensor(h0, requires_grad=True), torch_tensor(c0, requires_grad=True)
    given_t = ((h0t, c0t) if has_c else h0t) if states else None
    out_t, finals_t = theirs(xt, given_t)
    h_n_t, c_n_t = finals_t if has_c else (finals_t, None)
    loss = (out_t * torch_tensor(G)).sum() + (h_n_t * torch_tensor(G_h)).sum()
    if has_c:
        loss = loss + (c_n_t * torch_tensor(G_c)).sum()
    loss.backward()
    expected = {"output": out_t, "h_n": h_n_t, "dx": xt.grad, **torch_grads(theirs)}
    if has_c:
        expected["c_n"] = c_n_t
    if states:
        expected["dh0"] = h0t.grad
        if has_c:
            expected["dc0"] = c0t.grad
    case = f"{kind}-L{layers}-bi{bidirectional}-bias{bias}-states{states}-T{T}"
    assert_close(case, got, expected)


CELL_CASES = list(itertools.product(CELLS, (True, False), (True, False), (False, True)))


@needs_torch
@pytest.mark.parity
@pytest.mark.parametrize(
    ("kind", "bias", "states", "unbatched"),
    CELL_CASES,
    ids=[
        f"{k}-{'bias' if b else 'nobias'}-{'states' if s else 'zeros'}-"
        f"{'unbatched' if u else 'batched'}"
        for k, b, s, u in CELL_CASES
    ],
)
def test_cells_match_torch(kind, bias, states, unbatched):
    cls, kwargs, torch_name, has_c = CELLS[kind]
    ours = cls(D, H, bias=bias, dtype=np.float64, **kwargs)
    theirs = to_torch(ours, torch_name, bias=bias, **kwargs)
    rng = np.random.default_rng(7)
    batch = () if unbatched else (N,)
    x, h, c = (rng.standard_normal((*batch, n)) for n in (D, H, H))
    given = ((h, c) if has_c else h) if states else None
    result = ours(x, given)
    G_h, G_c = rng.standard_normal((*batch, H)), rng.standard_normal((*batch, H))
    if has_c:
        got = {"h": result[0], "c": result[1]}
        back = ours.backward(G_h, G_c)
    else:
        got = {"h": result}
        back = ours.backward(G_h)
    if states:
        got["dx"], d_states = back
        if has_c:
            got["dh"], got["dc"] = d_states
        else:
            got["dh"] = d_states
    else:
        got["dx"] = back
    got.update({"d" + name: getattr(ours, "d" + name) for name in ours.param_names})

    xt, ht, ct = (torch_tensor(a, requires_grad=True) for a in (x, h, c))
    given_t = ((ht, ct) if has_c else ht) if states else None
    out = theirs(xt, given_t)
    h_t, c_t = out if has_c else (out, None)
    loss = (h_t * torch_tensor(G_h)).sum()
    if has_c:
        loss = loss + (c_t * torch_tensor(G_c)).sum()
    loss.backward()
    expected = {"h": h_t, "dx": xt.grad, **torch_grads(theirs)}
    if has_c:
        expected["c"] = c_t
    if states:
        expected["dh"] = ht.grad
        if has_c:
            expected["dc"] = ct.grad
    assert_close(kind, got, expected)


# ---------------------------------------------------------------------- gradcheck with states
STATE_GRADCHECK = {
    "rnn_tanh_2layers_bidirectional": lambda: nn.RNN(3, 4, 2, batch_first=True, bidirectional=True),
    "rnn_relu": lambda: nn.RNN(3, 4, nonlinearity="relu", batch_first=True),
    "lstm_2layers_bidirectional": lambda: nn.LSTM(3, 4, 2, batch_first=True, bidirectional=True),
    "lstm_time_first": lambda: nn.LSTM(3, 4, batch_first=False),
    "gru_2layers": lambda: nn.GRU(3, 4, 2, batch_first=True),
    "rnn_cell": lambda: nn.RNNCell(3, 4),
    "lstm_cell": lambda: nn.LSTMCell(3, 4),
    "gru_cell": lambda: nn.GRUCell(3, 4),
}


@pytest.mark.parametrize("name", STATE_GRADCHECK)
def test_gradcheck_with_given_states(name, float64):
    """dh0 (and dc0) against central differences, with a loss on the output and h_n (c_n)."""
    layer = STATE_GRADCHECK[name]()
    rng = np.random.default_rng(3)
    cell = name.endswith("cell")
    if cell:
        inputs = [rng.standard_normal((2, 3))]
        state_shape = (2, 4)
    else:
        inputs = [rng.standard_normal((2, 3, 3) if layer.batch_first else (3, 2, 3))]
        state_shape = (layer.num_layers * layer.num_directions, 2, 4)
    inputs += [rng.standard_normal(state_shape) for _ in range(2 if "lstm" in name else 1)]
    report = gradcheck(RecurrentOutputs(layer), *inputs, atol=1e-7, rtol=1e-6)
    names = [row.name for row in report.rows]
    assert names[: len(inputs)] == ["input0", "input1", "input2"][: len(inputs)], names
    assert len(names) == len(inputs) + len(layer.param_names)


# ---------------------------------------------------------------------- layouts
def test_batch_first_has_no_default_and_says_why():
    for cls in (nn.RNN, nn.LSTM, nn.GRU):
        with pytest.raises(TypeError, match=r"needs batch_first.*\(N, T, D\).*\(T, N, D\)"):
            cls(10, 20)
    with pytest.raises(TypeError, match="batch_first must be True or False"):
        nn.LSTM(10, 20, batch_first="yes")


@needs_torch
@pytest.mark.parametrize("cls", [nn.RNN, nn.LSTM, nn.GRU])
def test_time_first_and_batch_first_give_the_same_numbers(cls, float64):
    batch_first = cls(3, 4, 2, batch_first=True, bidirectional=True)
    time_first = cls(3, 4, 2, batch_first=False, bidirectional=True)
    time_first.load_state_dict(batch_first.state_dict())
    x = np.random.default_rng(0).standard_normal((2, 5, 3))
    y, finals = batch_first(x)
    y_t, finals_t = time_first(x.transpose(1, 0, 2))
    np.testing.assert_array_equal(y_t, y.transpose(1, 0, 2))
    np.testing.assert_array_equal(np.asarray(finals_t), np.asarray(finals))  # (L·dirs, N, H)
    G = np.random.default_rng(1).standard_normal(y.shape)
    dx = batch_first.backward(G)
    dx_t = time_first.backward(G.transpose(1, 0, 2))
    np.testing.assert_allclose(dx_t, dx.transpose(1, 0, 2), rtol=1e-13, atol=1e-15)
    for a, b in zip(batch_first.grads(), time_first.grads(), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("cls", [nn.RNN, nn.LSTM, nn.GRU])
def test_one_unbatched_sequence_is_a_batch_of_one(cls, float64):
    """(T, D) as PyTorch reads it, with h0 (L·dirs, H): the numbers of the (1, T, D) batch."""
    layer = cls(3, 4, 2, batch_first=True)
    rng = np.random.default_rng(2)
    x, h0 = rng.standard_normal((5, 3)), rng.standard_normal((2, 4))
    states = (h0, h0 + 1) if cls is nn.LSTM else h0
    y, finals = layer(x, states)
    assert y.shape == (5, 4)
    G = rng.standard_normal(y.shape)
    dx, d_states = layer.backward(G)
    assert dx.shape == (5, 3)
    batched_states = (h0[:, None], h0[:, None] + 1) if cls is nn.LSTM else h0[:, None]
    y_b, finals_b = layer(x[None], batched_states)
    dx_b, d_states_b = layer.backward(G[None])
    np.testing.assert_array_equal(y, y_b[0])
    np.testing.assert_array_equal(dx, dx_b[0])
    if cls is nn.LSTM:
        np.testing.assert_array_equal(finals[1], finals_b[1][:, 0])
        np.testing.assert_array_equal(d_states[1], d_states_b[1][:, 0])
    else:
        np.testing.assert_array_equal(finals, finals_b[:, 0])
        np.testing.assert_array_equal(d_states, d_states_b[:, 0])


# ---------------------------------------------------------------------- dropout, truncated BPTT
def test_dropout_between_layers_is_deterministic_in_eval_and_random_in_training():
    lstm = nn.LSTM(3, 4, 3, batch_first=True, dropout=0.5)
    x = np.random.default_rng(0).standard_normal((2, 6, 3)).astype(np.float32)
    no_dropout = nn.LSTM(3, 4, 3, batch_first=True)
    no_dropout.load_state_dict(lstm.state_dict())
    lstm.eval()
    first, _ = lstm(x)
    np.testing.assert_array_equal(first, lstm(x)[0])
    np.testing.assert_array_equal(first, no_dropout(x)[0])
    lstm.train()
    minitorch.manual_seed(1)
    a, _ = lstm(x)
    lstm.backward(np.ones_like(a))
    minitorch.manual_seed(1)
    b, _ = lstm(x)
    np.testing.assert_array_equal(a, b)  # minitorch's generator: reproducible
    assert not np.allclose(a, first)


def test_dropout_on_one_layer_warns_as_pytorch():
    with pytest.warns(UserWarning, match=r"LSTM: dropout option adds dropout after all but last"):
        nn.LSTM(3, 4, batch_first=True, dropout=0.2)


def test_dropout_masks_the_gradient_as_the_forward(float64):
    """In training the masks are part of the function: gradcheck with a fixed seed."""
    layer = nn.GRU(3, 4, 2, batch_first=True, dropout=0.4)

    class Seeded(RecurrentOutputs):
        def forward(self, x, *states):
            minitorch.manual_seed(5)
            return super().forward(x, *states)

    x = np.random.default_rng(4).standard_normal((2, 3, 3))
    assert gradcheck(Seeded(layer), x, atol=1e-7, rtol=1e-6)


def test_truncated_bptt_carries_the_state_without_its_gradient(float64):
    """``h = h_n.copy()`` and the next batch's forward(x, h): the state is the one a single
    pass over both halves reaches; the gradient stops at the cut (dh0 is returned, unused)."""
    lstm = nn.LSTM(3, 4, 2, batch_first=True)
    x = np.random.default_rng(6).standard_normal((2, 8, 3))
    with minitorch.no_grad():
        whole, (h_whole, c_whole) = lstm(x)
    out1, (h, c) = lstm(x[:, :4])
    lstm.backward(np.ones_like(out1))
    state = (h.copy(), c.copy())
    out2, (h2, c2) = lstm(x[:, 4:], state)
    dx, (dh0, dc0) = lstm.backward(np.ones_like(out2))
    np.testing.assert_allclose(np.concatenate([out1, out2], axis=1), whole, rtol=1e-13)
    np.testing.assert_allclose(h2, h_whole, rtol=1e-13)
    np.testing.assert_allclose(c2, c_whole, rtol=1e-13)
    assert dx.shape == (2, 4, 3) and dh0.shape == dc0.shape == (2, 2, 4)


def test_a_loss_on_h_n_alone(float64):
    """``backward(None, grad_h_n)``: a classifier reading the final state only."""
    rnn = nn.GRU(3, 4, batch_first=True)
    x = np.random.default_rng(8).standard_normal((2, 5, 3))
    y, h_n = rnn(x)
    G_h = np.random.default_rng(9).standard_normal(h_n.shape)
    dx = rnn.backward(None, G_h)
    zeros = RecurrentOutputs(rnn)
    flat = zeros(x)
    grad = np.concatenate([np.zeros((2, y[0].size)), G_h.transpose(1, 0, 2).reshape(2, -1)], 1)
    assert flat.shape == grad.shape
    np.testing.assert_allclose(dx, zeros.backward(grad), rtol=1e-14)


# ---------------------------------------------------------------------- torch's weights
@needs_torch
@pytest.mark.parametrize(
    ("ours", "theirs"),
    [
        (lambda: nn.LSTM(3, 4, 2, batch_first=True, bidirectional=True),
         lambda: torch.nn.LSTM(3, 4, 2, batch_first=True, bidirectional=True)),
        (lambda: nn.GRU(3, 4, bias=False, batch_first=True),
         lambda: torch.nn.GRU(3, 4, bias=False, batch_first=True)),
        (lambda: nn.RNN(3, 4, nonlinearity="relu", batch_first=True),
         lambda: torch.nn.RNN(3, 4, nonlinearity="relu", batch_first=True)),
        (lambda: nn.LSTMCell(3, 4), lambda: torch.nn.LSTMCell(3, 4)),
        (lambda: nn.GRUCell(3, 4), lambda: torch.nn.GRUCell(3, 4)),
        (lambda: nn.RNNCell(3, 4), lambda: torch.nn.RNNCell(3, 4)),
    ],
)
def test_load_pytorch_state_dict_loads_a_torch_models_weights(ours, theirs, float64):
    torch.manual_seed(0)
    torch_module = theirs()  # torch's own initialisation, float64 by the parity module
    layer = ours()
    layer.load_pytorch_state_dict(torch_module.state_dict())
    np.testing.assert_array_equal(layer.W_ih_l0 if hasattr(layer, "W_ih_l0") else layer.W_ih,
                                  next(iter(torch_module.state_dict().values())).numpy().T)
    x = np.random.default_rng(0).standard_normal((2, 5, 3) if hasattr(layer, "num_layers")
                                                 else (2, 3))
    y = layer(x)
    y_t = torch_module(torch_tensor(x))
    y, y_t = (y[0], y_t[0]) if isinstance(y, tuple) else (y, y_t)
    assert relative_difference(y, y_t.detach().numpy()) <= RTOL


def test_load_pytorch_state_dict_names_what_does_not_fit():
    lstm = nn.LSTM(3, 4, batch_first=True)
    state = {k: v for k, v in lstm.pytorch_state_dict().items() if k != "bias_hh_l0"}
    state["weight_hr_l0"] = np.zeros((2, 4))
    with pytest.raises(KeyError, match=r"missing: \['bias_hh_l0'\].*weight_hr_l0.*proj_size"):
        lstm.load_pytorch_state_dict(state)
    state = lstm.pytorch_state_dict()
    state["weight_ih_l0"] = np.zeros((16, 5))
    with pytest.raises(ValueError, match=r"'W_ih_l0' has shape \(5, 16\).*\(3, 16\)"):
        lstm.load_pytorch_state_dict(state)


def test_parameters_are_named_and_initialised_as_pytorch():
    minitorch.manual_seed(0)
    gru = nn.GRU(3, 8, 2, batch_first=True, bidirectional=True)
    names = [name for name, _ in gru.named_parameters()]
    assert names[:4] == ["W_ih_l0", "W_hh_l0", "b_ih_l0", "b_hh_l0"]
    assert names[4:8] == [f"{n}_l0_reverse" for n in ("W_ih", "W_hh", "b_ih", "b_hh")]
    assert gru.W_ih_l0.shape == (3, 24) and gru.W_ih_l1.shape == (16, 24)
    assert gru.W_hh_l1_reverse.shape == (8, 24) and gru.b_hh_l1.shape == (1, 24)
    assert all(p.dtype == np.float32 for p in gru.parameters())
    bound = 1 / np.sqrt(8)
    values = np.concatenate([p.ravel() for p in gru.parameters()])
    assert values.min() >= -bound and values.max() <= bound and values.std() > bound / 2
    assert gru.named_no_weight_decay() == {n for n in names if n.startswith("b")}
    assert nn.LSTM(3, 4, batch_first=True, dtype=np.float64).W_ih_l0.dtype == np.float64
    assert nn.LSTMCell(3, 4).W_ih.shape == (3, 16)
    assert nn.RNNCell(3, 4, bias=False).parameters()[1].shape == (4, 4)


# ---------------------------------------------------------------------- the pairs themselves
def test_the_sequence_pairs_are_their_steps_repeated(float64):
    """rnn/lstm/gru_forward and _backward give what the step pairs give, step by step."""
    rng = np.random.default_rng(10)
    x = rng.standard_normal((2, 4, 3))
    h0, c0 = rng.standard_normal((2, 5)), rng.standard_normal((2, 5))
    G = rng.standard_normal((2, 4, 5))
    for kind, gates in (("rnn", 1), ("lstm", 4), ("gru", 3)):
        W_ih, W_hh = rng.standard_normal((3, gates * 5)), rng.standard_normal((5, gates * 5))
        b_ih, b_hh = rng.standard_normal((1, gates * 5)), rng.standard_normal((1, gates * 5))
        step_forward = getattr(F, f"{kind}_step_forward")
        step_backward = getattr(F, f"{kind}_step_backward")
        h, c, caches = h0, c0, []
        hs = []
        for t in range(4):
            if kind == "lstm":
                h, c, cache = step_forward(x[:, t], h, c, W_ih, W_hh, b_ih, b_hh)
            else:
                h, cache = step_forward(x[:, t], h, W_ih, W_hh, b_ih, b_hh)
            hs.append(h)
            caches.append(cache)
        dh, dc = np.zeros_like(h0), np.zeros_like(c0)
        dxs, sums = [None] * 4, None
        for t in reversed(range(4)):
            if kind == "lstm":
                dx, dh, dc, *grads = step_backward(G[:, t] + dh, dc, caches[t])
            else:
                dx, dh, *grads = step_backward(G[:, t] + dh, caches[t])
            dxs[t] = dx
            sums = grads if sums is None else [a + b for a, b in zip(sums, grads, strict=True)]
        if kind == "lstm":
            seq, _, cache = F.lstm_forward(x, h0, c0, W_ih, W_hh, b_ih, b_hh)
            dx_seq, dh0, _, *grads_seq = F.lstm_backward(G, cache)
        else:
            seq, cache = getattr(F, f"{kind}_forward")(x, h0, W_ih, W_hh, b_ih, b_hh)
            dx_seq, dh0, *grads_seq = getattr(F, f"{kind}_backward")(G, cache)
        np.testing.assert_allclose(seq, np.stack(hs, axis=1), rtol=1e-12, err_msg=kind)
        np.testing.assert_allclose(dx_seq, np.stack(dxs, axis=1), rtol=1e-10, err_msg=kind)
        np.testing.assert_allclose(dh0, dh, rtol=1e-10, err_msg=kind)
        for a, b in zip(grads_seq, sums, strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-10, err_msg=kind)


def test_float32_stays_float32_and_inputs_follow_the_policy():
    lstm = nn.LSTM(3, 4, 2, batch_first=True, bidirectional=True)
    x = np.random.default_rng(0).standard_normal((2, 5, 3))  # float64 into a float32 layer
    y, (h, c) = lstm(x, (np.zeros((4, 2, 4)), np.zeros((4, 2, 4))))
    assert y.dtype == h.dtype == c.dtype == np.float32
    dx, (dh0, dc0) = lstm.backward(np.ones(y.shape), np.ones(h.shape), np.ones(c.shape))
    assert dx.dtype == dh0.dtype == dc0.dtype == np.float32
    assert all(g.dtype == np.float32 and g.flags.c_contiguous for g in lstm.grads())
    with pytest.raises(ValueError, match=r"LSTM\.backward expects grad_output of shape \(2, 5, 8"):
        lstm(x)
        lstm.backward(np.ones((2, 5, 4)))
    with pytest.raises(ValueError, match=r"LSTM\(3, 4\): grad_c_n must have shape \(4, 2, 4\)"):
        lstm(x)
        lstm.backward(None, None, np.ones((2, 4)))
    with pytest.raises(TypeError, match=r"LSTM\(3, 4\): hx must be the pair \(h0, c0\)"):
        lstm(x, np.zeros((4, 2, 4)))


@pytest.mark.parametrize(
    ("make", "error", "match"),
    [
        (lambda: nn.RNN(3, 4, nonlinearity="sigmoid", batch_first=True), ValueError,
         r"RNN: nonlinearity must be 'tanh' or 'relu'"),
        (lambda: nn.LSTM(3, 0, batch_first=True), ValueError, r"LSTM: hidden_size must be"),
        (lambda: nn.GRU(3, 4, num_layers=0, batch_first=True), ValueError, r"GRU: num_layers"),
        (lambda: nn.LSTM(3, 4, batch_first=True, dropout=1.5), ValueError, r"LSTM: dropout"),
        (lambda: nn.GRU(3, 4, batch_first=True, bidirectional=1), TypeError, r"GRU: bidirectional"),
        (lambda: nn.LSTMCell(3, 4, dtype=np.int32), TypeError, r"LSTMCell: parameters must be"),
        (lambda: nn.RNNCell(3, 4, nonlinearity="gelu"), ValueError, r"RNNCell: nonlinearity"),
    ],
)
def test_bad_hyperparameters_name_the_layer(make, error, match):
    with pytest.raises(error, match=match):
        make()


def test_backward_before_forward_and_after_no_grad():
    lstm = nn.LSTM(3, 4, batch_first=True)
    with pytest.raises(RuntimeError, match="before forward"):
        lstm.backward(np.zeros((2, 5, 4)))
    with minitorch.no_grad():
        lstm(np.zeros((2, 5, 3)))
    with pytest.raises(RuntimeError, match="no_grad"):
        lstm.backward(np.zeros((2, 5, 4)))
    cell = nn.LSTMCell(3, 4)
    with pytest.raises(RuntimeError, match="before forward"):
        cell.backward(np.zeros((2, 4)))


def test_repr_shows_the_arguments():
    text = repr(nn.LSTM(3, 4, 2, batch_first=True, dropout=0.1, bidirectional=True))
    assert text == "LSTM(3, 4, num_layers=2, batch_first=True, dropout=0.1, bidirectional=True)"
    assert repr(nn.RNNCell(3, 4, nonlinearity="relu")) == "RNNCell(3, 4, nonlinearity='relu')"
