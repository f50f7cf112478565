"""A 2-layer LSTM of 256 at batch 32 x 64 characters, float32: minitorch against PyTorch in the
same run, interleaved, each in its own process (reports, never fails).

    python benchmarks/bench_rnn.py [--subjects lstm char] [--batch-size 32] [--length 64]
                                   [--rounds 10] [--steps 5]

``lstm``: ``nn.LSTM(64, 256, 2, batch_first=True)`` forward and backward (input gradient
included); ``char``: the character model's whole training step (Embedding(65, 64) -> LSTM ->
Linear(256, 65), cross-entropy, clipping at 1.0, AdamW) on Tiny Shakespeare windows. PyTorch
runs on 2 threads (``--threads``), NumPy on its BLAS's default; PyTorch twice, as it runs by
default (its LSTM is oneDNN's fused kernel) and with oneDNN off (the same algorithm as
minitorch's). The table gives the median time per step over the rounds and the speed ratios
PyTorch time / minitorch time (1.0: as fast as PyTorch).
"""

from __future__ import annotations

import argparse

import rnn_steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subjects", nargs="+", choices=["lstm", "char"], default=["lstm", "char"])
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--length", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2, help="PyTorch's threads (default 2)")
    parser.add_argument("--pause", type=float, default=0.3, help="seconds between turns")
    rnn_steps.run_rnn(parser.parse_args())


if __name__ == "__main__":
    main()
