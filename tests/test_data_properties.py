"""Property tests of minitorch.utils.data: batch partitions, splits, concatenation, collation."""

from __future__ import annotations

import math
import warnings
from collections import namedtuple

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from minitorch.utils.data import (
    BatchedSamples,
    ConcatDataset,
    DataLoader,
    Dataset,
    TensorDataset,
    default_collate,
    random_split,
)


class LabelsOnly(Dataset):
    """Per-sample dataset (no ``__getitems__``) whose sample i is (i as float32 row, i)."""

    def __init__(self, n: int):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, index):
        return np.array([index], dtype=np.float32), index


@given(
    n=st.integers(0, 60),
    batch_size=st.integers(1, 70),
    shuffle=st.booleans(),
    drop_last=st.booleans(),
    batched_fetch=st.booleans(),
    own_collate=st.booleans(),
    seed=st.integers(0, 2**32 - 1),
)
def test_loader_batches_partition_the_dataset(
    n, batch_size, shuffle, drop_last, batched_fetch, own_collate, seed
):
    if batched_fetch:
        dataset = TensorDataset(np.arange(n, dtype=np.float32)[:, None], np.arange(n))
    else:
        dataset = LabelsOnly(n)
    loader = DataLoader(
        dataset,
        batch_size=batch_size,
        shuffle=shuffle,
        drop_last=drop_last,
        # A collate_fn of one's own reads the samples one by one, whichever way they were fetched.
        collate_fn=(lambda samples: default_collate(list(samples))) if own_collate else None,
        generator=np.random.default_rng(seed),
    )
    batches = list(loader)
    full, rest = divmod(n, batch_size)
    expected_sizes = [batch_size] * full + ([rest] if rest and not drop_last else [])
    assert len(loader) == len(batches)
    assert [len(labels) for _, labels in batches] == expected_sizes
    for inputs, labels in batches:
        assert inputs.shape == (len(labels), 1)
        np.testing.assert_array_equal(inputs[:, 0], labels)  # inputs and labels stay paired
    labels = np.concatenate([labels for _, labels in batches]) if batches else np.zeros(0, int)
    assert np.unique(labels).size == labels.size  # no sample twice in one epoch
    assert set(labels.tolist()) <= set(range(n))
    if not drop_last:
        np.testing.assert_array_equal(np.sort(labels), np.arange(n))  # every sample once
    if not shuffle:
        np.testing.assert_array_equal(labels, np.arange(labels.size))  # in order


@given(
    n=st.integers(0, 200),
    weights=st.lists(st.integers(0, 20), min_size=1, max_size=6).filter(lambda w: sum(w) > 0),
    seed=st.integers(0, 2**32 - 1),
)
def test_random_split_fractions_give_disjoint_cover_with_floor_plus_round_robin(n, weights, seed):
    total_weight = sum(weights)
    fractions = [w / total_weight for w in weights]
    dataset = TensorDataset(np.arange(n))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # empty splits warn; not the point here
        splits = random_split(dataset, fractions, generator=np.random.default_rng(seed))
    lengths = [len(split) for split in splits]
    floors = [math.floor(n * f) for f in fractions]
    remainder = n - sum(floors)
    assert sum(lengths) == n
    assert lengths == [floor + (k < remainder) for k, floor in enumerate(floors)]
    indices = np.concatenate([split.indices for split in splits])
    np.testing.assert_array_equal(np.sort(indices), np.arange(n))


@given(
    sizes=st.lists(st.integers(0, 8), min_size=1, max_size=5).filter(lambda s: sum(s) > 0),
    data=st.data(),
)
def test_concat_getitems_matches_concatenated_arrays(sizes, data):
    parts, offset = [], 0
    for size in sizes:
        values = np.arange(offset, offset + size)
        parts.append(TensorDataset(values * 1.5, values))
        offset += size
    dataset = ConcatDataset(parts)
    total = sum(sizes)
    indices = data.draw(st.lists(st.integers(-total, total - 1), max_size=20))
    samples = dataset.__getitems__(indices)
    assert isinstance(samples, BatchedSamples) and len(samples) == len(indices)
    floats, ints = default_collate(samples)
    expected = np.arange(total)[np.asarray(indices, dtype=np.intp)]
    np.testing.assert_array_equal(ints, expected)
    np.testing.assert_array_equal(floats, expected * 1.5)
    for index, label in zip(indices, expected, strict=True):
        assert dataset[index][1] == label


scalars = st.one_of(st.integers(-(2**31), 2**31), st.floats(allow_nan=False, width=64))


@given(
    rows=st.integers(1, 6).flatmap(
        lambda width: st.lists(
            st.tuples(st.lists(scalars, min_size=width, max_size=width), scalars), min_size=1
        )
    )
)
def test_collate_matches_asarray_field_by_field(rows):
    samples = [(np.asarray(vector), label) for vector, label in rows]
    vectors, labels = default_collate(samples)
    expected_vectors = np.stack([vector for vector, _ in samples])
    expected_labels = np.asarray([label for _, label in samples])
    assert vectors.dtype == expected_vectors.dtype and labels.dtype == expected_labels.dtype
    np.testing.assert_array_equal(vectors, expected_vectors)
    np.testing.assert_array_equal(labels, expected_labels)


class ListFetch(Dataset):
    """A part whose ``__getitems__`` returns a plain list, PyTorch's style; sample i: (1.5 i, i)."""

    def __init__(self, values: np.ndarray):
        self.values = values

    def __len__(self):
        return len(self.values)

    def __getitem__(self, index):
        return float(self.values[index] * 1.5), int(self.values[index])

    def __getitems__(self, indices):
        return [self[int(i)] for i in indices]


@given(
    kinds=st.lists(st.tuples(st.integers(0, 6), st.booleans()), min_size=1, max_size=4).filter(
        lambda parts: sum(size for size, _ in parts) > 0
    ),
    data=st.data(),
)
def test_concat_getitems_returns_the_samples_dataset_getitem_returns(kinds, data):
    parts, offset = [], 0
    for size, as_list in kinds:
        values = np.arange(offset, offset + size)
        parts.append(ListFetch(values) if as_list else TensorDataset(values * 1.5, values))
        offset += size
    dataset = ConcatDataset(parts)
    total = len(dataset)
    indices = data.draw(st.lists(st.integers(-total, total - 1), max_size=20))
    samples = dataset.__getitems__(indices)
    assert len(samples) == len(indices)
    for sample, index in zip(samples, indices, strict=True):
        assert tuple(sample) == tuple(dataset[index])
    if indices:
        floats, ints = default_collate(samples)
        np.testing.assert_array_equal(ints, np.arange(total)[np.asarray(indices)])
        np.testing.assert_array_equal(floats, 1.5 * ints)


Pair = namedtuple("Pair", ["a", "b"])

_DTYPES = st.sampled_from(
    [np.bool_, np.uint8, np.int32, np.int64, np.float32, np.float64, np.complex64, np.str_]
)


@st.composite
def batches(draw, rows: int, depth: int = 0):
    """A batch of ``rows`` samples: an array, or a tuple, namedtuple, list or dict of batches."""
    kind = draw(
        st.sampled_from(["array"] * 3 + (["tuple", "pair", "list", "dict"] if depth < 2 else []))
    )
    if kind == "array":
        shape = (rows, *draw(st.lists(st.integers(1, 3), max_size=2)))
        dtype = draw(_DTYPES)
        values = draw(st.integers(0, 2**16)) + np.arange(int(np.prod(shape))).reshape(shape)
        return values.astype(dtype)
    if kind == "pair":
        return Pair(draw(batches(rows, depth + 1)), draw(batches(rows, depth + 1)))
    fields = draw(st.lists(batches(rows, depth + 1), min_size=1, max_size=3))
    if kind == "dict":
        return {f"f{k}": field for k, field in enumerate(fields)}
    return tuple(fields) if kind == "tuple" else fields


def _assert_same(ours, theirs):
    assert type(ours) is type(theirs)
    if isinstance(theirs, dict):
        assert list(ours) == list(theirs)
        for key in theirs:
            _assert_same(ours[key], theirs[key])
    elif isinstance(theirs, (tuple, list)):
        assert len(ours) == len(theirs)
        for mine, other in zip(ours, theirs, strict=True):
            _assert_same(mine, other)
    else:
        assert ours.dtype == theirs.dtype
        np.testing.assert_array_equal(ours, theirs)


@given(data=st.data(), rows=st.integers(1, 5))
def test_collating_batched_samples_equals_collating_them_one_by_one(data, rows):
    batch = data.draw(batches(rows))
    samples = BatchedSamples(batch)
    assert len(samples) == rows
    one_by_one = default_collate(list(samples))
    _assert_same(default_collate(samples), one_by_one)
