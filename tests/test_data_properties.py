"""Property tests of minitorch.utils.data: batch partitions, splits, concatenation, collation."""

from __future__ import annotations

import math
import warnings

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from minitorch.utils.data import (
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
    seed=st.integers(0, 2**32 - 1),
)
def test_loader_batches_partition_the_dataset(
    n, batch_size, shuffle, drop_last, batched_fetch, seed
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
    floats, ints = dataset.__getitems__(indices)
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
