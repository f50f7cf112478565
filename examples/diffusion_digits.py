"""A diffusion model (DDPM) draws handwritten digits: a small convolutional denoiser on 8×8 digits.

    python examples/diffusion_digits.py [--updates 2000] [--out runs/diffusion_digits]

The figure goes to DIR/diffusion_digits.png (``--out DIR``, default runs/diffusion_digits in the
working directory); the README's docs/diffusion_digits.png was made with ``--out docs``.

The same DDPM as examples/diffusion_2d.py (noise prediction, linear betas, ancestral sampling),
on the 1,797 bundled 8×8 digits scaled to [−1, 1]. T = 200 steps, with DDPM's 1,000-step betas
(1e-4 … 0.02) stretched by 1000/200, so that x_T is pure noise again (ᾱ_T ≈ 4e-5).

The denoiser ε_θ(x_t, t) is a tiny U-Net, written out in :class:`Denoiser`:

    t  -> SinusoidalEmbedding(32) -> Linear -> SiLU -> Linear -> SiLU        e (N, 64)
    x  -> Conv2d(1, W)                     8×8, W channels (--width, 24)      h1
       -> TimeBlock(W): h + Conv(SiLU(GN(Conv(SiLU(GN(h))) + Linear(e))))   (each block)
       -> Conv2d(W, 2W, stride 2)           4×4, 2W channels                  h2
       -> TimeBlock(2W)
       -> Upsample(2) -> Conv2d(2W, W)      8×8, W channels                   u
       -> TimeBlock(W) on u + h1 (the skip connection)
       -> GroupNorm -> SiLU -> Conv2d(W, 1)  the predicted noise (N, 1, 8, 8)

Its backward is the forward read backwards: where a tensor went two ways (h1 into the
downsampling and into the skip; e into every block) the two gradients add up.

About 2.5 minutes of one CPU core with the defaults (140 s measured; 15 minutes of wall time
on two cores shared with ten other processes). ``OPENBLAS_NUM_THREADS=1`` helps on a busy
machine.
"""

import argparse
import time
from pathlib import Path

import numpy as np

import minitorch
from minitorch import nn, optim
from minitorch.datasets import load_digits
from minitorch.models import NoiseScheduler, noisy_batch, sample

NUM_TIMESTEPS = 200


def conv(c_in: int, c_out: int, stride: int = 1) -> nn.Conv2d:
    return nn.Conv2d(c_in, c_out, 3, stride=stride, padding=1)


class TimeBlock(nn.Module):
    r"""A residual block that also sees the time: y = h + f₂(f₁(h) + P e).

    f₁ = f₂ = GroupNorm → SiLU → Conv2d 3×3 (channels C), P = Linear(E, C), its output added to
    every pixel of its channel. forward(h, e) -> y; backward(G) -> (dh, de) with
    A = f₂.backward(G):  dh = G + f₁.backward(A),  de = P.backward(Σ_pixels A).
    """

    def __init__(self, channels: int, emb_dim: int, groups: int = 8) -> None:
        super().__init__()
        self.f1 = nn.Sequential(nn.GroupNorm(groups, channels), nn.SiLU(), conv(channels, channels))
        self.f2 = nn.Sequential(nn.GroupNorm(groups, channels), nn.SiLU(), conv(channels, channels))
        self.P = nn.Linear(emb_dim, channels)

    def forward(self, h: np.ndarray, e: np.ndarray) -> np.ndarray:
        return h + self.f2(self.f1(h) + self.P(e)[:, :, None, None])

    def backward(self, grad_output: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        G, _ = self._begin_backward(grad_output)
        A = self.f2.backward(G)
        return G + self.f1.backward(A), self.P.backward(A.sum(axis=(2, 3)))


class Denoiser(nn.Module):
    """ε_θ(x_t, t) for (N, 1, 8, 8) images: the tiny U-Net of the module docstring."""

    def __init__(self, width: int = 32, emb_dim: int = 64) -> None:
        super().__init__()
        self.time_emb = nn.SinusoidalEmbedding(32)
        self.time_mlp = nn.Sequential(
            nn.Linear(32, emb_dim), nn.SiLU(), nn.Linear(emb_dim, emb_dim), nn.SiLU()
        )
        self.conv_in = conv(1, width)
        self.conv_in.needs_input_grad = False  # x_t is data
        self.block1 = TimeBlock(width, emb_dim)
        self.down = conv(width, 2 * width, stride=2)
        self.block2 = TimeBlock(2 * width, emb_dim)
        self.up = nn.Sequential(nn.Upsample(scale_factor=2), conv(2 * width, width))
        self.block3 = TimeBlock(width, emb_dim)
        self.conv_out = nn.Sequential(nn.GroupNorm(8, width), nn.SiLU(), conv(width, 1))

    def forward(self, x: np.ndarray, t: np.ndarray) -> np.ndarray:
        e = self.time_mlp(self.time_emb(t))
        h1 = self.block1(self.conv_in(x), e)
        h2 = self.block2(self.down(h1), e)
        h3 = self.block3(self.up(h2) + h1, e)
        return self.conv_out(h3)

    def backward(self, grad_output: np.ndarray) -> tuple[None, None]:
        G, _ = self._begin_backward(grad_output)
        d_skip, de3 = self.block3.backward(self.conv_out.backward(G))
        d_h2, de2 = self.block2.backward(self.up.backward(d_skip))
        d_h1 = self.down.backward(d_h2) + d_skip  # h1 went down and across
        d_in, de1 = self.block1.backward(d_h1)
        self.conv_in.backward(d_in)
        self.time_mlp.backward(de1 + de2 + de3)  # e went into every block
        self.time_emb._start_backward()  # integer timesteps: no gradient, the cache is released
        return None, None


def load_images() -> np.ndarray:
    """The 1,797 digits as (N, 1, 8, 8) float32 in [−1, 1] (their pixels are 0 … 16)."""
    images, _ = load_digits()
    return (images[:, None].astype(np.float32) / 8.0 - 1.0).astype(np.float32)


def train(
    updates: int, batch_size: int, lr: float, width: int, seed: int, log_every: int = 250
) -> dict:
    minitorch.manual_seed(seed)
    rng = minitorch.generator()
    data = load_images()
    scale = 1000 / NUM_TIMESTEPS  # DDPM's betas for 1,000 steps, stretched to 200
    scheduler = NoiseScheduler(NUM_TIMESTEPS, 1e-4 * scale, 0.02 * scale)
    model = Denoiser(width)
    optimizer = optim.AdamW(model, lr=lr)
    loss_fn = nn.MSELoss()
    losses = []
    order, position = rng.permutation(len(data)), 0
    for update in range(1, updates + 1):
        if position + batch_size > len(data):
            order, position = rng.permutation(len(data)), 0
        x_0 = data[order[position : position + batch_size]]
        position += batch_size

        x_t, t, noise = noisy_batch(scheduler, x_0, rng)
        optimizer.zero_grad()
        loss = loss_fn(model(x_t, t), noise)  # predict the noise that was added
        model.backward(loss_fn.backward())
        optimizer.step()

        losses.append(float(loss))
        if update % log_every == 0 or update == updates:
            print(f"update {update:5d}  loss {np.mean(losses[-log_every:]):.4f}")
    return {"model": model, "scheduler": scheduler, "data": data, "losses": losses}


def plot(samples: np.ndarray, snapshots: list, path: str | Path) -> None:
    """A grid of generated digits, and one digit's way from noise (left) to the image."""
    from matplotlib.figure import Figure  # matplotlib only when a figure is asked for

    cols = min(8, len(samples))
    rows = -(-len(samples) // cols)
    fig = Figure(figsize=(7.5, 9.0), layout="constrained")
    top, bottom = fig.subfigures(2, 1, height_ratios=[8, 1.4])
    grid = np.full((rows * cols, 8, 8), -1.0)  # blank (white) where no sample is left
    grid[: len(samples)] = np.clip(samples[:, 0], -1, 1)
    grid = grid.reshape(rows, cols, 8, 8)
    grid = np.pad(grid, ((0, 0), (0, 0), (1, 1), (1, 1)), constant_values=-1)
    image = grid.transpose(0, 2, 1, 3).reshape(rows * 10, cols * 10)
    ax = top.subplots()
    ax.imshow(image, cmap="gray_r", vmin=-1, vmax=1)
    ax.set_axis_off()
    ax.set_title(f"{len(samples)} digits generated by a DDPM (T = {NUM_TIMESTEPS}) from pure noise")
    axes = bottom.subplots(1, len(snapshots))
    for ax, (t, x) in zip(axes, snapshots, strict=False):
        ax.imshow(np.clip(x[0, 0], -1, 1), cmap="gray_r", vmin=-1, vmax=1)
        ax.set_title(f"t = {t}", fontsize=9)
        ax.set_axis_off()
    fig.savefig(path, dpi=100)


def main(
    updates: int = 2000,
    batch_size: int = 64,
    lr: float = 2e-3,
    width: int = 24,
    n_samples: int = 64,
    seed: int = 0,
    out: str | Path | None = "runs/diffusion_digits",
) -> dict:
    start = time.perf_counter()
    result = train(updates, batch_size, lr, width, seed, max(1, min(250, updates)))
    print(f"{updates} updates in {time.perf_counter() - start:.1f} s")
    model = result["model"].eval()
    rng = np.random.default_rng(seed + 1)
    samples, snapshots = sample(model, result["scheduler"], (n_samples, 1, 8, 8), rng, frames=8)
    result.update(samples=samples, snapshots=snapshots)
    data_mean = result["data"].mean()
    print(f"{n_samples} samples, pixel mean {samples.mean():.3f} (data {data_mean:.3f})")
    if out is not None:
        Path(out).mkdir(parents=True, exist_ok=True)
        path = Path(out) / "diffusion_digits.png"
        plot(samples, snapshots, path)
        print(f"figure: {path}")
    print(f"total {time.perf_counter() - start:.1f} s")
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--updates", type=int, default=2000, help="optimizer steps")
    parser.add_argument("--batch-size", type=int, default=64, help="images per batch")
    parser.add_argument("--lr", type=float, default=2e-3, help="AdamW's learning rate")
    parser.add_argument(
        "--width", type=int, default=24, help="channels at 8×8, 2× at 4×4 (a multiple of 8)"
    )
    parser.add_argument("--samples", type=int, default=64, help="digits to generate (>= 1)")
    parser.add_argument("--seed", type=int, default=0, help="minitorch.manual_seed")
    parser.add_argument("--out", default="runs/diffusion_digits", help="directory for the figure")
    args = parser.parse_args()
    if args.width < 8 or args.width % 8:
        parser.error(f"--width must be a multiple of 8 (GroupNorm's 8 groups), got {args.width}")
    for name in ("updates", "batch_size", "samples"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    if not args.lr > 0:
        parser.error("--lr must be positive")
    main(args.updates, args.batch_size, args.lr, args.width, args.samples, args.seed, args.out)
