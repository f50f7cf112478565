"""A PyTorch copy of examples/vae_mnist.py: pytorch/examples' VAE, its loss and its loop.

    python tests/vae_torch.py [--epochs 30]

The model, ``loss_function`` and the train/test loops of pytorch/examples' ``vae/main.py``
(784-400-20, ReLU, summed BCE plus summed KL, Adam 1e-3, batch 128), with two changes: the
decoder returns logits and the loss is ``binary_cross_entropy_with_logits(reduction='sum')``
(the same loss as BCE on the sigmoid, computed stably, as minitorch's copy does), and
``forward`` can take ε so the parity tests feed both frameworks the same noise. The data is the
split of minitorch's bundled MNIST5k (4,000 train, 1,000 test), pixels / 255, as the example
uses. The example's ``--compare`` imports :func:`train` from here.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F


class VAE(nn.Module):
    """pytorch/examples' VAE (its layer names), ``decode`` giving logits."""

    def __init__(self, input_dim=784, hidden_dim=400, latent_dim=20):
        super().__init__()
        self.fc1 = nn.Linear(input_dim, hidden_dim)
        self.fc21 = nn.Linear(hidden_dim, latent_dim)
        self.fc22 = nn.Linear(hidden_dim, latent_dim)
        self.fc3 = nn.Linear(latent_dim, hidden_dim)
        self.fc4 = nn.Linear(hidden_dim, input_dim)

    def encode(self, x):
        h1 = F.relu(self.fc1(x))
        return self.fc21(h1), self.fc22(h1)

    def reparameterize(self, mu, logvar, eps=None):
        std = torch.exp(0.5 * logvar)
        if eps is None:
            eps = torch.randn_like(std)
        return mu + eps * std

    def decode(self, z):
        h3 = F.relu(self.fc3(z))
        return self.fc4(h3)  # logits; pytorch/examples applies torch.sigmoid here

    def forward(self, x, eps=None):
        mu, logvar = self.encode(x.view(-1, self.fc1.in_features))
        z = self.reparameterize(mu, logvar, eps)
        return self.decode(z), mu, logvar


def load_minitorch(model: VAE, source) -> None:
    """Copy a minitorch VAE's weights in: the names map one to one, fc1.W -> fc1.weight
    (transposed: minitorch keeps W as (in, out)), fc1.b -> fc1.bias."""
    with torch.no_grad():
        for name, param in model.named_parameters():
            layer, kind = name.split(".")
            value = getattr(source, layer).W.T if kind == "weight" else getattr(source, layer).b
            param.copy_(torch.from_numpy(np.asarray(value, dtype=np.float64).reshape(param.shape)))


def loss_function(logits, x, mu, logvar):
    """Reconstruction + KL divergence losses summed over all elements and batch."""
    bce = F.binary_cross_entropy_with_logits(logits, x, reduction="sum")
    # see Appendix B from VAE paper: Kingma and Welling. Auto-Encoding Variational Bayes.
    kld = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
    return bce + kld


def train(
    train_x: np.ndarray,
    test_x: np.ndarray,
    epochs: int = 30,
    batch_size: int = 128,
    lr: float = 1e-3,
    latent_dim: int = 20,
    seed: int = 1,
    log=print,
    start=None,
) -> list[float]:
    """pytorch/examples' loop on the given (N, 784) arrays in [0, 1]; the test loss per epoch
    in nats per image. ``start``: a minitorch VAE whose weights to begin from (default: torch's
    own initialisation, as pytorch/examples)."""
    torch.manual_seed(seed)
    model = VAE(latent_dim=latent_dim).float()  # float32 whatever the default (parity: float64)
    if start is not None:
        load_minitorch(model, start)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    train_t = torch.from_numpy(np.ascontiguousarray(train_x, dtype=np.float32))
    test_t = torch.from_numpy(np.ascontiguousarray(test_x, dtype=np.float32))
    losses = []
    for epoch in range(1, epochs + 1):
        model.train()
        order = torch.randperm(len(train_t))
        train_loss = 0.0
        for start in range(0, len(train_t), batch_size):
            data = train_t[order[start : start + batch_size]]
            optimizer.zero_grad()
            logits, mu, logvar = model(data)
            loss = loss_function(logits, data, mu, logvar)
            loss.backward()
            train_loss += loss.item()
            optimizer.step()
        model.eval()
        test_loss = 0.0
        with torch.no_grad():
            for start in range(0, len(test_t), batch_size):
                data = test_t[start : start + batch_size]
                logits, mu, logvar = model(data)
                test_loss += loss_function(logits, data, mu, logvar).item()
        losses.append(test_loss / len(test_t))
        log(
            f"torch epoch {epoch:3d}  train loss {train_loss / len(train_t):8.2f}  "
            f"test loss {losses[-1]:8.2f} nats/image"
        )
    return losses


def mnist_split() -> tuple[np.ndarray, np.ndarray]:
    """MNIST5k's fixed split as (N, 784) float32 rows in [0, 1]: 4,000 train, 1,000 test."""
    from minitorch.datasets import MNIST5k

    def rows(train):
        return MNIST5k(train=train, normalize=False, flatten=True).data / np.float32(255)

    return rows(True), rows(False)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--latent", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(2)
    start = time.perf_counter()
    train(*mnist_split(), epochs=args.epochs, latent_dim=args.latent, seed=args.seed)
    print(f"{time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
