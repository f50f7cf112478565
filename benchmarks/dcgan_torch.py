"""A PyTorch copy of examples/dcgan_mnist.py's G and D and of its GAN step, for the suite.

:func:`torch_copy` rebuilds a minitorch ``nn.Sequential`` made of the example's layers
(ConvTranspose2d, Conv2d, BatchNorm2d, ReLU, LeakyReLU, Tanh, Flatten) in torch with the same
weights; :func:`torch_gan_step` is the example's iteration as PyTorch users write it (D on a
real and a fake batch, the fake detached, D's step; then D on the fake batch with target 1,
G's step), so that the two frameworks do the same work: one G forward and backward, three D
forwards and backwards (minitorch's step-2 backward through D also gives dL/d(fake), as torch's
does to reach G).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from networks import torch_conv

from minitorch import nn


def torch_copy(model: nn.Sequential) -> torch.nn.Sequential:
    """The same network in torch, with ``model``'s weights (and batch norms' γ, β)."""
    layers: list[Any] = []
    for layer in model:
        if isinstance(layer, (nn.Conv2d, nn.ConvTranspose2d)):
            copy = torch_conv(layer)
        elif isinstance(layer, nn.BatchNorm2d):
            copy = torch.nn.BatchNorm2d(layer.num_features, eps=layer.eps)
            with torch.no_grad():
                copy.weight.copy_(torch.from_numpy(layer.gamma.ravel()))
                copy.bias.copy_(torch.from_numpy(layer.beta.ravel()))
        elif isinstance(layer, nn.LeakyReLU):
            copy = torch.nn.LeakyReLU(layer.negative_slope)
        elif isinstance(layer, nn.ReLU):
            copy = torch.nn.ReLU()
        elif isinstance(layer, nn.Tanh):
            copy = torch.nn.Tanh()
        elif isinstance(layer, nn.Flatten):
            copy = torch.nn.Flatten()
        else:  # pragma: no cover - a layer the example does not use
            raise TypeError(f"dcgan_torch.torch_copy: no torch copy of {type(layer).__name__}")
        layers.append(copy)
    return torch.nn.Sequential(*layers)


def torch_gan_step(G, D, lr: float, noise_dim: int, batch_size: int):
    """``step(real, z) -> (d_loss, g_loss)``: the example's iteration in torch, its Adam
    (lr, betas 0.5/0.999) for each network and BCEWithLogitsLoss."""
    g_optimizer = torch.optim.Adam(G.parameters(), lr=lr, betas=(0.5, 0.999))
    d_optimizer = torch.optim.Adam(D.parameters(), lr=lr, betas=(0.5, 0.999))
    loss_fn = torch.nn.BCEWithLogitsLoss()
    ones = torch.ones((batch_size, 1))
    zeros = torch.zeros((batch_size, 1))

    def step(real: torch.Tensor, z: torch.Tensor) -> tuple[float, float]:
        fake = G(z)
        d_optimizer.zero_grad()
        d_loss = loss_fn(D(real), ones) + loss_fn(D(fake.detach()), zeros)
        d_loss.backward()
        d_optimizer.step()
        g_optimizer.zero_grad()
        g_loss = loss_fn(D(fake), ones)
        g_loss.backward()
        g_optimizer.step()
        return d_loss.item(), g_loss.item()

    step.optimizers = [g_optimizer, d_optimizer]
    return step


def noise_batches(n_batches: int, batch_size: int, noise_dim: int, seed: int = 0) -> np.ndarray:
    """``n_batches`` fixed noise batches z, (n_batches, batch_size, noise_dim, 1, 1) float32."""
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n_batches, batch_size, noise_dim, 1, 1)).astype(np.float32)


def train(G_init: nn.Sequential, D_init: nn.Sequential, images: np.ndarray, epochs: int,
          batch_size: int, lr: float, decay: float, noise_dim: int,
          seed: int) -> torch.nn.Sequential:  # fmt: skip
    """examples/dcgan_mnist.py's training in torch, from G_init's and D_init's weights: shuffled
    batches (the last, short one dropped), the GAN step of :func:`torch_gan_step`, and both
    learning rates falling linearly to 0 over the last ``decay`` of the iterations. Returns G."""
    torch.manual_seed(seed)
    G, D = torch_copy(G_init), torch_copy(D_init)
    step = torch_gan_step(G, D, lr, noise_dim, batch_size)
    data = torch.from_numpy(np.asarray(images, dtype=np.float32))
    per_epoch = len(data) // batch_size
    iterations = epochs * per_epoch
    schedules = [
        torch.optim.lr_scheduler.LambdaLR(
            optimizer, lambda i: min(1.0, (iterations - i) / (decay * iterations))
        )
        for optimizer in step.optimizers
    ]
    for _ in range(epochs):
        order = torch.randperm(len(data))
        for k in range(per_epoch):
            real = data[order[k * batch_size : (k + 1) * batch_size]]
            step(real, torch.randn(batch_size, noise_dim, 1, 1))
            for schedule in schedules:
                schedule.step()
    return G


def sample(G: torch.nn.Sequential, z: np.ndarray) -> np.ndarray:
    """G's digits for the noise z, in eval mode (batch norm's running statistics)."""
    G.eval()
    with torch.no_grad():
        images = G(torch.from_numpy(z)).numpy()
    G.train()
    return images
