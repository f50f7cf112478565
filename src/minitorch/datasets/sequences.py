"""Synthetic long-range sequence tasks: what a recurrent network must remember across T steps.

- :func:`make_adding_problem`: Hochreiter & Schmidhuber's adding problem (1997), in the form
  of Le, Jaitly & Hinton (2015) and Arjovsky et al. (2016): T random numbers, two of them
  marked, the target their sum (a regression; predicting the mean 1.0 always gives an MSE of
  1/6 ≈ 0.167, the score to beat).
- :func:`make_copy_task`: a symbol shown at the first step, then T − 1 blanks; the target is
  that symbol (a classification; chance is 1 / n_symbols).

Both draw from minitorch's global generator by default (``seed=None``, so that
:func:`minitorch.manual_seed` makes them reproducible), or from ``seed`` (an int or a
``numpy.random.Generator``). Inputs are batch-first, ``(N, T, ...)``, as
``nn.LSTM(..., batch_first=True)`` reads them. Vectorised: no loop over samples.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .synthetic import _check_int, as_generator

__all__ = ["make_adding_problem", "make_copy_task"]


def make_adding_problem(
    n_samples: int, seq_len: int, seed: Any = None
) -> tuple[np.ndarray, np.ndarray]:
    """The adding problem: sum the two marked numbers of a sequence of ``seq_len``.

    Each sequence has T = ``seq_len`` steps of two features: a value drawn U(0, 1) and a
    marker, 1 at exactly two steps (one drawn uniformly from the first half, ``0 <= a < T//2``,
    one from the second, ``T//2 <= b < T``) and 0 elsewhere. The target is the sum of the two
    marked values. The network sees the second marker late and the first up to T steps before
    the end, so it must carry a number across up to T steps.

    Parameters
    ----------
    n_samples : int
        N, the number of sequences (>= 1).
    seq_len : int
        T, the steps of each (>= 2: one marker in each half).
    seed : int, numpy.random.Generator or None
        Where the random numbers come from (default: minitorch's global generator).

    Returns
    -------
    X : ndarray of float32, shape (N, T, 2)
        ``X[..., 0]`` the values, ``X[..., 1]`` the markers.
    y : ndarray of float32, shape (N, 1)
        ``X[n, a, 0] + X[n, b, 0]``, the shape ``MSELoss`` compares a prediction with.

    Examples
    --------
    >>> X, y = make_adding_problem(4, 50, seed=0)
    >>> X.shape, y.shape, X[..., 1].sum(axis=1)
    ((4, 50, 2), (4, 1), array([2., 2., 2., 2.], dtype=float32))
    """
    owner = "make_adding_problem"
    N = _check_int(n_samples, "n_samples", 1, owner)
    T = _check_int(seq_len, "seq_len", 2, owner)
    rng = as_generator(seed, owner)
    values = rng.random((N, T))
    half = T // 2
    first = rng.integers(0, half, N)
    second = rng.integers(half, T, N)
    rows = np.arange(N)
    markers = np.zeros((N, T))
    markers[rows, first] = 1.0
    markers[rows, second] = 1.0
    X = np.stack([values, markers], axis=-1).astype(np.float32)
    y = (X[rows, first, 0] + X[rows, second, 0])[:, None]  # the float32 values, summed
    return X, y.astype(np.float32)


def make_copy_task(
    n_samples: int, seq_len: int, n_symbols: int = 8, seed: Any = None
) -> tuple[np.ndarray, np.ndarray]:
    """Remember a symbol for ``seq_len`` steps: the first step shows it, the rest are blank.

    Each sequence is T = ``seq_len`` token ids: ``X[n, 0]`` a symbol drawn uniformly from
    ``0 .. n_symbols − 1``, then T − 1 blanks, the id ``n_symbols`` (so an ``nn.Embedding``
    of ``n_symbols + 1`` rows reads them). The target is the symbol: the network answers at
    the last step, T − 1 steps after it saw it.

    Parameters
    ----------
    n_samples : int
        N, the number of sequences (>= 1).
    seq_len : int
        T, the steps of each (>= 1).
    n_symbols : int
        How many symbols to tell apart (>= 2; default 8, chance 1/8).
    seed : int, numpy.random.Generator or None
        Where the random numbers come from (default: minitorch's global generator).

    Returns
    -------
    X : ndarray of int64, shape (N, T)
        Token ids, ``n_symbols`` (the blank) after the first step.
    y : ndarray of int64, shape (N,)
        ``X[:, 0]``, the class ``CrossEntropyLoss`` compares the last step's logits with.

    Examples
    --------
    >>> X, y = make_copy_task(3, 5, n_symbols=4, seed=0)
    >>> X.shape, y.shape, bool((X[:, 1:] == 4).all()), bool((y == X[:, 0]).all())
    ((3, 5), (3,), True, True)
    """
    owner = "make_copy_task"
    N = _check_int(n_samples, "n_samples", 1, owner)
    T = _check_int(seq_len, "seq_len", 1, owner)
    K = _check_int(n_symbols, "n_symbols", 2, owner)
    rng = as_generator(seed, owner)
    y = rng.integers(0, K, N).astype(np.int64)
    X = np.full((N, T), K, dtype=np.int64)
    X[:, 0] = y
    return X, y
