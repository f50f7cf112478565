# The source of notebooks/01-linear.ipynb (python scripts/make_notebooks.py writes it).

# %% [markdown]
# # Assignment 01 · The Linear layer
#
# A neural network is mostly matrix products. This week you write the one layer every network
# is built from, the affine map $y = xW + b$, and its backward pass: given how the loss changes
# with the output, $G = \partial L / \partial y$, how it changes with the input and with the
# parameters. Every later assignment (activations, losses, optimizers, a digit classifier, a
# CNN, a GPT) runs through the two functions you write here.
#
# **What you write**, in `src/minitorch/nn/functional/linear.py` and `src/minitorch/nn/init.py`
# (the docstrings there are the assignment's text):
#
# | task | what it computes |
# |------|------------------|
# | `linear_forward(x, W, b)` | $y = xW + b$ and the cache the backward needs |
# | `linear_backward(G, cache)` | $\partial L/\partial x$, $\partial L/\partial W$, $\partial L/\partial b$ |
# | `kaiming_std(W)` (in `nn/init.py`) | the spec's initialisation: $\mathrm{std} = \sqrt{2 / D_\text{in}}$ |
#
# The module `nn.Linear` already calls your pair; it keeps the cache between its forward and
# its backward. When a cell below stops with `NotImplementedError`, that task is next: write it,
# restart the kernel (or re-run the first cell) and run the notebook again.

# %%
%matplotlib inline
import matplotlib.pyplot as plt
import numpy as np

import minitorch
from minitorch import nn
from minitorch.course.notebook import setup_notebook
from minitorch.course.runner import check_tasks, format_table

ASSIGNMENT = setup_notebook("01-linear")

# %% [markdown]
# ## 1. The forward pass
#
# A batch of $N$ inputs with $D_\text{in}$ features each is the matrix $x$ of shape
# $(N, D_\text{in})$; the weights $W$ have shape $(D_\text{in}, D_\text{out})$ (minitorch keeps
# $W$ as *(in, out)*, the transpose of PyTorch's `weight`), the bias $b$ shape $(1, D_\text{out})$:
#
# $$y = xW + b \qquad (N, D_\text{out})$$
#
# The bias row is added to every row of $xW$ (NumPy's broadcasting does that). Inputs with more
# leading dimensions, $(\dots, D_\text{in})$, work the same way: the product acts on the last
# one. `linear_forward` returns `(y, LinearCache(x, W, b))`: what the backward will need.

# %%
from minitorch.nn.functional import linear_backward, linear_forward

x = np.array([[1.0, 2.0, 3.0],
              [0.0, -1.0, 0.5]])              # (N, D_in) = (2, 3)
W = np.array([[1.0, 0.0],
              [0.0, 1.0],
              [1.0, -1.0]])                   # (D_in, D_out) = (3, 2)
b = np.array([[0.5, -0.5]])                   # (1, D_out)
y, cache = linear_forward(x, W, b)
print(y)                                      # work out the first row by hand: [4.5, -1.5]

# %% [markdown]
# ## 2. The backward pass
#
# Write $y_{nj} = \sum_i x_{ni} W_{ij} + b_j$ and follow each entry's contribution. With
# $G = \partial L/\partial y$ of shape $(N, D_\text{out})$:
#
# $$\frac{\partial L}{\partial x} = G\,W^\top \quad (N, D_\text{in}), \qquad
#   \frac{\partial L}{\partial W} = x^\top G \quad (D_\text{in}, D_\text{out}), \qquad
#   \frac{\partial L}{\partial b} = \sum_{n} G_{n,:} \quad (1, D_\text{out})$$
#
# A gradient always has the shape of what it is the gradient of: that alone tells you which
# side each transpose goes on. With more leading dimensions, they are flattened into the batch
# for $\partial L/\partial W$ and $\partial L/\partial b$.

# %%
G = np.ones_like(y)
dx, dW, db = linear_backward(G, cache)
print("dx", dx.shape, "dW", dW.shape, "db", db.shape)
print("dW =", dW.tolist())                     # x.T @ G: each column is x's column sums

# %% [markdown]
# ## 3. The spec's initialisation
#
# Weights drawn with too small a spread shrink the signal at every layer, too large a spread
# blows it up. He (Kaiming) initialisation keeps the variance of a ReLU network's activations
# level from layer to layer: $W \sim \mathcal{N}(0, \mathrm{std}^2)$ with
#
# $$\mathrm{std} = \frac{\text{gain}}{\sqrt{\text{fan}}}, \qquad
#   \text{gain} = \sqrt{\frac{2}{1 + a^2}} \ (\texttt{leaky\_relu}, \sqrt2 \text{ at } a = 0),
#   \quad \sqrt2 \ (\texttt{relu}), \quad 1 \ (\texttt{linear})$$
#
# where fan is $D_\text{in}$ (`mode='fan_in'`, the default: the spec's
# `randn(D_in, D_out) * sqrt(2 / D_in)`) or $D_\text{out}$ (`mode='fan_out'`); for a
# convolution kernel $(C_\text{out}, C_\text{in}, k_H, k_W)$ the fans are
# $C_\text{in} k_H k_W$ and $C_\text{out} k_H k_W$. `nn.Linear` draws its `W` with your std.
#
# With the layer built, `gradcheck` compares your backward with central differences,
# $\frac{f(\theta + \varepsilon) - f(\theta - \varepsilon)}{2\varepsilon}$, entry by entry, in
# float64.

# %%
from minitorch.nn import init
from minitorch.testing import gradcheck

print("std for W (64, 128):", init.kaiming_std(np.empty((64, 128))), " sqrt(2/64) =", np.sqrt(2 / 64))
print("fan_out, linear:   ", init.kaiming_std(np.empty((64, 128)), mode="fan_out", nonlinearity="linear"))
layer = nn.Linear(3, 2, dtype=np.float64)
print(gradcheck(layer, np.random.default_rng(0).standard_normal((4, 3)), raise_exception=False))

# %% [markdown]
# ## 4. Check your work
#
# The same checks `minitorch check` runs: each task in its own process, against stored
# reference values, with a message saying what is wrong when it is.

# %%
print(format_table(ASSIGNMENT, check_tasks(ASSIGNMENT)))

# %% [markdown]
# ## 5. Fit a line with your layer
#
# One `nn.Linear(1, 1)` is a line, $\hat y = w x + b$. We fit it to noisy points, three of
# which are outliers, by gradient descent: forward, loss, backward, then
# $\theta \leftarrow \theta - \eta\,\partial L/\partial\theta$ for $W$ and $b$ (the optimizers
# come in assignment 04). The loss is the Huber loss, which grows only linearly for large
# errors, so the outliers do not drag the line away (you write the mean squared error in 03).

# %%
minitorch.manual_seed(0)
rng = np.random.default_rng(0)
xs = rng.uniform(-2, 2, size=(60, 1)).astype(np.float32)
ys = (1.5 * xs - 0.5 + 0.2 * rng.standard_normal((60, 1))).astype(np.float32)
ys[:3] += 6.0                                             # three outliers

line = nn.Linear(1, 1)
huber = nn.HuberLoss()
history = []
for step in range(150):
    line.zero_grad()
    history.append(float(huber(line(xs), ys)))
    line.backward(huber.backward())                       # your linear_backward
    line.W -= 0.1 * line.dW
    line.b -= 0.1 * line.db
print(f"fitted: y = {line.W.item():.2f} x {line.b.item():+.2f}   (true: 1.5 x - 0.5)")

fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.8))
grid = np.linspace(-2, 2, 50, dtype=np.float32)[:, None]
left.scatter(xs, ys, s=12, label="data (3 outliers)")
left.plot(grid, line(grid), c="tab:red", label="your Linear(1, 1)")
left.plot(grid, 1.5 * grid - 0.5, c="0.4", ls="--", label="the true line")
left.set(xlabel="x", ylabel="y", title="a line fitted by gradient descent")
left.legend()
right.plot(history)
right.set(xlabel="step", ylabel="Huber loss", yscale="log", title="training loss")
fig.tight_layout()

# %% [markdown]
# **Questions.** Why does $\partial L/\partial b$ sum over the batch rather than average?
# (Where does the $1/N$ of a mean loss come in?) What would change in `linear_backward` if the
# layer computed $y = xW^\top + b$ with $W$ of shape $(D_\text{out}, D_\text{in})$, as PyTorch's
# `nn.Linear` does?
