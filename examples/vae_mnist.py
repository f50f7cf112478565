"""A variational autoencoder on the bundled 28×28 MNIST digits: pytorch/examples' VAE, by hand.

    python examples/vae_mnist.py [--epochs 30] [--latent 20] [--compare] [--out runs/vae_mnist]

The model of pytorch/examples' vae/main.py (minitorch.models.VAE, 784-400-20 with ReLU): the
encoder gives the mean μ and the log-variance log σ² of a Gaussian over a latent code, a code
z = μ + σ ⊙ ε is drawn with the reparameterisation trick (ε from minitorch's generator), and the
decoder gives one logit per pixel. The loss is the negative evidence lower bound: binary
cross-entropy of the pixels (in [0, 1]) summed, plus the KL divergence from N(0, I) summed
(minitorch.models.VAELoss). Adam 1e-3, batches of 128, trained on the 4,000 training digits of
MNIST5k and tested on its 1,000 test digits (its fixed split); the test loss is printed per
epoch in nats per image. As in pytorch/examples, z is sampled at test time too.

Each step, written out:

1. ``logits, mu, logvar = model(x)``: encode, sample z, decode;
2. ``loss = loss_fn(logits, x, mu, logvar)``: BCE on the logits plus KL;
3. ``model.backward(loss_fn.backward())``: the loss's gradients with respect to the three
   outputs go back through the decoder, the sample (dμ = dz + μ, dlogvar = ½ dz ε σ +
   ½ (σ² − 1)) and the encoder; then ``optimizer.step()``.

``--compare`` (with torch installed) trains tests/vae_torch.py's copy on the same split and
prints both curves. Figures in DIR: vae_reconstructions.png (test digits beside their
reconstructions); with ``--latent 2`` also vae_manifold.png (the decoder over a grid of the
2-D latent space) and vae_latent.png (the test digits' μ, coloured by digit). The README's
docs/ figures were made with ``--out docs``.
"""

import argparse
import sys
import time
from pathlib import Path
from statistics import NormalDist

import numpy as np

import minitorch
from minitorch import optim
from minitorch.datasets import MNIST5k
from minitorch.models import VAE, VAELoss
from minitorch.utils.data import DataLoader


def mnist_rows(train: bool, limit: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """MNIST5k's fixed split as (N, 784) float32 rows in [0, 1] (pixels / 255), and digits."""
    digits = MNIST5k(train=train, normalize=False, flatten=True)  # pixels 0 to 255
    x, y = digits.data[:limit] / np.float32(255), digits.targets[:limit]
    return x, y


def evaluate(model: VAE, loss_fn: VAELoss, x: np.ndarray, batch_size: int) -> float:
    """The test loss in nats per image (z sampled, as in pytorch/examples' test())."""
    model.eval()
    total = 0.0
    with minitorch.no_grad():
        for start in range(0, len(x), batch_size):
            data = x[start : start + batch_size]
            logits, mu, logvar = model(data)
            total += float(loss_fn(logits, data, mu, logvar))
    model.train()
    return total / len(x)


def train(
    train_x: np.ndarray,
    test_x: np.ndarray,
    epochs: int = 30,
    batch_size: int = 128,
    lr: float = 1e-3,
    latent_dim: int = 20,
) -> tuple[VAE, list[float]]:
    """pytorch/examples' loop; returns the model and its test loss per epoch."""
    model = VAE(latent_dim=latent_dim)
    model.needs_input_grad = False  # x is data: the backward stops at fc1's parameters
    loss_fn = VAELoss()
    optimizer = optim.Adam(model, lr=lr)
    loader = DataLoader(train_x, batch_size=batch_size, shuffle=True)
    losses = []
    for epoch in range(1, epochs + 1):
        train_loss = 0.0
        for data in loader:
            optimizer.zero_grad()
            logits, mu, logvar = model(data)  # encode, sample z, decode
            loss = loss_fn(logits, data, mu, logvar)  # summed BCE + KL over the batch
            model.backward(loss_fn.backward())  # (dlogits, dmu, dlogvar) -> parameters
            optimizer.step()
            train_loss += float(loss)
        losses.append(evaluate(model, loss_fn, test_x, batch_size))
        print(
            f"epoch {epoch:3d}  train loss {train_loss / len(train_x):8.2f}  "
            f"test loss {losses[-1]:8.2f} nats/image",
            flush=True,
        )
    return model, losses


def tile(images: np.ndarray, cols: int) -> np.ndarray:
    """(n, 784) images as one picture of rows of ``cols``, a 1-pixel gap (NaN) between."""
    rows = -(-len(images) // cols)
    grid = np.full((rows * cols, 29, 29), np.nan)
    grid[: len(images), :28, :28] = images.reshape(-1, 28, 28)
    picture = grid.reshape(rows, cols, 29, 29).transpose(0, 2, 1, 3).reshape(rows * 29, cols * 29)
    return picture[:-1, :-1]


def _figure(width: float, height: float):
    from matplotlib.figure import Figure  # matplotlib only when a figure is drawn

    return Figure(figsize=(width, height), layout="constrained")


def _cmap():
    from matplotlib import colormaps

    return colormaps["gray_r"].with_extremes(bad="0.8")  # dark ink, grey gaps


def plot_reconstructions(model: VAE, x: np.ndarray, path: Path, n: int = 32) -> None:
    """Test digits (left) beside what the VAE makes of them (right: sigmoid of the logits)."""
    model.eval()
    with minitorch.no_grad():
        recon = minitorch.nn.functional.sigmoid(model(x[:n])[0])
    fig = _figure(9, 3.4)
    axes = fig.subplots(1, 2)
    titles = ["test digits", "reconstructions"]
    for ax, images, title in zip(axes, [x[:n], recon], titles, strict=True):
        ax.imshow(tile(images, 8), cmap=_cmap(), vmin=0, vmax=1)
        ax.set_title(title)
        ax.set_axis_off()
    fig.suptitle(f"VAE on MNIST (latent {model.latent_dim}): inputs and reconstructions")
    fig.savefig(path, dpi=100)


def plot_manifold(model: VAE, path: Path, n: int = 20) -> None:
    """The decoder over an n × n grid of the 2-D latent space, at the N(0, 1) quantiles
    5% … 95% of each coordinate: the classic picture of the learned manifold."""
    q = np.array([NormalDist().inv_cdf(p) for p in np.linspace(0.05, 0.95, n)])
    z = np.stack(np.meshgrid(q, q[::-1]), axis=-1).reshape(-1, 2)  # z₂ grows upwards
    with minitorch.no_grad():
        images = model.decode(z.astype(model.fc3.W.dtype))
    fig = _figure(7.5, 7.8)
    ax = fig.subplots()
    ax.imshow(tile(images, n), cmap=_cmap(), vmin=0, vmax=1)
    ax.set_title("decoded 2-D latent grid (z at N(0, 1) quantiles 5%–95%)")
    ax.set_axis_off()
    fig.savefig(path, dpi=100)


def plot_latent(model: VAE, x: np.ndarray, y: np.ndarray, path: Path) -> None:
    """Each test digit's code μ in the 2-D latent space, coloured by the digit shown."""
    from matplotlib import colormaps

    model.eval()
    with minitorch.no_grad():
        mu, _ = model.encode(x)
    fig = _figure(7, 6)
    ax = fig.subplots()
    points = ax.scatter(mu[:, 0], mu[:, 1], c=y, cmap=colormaps["tab10"], s=8, vmin=-0.5,
                        vmax=9.5)  # fmt: skip
    fig.colorbar(points, ax=ax, ticks=range(10), label="digit")
    ax.set_xlabel("μ₁")
    ax.set_ylabel("μ₂")
    ax.set_title(f"the {len(x)} test digits in the VAE's latent space (their μ)")
    fig.savefig(path, dpi=100)


def main(
    epochs: int = 30,
    batch_size: int = 128,
    lr: float = 1e-3,
    latent: int = 20,
    seed: int = 1,
    compare: bool = False,
    out: str | Path | None = "runs/vae_mnist",
    train_size: int | None = None,
) -> dict:
    start = time.perf_counter()
    minitorch.manual_seed(seed)
    train_x, _ = mnist_rows(True, train_size)
    test_x, test_y = mnist_rows(False)
    model, losses = train(train_x, test_x, epochs, batch_size, lr, latent)
    seconds = time.perf_counter() - start
    print(f"minitorch: {epochs} epochs in {seconds:.0f} s; test loss {losses[-1]:.2f} nats/image")
    result = {"model": model, "losses": losses, "seconds": seconds}
    if out is not None:
        folder = Path(out)
        folder.mkdir(parents=True, exist_ok=True)
        figures = [folder / "vae_reconstructions.png"]
        plot_reconstructions(model, test_x, figures[0])
        if latent == 2:
            figures += [folder / "vae_manifold.png", folder / "vae_latent.png"]
            plot_manifold(model, figures[1])
            plot_latent(model, test_x, test_y, figures[2])
        print("figures written to " + ", ".join(map(str, figures)))
    if compare:
        result.update(compare_with_torch(train_x, test_x, losses, epochs, batch_size, lr, latent,
                                         seed))  # fmt: skip
    return result


def compare_with_torch(train_x, test_x, losses, epochs, batch_size, lr, latent, seed) -> dict:
    """Train tests/vae_torch.py's copy on the same split; print both curves side by side."""
    try:
        import torch  # noqa: F401
    except ImportError:
        print("--compare needs torch (pip install torch); skipped")
        return {}
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    import vae_torch  # the torch copy, from tests/ beside this folder

    start = time.perf_counter()
    torch_losses = vae_torch.train(train_x, test_x, epochs, batch_size, lr, latent, seed)
    torch_seconds = time.perf_counter() - start
    print(f"\nepoch  minitorch    torch   (test loss, nats/image)   torch: {torch_seconds:.0f} s")
    for epoch, (ours, theirs) in enumerate(zip(losses, torch_losses, strict=True), 1):
        print(f"{epoch:5d}  {ours:9.2f} {theirs:8.2f}   {ours / theirs - 1:+.1%}")
    return {"torch_losses": torch_losses, "torch_seconds": torch_seconds}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--epochs", type=int, default=30, help="passes over the 4,000 digits")
    parser.add_argument("--batch-size", type=int, default=128, help="images per batch")
    parser.add_argument("--lr", type=float, default=1e-3, help="Adam learning rate")
    parser.add_argument("--latent", type=int, default=20,
                        help="latent dimensions (2 also draws the manifold and latent figures)")
    parser.add_argument("--seed", type=int, default=1, help="seed of minitorch.manual_seed")
    parser.add_argument("--compare", action="store_true",
                        help="also train the torch copy (tests/vae_torch.py) on the same split")
    parser.add_argument("--train-size", type=int,
                        help="train on the first N training digits only (quick runs)")
    parser.add_argument("--out", metavar="DIR", default="runs/vae_mnist",
                        help="folder for the figures (relative to the working directory)")
    args = parser.parse_args()  # fmt: skip
    if args.epochs < 1 or args.batch_size < 1 or (args.train_size or 1) < 1 or args.latent < 1:
        parser.error("--epochs, --batch-size, --latent and --train-size must be at least 1")
    main(args.epochs, args.batch_size, args.lr, args.latent, args.seed, args.compare, args.out,
         args.train_size)  # fmt: skip
