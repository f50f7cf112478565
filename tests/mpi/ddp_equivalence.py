"""Run under ``mpiexec -n N``: N processes with B/N samples each train to the same weights as
one process with the whole batch B (tests/test_distributed.py runs it and reads its lines).

Every process trains the model data-parallel (shard, forward, backward, all-reduce, step) and,
alongside, a copy of it on the whole global batch without any communication: the one-process
reference. Each case prints one JSON line from rank 0:
``{"case", "dtype", "steps", "diff": max |w_N − w_1|, "spread": max |w_rank − w_rank0|, "tol"}``.
Without mpiexec it runs as a one-process world (the same code path, every collective the
identity).
"""

from __future__ import annotations

import json
import sys

import numpy as np

import minitorch
import minitorch.distributed as dist
from minitorch import nn, optim
from minitorch.models import GPT, build_cnn, build_mlp

STEPS = 20
BATCH = 8  # the global batch; each of N processes gets BATCH / N


def mlp(batch_norm: str = "none", dropout: float = 0.0):
    return build_mlp(6, [16, 16], 4, dropout=dropout)


def cnn(batch_norm: str = "none"):
    model = build_cnn((1, 8, 8), [3, 4], [12], 4, batch_norm=batch_norm != "none")
    return nn.SyncBatchNorm.convert_sync_batchnorm(model) if batch_norm == "sync" else model


def gpt(batch_norm: str = "none"):
    return GPT(vocab_size=11, block_size=6, n_layer=2, n_head=2, n_embd=8, tie_weights=True)


def image_data(rng, dtype):
    return rng.standard_normal((BATCH, 1, 8, 8)).astype(dtype), rng.integers(0, 4, BATCH)


def row_data(rng, dtype):
    return rng.standard_normal((BATCH, 6)).astype(dtype), rng.integers(0, 4, BATCH)


def token_data(rng, dtype):
    tokens = rng.integers(0, 11, (BATCH, 7))
    return tokens[:, :-1], tokens[:, 1:]


def loss_and_backward(model, x, y):
    """Forward and backward of one batch; the mean loss over its samples."""
    if isinstance(model, GPT) or isinstance(getattr(model, "module", None), GPT):
        _, loss = model(x, y)
        model.backward()
        return loss
    criterion = nn.CrossEntropyLoss()
    loss = criterion(model(x), y)
    model.backward(criterion.backward())
    return loss


def make_optimizer(model, kind):
    if kind == "adamw":
        return optim.AdamW(model, lr=1e-3, weight_decay=0.1)  # the GPT recipe's rate
    return optim.SGD(model, lr=0.1, momentum=0.9)


def max_diff(a, b):
    return max(float(np.max(np.abs(p - q))) for p, q in zip(a, b, strict=True))


def run(case, build, data, kind, dtype, tol, batch_norm="none"):
    minitorch.set_default_dtype(dtype)
    minitorch.manual_seed(0)
    model = build(batch_norm)
    reference = build("plain" if batch_norm == "sync" else batch_norm)  # BatchNorm, one process
    reference.load_state_dict(model.state_dict())
    ddp = dist.DistributedDataParallel(model)  # broadcasts rank 0's weights
    opt, opt_ref = make_optimizer(model, kind), make_optimizer(reference, kind)
    rng = np.random.default_rng(1)  # the same global batches on every process
    for _ in range(STEPS):
        x, y = data(rng, dtype)
        xb, yb = dist.shard(x, y)  # shard
        opt.zero_grad()
        loss_and_backward(ddp, xb, yb)  # forward, backward (with the all-reduce)
        opt.step()  # step
        opt_ref.zero_grad()
        loss_and_backward(reference, x, y)  # the whole batch in one process
        opt_ref.step()
    # Parameters, and the running statistics of BatchNorm (each process's own, see CASES)
    params, ref_params = model.parameters(), reference.parameters()
    buffers = [a for _, a in model.named_buffers() if a.dtype == dtype]
    ref_buffers = [a for _, a in reference.named_buffers() if a.dtype == dtype]
    rank0 = dist.broadcast_object([p.copy() for p in params + buffers])
    spreads = dist.all_gather_object(
        (max_diff(params, rank0[: len(params)]), max_diff(buffers, rank0[len(params) :]))
        if buffers else (max_diff(params, rank0), 0.0)
    )
    if dist.is_main_process():
        print(json.dumps({
            "case": case, "dtype": np.dtype(dtype).name, "steps": STEPS,
            "world": dist.get_world_size(), "tol": tol,
            "diff": max_diff(params, ref_params),  # max |w_N − w_1| over the parameters
            "buffers_diff": max_diff(buffers, ref_buffers) if buffers else 0.0,
            "spread": max(s for s, _ in spreads),  # max |w_rank − w_rank0|
            "buffers_spread": max(b for _, b in spreads),
        }), flush=True)


def dropout_masks():
    """The same input through Dropout on every rank, seeded per rank: the masks differ."""
    minitorch.manual_seed(0)
    model = dist.DistributedDataParallel(mlp(dropout=0.5))
    minitorch.manual_seed(1234 + dist.get_rank())  # after the broadcast: per-rank randomness
    out = model(np.ones((4, 6), dtype=np.float32))
    outs = dist.all_gather_object(out)
    if dist.is_main_process():
        differ = [bool(np.any(outs[0] != other)) for other in outs[1:]]
        print(json.dumps({"case": "dropout", "ranks_differ": differ}), flush=True)


def optimizer_state():
    """Rank 0 alone has stepped its AdamW (as after loading a checkpoint only it read); after
    broadcast_optimizer_state every rank holds rank 0's moments and step counts."""
    minitorch.set_default_dtype(np.float64)
    minitorch.manual_seed(0)
    model = mlp()
    opt = make_optimizer(model, "adamw")
    if dist.is_main_process():
        loss_and_backward(model, *row_data(np.random.default_rng(2), np.float64))
        opt.step()
    dist.broadcast_optimizer_state(opt)
    states = dist.all_gather_object(opt.state_dict()["state"])
    same = all(
        state.keys() == states[0].keys()
        and all(np.array_equal(v, states[0][k][name]) for k, entry in state.items()
                for name, v in entry.items())
        for state in states
    )
    if dist.is_main_process():
        print(json.dumps({"case": "optimizer_state", "equal": same, "entries": len(states[0])}),
              flush=True)


CASES = [
    # (case, model, data, optimizer, dtype, tolerance, batch_norm)
    ("mlp", mlp, row_data, "sgd", np.float64, 1e-12, "none"),
    ("mlp", mlp, row_data, "sgd", np.float32, 1e-5, "none"),
    ("cnn", cnn, image_data, "sgd", np.float64, 1e-12, "none"),
    ("cnn", cnn, image_data, "sgd", np.float32, 1e-5, "none"),
    ("gpt", gpt, token_data, "adamw", np.float64, 1e-12, "none"),
    ("gpt", gpt, token_data, "adamw", np.float32, 1e-5, "none"),
    ("cnn+SyncBatchNorm", cnn, image_data, "sgd", np.float64, 1e-12, "sync"),
    ("cnn+SyncBatchNorm", cnn, image_data, "sgd", np.float32, 1e-5, "sync"),
    # Plain BatchNorm: each process normalises by its shard's statistics (PyTorch's DDP too),
    # so the weights differ from one process's; the processes still agree with each other.
    ("cnn+BatchNorm", cnn, image_data, "sgd", np.float64, None, "plain"),
]

if __name__ == "__main__":
    dist.init()
    only = sys.argv[1:]
    for case in CASES:
        if not only or case[0] in only:
            run(*case)
    if not only or "dropout" in only:
        dropout_masks()
    if not only or "optimizer_state" in only:
        optimizer_state()
