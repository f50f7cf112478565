"""Small seeded toy problems in 2-D (and 1-D regression) for trying out networks quickly.

Every generator returns ``(X, y)``: inputs ``X`` float32 of shape ``(N, 2)`` (``(N, 1)`` for
:func:`make_sine`), and targets ``y`` either int64 class indices of shape ``(N,)`` or, for
regression, float32 values of shape ``(N, 1)`` (the shape ``MSELoss`` compares predictions with).

All of them take

- ``n_samples``: how many points in total (classes get equal shares, the first classes one more
  when it does not divide evenly);
- ``noise``: the standard deviation of the Gaussian noise, in the units the docstring names;
- ``seed``: an int, a ``numpy.random.Generator``, or ``None`` (the default) to draw from
  minitorch's global generator, so that :func:`minitorch.manual_seed` makes them reproducible.

Each draws its random numbers in a fixed order whatever ``noise`` is, so with the same seed
``make_moons(noise=0.0)`` gives the clean curve and ``make_moons(noise=0.1)`` the very same points
moved by ``0.1`` times the same standard normal draws. Everything is vectorised: no Python loop
over samples or classes. Samples come out shuffled (``shuffle=False`` keeps them grouped by
class), so taking "the first 80%" never drops a class.
"""

from __future__ import annotations

import math
from numbers import Real
from typing import Any

import numpy as np

from .. import _state

__all__ = [
    "make_blobs",
    "make_circles",
    "make_moons",
    "make_sine",
    "make_spiral",
    "make_xor",
]


# ----------------------------------------------------------------------------------------------
# Argument checks shared by the generators
# ----------------------------------------------------------------------------------------------


def as_generator(seed: Any, owner: str) -> np.random.Generator:
    """A ``numpy.random.Generator`` from an int, a Generator, or None (the global generator)."""
    if seed is None:
        return _state.generator()
    if isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool):
        if seed < 0:
            raise ValueError(f"{owner}: seed must be a non-negative int, got {seed}")
        return np.random.default_rng(int(seed))
    raise TypeError(
        f"{owner}: seed must be an int, a numpy.random.Generator (np.random.default_rng(0)) or "
        f"None for minitorch's global generator, got {type(seed).__name__}"
    )


def _check_int(value: Any, name: str, minimum: int, owner: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{owner}: {name} must be an int, got {type(value).__name__} {value!r}")
    if value < minimum:
        raise ValueError(f"{owner}: {name} must be at least {minimum}, got {value}")
    return int(value)


def _check_real(value: Any, name: str, owner: str) -> float:
    if isinstance(value, bool) or not isinstance(value, Real):
        raise TypeError(f"{owner}: {name} must be a number, got {type(value).__name__} {value!r}")
    if not math.isfinite(float(value)):
        raise ValueError(f"{owner}: {name} must be finite, got {value}")
    return float(value)


def _check_noise(noise: Any, owner: str) -> float:
    noise = _check_real(noise, "noise", owner)
    if noise < 0:
        raise ValueError(
            f"{owner}: noise is a standard deviation and cannot be negative, got {noise}; "
            "use noise=0.0 for clean data"
        )
    return noise


def _check_samples_per_class(n_samples: int, n_classes: int, owner: str) -> None:
    if n_samples < n_classes:
        raise ValueError(
            f"{owner}: n_samples={n_samples} is fewer than the {n_classes} classes; every class "
            f"needs at least one sample, so use n_samples >= {n_classes}"
        )


def _balanced_labels(n_samples: int, n_classes: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Labels grouped by class, with sizes as equal as possible.

    Returns ``labels`` (N,), the size of each class (K,), and each sample's position within its
    class (N,), ``0 .. size - 1``.
    """
    sizes = np.full(n_classes, n_samples // n_classes)
    sizes[: n_samples % n_classes] += 1
    labels = np.repeat(np.arange(n_classes), sizes)
    starts = np.cumsum(sizes) - sizes
    position = np.arange(n_samples) - starts[labels]
    return labels, sizes, position


def _finish(
    X: np.ndarray, y: np.ndarray, rng: np.random.Generator, shuffle: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Shuffle (the permutation is drawn even when unused, so the stream does not depend on
    ``shuffle``), and give X float32, y int64."""
    permutation = rng.permutation(len(X))
    if shuffle:
        X, y = X[permutation], y[permutation]
    return X.astype(np.float32), y.astype(np.int64)


# ----------------------------------------------------------------------------------------------
# Classification
# ----------------------------------------------------------------------------------------------


def make_spiral(
    n_samples: int = 300,
    n_classes: int = 3,
    noise: float = 0.2,
    seed: int | np.random.Generator | None = None,
    *,
    shuffle: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """Interleaved spiral arms, one per class: the classic CS231n toy problem.

    Sample ``i`` of class ``k`` (of ``K`` classes, ``n_k`` samples each) lies at radius
    ``r = i / (n_k - 1)`` and angle ``t = 2πk / K + 4r + noise · ε``, ``ε ~ N(0, 1)``::

        X = (r sin t, r cos t)

    so each arm turns through 4 radians from the centre to radius 1. As in CS231n the noise
    jitters the angle, so points near the centre barely move and outer points move most. (CS231n
    starts arm ``k`` at angle ``4k``; the arms here start evenly spaced, ``2πk / K``, so any
    number of classes gives arms that do not cross.) No straight line separates the classes.

    Parameters
    ----------
    n_samples : int
        Total number of points, at least ``n_classes`` (default 300: 100 per arm).
    n_classes : int
        Number of arms (classes), at least 2.
    noise : float
        Standard deviation of the angle noise, in radians (default 0.2, as in CS231n).
    seed : int, numpy.random.Generator or None
        Source of randomness; ``None`` draws from minitorch's global generator.
    shuffle : bool
        Shuffle the samples (default); ``False`` leaves them grouped by class, inner to outer.

    Returns
    -------
    X : ndarray of float32, shape (n_samples, 2)
    y : ndarray of int64, shape (n_samples,)
        The arm, ``0 .. n_classes - 1``.
    """
    owner = "make_spiral"
    n_classes = _check_int(n_classes, "n_classes", 2, owner)
    n_samples = _check_int(n_samples, "n_samples", 1, owner)
    _check_samples_per_class(n_samples, n_classes, owner)
    noise = _check_noise(noise, owner)
    rng = as_generator(seed, owner)

    y, sizes, position = _balanced_labels(n_samples, n_classes)
    radius = position / np.maximum(sizes[y] - 1, 1)
    angle = 2 * np.pi * y / n_classes + 4.0 * radius + noise * rng.standard_normal(n_samples)
    X = np.stack([radius * np.sin(angle), radius * np.cos(angle)], axis=1)
    return _finish(X, y, rng, shuffle)


def make_moons(
    n_samples: int = 300,
    noise: float = 0.1,
    seed: int | np.random.Generator | None = None,
    *,
    shuffle: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles (as scikit-learn's ``make_moons``).

    Class 0 lies on the upper half of the unit circle, ``(cos s, sin s)``; class 1 on the lower
    half circle ``(1 - cos s, 0.5 - sin s)``, with ``s`` evenly spaced in ``[0, π]``. Then
    Gaussian noise of standard deviation ``noise`` is added to both coordinates.

    Parameters
    ----------
    n_samples : int
        Total number of points, at least 2 (class 0 gets the extra one when it is odd).
    noise : float
        Standard deviation of the noise added to each coordinate (default 0.1).
    seed : int, numpy.random.Generator or None
        Source of randomness; ``None`` draws from minitorch's global generator.
    shuffle : bool
        Shuffle the samples (default); ``False`` leaves them grouped by class.

    Returns
    -------
    X : ndarray of float32, shape (n_samples, 2)
    y : ndarray of int64, shape (n_samples,)
        0 for the upper moon, 1 for the lower one.
    """
    owner = "make_moons"
    n_samples = _check_int(n_samples, "n_samples", 2, owner)
    noise = _check_noise(noise, owner)
    rng = as_generator(seed, owner)

    y, sizes, position = _balanced_labels(n_samples, 2)
    s = np.pi * position / np.maximum(sizes[y] - 1, 1)
    upper = np.stack([np.cos(s), np.sin(s)], axis=1)
    lower = np.stack([1.0 - np.cos(s), 0.5 - np.sin(s)], axis=1)
    X = np.where((y == 0)[:, None], upper, lower)
    X += noise * rng.standard_normal(X.shape)
    return _finish(X, y, rng, shuffle)


def make_circles(
    n_samples: int = 300,
    noise: float = 0.05,
    factor: float = 0.5,
    seed: int | np.random.Generator | None = None,
    *,
    shuffle: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """A small circle inside a large one (as scikit-learn's ``make_circles``).

    Class 0 lies on the unit circle, class 1 on the circle of radius ``factor``; the angles of
    each class are evenly spaced around its circle. Gaussian noise of standard deviation
    ``noise`` is then added to both coordinates. Only a non-linear boundary (or a feature such as
    ``x₁² + x₂²``) separates them.

    Parameters
    ----------
    n_samples : int
        Total number of points, at least 2 (the outer circle gets the extra one when it is odd).
    noise : float
        Standard deviation of the noise added to each coordinate (default 0.05).
    factor : float
        Radius of the inner circle relative to the outer one, ``0 <= factor < 1`` (default 0.5).
    seed : int, numpy.random.Generator or None
        Source of randomness; ``None`` draws from minitorch's global generator.
    shuffle : bool
        Shuffle the samples (default); ``False`` leaves them grouped by class.

    Returns
    -------
    X : ndarray of float32, shape (n_samples, 2)
    y : ndarray of int64, shape (n_samples,)
        0 for the outer circle, 1 for the inner one.
    """
    owner = "make_circles"
    n_samples = _check_int(n_samples, "n_samples", 2, owner)
    noise = _check_noise(noise, owner)
    factor = _check_real(factor, "factor", owner)
    if not 0.0 <= factor < 1.0:
        raise ValueError(
            f"{owner}: factor is the inner circle's radius relative to the outer one and must "
            f"satisfy 0 <= factor < 1, got {factor}"
        )
    rng = as_generator(seed, owner)

    y, sizes, position = _balanced_labels(n_samples, 2)
    angle = 2 * np.pi * position / sizes[y]  # endpoint excluded: no point drawn twice
    radius = np.where(y == 0, 1.0, factor)
    X = radius[:, None] * np.stack([np.cos(angle), np.sin(angle)], axis=1)
    X += noise * rng.standard_normal(X.shape)
    return _finish(X, y, rng, shuffle)


def make_xor(
    n_samples: int = 300,
    noise: float = 0.1,
    seed: int | np.random.Generator | None = None,
    *,
    shuffle: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """The XOR problem: the label is 1 when the two coordinates have opposite signs.

    The clean points are uniform in the four quadrants of the square ``[-1, 1]²``, an equal
    number in each (so the classes are balanced); the label is
    ``(x₁ > 0) XOR (x₂ > 0)``, i.e. ``1`` for the second and fourth quadrants. Gaussian noise of
    standard deviation ``noise`` is then added to both coordinates, which pushes some points
    near the axes across them: the noise makes the labels imperfect, as in real data. The
    classic example of a problem no single linear layer can solve.

    Parameters
    ----------
    n_samples : int
        Total number of points, at least 2.
    noise : float
        Standard deviation of the noise added to each coordinate (default 0.1).
    seed : int, numpy.random.Generator or None
        Source of randomness; ``None`` draws from minitorch's global generator.
    shuffle : bool
        Shuffle the samples (default); ``False`` leaves them grouped by class.

    Returns
    -------
    X : ndarray of float32, shape (n_samples, 2)
    y : ndarray of int64, shape (n_samples,)
        ``(x₁ > 0) XOR (x₂ > 0)`` of the clean point.
    """
    owner = "make_xor"
    n_samples = _check_int(n_samples, "n_samples", 2, owner)
    noise = _check_noise(noise, owner)
    rng = as_generator(seed, owner)

    y, _, position = _balanced_labels(n_samples, 2)
    # Class 0 alternates between quadrants (+, +) and (-, -); class 1 between (+, -) and (-, +).
    sign_1 = np.where(position % 2 == 0, 1.0, -1.0)
    sign_2 = np.where(y == 0, sign_1, -sign_1)
    # 1 - uniform[0, 1) lies in (0, 1], so no clean point sits exactly on an axis.
    magnitude = 1.0 - rng.random((n_samples, 2))
    X = magnitude * np.stack([sign_1, sign_2], axis=1)
    X += noise * rng.standard_normal(X.shape)
    return _finish(X, y, rng, shuffle)


def make_blobs(
    n_samples: int = 300,
    n_classes: int | None = None,
    noise: float = 1.0,
    seed: int | np.random.Generator | None = None,
    *,
    centers: Any = None,
    shuffle: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """Gaussian clusters, one per class (as scikit-learn's ``make_blobs``).

    Class ``k`` is drawn from ``N(c_k, noise² I)``. By default the centres ``c_k`` sit evenly on
    a circle of radius 5 in the plane, ``c_k = 5 (cos 2πk/K, sin 2πk/K)``, so the clusters are
    well apart for a few classes and start to overlap as ``K`` or ``noise`` grows. Pass
    ``centers`` to place them yourself, in any number of dimensions.

    Parameters
    ----------
    n_samples : int
        Total number of points, at least the number of classes.
    n_classes : int, optional
        Number of clusters, at least 2 (default 3, or the number of ``centers``).
    noise : float
        Standard deviation of each cluster along every axis (default 1.0).
    seed : int, numpy.random.Generator or None
        Source of randomness; ``None`` draws from minitorch's global generator.
    centers : array_like of shape (K, D), optional
        The cluster centres; then ``X`` has ``D`` columns, and ``n_classes``, if given, must
        be ``K``.
    shuffle : bool
        Shuffle the samples (default); ``False`` leaves them grouped by class.

    Returns
    -------
    X : ndarray of float32, shape (n_samples, D) (D = 2 unless ``centers`` says otherwise)
    y : ndarray of int64, shape (n_samples,)
        The cluster each point was drawn from.
    """
    owner = "make_blobs"
    if n_classes is not None:
        n_classes = _check_int(n_classes, "n_classes", 2, owner)
    if centers is None:
        n_classes = 3 if n_classes is None else n_classes
        angles = 2 * np.pi * np.arange(n_classes) / n_classes
        centre_array = 5.0 * np.stack([np.cos(angles), np.sin(angles)], axis=1)
    else:
        try:
            centre_array = np.asarray(centers, dtype=np.float64)
        except (TypeError, ValueError):
            raise TypeError(
                f"{owner}: centers must be a (K, D) array of numbers, got {centers!r}"
            ) from None
        if centre_array.ndim != 2 or centre_array.shape[0] < 2 or centre_array.shape[1] < 1:
            raise ValueError(
                f"{owner}: centers must have shape (K, D) with at least 2 centres, got "
                f"shape {centre_array.shape}; e.g. centers=[[0, 0], [3, 3]]"
            )
        if not np.all(np.isfinite(centre_array)):
            raise ValueError(f"{owner}: centers must be finite numbers")
        if n_classes is not None and n_classes != centre_array.shape[0]:
            raise ValueError(
                f"{owner}: n_classes={n_classes} disagrees with the {centre_array.shape[0]} "
                "centres given; leave n_classes out when you pass centers"
            )
        n_classes = centre_array.shape[0]
    n_samples = _check_int(n_samples, "n_samples", 1, owner)
    _check_samples_per_class(n_samples, n_classes, owner)
    noise = _check_noise(noise, owner)
    rng = as_generator(seed, owner)

    y, _, _ = _balanced_labels(n_samples, n_classes)
    X = centre_array[y] + noise * rng.standard_normal((n_samples, centre_array.shape[1]))
    return _finish(X, y, rng, shuffle)


# ----------------------------------------------------------------------------------------------
# Regression
# ----------------------------------------------------------------------------------------------


def make_sine(
    n_samples: int = 300,
    noise: float = 0.1,
    seed: int | np.random.Generator | None = None,
    *,
    x_range: tuple[float, float] = (-math.pi, math.pi),
) -> tuple[np.ndarray, np.ndarray]:
    """A noisy sine wave for regression: ``y = sin(x) + noise · ε``, ``ε ~ N(0, 1)``.

    ``x`` is drawn uniformly from ``x_range`` (one full period, ``[-π, π)``, by default), so the
    samples come in random order already.

    Parameters
    ----------
    n_samples : int
        Number of points, at least 1.
    noise : float
        Standard deviation of the noise added to ``y`` (default 0.1).
    seed : int, numpy.random.Generator or None
        Source of randomness; ``None`` draws from minitorch's global generator.
    x_range : (float, float)
        The interval ``[low, high)`` that ``x`` is drawn from.

    Returns
    -------
    X : ndarray of float32, shape (n_samples, 1)
    y : ndarray of float32, shape (n_samples, 1)
        Targets shaped like a one-output network's predictions, as ``MSELoss`` expects.
    """
    owner = "make_sine"
    n_samples = _check_int(n_samples, "n_samples", 1, owner)
    noise = _check_noise(noise, owner)
    if not isinstance(x_range, (tuple, list)) or len(x_range) != 2:
        raise TypeError(f"{owner}: x_range must be a pair (low, high), got {x_range!r}")
    low = _check_real(x_range[0], "x_range[0]", owner)
    high = _check_real(x_range[1], "x_range[1]", owner)
    if not low < high:
        raise ValueError(f"{owner}: x_range=(low, high) needs low < high, got {x_range!r}")
    rng = as_generator(seed, owner)

    x = rng.uniform(low, high, size=(n_samples, 1))
    y = np.sin(x) + noise * rng.standard_normal((n_samples, 1))
    return x.astype(np.float32), y.astype(np.float32)
