# The source of notebooks/05-data.ipynb (python scripts/make_notebooks.py writes it).

# %% [markdown]
# # Assignment 05 · Dataset and DataLoader
#
# Real training does not use the whole data set at every step: it walks through it in
# mini-batches, in a new random order every epoch. A `Dataset` answers two questions, "how
# many samples?" and "what is sample $i$?"; a `DataLoader` turns it into batches: it draws an
# order of indices at the start of each epoch, cuts it into pieces of `batch_size`, and stacks
# each piece's samples into arrays.
#
# **What you write**, in `src/minitorch/utils/data/`:
#
# | task | what it does |
# |------|--------------|
# | `TensorDataset.__getitem__` | sample $i$: the $i$-th row of every tensor, as a tuple |
# | `DataLoader.__len__` | batches per epoch: $\lceil N / B \rceil$, or $\lfloor N / B \rfloor$ with `drop_last` |
# | `DataLoader.__iter__` | start an epoch: draw its order (a permutation when shuffling), yield its batches |
# | `DataLoader._batches` | cut the order into batches of $B$ indices and fetch each one |
# | `random_split` | split a data set into non-overlapping random subsets of given sizes or fractions |
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
from minitorch.datasets import Digits
from minitorch.utils.data import DataLoader, TensorDataset, random_split

ASSIGNMENT = setup_notebook("05-data")

# %% [markdown]
# ## 1. A sample
#
# `TensorDataset(X, y)` holds arrays whose first dimension is the sample: sample $i$ is
# $(X_i, y_i)$. The bundled digits (`Digits`, 8×8 images) are one.

# %%
digits = Digits(train=True)
image, label = digits[0]
print(len(digits), "samples; the first:", image.shape, "label", label)
pairs = TensorDataset(np.arange(10.0)[:, None], np.arange(10) % 2)
print(pairs[3], pairs[-1])

# %% [markdown]
# ## 2. Batches
#
# With $N$ samples and batch size $B$ an epoch has $\lceil N/B \rceil$ batches, the last one
# smaller when $B$ does not divide $N$ (`drop_last=True` drops it: $\lfloor N/B \rfloor$). With
# `shuffle=True` the order is a fresh permutation of $0..N-1$ each epoch, drawn from the
# loader's generator (minitorch's global one by default, so `minitorch.manual_seed` fixes it);
# without, it is $0, 1, \dots, N-1$. A batch stacks its samples: $B$ images of shape
# $(1, 8, 8)$ become one array $(B, 1, 8, 8)$.

# %%
minitorch.manual_seed(0)
loader = DataLoader(pairs, batch_size=4, shuffle=False)
print(len(loader), "batches:", [batch[1].tolist() for batch in loader])
print(len(DataLoader(pairs, batch_size=4, drop_last=True)), "batches with drop_last")
shuffled = DataLoader(pairs, batch_size=4, shuffle=True)
print("two shuffled epochs:", [b[0].ravel().tolist() for b in shuffled],
      [b[0].ravel().tolist() for b in shuffled])

# %% [markdown]
# ## 3. `random_split`
#
# Lengths are counts summing to $N$, or fractions summing to 1: each split gets
# $\lfloor N f \rfloor$ samples, and the samples left over go one per split, round-robin from
# the first. The subsets come from one random permutation, so they never overlap.

# %%
train_part, valid_part = random_split(digits, [0.8, 0.2])
print(len(train_part), len(valid_part), "samples; overlap:",
      len(set(train_part.indices) & set(valid_part.indices)))

# %% [markdown]
# ## 4. Check your work

# %%
print(format_table(ASSIGNMENT, check_tasks(ASSIGNMENT)))

# %% [markdown]
# ## 5. A batch, and training on batches
#
# One shuffled batch of digits, then a linear classifier (softmax regression) trained on
# mini-batches of 32 for three epochs: one optimizer step per batch, the loss of every batch
# plotted. (Assignment 06 writes this loop once, for good.)

# %%
minitorch.manual_seed(0)
batches = DataLoader(train_part, batch_size=32, shuffle=True)
images, labels = next(iter(batches))
viz.show_images(images, labels, ncols=8, title="one shuffled batch of 32 digits")

# %%
model = nn.Sequential(nn.Flatten(), nn.Linear(64, 10))
model.needs_input_grad = False
criterion = nn.CrossEntropyLoss()
opt = optim.SGD(model, lr=0.1, momentum=0.9)
per_batch = []
for epoch in range(3):
    for xb, yb in batches:
        opt.zero_grad()
        per_batch.append(float(criterion(model(xb), yb)))
        model.backward(criterion.backward())
        opt.step()
valid_x, valid_y = next(iter(DataLoader(valid_part, batch_size=len(valid_part))))
print(f"{len(batches)} batches per epoch; validation accuracy "
      f"{np.mean(model(valid_x).argmax(axis=1) == valid_y):.1%}")

fig, ax = plt.subplots(figsize=(7, 3.5))
ax.plot(per_batch, lw=0.8)
for epoch in range(1, 3):
    ax.axvline(epoch * len(batches), c="0.7", ls="--")
ax.set(xlabel="batch", ylabel="cross-entropy of the batch", yscale="log",
       title="mini-batch training: one point per batch, dashed lines between epochs")
fig.tight_layout()

# %% [markdown]
# **Questions.** Why is each batch's loss noisy even when the model improves steadily? What
# goes wrong if the order is drawn once, not at the start of every epoch?
