# The source of notebooks/09-attention.ipynb (python scripts/make_notebooks.py writes it).

# %% [markdown]
# # Assignment 09 · Attention and LayerNorm
#
# In a sequence, each position should be able to *look up* what it needs from the others.
# Attention does it with three projections of every position: a query ("what I look for"),
# a key ("what I hold") and a value ("what I hand over"). Each query scores every key, a
# softmax turns the scores into weights, and the output is the weighted sum of the values. A
# causal mask lets position $t$ see positions $\le t$ only, which is what a language model
# needs. LayerNorm keeps each position's features standardised between the blocks.
#
# **What you write**:
#
# | task | file | what it computes |
# |------|------|------------------|
# | `softmax` / `softmax_backward` | `nn/functional/activation.py` | $e^{x_i - m} / \sum_j e^{x_j - m}$ and $y \odot (g - \sum g \odot y)$ |
# | `attention_forward` / `_backward` | `nn/functional/attention.py` | $\operatorname{softmax}(q k^\top / \sqrt d + \text{mask})\, v$ for every head, and $dq, dk, dv$ |
# | `layer_norm_forward` / `_backward` | `nn/functional/normalization.py` | each row standardised over its features, $\gamma \odot \hat x + \beta$, and its backward |
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
from minitorch.nn import functional as F
from minitorch.testing import gradcheck

ASSIGNMENT = setup_notebook("09-attention")
rng = np.random.default_rng(0)

# %% [markdown]
# ## 1. Softmax and its backward
#
# $$y_i = \operatorname{softmax}(x)_i = \frac{e^{x_i - m}}{\sum_j e^{x_j - m}}, \quad m = \max_j x_j,
#   \qquad \frac{\partial L}{\partial x} = y \odot \Bigl(g - \sum_j g_j y_j\Bigr)$$
#
# The backward is the Jacobian $\operatorname{diag}(y) - y y^\top$ applied to $g$ without
# forming it. A row of $-\infty$ gives NaN, as in PyTorch.

# %%
print("softmax", F.softmax(np.array([[1.0, 2.0, 3.0], [1000.0, 1000.0, -np.inf]]), dim=-1))
print("gradcheck nn.Softmax:",
      "passed" if all(r.ok for r in gradcheck(nn.Softmax(dim=-1), rng.standard_normal((3, 5)),
                                              raise_exception=False).rows) else "FAILED")

# %% [markdown]
# ## 2. Scaled dot-product attention
#
# For $q, k, v$ of shape $(N, H, T, d)$ (batch, heads, positions, features per head):
#
# $$S = \frac{q k^\top}{\sqrt d} + \text{mask}, \qquad P = \operatorname{softmax}_j(S), \qquad O = P v$$
#
# (with dropout, $\tilde P = P \odot M$ replaces $P$). The causal mask is $0$ where $j \le i$ and
# $-\infty$ where $j > i$. Backward, with $G = \partial L/\partial O$:
#
# $$dv = P^\top G, \quad dP = G v^\top, \quad dS = P \odot \bigl(dP - D\bigr),\ D_i = \sum_c G_{ic} O_{ic},
#   \quad dq = \frac{dS\, k}{\sqrt d}, \quad dk = \frac{dS^\top q}{\sqrt d}$$

# %%
q, k, v = (rng.standard_normal((1, 1, 4, 2)) for _ in range(3))
out, cache = F.attention_forward(q, k, v, F.causal_mask(4, np.float64))
print("causal weights P (rows sum to 1, nothing above the diagonal):",
      cache.weights[0, 0].round(3), sep="\n")
dq, dk, dv = F.attention_backward(np.ones_like(out), cache)
print("dq, dk, dv shapes:", dq.shape, dk.shape, dv.shape)
mha = nn.MultiheadAttention(8, 2, causal=True, dtype=np.float64)
print(gradcheck(mha, rng.standard_normal((2, 5, 8)), raise_exception=False))

# %% [markdown]
# ## 3. LayerNorm
#
# Over the $D$ features of each row (position):
#
# $$\mu = \frac1D \sum_j x_j, \quad \sigma^2 = \frac1D \sum_j (x_j - \mu)^2, \quad
#   \hat x = \frac{x - \mu}{\sqrt{\sigma^2 + \varepsilon}}, \quad y = \gamma \odot \hat x + \beta$$
#
# With $\hat g = G \odot \gamma$ and means over the row's features:
#
# $$d\gamma = \sum_\text{rows} G \odot \hat x, \quad d\beta = \sum_\text{rows} G, \quad
#   dx = \frac{\hat g - \operatorname{mean}(\hat g) - \hat x \odot \operatorname{mean}(\hat g \odot \hat x)}{\sqrt{\sigma^2 + \varepsilon}}$$

# %%
x = 5.0 + 3.0 * rng.standard_normal((2, 3, 6))
y, cache = F.layer_norm_forward(x, (6,), np.ones(6), np.zeros(6))
print("row means", y.mean(axis=-1).round(6).ravel(), " row stds", y.std(axis=-1).round(4).ravel())
print(gradcheck(nn.LayerNorm(6, dtype=np.float64), x, raise_exception=False))

# %% [markdown]
# ## 4. Check your work

# %%
print(format_table(ASSIGNMENT, check_tasks(ASSIGNMENT)))

# %% [markdown]
# ## 5. What a causal head learns
#
# A one-head model must output, at each position, the token *one position earlier* (at
# position 0, the token itself). Each position's input is its token and its position, both
# one-hot; then `Linear → LayerNorm → MultiheadAttention(causal) → Linear`. The only way to
# the previous token is through attention, so the trained head's weights $P$ should put all
# their mass just below the diagonal.

# %%
V, T, E = 8, 8, 32


def previous_token_batch(n):
    tokens = rng.integers(0, V, size=(n, T))
    features = np.concatenate([np.eye(V, dtype=np.float32)[tokens],
                               np.broadcast_to(np.eye(T, dtype=np.float32), (n, T, T))], axis=2)
    targets = np.concatenate([tokens[:, :1], tokens[:, :-1]], axis=1)
    return features, targets


minitorch.manual_seed(0)
head = nn.Sequential(nn.Linear(V + T, E), nn.LayerNorm(E),
                     nn.MultiheadAttention(E, 1, causal=True), nn.Linear(E, V))
head.needs_input_grad = False
criterion, opt = nn.CrossEntropyLoss(), optim.AdamW(head, lr=1e-2)
curve = []
for step in range(120):
    features, targets = previous_token_batch(64)
    opt.zero_grad()
    logits = head(features)                                   # (N, T, V)
    curve.append(float(criterion(logits.reshape(-1, V), targets.reshape(-1))))
    head.backward(criterion.backward().reshape(logits.shape))
    opt.step()

features, targets = previous_token_batch(1)
head(features)                                                # a forward that keeps its cache
weights = head[2].cache.weights[0, 0]                         # (T, T): P of the one head
fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
left.plot(curve)
left.set(xlabel="step", ylabel="cross-entropy", yscale="log", title="training loss")
image = right.imshow(weights, cmap="viridis", vmin=0, vmax=1)
right.set(xlabel="key position j", ylabel="query position i",
          title="attention weights P[i, j] after training")
fig.colorbar(image, ax=right)
fig.tight_layout()

# %% [markdown]
# **Questions.** Why is $P$ zero above the diagonal whatever the model learns? Why does the
# backward never need the $T \times T$ Jacobian of each softmax row?
