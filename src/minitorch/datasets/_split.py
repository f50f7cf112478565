"""A fixed, stratified train/test split that comes out the same on every machine.

The split must not depend on :func:`minitorch.manual_seed` (otherwise a student who reseeds between
building the training set and the test set would get overlapping sets), nor on the NumPy version.
NumPy promises that a *bit generator* such as PCG64 produces the same raw 64-bit stream forever,
but it does not promise that ``Generator.permutation`` or ``shuffle`` keep their algorithm. So each
sample gets random 64-bit keys straight from ``PCG64(seed).random_raw`` and every permutation is
"sort by key", which only depends on that stable stream.
"""

from __future__ import annotations

import math
from numbers import Real

import numpy as np

__all__ = ["DEFAULT_TEST_FRACTION", "SPLIT_SEED", "train_test_indices"]

DEFAULT_TEST_FRACTION = 0.2
"""Share of every data set held out for testing, unless asked otherwise."""

SPLIT_SEED = 0
"""Seed of the fixed train/test split (independent of minitorch's global generator)."""


def check_test_fraction(test_fraction: object, owner: str) -> float:
    """``test_fraction`` as a float strictly between 0 and 1, or an error that says so."""
    if isinstance(test_fraction, bool) or not isinstance(test_fraction, Real):
        raise TypeError(
            f"{owner}: test_fraction must be a number between 0 and 1 (e.g. 0.2), "
            f"got {type(test_fraction).__name__}"
        )
    value = float(test_fraction)
    if not (math.isfinite(value) and 0.0 < value < 1.0):
        raise ValueError(
            f"{owner}: test_fraction must lie strictly between 0 and 1 (e.g. 0.2 keeps 20% of "
            f"the samples for testing), got {test_fraction}"
        )
    return value


def check_split_seed(split_seed: object, owner: str) -> int:
    """``split_seed`` as a non-negative int, or an error that says so."""
    if isinstance(split_seed, bool) or not isinstance(split_seed, (int, np.integer)):
        raise TypeError(f"{owner}: split_seed must be an int, got {type(split_seed).__name__}")
    if split_seed < 0:
        raise ValueError(f"{owner}: split_seed must be non-negative, got {split_seed}")
    return int(split_seed)


def train_test_indices(
    n_samples: int,
    test_fraction: float = DEFAULT_TEST_FRACTION,
    split_seed: int = SPLIT_SEED,
    labels: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Indices of a reproducible train/test split, stratified by ``labels`` when given.

    Parameters
    ----------
    n_samples : int
        Number of samples ``N`` to split.
    test_fraction : float
        Share of the samples put in the test set, strictly between 0 and 1.
    split_seed : int
        Seed of the split; the same seed gives the same split on any machine.
    labels : ndarray of int, shape (N,), optional
        Class of each sample. When given, class ``c`` with ``n_c`` samples puts
        ``round(test_fraction * n_c)`` of them in the test set, so both sets keep the class
        proportions of the whole. Without labels the split is simply random.

    Returns
    -------
    train_idx, test_idx : ndarray of intp
        Disjoint indices that together cover ``0 .. N-1``, each in a random (but fixed) order,
        so a data set stored sorted by class does not come out sorted.
    """
    test_fraction = check_test_fraction(test_fraction, "train_test_indices")
    groups = np.zeros(n_samples, dtype=np.intp) if labels is None else np.asarray(labels)
    bit_generator = np.random.PCG64(split_seed)
    keys = bit_generator.random_raw(n_samples)  # decide which samples go to the test set
    order_keys = bit_generator.random_raw(n_samples)  # decide the order within each set

    # Sort by class, then by key: each class becomes one contiguous, randomly ordered run, and
    # the first round(test_fraction * n_c) samples of each run go to the test set.
    order = np.lexsort((keys, groups))
    _, class_of_sorted, class_sizes = np.unique(
        groups[order], return_inverse=True, return_counts=True
    )
    class_starts = np.cumsum(class_sizes) - class_sizes
    rank_in_class = np.arange(n_samples) - class_starts[class_of_sorted]
    test_per_class = np.floor(class_sizes * test_fraction + 0.5).astype(np.intp)
    in_test = rank_in_class < test_per_class[class_of_sorted]

    n_test = int(in_test.sum())
    if n_test == 0 or n_test == n_samples:
        empty = "test" if n_test == 0 else "training"
        raise ValueError(
            f"train_test_indices: test_fraction={test_fraction} leaves the {empty} set empty "
            f"for {n_samples} samples; use more samples or a test_fraction nearer 0.5"
        )
    test_idx, train_idx = order[in_test], order[~in_test]
    # Undo the grouping by class with fresh keys: ordering by `keys` again would put first the
    # classes whose selected keys happen to be smallest.
    test_idx = test_idx[np.argsort(order_keys[test_idx], kind="stable")]
    train_idx = train_idx[np.argsort(order_keys[train_idx], kind="stable")]
    return train_idx, test_idx
