"""A diffusion model (DDPM) learns the two moons: tiny-diffusion's recipe, shortened.

    python examples/diffusion_2d.py [--updates 4000] [--out runs/diffusion_2d]

The figure goes to DIR/diffusion_2d.png (``--out DIR``, default runs/diffusion_2d in the working
directory); the README's docs/diffusion_2d.png was made with ``--out docs``.

Training adds noise to a batch of data points and teaches a network to say which noise was
added. Each update:

1. draw a batch x_0 of the 8,000 standardised points, a timestep t per point (uniform in
   0 … T − 1) and the noise ε ~ N(0, I);
2. x_t = √ᾱ_t x_0 + √(1 − ᾱ_t) ε (``NoiseScheduler.add_noise``: any step in one jump);
3. the loss is the mean squared error between the network's ε_θ(x_t, t) and ε; backward, clip
   the gradient's norm at 1, AdamW steps.

Sampling then starts from pure noise and applies the reverse step T times
(``NoiseScheduler.step``: the predicted noise gives x̂_0, the posterior q(x_{t−1} | x_t, x̂_0)
gives the mean, and its variance the fresh noise). The network is tiny-diffusion's: sinusoidal
embeddings of x, y (scale 25) and t, concatenated, a Linear, three residual GELU blocks of 128, a
Linear to 2. The number is the symmetric Chamfer distance between 2,000 samples and 2,000 data
points, beside two baselines: 2,000 other data points (the best a model can do) and 2,000 draws
of the Gaussian the sampling starts from.

About 30 s of one CPU core with the defaults (3 minutes of wall time on two cores shared with
nine other processes). Its matrices are small: on a busy machine ``OPENBLAS_NUM_THREADS=1
python ...`` is often faster.
"""

import argparse
import time
from pathlib import Path

import numpy as np

import minitorch
from minitorch import nn, optim
from minitorch.datasets import make_two_moons
from minitorch.models import DiffusionMLP, NoiseScheduler, chamfer_distance, noisy_batch, sample
from minitorch.nn.utils import clip_grad_norm_

N_EVAL = 2000


def train(
    updates: int, batch_size: int, lr: float, num_timesteps: int, seed: int, log_every: int = 500
) -> dict:
    """Train ε_θ on the moons; return the model, its scheduler, the data and the losses."""
    minitorch.manual_seed(seed)
    rng = minitorch.generator()
    data = make_two_moons()  # (8000, 2), the same set whatever the seed
    scheduler = NoiseScheduler(num_timesteps)
    model = DiffusionMLP()
    model.needs_input_grad = False  # x_t is data: nobody needs dL/dx_t
    optimizer = optim.AdamW(model, lr=lr)
    loss_fn = nn.MSELoss()
    losses = []
    order, position = rng.permutation(len(data)), 0  # epochs of shuffled batches
    for update in range(1, updates + 1):
        if position + batch_size > len(data):
            order, position = rng.permutation(len(data)), 0
        x_0 = data[order[position : position + batch_size]]
        position += batch_size

        x_t, t, noise = noisy_batch(scheduler, x_0, rng)  # steps 1 and 2
        optimizer.zero_grad()
        loss = loss_fn(model(x_t, t), noise)  # step 3: predict the noise
        model.backward(loss_fn.backward())
        clip_grad_norm_(model, 1.0)
        optimizer.step()

        losses.append(float(loss))
        if update % log_every == 0 or update == updates:
            print(f"update {update:5d}  loss {np.mean(losses[-log_every:]):.4f}")
    return {"model": model, "scheduler": scheduler, "data": data, "losses": losses}


def evaluate(result: dict, seed: int, frames: int = 6) -> dict:
    """Sample N_EVAL points (keeping frames of the reverse process) and the three distances."""
    rng = np.random.default_rng(seed + 1)
    model, scheduler, data = result["model"], result["scheduler"], result["data"]
    model.eval()
    samples, snapshots = sample(model, scheduler, (N_EVAL, 2), rng, frames=frames)
    shuffled = data[rng.permutation(len(data))]
    reference, other = shuffled[:N_EVAL], shuffled[N_EVAL : 2 * N_EVAL]
    gaussian = rng.standard_normal((N_EVAL, 2))
    return {
        "samples": samples,
        "snapshots": snapshots,
        "reference": reference,
        "chamfer": chamfer_distance(samples, reference),
        "chamfer_data": chamfer_distance(other, reference),
        "chamfer_noise": chamfer_distance(gaussian, reference),
    }


def plot(result: dict, scores: dict, path: str | Path) -> None:
    """The reverse process in frames, from pure noise (t = T) to the samples (t = 0)."""
    from matplotlib.figure import Figure  # matplotlib only when a figure is asked for

    snapshots = scores["snapshots"]
    ncols = len(snapshots) + 1
    fig = Figure(figsize=(2.6 * ncols, 3.0), layout="constrained")
    axes = fig.subplots(1, ncols)
    T = result["scheduler"].num_timesteps
    for ax, (t, points) in zip(axes, snapshots, strict=False):
        ax.scatter(*points.T, s=1, c="tab:blue", alpha=0.5)
        ax.set_title("noise, t = T" if t == T else f"t = {t}" + (": samples" if t == 0 else ""))
    ax = axes[-1]
    ax.scatter(*scores["reference"].T, s=1, c="0.4", alpha=0.5)
    ax.set_title(f"{N_EVAL} data points")
    for ax in axes:
        ax.set(xlim=(-3, 3), ylim=(-3, 3), xticks=[], yticks=[], aspect="equal")
    fig.suptitle(
        f"DDPM reverse process on the two moons: {N_EVAL} samples, T = {T} steps; symmetric "
        f"Chamfer distance to the data {scores['chamfer']:.3f} (data to data "
        f"{scores['chamfer_data']:.3f}, noise {scores['chamfer_noise']:.3f})"
    )
    fig.savefig(path, dpi=100)


def main(
    updates: int = 4000,
    batch_size: int = 256,
    lr: float = 1e-3,
    num_timesteps: int = 50,
    seed: int = 0,
    out: str | Path | None = "runs/diffusion_2d",
) -> dict:
    start = time.perf_counter()
    result = train(updates, batch_size, lr, num_timesteps, seed, max(1, min(500, updates)))
    print(f"{updates} updates in {time.perf_counter() - start:.1f} s")
    scores = evaluate(result, seed)
    result.update(scores)
    print(
        f"symmetric Chamfer distance to {N_EVAL} data points: samples {scores['chamfer']:.4f}, "
        f"other data points {scores['chamfer_data']:.4f}, Gaussian noise "
        f"{scores['chamfer_noise']:.4f}"
    )
    if out is not None:
        Path(out).mkdir(parents=True, exist_ok=True)
        path = Path(out) / "diffusion_2d.png"
        plot(result, scores, path)
        print(f"figure: {path}")
    print(f"total {time.perf_counter() - start:.1f} s")
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--updates", type=int, default=4000, help="optimizer steps")
    parser.add_argument("--batch-size", type=int, default=256, help="points per batch")
    parser.add_argument("--lr", type=float, default=1e-3, help="AdamW's learning rate")
    parser.add_argument("--timesteps", type=int, default=50, help="diffusion steps T")
    parser.add_argument("--seed", type=int, default=0, help="minitorch.manual_seed")
    parser.add_argument("--out", default="runs/diffusion_2d", help="directory for the figure")
    args = parser.parse_args()
    for name in ("updates", "batch_size", "timesteps"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    if not args.lr > 0:
        parser.error("--lr must be positive")
    main(args.updates, args.batch_size, args.lr, args.timesteps, args.seed, args.out)
