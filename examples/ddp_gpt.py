"""Data-parallel training of a character GPT on Tiny Shakespeare, on N processes with MPI.

    mpiexec -n 2 python examples/ddp_gpt.py --iters 50
    python examples/ddp_gpt.py --iters 50          # the same script, a one-process world

Every process holds the whole GPT. At each iteration all processes draw the same global batch
of ``--batch-size`` windows (one generator, seeded alike), and each trains on its own B/N of
them; the gradients are then averaged with one all-reduce, so every process takes the same
step and N processes follow exactly the trajectory of one process with the whole batch (up
to rounding). The loop written out:

    xb, yb = dist.shard(x, y)              # 1. shard: this process's B/N windows
    _, loss = model(xb, yb)                # 2. forward
    model.backward()                       # 3. backward: this shard's gradients
    dist.all_reduce_gradients(model)       # 4. all-reduce: their mean over the N processes
    optimizer.step()                       # 5. step: the same on every process

Rank 0 alone prints and writes (``--out``). Each process uses one BLAS thread per core it
owns: ``OPENBLAS_NUM_THREADS=1 mpiexec -n 2 ...`` on a 2-core machine. On several machines,
list them in a hostfile and run ``mpiexec -n 8 -f hosts python examples/ddp_gpt.py``.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import minitorch
import minitorch.distributed as dist
from minitorch import optim
from minitorch.datasets import TinyShakespeare
from minitorch.models import GPT


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--iters", type=int, default=200, help="training iterations")
    parser.add_argument("--batch-size", type=int, default=12,
                        help="global batch: windows per iteration over all processes "
                        "(a multiple of the number of processes)")
    parser.add_argument("--block-size", type=int, default=64, help="characters per window")
    parser.add_argument("--n-layer", type=int, default=4, help="transformer blocks")
    parser.add_argument("--n-head", type=int, default=4, help="attention heads")
    parser.add_argument("--n-embd", type=int, default=128, help="features per position")
    parser.add_argument("--dropout", type=float, default=0.0,
                        help="dropout (its masks differ per process: seeded seed + rank)")
    parser.add_argument("--lr", type=float, default=1e-3, help="AdamW learning rate")
    parser.add_argument("--log-every", type=int, default=10, help="iterations between prints")
    parser.add_argument("--seed", type=int, default=1337, help="weights, batches, dropout")
    parser.add_argument("--out", default=None,
                        help="save the trained model's state_dict here (rank 0 only)")
    args = parser.parse_args(argv)
    if min(args.iters, args.batch_size, args.block_size, args.log_every) < 1:
        parser.error("--iters, --batch-size, --block-size and --log-every must be positive")
    return args


def main(argv=None) -> None:
    args = parse_args(argv)
    dist.init()
    rank, world = dist.get_rank(), dist.get_world_size()
    if args.batch_size % world:
        raise SystemExit(f"--batch-size {args.batch_size} must be a multiple of the {world} "
                         f"processes (each trains on batch_size / {world} windows)")
    train = TinyShakespeare(train=True)
    minitorch.manual_seed(args.seed)
    model = GPT(train.vocab_size, args.block_size, args.n_layer, args.n_head, args.n_embd,
                dropout=args.dropout, tie_weights=True, bias=False)
    dist.broadcast_parameters(model)  # every process starts from rank 0's weights
    minitorch.manual_seed(args.seed + rank)  # from here on, dropout differs per process
    optimizer = optim.AdamW(model, lr=args.lr, betas=(0.9, 0.99), weight_decay=0.1)
    batches = np.random.default_rng(args.seed)  # the same global batches on every process
    if dist.is_main_process():
        print(f"{world} process(es), {args.batch_size // world} of {args.batch_size} windows "
              f"each; {model.get_num_params():,} parameters", flush=True)

    loss_sum = np.zeros(1)  # the global batch's loss: the mean of the processes' losses
    reduce_time = step_start = 0.0
    start = time.perf_counter()
    for it in range(1, args.iters + 1):
        x, y = train.get_batch(args.batch_size, args.block_size, generator=batches)
        xb, yb = dist.shard(x, y)  # 1. shard
        _, loss = model(xb, yb)  # 2. forward
        optimizer.zero_grad()
        model.backward()  # 3. backward
        t = time.perf_counter()
        dist.all_reduce_gradients(model)  # 4. all-reduce
        reduce_time += time.perf_counter() - t
        optimizer.step()  # 5. step
        if it % args.log_every == 0 or it == args.iters:
            loss_sum[0] = loss
            dist.all_reduce_mean_([loss_sum])
            elapsed = time.perf_counter() - start
            if dist.is_main_process():
                print(f"iter {it:5d}  loss {loss_sum[0]:.4f}  "
                      f"{1000 * (elapsed - step_start) / args.log_every:6.1f} ms/iter  "
                      f"all-reduce {1000 * reduce_time / it:5.2f} ms/iter", flush=True)
            step_start = elapsed
    if dist.is_main_process():
        total = time.perf_counter() - start
        print(f"done: {args.iters * args.batch_size / total:.1f} windows/s, all-reduce "
              f"{100 * reduce_time / total:.1f}% of the time", flush=True)
        if args.out:
            minitorch.save(model.state_dict(), args.out)
            print(f"saved {args.out}")
    dist.barrier()  # nobody exits before rank 0 has written


if __name__ == "__main__":
    main()
