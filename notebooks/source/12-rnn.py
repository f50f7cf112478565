# The source of notebooks/12-rnn.ipynb (python scripts/make_notebooks.py writes it).

# %% [markdown]
# # Assignment 12 · Recurrent networks
#
# A recurrent layer reads a sequence one step at a time and carries a hidden state $h$ from
# each step to the next: the same weights at every step, so it reads sequences of any length.
# This week you write one step of the three classic cells, the tanh RNN, the LSTM and the GRU
# (forward and backward), then **backpropagation through time** (BPTT): the backward of a
# whole sequence, where the gradient of each $h_t$ is what reaches it from above *plus* what
# comes back through the recurrence from step $t + 1$. At the end your layers learn the
# adding problem, and you see why the LSTM's cell state lets the gradient reach far back
# where the tanh RNN's fades.
#
# Rows are samples (the row-vector style of `Linear`): $x$ is $(N, D)$, $h$ is $(N, H)$,
# $W_{ih}$ is $(D, G H)$, $W_{hh}$ is $(H, G H)$, the biases $(1, G H)$, with $G$ gates side by
# side in PyTorch's order (1 for the RNN; the LSTM's $i \mid f \mid g \mid o$; the GRU's
# $r \mid z \mid n$).
#
# **What you write**, in `nn/functional/rnn.py`:
#
# | task | what it computes |
# |------|------------------|
# | `rnn_step_forward` | $h = \tanh(x W_{ih} + b_{ih} + h_{prev} W_{hh} + b_{hh})$ |
# | `rnn_step_backward` | $da = dh \odot (1 - h^2)$, then $dx$, $dh_{prev}$, $dW_{ih}$, $dW_{hh}$, $db$ |
# | `lstm_step_forward` | the gates $i, f, g, o$; $c = f \odot c_{prev} + i \odot g$, $h = o \odot \tanh c$ |
# | `lstm_step_backward` | the gradients through $h$ and through the cell state $c$ |
# | `gru_step_forward` | $r, z$; $n = \tanh(xw_n + r \odot hw_n)$; $h = (1 - z) \odot n + z \odot h_{prev}$ |
# | `gru_step_backward` | its gradients (the reset gate scales the hidden side only) |
# | `rnn_backward`, `lstm_backward`, `gru_backward` | BPTT: from $t = T$ down to 1, the recurrent gradient added at each step |
#
# When a cell below stops with `NotImplementedError`, that task is next.

# %%
%matplotlib inline
import matplotlib.pyplot as plt
import numpy as np

import minitorch
from minitorch import nn, optim
from minitorch.course.notebook import setup_notebook
from minitorch.course.runner import check_tasks, format_table
from minitorch.datasets import make_adding_problem
from minitorch.nn import functional as F
from minitorch.testing import gradcheck

ASSIGNMENT = setup_notebook("12-rnn")

# %% [markdown]
# ## 1. One step of a tanh RNN
#
# $$a = x\,W_{ih} + b_{ih} + h_{prev}\,W_{hh} + b_{hh} \quad (N, H), \qquad
#   h = \tanh(a) \quad (N, H)$$
#
# (`nonlinearity="relu"` uses $\max(a, 0)$ instead). The step returns $h$ and a cache: what
# its backward needs (`RNNStepCache`: the inputs and $h$ itself).

# %%
rng = np.random.default_rng(0)
N, D, H = 2, 3, 4
x = rng.standard_normal((N, D))
h_prev = rng.standard_normal((N, H))
W_ih, W_hh = rng.standard_normal((D, H)) * 0.5, rng.standard_normal((H, H)) * 0.5
b_ih, b_hh = rng.standard_normal((1, H)) * 0.1, rng.standard_normal((1, H)) * 0.1
h, cache = F.rnn_step_forward(x, h_prev, W_ih, W_hh, b_ih, b_hh)
print("h", h.shape)                                  # (N, H), every value in (-1, 1)
print(h)

# %% [markdown]
# ## 2. Its backward
#
# Given $dh = \partial L/\partial h$, the derivative of $\tanh$ is written with its output,
# $\tanh'(a) = 1 - h^2$:
#
# $$da = dh \odot (1 - h^2), \qquad dx = da\,W_{ih}^\top, \qquad dh_{prev} = da\,W_{hh}^\top,$$
# $$dW_{ih} = x^\top da, \qquad dW_{hh} = h_{prev}^\top da, \qquad
#   db_{ih} = db_{hh} = \textstyle\sum_n da_n .$$
#
# `nn.RNNCell` calls your pair; `gradcheck` compares its backward with central differences.

# %%
grads = F.rnn_step_backward(np.ones_like(h), cache)
for name, grad in zip(("dx", "dh_prev", "dW_ih", "dW_hh", "db_ih", "db_hh"), grads):
    print(f"{name:8} {grad.shape}")
print(gradcheck(nn.RNNCell(D, H, dtype=np.float64), x, h_prev, raise_exception=False))

# %% [markdown]
# ## 3. The LSTM's gates
#
# One product gives the four gates' pre-activations side by side, $a = x W_{ih} + b_{ih} +
# h_{prev} W_{hh} + b_{hh}$, $(N, 4H)$, columns $i \mid f \mid g \mid o$:
#
# $$i = \sigma(a_i), \quad f = \sigma(a_f), \quad g = \tanh(a_g), \quad o = \sigma(a_o),$$
# $$c = f \odot c_{prev} + i \odot g, \qquad h = o \odot \tanh(c).$$
#
# The input gate $i$ decides what is written into the cell state $c$, the forget gate $f$ what
# is kept of it, the output gate $o$ what is shown as $h$.
#
# Backward, given $dh$ and $dc$ (the cell state reaches the loss directly and through $h$):
#
# $$dc \leftarrow dc + dh \odot o \odot (1 - \tanh^2 c), \qquad dc_{prev} = dc \odot f,$$
# $$da = \bigl[\,dc \odot g \odot i(1 - i) \;\big|\; dc \odot c_{prev} \odot f(1 - f) \;\big|\;
#   dc \odot i \odot (1 - g^2) \;\big|\; dh \odot \tanh(c) \odot o(1 - o)\,\bigr],$$
#
# using $\sigma' = \sigma(1 - \sigma)$; then $dx$, $dh_{prev}$ and the weights as in the RNN.
# Notice $dc_{prev} = dc \odot f$: along the cell state the gradient is only multiplied by
# the forget gate, no weight matrix and no squashing derivative in between.

# %%
c_prev = rng.standard_normal((N, H))
W_ih4, W_hh4 = rng.standard_normal((D, 4 * H)) * 0.5, rng.standard_normal((H, 4 * H)) * 0.5
h, c, lstm_cache = F.lstm_step_forward(x, h_prev, c_prev, W_ih4, W_hh4)
for gate in ("i", "f", "g", "o"):
    values = getattr(lstm_cache, gate)
    print(f"gate {gate}: {values.shape}, in [{values.min():+.2f}, {values.max():+.2f}]")
grads = F.lstm_step_backward(np.ones_like(h), np.zeros_like(c), lstm_cache)
print("dc_prev", grads[2].shape, "dW_ih", grads[3].shape)


class Outputs(nn.Module):
    """A layer or a cell seen through its output alone (h' of a cell, every step's h of a
    layer), its states passed as inputs, so that gradcheck compares arrays only."""

    def __init__(self, layer):
        super().__init__()
        self.layer = layer

    def forward(self, x, *states):
        lstm = isinstance(self.layer, (nn.LSTM, nn.LSTMCell))
        out = self.layer(x, tuple(states) if lstm else states[0])
        return out[0] if isinstance(out, tuple) else out

    def backward(self, grad_output):
        G, _ = self._begin_backward(grad_output)
        dx, d_states = self.layer.backward(G)
        return (dx, *d_states) if isinstance(d_states, tuple) else (dx, d_states)


print(gradcheck(Outputs(nn.LSTMCell(D, H, dtype=np.float64)), x, h_prev, c_prev,
                raise_exception=False))

# %% [markdown]
# ## 4. The GRU
#
# PyTorch's GRU applies its reset gate *after* the hidden product. With
# $xw = x W_{ih} + b_{ih}$ and $hw = h_{prev} W_{hh} + b_{hh}$, both $(N, 3H)$, columns
# $r \mid z \mid n$:
#
# $$r = \sigma(xw_r + hw_r), \quad z = \sigma(xw_z + hw_z), \quad n = \tanh(xw_n + r \odot hw_n),$$
# $$h = (1 - z) \odot n + z \odot h_{prev}.$$
#
# Backward: $da_n = dh \odot (1 - z) \odot (1 - n^2)$, $da_z = dh \odot (h_{prev} - n) \odot
# z(1 - z)$, $da_r = da_n \odot hw_n \odot r(1 - r)$. The input side gets
# $[da_r \mid da_z \mid da_n]$, the hidden side $[da_r \mid da_z \mid da_n \odot r]$ (there
# $r$ scales $hw_n$), and $h_{prev}$ also reaches $h$ directly: $dh_{prev} = dh \odot z +
# (\text{hidden side})\,W_{hh}^\top$.

# %%
W_ih3, W_hh3 = rng.standard_normal((D, 3 * H)) * 0.5, rng.standard_normal((H, 3 * H)) * 0.5
h, gru_cache = F.gru_step_forward(x, h_prev, W_ih3, W_hh3)
print("h", h.shape, f"update gate z in [{gru_cache.z.min():.2f}, {gru_cache.z.max():.2f}]")
print("dh_prev", F.gru_step_backward(np.ones_like(h), gru_cache)[1].shape)
print(gradcheck(nn.GRUCell(D, H, dtype=np.float64), x, h_prev, raise_exception=False))

# %% [markdown]
# ## 5. Backpropagation through time
#
# A layer runs the step for $t = 1, \dots, T$ with the same weights: `F.rnn_forward` (given)
# takes the input projection $x W_{ih}$ of all $T$ steps out of the loop as one product, and
# does one product $h_{t-1} W_{hh}$ a step. It computes exactly your step, as the next cell
# shows.
#
# Its backward walks back from $t = T$. The gradient of $h_t$ has two sources: the loss above
# ($\text{grad\_hs}_t$, what the layer's output received) and step $t + 1$, which read $h_t$
# as its $h_{prev}$:
#
# $$dh_t = \text{grad\_hs}_t + dh_{t+1 \to t} \qquad (dh_{T+1 \to T} = \text{grad\_h\_n}, \text{ or } 0),$$
# $$da_t = dh_t \odot (1 - h_t^2), \qquad dh_{t \to t-1} = da_t\,W_{hh}^\top, \qquad
#   dh_0 = dh_{1 \to 0}.$$
#
# The weights are shared, so their gradients add up over the steps:
# $dW_{ih} = \sum_t x_t^\top da_t$, $dW_{hh} = \sum_t h_{t-1}^\top da_t$; stacking every
# $da_t$ into $(N, T, H)$ makes each one product after the loop (the helper
# `sequence_grads` does it, for the three layers). The LSTM carries two gradients back,
# $dh$ and $dc$; the GRU adds $dh_t \odot z$ to the hidden side's product.
# `nn.RNN`, `nn.LSTM` and `nn.GRU` call your three backward functions.

# %%
T = 5
xs, h0 = rng.standard_normal((N, T, D)), rng.standard_normal((N, H))
hs, seq_cache = F.rnn_forward(xs, h0, W_ih, W_hh, b_ih, b_hh)
h, one_by_one = h0, []
for t in range(T):
    h, _ = F.rnn_step_forward(xs[:, t], h, W_ih, W_hh, b_ih, b_hh)
    one_by_one.append(h)
print("rnn_forward = your step T times:", np.allclose(np.stack(one_by_one, axis=1), hs))

dx, dh0, *weight_grads = F.rnn_backward(np.ones_like(hs), seq_cache)
print("dx", dx.shape, "dh0", dh0.shape, "dW_hh", weight_grads[1].shape)
for layer in (nn.RNN, nn.LSTM, nn.GRU):
    states = [rng.standard_normal((1, N, H)) for _ in range(2 if layer is nn.LSTM else 1)]
    report = gradcheck(Outputs(layer(D, H, batch_first=True, dtype=np.float64)), xs, *states,
                       raise_exception=False)
    print(layer.__name__, "gradcheck:", "all gradients match" if report.ok else report)

# %% [markdown]
# ## 6. Check your work

# %%
print(format_table(ASSIGNMENT, check_tasks(ASSIGNMENT)))

# %% [markdown]
# ## 7. The adding problem: a tanh RNN against an LSTM
#
# Each sequence has $T = 30$ steps of two features: a number drawn from $U(0, 1)$ and a
# marker, 1 at two steps (one in each half). The target is the sum of the two marked numbers,
# answered at the last step by a `Linear` on $h_T$, so the first marked number must be carried
# up to 30 steps. Always answering 1 (the mean) gives an MSE of $1/6$: a network below that
# line remembers.
#
# The left panel is $\lVert \partial L/\partial x_t \rVert$, the gradient your BPTT carries
# back to each step's input (the loss is at $t = T$), before and after training: for the tanh
# RNN each step back multiplies it by $\operatorname{diag}(1 - h_t^2)\,W_{hh}^\top$, for the
# LSTM's cell state by $f_t$ only.

# %%
class Reader(nn.Module):
    """A recurrent layer over the sequence, then a Linear on its last step's output."""

    def __init__(self, layer, hidden):
        super().__init__()
        self.rnn = layer(2, hidden, batch_first=True)
        self.head = nn.Linear(hidden, 1)

    def forward(self, x):
        output, _ = self.rnn(x)                      # (N, T, H)
        self.output_shape = output.shape
        return self.head(output[:, -1])              # (N, 1): the answer at the last step

    def backward(self, grad_output):
        G, _ = self._begin_backward(grad_output)
        grad_hs = np.zeros(self.output_shape, G.dtype)   # only the last step was read
        grad_hs[:, -1] = self.head.backward(G)
        return self.rnn.backward(grad_hs)            # dL/dx, (N, T, 2)


def gradient_per_step(model, X, y):
    model.zero_grad()
    loss_fn(model(X), y)
    dx = model.backward(loss_fn.backward())
    model.zero_grad()
    return np.linalg.norm(dx, axis=-1).mean(axis=0)


seq_len, loss_fn = 30, nn.MSELoss()
X_test, y_test = make_adding_problem(500, seq_len, seed=1)
results = {}
for name, layer in (("tanh RNN", nn.RNN), ("LSTM", nn.LSTM)):
    minitorch.manual_seed(0)
    model = Reader(layer, 16)
    optimizer = optim.Adam(model, lr=1e-2)
    before, curve = gradient_per_step(model, X_test[:200], y_test[:200]), []
    for iteration in range(1, 451):
        X, y = make_adding_problem(64, seq_len)
        optimizer.zero_grad()
        loss_fn(model(X), y)
        model.backward(loss_fn.backward())
        nn.utils.clip_grad_norm_(model, 1.0)
        optimizer.step()
        if iteration % 50 == 0:
            model.eval()
            with minitorch.no_grad():
                curve.append((iteration, float(loss_fn(model(X_test), y_test))))
            model.train()
    results[name] = before, gradient_per_step(model, X_test[:200], y_test[:200]), curve
    print(f"{name}: test MSE {curve[-1][1]:.4f} after 450 iterations (always 1: {1 / 6:.4f})")

fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4))
steps = np.arange(1, seq_len + 1)
for (name, (before, after, curve)), colour in zip(results.items(), ("tab:red", "tab:blue")):
    left.semilogy(steps, before, c=colour, ls="--", label=f"{name}, at the start")
    left.semilogy(steps, after, c=colour, label=f"{name}, after training")
    right.plot(*zip(*curve), c=colour, label=name)
left.set(xlabel="time step t (the loss is at t = T)", ylabel="‖dL/dx_t‖",
         title="the gradient reaching each step")
right.axhline(1 / 6, c="0.5", ls=":", label="always answering 1")
right.set(xlabel="iteration", ylabel="test MSE", ylim=(0, 0.25), title="what each learns")
left.legend(fontsize=8)
right.legend(fontsize=8)
fig.tight_layout()

# %% [markdown]
# **Questions.** In the tanh RNN, what happens to $dh_{t \to t-1} = (dh_t \odot (1 - h_t^2))
# W_{hh}^\top$ over 30 steps when the largest singular value of $W_{hh}$ is below 1, and when
# it is above? Why does PyTorch's LSTM often start with its forget gate's bias positive?
# Truncated BPTT carries $h$ from one batch to the next but stops its gradient there: which
# of your functions' arguments would be zero, and which state would you pass on?
