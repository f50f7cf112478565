"""Point clouds to learn a density from (generative models), not to classify."""

from __future__ import annotations

import numpy as np

from .synthetic import make_moons

__all__ = ["make_two_moons"]


def make_two_moons(
    n_samples: int = 8000, noise: float = 0.03, seed: int | np.random.Generator | None = 42
) -> np.ndarray:
    """tiny-diffusion's two moons: scikit-learn's ``make_moons`` points, standardised.

    The points of :func:`~minitorch.datasets.make_moons` (two interleaving half circles,
    Gaussian noise of standard deviation ``noise`` added to each coordinate: tiny-diffusion's
    0.03 by default), without their labels, then shifted and scaled so that each coordinate has
    mean 0 and standard deviation 1 over the set::

        X = (P − mean(P)) / std(P)          (per coordinate; P the make_moons points)

    Returns ``X``: float32 of shape (n_samples, 2). The default seed (42, tiny-diffusion's
    ``random_state``) gives the same set every time; ``None`` draws from minitorch's global
    generator.
    """
    points, _ = make_moons(n_samples, noise, seed)
    points = points.astype(np.float64)
    return ((points - points.mean(axis=0)) / points.std(axis=0)).astype(np.float32)
