"""minitorch.utils.data: datasets, random_split, default_collate and DataLoader semantics."""

from __future__ import annotations

from collections import namedtuple

import numpy as np
import pytest

import minitorch
from minitorch.utils.data import (
    ConcatDataset,
    DataLoader,
    Dataset,
    Subset,
    TensorDataset,
    default_collate,
    random_split,
)

# ----------------------------------------------------------------------------------------------
# helpers
# ----------------------------------------------------------------------------------------------


def make_arrays(n: int, features: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """Inputs whose rows encode their index (row i is [i*10, i*10+1, ...]) and labels y[i] = i."""
    X = (np.arange(n, dtype=np.float32)[:, None] * 10 + np.arange(features)).astype(np.float32)
    y = np.arange(n, dtype=np.int64)
    return X, y


class CountingTensorDataset(TensorDataset):
    """A TensorDataset that counts how it is read."""

    def __init__(self, *arrays):
        super().__init__(*arrays)
        self.getitem_calls = 0
        self.getitems_calls = 0

    def __getitem__(self, index):
        self.getitem_calls += 1
        return super().__getitem__(index)

    def __getitems__(self, indices):
        self.getitems_calls += 1
        return super().__getitems__(indices)


class PerSampleDataset(Dataset):
    """A dataset with no batched fetch: samples are (x row, Python int label); records indices."""

    def __init__(self, n: int):
        self.X, _ = make_arrays(n)
        self.seen_index_types: set[type] = set()

    def __len__(self):
        return len(self.X)

    def __getitem__(self, index):
        self.seen_index_types.add(type(index))
        return self.X[index], int(index)


def labels_of_epoch(loader) -> list[np.ndarray]:
    return [np.asarray(batch[1]) for batch in loader]


# ----------------------------------------------------------------------------------------------
# Dataset
# ----------------------------------------------------------------------------------------------


def test_dataset_is_abstract_and_names_the_missing_method():
    class NoLen(Dataset):
        def __getitem__(self, index):
            return index

    with pytest.raises(TypeError, match="__len__"):
        NoLen()

    class NoGetItem(Dataset):
        def __len__(self):
            return 3

    with pytest.raises(TypeError, match="__getitem__"):
        NoGetItem()


def test_dataset_subclass_has_no_batched_fetch_and_add_concatenates():
    a, b = PerSampleDataset(3), PerSampleDataset(2)
    assert not hasattr(a, "__getitems__")
    both = a + b
    assert isinstance(both, ConcatDataset)
    assert len(both) == 5
    assert both[3][1] == 0  # first sample of b
    np.testing.assert_array_equal(both[4][0], b.X[1])


# ----------------------------------------------------------------------------------------------
# TensorDataset
# ----------------------------------------------------------------------------------------------


def test_tensor_dataset_len_getitem_and_attributes():
    X, y = make_arrays(10)
    ds = TensorDataset(X, y)
    assert len(ds) == 10
    assert ds.tensors[0] is X and ds.tensors[1] is y  # no copies
    assert ds.arrays is ds.tensors
    x3, y3 = ds[3]
    np.testing.assert_array_equal(x3, X[3])
    assert y3 == 3
    x_last, y_last = ds[-1]
    np.testing.assert_array_equal(x_last, X[9])
    assert y_last == 9
    assert ds[np.int64(2)][1] == 2
    assert "samples=10" in repr(ds)


def test_tensor_dataset_single_array_and_list_input():
    ds = TensorDataset([[1, 2], [3, 4], [5, 6]])
    assert len(ds) == 3
    (row,) = ds[1]
    np.testing.assert_array_equal(row, [3, 4])


def test_tensor_dataset_getitems_is_fancy_indexing():
    X, y = make_arrays(10)
    ds = TensorDataset(X, y)
    for indices in ([3, 1, 4, 1, 5], np.array([9, 0, -1, -10]), (2,), np.array([7], np.int32)):
        xb, yb = ds.__getitems__(indices)
        np.testing.assert_array_equal(xb, X[np.asarray(indices)])
        np.testing.assert_array_equal(yb, y[np.asarray(indices)])
    xb, yb = ds.__getitems__([])
    assert xb.shape == (0, 3) and yb.shape == (0,)
    assert xb.dtype == X.dtype and yb.dtype == y.dtype


def test_tensor_dataset_rejects_mismatched_first_dimensions():
    with pytest.raises(ValueError, match=r"same first dimension.*\[10, 9\].*\(10, 3\), \(9,\)"):
        TensorDataset(np.zeros((10, 3)), np.zeros(9))


def test_tensor_dataset_rejects_no_arrays_and_scalars():
    with pytest.raises(ValueError, match="at least one array"):
        TensorDataset()
    with pytest.raises(ValueError, match="array 1 is a scalar"):
        TensorDataset(np.zeros(3), np.float64(2.0))


@pytest.mark.parametrize("index", [10, -11, 100])
def test_tensor_dataset_index_out_of_range(index):
    ds = TensorDataset(*make_arrays(10))
    with pytest.raises(IndexError, match=rf"index {index} is out of range.*10 samples.*-10 to 9"):
        ds[index]
    with pytest.raises(IndexError, match=rf"index {index} is out of range"):
        ds.__getitems__([0, index])


def test_tensor_dataset_iterates_like_a_sequence():
    # Python's fallback iteration stops at IndexError, so the dataset is a proper sequence.
    X, y = make_arrays(4)
    labels = [int(label) for _, label in TensorDataset(X, y)]
    assert labels == [0, 1, 2, 3]


@pytest.mark.parametrize(
    ("index", "error", "message"),
    [
        (1.5, TypeError, "indices must be integers, got float.*DataLoader"),
        (slice(0, 2), TypeError, "indices must be integers, got slice"),
        ("0", TypeError, "indices must be integers, got str"),
    ],
)
def test_tensor_dataset_bad_index_types(index, error, message):
    ds = TensorDataset(*make_arrays(5))
    with pytest.raises(error, match=message):
        ds[index]


def test_tensor_dataset_bad_batches_of_indices():
    ds = TensorDataset(*make_arrays(5))
    with pytest.raises(TypeError, match=r"boolean mask.*np\.flatnonzero"):
        ds.__getitems__(np.array([True, False, True, False, True]))
    with pytest.raises(TypeError, match="dtype float64"):
        ds.__getitems__([0.0, 1.0])
    with pytest.raises(ValueError, match=r"1-D sequence, got shape \(2, 2\)"):
        ds.__getitems__([[0, 1], [2, 3]])


# ----------------------------------------------------------------------------------------------
# Subset
# ----------------------------------------------------------------------------------------------


def test_subset_maps_indices_in_order():
    X, y = make_arrays(10)
    ds = TensorDataset(X, y)
    sub = Subset(ds, [7, 2, 5, -1])
    assert len(sub) == 4
    np.testing.assert_array_equal(sub.indices, [7, 2, 5, 9])
    assert [int(sub[i][1]) for i in range(4)] == [7, 2, 5, 9]
    assert sub[-1][1] == 9
    with pytest.raises(IndexError, match=r"Subset index 4 is out of range.*4 samples"):
        sub[4]
    assert "samples=4" in repr(sub)


def test_subset_checks_indices_against_the_dataset_at_construction():
    ds = TensorDataset(*make_arrays(5))
    with pytest.raises(IndexError, match=r"Subset: index 5 is out of range.*5 samples"):
        Subset(ds, [0, 5])
    with pytest.raises(
        TypeError, match=r"Subset expects a dataset with __len__ and __getitem__.*got int"
    ):
        Subset(42, [0])


def test_subset_getitems_delegates_with_one_parent_call():
    X, y = make_arrays(10)
    parent = CountingTensorDataset(X, y)
    sub = Subset(parent, np.array([9, 8, 7, 6, 5]))
    assert hasattr(sub, "__getitems__")
    xb, yb = sub.__getitems__([4, 0, -2])
    np.testing.assert_array_equal(yb, [5, 9, 6])
    np.testing.assert_array_equal(xb, X[[5, 9, 6]])
    assert parent.getitems_calls == 1 and parent.getitem_calls == 0
    # A Subset of a Subset still fetches from the root in one call.
    nested = Subset(sub, [1, 3])
    assert hasattr(nested, "__getitems__")
    np.testing.assert_array_equal(nested.__getitems__([1, 0])[1], [6, 8])
    assert parent.getitems_calls == 2
    with pytest.raises(IndexError, match="out of range for a dataset of 5 samples"):
        sub.__getitems__([5])


def test_subset_has_no_getitems_when_parent_has_none():
    sub = Subset(PerSampleDataset(4), [3, 1])
    assert not hasattr(sub, "__getitems__")
    with pytest.raises(AttributeError, match=r"PerSampleDataset.*has none"):
        sub.__getitems__([0])
    _, label = sub[0]
    assert label == 3
    sub_of_list = Subset([(0, "a"), (1, "b"), (2, "c")], [2, 0])
    assert not hasattr(sub_of_list, "__getitems__")
    assert sub_of_list[0] == (2, "c")


# ----------------------------------------------------------------------------------------------
# ConcatDataset
# ----------------------------------------------------------------------------------------------


def _three_parts():
    parts_arrays = [make_arrays(n) for n in (4, 0, 3, 5)]  # includes an empty part
    parts = [CountingTensorDataset(X, y * 100 + k) for k, (X, y) in enumerate(parts_arrays)]
    X_all = np.concatenate([X for X, _ in parts_arrays])
    y_all = np.concatenate([part.tensors[1] for part in parts])
    return parts, X_all, y_all


def test_concat_dataset_sizes_and_getitem_across_boundaries():
    parts, X_all, y_all = _three_parts()
    ds = ConcatDataset(parts)
    assert ds.cumulative_sizes == [4, 4, 7, 12]
    assert len(ds) == 12
    for i in range(-12, 12):
        x, label = ds[i]
        np.testing.assert_array_equal(x, X_all[i])
        assert label == y_all[i]
    with pytest.raises(IndexError, match=r"ConcatDataset index 12 is out of range.*12 samples"):
        ds[12]
    with pytest.raises(IndexError, match="index -13"):
        ds[-13]


def test_concat_dataset_getitems_fetches_each_part_once_in_requested_order():
    parts, X_all, y_all = _three_parts()
    ds = ConcatDataset(parts)
    indices = np.array([11, 0, 4, 3, 7, -1, 5, 2, 8])
    xb, yb = ds.__getitems__(indices)
    np.testing.assert_array_equal(xb, X_all[indices])
    np.testing.assert_array_equal(yb, y_all[indices])
    assert [part.getitems_calls for part in parts] == [1, 0, 1, 1]
    assert all(part.getitem_calls == 0 for part in parts)
    # A batch inside one part is passed straight through.
    xb, yb = ds.__getitems__([9, 8])
    np.testing.assert_array_equal(yb, y_all[[9, 8]])
    assert [part.getitems_calls for part in parts] == [1, 0, 1, 2]
    xb, yb = ds.__getitems__([])
    assert xb.shape == (0, 3) and yb.shape == (0,)


def test_concat_dataset_getitems_reassembles_dicts_and_namedtuples():
    Pair = namedtuple("Pair", ["x", "y"])

    class DictBatches(Dataset):
        def __init__(self, values):
            self.values = np.asarray(values)

        def __len__(self):
            return len(self.values)

        def __getitem__(self, index):
            return {"v": self.values[index], "p": Pair(self.values[index], -self.values[index])}

        def __getitems__(self, indices):
            v = self.values[np.asarray(indices)]
            return {"v": v, "p": Pair(v, -v)}

    ds = DictBatches([0, 1, 2]) + DictBatches([10, 11])
    batch = ds.__getitems__([4, 0, 3, 2])
    np.testing.assert_array_equal(batch["v"], [11, 0, 10, 2])
    assert isinstance(batch["p"], Pair)
    np.testing.assert_array_equal(batch["p"].y, [-11, 0, -10, -2])


def test_concat_dataset_has_getitems_only_when_every_part_does():
    tensor_part = TensorDataset(*make_arrays(3))
    assert hasattr(ConcatDataset([tensor_part, tensor_part]), "__getitems__")
    mixed = ConcatDataset([tensor_part, PerSampleDataset(2)])
    assert not hasattr(mixed, "__getitems__")
    with pytest.raises(AttributeError, match=r"part 1 \(PerSampleDataset\) has none"):
        mixed.__getitems__([0])
    assert mixed[4][1] == 1


def test_concat_dataset_bad_input():
    with pytest.raises(ValueError, match="at least one dataset"):
        ConcatDataset([])
    with pytest.raises(TypeError, match=r"part 1.*__len__ and __getitem__.*int"):
        ConcatDataset([TensorDataset(np.zeros(2)), 3])


# ----------------------------------------------------------------------------------------------
# random_split
# ----------------------------------------------------------------------------------------------


def _split_indices(splits) -> list[np.ndarray]:
    return [np.asarray(split.indices) for split in splits]


def test_random_split_with_counts_is_a_disjoint_cover():
    ds = TensorDataset(*make_arrays(20))
    splits = random_split(ds, [5, 0, 15])
    assert [len(split) for split in splits] == [5, 0, 15]
    assert all(isinstance(split, Subset) and split.dataset is ds for split in splits)
    everything = np.concatenate(_split_indices(splits))
    np.testing.assert_array_equal(np.sort(everything), np.arange(20))
    # The parts read the right samples and keep the batched fetch.
    assert hasattr(splits[2], "__getitems__")
    np.testing.assert_array_equal(splits[0].__getitems__(np.arange(5))[1], splits[0].indices)


def test_random_split_fractions_follow_pytorchs_rounding():
    ds = TensorDataset(*make_arrays(10))
    # floor: [2, 2, 5]; one sample left over goes to the first split.
    assert [len(s) for s in random_split(ds, [0.25, 0.25, 0.5])] == [3, 2, 5]
    # floor: [3, 3, 3]; one left over.
    assert [len(s) for s in random_split(ds, [1 / 3, 1 / 3, 1 / 3])] == [4, 3, 3]
    assert [len(s) for s in random_split(ds, [0.8, 0.2])] == [8, 2]
    assert [len(s) for s in random_split(ds, np.array([0.5, 0.5]))] == [5, 5]
    splits = random_split(TensorDataset(*make_arrays(7)), [0.3, 0.3, 0.4])  # floors 2, 2, 2
    assert [len(s) for s in splits] == [3, 2, 2]
    np.testing.assert_array_equal(np.sort(np.concatenate(_split_indices(splits))), np.arange(7))


def test_random_split_warns_about_an_empty_split():
    ds = TensorDataset(*make_arrays(3))
    with pytest.warns(UserWarning, match="split 2 is empty"):
        splits = random_split(ds, [0.5, 0.4, 0.1])
    assert [len(s) for s in splits] == [2, 1, 0]


def test_random_split_is_reproducible_with_manual_seed_and_with_a_generator():
    ds = TensorDataset(*make_arrays(50))
    minitorch.manual_seed(7)
    first = _split_indices(random_split(ds, [0.6, 0.4]))
    minitorch.manual_seed(7)
    second = _split_indices(random_split(ds, [0.6, 0.4]))
    for a, b in zip(first, second, strict=True):
        np.testing.assert_array_equal(a, b)
    # The global generator is the default: an explicit generator with the same seed agrees.
    explicit = _split_indices(random_split(ds, [0.6, 0.4], generator=np.random.default_rng(7)))
    for a, b in zip(first, explicit, strict=True):
        np.testing.assert_array_equal(a, b)
    # A different seed gives a different split, and the split is not simply 0..N-1.
    other = _split_indices(random_split(ds, [0.6, 0.4], generator=np.random.default_rng(8)))
    assert not np.array_equal(first[0], other[0])
    assert not np.array_equal(first[0], np.arange(30))


@pytest.mark.parametrize(
    ("lengths", "error", "message"),
    [
        ([3, 5], ValueError, r"sum to 8, but the dataset has 10 samples.*fractions that sum to 1"),
        ([0.5, 0.3], ValueError, r"read as fractions, which must sum to 1.*sum to 0.8"),
        ([3.0, 7.0], ValueError, r"read as fractions.*pass ints: \[3, 7\]"),
        ([12, -2], ValueError, r"lengths\[1\] = -2 is negative"),
        ([1.5, -0.5], ValueError, r"lengths\[0\] = 1.5 is not between 0 and 1"),
        ([True, False], TypeError, r"lengths\[0\] must be an int or a float, got bool"),
        (["5", "5"], TypeError, r"lengths\[0\] must be an int or a float, got str"),
        ([], ValueError, "lengths is empty"),
        (10, TypeError, "must be a list of ints or of fractions, got int"),
    ],
)
def test_random_split_bad_lengths(lengths, error, message):
    ds = TensorDataset(*make_arrays(10))
    with pytest.raises(error, match=message):
        random_split(ds, lengths)


def test_random_split_bad_generator_and_dataset():
    ds = TensorDataset(*make_arrays(10))
    with pytest.raises(
        TypeError, match=r"numpy.random.Generator, got int; pass .*default_rng\(3\)"
    ):
        random_split(ds, [5, 5], generator=3)
    with pytest.raises(TypeError, match="RandomState"):
        random_split(ds, [5, 5], generator=np.random.RandomState(0))
    with pytest.raises(TypeError, match="__len__ and __getitem__"):
        random_split(object(), [1])


# ----------------------------------------------------------------------------------------------
# default_collate
# ----------------------------------------------------------------------------------------------


def test_collate_tuples_of_arrays_and_scalars():
    samples = [(np.full(3, k, dtype=np.float32), k) for k in range(4)]
    xb, yb = default_collate(samples)
    assert isinstance(default_collate(samples), tuple)
    assert xb.shape == (4, 3) and xb.dtype == np.float32
    np.testing.assert_array_equal(xb[:, 0], [0, 1, 2, 3])
    assert yb.dtype == np.int64
    np.testing.assert_array_equal(yb, [0, 1, 2, 3])


@pytest.mark.parametrize(
    ("values", "dtype"),
    [
        ([1, 2, 3], np.int64),
        ([1.0, 2.5], np.float64),
        ([1, 2.5], np.float64),
        ([True, False], np.bool_),
        ([np.float32(1), np.float32(2)], np.float32),
        ([np.int8(1), np.int8(2)], np.int8),
    ],
)
def test_collate_scalar_dtypes_are_numpys(values, dtype):
    batch = default_collate(values)
    assert batch.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(batch, np.asarray(values))


def test_collate_dicts_namedtuples_lists_strings_nested():
    Sample = namedtuple("Sample", ["image", "label"])
    samples = [
        {"sample": Sample(np.ones((2, 2)) * k, k), "name": f"s{k}", "extra": [k, [k, 2 * k]]}
        for k in range(3)
    ]
    batch = default_collate(samples)
    assert set(batch) == {"sample", "name", "extra"}
    assert isinstance(batch["sample"], Sample)
    assert batch["sample"].image.shape == (3, 2, 2)
    np.testing.assert_array_equal(batch["sample"].label, [0, 1, 2])
    assert batch["name"] == ["s0", "s1", "s2"]
    assert default_collate([np.str_("a"), np.str_("b")]) == ["a", "b"]
    assert isinstance(batch["extra"], list)
    np.testing.assert_array_equal(batch["extra"][0], [0, 1, 2])
    np.testing.assert_array_equal(batch["extra"][1][1], [0, 2, 4])


def test_collate_zero_dimensional_arrays_and_generators_of_samples():
    batch = default_collate(np.float32(k) * np.ones(()) for k in range(3))
    assert batch.shape == (3,)
    np.testing.assert_array_equal(batch, [0, 1, 2])


@pytest.mark.parametrize(
    ("samples", "error", "message"),
    [
        ([], ValueError, "got no samples"),
        (
            [(np.zeros(3), 0), (np.zeros(3), 1), (np.zeros(4), 2)],
            ValueError,
            r"samples\[0\]\[0\] has shape \(3,\) but samples\[2\]\[0\] has shape \(4,\).*Pad",
        ),
        (
            [{"image": np.zeros((1, 2))}, {"image": np.zeros((2, 2))}],
            ValueError,
            r"samples\[1\]\['image'\] has shape \(2, 2\)",
        ),
        ([{"a": 1}, {"b": 2}], ValueError, r"samples\[0\] has keys \['a'\] but samples\[1\]"),
        ([(1, 2), (1, 2, 3)], ValueError, r"has 2 fields but samples\[1\] has 3"),
        ([(1, 2), {"a": 1}], TypeError, r"samples\[0\] is a tuple but samples\[1\] is dict"),
        ([1, "a"], TypeError, r"samples\[0\] is a number but samples\[1\] is str"),
        ([1, np.str_("a")], TypeError, r"samples\[0\] is a number but samples\[1\] is str_"),
        (["a", 1], TypeError, r"samples\[0\] is a string but samples\[1\] is int"),
        ([1, np.zeros(2)], ValueError, r"samples\[0\] is a number but samples\[1\] has shape"),
        ([(None, 1)], TypeError, r"samples\[0\]\[0\] is NoneType.*collate_fn"),
    ],
)
def test_collate_bad_samples(samples, error, message):
    with pytest.raises(error, match=message):
        default_collate(samples)


# ----------------------------------------------------------------------------------------------
# DataLoader
# ----------------------------------------------------------------------------------------------


def test_loader_without_shuffle_yields_consecutive_batches_in_order():
    X, y = make_arrays(10)
    loader = DataLoader(TensorDataset(X, y), batch_size=4)
    batches = list(loader)
    assert len(loader) == len(batches) == 3
    assert [xb.shape for xb, _ in batches] == [(4, 3), (4, 3), (2, 3)]
    np.testing.assert_array_equal(np.concatenate([xb for xb, _ in batches]), X)
    np.testing.assert_array_equal(np.concatenate([yb for _, yb in batches]), y)
    assert batches[0][0].dtype == np.float32


def test_loader_default_batch_size_is_one():
    loader = DataLoader(TensorDataset(*make_arrays(3)))
    batches = list(loader)
    assert len(batches) == 3 and batches[1][0].shape == (1, 3)
    np.testing.assert_array_equal(batches[2][1], [2])


@pytest.mark.parametrize(
    ("n", "batch_size", "drop_last", "expected_sizes"),
    [
        (10, 4, False, [4, 4, 2]),
        (10, 4, True, [4, 4]),
        (12, 4, True, [4, 4, 4]),
        (3, 5, False, [3]),
        (3, 5, True, []),
        (0, 2, False, []),
        (1, 1, False, [1]),
    ],
)
def test_loader_len_and_batch_sizes(n, batch_size, drop_last, expected_sizes):
    for dataset in (TensorDataset(*make_arrays(n)), PerSampleDataset(n)):
        loader = DataLoader(dataset, batch_size=batch_size, drop_last=drop_last, shuffle=True)
        sizes = [len(labels) for labels in labels_of_epoch(loader)]
        assert sizes == expected_sizes
        assert len(loader) == len(expected_sizes)


def test_loader_shuffle_is_a_new_permutation_every_epoch():
    loader = DataLoader(TensorDataset(*make_arrays(100)), batch_size=16, shuffle=True)
    epochs = [np.concatenate(labels_of_epoch(loader)) for _ in range(3)]
    for order in epochs:
        np.testing.assert_array_equal(np.sort(order), np.arange(100))  # each sample once
        assert not np.array_equal(order, np.arange(100))
    assert not np.array_equal(epochs[0], epochs[1])
    assert not np.array_equal(epochs[1], epochs[2])


def test_loader_shuffle_with_drop_last_draws_distinct_samples():
    loader = DataLoader(TensorDataset(*make_arrays(23)), batch_size=5, shuffle=True, drop_last=True)
    order = np.concatenate(labels_of_epoch(loader))
    assert order.size == 20
    assert np.unique(order).size == 20
    assert set(order.tolist()) <= set(range(23))


def test_loader_manual_seed_reproduces_the_sequence_of_epochs():
    ds = TensorDataset(*make_arrays(40))
    loader = DataLoader(ds, batch_size=8, shuffle=True)

    def two_epochs():
        return [np.concatenate(labels_of_epoch(loader)) for _ in range(2)]

    minitorch.manual_seed(123)
    first = two_epochs()
    minitorch.manual_seed(123)  # called after the loader was built: still decides the order
    second = two_epochs()
    for a, b in zip(first, second, strict=True):
        np.testing.assert_array_equal(a, b)
    minitorch.manual_seed(124)
    assert not np.array_equal(two_epochs()[0], first[0])


def test_loader_explicit_generator_is_reproducible_and_independent_of_global_seed():
    ds = TensorDataset(*make_arrays(40))

    def epochs_with(seed, global_seed):
        minitorch.manual_seed(global_seed)
        loader = DataLoader(ds, batch_size=8, shuffle=True, generator=np.random.default_rng(seed))
        return [np.concatenate(labels_of_epoch(loader)) for _ in range(2)]

    a = epochs_with(5, global_seed=0)
    b = epochs_with(5, global_seed=99)
    for epoch_a, epoch_b in zip(a, b, strict=True):
        np.testing.assert_array_equal(epoch_a, epoch_b)
    # The generator advances: the two epochs differ, and they are its first two permutations.
    rng = np.random.default_rng(5)
    np.testing.assert_array_equal(a[0], rng.permutation(40))
    np.testing.assert_array_equal(a[1], rng.permutation(40))
    assert not np.array_equal(a[0], epochs_with(6, global_seed=0)[0])


def test_loader_fast_path_fetches_each_batch_with_one_call():
    X, y = make_arrays(50)
    ds = CountingTensorDataset(X, y)
    loader = DataLoader(ds, batch_size=16, shuffle=True)
    for xb, yb in loader:
        np.testing.assert_array_equal(xb, X[yb])  # inputs and labels stay paired
    assert ds.getitems_calls == len(loader) == 4
    assert ds.getitem_calls == 0


def test_loader_fast_path_goes_through_subsets_and_concat():
    X, y = make_arrays(30)
    root = CountingTensorDataset(X, y)
    train, val = random_split(root, [20, 10])
    both = ConcatDataset([train, val])
    loader = DataLoader(both, batch_size=7, shuffle=True)
    seen = np.concatenate(labels_of_epoch(loader))
    np.testing.assert_array_equal(np.sort(seen), np.arange(30))
    assert root.getitem_calls == 0
    assert root.getitems_calls >= len(loader)  # one per part touched by each batch


def test_loader_collate_fn_forces_per_sample_path_with_identical_batches():
    X, y = make_arrays(21)
    ds = CountingTensorDataset(X, y)
    fast = DataLoader(ds, batch_size=5, shuffle=True, generator=np.random.default_rng(1))
    slow = DataLoader(
        ds,
        batch_size=5,
        shuffle=True,
        collate_fn=default_collate,
        generator=np.random.default_rng(1),
    )
    for (xf, yf), (xs, ys) in zip(fast, slow, strict=True):
        np.testing.assert_array_equal(xf, xs)
        np.testing.assert_array_equal(yf, ys)
        assert xf.dtype == xs.dtype and yf.dtype == ys.dtype
    assert ds.getitem_calls == 21
    assert ds.getitems_calls == len(fast)


def test_loader_custom_collate_fn_receives_the_samples():
    received = []

    def collate(samples):
        received.append(len(samples))
        return [label for _, label in samples]

    ds = PerSampleDataset(7)
    loader = DataLoader(ds, batch_size=3, collate_fn=collate)
    assert loader.collate_fn is collate
    assert list(loader) == [[0, 1, 2], [3, 4, 5], [6]]
    assert received == [3, 3, 1]
    assert ds.seen_index_types == {int}  # Python ints, not NumPy integers


def test_loader_per_sample_path_collates_by_default():
    ds = PerSampleDataset(5)
    xb, yb = next(iter(DataLoader(ds, batch_size=5)))
    np.testing.assert_array_equal(xb, ds.X)
    assert yb.dtype == np.int64


def test_loader_accepts_plain_sequences():
    samples = [(np.array([k, k], dtype=np.float32), k % 2) for k in range(6)]
    batches = list(DataLoader(samples, batch_size=4))
    assert batches[0][0].shape == (4, 2) and batches[1][0].shape == (2, 2)
    np.testing.assert_array_equal(batches[0][1], [0, 1, 0, 1])


def test_loader_iterators_are_independent():
    loader = DataLoader(TensorDataset(*make_arrays(6)), batch_size=2)
    first, second = iter(loader), iter(loader)
    np.testing.assert_array_equal(next(first)[1], [0, 1])
    np.testing.assert_array_equal(next(second)[1], [0, 1])
    np.testing.assert_array_equal(next(first)[1], [2, 3])
    assert len(list(second)) == 2


def test_loader_attributes_and_repr():
    ds = TensorDataset(*make_arrays(5))
    rng = np.random.default_rng(0)
    loader = DataLoader(ds, batch_size=np.int64(2), shuffle=True, drop_last=True, generator=rng)
    assert loader.dataset is ds
    assert loader.batch_size == 2 and type(loader.batch_size) is int
    assert loader.shuffle is True and loader.drop_last is True
    assert loader.generator is rng
    assert loader.collate_fn is default_collate
    assert "batch_size=2" in repr(loader) and "shuffle=True" in repr(loader)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"batch_size": 0}, ValueError, r"batch_size must be a positive int \(samples per batch\)"),
        ({"batch_size": -3}, ValueError, "got -3"),
        ({"batch_size": 32.0}, TypeError, r"got 32.0 \(float\); use batch_size=32"),
        ({"batch_size": True}, TypeError, r"got True \(bool\)"),
        ({"batch_size": None}, TypeError, "batch_size must be a positive int, got None"),
        ({"shuffle": "yes"}, TypeError, "shuffle must be True or False, got 'yes'"),
        ({"drop_last": 1}, TypeError, r"drop_last must be True or False, got 1 \(int\)"),
        ({"collate_fn": 5}, TypeError, "collate_fn must be a function"),
        (
            {"generator": 42},
            TypeError,
            r"generator must be a numpy.random.Generator.*default_rng\(42\)",
        ),
        ({"num_workers": 2}, TypeError, r"does not support num_workers: .*main process"),
        ({"sampler": None}, TypeError, "does not support sampler: use shuffle=True"),
        ({"batchsize": 8}, TypeError, r"unexpected keyword argument 'batchsize'.*batch_size"),
    ],
)
def test_loader_bad_arguments(kwargs, error, message):
    ds = TensorDataset(*make_arrays(5))
    with pytest.raises(error, match=message):
        DataLoader(ds, **kwargs)


def test_loader_bad_datasets():
    X, y = make_arrays(5)
    with pytest.raises(TypeError, match=r"tuple of 2 arrays.*TensorDataset\(X, y\)"):
        DataLoader((X, y), batch_size=2)
    with pytest.raises(
        TypeError, match="DataLoader expects a dataset with __len__ and __getitem__"
    ):
        DataLoader(5)
    with pytest.raises(TypeError, match="got range_iterator"):
        DataLoader(iter(range(3)))
