# The source of notebooks/11-gan.ipynb (python scripts/make_notebooks.py writes it).

# %% [markdown]
# # Assignment 11 · A GAN
#
# Two networks play a game. A generator $G$ turns random noise into points; a discriminator
# $D$ looks at a point and gives one logit, "real" when positive. $D$ learns to tell the real
# data from $G$'s points, $G$ learns to make $D$ say "real". Both are trained with the same
# loss, binary cross-entropy on $D$'s logits, which you write this week in its stable form
# (the sigmoid inside the loss, so that no logit overflows).
#
# **What you write**, in `nn/functional/binary_loss.py`:
#
# | task | what it computes |
# |------|------------------|
# | `binary_cross_entropy_with_logits_forward` | $\ell = w\,[(1 - y)\,x - (1 + (p - 1)\,y)\log\sigma(x)]$, reduced |
# | `binary_cross_entropy_with_logits_backward` | $\partial \ell/\partial x = w\,[(p y + 1 - y)\,\sigma(x) - p y]$ |
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

ASSIGNMENT = setup_notebook("11-gan")

# %% [markdown]
# ## 1. Binary cross-entropy on logits
#
# With $\sigma$ the sigmoid, targets $y \in [0, 1]$, `pos_weight` $p$ (default 1) and `weight`
# $w$ (default 1):
#
# $$\ell = -w\,\bigl[p\,y \log\sigma(x) + (1 - y)\log(1 - \sigma(x))\bigr]
#        = w\,\bigl[(1 - y)\,x - (1 + (p - 1)\,y)\,\log\sigma(x)\bigr]$$
#
# because $\log(1 - \sigma(x)) = \log\sigma(x) - x$. Computed as
# $\log\sigma(x) = \min(x, 0) - \log(1 + e^{-|x|})$ it never overflows: logits of $\pm 10^4$ are
# fine. The reduction (`'mean'`, `'sum'`, `'none'`) is the one of every loss.

# %%
logits = np.array([-1e4, -2.0, 0.0, 2.0, 1e4])
targets = np.array([0.0, 0.0, 1.0, 1.0, 1.0])
loss, cache = F.binary_cross_entropy_with_logits_forward(logits, targets, reduction="none")
print("loss per logit", loss)                                 # no inf, no nan

# %% [markdown]
# ## 2. Its backward
#
# $$\frac{\partial \ell}{\partial x} = w\,\bigl[(p\,y + 1 - y)\,\sigma(x) - p\,y\bigr]
#   \;=\; w\,(\sigma(x) - y) \quad\text{when } p = 1,$$
#
# times what the reduction hands back ($1/D$ for the mean). $\sigma(x)$ comes from the
# forward's $e^{-|x|}$: $1/(1 + e^{-|x|})$ for $x \ge 0$, $e^{-|x|}/(1 + e^{-|x|})$ for $x < 0$.

# %%
print("dL/dx", F.binary_cross_entropy_with_logits_backward(np.ones_like(loss), cache))
rng = np.random.default_rng(0)
report = gradcheck(nn.BCEWithLogitsLoss(), rng.standard_normal((6, 1)),
                   (rng.random((6, 1)) > 0.5).astype(np.float64), raise_exception=False)
print(report)

# %% [markdown]
# ## 3. Check your work

# %%
print(format_table(ASSIGNMENT, check_tasks(ASSIGNMENT)))

# %% [markdown]
# ## 4. A GAN on a ring of 8 Gaussians
#
# Each iteration has two steps, each with its own optimizer:
#
# 1. $D$'s step: $D$ on a real batch (target 1), backward; $D$ on a fake batch (target 0),
#    backward. The two backward passes add up, then $D$'s optimizer steps.
# 2. $G$'s step: $D$ on the same fake batch, now with target 1 ($-\log D(G(z))$, the
#    "non-saturating" loss); $D$'s backward returns $\partial L/\partial(\text{fake})$, which
#    $G$'s backward takes. Only $G$'s optimizer steps.
#
# The figure shows the same 500 noise vectors through $G$ as it trains: the points should
# spread over all eight modes.

# %%
from minitorch.datasets import make_blobs

angles = 2 * np.pi * np.arange(8) / 8
centres = 2.0 * np.stack([np.cos(angles), np.sin(angles)], axis=1)
minitorch.manual_seed(0)


def noise(n):
    return minitorch.generator().standard_normal((n, 2)).astype(np.float32)


def mlp(n_in, n_out):
    return nn.Sequential(nn.Linear(n_in, 64), nn.LeakyReLU(0.2), nn.Linear(64, 64),
                         nn.LeakyReLU(0.2), nn.Linear(64, n_out))


generator, critic = mlp(2, 2), mlp(2, 1)
generator.needs_input_grad = False
bce = nn.BCEWithLogitsLoss()
g_opt = optim.Adam(generator, lr=1e-3, betas=(0.5, 0.999))
d_opt = optim.Adam(critic, lr=1e-3, betas=(0.5, 0.999))
n = 256
real_label, fake_label = np.ones((n, 1), np.float32), np.zeros((n, 1), np.float32)
shown_noise, snapshots, d_curve, g_curve = noise(500), {}, [], []
for iteration in range(1, 1501):
    real = make_blobs(n, centers=centres, noise=0.05)[0]
    fake = generator(noise(n))

    d_opt.zero_grad()
    d_real = bce(critic(real), real_label)
    critic.backward(bce.backward())
    d_fake = bce(critic(fake), fake_label)
    critic.backward(bce.backward())
    d_opt.step()

    g_opt.zero_grad()
    g_loss = bce(critic(fake), real_label)
    generator.backward(critic.backward(bce.backward()))
    g_opt.step()

    d_curve.append(float(d_real) + float(d_fake))
    g_curve.append(float(g_loss))
    if iteration in (1, 250, 750, 1500):
        with minitorch.no_grad():
            snapshots[iteration] = generator(shown_noise)

real_shown = make_blobs(500, centers=centres, noise=0.05, seed=0)[0]
fig, axes = plt.subplots(1, 5, figsize=(17, 3.6))
for ax, (iteration, points) in zip(axes, snapshots.items()):
    ax.scatter(*real_shown.T, s=3, c="0.6")
    ax.scatter(*points.T, s=3, c="tab:blue", alpha=0.5)
    ax.set(title=f"iteration {iteration}", xlim=(-3, 3), ylim=(-3, 3), aspect="equal",
           xticks=[], yticks=[])
window = np.ones(50) / 50
axes[4].plot(np.convolve(d_curve, window, "valid"), label="D loss")
axes[4].plot(np.convolve(g_curve, window, "valid"), label="G loss")
axes[4].axhline(2 * np.log(2), c="0.5", ls="--", lw=1, label="D at ½: 2 log 2")
axes[4].set(xlabel="iteration", title="losses (moving average)")
axes[4].legend(fontsize=8)
fig.tight_layout()

# %% [markdown]
# **Questions.** Why would `BCELoss` after a `Sigmoid` layer be a worse choice for $D$ than
# `BCEWithLogitsLoss`? Why does $G$'s step need $D$'s *input* gradient, and why must $D$'s
# gradients from that step not reach $D$'s next update?
