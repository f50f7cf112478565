"""The character model's recipe (``minitorch.models.CHAR_RNN_RECIPE``) run by PyTorch and by
minitorch: the anchor of the slow recipe test and of the README's numbers.

    python tests/char_rnn_torch.py --framework torch|minitorch [--iters 2000] [--out r.json]

Embedding(65, 64) -> LSTM(64, 256, 2) -> Linear(256, 65), float32. Both frameworks start from
the same weights (minitorch's CharRNN drawn after ``manual_seed(0)``, moved to torch through
the LSTM's PyTorch mapping), train on the same batches (``TinyShakespeare.get_batch`` from a
generator seeded 1: 32 random windows of 64 characters, each from a zero state) with AdamW,
nanoGPT's warm-up and cosine schedule, and clipping at 1.0, and are measured on the same 200
fixed validation batches every ``eval_interval`` iterations. Only the arithmetic differs.
Prints one line per evaluation and the wall times (training alone, and in all); run each
framework in its own process with ``OPENBLAS_NUM_THREADS=1`` on a shared machine.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np

import minitorch
from minitorch import nn, optim
from minitorch.datasets import TinyShakespeare
from minitorch.models import CHAR_RNN_RECIPE, CharRNN

BATCH_SEED = 1  # the training batches' generator (the validation batches' is eval_batches' 0)


def minitorch_model(vocab_size: int, recipe=CHAR_RNN_RECIPE, seed: int = 0, dtype=None):
    """The recipe's CharRNN, its weights drawn from minitorch's generator seeded ``seed``."""
    minitorch.manual_seed(seed)
    return CharRNN(
        vocab_size, recipe.embedding_dim, recipe.hidden_size, recipe.num_layers, recipe.cell,
        dtype=dtype,
    )  # fmt: skip


def torch_copy(model: CharRNN):
    """A torch module computing what ``model`` computes, with its weights (its dtype)."""
    import torch

    cells = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU, "rnn": torch.nn.RNN}
    dtype = torch.from_numpy(model.head.W).dtype

    class TorchCharRNN(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.embedding = torch.nn.Embedding(model.vocab_size, model.embedding_dim)
            self.rnn = cells[model.cell](
                model.embedding_dim, model.hidden_size, model.num_layers, batch_first=True
            )
            self.head = torch.nn.Linear(model.hidden_size, model.vocab_size)

        def forward(self, idx, state=None):
            output, state = self.rnn(self.embedding(idx), state)
            return self.head(output), state

    copy = TorchCharRNN().to(dtype)
    with torch.no_grad():
        copy.embedding.weight.copy_(torch.from_numpy(model.embedding.W))
        rnn_state = model.rnn.pytorch_state_dict()
        copy.rnn.load_state_dict({k: torch.from_numpy(v) for k, v in rnn_state.items()})
        copy.head.weight.copy_(torch.from_numpy(model.head.W.T.copy()))
        copy.head.bias.copy_(torch.from_numpy(model.head.b[0]))
    return copy


def get_lr(it: int, recipe=CHAR_RNN_RECIPE) -> float:
    """nanoGPT's ``get_lr``: linear warm-up, then a cosine down to ``min_lr``."""
    if it < recipe.warmup_iters:
        return recipe.lr * (it + 1) / (recipe.warmup_iters + 1)
    if it >= recipe.lr_decay_iters:
        return recipe.min_lr
    ratio = (it - recipe.warmup_iters) / (recipe.lr_decay_iters - recipe.warmup_iters)
    return recipe.min_lr + 0.5 * (1.0 + math.cos(math.pi * ratio)) * (recipe.lr - recipe.min_lr)


def train_torch(iters: int, recipe=CHAR_RNN_RECIPE, quiet: bool = False) -> dict:
    """The recipe in PyTorch; returns {"val": [(iteration, loss), ...], "train_seconds", ...}."""
    import torch

    torch.set_num_threads(1)
    train, val = TinyShakespeare(train=True), TinyShakespeare(train=False)
    model = torch_copy(minitorch_model(train.vocab_size, recipe))
    optimizer = torch.optim.AdamW(
        model.parameters(), lr=recipe.lr, betas=recipe.betas, weight_decay=recipe.weight_decay
    )
    windows = [
        (torch.from_numpy(x), torch.from_numpy(y))
        for x, y in val.eval_batches(recipe.eval_batches, recipe.batch_size, recipe.block_size)
    ]

    def evaluate() -> float:
        model.eval()
        with torch.no_grad():
            losses = [
                torch.nn.functional.cross_entropy(
                    model(x)[0].reshape(-1, train.vocab_size), y.reshape(-1)
                ).item()
                for x, y in windows
            ]
        model.train()
        return float(np.mean(losses))

    generator = np.random.default_rng(BATCH_SEED)

    def step(it: int) -> None:
        for group in optimizer.param_groups:
            group["lr"] = get_lr(it, recipe)
        x, y = train.get_batch(recipe.batch_size, recipe.block_size, generator=generator)
        logits, _ = model(torch.from_numpy(x))
        loss = torch.nn.functional.cross_entropy(
            logits.reshape(-1, train.vocab_size), torch.from_numpy(y).reshape(-1)
        )
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), recipe.grad_clip)
        optimizer.step()

    return _loop("torch", iters, recipe, step, evaluate, quiet)


def train_minitorch(iters: int, recipe=CHAR_RNN_RECIPE, quiet: bool = False) -> dict:
    """The recipe in minitorch, the same batches and initial weights as :func:`train_torch`."""
    train, val = TinyShakespeare(train=True), TinyShakespeare(train=False)
    model = minitorch_model(train.vocab_size, recipe)
    optimizer = optim.AdamW(
        model, lr=recipe.lr, betas=recipe.betas, weight_decay=recipe.weight_decay
    )
    scheduler = optim.lr_scheduler.WarmupCosineLR(
        optimizer, recipe.warmup_iters, recipe.lr_decay_iters, recipe.min_lr
    )
    loss_fn = nn.CrossEntropyLoss()
    windows = val.eval_batches(recipe.eval_batches, recipe.batch_size, recipe.block_size)
    V = train.vocab_size

    def evaluate() -> float:
        model.eval()
        with minitorch.no_grad():
            losses = [float(loss_fn(model(x).reshape(-1, V), y.reshape(-1))) for x, y in windows]
        model.train()
        return float(np.mean(losses))

    generator = np.random.default_rng(BATCH_SEED)

    def step(it: int) -> None:
        x, y = train.get_batch(recipe.batch_size, recipe.block_size, generator=generator)
        optimizer.zero_grad()
        logits = model(x)
        loss_fn(logits.reshape(-1, V), y.reshape(-1))
        model.backward(loss_fn.backward().reshape(logits.shape))
        nn.utils.clip_grad_norm_(model, recipe.grad_clip)
        optimizer.step()
        scheduler.step()

    return _loop("minitorch", iters, recipe, step, evaluate, quiet)


def _loop(framework, iters, recipe, step, evaluate, quiet) -> dict:
    """``iters`` steps; an evaluation after every ``eval_interval`` of them and at the end."""
    val, train_seconds, start = [], 0.0, time.perf_counter()
    for it in range(iters):
        begin = time.perf_counter()
        step(it)
        train_seconds += time.perf_counter() - begin
        done = it + 1
        if done % recipe.eval_interval == 0 or done == iters:
            val.append((done, evaluate()))
            if not quiet:
                print(
                    f"{framework}: iteration {done}: val loss {val[-1][1]:.4f}, "
                    f"{train_seconds:.0f} s training ({train_seconds / done * 1e3:.0f} ms/step)",
                    flush=True,
                )
    total = time.perf_counter() - start
    return {"framework": framework, "val": val, "train_seconds": train_seconds, "seconds": total}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--framework", choices=("torch", "minitorch"), required=True)
    parser.add_argument("--iters", type=int, default=CHAR_RNN_RECIPE.max_iters)
    parser.add_argument("--out", help="write the results to this JSON file")
    args = parser.parse_args(argv)
    run = train_torch if args.framework == "torch" else train_minitorch
    result = run(args.iters)
    print(json.dumps(result))
    if args.out:
        with open(args.out, "w") as file:
            json.dump(result, file)


if __name__ == "__main__":
    sys.exit(main())
