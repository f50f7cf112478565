# The source of notebooks/02-activations.ipynb (python scripts/make_notebooks.py writes it).

# %% [markdown]
# # Assignment 02 · Activations: ReLU, Sigmoid, GELU
#
# A stack of Linear layers is still one linear map: $(xW_1)W_2 = x(W_1W_2)$. What lets a
# network bend is a nonlinearity between the layers, applied to every entry on its own. This
# week you write three of them, each as a pair: `*_forward(x) -> (y, cache)` and
# `*_backward(G, cache) -> dL/dx`. Because the function acts entry by entry, its backward is
# the chain rule entry by entry: $\partial L/\partial x = G \odot f'(x)$.
#
# **What you write**, in `src/minitorch/nn/functional/activation.py`:
#
# | task | forward | derivative |
# |------|---------|------------|
# | `relu_forward` / `relu_backward` | $\max(0, x)$ | $\mathbb{1}[x > 0]$ |
# | `sigmoid_forward` / `sigmoid_backward` | $\sigma(x) = \dfrac{1}{1 + e^{-x}}$ | $\sigma(x)\,(1 - \sigma(x))$ |
# | `gelu_forward` / `gelu_backward` | $x\,\Phi(x)$ | $\Phi(x) + x\,\varphi(x)$ |
#
# Each backward uses only what its forward cached: choose the cache so the backward is one
# line. When a cell below stops with `NotImplementedError`, that task is next.

# %%
%matplotlib inline
import matplotlib.pyplot as plt
import numpy as np

import minitorch
from minitorch import nn
from minitorch.course.notebook import setup_notebook
from minitorch.course.runner import check_tasks, format_table

ASSIGNMENT = setup_notebook("02-activations")

# %% [markdown]
# ## 1. ReLU
#
# $$\mathrm{ReLU}(x) = \max(0, x), \qquad
#   \frac{\partial L}{\partial x} = G \odot \mathbb{1}[x > 0]$$
#
# At $x = 0$ the derivative is taken to be 0, as PyTorch takes it. A unit whose input is
# negative for every sample passes no gradient at all: a "dead" ReLU.

# %%
from minitorch.nn import functional as F

x = np.array([-2.0, -0.5, 0.0, 0.5, 2.0])
y, cache = F.relu_forward(x)
print("relu(x)      ", y)
print("dL/dx for G=1", F.relu_backward(np.ones_like(x), cache))

# %% [markdown]
# ## 2. Sigmoid
#
# $$\sigma(x) = \frac{1}{1 + e^{-x}}, \qquad
#   \frac{\partial L}{\partial x} = G \odot \sigma(x)\,(1 - \sigma(x))$$
#
# The derivative is written with the *output*: cache $y = \sigma(x)$ and the backward needs
# no exponential. Mind the overflow of $e^{-x}$ for very negative $x$ (try $x = -1000$): for
# $x < 0$ the same number is $e^{x} / (1 + e^{x})$. Its largest slope is $1/4$, at 0: a deep
# stack of sigmoids multiplies the gradient by at most $1/4$ per layer.

# %%
x = np.array([-1000.0, -2.0, 0.0, 2.0, 1000.0])
y, cache = F.sigmoid_forward(x)
print("sigmoid(x)   ", y)
print("dL/dx for G=1", F.sigmoid_backward(np.ones_like(x), cache))

# %% [markdown]
# ## 3. GELU
#
# The Gaussian error linear unit weighs its input by the probability that a standard normal
# variable lies below it ($\Phi$ the normal CDF, $\varphi$ its density):
#
# $$\mathrm{GELU}(x) = x\,\Phi(x), \qquad \Phi(x) = \tfrac12\bigl(1 + \operatorname{erf}(x/\sqrt2)\bigr),
#   \qquad \varphi(x) = \tfrac{1}{\sqrt{2\pi}} e^{-x^2/2}$$
#
# $$\frac{\partial L}{\partial x} = G \odot \bigl(\Phi(x) + x\,\varphi(x)\bigr)$$
#
# With `approximate='tanh'` (GPT-2's), $\mathrm{GELU}(x) \approx \tfrac12 x (1 + \tanh u)$,
# $u = \sqrt{2/\pi}\,(x + 0.044715\,x^3)$, and the derivative is
# $\tfrac12(1 + \tanh u) + \tfrac12 x (1 - \tanh^2 u)\sqrt{2/\pi}\,(1 + 3 \cdot 0.044715\,x^2)$.
# `gradcheck` compares your backward with central differences through `nn.GELU`.

# %%
from minitorch.testing import gradcheck

x = np.array([-3.0, -1.0, 0.0, 1.0, 3.0])
y, cache = F.gelu_forward(x)
print("gelu(x)      ", y)
print("dL/dx for G=1", F.gelu_backward(np.ones_like(x), cache))
sample = np.random.default_rng(0).standard_normal((4, 5))
for module in (nn.ReLU(), nn.Sigmoid(), nn.GELU(), nn.GELU(approximate="tanh")):
    report = gradcheck(module, sample, raise_exception=False)
    print(f"gradcheck {module!r:<26}", "passed" if all(r.ok for r in report.rows) else report)

# %% [markdown]
# ## 4. Check your work

# %%
print(format_table(ASSIGNMENT, check_tasks(ASSIGNMENT)))

# %% [markdown]
# ## 5. Look at them
#
# Each function and its derivative, both computed by your code: the derivative is your
# backward with $G = 1$.

# %%
grid = np.linspace(-4, 4, 401)
pairs = {
    "ReLU": (F.relu_forward, F.relu_backward),
    "Sigmoid": (F.sigmoid_forward, F.sigmoid_backward),
    "GELU": (F.gelu_forward, F.gelu_backward),
}
fig, axes = plt.subplots(1, 3, figsize=(12, 3.5), sharey=True)
for ax, (name, (forward, backward)) in zip(axes, pairs.items()):
    values, cache = forward(grid)
    ax.plot(grid, values, label=f"{name}(x)")
    ax.plot(grid, backward(np.ones_like(grid), cache), ls="--", label=f"{name}'(x)")
    ax.axhline(0, c="0.8", lw=0.8)
    ax.axvline(0, c="0.8", lw=0.8)
    ax.set(title=name, xlabel="x", ylim=(-0.5, 2.0))
    ax.legend(loc="upper left")
fig.tight_layout()

# %% [markdown]
# ## 6. A small network with each
#
# The same network, `Linear(1, 32) → f → Linear(32, 32) → f → Linear(32, 1)`, fitted to
# $\sin(2x)$ by 300 steps of gradient descent with each activation $f$. (The loss is the
# Huber loss, the update the plain $\theta \leftarrow \theta - \eta\,\partial L/\partial\theta$;
# the mean squared error and the optimizers are later assignments.)

# %%
rng = np.random.default_rng(0)
xs = np.sort(rng.uniform(-3, 3, size=(128, 1)), axis=0).astype(np.float32)
ys = np.sin(2 * xs).astype(np.float32)
huber = nn.HuberLoss(delta=0.5)

fig, (left, right) = plt.subplots(1, 2, figsize=(11, 3.8))
left.scatter(xs, ys, s=6, c="0.6", label="sin(2x)")
for name, activation in (("ReLU", nn.ReLU), ("Sigmoid", nn.Sigmoid), ("GELU", nn.GELU)):
    minitorch.manual_seed(0)
    net = nn.Sequential(nn.Linear(1, 32), activation(), nn.Linear(32, 32), activation(),
                        nn.Linear(32, 1))
    net.needs_input_grad = False
    curve = []
    for step in range(300):
        net.zero_grad()
        curve.append(float(huber(net(xs), ys)))
        net.backward(huber.backward())
        for layer in (net[0], net[2], net[4]):
            layer.W -= 0.2 * layer.dW
            layer.b -= 0.2 * layer.db
    left.plot(xs, net(xs), label=name)
    right.plot(curve, label=name)
    print(f"{name:<8} final loss {curve[-1]:.4f}")
left.set(title="fits after 300 steps", xlabel="x")
left.legend(fontsize=8)
right.set(title="training loss", xlabel="step", yscale="log")
right.legend()
fig.tight_layout()

# %% [markdown]
# **Questions.** Which activation learns slowest here, and what in the derivative plot
# explains it? What does your sigmoid return for $x = \pm 1000$, and why must it not warn?
