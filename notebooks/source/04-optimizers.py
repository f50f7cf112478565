# The source of notebooks/04-optimizers.ipynb (python scripts/make_notebooks.py writes it).

# %% [markdown]
# # Assignment 04 · Optimizers: zero_grad, SGD with momentum, AdamW
#
# So far every notebook updated the weights by hand, $\theta \leftarrow \theta - \eta\,\nabla$.
# An optimizer owns that step for every parameter of a model, and keeps state between steps
# (a momentum buffer, moment estimates) that makes training faster and less sensitive to the
# learning rate. Swapping SGD for AdamW is then one line of the training loop.
#
# **What you write**:
#
# | task | file | what it does |
# |------|------|--------------|
# | `Optimizer.zero_grad` | `optim/optimizer.py` | clear every module's gradients before the next backward |
# | `sgd` | `optim/sgd.py` | one SGD step in place: weight decay, momentum, dampening, Nesterov |
# | `adam` | `optim/adam.py` | one Adam / AdamW step in place, with bias correction and amsgrad |
#
# Your `sgd` and `adam` are PyTorch's `_single_tensor_sgd` and `_single_tensor_adam`, line for
# line; the checks compare with PyTorch's numbers. When a cell below stops with
# `NotImplementedError`, that task is next.

# %%
%matplotlib inline
import matplotlib.pyplot as plt
import numpy as np

import minitorch
from minitorch import nn, optim
from minitorch.course.notebook import setup_notebook
from minitorch.course.runner import check_tasks, format_table

ASSIGNMENT = setup_notebook("04-optimizers")

# %% [markdown]
# ## 1. `zero_grad`
#
# A backward pass *adds* into the gradients (so that two backward passes, as a GAN's
# discriminator makes, add up). Before each new backward the old gradients must go:
# `zero_grad()` asks every module of the optimizer to clear its own, with
# `set_to_none=True` (the default, as in PyTorch) making them `None`, with `False` filling them
# with zeros in place.

# %%
layer = nn.Linear(3, 2)
layer(np.ones((4, 3), dtype=np.float32))
layer.backward(np.ones((4, 2), dtype=np.float32))
optimizer = optim.SGD(layer, lr=0.1)
print("before:", layer.dW is not None)
optimizer.zero_grad()
print("after zero_grad():", layer.dW)

# %% [markdown]
# ## 2. SGD with momentum
#
# With gradient $g_t$, learning rate $\eta$, momentum $\mu$, dampening $\tau$ and weight
# decay $\lambda$ (PyTorch's order of operations):
#
# $$g \leftarrow g_t + \lambda\,\theta_{t-1}, \qquad
#   b_t = \begin{cases} g & t = 1 \\ \mu\, b_{t-1} + (1 - \tau)\, g & t > 1 \end{cases}$$
#
# $$\theta_t = \theta_{t-1} - \eta\,\begin{cases} g + \mu\, b_t & \text{Nesterov} \\ b_t & \text{otherwise} \end{cases}$$
#
# (without momentum, $\theta_t = \theta_{t-1} - \eta\, g$; with `maximize`, $g_t$ is negated
# first). Everything happens in place, in the arrays the optimizer hands you.

# %%
layer = nn.Linear(2, 1, bias=False)
layer.W[...] = 1.0
optimizer = optim.SGD(layer, lr=0.1, momentum=0.9)
for step in range(3):
    optimizer.zero_grad()
    layer(np.ones((1, 2), dtype=np.float32))
    layer.backward(np.ones((1, 1), dtype=np.float32))     # dW = 1 at every step
    optimizer.step()
    print(f"step {step + 1}: W = {layer.W.ravel()}")      # 0.9, 0.71, 0.439

# %% [markdown]
# ## 3. Adam and AdamW
#
# Two running averages, of the gradient and of its square, with bias correction ($t$ counts
# this step):
#
# $$m_t = \beta_1 m_{t-1} + (1 - \beta_1)\, g, \qquad v_t = \beta_2 v_{t-1} + (1 - \beta_2)\, g^2$$
#
# $$\hat m_t = \frac{m_t}{1 - \beta_1^t}, \qquad \hat v_t = \frac{v_t}{1 - \beta_2^t}, \qquad
#   \theta_t = \theta_{t-1} - \eta\,\frac{\hat m_t}{\sqrt{\hat v_t} + \varepsilon}$$
#
# Adam's weight decay is added to the gradient, $g \leftarrow g + \lambda\theta$; AdamW's is
# *decoupled*: $\theta \leftarrow \theta\,(1 - \eta\lambda)$ before the step. With amsgrad, the
# denominator uses $\max(v_{\max}, v_t)$, the largest $v$ so far.

# %%
layer = nn.Linear(2, 1, bias=False)
layer.W[...] = 1.0
optimizer = optim.AdamW(layer, lr=0.1, weight_decay=0.1)
for step in range(3):
    optimizer.zero_grad()
    layer(np.ones((1, 2), dtype=np.float32))
    layer.backward(np.full((1, 1), 0.5, dtype=np.float32))
    optimizer.step()
    print(f"step {step + 1}: W = {layer.W.ravel()}")      # W(1 - ηλ) - η: here m̂/√v̂ = 1

# %% [markdown]
# ## 4. Check your work

# %%
print(format_table(ASSIGNMENT, check_tasks(ASSIGNMENT)))

# %% [markdown]
# ## 5. SGD, momentum and AdamW on one problem
#
# The same small network (same initial weights) learns to separate three spirals with four
# optimizers, 300 full-batch steps each. The loop is the one of the specification: zero the
# gradients, forward, loss, backward, step.

# %%
from minitorch.datasets import make_spiral

x_spiral, y_spiral = make_spiral(300, n_classes=3, seed=0)
choices = {
    "SGD lr=0.1": lambda net: optim.SGD(net, lr=0.1),
    "SGD lr=0.1, momentum 0.9": lambda net: optim.SGD(net, lr=0.1, momentum=0.9),
    "SGD Nesterov": lambda net: optim.SGD(net, lr=0.1, momentum=0.9, nesterov=True),
    "AdamW lr=0.01": lambda net: optim.AdamW(net, lr=0.01),
}
curves = {}
for name, make in choices.items():
    minitorch.manual_seed(0)
    net = nn.Sequential(nn.Linear(2, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(),
                        nn.Linear(64, 3))
    net.needs_input_grad = False
    criterion = nn.CrossEntropyLoss()
    opt = make(net)
    curves[name] = []
    for step in range(300):
        opt.zero_grad()
        curves[name].append(float(criterion(net(x_spiral), y_spiral)))
        net.backward(criterion.backward())
        opt.step()
    accuracy = np.mean(net(x_spiral).argmax(axis=1) == y_spiral)
    print(f"{name:<26} loss {curves[name][-1]:.3f}  accuracy {accuracy:.0%}")

fig, ax = plt.subplots(figsize=(7, 4))
for name, curve in curves.items():
    ax.plot(curve, label=name)
ax.set(xlabel="step", ylabel="cross-entropy", yscale="log",
       title="one network, four optimizers (spirals, full batch)")
ax.legend()
fig.tight_layout()

# %% [markdown]
# **Questions.** Why does momentum help most where the loss curve of plain SGD is flat? Why
# does Adam's first step move every weight by about $\eta$, whatever the gradient's size?
