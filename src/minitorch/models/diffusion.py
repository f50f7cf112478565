"""A denoising diffusion model (DDPM, Ho et al. 2020), as tiny-diffusion trains it on 2-D points.

The forward process adds Gaussian noise in T steps of variance β_t (linear from 1e-4 to 0.02);
with α_t = 1 − β_t and ᾱ_t = α_1 ⋯ α_t, any step is reached in one jump::

    q(x_t | x_0) = N(√ᾱ_t x_0, (1 − ᾱ_t) I):   x_t = √ᾱ_t x_0 + √(1 − ᾱ_t) ε,  ε ~ N(0, I)

A network ε_θ(x_t, t) learns to predict the noise ε (the loss is the mean squared error between
ε_θ and ε: Ho et al.'s "simple" objective), and sampling runs the process backwards, from
x_T ~ N(0, I), one ancestral step at a time::

    x̂_0     = (x_t − √(1 − ᾱ_t) ε_θ) / √ᾱ_t
    μ_t     = β_t √ᾱ_{t−1} / (1 − ᾱ_t) · x̂_0  +  (1 − ᾱ_{t−1}) √α_t / (1 − ᾱ_t) · x_t
    σ²_t    = β_t (1 − ᾱ_{t−1}) / (1 − ᾱ_t)                   (the posterior variance)
    x_{t−1} = μ_t + σ_t z,  z ~ N(0, I)   (no noise at the last step, t = 0)

Timesteps are 0-based, as in tiny-diffusion's ``NoiseScheduler``: t = 0 … T − 1, ᾱ_{−1} = 1.

Pieces: :class:`NoiseScheduler` (the schedule, ``add_noise``, the reverse ``step``),
:func:`noisy_batch` (what one training step needs), :func:`sample` (ancestral sampling, with
frames), :class:`DiffusionMLP` (tiny-diffusion's network) and :func:`chamfer_distance`.
"""

from __future__ import annotations

import numpy as np

from .. import _state, nn
from .._validation import check_int, float_input

__all__ = ["DiffusionMLP", "NoiseScheduler", "chamfer_distance", "noisy_batch", "sample"]


class NoiseScheduler:
    """DDPM's linear noise schedule and its two directions (tiny-diffusion's ``NoiseScheduler``).

    Parameters
    ----------
    num_timesteps : int
        T (default 1000; tiny-diffusion trains with 50).
    beta_start, beta_end : float
        β_0 and β_{T−1} of the linear schedule (defaults 1e-4 and 0.02, DDPM's).

    Attributes (float64 arrays of shape (T,))
    ----------
    betas, alphas, alphas_cumprod (ᾱ_t), alphas_cumprod_prev (ᾱ_{t−1}, with ᾱ_{−1} = 1),
    posterior_variance (σ²_t; 0 at t = 0).
    """

    def __init__(
        self, num_timesteps: int = 1000, beta_start: float = 1e-4, beta_end: float = 0.02
    ) -> None:
        self.num_timesteps = check_int("NoiseScheduler", "num_timesteps", num_timesteps, 1)
        if not 0 < beta_start <= beta_end < 1:
            raise ValueError(
                f"NoiseScheduler: the betas must satisfy 0 < beta_start <= beta_end < 1, got "
                f"beta_start={beta_start!r}, beta_end={beta_end!r}"
            )
        self.betas = np.linspace(beta_start, beta_end, self.num_timesteps)
        self.alphas = 1.0 - self.betas
        self.alphas_cumprod = np.cumprod(self.alphas)
        self.alphas_cumprod_prev = np.concatenate([[1.0], self.alphas_cumprod[:-1]])
        self.posterior_variance = (
            self.betas * (1.0 - self.alphas_cumprod_prev) / (1.0 - self.alphas_cumprod)
        )

    def __repr__(self) -> str:
        return (
            f"NoiseScheduler(num_timesteps={self.num_timesteps}, "
            f"beta_start={self.betas[0]:g}, beta_end={self.betas[-1]:g})"
        )

    def _at(self, values: np.ndarray, t: np.ndarray, like: np.ndarray) -> np.ndarray:
        """values[t] shaped to broadcast over a batch ``like`` (N, ...), in its dtype."""
        t = np.asarray(t)
        in_range = t.size == 0 or (t.min() >= 0 and t.max() < self.num_timesteps)
        if not np.issubdtype(t.dtype, np.integer) or not in_range:
            raise ValueError(
                f"{self!r}: timesteps must be integers in [0, {self.num_timesteps - 1}], got "
                f"{t if t.size < 6 else t.dtype}"
            )
        picked = values[t].astype(like.dtype)
        return picked.reshape(picked.shape + (1,) * (like.ndim - picked.ndim))

    def add_noise(self, x_0: np.ndarray, noise: np.ndarray, t: np.ndarray) -> np.ndarray:
        """q(x_t | x_0): x_t = √ᾱ_t x_0 + √(1 − ᾱ_t) ε, for each row's timestep t (N,)."""
        a = self._at(self.alphas_cumprod, t, x_0)
        return np.sqrt(a) * x_0 + np.sqrt(1 - a) * noise

    def reconstruct_x0(self, x_t: np.ndarray, t: np.ndarray, noise: np.ndarray) -> np.ndarray:
        """x̂_0 = (x_t − √(1 − ᾱ_t) ε) / √ᾱ_t: ``add_noise`` solved for x_0."""
        a = self._at(self.alphas_cumprod, t, x_t)
        return (x_t - np.sqrt(1 - a) * noise) / np.sqrt(a)

    def posterior_mean(self, x_0: np.ndarray, x_t: np.ndarray, t: np.ndarray) -> np.ndarray:
        """μ_t of q(x_{t−1} | x_t, x_0): the two coefficients of the module docstring."""
        a = self._at(self.alphas_cumprod, t, x_t)
        a_prev = self._at(self.alphas_cumprod_prev, t, x_t)
        beta, alpha = self._at(self.betas, t, x_t), self._at(self.alphas, t, x_t)
        return (beta * np.sqrt(a_prev) * x_0 + (1 - a_prev) * np.sqrt(alpha) * x_t) / (1 - a)

    def step(
        self,
        model_output: np.ndarray,
        t: int,
        x_t: np.ndarray,
        generator: np.random.Generator | None = None,
    ) -> np.ndarray:
        """One ancestral step x_t -> x_{t−1} = μ_t + σ_t z, given ε_θ(x_t, t) (no z at t = 0).

        z is drawn from ``generator`` (default: minitorch's global generator).
        """
        t_batch = np.full(len(x_t), t)
        x_0 = self.reconstruct_x0(x_t, t_batch, model_output)
        mean = self.posterior_mean(x_0, x_t, t_batch)
        if t == 0:
            return mean
        z = (generator or _state.generator()).standard_normal(x_t.shape).astype(x_t.dtype)
        return mean + np.sqrt(self.posterior_variance[t]).astype(x_t.dtype) * z


def noisy_batch(
    scheduler: NoiseScheduler, x_0: np.ndarray, generator: np.random.Generator | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A training example per row: ``(x_t, t, noise)`` with t uniform in [0, T) and ε ~ N(0, I).

    The training step is then ``loss = MSELoss()(model(x_t, t), noise)``: the network predicts
    the noise that was added.
    """
    rng = generator or _state.generator()
    noise = rng.standard_normal(x_0.shape).astype(x_0.dtype)
    t = rng.integers(0, scheduler.num_timesteps, len(x_0))
    return scheduler.add_noise(x_0, noise, t), t, noise


def sample(
    model: nn.Module,
    scheduler: NoiseScheduler,
    shape: tuple[int, ...],
    generator: np.random.Generator | None = None,
    frames: int = 0,
    dtype: type = np.float32,
) -> tuple[np.ndarray, list[tuple[int, np.ndarray]]]:
    """Ancestral sampling: x_T ~ N(0, I), then ``scheduler.step`` for t = T − 1 … 0.

    Runs under ``minitorch.no_grad()``. Returns the samples (``shape``) and ``frames`` snapshots
    ``[(t, x_t), ...]`` evenly spaced along the way (the first is the pure noise, the last the
    samples), for a figure of the reverse process.
    """
    rng = generator or _state.generator()
    x = rng.standard_normal(shape).astype(dtype)
    T = scheduler.num_timesteps
    keep = set(np.linspace(T, 0, frames).round().astype(int)) if frames else set()
    snapshots = [(T, x.copy())] if T in keep else []
    with _state.no_grad():
        for t in range(T - 1, -1, -1):
            x = scheduler.step(model(x, np.full(shape[0], t)), t, x, rng)
            if t in keep:
                snapshots.append((t, x.copy()))
    return x, snapshots


class DiffusionMLP(nn.Module):
    r"""tiny-diffusion's noise predictor ε_θ(x_t, t) for 2-D points.

    Each coordinate of x_t (scale 25) and the timestep t (scale 1) becomes a sinusoidal
    embedding of ``emb_size``; the three are concatenated and go through
    Linear → GELU → ``hidden_layers`` residual blocks ``h + GELU(Linear(h))`` → Linear(2).

    Math
    ----
    ::

        e   = [emb(25 x[:, 0]), emb(25 x[:, 1]), emb(t)]          (N, 3·emb_size)
        ε̂  = joint(e)                                             (N, 2)
        backward: G -> joint.backward -> split in three -> the two coordinates' embedding
                  backward: (dx, None); t is an integer and has no gradient

    With ``needs_input_grad = False`` (x_t is data: the usual case) the backward stops at the
    parameters and returns ``(None, None)``.
    """

    def __init__(
        self,
        hidden_size: int = 128,
        hidden_layers: int = 3,
        emb_size: int = 128,
        input_scale: float = 25.0,
    ) -> None:
        super().__init__()
        self.time_emb = nn.SinusoidalEmbedding(emb_size)
        self.time_emb.needs_input_grad = False  # timesteps have no gradient
        self.input_emb1 = nn.SinusoidalEmbedding(emb_size, scale=input_scale)
        self.input_emb2 = nn.SinusoidalEmbedding(emb_size, scale=input_scale)
        layers: list[nn.Module] = [nn.Linear(3 * emb_size, hidden_size), nn.GELU()]
        for _ in range(hidden_layers):
            block = nn.Sequential(nn.Linear(hidden_size, hidden_size), nn.GELU())
            layers.append(nn.Residual(block))  # h + GELU(Linear(h))
        layers.append(nn.Linear(hidden_size, 2))
        self.joint_mlp = nn.Sequential(*layers)
        self.emb_size = emb_size

    @property
    def needs_input_grad(self) -> bool:
        return self.joint_mlp.needs_input_grad

    @needs_input_grad.setter
    def needs_input_grad(self, value: bool) -> None:
        self.joint_mlp.needs_input_grad = bool(value)

    def forward(self, x: np.ndarray, t: np.ndarray) -> np.ndarray:
        dtype = self.joint_mlp.parameters()[0].dtype
        x = float_input(x, "DiffusionMLP", dtype)
        if x.ndim != 2 or x.shape[1] != 2:
            raise ValueError(f"DiffusionMLP expects points of shape (N, 2), got {x.shape}")
        t = np.asarray(t)
        if t.shape != (len(x),):
            raise ValueError(
                f"DiffusionMLP expects one timestep per point, shape ({len(x)},), got "
                f"{np.shape(t)}"
            )
        e = np.concatenate(
            # t (integers) embedded in the parameters' dtype, as x is
            [self.input_emb1(x[:, 0]), self.input_emb2(x[:, 1]), self.time_emb(t.astype(dtype))],
            axis=1,
        )
        return self.joint_mlp(e)

    def backward(self, grad_output: np.ndarray) -> tuple[np.ndarray | None, None]:
        G, _ = self._begin_backward(grad_output)
        de = self.joint_mlp.backward(G)
        self.time_emb._start_backward()  # t has no gradient: its cache is simply released
        if de is None:
            self.input_emb1._start_backward()
            self.input_emb2._start_backward()
            return None, None
        d = self.emb_size
        dx = np.stack(
            [self.input_emb1.backward(de[:, :d]), self.input_emb2.backward(de[:, d : 2 * d])],
            axis=1,
        )
        return dx, None


def chamfer_distance(a: np.ndarray, b: np.ndarray, chunk: int = 1024) -> float:
    """The symmetric Chamfer distance between point sets a (N, D) and b (M, D)::

        ½ ( mean_i min_j ‖a_i − b_j‖ + mean_j min_i ‖a_i − b_j‖ )

    (Euclidean distances, not squared). The N × M distance matrix is built ``chunk`` rows at a
    time from ‖a‖² + ‖b‖² − 2 a·b in float64, so 2,000 × 2,000 points take a few milliseconds
    and memory stays at chunk × M.
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.ndim != 2 or b.ndim != 2 or a.shape[1] != b.shape[1] or not len(a) or not len(b):
        raise ValueError(
            f"chamfer_distance expects two non-empty point sets (N, D) and (M, D), got "
            f"{a.shape} and {b.shape}"
        )
    chunk = check_int("chamfer_distance", "chunk", chunk, 1)
    b_sq = (b * b).sum(axis=1)
    a_to_b = np.empty(len(a))
    b_to_a = np.full(len(b), np.inf)
    for start in range(0, len(a), chunk):
        rows = a[start : start + chunk]
        sq = (rows * rows).sum(axis=1)[:, None] + b_sq[None, :] - 2.0 * rows @ b.T
        np.maximum(sq, 0.0, out=sq)  # rounding can make a zero distance slightly negative
        a_to_b[start : start + chunk] = sq.min(axis=1)
        np.minimum(b_to_a, sq.min(axis=0), out=b_to_a)
    return 0.5 * float(np.sqrt(a_to_b).mean() + np.sqrt(b_to_a).mean())
