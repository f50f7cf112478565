"""A PyTorch copy of examples/diffusion_2d.py's recipe: the anchor for its Chamfer distance.

    python tests/diffusion_torch.py [--updates 4000]

tiny-diffusion's NoiseScheduler, SinusoidalEmbedding and MLP written out in torch (float32, its
default initialisation), trained on minitorch's make_two_moons with the same loop: batches of
256 from shuffled epochs, t uniform in [0, 50), MSE on the noise, gradient norm clipped at 1,
AdamW 1e-3, 4,000 updates; then 2,000 samples by ancestral sampling and the symmetric Chamfer
distance (minitorch.models.chamfer_distance) to 2,000 data points. The tests import its
schedule and embedding to check minitorch's formulas against torch's.
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np
import torch
from torch import nn


class NoiseScheduler:
    """tiny-diffusion's linear schedule, in torch (float64 here, for the parity tests)."""

    def __init__(self, num_timesteps=1000, beta_start=1e-4, beta_end=0.02, dtype=torch.float64):
        self.num_timesteps = num_timesteps
        self.betas = torch.linspace(beta_start, beta_end, num_timesteps, dtype=dtype)
        self.alphas = 1.0 - self.betas
        self.alphas_cumprod = torch.cumprod(self.alphas, dim=0)
        self.alphas_cumprod_prev = torch.nn.functional.pad(
            self.alphas_cumprod[:-1], (1, 0), value=1.0
        )
        self.sqrt_alphas_cumprod = self.alphas_cumprod**0.5
        self.sqrt_one_minus_alphas_cumprod = (1 - self.alphas_cumprod) ** 0.5
        self.sqrt_inv_alphas_cumprod = torch.sqrt(1 / self.alphas_cumprod)
        self.sqrt_inv_alphas_cumprod_minus_one = torch.sqrt(1 / self.alphas_cumprod - 1)
        self.posterior_mean_coef1 = (
            self.betas * torch.sqrt(self.alphas_cumprod_prev) / (1.0 - self.alphas_cumprod)
        )
        self.posterior_mean_coef2 = (
            (1.0 - self.alphas_cumprod_prev) * torch.sqrt(self.alphas) / (1.0 - self.alphas_cumprod)
        )

    def reconstruct_x0(self, x_t, t, noise):
        s1 = self.sqrt_inv_alphas_cumprod[t].reshape(-1, 1)
        s2 = self.sqrt_inv_alphas_cumprod_minus_one[t].reshape(-1, 1)
        return s1 * x_t - s2 * noise

    def q_posterior(self, x_0, x_t, t):
        s1 = self.posterior_mean_coef1[t].reshape(-1, 1)
        s2 = self.posterior_mean_coef2[t].reshape(-1, 1)
        return s1 * x_0 + s2 * x_t

    def get_variance(self, t):
        if t == 0:
            return 0
        variance = (
            self.betas[t] * (1.0 - self.alphas_cumprod_prev[t]) / (1.0 - self.alphas_cumprod[t])
        )
        return variance.clip(1e-20)

    def step_mean(self, model_output, t, sample):
        """The reverse step without its noise: μ_t (tests compare it)."""
        x_0 = self.reconstruct_x0(sample, t, model_output)
        return self.q_posterior(x_0, sample, t)

    def step(self, model_output, timestep, sample):
        t = torch.full((len(sample),), timestep)
        prev = self.step_mean(model_output, t, sample)
        if timestep > 0:
            prev = prev + (self.get_variance(timestep) ** 0.5) * torch.randn_like(model_output)
        return prev

    def add_noise(self, x_start, x_noise, timesteps):
        s1 = self.sqrt_alphas_cumprod[timesteps].reshape(-1, 1)
        s2 = self.sqrt_one_minus_alphas_cumprod[timesteps].reshape(-1, 1)
        return s1 * x_start + s2 * x_noise


class SinusoidalEmbedding(nn.Module):
    def __init__(self, size: int, scale: float = 1.0):
        super().__init__()
        self.size, self.scale = size, scale

    def forward(self, x):
        x = x * self.scale
        half_size = self.size // 2
        emb = math.log(10000.0) / (half_size - 1)
        emb = torch.exp(-emb * torch.arange(half_size, dtype=x.dtype))
        emb = x.unsqueeze(-1) * emb.unsqueeze(0)
        return torch.cat((torch.sin(emb), torch.cos(emb)), dim=-1)


class Block(nn.Module):
    def __init__(self, size: int):
        super().__init__()
        self.ff = nn.Linear(size, size)
        self.act = nn.GELU()

    def forward(self, x):
        return x + self.act(self.ff(x))


class MLP(nn.Module):
    def __init__(self, hidden_size=128, hidden_layers=3, emb_size=128):
        super().__init__()
        self.time_mlp = SinusoidalEmbedding(emb_size)
        self.input_mlp1 = SinusoidalEmbedding(emb_size, scale=25.0)
        self.input_mlp2 = SinusoidalEmbedding(emb_size, scale=25.0)
        layers = [nn.Linear(3 * emb_size, hidden_size), nn.GELU()]
        layers += [Block(hidden_size) for _ in range(hidden_layers)]
        layers.append(nn.Linear(hidden_size, 2))
        self.joint_mlp = nn.Sequential(*layers)

    def forward(self, x, t):
        t = t.to(x.dtype)
        e = torch.cat((self.input_mlp1(x[:, 0]), self.input_mlp2(x[:, 1]), self.time_mlp(t)), -1)
        return self.joint_mlp(e)


def run(updates=4000, batch_size=256, lr=1e-3, num_timesteps=50, seed=0):
    from minitorch.datasets import make_two_moons
    from minitorch.models import chamfer_distance

    torch.manual_seed(seed)
    data = torch.from_numpy(make_two_moons())
    scheduler = NoiseScheduler(num_timesteps, dtype=torch.float32)
    model = MLP()
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr)
    order, position = torch.randperm(len(data)), 0
    start = time.perf_counter()
    for update in range(1, updates + 1):
        if position + batch_size > len(data):
            order, position = torch.randperm(len(data)), 0
        x_0 = data[order[position : position + batch_size]]
        position += batch_size
        noise = torch.randn_like(x_0)
        t = torch.randint(0, num_timesteps, (len(x_0),))
        loss = nn.functional.mse_loss(model(scheduler.add_noise(x_0, noise, t), t), noise)
        optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        if update % 500 == 0:
            print(f"update {update:5d}  loss {loss.item():.4f}")
    print(f"{updates} updates in {time.perf_counter() - start:.1f} s")
    model.eval()
    with torch.no_grad():
        x = torch.randn(2000, 2)
        for t in range(num_timesteps - 1, -1, -1):
            x = scheduler.step(model(x, torch.full((2000,), t)), t, x)
    rng = np.random.default_rng(seed + 1)
    shuffled = data.numpy()[rng.permutation(len(data))]
    reference, other = shuffled[:2000], shuffled[2000:4000]
    scores = {
        "samples": chamfer_distance(x.numpy(), reference),
        "data": chamfer_distance(other, reference),
        "noise": chamfer_distance(rng.standard_normal((2000, 2)), reference),
    }
    print("symmetric Chamfer distance to 2000 data points: " + ", ".join(
        f"{name} {value:.4f}" for name, value in scores.items()
    ))
    return scores


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--updates", type=int, default=4000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    torch.set_num_threads(1)
    run(args.updates, seed=args.seed)
