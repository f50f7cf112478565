"""The suite's workloads of whole models (issue 20's new rows), each in minitorch and in a
PyTorch copy with the same initial weights, on data that trains:

* ``mnistnet``: pytorch/examples' MNIST network (``networks.minitorch_mnistnet``, the conv
  helper's; bench_cnn.py times it too), LogSoftmax + NLLLoss, Adadelta lr 1.0, batch 64, on
  the bundled MNIST subset;
* ``char``: the LSTM character model's step (``rnn_steps``, bench_rnn.py's: Embedding(65, 64)
  -> LSTM(64, 256, 2) -> Linear(256, 65), cross-entropy at every position, clipping at 1.0,
  AdamW), batch 32 x 64 characters of Tiny Shakespeare; PyTorch as it runs by default (its
  LSTM is oneDNN's fused kernel);
* ``vae``: pytorch/examples' VAE step (``models.VAE`` and ``VAELoss``; torch copy
  tests/vae_torch.py), Adam 1e-3, batch 128 of MNIST pixels in [0, 1]; ε drawn by each
  framework's own generator;
* ``diffusion``: tiny-diffusion's training step (``models.DiffusionMLP``; torch copy
  tests/diffusion_torch.py), MSE on the noise, clipping at 1.0, AdamW 1e-3, batch 256 of
  two-moons points; the noised batches (x_t, t, ε) are drawn once, the same for both;
* ``dcgan``: examples/dcgan_mnist.py's G and D (width 32) and its GAN iteration (D's step on a
  real and a fake batch, then G's step through D), Adam 2e-4 (0.5, 0.999), batch 64 of digits
  in [-1, 1]; the torch copy is benchmarks/dcgan_torch.py; the noise batches are fixed, the
  same for both.

Each builder takes the frameworks to build (``quick_suite``: a worker builds its own) and
returns ``{framework: Runner}``; none has a NumPy reference.
"""

from __future__ import annotations

import argparse
import itertools
import sys
from pathlib import Path
from typing import Any

import networks as N
import numpy as np
import workloads as W
from harness import Runner

torch = W.torch
ROOT = Path(__file__).resolve().parents[1]
N_BATCHES = 16  # distinct batches, cycled


def _with(path: Path) -> None:
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))


def _cycled(run_batches: Any, n_batches: int) -> Any:
    """``run(units)`` over a runner of batches 0..k-1 (``run_batches(k)``, k <= n_batches)."""

    def run(units: int) -> None:
        while units > 0:
            chunk = min(units, n_batches)
            run_batches(chunk)
            units -= chunk

    return run


# ---------------------------------------------------------------------- pytorch/examples' MNIST
def mnistnet_runners(frameworks: tuple[str, ...] = W.ALL, batch_size: int = 64) -> dict:
    import minitorch
    from minitorch import optim

    x, y = W.mnist()
    x = x.reshape(-1, 1, 28, 28)
    minitorch.manual_seed(0)
    model = N.minitorch_mnistnet()
    runners = {}
    if torch is not None and "PyTorch" in frameworks:
        theirs = N.torch_cnn(model)  # minitorch's initial weights
        opt_t = torch.optim.Adadelta(theirs.parameters(), lr=1.0)
        batches = W._sliced(torch.from_numpy(x), torch.from_numpy(y), batch_size)
        runners["PyTorch"] = W._torch_loop(theirs, opt_t, batches, nll=True)
    if "minitorch" in frameworks:
        model.needs_input_grad = False
        opt_m = optim.Adadelta(model, lr=1.0)
        batches = W._sliced(x, y, batch_size)
        runners["minitorch"] = W._minitorch_loop(model, opt_m, batches, nll=True)
    return runners


# ---------------------------------------------------------------------- the LSTM character model
def char_runners(frameworks: tuple[str, ...] = W.ALL) -> dict:
    import rnn_steps

    args = argparse.Namespace(steps=N_BATCHES, batch_size=32, length=64)
    runners = {}
    if torch is not None and "PyTorch" in frameworks:
        runners["PyTorch"] = Runner(_cycled(rnn_steps._torch_runner("char", args), N_BATCHES))
    if "minitorch" in frameworks:
        run = rnn_steps._minitorch_runner("char", args)
        runners["minitorch"] = Runner(_cycled(run, N_BATCHES))
    return runners


# ---------------------------------------------------------------------- the VAE
def vae_runners(frameworks: tuple[str, ...] = W.ALL, batch_size: int = 128) -> dict:
    import minitorch
    from minitorch import optim
    from minitorch.models import VAE, VAELoss

    x, _ = W.mnist()
    minitorch.manual_seed(0)
    ours = VAE()
    runners = {}
    if torch is not None and "PyTorch" in frameworks:
        _with(ROOT / "tests")
        import vae_torch

        theirs = vae_torch.VAE().float()
        vae_torch.load_minitorch(theirs, ours)
        optimizer_t = torch.optim.Adam(theirs.parameters(), lr=1e-3)
        batches_t = W._sliced(torch.from_numpy(x), torch.from_numpy(x), batch_size)
        last_t = [float("nan")]

        def run_torch(steps: int) -> None:
            for _ in range(steps):
                xb, _ = next(batches_t)
                optimizer_t.zero_grad()
                logits, mu, logvar = theirs(xb)
                loss = vae_torch.loss_function(logits, xb, mu, logvar)
                loss.backward()
                optimizer_t.step()
            last_t[0] = loss.item()

        runners["PyTorch"] = Runner(
            run_torch, lambda: W._torch_state([optimizer_t]), lambda: last_t[0]
        )
    if "minitorch" in frameworks:
        ours.needs_input_grad = False
        loss_fn = VAELoss()
        optimizer = optim.Adam(ours, lr=1e-3)
        batches = W._sliced(x, x, batch_size)
        last = [float("nan")]

        def run(steps: int) -> None:
            for _ in range(steps):
                xb, _ = next(batches)
                optimizer.zero_grad()
                logits, mu, logvar = ours(xb)
                loss = loss_fn(logits, xb, mu, logvar)
                ours.backward(loss_fn.backward())
                optimizer.step()
            last[0] = float(loss)

        runners["minitorch"] = Runner(run, lambda: W._minitorch_state([optimizer]), lambda: last[0])
    return runners


# ---------------------------------------------------------------------- diffusion
def diffusion_runners(frameworks: tuple[str, ...] = W.ALL, batch_size: int = 256) -> dict:
    import minitorch
    from minitorch import nn, optim
    from minitorch.datasets import make_two_moons
    from minitorch.models import DiffusionMLP, NoiseScheduler, noisy_batch
    from minitorch.nn.utils import clip_grad_norm_

    data = make_two_moons().astype(np.float32)
    scheduler = NoiseScheduler(50)
    rng = np.random.default_rng(0)
    batches = []
    for _ in range(N_BATCHES):
        x_0 = data[rng.choice(len(data), batch_size, replace=False)]
        batches.append(noisy_batch(scheduler, x_0, rng))  # (x_t, t, ε)
    minitorch.manual_seed(0)
    ours = DiffusionMLP()
    runners = {}
    if torch is not None and "PyTorch" in frameworks:
        _with(ROOT / "tests")
        import diffusion_torch

        theirs = diffusion_torch.MLP()
        mine = [m for m in ours.modules() if isinstance(m, nn.Linear)]
        its = [m for m in theirs.modules() if isinstance(m, torch.nn.Linear)]
        with torch.no_grad():
            for a, b in zip(mine, its, strict=True):
                b.weight.copy_(torch.from_numpy(a.W.T.copy()))
                b.bias.copy_(torch.from_numpy(a.b[0]))
        optimizer_t = torch.optim.AdamW(theirs.parameters(), lr=1e-3)
        cycle_t = itertools.cycle([tuple(torch.from_numpy(a) for a in b) for b in batches])
        last_t = [float("nan")]

        def run_torch(steps: int) -> None:
            for _ in range(steps):
                x_t, t, noise = next(cycle_t)
                loss = torch.nn.functional.mse_loss(theirs(x_t, t), noise)
                optimizer_t.zero_grad()
                loss.backward()
                torch.nn.utils.clip_grad_norm_(theirs.parameters(), 1.0)
                optimizer_t.step()
            last_t[0] = loss.item()

        runners["PyTorch"] = Runner(
            run_torch, lambda: W._torch_state([optimizer_t]), lambda: last_t[0]
        )
    if "minitorch" in frameworks:
        ours.needs_input_grad = False
        optimizer = optim.AdamW(ours, lr=1e-3)
        loss_fn = nn.MSELoss()
        cycle = itertools.cycle(batches)
        last = [float("nan")]

        def run(steps: int) -> None:
            for _ in range(steps):
                x_t, t, noise = next(cycle)
                loss = loss_fn(ours(x_t, t), noise)
                optimizer.zero_grad()
                ours.backward(loss_fn.backward())
                clip_grad_norm_(ours, 1.0)
                optimizer.step()
            last[0] = float(loss)

        runners["minitorch"] = Runner(run, lambda: W._minitorch_state([optimizer]), lambda: last[0])
    return runners


# ---------------------------------------------------------------------- the DCGAN
def dcgan_runners(frameworks: tuple[str, ...] = W.ALL, batch_size: int = 64) -> dict:
    import minitorch
    from minitorch import nn, optim

    _with(ROOT / "examples")
    import dcgan_mnist

    x, _ = W.mnist()
    real = (x.reshape(-1, 1, 28, 28) * np.float32(2) - np.float32(1)).astype(np.float32)
    real_batches = [real[i * batch_size : (i + 1) * batch_size] for i in range(N_BATCHES)]
    import dcgan_torch

    z_batches = dcgan_torch.noise_batches(N_BATCHES, batch_size, dcgan_mnist.NOISE_DIM)
    minitorch.manual_seed(0)
    G, D = dcgan_mnist.build(32)
    lr = 2e-4
    runners = {}
    if torch is not None and "PyTorch" in frameworks:
        G_t, D_t = dcgan_torch.torch_copy(G), dcgan_torch.torch_copy(D)
        step_t = dcgan_torch.torch_gan_step(G_t, D_t, lr, dcgan_mnist.NOISE_DIM, batch_size)
        pairs = zip(real_batches, z_batches, strict=True)
        pairs_t = itertools.cycle([(torch.from_numpy(r), torch.from_numpy(z)) for r, z in pairs])
        last_t = [float("nan")]

        def run_torch(steps: int) -> None:
            for _ in range(steps):
                last_t[0] = step_t(*next(pairs_t))[1]

        runners["PyTorch"] = Runner(
            run_torch, lambda: W._torch_state(step_t.optimizers), lambda: last_t[0]
        )
    if "minitorch" in frameworks:
        loss_fn = nn.BCEWithLogitsLoss()
        g_optimizer = optim.Adam(G, lr=lr, betas=(0.5, 0.999))
        d_optimizer = optim.Adam(D, lr=lr, betas=(0.5, 0.999))
        ones = np.ones((batch_size, 1), dtype=np.float32)
        zeros = np.zeros((batch_size, 1), dtype=np.float32)
        pairs = itertools.cycle(list(zip(real_batches, z_batches, strict=True)))
        last = [float("nan")]

        def run(steps: int) -> None:  # examples/dcgan_mnist.py's iteration, as written there
            for _ in range(steps):
                real_b, z = next(pairs)
                fake = G(z)
                d_optimizer.zero_grad()
                loss_fn(D(real_b), ones)
                D.backward(loss_fn.backward())
                loss_fn(D(fake), zeros)
                D.backward(loss_fn.backward())
                d_optimizer.step()
                g_optimizer.zero_grad()
                g_loss = loss_fn(D(fake), ones)
                G.backward(D.backward(loss_fn.backward()))
                g_optimizer.step()
            last[0] = float(g_loss)

        runners["minitorch"] = Runner(
            run, lambda: W._minitorch_state([g_optimizer, d_optimizer]), lambda: last[0]
        )
    return runners
