"""The recurrent layers against PyTorch (``bench_rnn.py``): a 2-layer LSTM of 256 on a batch of
32 sequences of 64 characters, as the character model of issue 17 runs it. Reports; never fails.

Two subjects:

* ``lstm``: the layer alone, ``nn.LSTM(64, 256, 2, batch_first=True)`` forward and backward on
  (32, 64, 64) float32 (an Embedding(65, 64)'s output), the input gradient included (the
  embedding below needs it);
* ``char``: the whole training step of the character model, Embedding(65, 64) -> LSTM(64, 256,
  2) -> Linear(256, 65), cross-entropy over every position, gradient clipping at 1.0 and
  AdamW(2e-3, betas 0.9/0.99, weight decay 0.01).

Each framework runs in a worker process of its own and the two take turns, a round of
``--steps`` steps each (``quick_steps``' one take-turns mechanism: neither's idle thread pool
spins on the cores the other computes on, and a disturbance on a shared machine hits both
alike).
"""

from __future__ import annotations

import statistics

import networks as N
import numpy as np
import quick_steps

import minitorch
from minitorch import nn, optim

torch = N.torch
VOCAB, EMBED, HIDDEN, LAYERS = 65, 64, 256, 2
NO_ONEDNN = "PyTorch, no oneDNN"


class CharModel(nn.Module):
    """Embedding -> LSTM -> Linear, the character model's network, for the benchmark."""

    def __init__(self) -> None:
        super().__init__()
        self.embedding = nn.Embedding(VOCAB, EMBED)
        self.lstm = nn.LSTM(EMBED, HIDDEN, LAYERS, batch_first=True)
        self.head = nn.Linear(HIDDEN, VOCAB)

    def forward(self, idx: np.ndarray) -> np.ndarray:
        output, _ = self.lstm(self.embedding(idx))
        return self.head(output)

    def backward(self, grad_output: np.ndarray) -> None:
        G, _ = self._begin_backward(grad_output)
        self.embedding.backward(self.lstm.backward(self.head.backward(G)))


def torch_copy(model: CharModel):
    """The same network in torch, with the same weights."""
    lstm = torch.nn.LSTM(EMBED, HIDDEN, LAYERS, batch_first=True)
    state = model.lstm.pytorch_state_dict()
    lstm.load_state_dict({k: torch.from_numpy(v) for k, v in state.items()})
    embedding = torch.nn.Embedding(VOCAB, EMBED)
    head = torch.nn.Linear(HIDDEN, VOCAB)
    with torch.no_grad():
        embedding.weight.copy_(torch.from_numpy(model.embedding.W))
        head.weight.copy_(torch.from_numpy(model.head.W.T.copy()))
        head.bias.copy_(torch.from_numpy(model.head.b[0]))

    class TorchCharModel(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.embedding, self.lstm, self.head = embedding, lstm, head

        def forward(self, idx):
            output, _ = self.lstm(self.embedding(idx))
            return self.head(output)

    return TorchCharModel()


def batches(args, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``args.steps`` batches of Tiny Shakespeare windows (N, T) and their next characters:
    text that a model learns from (random tokens would let it collapse, and a collapsed model's
    optimizer state fills with subnormal floats, slow to compute with)."""
    from minitorch.datasets import TinyShakespeare

    text = np.asarray(TinyShakespeare().data)
    rng = np.random.default_rng(seed)
    starts = rng.integers(0, len(text) - args.length - 1, (args.steps, args.batch_size))
    tokens = text[starts[..., None] + np.arange(args.length + 1)].astype(np.int64)
    return tokens[:, :, :-1], tokens[:, :, 1:]


def _minitorch_runner(subject: str, args):
    minitorch.manual_seed(0)
    model = CharModel()
    idx, targets = batches(args)
    if subject == "lstm":
        lstm = model.lstm
        xs = [model.embedding(i) for i in idx]
        G = np.random.default_rng(1).standard_normal((*xs[0].shape[:2], HIDDEN))
        G = G.astype(np.float32)

        def run(steps: int) -> None:
            for step in range(steps):
                lstm.zero_grad()
                lstm(xs[step])
                lstm.backward(G)

        return run
    loss_fn = nn.CrossEntropyLoss()
    optimizer = optim.AdamW(model, lr=2e-3, betas=(0.9, 0.99), weight_decay=0.01)

    def run(steps: int) -> None:
        for step in range(steps):
            optimizer.zero_grad()
            logits = model(idx[step])
            loss_fn(logits.reshape(-1, VOCAB), targets[step].reshape(-1))
            model.backward(loss_fn.backward().reshape(logits.shape))
            nn.utils.clip_grad_norm_(model, 1.0)
            optimizer.step()

    return run


def _torch_runner(subject: str, args):
    minitorch.manual_seed(0)
    model = torch_copy(CharModel())
    idx, targets = batches(args)
    idx_t = [torch.from_numpy(i) for i in idx]
    if subject == "lstm":
        lstm = model.lstm
        with torch.no_grad():
            xs = [model.embedding(i) for i in idx_t]
        xs = [x.requires_grad_(True) for x in xs]
        G = np.random.default_rng(1).standard_normal((*xs[0].shape[:2], HIDDEN))
        G = torch.from_numpy(G.astype(np.float32))

        def run(steps: int) -> None:
            for step in range(steps):
                lstm.zero_grad(set_to_none=True)
                xs[step].grad = None
                output, _ = lstm(xs[step])
                output.backward(G)

        return run
    targets_t = [torch.from_numpy(t) for t in targets]
    optimizer = torch.optim.AdamW(
        model.parameters(), lr=2e-3, betas=(0.9, 0.99), weight_decay=0.01
    )

    def run(steps: int) -> None:
        for step in range(steps):
            optimizer.zero_grad(set_to_none=True)
            logits = model(idx_t[step])
            loss = torch.nn.functional.cross_entropy(
                logits.reshape(-1, VOCAB), targets_t[step].reshape(-1)
            )
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()

    return run


def worker(framework: str, subject: str, args, connection) -> None:
    """Build one framework's copy; run a round of steps whenever asked."""
    if framework.startswith("PyTorch"):
        torch.set_num_threads(args.threads)
        # PyTorch's CPU LSTM is oneDNN's fused kernel (aten::mkldnn_rnn_layer): the gates'
        # element-wise work runs inside the matrix products. Without oneDNN it runs the same
        # algorithm as minitorch (one product a step, the gates apart).
        torch.backends.mkldnn.enabled = framework == "PyTorch"
        run = _torch_runner(subject, args)
    else:
        run = _minitorch_runner(subject, args)
    quick_steps.serve_rounds(run, args.steps, connection)
    connection.send("done")


def compare(subject: str, args) -> None:
    frameworks = ["minitorch"] + (["PyTorch", NO_ONEDNN] if torch is not None else [])
    workers = quick_steps.start_workers(worker, frameworks, (subject, args))
    times = quick_steps.take_turns(workers, args.rounds, args.pause)
    quick_steps.stop_workers(workers)
    _report(subject, args, times)


def _report(subject: str, args, times: dict) -> None:
    what = {
        "lstm": f"nn.LSTM({EMBED}, {HIDDEN}, {LAYERS}) forward + backward",
        "char": f"char model step (Embedding({VOCAB}, {EMBED}) -> LSTM -> Linear, AdamW, clip)",
    }[subject]
    print(f"\n{what}, batch {args.batch_size} x {args.length}, float32")
    print(f"{'':<20}{'ms/step':>10}{'min':>8}{'max':>8}")
    for framework, t in times.items():
        print(f"{framework:<20}{statistics.median(t):>10.2f}{min(t):>8.2f}{max(t):>8.2f}")
    for framework in ("PyTorch", NO_ONEDNN):
        if framework in times:
            ratio = statistics.median(times[framework]) / statistics.median(times["minitorch"])
            print(f"speed ratio {framework} time / minitorch time: {ratio:.2f} (1.0 = as fast)")


def run_rnn(args) -> None:
    for subject in args.subjects:
        compare(subject, args)
