# The source of notebooks/10-gpt.ipynb (python scripts/make_notebooks.py writes it).

# %% [markdown]
# # Assignment 10 · A GPT on Tiny Shakespeare
#
# A GPT is what the last weeks built, stacked: token and position embeddings, a few
# transformer blocks (LayerNorm, causal attention, an MLP, residual connections), a final
# LayerNorm and a linear head that scores every possible next character. Trained to predict
# the next character of Shakespeare at every position at once, it learns to write something
# that looks like it. This week you write the model's forward and backward passes (through
# modules you already have), the evaluation loss and the sampling of the next token.
#
# **What you write**:
#
# | task | file | what it does |
# |------|------|--------------|
# | `GPT.forward` | `models/gpt.py` | token ids $(N, T)$ to logits $(N, T, V)$ |
# | `GPT.backward` | `models/gpt.py` | back through head, `ln_f`, the blocks and both embeddings |
# | `lm_loss` | `training.py` | the mean next-token cross-entropy over fixed batches, in evaluation mode |
# | `sample_next_token` | `models/gpt.py` | one token per row drawn from $\operatorname{softmax}$ of the logits, optionally top-$k$ |
#
# When a cell below stops with `NotImplementedError`, that task is next.

# %%
%matplotlib inline
import matplotlib.pyplot as plt
import numpy as np

import minitorch
from minitorch import optim
from minitorch.course.notebook import setup_notebook
from minitorch.course.runner import check_tasks, format_table
from minitorch.datasets import TinyShakespeare
from minitorch.models import GPT
from minitorch.models.gpt import sample_next_token
from minitorch.testing import gradcheck
from minitorch.training import lm_loss, train_lm

ASSIGNMENT = setup_notebook("10-gpt")

# %% [markdown]
# ## 1. The forward pass
#
# With token ids `idx` of shape $(N, T)$ and positions $p = 0, 1, \dots, T-1$:
#
# $$x_0 = \operatorname{drop}(\mathrm{wte}[\mathrm{idx}] + \mathrm{wpe}[p]) \quad (N, T, E), \qquad
#   x_l = \operatorname{block}_l(x_{l-1}),\ l = 1..L, \qquad
#   \text{logits} = \operatorname{head}(\operatorname{ln\_f}(x_L)) \quad (N, T, V)$$
#
# Refuse what cannot run: ids that are not integers of shape $(N, T)$, and $T$ beyond
# `block_size` (positions without an embedding).

# %%
train_text, val_text = TinyShakespeare(train=True), TinyShakespeare(train=False)
V = train_text.vocab_size
minitorch.manual_seed(0)
tiny = GPT(vocab_size=V, block_size=8, n_layer=1, n_head=2, n_embd=16)
x, y = train_text.get_batch(2, 8)
print("ids", x.shape, "->", "logits", tiny(x).shape)

# %% [markdown]
# ## 2. The backward pass
#
# With $G = \partial L/\partial\,\text{logits}$ $(N, T, V)$, each line of the forward backwards,
# last first:
#
# $$g = \operatorname{ln\_f}.\text{backward}(\operatorname{head}.\text{backward}(G)), \quad
#   g = \operatorname{block}_l.\text{backward}(g),\ l = L..1, \quad g = \operatorname{drop}.\text{backward}(g)$$
#
# $$d\,\mathrm{wpe} \mathrel{+}= \sum_n g_n \ \text{(every sample used the same positions)}, \qquad
#   d\,\mathrm{wte}[v] \mathrel{+}= \sum_{(n,t):\ \mathrm{idx}_{nt} = v} g_{nt}$$
#
# Token ids have no gradient: `backward` returns `None`. `gradcheck` checks every parameter
# of a very small GPT against central differences.

# %%
micro = GPT(vocab_size=5, block_size=4, n_layer=1, n_head=1, n_embd=4, dtype=np.float64)
report = gradcheck(micro, np.array([[0, 1, 2, 3], [4, 3, 2, 1]]), raise_exception=False)
print("gradcheck of a micro GPT:", "every gradient matches" if all(r.ok for r in report.rows)
      else report)

# %% [markdown]
# ## 3. The loss on fixed batches
#
# Over $B$ fixed batches of $(x, y)$ windows, with $p_{t}$ the model's softmax at position $t$:
#
# $$\bar L = \frac{1}{\sum_b |y_b|} \sum_b \sum_{n, t} -\log p_{n t}\bigl(y_{n t}\bigr)
#   \quad \text{(nats per character)}$$
#
# in evaluation mode and under `no_grad`, restoring the model's mode. A model that knows
# nothing scores $\log V$.

# %%
windows = val_text.eval_batches(8, 8, 8)                      # 8 batches of 8 windows of 8
print(f"untrained: {lm_loss(tiny, windows):.3f} nats   log V = {np.log(V):.3f}")

# %% [markdown]
# ## 4. Sampling the next token
#
# Draw one token per row from $\operatorname{softmax}(\text{logits})$ with minitorch's
# generator, by inverse CDF: with $u \sim U(0, 1)$ scaled by the total, the first token whose
# cumulative probability exceeds it. With top-$k$, only the $k$ largest logits of a row
# compete (ties with the $k$-th included); the rest become $-\infty$.

# %%
logits = np.log(np.array([[0.5, 0.3, 0.15, 0.05]])).repeat(4000, axis=0)
minitorch.manual_seed(0)
print("frequencies      ", np.bincount(sample_next_token(logits), minlength=4) / 4000)
print("with top_k=2     ", np.bincount(sample_next_token(logits, top_k=2), minlength=4) / 4000)

# %% [markdown]
# ## 5. Check your work

# %%
print(format_table(ASSIGNMENT, check_tasks(ASSIGNMENT)))

# %% [markdown]
# ## 6. Train a tiny GPT
#
# Two blocks of two heads, 48 features, 32 characters of context, 300 iterations of AdamW
# with batches of 16 windows (`train_lm` runs nanoGPT's loop: your forward, the loss, your
# backward, clipping, a step). Character frequencies alone score about 3.3 nats; a few hundred
# iterations get well below that. Then it writes.

# %%
minitorch.manual_seed(0)
model = GPT(vocab_size=V, block_size=32, n_layer=2, n_head=2, n_embd=48)
opt = optim.AdamW(model, lr=3e-3, weight_decay=0.0)
val_batches = val_text.eval_batches(20, 16, 32)
curve, validation = [], [(0, lm_loss(model, val_batches))]


def record(step, progress, loss):
    curve.append(loss)
    if step % 50 == 0:
        validation.append((step, lm_loss(model, val_batches)))


train_lm(model, train_text, [opt], batch_size=16, block_size=32, start=0, stop=300,
         lr_at=lambda step: 3e-3, on_step=record)
print("validation loss:", ", ".join(f"{loss:.3f} at {step}" for step, loss in validation))

fig, ax = plt.subplots(figsize=(7, 3.5))
ax.plot(np.arange(1, len(curve) + 1), curve, lw=0.8, label="training batch")
ax.plot(*zip(*validation), marker="o", label="validation (fixed batches)")
ax.axhline(np.log(V), c="0.6", ls="--", label="log V: uniform guess")
ax.set(xlabel="iteration", ylabel="nats per character", title="a tiny GPT on Tiny Shakespeare")
ax.legend()
fig.tight_layout()

# %%
minitorch.manual_seed(1)
prompt = np.array([train_text.vocab.encode("ROMEO:\n")])
print(train_text.vocab.decode(model.generate(prompt, 200, top_k=10)[0]))

# %% [markdown]
# **Questions.** Why does one forward pass train all $T$ next-character predictions at once?
# Why does the position embedding's gradient sum over the batch but the token embedding's
# gradient add into the rows of the tokens that occurred?
