"""The trainer's nanoGPT recipe (``minitorch train --model gpt``) run by PyTorch: the reference
for the slow recipe test's validation loss.

    python tests/nanogpt_recipe_torch.py [--bias] [--iters 2000] [--threads 1]

nanoGPT's model (the torch copy in ``nanogpt_torch.py``, float32) starts from the weights the
trainer's GPT starts from (seed 0, nanoGPT's initialisation, moved over with
``GPT.to_nanogpt_state_dict``), trains on the very batches the trainer draws (its batch
generator) with nanoGPT's ``configure_optimizers`` (one AdamW, two parameter groups), the same
learning-rate schedule and clipping, and is measured on the trainer's fixed validation windows
every ``eval_interval`` iterations. Only the arithmetic differs (PyTorch's kernels, minitorch's
NumPy), so the two curves should agree to the noise of float32 training. ``--bias`` trains
GPT-2's layout with biases (the trainer's ``--bias``); without it, nanoGPT's train.py default.
Prints one line per evaluation and the time; needs torch.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

THREADS = int(sys.argv[sys.argv.index("--threads") + 1]) if "--threads" in sys.argv else 1
os.environ.setdefault("OPENBLAS_NUM_THREADS", str(THREADS))
sys.path.insert(0, str(Path(__file__).parent))

import numpy as np  # noqa: E402
import torch  # noqa: E402

import nanogpt_torch  # noqa: E402


def recipe_config(bias: bool, iters: int) -> dict:
    """The trainer's configuration of ``minitorch train --model gpt [--bias] --iters N``."""
    from minitorch.cli._gpt import new_gpt_config
    from minitorch.cli._options import build_parser, parse

    argv = ["train", "--model", "gpt", "--iters", str(iters), *(["--bias"] if bias else [])]
    return new_gpt_config(parse(build_parser(), argv), argv)


def run(bias: bool = False, iters: int = 2000, threads: int = 1, quiet: bool = False) -> list:
    """Train the torch copy; return ``[(iteration, val_loss), ...]`` (iteration 0 first)."""
    from minitorch.cli._gpt import build_gpt_training

    torch.set_default_dtype(torch.float32)
    torch.set_num_threads(threads)
    config = recipe_config(bias, iters)
    training = build_gpt_training(config)
    ours = training.model
    gpt_config = nanogpt_torch.GPTConfig(
        ours.block_size, ours.vocab_size, ours.n_layer, ours.n_head, ours.n_embd, bias=bias
    )
    model = nanogpt_torch.GPT(gpt_config)
    weights = {k: torch.from_numpy(v) for k, v in ours.to_nanogpt_state_dict().items()}
    model.load_state_dict(weights)
    options = config["optimizer_options"]
    optimizer = model.configure_optimizers(
        options["weight_decay"], options["lr"], tuple(options["betas"])
    )
    lr_at = training.lr_at(config)
    windows = [(torch.as_tensor(x), torch.as_tensor(y)) for x, y in training.eval_batches]

    def val_loss() -> float:
        model.eval()
        with torch.no_grad():
            losses = [model(x, y)[1].item() for x, y in windows]
        model.train()
        return float(np.mean(losses))

    rows = [(0, val_loss())]
    started = time.perf_counter()
    for step in range(1, iters + 1):
        for group in optimizer.param_groups:
            group["lr"] = lr_at(step)
        x, y = training.train_set.get_batch(
            config["batch_size"], config["block_size"], generator=training.batch_generator
        )
        _, loss = model(torch.as_tensor(x), torch.as_tensor(y))
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), config["grad_clip"])
        optimizer.step()
        if step % config["eval_interval"] == 0 or step == iters:
            rows.append((step, val_loss()))
            if not quiet:
                seconds = time.perf_counter() - started
                print(f"iter {step}: val loss {rows[-1][1]:.4f}  {seconds:.0f}s", flush=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bias", action="store_true", help="GPT-2's biases (default: none)")
    parser.add_argument("--iters", type=int, default=2000)
    parser.add_argument("--threads", type=int, default=THREADS)
    args = parser.parse_args()
    rows = run(args.bias, args.iters, args.threads)
    print(f"bias={args.bias}: val loss {rows[0][1]:.4f} at 0, {rows[-1][1]:.4f} at {rows[-1][0]}")


if __name__ == "__main__":
    main()
