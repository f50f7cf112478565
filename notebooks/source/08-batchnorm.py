# The source of notebooks/08-batchnorm.ipynb (python scripts/make_notebooks.py writes it).

# %% [markdown]
# # Assignment 08 · Batch normalisation
#
# A deep network trains slowly when the inputs of its layers drift in scale and offset as the
# earlier layers learn. Batch normalisation standardises each feature (each channel of a
# CNN) over the batch, then lets the network scale and shift it back with two learned
# parameters $\gamma$ and $\beta$. At test time there is no batch to average over: the layer
# uses running averages of the statistics it saw during training.
#
# **What you write**, in `nn/functional/batchnorm.py`:
#
# | task | what it computes |
# |------|------------------|
# | `batch_norm_forward` | $y = \gamma \odot \hat x + \beta$, $\hat x = (x - \mu)/\sqrt{\sigma^2 + \varepsilon}$; the running statistics updated in place |
# | `batch_norm_backward` | $d\beta$, $d\gamma$ and $dx$ through the batch statistics |
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

ASSIGNMENT = setup_notebook("08-batchnorm")

# %% [markdown]
# ## 1. The forward pass
#
# Per channel $c$, over its $m$ values in the batch ($m = N$ for `BatchNorm1d` on $(N, C)$,
# $m = N H W$ for `BatchNorm2d`):
#
# $$\mu = \frac1m \sum x, \qquad \sigma^2 = \frac1m \sum (x - \mu)^2, \qquad
#   \hat x = \frac{x - \mu}{\sqrt{\sigma^2 + \varepsilon}}, \qquad y = \gamma \odot \hat x + \beta$$
#
# In training the running statistics move towards the batch's, with the *unbiased* variance:
# $\text{running\_mean} \leftarrow (1 - \alpha)\,\text{running\_mean} + \alpha\,\mu$,
# $\text{running\_var} \leftarrow (1 - \alpha)\,\text{running\_var} + \alpha\,\sigma^2 \frac{m}{m - 1}$
# ($\alpha$ the momentum, 0.1). In evaluation $\mu$ and $\sigma^2$ *are* the running
# statistics.

# %%
rng = np.random.default_rng(0)
x = 3.0 + 2.0 * rng.standard_normal((64, 4))
running_mean, running_var = np.zeros(4), np.ones(4)
y, cache = F.batch_norm_forward(x, np.ones(4), np.zeros(4), running_mean, running_var)
print("per-feature mean of y", y.mean(axis=0).round(6), " std", y.std(axis=0).round(4))
print("running mean after one batch", running_mean.round(3))

# %% [markdown]
# ## 2. The backward pass
#
# $$d\beta = \sum G, \qquad d\gamma = \sum G \odot \hat x \qquad \text{(per channel)}$$
#
# In training every $\hat x$ depends on the whole channel through $\mu$ and $\sigma$, which
# gives the compact form (means over the channel's $m$ values):
#
# $$dx = \frac{\gamma}{\sqrt{\sigma^2 + \varepsilon}} \odot
#   \Bigl(G - \operatorname{mean}(G) - \hat x \odot \operatorname{mean}(G \odot \hat x)\Bigr)$$
#
# In evaluation the statistics are constants and the layer is affine:
# $dx = \gamma\, G / \sqrt{\sigma^2 + \varepsilon}$.

# %%
dx, dgamma, dbeta = F.batch_norm_backward(np.ones_like(y), cache)
print("dx for G = 1 (all zero: a constant shift is normalised away):", np.abs(dx).max())
for module, shape in ((nn.BatchNorm1d(4, dtype=np.float64), (8, 4)),
                      (nn.BatchNorm2d(3, dtype=np.float64), (4, 3, 2, 2))):
    report = gradcheck(module, rng.standard_normal(shape), raise_exception=False)
    print(f"gradcheck {type(module).__name__}:", "passed" if all(r.ok for r in report.rows)
          else report)

# %% [markdown]
# ## 3. Check your work

# %%
print(format_table(ASSIGNMENT, check_tasks(ASSIGNMENT)))

# %% [markdown]
# ## 4. With and without BatchNorm
#
# Two deep MLPs on the bundled digits, six hidden layers of 64, the same initial weights, the
# same plain SGD: one with `BatchNorm1d` after every hidden Linear. Its layers' inputs stay
# standardised, so the gradient reaches the first layers and it trains; without it, the
# sigmoids' small slopes leave the first layers almost no gradient, and in ten epochs the
# network does not leave chance level (10%).

# %%
from minitorch.datasets import Digits
from minitorch.training import fit


def deep_mlp(batch_norm):
    layers, width = [], 64
    for _ in range(6):
        layers += [nn.Linear(width, 64)] + ([nn.BatchNorm1d(64)] if batch_norm else []) + [nn.Sigmoid()]
    return nn.Sequential(*layers, nn.Linear(64, 10))


train_set, test_set = Digits(train=True, flatten=True), Digits(train=False, flatten=True)
histories = {}
for name, batch_norm in (("without BatchNorm", False), ("with BatchNorm", True)):
    minitorch.manual_seed(0)
    net = deep_mlp(batch_norm)
    net.needs_input_grad = False
    histories[name] = fit(net, train_set, nn.CrossEntropyLoss(), optim.SGD(net, lr=0.1),
                          epochs=10, batch_size=32, test_set=test_set)
    print(f"{name:<18} test accuracy {histories[name]['test_accuracy'][-1]:.1%}")

fig, (left, right) = plt.subplots(1, 2, figsize=(11, 3.8))
for name, history in histories.items():
    left.plot(history["epoch"], history["train_loss"], marker=".", label=name)
    right.plot(history["epoch"], history["test_accuracy"], marker=".", label=name)
left.set(xlabel="epoch", ylabel="training loss", title="6 sigmoid layers, SGD lr 0.1")
right.set(xlabel="epoch", ylabel="test accuracy", title="held-out digits")
left.legend()
fig.tight_layout()

# %% [markdown]
# **Questions.** Why is $dx$ zero for $G = 1$? What goes wrong if a model with BatchNorm is
# evaluated in training mode on batches of one sample?
