"""minitorch.utils.data against torch.utils.data: split lengths, loader lengths, batches, and
minitorch's datasets inside PyTorch's DataLoader.

Only quantities both libraries define the same way are compared: the lengths random_split computes
from fractions (not the permutation: the generators differ), len(DataLoader), the batches of an
unshuffled loader over a TensorDataset, and what a collate_fn receives. minitorch's datasets must
also work unchanged inside ``torch.utils.data.DataLoader``: PyTorch calls ``__getitems__`` for a
batch and applies its collate_fn to what it returns, which it reads as a list of samples.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from minitorch.datasets import Digits, MNIST5k, get_dataset
from minitorch.utils.data import (
    BatchedSamples,
    ConcatDataset,
    DataLoader,
    Dataset,
    Subset,
    TensorDataset,
    default_collate,
    random_split,
)

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


# ----------------------------------------------------------------------------------------------
# minitorch's datasets inside torch.utils.data.DataLoader
# ----------------------------------------------------------------------------------------------


def _indexed_arrays(n: int, features: int = 3, dtype=np.float32):
    """Row i of X is [10 i, 10 i + 1, ...] and y[i] = i, so every sample says which it is."""
    X = (np.arange(n)[:, None] * 10 + np.arange(features)).astype(dtype)
    return X, np.arange(n, dtype=np.int64)


class OneByOne(Dataset):
    """No __getitems__: both DataLoaders fetch sample by sample. Sample i is (row, int, float)."""

    def __init__(self, n: int):
        self.X, _ = _indexed_arrays(n)

    def __len__(self):
        return len(self.X)

    def __getitem__(self, index):
        return self.X[index], int(index), float(index) / 2


class ListFetch(Dataset):
    """The samples of ``dataset``, with a batched fetch in PyTorch's style: a plain list."""

    def __init__(self, dataset):
        self.dataset = dataset

    def __len__(self):
        return len(self.dataset)

    def __getitem__(self, index):
        return self.dataset[index]

    def __getitems__(self, indices):
        return [self.dataset[int(i)] for i in indices]


def _images(n: int):
    rng = np.random.default_rng(n)
    images = rng.standard_normal((n, 1, 4, 4)).astype(np.float32)
    return TensorDataset(images, np.arange(n), rng.random(n))  # float32, int64, float64


# name -> a function building the dataset (built inside the test, so a failure names its case).
DATASETS = {
    "TensorDataset(X, y)": lambda: TensorDataset(*_indexed_arrays(37)),
    "TensorDataset(X)": lambda: TensorDataset(_indexed_arrays(20, dtype=np.float64)[0]),
    "TensorDataset(images, y, w)": lambda: _images(25),
    "Subset": lambda: Subset(TensorDataset(*_indexed_arrays(40)), np.arange(40)[::-2]),
    "random_split": lambda: random_split(
        TensorDataset(*_indexed_arrays(50)), [0.6, 0.4], generator=np.random.default_rng(0)
    )[0],
    "ConcatDataset, an empty part": lambda: ConcatDataset(
        [TensorDataset(*_indexed_arrays(n)) for n in (9, 0, 14)]
    ),
    "dataset + dataset": lambda: _images(5) + _images(8),
    "ConcatDataset, a part fetching lists": lambda: ConcatDataset(
        [TensorDataset(*_indexed_arrays(9)), ListFetch(TensorDataset(*_indexed_arrays(6)))]
    ),
    "ConcatDataset, a part without __getitems__": lambda: ConcatDataset(
        [TensorDataset(*_indexed_arrays(9)), list(TensorDataset(*_indexed_arrays(6)))]
    ),
    "Subset of a per-sample dataset": lambda: Subset(OneByOne(30), np.arange(29, -1, -1)),
    "per-sample dataset": lambda: OneByOne(17),
    "list of samples": lambda: ListFetch(OneByOne(23)),
    "Digits": lambda: Digits(train=False),
    "MNIST5k, flattened": lambda: MNIST5k(train=False, flatten=True),
    "moons": lambda: get_dataset("moons", seed=0, n_samples=100)[0],
    "sine (regression)": lambda: get_dataset("sine", seed=0, n_samples=60)[1],
}


def _torch_loader(dataset, batch_size, shuffle, drop_last=False, collate_fn=None, seed=7):
    kwargs = {} if collate_fn is None else {"collate_fn": collate_fn}
    return torch_data.DataLoader(
        dataset,
        batch_size=batch_size,
        shuffle=shuffle,
        drop_last=drop_last,
        generator=torch.Generator().manual_seed(seed),
        **kwargs,
    )


def _as_numpy(batch):
    """A torch batch with its tensors as arrays; PyTorch's lists of fields become tuples."""
    if isinstance(batch, torch.Tensor):
        return batch.numpy()
    if isinstance(batch, dict):
        return {key: _as_numpy(value) for key, value in batch.items()}
    if isinstance(batch, (tuple, list)):
        return tuple(_as_numpy(value) for value in batch)
    return batch


def _assert_same(ours, theirs, where="batch"):
    if isinstance(theirs, dict):
        assert list(ours) == list(theirs), where
        for key in theirs:
            _assert_same(ours[key], theirs[key], f"{where}[{key!r}]")
    elif isinstance(theirs, tuple):
        assert isinstance(ours, (tuple, list)) and len(ours) == len(theirs), where
        for k, (mine, other) in enumerate(zip(ours, theirs, strict=True)):
            _assert_same(mine, other, f"{where}[{k}]")
    else:
        assert np.asarray(ours).dtype == np.asarray(theirs).dtype, where
        np.testing.assert_array_equal(ours, theirs, err_msg=where)


@pytest.mark.parametrize("name", list(DATASETS))
@pytest.mark.parametrize(
    ("batch_size", "shuffle", "drop_last"),
    [(8, False, False), (8, True, False), (5, True, True), (1, True, False)],
)
def test_minitorch_datasets_work_unchanged_in_torch_dataloader(
    name, batch_size, shuffle, drop_last
):
    dataset = DATASETS[name]()
    n = len(dataset)
    # A loader over 0..n-1 with the same settings and seed draws the same order (the generator
    # is used the same way), which tells which samples each batch must hold.
    orders = list(_torch_loader(list(range(n)), batch_size, shuffle, drop_last))
    batches = list(_torch_loader(dataset, batch_size, shuffle, drop_last))
    assert len(batches) == len(orders) == len(DataLoader(dataset, batch_size, drop_last=drop_last))
    for order, batch in zip(orders, batches, strict=True):
        expected = default_collate([dataset[i] for i in order.tolist()])
        _assert_same(_as_numpy(batch), expected)
    if not shuffle:  # minitorch's own loader gives the same batches
        ours = list(DataLoader(dataset, batch_size=batch_size, drop_last=drop_last))
        for mine, batch in zip(ours, batches, strict=True):
            _assert_same(_as_numpy(batch), mine)


@pytest.mark.parametrize("name", list(DATASETS))
def test_collate_fn_receives_the_same_samples_in_both_loaders(name):
    dataset = DATASETS[name]()
    received = {"torch": [], "minitorch": []}

    def recorder(key):
        def collate(samples):
            received[key].append(samples)
            return len(samples)

        return collate

    ours = list(DataLoader(dataset, batch_size=6, collate_fn=recorder("minitorch")))
    theirs = list(_torch_loader(dataset, 6, shuffle=False, collate_fn=recorder("torch")))
    assert ours == theirs  # the batch sizes
    for mine, other in zip(received["minitorch"], received["torch"], strict=True):
        # What __getitems__ returned (a BatchedSamples, a list), or the list of dataset[i].
        assert type(mine) is type(other)
        for sample_a, sample_b in zip(mine, other, strict=True):
            _assert_same(tuple(sample_a), tuple(sample_b))


class RecordingTensorDataset(TensorDataset):
    """A TensorDataset that keeps what its __getitems__ returned."""

    def __init__(self, *arrays):
        super().__init__(*arrays)
        self.returned = []

    def __getitems__(self, indices):
        samples = super().__getitems__(indices)
        self.returned.append(samples)
        return samples


@pytest.mark.parametrize("loader", ["minitorch", "torch"])
@pytest.mark.parametrize("wrap", [lambda ds: ds, lambda ds: Subset(ds, np.arange(len(ds)))])
def test_collate_fn_is_applied_to_what_getitems_returns(loader, wrap):
    # torch/utils/data/_utils/fetch.py: data = dataset.__getitems__(idx); return collate_fn(data)
    root = RecordingTensorDataset(*_indexed_arrays(10))
    received = []
    collate = received.append
    if loader == "minitorch":
        list(DataLoader(wrap(root), batch_size=4, collate_fn=collate))
    else:
        list(_torch_loader(wrap(root), 4, shuffle=False, collate_fn=collate))
    assert len(received) == len(root.returned) == 3
    assert all(mine is theirs for mine, theirs in zip(received, root.returned, strict=True))
    assert all(isinstance(samples, BatchedSamples) for samples in received)


def test_torch_wrappers_around_minitorch_datasets():
    X, y = _indexed_arrays(30)
    dataset = TensorDataset(X, y)
    torch_subset = torch_data.random_split(dataset, [20, 10], generator=torch.Generator())[0]
    stack = torch_data.StackDataset(dataset, _images(30))
    concat = torch_data.ConcatDataset([dataset, TensorDataset(*_indexed_arrays(4))])
    for wrapped in (torch_subset, stack, concat):
        for order, batch in zip(
            _torch_loader(list(range(len(wrapped))), 7, shuffle=True),
            _torch_loader(wrapped, 7, shuffle=True),
            strict=True,
        ):
            expected = default_collate([wrapped[i] for i in order.tolist()])
            _assert_same(_as_numpy(batch), expected)


@pytest.mark.parametrize("name", list(DATASETS))
def test_torch_default_collate_reads_getitems_as_a_list_of_samples(name):
    dataset = DATASETS[name]()
    if not hasattr(dataset, "__getitems__"):
        # PyTorch's fetcher asks hasattr(dataset, "__getitems__") too, then reads dataset[i].
        assert not callable(getattr(dataset, "__getitems__", None))
        return
    indices = [3, 0, 2]
    samples = dataset.__getitems__(indices)
    assert isinstance(samples, (BatchedSamples, list)) and len(samples) == 3
    _assert_same(
        _as_numpy(torch_data.default_collate(samples)),
        _as_numpy(torch_data.default_collate([dataset[i] for i in indices])),
    )
