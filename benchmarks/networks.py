"""The networks the benchmarks time, each in minitorch and as a PyTorch copy that starts from
minitorch's initial weights: the CNNs, nanoGPT's Shakespeare GPT with its training step, and the
model whose parameters the optimizer benchmarks step. The suite (``workloads.py``) and the
scripts (``bench_*.py``, through ``quick_steps.py`` and ``quick_parts.py``) build them from here.
"""

from __future__ import annotations

import os
import sys
import time

import numpy as np

import minitorch
from minitorch import nn, optim
from minitorch.models import GPT
from minitorch.optim import weight_decay_groups

if os.environ.get("BENCH_WITHOUT_TORCH"):  # a minitorch worker measuring its whole memory:
    sys.modules["torch"] = None  # every `import torch` of this process fails (the modules
    # importing networks then run without torch, as they do where it is not installed)
try:  # without torch, the benchmarks time minitorch (and NumPy) alone
    import torch

    _TorchModule = torch.nn.Module
except ImportError:  # pragma: no cover - depends on the environment
    torch = None
    _TorchModule = object


# ---------------------------------------------------------------------- the CNNs
CNN_MODELS = {
    # name: (c1, c2, batch norm, hidden, optimizer)
    "example": (16, 32, True, 128, "adam"),
    "lenet5": (6, 16, False, 120, "sgd"),
}


def minitorch_mnistnet() -> nn.Sequential:
    """pytorch/examples' MNIST network (``mnist/main.py``'s ``Net``), trained there with
    log_softmax + NLL and Adadelta(lr=1.0)."""
    return nn.Sequential(
        nn.Conv2d(1, 32, 3),
        nn.ReLU(),
        nn.Conv2d(32, 64, 3),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Dropout(0.25),
        nn.Flatten(),
        nn.Linear(9216, 128),
        nn.ReLU(),
        nn.Dropout(0.5),
        nn.Linear(128, 10),
        nn.LogSoftmax(dim=1),
    )


def minitorch_cnn(c1: int, c2: int, batchnorm: bool, hidden: int) -> nn.Sequential:
    def block(c_in, c_out, padding):
        norm = [nn.BatchNorm2d(c_out)] if batchnorm else []
        conv = nn.Conv2d(c_in, c_out, 5, padding=padding, bias=not batchnorm)
        return [conv, *norm, nn.ReLU(), nn.MaxPool2d(2)]

    return nn.Sequential(
        *block(1, c1, 2),
        *block(c1, c2, 0),
        nn.Flatten(),
        nn.Linear(25 * c2, hidden),
        nn.ReLU(),
        nn.Linear(hidden, 10),
    )


def torch_conv(layer: nn.Conv2d | nn.ConvTranspose2d):
    """A torch Conv2d or ConvTranspose2d with ``layer``'s sizes, stride, padding and weights
    (both frameworks keep W in the same layout: (C_out, C_in, kH, kW) for a convolution,
    (C_in, C_out, kH, kW) for a transposed one)."""
    if isinstance(layer, nn.ConvTranspose2d):
        make, (in_c, out_c) = torch.nn.ConvTranspose2d, layer.W.shape[:2]
    else:
        make, (out_c, in_c) = torch.nn.Conv2d, layer.W.shape[:2]
    copy = make(
        in_c,
        out_c,
        layer.W.shape[2:],
        stride=layer.stride,
        padding=layer.padding,
        bias=layer.b is not None,
    )
    with torch.no_grad():
        copy.weight.copy_(torch.from_numpy(layer.W))
        if layer.b is not None:
            copy.bias.copy_(torch.from_numpy(layer.b.ravel()))
    return copy


def torch_cnn(model: nn.Sequential):
    """The same network in PyTorch, with minitorch's initial weights."""
    layers = []
    for layer in model:
        if isinstance(layer, nn.Conv2d):
            copy = torch_conv(layer)
        elif isinstance(layer, nn.Linear):
            copy = torch.nn.Linear(layer.input_dim, layer.output_dim)
            with torch.no_grad():
                copy.weight.copy_(torch.from_numpy(layer.W.T.copy()))
                copy.bias.copy_(torch.from_numpy(layer.b.ravel()))
        elif isinstance(layer, nn.BatchNorm2d):
            copy = torch.nn.BatchNorm2d(layer.num_features)
        elif isinstance(layer, nn.MaxPool2d):
            copy = torch.nn.MaxPool2d(layer.kernel_size, layer.stride)
        elif isinstance(layer, nn.ReLU):
            copy = torch.nn.ReLU()
        elif isinstance(layer, nn.Flatten):
            copy = torch.nn.Flatten()
        elif isinstance(layer, nn.Dropout):
            copy = torch.nn.Dropout(layer.p)
        elif isinstance(layer, nn.LogSoftmax):
            copy = torch.nn.LogSoftmax(dim=layer.dim)
        else:  # pragma: no cover
            raise TypeError(type(layer).__name__)
        layers.append(copy)
    return torch.nn.Sequential(*layers)


# ---------------------------------------------------------------------- the GPT
GPT_CONFIG = {"vocab_size": 65, "block_size": 64, "n_layer": 4, "n_head": 4, "n_embd": 128}
GPT_BATCH = 12
GPT_LR, GPT_BETAS, GPT_WEIGHT_DECAY, GPT_CLIP = 1e-3, (0.9, 0.99), 0.1, 1.0


class TorchBlock(_TorchModule):
    """nanoGPT's Block: causal self-attention and an MLP, pre-norm."""

    def __init__(self, E: int, n_head: int):
        super().__init__()
        self.n_head = n_head
        self.ln_1 = torch.nn.LayerNorm(E)
        self.c_attn = torch.nn.Linear(E, 3 * E)
        self.attn_proj = torch.nn.Linear(E, E)
        self.ln_2 = torch.nn.LayerNorm(E)
        self.c_fc = torch.nn.Linear(E, 4 * E)
        self.mlp_proj = torch.nn.Linear(4 * E, E)

    def forward(self, x):
        N, T, E = x.shape
        q, k, v = self.c_attn(self.ln_1(x)).split(E, dim=2)
        q, k, v = (t.view(N, T, self.n_head, E // self.n_head).transpose(1, 2) for t in (q, k, v))
        y = torch.nn.functional.scaled_dot_product_attention(q, k, v, is_causal=True)
        x = x + self.attn_proj(y.transpose(1, 2).contiguous().view(N, T, E))
        return x + self.mlp_proj(torch.nn.functional.gelu(self.c_fc(self.ln_2(x))))


class TorchGPT(_TorchModule):
    def __init__(self, ours: GPT):
        super().__init__()
        E, V = ours.n_embd, ours.vocab_size
        self.wte = torch.nn.Embedding(V, E)
        self.wpe = torch.nn.Embedding(ours.block_size, E)
        self.h = torch.nn.ModuleList(TorchBlock(E, ours.n_head) for _ in ours.blocks)
        self.ln_f = torch.nn.LayerNorm(E)
        self.lm_head = torch.nn.Linear(E, V, bias=False)
        self.lm_head.weight = self.wte.weight
        with torch.no_grad():  # our weights, so both start from the same point
            self.wte.weight.copy_(torch.from_numpy(ours.wte.W))
            self.wpe.weight.copy_(torch.from_numpy(ours.wpe.W))
            for theirs, block in zip(self.h, ours.blocks, strict=True):
                for norm, ln in ((theirs.ln_1, block.ln1), (theirs.ln_2, block.ln2)):
                    norm.weight.copy_(torch.from_numpy(ln.gamma))
                    norm.bias.copy_(torch.from_numpy(ln.beta))
                pairs = (
                    (theirs.c_attn, block.attn.in_proj),
                    (theirs.attn_proj, block.attn.out_proj),
                    (theirs.c_fc, block.mlp[0]),
                    (theirs.mlp_proj, block.mlp[2]),
                )
                for linear, layer in pairs:
                    linear.weight.copy_(torch.from_numpy(layer.W.T))
                    linear.bias.copy_(torch.from_numpy(layer.b[0]))

    def forward(self, idx):
        x = self.wte(idx) + self.wpe(torch.arange(idx.shape[1]))
        for block in self.h:
            x = block(x)
        return self.lm_head(self.ln_f(x))


def minitorch_gpt_step(model: GPT):
    loss_fn = nn.CrossEntropyLoss()
    decay, no_decay = weight_decay_groups(model)
    optimizers = [
        optim.AdamW(decay, lr=GPT_LR, betas=GPT_BETAS, weight_decay=GPT_WEIGHT_DECAY),
        optim.AdamW(no_decay, lr=GPT_LR, betas=GPT_BETAS, weight_decay=0.0),
    ]
    V = model.vocab_size

    def step(x, y, phases=None):
        marks = [time.perf_counter()]
        logits = model(x)
        marks.append(time.perf_counter())
        loss = loss_fn(logits.reshape(-1, V), y.reshape(-1))
        grad = loss_fn.backward().reshape(logits.shape)
        marks.append(time.perf_counter())
        for optimizer in optimizers:
            optimizer.zero_grad()
        model.backward(grad)
        marks.append(time.perf_counter())
        nn.utils.clip_grad_norm_(model, GPT_CLIP)
        marks.append(time.perf_counter())
        for optimizer in optimizers:
            optimizer.step()
        marks.append(time.perf_counter())
        if phases is not None:
            for name, start, end in zip(GPT_PHASES, marks, marks[1:], strict=False):
                phases.setdefault(name, []).append(end - start)
        return float(loss)

    step.optimizers = optimizers  # the suite reads their state (subnormal share)
    return step


GPT_PHASES = ("forward", "loss", "backward", "clip", "AdamW")


def torch_gpt_step(model: TorchGPT):
    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    optimizer = torch.optim.AdamW(
        [{"params": decay, "weight_decay": GPT_WEIGHT_DECAY}, {"params": no_decay}],
        lr=GPT_LR,
        betas=GPT_BETAS,
        weight_decay=0.0,
    )

    def step(x, y):
        logits = model(x)
        loss = torch.nn.functional.cross_entropy(logits.view(-1, logits.shape[-1]), y.view(-1))
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), GPT_CLIP)
        optimizer.step()
        return loss.item()

    step.optimizer = optimizer
    return step


# ---------------------------------------------------------------------- the optimizers' model
OPTIM_SIZES = [(784, 1024), (1024, 256)]
OPTIM_TINY_SIZES = [(64, 32), (32, 10)]


def optim_model(sizes: list[tuple[int, int]] = OPTIM_SIZES) -> nn.Sequential:
    minitorch.manual_seed(0)
    model = nn.Sequential(*(nn.Linear(i, o) for i, o in sizes))
    rng = np.random.default_rng(0)
    for layer in model:
        layer.dW = rng.standard_normal(layer.W.shape).astype(np.float32)
        layer.db = rng.standard_normal(layer.b.shape).astype(np.float32)
    return model


def optim_torch_params(sizes: list[tuple[int, int]] = OPTIM_SIZES) -> list:
    generator = torch.Generator().manual_seed(0)
    params = []
    for i, o in sizes:
        for shape in ((o, i), (o,)):
            p = torch.randn(shape, generator=generator, dtype=torch.float32).requires_grad_()
            p.grad = torch.randn(shape, generator=generator, dtype=torch.float32)
            params.append(p)
    return params
