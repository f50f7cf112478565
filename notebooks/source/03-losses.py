# The source of notebooks/03-losses.ipynb (python scripts/make_notebooks.py writes it).

# %% [markdown]
# # Assignment 03 · Losses: mean squared error, a stable log-softmax
#
# Training needs one number that says how wrong the network is, and its gradient with respect
# to the network's output: that gradient, $\partial L/\partial \hat y$, is where every backward
# pass starts. This week you write the loss of regression, the mean squared error, and the
# loss of classification, the cross-entropy, on top of a log-softmax written so that it never
# overflows.
#
# **What you write**:
#
# | task | file | what it computes |
# |------|------|------------------|
# | `mse_loss_forward` / `mse_loss_backward` | `nn/functional/regression_loss.py` | $\frac1D\sum (x - y)^2$ and $\partial L/\partial x$ |
# | `log_softmax` / `log_softmax_backward` | `nn/functional/activation.py` | $\log \operatorname{softmax}(x)$, stably, and its backward |
# | `softmax_cross_entropy_forward` / `_backward` | `nn/functional/multiclass_loss.py` | the mean cross-entropy of class indices, and $\partial L/\partial x$ |
#
# When a cell below stops with `NotImplementedError`, that task is next.

# %%
%matplotlib inline
import matplotlib.pyplot as plt
import numpy as np

import minitorch
from minitorch import nn, viz
from minitorch.course.notebook import setup_notebook
from minitorch.course.runner import check_tasks, format_table
from minitorch.nn import functional as F

ASSIGNMENT = setup_notebook("03-losses")

# %% [markdown]
# ## 1. Mean squared error
#
# Predictions $x$ and targets $y$ of the same shape, $D$ entries in all. Each entry's loss is
# $\ell = (x - y)^2$; the reduction `'mean'` averages them, `'sum'` adds them, `'none'` keeps
# them:
#
# $$L = \frac{1}{D} \sum_{i} (x_i - y_i)^2, \qquad
#   \frac{\partial L}{\partial x} = \frac{2}{D}\,(x - y) \quad\text{(mean)}$$
#
# In general $\partial L/\partial x = 2(x - y) \odot s$, where $s = \partial L/\partial \ell$
# is what `reduce_loss_backward` returns for the reduction: $1/D$, $1$, or the incoming
# gradient itself for `'none'`.

# %%
predictions = np.array([[1.0, 2.0], [3.0, 4.0]])
targets = np.array([[1.5, 2.0], [2.0, 5.0]])
loss, cache = F.mse_loss_forward(predictions, targets)
print("loss", loss)                                        # (0.25 + 0 + 1 + 1) / 4
print("dL/dx", F.mse_loss_backward(1.0, cache), sep="\n")

# %% [markdown]
# ## 2. The stable log-softmax
#
# A classifier outputs one score (logit) per class; the softmax turns a row of scores into
# probabilities, and cross-entropy is minus the log-probability of the true class. Written
# directly, $e^{x}$ overflows for scores of a few hundred. Subtracting the row's maximum
# changes nothing mathematically and keeps every exponent $\le 0$:
#
# $$\log\operatorname{softmax}(x)_i = (x_i - m) - \log \sum_j e^{x_j - m}, \qquad m = \max_j x_j$$
#
# Its backward, with $g = \partial L/\partial y$ and $y = \log\operatorname{softmax}(x)$ (so
# $\operatorname{softmax}(x) = e^{y}$, nothing to recompute):
#
# $$\frac{\partial L}{\partial x_i} = g_i - \operatorname{softmax}(x)_i \sum_j g_j$$
#
# `nn.LogSoftmax` calls your pair; with `nn.NLLLoss` after it, it is the cross-entropy.

# %%
from minitorch.testing import gradcheck

scores = np.array([[1.0, 2.0, 3.0], [1000.0, 1001.0, 1002.0]])
logp = F.log_softmax(scores, dim=1)
print("log softmax", logp, sep="\n")                        # both rows the same, no inf, no nan
y, cache = F.log_softmax_forward(scores, dim=1)
print("dL/dx for g = [1, 0, 0]:", F.log_softmax_backward(np.array([[1.0, 0, 0]] * 2), cache)[0])
report = gradcheck(nn.LogSoftmax(dim=1), np.random.default_rng(0).standard_normal((4, 5)),
                   raise_exception=False)
print(report)

# %% [markdown]
# ## 3. Cross-entropy
#
# Logits $x$ of shape $(N, C)$ and class indices $y \in \{0, \dots, C-1\}^N$. With
# $\log p_i = \log\operatorname{softmax}(x_i)$ (the stable one) and $p = \operatorname{softmax}(x)$:
#
# $$L = -\frac1N \sum_{i} \log p_{i, y_i}, \qquad
#   \frac{\partial L}{\partial x} = \frac{g}{N}\,\bigl(p - \operatorname{onehot}(y)\bigr)$$
#
# ($g$ the incoming scalar gradient, 1 for the loss itself). `nn.CrossEntropyLoss()` with its
# defaults runs this pair; the backward needs only $p$ and $y$ from the cache.

# %%
labels = np.array([2, 0])
loss, cache = F.softmax_cross_entropy_forward(scores, labels)
print("loss", loss)                                       # (0.4076 + 2.4076) / 2
print("dL/dx", F.softmax_cross_entropy_backward(1.0, cache), sep="\n")

# %% [markdown]
# ## 4. Check your work

# %%
print(format_table(ASSIGNMENT, check_tasks(ASSIGNMENT)))

# %% [markdown]
# ## 5. Train with your losses
#
# Two small networks, each trained by full-batch gradient descent
# ($\theta \leftarrow \theta - \eta\,\partial L/\partial\theta$; the optimizers are next week):
# a regression of a noisy sine with your MSE, and a classifier of three interleaved spirals
# whose last layer is your log-softmax, scored by the negative log-likelihood.

# %%
from minitorch.datasets import make_sine, make_spiral


def descend(net, loss_fn, inputs, targets, steps, lr):
    """Full-batch gradient descent; returns the loss at every step."""
    curve = []
    for _ in range(steps):
        net.zero_grad()
        curve.append(float(loss_fn(net(inputs), targets)))
        net.backward(loss_fn.backward())
        for layer in net:
            if isinstance(layer, nn.Linear):
                layer.W -= lr * layer.dW
                layer.b -= lr * layer.db
    return curve


minitorch.manual_seed(0)
x_sine, y_sine = make_sine(200, noise=0.1, seed=0)
regressor = nn.Sequential(nn.Linear(1, 32), nn.Tanh(), nn.Linear(32, 1))
mse_curve = descend(regressor, nn.MSELoss(), x_sine, y_sine, steps=800, lr=0.05)

x_spiral, y_spiral = make_spiral(300, n_classes=3, seed=0)
classifier = nn.Sequential(nn.Linear(2, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(),
                           nn.Linear(64, 3), nn.LogSoftmax(dim=1))
nll_curve = descend(classifier, nn.NLLLoss(), x_spiral, y_spiral, steps=400, lr=0.5)
accuracy = np.mean(classifier(x_spiral).argmax(axis=1) == y_spiral)
print(f"MSE {mse_curve[-1]:.4f} (the noise alone: 0.01)   spiral accuracy {accuracy:.0%}")

fig, axes = plt.subplots(1, 3, figsize=(14, 4))
order = np.argsort(x_sine[:, 0])
axes[0].scatter(x_sine, y_sine, s=6, c="0.6", label="data")
axes[0].plot(x_sine[order], regressor(x_sine[order]), c="tab:red", label="network")
axes[0].set(title="regression with your MSE", xlabel="x")
axes[0].legend()
viz.plot_decision_boundary(classifier, x_spiral, y_spiral, ax=axes[1],
                           title="classes with your log-softmax")
axes[2].plot(mse_curve, label="MSE (regression)")
axes[2].plot(nll_curve, label="NLL of log-softmax (spirals)")
axes[2].set(title="loss curves", xlabel="step", yscale="log")
axes[2].legend()
fig.tight_layout()

# %% [markdown]
# **Questions.** What does a naive `np.log(np.exp(x) / np.exp(x).sum())` return for the second
# row of `scores`? Why is the gradient of the NLL of a log-softmax,
# $\operatorname{softmax}(x) - \text{onehot}(y)$, bounded, while that of $-\log p$ after a
# separate softmax can blow up?
