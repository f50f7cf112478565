"""A GAN on the bundled 8×8 digits: an MLP generator learns to draw handwritten digits.

    python examples/gan_digits.py [--epochs 200] [--out runs/gan_digits]

The figure goes to DIR/gan_digits.png (``--out DIR``, default runs/gan_digits in the working
directory); the README's docs/gan_digits.png was made with ``--out docs``.

It needs about 15 s of one CPU core. Its matrices are too small to share between BLAS
threads: on a busy machine, ``OPENBLAS_NUM_THREADS=1 python ...`` can be several times faster.

The same game as examples/gan_ring.py, on images. The discriminator D reads a 64-pixel image
and gives one logit ("real" when positive); the generator G turns 32 random numbers into 64
pixels in [-1, 1] (Tanh), the range the real images are scaled to. Each iteration:

1. D's step: D on a real batch (target 1), backward; D on a fake batch (target 0), backward;
   the gradients of the two backward passes add up; D's optimizer steps.
2. G's step: D on the same fake batch with target 1; D's backward returns dL/d(fake), which
   G's backward takes; only G's optimizer steps.

The figure shows the digits that the same 36 noise vectors give at a few epochs, beside real
digits.
"""

import argparse
import time
from pathlib import Path

import numpy as np

import minitorch
from minitorch import nn, optim
from minitorch.datasets import Digits
from minitorch.utils.data import DataLoader

NOISE_DIM = 32


def noise(n: int) -> np.ndarray:
    """The generator's input z ~ N(0, I): (n, NOISE_DIM) float32."""
    return minitorch.generator().standard_normal((n, NOISE_DIM)).astype(np.float32)


def build() -> tuple[nn.Sequential, nn.Sequential]:
    G = nn.Sequential(
        nn.Linear(NOISE_DIM, 128),
        nn.LeakyReLU(0.2),
        nn.Linear(128, 256),
        nn.LeakyReLU(0.2),
        nn.Linear(256, 64),
        nn.Tanh(),  # pixels in [-1, 1], like the real images below
    )
    D = nn.Sequential(
        nn.Linear(64, 256),
        nn.LeakyReLU(0.2),
        nn.Linear(256, 128),
        nn.LeakyReLU(0.2),
        nn.Linear(128, 1),  # a logit: BCEWithLogitsLoss applies the sigmoid, stably
    )
    G.needs_input_grad = False  # G's input is noise: nobody needs dL/dz
    # D keeps needs_input_grad = True: in G's step its backward must return dL/d(fake).
    return G, D


def train(
    epochs: int,
    batch_size: int,
    lr: float,
    seed: int,
    snapshot_at: tuple[int, ...] = (),
    n_shown: int = 36,
) -> dict:
    """Train the GAN; return its losses, the snapshots of generated digits, and the models."""
    minitorch.manual_seed(seed)
    images = Digits(train=True, flatten=True).data * 2 - 1  # (1438, 64), [0, 1] -> [-1, 1]
    # An array is a data set too (as a tensor is in PyTorch): the loader yields (64, 64) batches.
    loader = DataLoader(images, batch_size=batch_size, shuffle=True, drop_last=True)
    G, D = build()
    loss_fn = nn.BCEWithLogitsLoss()
    # One optimizer per network; beta1 = 0.5 as usual for GANs (DCGAN).
    g_optimizer = optim.Adam(G, lr=lr, betas=(0.5, 0.999))
    d_optimizer = optim.Adam(D, lr=lr, betas=(0.5, 0.999))
    ones = np.ones((batch_size, 1), dtype=np.float32)
    zeros = np.zeros((batch_size, 1), dtype=np.float32)
    fixed_z = noise(n_shown)  # the same noise at every snapshot
    snapshots, d_losses, g_losses = {}, [], []

    for epoch in range(1, epochs + 1):
        for real in loader:
            fake = G(noise(batch_size))  # G's forward; its backward comes in step 2

            # --- 1. D's step: 1 on real digits, 0 on generated ones -----------------------
            d_optimizer.zero_grad()  # also drops the D gradients that step 2 left behind
            d_loss_real = loss_fn(D(real), ones)
            D.backward(loss_fn.backward())  # backward of D's forward on the real batch
            d_loss_fake = loss_fn(D(fake), zeros)
            D.backward(loss_fn.backward())  # ... and of its forward on the fake batch
            d_optimizer.step()

            # --- 2. G's step: make D say 1 on the generated digits ------------------------
            g_optimizer.zero_grad()
            g_loss = loss_fn(D(fake), ones)
            d_fake = D.backward(loss_fn.backward())  # dL/d(fake), D's input gradient
            G.backward(d_fake)  # the one backward of G's one forward
            g_optimizer.step()  # D is not stepped; its gradients are cleared in step 1

            d_losses.append(float(d_loss_real) + float(d_loss_fake))
            g_losses.append(float(g_loss))
        if epoch in snapshot_at:
            with minitorch.no_grad():  # a forward for looking only: no backward follows
                snapshots[epoch] = G(fixed_z)
            recent = slice(-len(loader), None)  # this epoch's iterations
            print(
                f"epoch {epoch:4d}  D loss {np.mean(d_losses[recent]):.3f}  "
                f"G loss {np.mean(g_losses[recent]):.3f}"
            )

    return {
        "G": G,
        "D": D,
        "d_losses": d_losses,
        "g_losses": g_losses,
        "snapshots": snapshots,
        "real": images[:n_shown],
    }


def tile(images: np.ndarray, rows: int) -> np.ndarray:
    """(N, 64) images in [-1, 1] -> one (rows·9 - 1, cols·9 - 1) picture, NaN between them."""
    cols = -(-len(images) // rows)
    grid = np.full((rows * cols, 9, 9), np.nan)
    grid[: len(images), :8, :8] = images.reshape(-1, 8, 8)
    picture = grid.reshape(rows, cols, 9, 9).transpose(0, 2, 1, 3).reshape(rows * 9, cols * 9)
    return picture[:-1, :-1]


def plot(snapshots: dict, real: np.ndarray, path: str) -> None:
    """One panel of generated digits per snapshot, and real digits in the last panel."""
    from matplotlib import colormaps  # matplotlib only when a figure is asked for
    from matplotlib.figure import Figure

    panels = {f"epoch {epoch}": images for epoch, images in snapshots.items()}
    panels["real digits, for comparison"] = real
    ncols = min(3, len(panels))
    nrows = -(-len(panels) // ncols)
    fig = Figure(figsize=(3.3 * ncols, 3.5 * nrows), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    cmap = colormaps["gray_r"].with_extremes(bad="0.8")  # dark ink, grey lines between digits
    for ax, (title, images) in zip(axes, panels.items(), strict=False):
        rows = int(np.sqrt(len(images)))
        ax.imshow(tile(images, rows), cmap=cmap, vmin=-1, vmax=1, interpolation="nearest")
        ax.set_title(title)
    for ax in axes:
        ax.set_axis_off()
    fig.suptitle("GAN on the 8×8 digits: what the same 36 noise vectors give during training")
    fig.savefig(path, dpi=100)


def main(
    epochs: int = 200,
    batch_size: int = 64,
    lr: float = 2e-4,
    seed: int = 0,
    out: str | Path | None = "runs/gan_digits",
) -> dict:
    snapshot_at = sorted({max(1, epochs * k // 8) for k in (0, 1, 2, 4, 8)})
    start = time.perf_counter()
    result = train(epochs, batch_size, lr, seed, tuple(snapshot_at))
    seconds = time.perf_counter() - start
    print(f"{epochs} epochs ({len(result['d_losses'])} iterations) in {seconds:.1f} s")
    if out is not None:
        figure = Path(out) / "gan_digits.png"
        figure.parent.mkdir(parents=True, exist_ok=True)
        plot(result["snapshots"], result["real"], figure)
        print(f"figure written to {figure}")
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--epochs", type=int, default=200, help="passes over the 1,438 digits")
    parser.add_argument("--batch-size", type=int, default=64, help="images per batch")
    parser.add_argument("--lr", type=float, default=2e-4, help="Adam learning rate (both nets)")
    parser.add_argument("--seed", type=int, default=0, help="seed of minitorch.manual_seed")
    parser.add_argument(
        "--out",
        metavar="DIR",
        default="runs/gan_digits",
        help="folder for gan_digits.png (relative to the working directory)",
    )
    args = parser.parse_args()
    main(args.epochs, args.batch_size, args.lr, args.seed, args.out)
