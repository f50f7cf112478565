"""The sinusoidal position / time embedding of DDPM (and of tiny-diffusion), as a stateless pair.

A number t (a diffusion timestep, a position, a coordinate) becomes a vector of ``dim`` sines
and cosines of t at geometrically spaced frequencies, so that a network can tell nearby values
apart at every scale. The layout here is DDPM's and tiny-diffusion's: the ``dim / 2`` sines
first, then the ``dim / 2`` cosines, and the frequencies go from 1 down to 1/max_period over
``half - 1`` steps::

    ω_i = max_period^(−i / (half − 1)),  i = 0 … half − 1,  half = dim / 2
    emb = [sin(scale·t·ω_0) … sin(scale·t·ω_{half−1}),  cos(scale·t·ω_0) … cos(scale·t·ω_{half−1})]

The other common layout is the transformer's ("Attention Is All You Need"), which interleaves
them, ``emb[2i] = sin(t / 10000^(2i/d))``, ``emb[2i+1] = cos(t / 10000^(2i/d))``, so its
frequencies are ``10000^(−i/half)`` (``half`` instead of ``half − 1`` in the exponent). The two
are the same features up to that exponent and a permutation of the columns; this module gives
DDPM's, which the diffusion models of ``minitorch.models.diffusion`` use.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..._state import get_default_dtype


class SinusoidalEmbeddingCache(NamedTuple):
    """What the backward of the sinusoidal embedding needs from its forward."""

    frequencies: np.ndarray  # (half,) scale · ω_i
    emb: np.ndarray  # (..., dim): [sin θ, cos θ]


def embedding_frequencies(dim: int, max_period: float = 10000.0) -> np.ndarray:
    """ω_i = max_period^(−i / (half − 1)) for i = 0 … half − 1 (half = dim / 2), float64."""
    if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)) or dim < 4 or dim % 2:
        raise ValueError(
            f"sinusoidal_embedding: dim must be an even int of at least 4 (half sines, half "
            f"cosines, at least two frequencies), got {dim!r}"
        )
    half = dim // 2
    return np.exp(-np.log(max_period) * np.arange(half) / (half - 1))


def sinusoidal_embedding_forward(
    t: np.ndarray, dim: int, scale: float = 1.0, max_period: float = 10000.0
) -> tuple[np.ndarray, SinusoidalEmbeddingCache]:
    """emb = [sin θ, cos θ] with θ = scale · t · ω: shapes t (...) -> emb (..., dim).

    ``t`` may be integer (timesteps: the embedding is in the default dtype, float32) or floating
    (it keeps its dtype). ``scale`` multiplies t first: tiny-diffusion embeds the coordinates of
    a 2-D point with ``scale=25`` so that the fastest sine sees their small differences.
    Returns ``(emb, SinusoidalEmbeddingCache(scale · ω, emb))``.
    """
    dtype = t.dtype if np.issubdtype(t.dtype, np.floating) else get_default_dtype()
    frequencies = (scale * embedding_frequencies(dim, max_period)).astype(dtype)
    theta = t[..., None].astype(dtype, copy=False) * frequencies  # (..., half)
    emb = np.concatenate([np.sin(theta), np.cos(theta)], axis=-1)
    return emb, SinusoidalEmbeddingCache(frequencies, emb)


def sinusoidal_embedding_backward(
    grad_output: np.ndarray, cache: SinusoidalEmbeddingCache
) -> np.ndarray:
    """dL/dt of emb = [sin θ, cos θ], θ = scale · t · ω, given G = dL/d(emb) of shape (..., dim).

    d sin θ / dt = scale · ω · cos θ,   d cos θ / dt = −scale · ω · sin θ, so with G = [G_s, G_c]::

        dt = Σ_i scale · ω_i · (G_s,i · cos θ_i − G_c,i · sin θ_i)        (...)

    The embedding has no parameters. It is meaningful for a floating t only (a coordinate);
    an integer timestep has no gradient, and the modules do not ask for one.
    """
    half = cache.frequencies.shape[0]
    sin, cos = cache.emb[..., :half], cache.emb[..., half:]
    G_s, G_c = grad_output[..., :half], grad_output[..., half:]
    return ((G_s * cos - G_c * sin) * cache.frequencies).sum(axis=-1)


def sinusoidal_embedding(
    t: np.ndarray, dim: int, scale: float = 1.0, max_period: float = 10000.0
) -> np.ndarray:
    """The embedding alone, without a cache: [sin θ, cos θ], θ = scale · t · ω (..., dim)."""
    return sinusoidal_embedding_forward(np.asarray(t), dim, scale, max_period)[0]
