"""Training-step time of minitorch's GPT against a PyTorch copy of it (reports, never fails).

    python benchmarks/bench_gpt.py [--repeats 9] [--steps 5] [--threads 2] [--profile]

The model is nanoGPT's CPU recipe for Shakespeare characters: n_layer=4, n_head=4,
n_embd=128, block_size=64, vocabulary 65, embedding and head tied, dropout 0, batch 12, in
float32. One step is what the trainer does: forward, cross-entropy, backward, gradient
clipping at 1.0 and AdamW (weight decay 0.1 on matrices only, betas (0.9, 0.99)). The PyTorch
copy starts from the same weights and sees the same batches (the suite's "gpt" workload).
Both run on 2 threads, the machine's two cores (``--threads``: PyTorch's threads and NumPy's
BLAS threads), each framework in a worker process of its own (PyTorch's with one BLAS thread:
NumPy's thread pool never spins in torch's process); they take turns, ``--repeats`` rounds of
``--steps`` steps each (this machine is shared, so its speed drifts; taking turns exposes both
to the same drift), with a pause before each turn, and the medians after a warm-up are
reported. ``--profile`` adds the time of each phase of minitorch's step and the functions
where it spends most (minitorch alone, in this process). Needs torch==2.13.0.
"""

from __future__ import annotations

import argparse
import os
import sys

# NumPy's BLAS reads its thread count when it is loaded: set it before importing numpy.
THREADS = int(sys.argv[sys.argv.index("--threads") + 1]) if "--threads" in sys.argv else 2
os.environ.setdefault("OPENBLAS_NUM_THREADS", str(THREADS))

import networks as N  # noqa: E402
import quick_steps  # noqa: E402

if N.torch is not None:
    N.torch.set_num_threads(THREADS)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=9, help="turns of each framework")
    parser.add_argument("--steps", type=int, default=5, help="timed steps per turn")
    parser.add_argument("--warmup", type=int, default=5, help="--profile's untimed steps")
    parser.add_argument("--pause", type=float, default=0.3, help="seconds before each turn")
    parser.add_argument("--threads", type=int, default=2, help="threads of both (default 2)")
    parser.add_argument("--profile", action="store_true", help="phases and hot functions")
    quick_steps.run_gpt(parser.parse_args())


if __name__ == "__main__":
    main()
