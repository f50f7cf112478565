"""Training-step time of minitorch's GPT against a PyTorch copy of it (reports, never fails).

    python benchmarks/bench_gpt.py [--steps 40] [--warmup 5] [--threads 2] [--profile]

The model is nanoGPT's CPU recipe for Shakespeare characters: n_layer=4, n_head=4,
n_embd=128, block_size=64, vocabulary 65, embedding and head tied, dropout 0, batch 12, in
float32. One step is what the trainer does: forward, cross-entropy, backward, gradient
clipping at 1.0 and AdamW (weight decay 0.1 on matrices only, betas (0.9, 0.99)). The PyTorch
copy starts from the same weights and sees the same batches. Both run on 2 threads, the
machine's two cores (``--threads``: PyTorch's threads and NumPy's BLAS threads). The steps of
the two alternate (this machine is shared, so its speed drifts; alternating exposes both to
the same drift) and the medians after the warm-up are reported. ``--profile`` adds the time
of each phase of minitorch's step and the functions where it spends most. Needs
torch==2.13.0.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import statistics
import sys
import time

# NumPy's BLAS reads its thread count when it is loaded: set it before importing numpy.
THREADS = int(sys.argv[sys.argv.index("--threads") + 1]) if "--threads" in sys.argv else 2
os.environ.setdefault("OPENBLAS_NUM_THREADS", str(THREADS))

import numpy as np  # noqa: E402

import minitorch  # noqa: E402
from minitorch import nn, optim  # noqa: E402
from minitorch.models import GPT  # noqa: E402
from minitorch.optim import weight_decay_groups  # noqa: E402

try:  # benchmarks/run.py imports this file and times minitorch alone without torch
    import torch

    torch.set_num_threads(THREADS)
    _TorchModule = torch.nn.Module
except ImportError:  # pragma: no cover - depends on the environment
    torch = None
    _TorchModule = object

CONFIG = {"vocab_size": 65, "block_size": 64, "n_layer": 4, "n_head": 4, "n_embd": 128}
BATCH = 12
LR, BETAS, WEIGHT_DECAY, CLIP = 1e-3, (0.9, 0.99), 0.1, 1.0


# ---------------------------------------------------------------------- the PyTorch copy
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


# ---------------------------------------------------------------------- one training step
def minitorch_step(model: GPT):
    loss_fn = nn.CrossEntropyLoss()
    decay, no_decay = weight_decay_groups(model)
    optimizers = [
        optim.AdamW(decay, lr=LR, betas=BETAS, weight_decay=WEIGHT_DECAY),
        optim.AdamW(no_decay, lr=LR, betas=BETAS, weight_decay=0.0),
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
        nn.utils.clip_grad_norm_(model, CLIP)
        marks.append(time.perf_counter())
        for optimizer in optimizers:
            optimizer.step()
        marks.append(time.perf_counter())
        if phases is not None:
            for name, start, end in zip(PHASES, marks, marks[1:], strict=False):
                phases.setdefault(name, []).append(end - start)
        return float(loss)

    step.optimizers = optimizers  # for benchmarks/run.py, which reads their state
    return step


PHASES = ("forward", "loss", "backward", "clip", "AdamW")


def torch_step(model: TorchGPT):
    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    optimizer = torch.optim.AdamW(
        [{"params": decay, "weight_decay": WEIGHT_DECAY}, {"params": no_decay}],
        lr=LR,
        betas=BETAS,
        weight_decay=0.0,
    )

    def step(x, y):
        logits = model(x)
        loss = torch.nn.functional.cross_entropy(logits.view(-1, logits.shape[-1]), y.view(-1))
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), CLIP)
        optimizer.step()
        return loss.item()

    step.optimizer = optimizer
    return step


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=40, help="timed steps of each")
    parser.add_argument("--warmup", type=int, default=5, help="untimed first steps of each")
    parser.add_argument("--threads", type=int, default=2, help="threads of both (default 2)")
    parser.add_argument("--profile", action="store_true", help="phases and hot functions")
    args = parser.parse_args()
    if torch is None:
        raise SystemExit("bench_gpt.py compares with PyTorch: pip install torch==2.13.0")

    minitorch.manual_seed(0)
    ours = GPT(**CONFIG, tie_weights=True)
    theirs = TorchGPT(ours)
    ours_step, theirs_step = minitorch_step(ours), torch_step(theirs)
    rng = np.random.default_rng(0)
    ours_times, theirs_times, phases = [], [], {}
    ours_cpu, theirs_cpu = [], []  # process CPU time: robust to other processes' load
    losses = []
    for i in range(args.warmup + args.steps):
        x = rng.integers(0, CONFIG["vocab_size"], size=(BATCH, CONFIG["block_size"]))
        y = rng.integers(0, CONFIG["vocab_size"], size=(BATCH, CONFIG["block_size"]))
        timed = i >= args.warmup
        start, start_cpu = time.perf_counter(), time.process_time()
        loss = ours_step(x, y, phases if timed else None)
        middle, middle_cpu = time.perf_counter(), time.process_time()
        their_loss = theirs_step(torch.from_numpy(x), torch.from_numpy(y))
        end, end_cpu = time.perf_counter(), time.process_time()
        losses.append((loss, their_loss))
        if timed:
            ours_times.append(middle - start)
            theirs_times.append(end - middle)
            ours_cpu.append(middle_cpu - start_cpu)
            theirs_cpu.append(end_cpu - middle_cpu)

    ours_ms = statistics.median(ours_times) * 1e3
    theirs_ms = statistics.median(theirs_times) * 1e3
    print(
        f"GPT {CONFIG}, batch {BATCH}, float32, tied, AdamW + clipping, "
        f"{torch.get_num_threads()} threads (BLAS: OPENBLAS_NUM_THREADS="
        f"{os.environ['OPENBLAS_NUM_THREADS']})"
    )
    print(f"{'wall time':<12}{'median':>10}{'min':>10}{'CPU time (median)':>22}")
    for name, times, cpu in (
        ("minitorch", ours_times, ours_cpu),
        ("PyTorch", theirs_times, theirs_cpu),
    ):
        print(
            f"{name:<12}{statistics.median(times) * 1e3:>8.1f}ms{min(times) * 1e3:>8.1f}ms"
            f"{statistics.median(cpu) * 1e3:>20.1f}ms"
        )
    print(f"speed of minitorch / PyTorch (medians): {theirs_ms / ours_ms:.2f}x (1 = as fast)")
    print(f"loss after {len(losses)} steps: minitorch {losses[-1][0]:.4f}, "
          f"PyTorch {losses[-1][1]:.4f}")  # fmt: skip

    if args.profile:
        print("\nminitorch's step, median per phase:")
        for name in PHASES:
            print(f"  {name:<10}{statistics.median(phases[name]) * 1e3:>8.2f}ms")
        profiler = cProfile.Profile()
        x = rng.integers(0, CONFIG["vocab_size"], size=(BATCH, CONFIG["block_size"]))
        profiler.enable()
        for _ in range(10):
            ours_step(x, x)
        profiler.disable()
        print("\nwhere 10 steps spend their time:")
        pstats.Stats(profiler).sort_stats("tottime").print_stats(18)


if __name__ == "__main__":
    main()
