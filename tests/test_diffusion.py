"""The diffusion pieces against tests/diffusion_torch.py (tiny-diffusion's formulas in torch):
the sinusoidal embedding (forward and dt, float64, <= 1e-10), the linear schedule, add_noise,
the reverse step, tiny-diffusion's MLP (forward and every parameter gradient), the symmetric
Chamfer distance on sets whose answer is known, the two moons, and tiny runs of both examples.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import minitorch
import minitorch.nn.functional as F
from minitorch import nn
from minitorch.datasets import make_moons, make_two_moons
from minitorch.models import DiffusionMLP, NoiseScheduler, chamfer_distance, noisy_batch, sample

torch = pytest.importorskip("torch")
sys.path.insert(0, str(Path(__file__).parent))
import diffusion_torch as reference  # noqa: E402

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
DOCS = EXAMPLES.parent / "docs"
TOL = 1e-10


# ---------------------------------------------------------------------- the embedding
# (size, scale, t's shape): the layer table of SinusoidalEmbedding (torch has no such module,
# so the table is here, against the torch copy of tiny-diffusion's)
EMBEDDINGS = [
    pytest.param(4, 1.0, (5,), id="smallest-size"),
    pytest.param(16, 1.0, (7,), id="time"),
    pytest.param(128, 25.0, (9,), id="coordinate-scale-25"),
    pytest.param(10, 0.5, (3, 4), id="batch-of-sequences"),
    pytest.param(32, 1.0, (1,), id="one-t"),
]


@pytest.mark.parametrize(("size", "scale", "shape"), EMBEDDINGS)
def test_embedding_forward_and_dt_match_torch(size, scale, shape):
    rng = np.random.default_rng(size)
    t = rng.uniform(-2, 50, shape)
    G = rng.standard_normal((*shape, size))
    layer = nn.SinusoidalEmbedding(size, scale)
    emb = layer(t)
    dt = layer.backward(G)

    t_torch = torch.tensor(t, requires_grad=True)
    expected = reference.SinusoidalEmbedding(size, scale)(t_torch)
    expected.backward(torch.tensor(G))
    assert emb.dtype == np.float64 and emb.shape == (*shape, size)
    np.testing.assert_allclose(emb, expected.detach().numpy(), rtol=0, atol=TOL)
    np.testing.assert_allclose(dt, t_torch.grad.numpy(), rtol=0, atol=TOL)
    assert layer.parameters() == []


def test_embedding_layout_is_sines_then_cosines():
    """DDPM's layout: emb[:, i] = sin(t ω_i), emb[:, half + i] = cos(t ω_i),
    ω_i = 10000^(−i/(half−1))."""
    t = np.array([0.0, 1.0, 3.0])
    emb = F.sinusoidal_embedding(t, 6)
    omega = 10000.0 ** (-np.arange(3) / 2)
    np.testing.assert_allclose(emb[:, :3], np.sin(t[:, None] * omega), rtol=0, atol=1e-15)
    np.testing.assert_allclose(emb[:, 3:], np.cos(t[:, None] * omega), rtol=0, atol=1e-15)
    np.testing.assert_array_equal(emb[0], [0, 0, 0, 1, 1, 1])


def test_integer_timesteps_give_float32_and_no_gradient():
    layer = nn.SinusoidalEmbedding(8)
    emb = layer(np.array([0, 3, 49]))
    assert emb.dtype == np.float32
    assert layer.backward(np.ones_like(emb)) is None


def test_embedding_dt_against_central_differences():
    t = np.array([0.3, 1.7, 4.0])
    G = np.random.default_rng(0).standard_normal((3, 12))
    _, cache = F.sinusoidal_embedding_forward(t, 12, scale=3.0)
    dt = F.sinusoidal_embedding_backward(G, cache)
    h = 1e-6
    plus = (F.sinusoidal_embedding(t + h, 12, 3.0) * G).sum(axis=1)
    minus = (F.sinusoidal_embedding(t - h, 12, 3.0) * G).sum(axis=1)
    np.testing.assert_allclose(dt, (plus - minus) / (2 * h), rtol=1e-7, atol=1e-7)


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        (lambda: nn.SinusoidalEmbedding(7), ValueError, r"dim must be an even int of at least 4"),
        (lambda: nn.SinusoidalEmbedding(2), ValueError, r"at least 4"),
        (lambda: nn.SinusoidalEmbedding(8, scale="25"), TypeError, r"scale must be a number"),
        (lambda: nn.SinusoidalEmbedding(8)(np.array(["a"])), TypeError, r"SinusoidalEmbedding"),
    ],
    ids=["odd-size", "size-2", "scale-string", "string-input"],
)
def test_embedding_refuses(make, error, message):
    with pytest.raises(error, match=message):
        make()


# ---------------------------------------------------------------------- the schedule
SCHEDULES = [
    pytest.param(50, 1e-4, 0.02, id="tiny-diffusion-50"),
    pytest.param(1000, 1e-4, 0.02, id="ddpm-1000"),
    pytest.param(200, 5e-4, 0.1, id="digits-200"),
]


@pytest.mark.parametrize(("T", "start", "end"), SCHEDULES)
def test_schedule_matches_torch(T, start, end):
    ours, theirs = NoiseScheduler(T, start, end), reference.NoiseScheduler(T, start, end)
    for name in ("betas", "alphas", "alphas_cumprod", "alphas_cumprod_prev"):
        np.testing.assert_allclose(
            getattr(ours, name), getattr(theirs, name).numpy(), rtol=0, atol=TOL, err_msg=name
        )
    variance = [float(theirs.get_variance(t)) for t in range(T)]
    np.testing.assert_allclose(ours.posterior_variance, variance, rtol=1e-12, atol=1e-20)
    assert ours.posterior_variance[0] == 0


@pytest.mark.parametrize(("T", "start", "end"), SCHEDULES)
def test_add_noise_and_reverse_mean_match_torch(T, start, end):
    rng = np.random.default_rng(T)
    x_0, noise, eps = rng.standard_normal((3, 64, 2))
    t = rng.integers(0, T, 64)
    ours, theirs = NoiseScheduler(T, start, end), reference.NoiseScheduler(T, start, end)
    x_t = ours.add_noise(x_0, noise, t)
    expected = theirs.add_noise(torch.tensor(x_0), torch.tensor(noise), torch.tensor(t))
    np.testing.assert_allclose(x_t, expected.numpy(), rtol=0, atol=TOL)
    mean = ours.posterior_mean(ours.reconstruct_x0(x_t, t, eps), x_t, t)
    expected = theirs.step_mean(torch.tensor(eps), torch.tensor(t), torch.tensor(x_t))
    np.testing.assert_allclose(mean, expected.numpy(), rtol=0, atol=TOL)


@pytest.mark.parametrize("t", [0, 1, 25, 49])
def test_reverse_step_is_the_posterior_mean_plus_its_noise(t):
    """x_{t−1} = μ_t + σ_t z, z from the generator given; no noise at t = 0."""
    scheduler = NoiseScheduler(50)
    rng = np.random.default_rng(t)
    x_t, eps = rng.standard_normal((2, 16, 2))
    x_prev = scheduler.step(eps, t, x_t, np.random.default_rng(7))
    z = np.random.default_rng(7).standard_normal(x_t.shape) if t > 0 else 0.0
    t_batch = np.full(16, t)
    a, a_prev = scheduler.alphas_cumprod[t], scheduler.alphas_cumprod_prev[t]
    beta = scheduler.betas[t]
    x_0 = (x_t - np.sqrt(1 - a) * eps) / np.sqrt(a)  # the formulas of the module docstring
    mu = beta * np.sqrt(a_prev) / (1 - a) * x_0 + (1 - a_prev) * np.sqrt(1 - beta) / (1 - a) * x_t
    sigma = np.sqrt(beta * (1 - a_prev) / (1 - a))
    np.testing.assert_allclose(x_prev, mu + sigma * z, rtol=0, atol=TOL)
    np.testing.assert_allclose(scheduler.reconstruct_x0(x_t, t_batch, eps), x_0, atol=TOL)


def test_add_noise_reaches_noise_and_reconstruct_inverts_it():
    scheduler = NoiseScheduler(200, 5e-4, 0.1)
    assert scheduler.alphas_cumprod[-1] < 1e-4  # x_T is (nearly) pure noise
    x_0 = np.random.default_rng(0).standard_normal((8, 1, 4, 4))
    x_t, t, noise = noisy_batch(scheduler, x_0, np.random.default_rng(1))
    assert x_t.shape == x_0.shape and t.shape == (8,) and t.min() >= 0 and t.max() < 200
    np.testing.assert_allclose(scheduler.reconstruct_x0(x_t, t, noise), x_0, atol=1e-8)


@pytest.mark.parametrize(
    ("t", "message"),
    [
        (np.array([50]), r"integers in \[0, 49\]"),
        (np.array([-1]), r"\[0, 49\]"),
        (np.array([1.0]), r"integers"),
    ],
    ids=["too-large", "negative", "float"],
)
def test_schedule_refuses_bad_timesteps(t, message):
    with pytest.raises(ValueError, match=message):
        NoiseScheduler(50).add_noise(np.zeros((1, 2)), np.zeros((1, 2)), t)


def test_schedule_refuses_bad_betas():
    with pytest.raises(ValueError, match=r"0 < beta_start <= beta_end < 1"):
        NoiseScheduler(10, 0.1, 0.01)


# ---------------------------------------------------------------------- tiny-diffusion's MLP
def test_mlp_matches_torch_forward_and_parameter_gradients():
    minitorch.manual_seed(0)
    ours = DiffusionMLP(hidden_size=16, hidden_layers=3, emb_size=8).double()
    theirs = reference.MLP(hidden_size=16, hidden_layers=3, emb_size=8).double()
    linears = [m for m in ours.modules() if isinstance(m, nn.Linear)]
    torch_linears = [m for m in theirs.modules() if isinstance(m, torch.nn.Linear)]
    assert len(linears) == len(torch_linears) == 5
    with torch.no_grad():
        for mine, its in zip(linears, torch_linears, strict=True):
            its.weight.copy_(torch.tensor(mine.W.T))
            its.bias.copy_(torch.tensor(mine.b[0]))
    rng = np.random.default_rng(1)
    x, G = rng.standard_normal((2, 32, 2))
    t = rng.integers(0, 50, 32)
    ours.needs_input_grad = True
    y = ours(x, t)
    dx, dt = ours.backward(G)
    x_torch = torch.tensor(x, requires_grad=True)
    expected = theirs(x_torch, torch.tensor(t))
    expected.backward(torch.tensor(G))
    np.testing.assert_allclose(y, expected.detach().numpy(), rtol=0, atol=TOL)
    np.testing.assert_allclose(dx, x_torch.grad.numpy(), rtol=0, atol=TOL)
    assert dt is None
    for mine, its in zip(linears, torch_linears, strict=True):
        np.testing.assert_allclose(mine.dW, its.weight.grad.numpy().T, rtol=0, atol=TOL)
        np.testing.assert_allclose(mine.db[0], its.bias.grad.numpy(), rtol=0, atol=TOL)

    ours.zero_grad()
    ours.needs_input_grad = False  # x_t is data: only the parameters' gradients
    ours(x, t)
    assert ours.backward(G) == (None, None)
    np.testing.assert_allclose(linears[0].dW, torch_linears[0].weight.grad.numpy().T, atol=TOL)


def test_mlp_refuses_bad_shapes():
    model = DiffusionMLP(hidden_size=8, hidden_layers=1, emb_size=4)
    with pytest.raises(ValueError, match=r"points of shape \(N, 2\)"):
        model(np.zeros((3, 3)), np.zeros(3, dtype=int))
    with pytest.raises(ValueError, match=r"one timestep per point"):
        model(np.zeros((3, 2)), np.zeros(2, dtype=int))


def test_sample_keeps_frames_from_noise_to_samples():
    model = DiffusionMLP(hidden_size=8, hidden_layers=1, emb_size=4).eval()
    samples, frames = sample(model, NoiseScheduler(10), (5, 2), np.random.default_rng(0), 3)
    assert [t for t, _ in frames] == [10, 5, 0]
    assert samples.shape == (5, 2) and samples.dtype == np.float32
    np.testing.assert_array_equal(frames[-1][1], samples)


# ---------------------------------------------------------------------- Chamfer, moons
def brute_force_chamfer(a, b):
    d = np.linalg.norm(a[:, None] - b[None], axis=2)
    return 0.5 * (d.min(axis=1).mean() + d.min(axis=0).mean())


SHIFT = np.array([0.0, 0.0, 0.1])  # every point moved by 0.1: each one's nearest is itself
CHAMFER = [
    pytest.param(np.zeros((1, 2)), np.zeros((1, 2)), 0.0, id="same-point"),
    pytest.param(np.zeros((1, 2)), np.array([[3.0, 4.0]]), 5.0, id="two-points"),
    pytest.param(np.zeros((1, 1)), np.array([[0.0], [3.0]]), 0.75, id="one-side-far"),
    pytest.param(np.eye(3), np.eye(3)[::-1], 0.0, id="same-set-reordered"),
    pytest.param(np.eye(3), np.eye(3) + SHIFT, 0.1, id="shifted-set"),
]


@pytest.mark.parametrize(("a", "b", "expected"), CHAMFER)
def test_chamfer_on_known_sets(a, b, expected):
    assert chamfer_distance(a, b) == pytest.approx(expected, abs=1e-12)
    assert chamfer_distance(b, a) == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize("chunk", [1, 7, 1024])
def test_chamfer_chunks_agree_with_the_full_matrix(chunk):
    rng = np.random.default_rng(chunk)
    a, b = rng.standard_normal((50, 2)), rng.standard_normal((31, 2)) + 0.5
    assert chamfer_distance(a, b, chunk) == pytest.approx(brute_force_chamfer(a, b), abs=1e-12)


def test_chamfer_refuses_mismatched_sets():
    with pytest.raises(ValueError, match=r"\(N, D\) and \(M, D\)"):
        chamfer_distance(np.zeros((3, 2)), np.zeros((3, 3)))


def test_two_moons_are_make_moons_standardised():
    X = make_two_moons()
    assert X.shape == (8000, 2) and X.dtype == np.float32
    np.testing.assert_allclose(X.mean(axis=0), 0, atol=1e-6)
    np.testing.assert_allclose(X.std(axis=0), 1, atol=1e-5)
    P = make_moons(8000, 0.03, 42)[0].astype(np.float64)
    np.testing.assert_allclose(X, (P - P.mean(0)) / P.std(0), atol=1e-6)
    np.testing.assert_array_equal(make_two_moons(), X)  # the same set every time
    assert chamfer_distance(X[:2000], X[2000:4000]) < 0.02  # noise 0.03 keeps the moons thin


# ---------------------------------------------------------------------- the examples, tiny
def run_example(name, *arguments, cwd, timeout=180):
    environment = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "MPLBACKEND": "Agg"}
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / name), *arguments],
        capture_output=True, text=True, timeout=timeout, env=environment, cwd=cwd,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_diffusion_2d_example_runs(tmp_path):
    out = run_example("diffusion_2d.py", "--updates", "30", "--timesteps", "10", cwd=tmp_path)
    scores = re.search(
        r"samples (\S+), other data points (\S+), Gaussian noise (\S+)", out
    ).groups()
    samples, data, noise = map(float, scores)
    assert 0 < data < 0.02 and 0.1 < noise < 0.3 and np.isfinite(samples)
    assert (tmp_path / "runs" / "diffusion_2d" / "diffusion_2d.png").read_bytes()[:4] == b"\x89PNG"


def test_diffusion_digits_example_runs(tmp_path):
    out = run_example(
        "diffusion_digits.py", "--updates", "3", "--width", "8", "--samples", "3",
        "--out", str(tmp_path / "figures"), cwd=tmp_path,
    )  # fmt: skip
    losses = [float(v) for v in re.findall(r"loss (\S+)", out)]
    assert losses and all(np.isfinite(losses))
    assert (tmp_path / "figures" / "diffusion_digits.png").read_bytes()[:4] == b"\x89PNG"


@pytest.mark.slow
def test_diffusion_2d_reaches_the_torch_anchor(tmp_path):
    """The full recipe (4,000 updates, about 30 s of CPU): Chamfer <= 0.026, as the issue asks;
    tests/diffusion_torch.py's copy measured 0.0164 here, data against data 0.0159."""
    out = run_example("diffusion_2d.py", "--out", str(tmp_path), cwd=tmp_path, timeout=1200)
    samples, data, noise = map(float, re.search(
        r"samples (\S+), other data points (\S+), Gaussian noise (\S+)", out
    ).groups())  # fmt: skip
    assert samples <= 0.026 and data < samples < noise


@pytest.mark.parametrize("name", ["diffusion_2d.py", "diffusion_digits.py"])
def test_examples_help_shows_defaults_and_refuses_bad_options(name, tmp_path):
    out = run_example(name, "--help", cwd=tmp_path)
    assert "--updates" in out and "(default:" in out and f"runs/{name[:-3]}" in out
    environment = {**os.environ, "MPLBACKEND": "Agg"}
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / name), "--updates", "0"],
        capture_output=True, text=True, timeout=60, env=environment, cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 2 and "--updates must be at least 1" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("name", ["diffusion_2d.png", "diffusion_digits.png"])
def test_the_committed_figures_are_pngs(name):
    """docs/ holds the figures the examples made with ``--out docs`` (their default is runs/)."""
    assert (DOCS / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
