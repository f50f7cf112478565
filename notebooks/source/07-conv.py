# The source of notebooks/07-conv.ipynb (python scripts/make_notebooks.py writes it).

# %% [markdown]
# # Assignment 07 · Convolution and max pooling
#
# An image classifier should not have to learn "a stroke" separately at every position. A
# convolution slides one small filter over the whole image: few weights, shared everywhere.
# Computed naively it is six nested loops; computed well it is *one* matrix product, once
# every patch the filter sees has been copied into a column (`im2col`). Its backward runs the
# same product the other way and adds the columns back into the image (`col2im`).
#
# **What you write**, in `nn/functional/conv.py` and `nn/functional/pooling.py`:
#
# | task | what it computes |
# |------|------------------|
# | `im2col(x, k)` | every $k_H \times k_W$ patch of $x$ $(N, C, H, W)$ as a column: $(C k_H k_W,\ H_o W_o N)$ |
# | `col2im(cols, shape, k)` | the adjoint: each column added back onto the pixels it came from |
# | `conv2d_forward` | $y = W \star x + b$ as $W_\text{col}\,\text{cols}$ |
# | `conv2d_backward` | $dW = G_\text{col}\,\text{cols}^\top$, $db = \sum G$, $dx = \text{col2im}(W_\text{col}^\top G_\text{col})$ |
# | `max_pool2d_forward` / `_backward` | the maximum of each window; its gradient to the maximum only |
#
# When a cell below stops with `NotImplementedError`, that task is next.

# %%
%matplotlib inline
import matplotlib.pyplot as plt
import numpy as np

import minitorch
from minitorch import nn, optim, viz
from minitorch.course.notebook import setup_notebook
from minitorch.course.runner import check_tasks, format_table
from minitorch.nn import functional as F
from minitorch.testing import gradcheck

ASSIGNMENT = setup_notebook("07-conv")

# %% [markdown]
# ## 1. `im2col` and `col2im`
#
# For a kernel $k_H \times k_W$, stride $s$, padding $p$ and dilation $d$, the output is
# $H_o \times W_o$ with $H_o = \lfloor (H + 2p - d(k_H - 1) - 1)/s \rfloor + 1$ (and the same
# for $W_o$). Column $(r, c, n)$ of `cols` holds the $C k_H k_W$ pixels the kernel sees at
# output pixel $(r, c)$ of image $n$; row $(ch, i, j)$ is kernel offset $(i, j)$ of channel
# $ch$. `col2im` is its adjoint: $\langle \text{im2col}(x), c\rangle = \langle x, \text{col2im}(c)\rangle$,
# so a pixel that lies in several patches receives the sum of their entries.

# %%
x = np.arange(9.0).reshape(1, 1, 3, 3)                     # one 3×3 image: a..i = 0..8
cols = F.im2col(x, 2)
print("im2col, kernel 2×2:", cols, sep="\n")                # four patches, one column each
print("col2im of ones (patches per pixel):", F.col2im(np.ones_like(cols), x.shape, 2)[0, 0],
      sep="\n")

# %% [markdown]
# ## 2. Convolution
#
# With $W$ of shape $(F, C, k_H, k_W)$ flattened to $W_\text{col}$ $(F, C k_H k_W)$:
#
# $$Y = W_\text{col}\,\text{cols} \quad (F, H_o W_o N), \qquad
#   y = Y \text{ as } (N, F, H_o, W_o) + b$$
#
# and, with $G_\text{col}$ the gradient $G = \partial L/\partial y$ laid out as $Y$:
#
# $$dW = G_\text{col}\,\text{cols}^\top \text{ (reshaped like } W), \qquad
#   db = \sum_{n, r, s} G_{n,:,r,s}, \qquad dx = \text{col2im}\bigl(W_\text{col}^\top G_\text{col}\bigr)$$

# %%
edge = np.array([[[[1.0, -1.0], [1.0, -1.0]]]])           # (F, C, kH, kW): a vertical edge
image = np.zeros((1, 1, 4, 4))
image[..., :2] = 1.0
y, cache = F.conv2d_forward(image, edge)
print("a vertical edge found:", y[0, 0], sep="\n")
conv = nn.Conv2d(2, 3, 3, padding=1, dtype=np.float64)
report = gradcheck(conv, np.random.default_rng(0).standard_normal((2, 2, 5, 5)),
                   raise_exception=False)
print(report)

# %% [markdown]
# ## 3. Max pooling
#
# $y_{n,c,r,s}$ is the maximum of its window (padding counts as $-\infty$); the backward sends
# each window's gradient to the pixel that was its maximum, and nowhere else (a pixel that is
# the maximum of several overlapping windows gets the sum):
#
# $$\frac{\partial L}{\partial x_{\text{pixel}}} = \sum_{\text{windows whose max is that pixel}} G_{\text{window}}$$

# %%
y, cache = F.max_pool2d_forward(x, (2, 2), (1, 1))
print("max of each 2×2 window:", y[0, 0], sep="\n")
print("its gradient for G = 1:", F.max_pool2d_backward(np.ones_like(y), cache)[0, 0], sep="\n")

# %% [markdown]
# ## 4. Check your work

# %%
print(format_table(ASSIGNMENT, check_tasks(ASSIGNMENT)))

# %% [markdown]
# ## 5. A tiny CNN on the digits
#
# `Conv2d(1, 8, 3, padding=1) → ReLU → MaxPool2d(2) → Linear(128, 10)` on the bundled 8×8
# digits, trained with `fit` for ten epochs. Then what it learned: the eight filters, and a
# digit passing through them.

# %%
from minitorch.datasets import Digits
from minitorch.training import fit

train_set, test_set = Digits(train=True), Digits(train=False)
minitorch.manual_seed(0)
cnn = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                    nn.Linear(8 * 4 * 4, 10))
cnn.needs_input_grad = False
history = fit(cnn, train_set, nn.CrossEntropyLoss(), optim.AdamW(cnn, lr=3e-3), epochs=10,
              batch_size=32, test_set=test_set)
print(f"test accuracy {history['test_accuracy'][-1]:.1%}")

# %%
viz.plot_filters(cnn[0], title="the 8 learned 3×3 filters")

# %%
viz.plot_feature_maps(cnn, test_set.tensors[0][0], label=int(test_set.tensors[1][0]),
                      title="a test digit through the convolution and the ReLU")

# %% [markdown]
# **Questions.** How many multiplications does one `Conv2d(1, 8, 3, padding=1)` forward make
# on a batch of 32 digits, and how large is its `cols`? Why is `col2im(im2col(x))` not $x$?
