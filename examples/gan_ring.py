"""A GAN on 2-D points: a generator learns to place its samples on a ring of 8 Gaussians.

    python examples/gan_ring.py [--iterations 5000] [--out runs/gan_ring]

The figure goes to DIR/gan_ring.png (``--out DIR``, default runs/gan_ring in the working
directory); the README's docs/gan_ring.png was made with ``--out docs``.

It needs about 45 s of one CPU core (measured: 46 s of CPU time for the 5000 iterations with
``OPENBLAS_NUM_THREADS=1``; on a 2-core machine busy with other work, the same run took 2 min 25 s
of wall time). Its matrices are too small to share between BLAS threads: on a busy machine,
``OPENBLAS_NUM_THREADS=1 python ...`` can be several times faster.

Two networks play a game. The discriminator D sees a point and says "real" (the ring) or
"fake" (the generator's); the generator G turns random noise into points and is trained to make
D say "real". Each iteration has two steps, each with its own optimizer:

1. D's step: D on a real batch (target 1), backward; D on a fake batch (target 0), backward.
   The two backward passes add their gradients, then D's optimizer steps.
2. G's step: D on the same fake batch, now with target 1; D's backward returns dL/d(fake),
   the gradient of the loss with respect to D's *input*, which G's backward takes. Only G's
   optimizer steps: D's gradients from this step are thrown away by D's next zero_grad().

Every module keeps the cache of its last forward only, and each backward belongs to the forward
just before it (docs/contract.md), so the loop alternates forward, backward, forward, backward.
The figure shows the generated points at a few iterations over the ring's 8 centres; a GAN that
"mode-collapses" puts all its points on a few of them.
"""

import argparse
import time
from pathlib import Path

import numpy as np

import minitorch
from minitorch import nn, optim
from minitorch.datasets import make_blobs

# The real data: 8 Gaussians of standard deviation STD evenly spaced on a circle of radius 2.
N_MODES, RADIUS, STD = 8, 2.0, 0.05
ANGLES = 2 * np.pi * np.arange(N_MODES) / N_MODES
CENTRES = RADIUS * np.stack([np.cos(ANGLES), np.sin(ANGLES)], axis=1)  # (8, 2)
NOISE_DIM = 2


def real_batch(n: int) -> np.ndarray:
    """``n`` points of the ring, drawn from minitorch's global generator: (n, 2) float32."""
    points, _ = make_blobs(n, centers=CENTRES, noise=STD)
    return points


def noise(n: int) -> np.ndarray:
    """The generator's input z ~ N(0, I): (n, NOISE_DIM) float32."""
    return minitorch.generator().standard_normal((n, NOISE_DIM)).astype(np.float32)


def mode_coverage(points: np.ndarray, min_share: float = 0.01) -> tuple[int, float]:
    """How many of the 8 modes the points cover, and the share of "high-quality" points.

    A point is high quality when it lies within 3 standard deviations of its nearest centre;
    a mode is covered when at least ``min_share`` of all points are high-quality points at it
    (the measure of the unrolled-GAN and VEEGAN papers).
    """
    distances = np.linalg.norm(points[:, None, :] - CENTRES[None], axis=2)  # (N, 8)
    nearest = distances.argmin(axis=1)
    good = distances.min(axis=1) < 3 * STD
    counts = np.bincount(nearest[good], minlength=N_MODES)
    return int(np.sum(counts >= min_share * len(points))), float(good.mean())


def build(hidden: int) -> tuple[nn.Sequential, nn.Sequential]:
    # G: noise -> point. Its last layer is linear: the ring reaches radius 2, beyond Tanh's range.
    G = nn.Sequential(
        nn.Linear(NOISE_DIM, hidden),
        nn.LeakyReLU(0.2),
        nn.Linear(hidden, hidden),
        nn.LeakyReLU(0.2),
        nn.Linear(hidden, 2),
    )
    # D: point -> one logit, "real" when positive. No Sigmoid layer: BCEWithLogitsLoss applies
    # the sigmoid inside the loss, where it is numerically safe.
    D = nn.Sequential(
        nn.Linear(2, hidden),
        nn.LeakyReLU(0.2),
        nn.Linear(hidden, hidden),
        nn.LeakyReLU(0.2),
        nn.Linear(hidden, 1),
    )
    G.needs_input_grad = False  # G's input is noise: nobody needs dL/dz
    # D keeps needs_input_grad = True: in G's step its backward must return dL/d(fake).
    return G, D


def train(
    iterations: int,
    batch_size: int,
    lr: float,
    hidden: int,
    seed: int,
    snapshot_at: tuple[int, ...] = (),
    n_shown: int = 1000,
) -> dict:
    """Train the GAN; return its losses, the snapshots of generated points, and the models."""
    minitorch.manual_seed(seed)
    G, D = build(hidden)
    loss_fn = nn.BCEWithLogitsLoss()
    # Two optimizers, one per network. beta1 = 0.5 (not 0.9) is the usual choice for GANs
    # (DCGAN): less momentum keeps up with an opponent that keeps changing.
    g_optimizer = optim.Adam(G, lr=lr, betas=(0.5, 0.999))
    d_optimizer = optim.Adam(D, lr=lr, betas=(0.5, 0.999))
    ones = np.ones((batch_size, 1), dtype=np.float32)
    zeros = np.zeros((batch_size, 1), dtype=np.float32)
    fixed_z = noise(n_shown)  # the same noise at every snapshot: the points move, z stays
    snapshots, d_losses, g_losses = {}, [], []

    for iteration in range(1, iterations + 1):
        real = real_batch(batch_size)
        fake = G(noise(batch_size))  # G's forward; its backward comes in step 2

        # --- 1. D's step: say 1 on real points, 0 on fake ones ----------------------------
        d_optimizer.zero_grad()  # also drops the D gradients that step 2 left behind
        d_loss_real = loss_fn(D(real), ones)
        D.backward(loss_fn.backward())  # backward of D's forward on the real batch
        d_loss_fake = loss_fn(D(fake), zeros)
        D.backward(loss_fn.backward())  # backward of D's forward on the fake batch; adds up
        d_optimizer.step()  # (the dL/d(fake) this backward returned is not needed: dropped)

        # --- 2. G's step: make D say 1 on the fake points ---------------------------------
        g_optimizer.zero_grad()
        g_loss = loss_fn(D(fake), ones)  # "non-saturating" loss -log D(G(z)): strong gradients
        d_fake = D.backward(loss_fn.backward())  # dL/d(fake): through D, to its input
        G.backward(d_fake)  # the one backward of G's one forward, into G's parameters
        g_optimizer.step()  # D is not stepped: its gradients from this step are cleared above

        d_losses.append(float(d_loss_real) + float(d_loss_fake))
        g_losses.append(float(g_loss))
        if iteration in snapshot_at:
            with minitorch.no_grad():  # a forward for looking only: no backward follows
                snapshots[iteration] = points = G(fixed_z)
            covered, quality = mode_coverage(points)
            recent = slice(-min(100, iteration), None)  # the raw losses are noisy: average
            print(
                f"iteration {iteration:5d}  D loss {np.mean(d_losses[recent]):.3f}  "
                f"G loss {np.mean(g_losses[recent]):.3f}  modes covered {covered}/8  "
                f"within 3σ {quality:.0%}"
            )

    return {"G": G, "D": D, "d_losses": d_losses, "g_losses": g_losses, "snapshots": snapshots}


def plot(result: dict, path: str) -> None:
    """One panel per snapshot (generated points over the ring), and one of the two losses."""
    from matplotlib.figure import Figure  # matplotlib only when a figure is asked for
    from matplotlib.patches import Circle

    snapshots = result["snapshots"]
    ncols = 3
    nrows = -(-(len(snapshots) + 1) // ncols)
    fig = Figure(figsize=(3.6 * ncols, 3.6 * nrows), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    real = make_blobs(1000, centers=CENTRES, noise=STD, seed=0)[0]
    for ax, (iteration, points) in zip(axes, snapshots.items(), strict=False):
        covered, quality = mode_coverage(points)
        ax.scatter(*real.T, s=3, c="0.6", label="real")
        ax.scatter(*points.T, s=3, c="tab:blue", alpha=0.4, label="generated")
        for centre in CENTRES:  # each mode's "high quality" zone: within 3 std of its centre
            ax.add_patch(Circle(centre, 3 * STD, fill=False, ec="tab:red", lw=1))
        ax.set_title(
            f"iteration {iteration}: {covered}/8 modes covered,\n"
            f"{quality:.0%} of the points in a red circle"
        )
        ax.set(xlim=(-3, 3), ylim=(-3, 3), xticks=[], yticks=[], aspect="equal")
    axes[0].legend(loc="lower left", fontsize=8, markerscale=3)

    ax = axes[len(snapshots)]
    window = max(1, len(result["d_losses"]) // 50)  # a moving average: the raw losses are noisy
    for name, losses in (("D loss", result["d_losses"]), ("G loss", result["g_losses"])):
        smooth = np.convolve(losses, np.ones(window) / window, mode="valid")
        ax.plot(np.arange(window, len(losses) + 1), smooth, label=name)
    ax.axhline(2 * np.log(2), c="0.5", ls="--", lw=1, label="D loss at D = ½ (2 log 2)")
    ax.set(xlabel="iteration", title="losses: a game, not a descent")
    ax.legend(fontsize=8)
    for extra in axes[len(snapshots) + 1 :]:
        extra.set_axis_off()
    fig.suptitle("GAN on a ring of 8 Gaussians: the same 1,000 noise vectors during training")
    fig.savefig(path, dpi=100)


def main(
    iterations: int = 5000,
    batch_size: int = 512,
    lr: float = 2e-4,
    hidden: int = 128,
    seed: int = 0,
    out: str | Path | None = "runs/gan_ring",
) -> dict:
    snapshot_at = sorted({max(1, iterations * k // 8) for k in (0, 1, 2, 4, 8)})
    start = time.perf_counter()
    result = train(iterations, batch_size, lr, hidden, seed, tuple(snapshot_at))
    print(f"{iterations} iterations in {time.perf_counter() - start:.1f} s")
    result["coverage"] = covered, quality = mode_coverage(result["snapshots"][iterations])
    print(f"final: {covered}/8 modes covered, {quality:.0%} of the points within 3σ of a centre")
    if out is not None:
        figure = Path(out) / "gan_ring.png"
        figure.parent.mkdir(parents=True, exist_ok=True)
        plot(result, figure)
        print(f"figure written to {figure}")
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--iterations", type=int, default=5000, help="training iterations")
    parser.add_argument("--batch-size", type=int, default=512, help="points per batch")
    parser.add_argument("--lr", type=float, default=2e-4, help="Adam learning rate (both nets)")
    parser.add_argument("--hidden", type=int, default=128, help="width of the hidden layers")
    parser.add_argument("--seed", type=int, default=0, help="seed of minitorch.manual_seed")
    parser.add_argument(
        "--out",
        metavar="DIR",
        default="runs/gan_ring",
        help="folder for gan_ring.png (relative to the working directory)",
    )
    args = parser.parse_args()
    main(args.iterations, args.batch_size, args.lr, args.hidden, args.seed, args.out)
