"""minitorch.utils.data against torch.utils.data: split lengths, loader lengths, unshuffled batches.

Only quantities both libraries define the same way are compared: the lengths random_split computes
from fractions (not the permutation: the generators differ), len(DataLoader), and the batches of
an unshuffled loader over a TensorDataset.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from minitorch.utils.data import DataLoader, TensorDataset, random_split

torch = pytest.importorskip("torch")
torch_data = pytest.importorskip("torch.utils.data")

pytestmark = pytest.mark.parity

FRACTION_CASES = [
    [0.5, 0.5],
    [0.8, 0.2],
    [0.7, 0.2, 0.1],
    [0.3, 0.3, 0.4],
    [0.25, 0.25, 0.25, 0.25],
    [0.1] * 10,
    [1 / 3, 1 / 3, 1 / 3],
    [0.6, 0.4],
    [0.05, 0.15, 0.8],
    [1.0],
    [0.0, 1.0],
]


def _random_fraction_cases(count: int) -> list[list[float]]:
    rng = np.random.default_rng(2024)
    cases = []
    while len(cases) < count:
        weights = rng.random(rng.integers(2, 7))
        fractions = (weights / weights.sum()).tolist()
        # PyTorch reads lengths as fractions only when their float sum is <= 1 (and close to 1).
        if sum(fractions) <= 1:
            cases.append(fractions)
    return cases


@pytest.mark.parametrize("fractions", FRACTION_CASES + _random_fraction_cases(15))
def test_random_split_fraction_lengths_match_torch(fractions):
    for n in (0, 1, 2, 3, 7, 10, 11, 99, 100, 101, 1000, 60001):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # both warn about empty splits
            ours = [len(split) for split in random_split(TensorDataset(np.arange(n)), fractions)]
            theirs = [
                len(split)
                for split in torch_data.random_split(
                    range(n), fractions, generator=torch.Generator().manual_seed(0)
                )
            ]
        assert ours == theirs, f"n={n}, fractions={fractions}"


def test_random_split_empty_split_warns_like_torch():
    with pytest.warns(UserWarning) as ours:
        random_split(TensorDataset(np.arange(2)), [0.5, 0.4, 0.1])
    with pytest.warns(UserWarning) as theirs:
        torch_data.random_split(range(2), [0.5, 0.4, 0.1])
    # floors [1, 0, 0], one left over -> [2, 0, 0]: splits 1 and 2 are empty, and both say so.
    assert len(ours) == len(theirs) == 2
    assert ["split 1 is empty" in str(w.message) for w in ours] == [True, False]
    assert ["index 1 is 0" in str(w.message) for w in theirs] == [True, False]


@pytest.mark.parametrize("drop_last", [False, True])
def test_loader_len_matches_torch(drop_last):
    for n in range(0, 40):
        for batch_size in (1, 2, 3, 5, 8, 13, 39, 40, 64):
            ours = DataLoader(
                TensorDataset(np.arange(n)), batch_size=batch_size, drop_last=drop_last
            )
            theirs = torch_data.DataLoader(
                torch_data.TensorDataset(torch.arange(n)),
                batch_size=batch_size,
                drop_last=drop_last,
            )
            assert len(ours) == len(theirs), f"n={n}, batch_size={batch_size}"
            expected = n // batch_size if drop_last else math.ceil(n / batch_size)
            assert len(ours) == expected


@pytest.mark.parametrize(
    ("n", "batch_size", "drop_last"), [(23, 5, False), (23, 5, True), (8, 8, False)]
)
def test_unshuffled_batches_match_torch(n, batch_size, drop_last):
    rng = np.random.default_rng(7)
    X = rng.standard_normal((n, 4))
    y = rng.integers(0, 3, n)
    ours = list(DataLoader(TensorDataset(X, y), batch_size=batch_size, drop_last=drop_last))
    theirs = list(
        torch_data.DataLoader(
            torch_data.TensorDataset(torch.from_numpy(X), torch.from_numpy(y)),
            batch_size=batch_size,
            drop_last=drop_last,
        )
    )
    assert len(ours) == len(theirs)
    for (x_ours, y_ours), (x_theirs, y_theirs) in zip(ours, theirs, strict=True):
        np.testing.assert_array_equal(x_ours, x_theirs.numpy())
        np.testing.assert_array_equal(y_ours, y_theirs.numpy())
        assert x_ours.dtype == x_theirs.numpy().dtype and y_ours.dtype == y_theirs.numpy().dtype
