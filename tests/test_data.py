"""minitorch.utils.data: datasets, random_split, default_collate and DataLoader semantics."""

from __future__ import annotations

from collections import namedtuple

import numpy as np
import pytest

import minitorch
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

# ----------------------------------------------------------------------------------------------
# helpers
# ----------------------------------------------------------------------------------------------


def make_arrays(n: int, features: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """Inputs whose rows encode their index (row i is [i*10, i*10+1, ...]) and labels y[i] = i."""
    X = (np.arange(n, dtype=np.float32)[:, None] * 10 + np.arange(features)).astype(np.float32)
    y = np.arange(n, dtype=np.int64)
    return X, y


class CountingTensorDataset(TensorDataset):
    """A TensorDataset that counts how it is read and keeps what ``__getitems__`` returned."""

    def __init__(self, *arrays):
        super().__init__(*arrays)
        self.getitem_calls = 0
        self.getitems_calls = 0
        self.returned: list = []

    def __getitem__(self, index):
        self.getitem_calls += 1
        return super().__getitem__(index)

    def __getitems__(self, indices):
        self.getitems_calls += 1
        samples = super().__getitems__(indices)
        self.returned.append(samples)
        return samples


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


class ListOfSamples(Dataset):
    """A batched fetch in PyTorch's style: ``__getitems__`` returns a plain list of samples."""

    def __init__(self, n: int, offset: int = 0):
        self.X, _ = make_arrays(n)
        self.offset = offset
        self.getitems_calls = 0

    def __len__(self):
        return len(self.X)

    def __getitem__(self, index):
        return self.X[index], index + self.offset

    def __getitems__(self, indices):
        self.getitems_calls += 1
        return [self[int(i)] for i in indices]


def labels_of_epoch(loader) -> list[np.ndarray]:
    return [np.asarray(batch[1]) for batch in loader]


def assert_same_batch(ours, expected):
    """Equal structure, container types, values and dtypes."""
    assert type(ours) is type(expected)
    if isinstance(expected, dict):
        assert list(ours) == list(expected)
        for key in expected:
            assert_same_batch(ours[key], expected[key])
    elif isinstance(expected, (tuple, list)):
        assert len(ours) == len(expected)
        for mine, theirs in zip(ours, expected, strict=True):
            assert_same_batch(mine, theirs)
    else:
        np.testing.assert_array_equal(ours, expected)
        assert np.asarray(ours).dtype == np.asarray(expected).dtype


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


def test_tensor_dataset_getitems_returns_the_samples_stored_as_one_fancy_index_per_array():
    X, y = make_arrays(10)
    ds = TensorDataset(X, y)
    for indices in ([3, 1, 4, 1, 5], np.array([9, 0, -1, -10]), (2,), np.array([7], np.int32)):
        samples = ds.__getitems__(indices)
        # PyTorch's meaning: the list of the samples at `indices`, one per index ...
        assert isinstance(samples, BatchedSamples) and len(samples) == len(indices)
        for sample, index in zip(samples, indices, strict=True):
            assert_same_batch(sample, ds[index])
        # ... stored as the batch itself, which default_collate hands back.
        xb, yb = samples.batch
        np.testing.assert_array_equal(xb, X[np.asarray(indices)])
        np.testing.assert_array_equal(yb, y[np.asarray(indices)])
        assert default_collate(samples) is samples.batch
    xb, yb = default_collate(ds.__getitems__([]))
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
    with pytest.raises(IndexError, match=rf"index {index} is out of range") as caught:
        ds.__getitems__([0, index])
    assert caught.value.__suppress_context__  # our message alone, not NumPy's before it
    with pytest.raises(IndexError, match=rf"Subset.__getitems__: index {index} is out of range"):
        Subset(ds, np.arange(10)).__getitems__([index, 0])


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
    samples = sub.__getitems__([4, 0, -2])
    assert samples is parent.returned[-1]  # what the parent returned, as it is
    xb, yb = default_collate(samples)
    np.testing.assert_array_equal(yb, [5, 9, 6])
    np.testing.assert_array_equal(xb, X[[5, 9, 6]])
    assert parent.getitems_calls == 1 and parent.getitem_calls == 0
    # A Subset of a Subset still fetches from the root in one call.
    nested = Subset(sub, [1, 3])
    assert hasattr(nested, "__getitems__")
    np.testing.assert_array_equal(nested.__getitems__([1, 0]).batch[1], [6, 8])
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
    samples = ds.__getitems__(indices)
    assert isinstance(samples, BatchedSamples) and len(samples) == len(indices)
    xb, yb = default_collate(samples)
    np.testing.assert_array_equal(xb, X_all[indices])
    np.testing.assert_array_equal(yb, y_all[indices])
    assert [part.getitems_calls for part in parts] == [1, 0, 1, 1]
    assert all(part.getitem_calls == 0 for part in parts)
    # A batch inside one part is passed straight through.
    samples = ds.__getitems__([9, 8])
    assert samples is parts[3].returned[-1]
    np.testing.assert_array_equal(samples.batch[1], y_all[[9, 8]])
    assert [part.getitems_calls for part in parts] == [1, 0, 1, 2]
    xb, yb = default_collate(ds.__getitems__([]))
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
            return BatchedSamples({"v": v, "p": Pair(v, -v)})

    ds = DictBatches([0, 1, 2]) + DictBatches([10, 11])
    samples = ds.__getitems__([4, 0, 3, 2])
    assert isinstance(samples, BatchedSamples)
    batch = default_collate(samples)
    np.testing.assert_array_equal(batch["v"], [11, 0, 10, 2])
    assert isinstance(batch["p"], Pair)
    np.testing.assert_array_equal(batch["p"].y, [-11, 0, -10, -2])
    assert_same_batch(batch, default_collate([ds[i] for i in (4, 0, 3, 2)]))


@pytest.mark.parametrize(
    "make_parts",
    [
        # Parts whose __getitems__ returns plain lists (PyTorch's style).
        lambda: [ListOfSamples(4), ListOfSamples(3, offset=100)],
        # One part of each kind.
        lambda: [TensorDataset(*make_arrays(4)), ListOfSamples(3, offset=100)],
        # TensorDatasets whose batches do not line up (three arrays against two).
        lambda: [TensorDataset(*make_arrays(4), np.zeros(4)), TensorDataset(*make_arrays(3))],
    ],
    ids=["lists", "mixed", "unlike-arrays"],
)
def test_concat_dataset_getitems_of_other_pieces_is_the_list_of_samples_in_order(make_parts):
    ds = ConcatDataset(make_parts())
    indices = [6, 0, 4, 3, -1, 1]
    samples = ds.__getitems__(indices)
    assert isinstance(samples, list) and len(samples) == len(indices)
    for sample, index in zip(samples, indices, strict=True):
        assert_same_batch(sample, ds[index])


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
    np.testing.assert_array_equal(
        default_collate(splits[0].__getitems__(np.arange(5)))[1], splits[0].indices
    )


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
# BatchedSamples
# ----------------------------------------------------------------------------------------------

Pair = namedtuple("Pair", ["x", "y"])

_rng = np.random.default_rng(11)
_X = _rng.standard_normal((5, 3)).astype(np.float32)
_Y = np.arange(5, dtype=np.int64)
_IMAGES = _rng.integers(0, 255, (5, 1, 2, 2), dtype=np.uint8)
_FLAGS = np.array([True, False, True, True, False])

# (name, batch): every structure a batch may have, with the sample k it stands for.
BATCHES = [
    ("tuple", (_X, _Y)),
    ("one array", (_X,)),
    ("bare array", _Y),
    ("namedtuple", Pair(_X, _Y)),
    ("list", [_IMAGES, _FLAGS]),
    ("dict", {"image": _IMAGES, "label": _Y, "weight": _X[:, 0].astype(np.float64)}),
    ("nested", {"pair": (_X, _Y), "more": [Pair(_FLAGS, _IMAGES)]}),
    ("complex", (_X.astype(np.complex128), np.arange(5, dtype=np.uint16))),
]


def _row(batch, k):
    """Sample k of a batch, written out by hand."""
    if isinstance(batch, dict):
        return {key: _row(value, k) for key, value in batch.items()}
    if isinstance(batch, Pair):
        return Pair(*(_row(value, k) for value in batch))
    if isinstance(batch, (tuple, list)):
        return type(batch)(_row(value, k) for value in batch)
    return batch[k]


@pytest.mark.parametrize(("name", "batch"), BATCHES, ids=[name for name, _ in BATCHES])
def test_batched_samples_is_the_list_of_samples_and_collates_back_to_its_batch(name, batch):
    samples = BatchedSamples(batch)
    assert len(samples) == 5
    for k in range(-5, 5):
        assert_same_batch(samples[k], _row(batch, k % 5))
    as_list = list(samples)
    assert len(as_list) == 5
    for k, sample in enumerate(as_list):
        assert_same_batch(sample, _row(batch, k))
    # The fast path: the batch as it is ...
    assert default_collate(samples) is batch
    # ... which is what collating the samples one by one gives, dtypes and containers included.
    assert_same_batch(default_collate(as_list), batch)
    # A slice is a smaller batch.
    part = samples[1:4]
    assert isinstance(part, BatchedSamples) and len(part) == 3
    assert_same_batch(default_collate(part), default_collate(as_list[1:4]))


@pytest.mark.parametrize(
    ("batch", "expected"),
    [
        (
            (np.array(["a", "bb", "c"]), np.arange(3)),
            ([np.str_("a"), np.str_("bb"), np.str_("c")], np.arange(3)),
        ),
        ((np.array([b"x", b"y", b"z"]),), ([np.bytes_(b"x"), np.bytes_(b"y"), np.bytes_(b"z")],)),
        ((np.array([1.5, 2, "s"], dtype=object), np.ones((3, 2))), None),
    ],
    ids=["str", "bytes", "object"],
)
def test_batched_samples_of_strings_or_objects_collate_sample_by_sample(batch, expected):
    samples = BatchedSamples(batch)
    if expected is None:  # rows of an object array are Python objects: mixed types here
        with pytest.raises(TypeError, match=r"samples\[0\]\[0\] is a number but"):
            default_collate(samples)
        with pytest.raises(TypeError, match=r"samples\[0\]\[0\] is a number but"):
            default_collate(list(samples))
        return
    batch_out = default_collate(samples)
    assert_same_batch(batch_out, default_collate(list(samples)))
    assert_same_batch(batch_out, expected)


def test_batched_samples_repr_shows_the_structure():
    text = repr(BatchedSamples({"x": _X, "pair": Pair(_Y, _FLAGS)}))
    assert text == (
        "BatchedSamples(5 samples, batch={'x': float32 (5, 3), "
        "'pair': Pair(int64 (5,), bool (5,))})"
    )
    assert repr(BatchedSamples((_Y,))) == "BatchedSamples(5 samples, batch=(int64 (5,),))"
    assert "0 samples" in repr(TensorDataset(_X).__getitems__([]))


@pytest.mark.parametrize(
    ("batch", "error", "message"),
    [
        ((), ValueError, r"needs at least one array, e.g. BatchedSamples\(\(X_b, y_b\)\)"),
        ({}, ValueError, "needs at least one array"),
        ((_X, [1, 2, 3, 4, 5]), TypeError, r"batch\[1\]\[0\] is int; every field .* NumPy array"),
        ((_X, np.float32(1.0)), TypeError, r"batch\[1\] is float32"),
        ({"x": np.array(3.0)}, TypeError, r"batch\['x'\] is a scalar array.*shape \(B, \.\.\.\)"),
        ((_X, _Y[:4]), ValueError, r"batch\[0\] has 5 rows but batch\[1\] has 4"),
        ({"a": _X, "b": (_Y, _Y[:2])}, ValueError, r"batch\['b'\]\[1\] has 2"),
        (None, TypeError, "batch is NoneType"),
    ],
)
def test_batched_samples_bad_batches(batch, error, message):
    with pytest.raises(error, match=message):
        BatchedSamples(batch)


@pytest.mark.parametrize(
    ("index", "error", "message"),
    [
        (5, IndexError, r"BatchedSamples index 5 is out of range for a batch of 5 samples"),
        (-6, IndexError, r"valid indices are -5 to 4"),
        (1.0, TypeError, "BatchedSamples indices must be integers or slices, got float"),
        ("0", TypeError, "got str"),
    ],
)
def test_batched_samples_bad_indices(index, error, message):
    samples = BatchedSamples((_X, _Y))
    with pytest.raises(error, match=message):
        samples[index]


def test_batched_samples_index_with_numpy_ints_and_works_as_a_sequence():
    samples = TensorDataset(_X, _Y).__getitems__(np.array([4, 1, 3]))
    assert samples[np.int64(1)][1] == 1
    first, *rest = samples
    assert first[1] == 4 and len(rest) == 2
    assert [int(label) for _, label in reversed(samples)] == [3, 1, 4]
    labels = [label for _, label in samples]
    assert labels == [4, 1, 3]


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


@pytest.mark.parametrize("collate_fn", [None, default_collate], ids=["default", "explicit"])
def test_loader_default_collate_takes_the_fast_path_without_building_samples(
    collate_fn, monkeypatch
):
    X, y = make_arrays(21)
    ds = CountingTensorDataset(X, y)
    expected = [
        default_collate([ds[i] for i in indices])
        for indices in np.array_split(np.random.default_rng(1).permutation(21), [5, 10, 15, 20])
    ]
    ds.getitem_calls = 0

    def no_samples(*args):
        raise AssertionError("the fast path built a sample")

    # Reading a BatchedSamples as a list of samples is exactly what the fast path never does.
    monkeypatch.setattr(BatchedSamples, "__getitem__", no_samples)
    monkeypatch.setattr(BatchedSamples, "__iter__", no_samples)
    loader = DataLoader(
        ds, batch_size=5, shuffle=True, collate_fn=collate_fn, generator=np.random.default_rng(1)
    )
    batches = list(loader)
    for batch, returned, want in zip(batches, ds.returned, expected, strict=True):
        assert batch is returned.batch  # the arrays of the one fancy index, not a copy
        assert_same_batch(batch, want)
    assert ds.getitem_calls == 0
    assert ds.getitems_calls == len(loader) == 5


def test_loader_custom_collate_fn_receives_what_getitems_returns():
    # PyTorch's fetcher: samples = dataset.__getitems__(indices); batch = collate_fn(samples).
    X, y = make_arrays(10)
    ds = CountingTensorDataset(X, y)
    received = []

    def collate(samples):
        received.append(samples)
        return [int(label) for _, label in samples]  # reads them as a list of samples

    loader = DataLoader(ds, batch_size=4, collate_fn=collate)
    assert list(loader) == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    assert len(received) == len(ds.returned) == 3
    assert all(mine is theirs for mine, theirs in zip(received, ds.returned, strict=True))
    assert ds.getitem_calls == 0


def _shuffled_collated_samples(dataset, collate_fn):
    loader = DataLoader(
        dataset,
        batch_size=4,
        shuffle=True,
        collate_fn=collate_fn,
        generator=np.random.default_rng(3),
    )
    return list(loader)


@pytest.mark.parametrize(
    "make_dataset",
    [
        lambda: TensorDataset(*make_arrays(11)),
        lambda: Subset(TensorDataset(*make_arrays(15)), np.arange(11)[::-1]),
        lambda: ConcatDataset([TensorDataset(*make_arrays(6)), TensorDataset(*make_arrays(5))]),
        lambda: ListOfSamples(11),
        lambda: ConcatDataset([ListOfSamples(6), TensorDataset(*make_arrays(5))]),
        lambda: PerSampleDataset(11),
    ],
    ids=["tensor", "subset", "concat", "list-of-samples", "concat-mixed", "per-sample"],
)
def test_loader_custom_collate_fn_sees_the_same_samples_as_dataset_getitem(make_dataset):
    dataset = make_dataset()
    received = _shuffled_collated_samples(dataset, collate_fn=lambda samples: samples)
    expected_order = np.random.default_rng(3).permutation(len(dataset))
    assert [len(samples) for samples in received] == [4, 4, 3]
    seen = [sample for samples in received for sample in samples]
    for sample, index in zip(seen, expected_order.tolist(), strict=True):
        assert_same_batch(tuple(sample), tuple(dataset[index]))
    # And default_collate of them is the batch the default loader yields.
    default_batches = _shuffled_collated_samples(dataset, collate_fn=None)
    for samples, batch in zip(received, default_batches, strict=True):
        assert_same_batch(default_collate(list(samples)), batch)


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


@pytest.mark.parametrize("num_workers", [0, np.int64(0)])
def test_loader_accepts_num_workers_zero_and_changes_nothing(num_workers):
    ds = TensorDataset(*make_arrays(9))
    loader = DataLoader(ds, batch_size=4, shuffle=True, generator=np.random.default_rng(2))
    same = DataLoader(
        ds, batch_size=4, shuffle=True, generator=np.random.default_rng(2), num_workers=num_workers
    )
    assert same.num_workers == 0 and type(same.num_workers) is int
    assert loader.num_workers == 0
    for batch, other in zip(loader, same, strict=True):
        assert_same_batch(batch, other)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        (
            {"num_workers": 2},
            ValueError,
            r"does not support num_workers=2: minitorch loads batches in the main process.*"
            r"pass num_workers=0",
        ),
        ({"num_workers": -1}, ValueError, "does not support num_workers=-1"),
        ({"num_workers": True}, TypeError, r"num_workers must be the int 0, got True \(bool\)"),
        ({"num_workers": 0.0}, TypeError, r"got 0.0 \(float\); minitorch loads batches"),
        ({"num_workers": "0"}, TypeError, r"got '0' \(str\)"),
        ({"num_workers": None}, TypeError, r"got None \(NoneType\)"),
        ({"pin_memory": True}, TypeError, "support pin_memory=True: there is no GPU memory"),
        ({"sampler": [0, 1], "shuffle": True}, ValueError, "mutually exclusive with shuffle"),
        ({"sampler": 3}, TypeError, "sampler must be an iterable of indices with a length"),
        ({"sampler": iter([0, 1])}, TypeError, "got list_iterator"),
        ({"batch_sampler": [[0]]}, TypeError, "does not support batch_sampler=.*: use batch_size"),
        ({"persistent_workers": True}, TypeError, "persistent_workers=True: minitorch has no"),
        ({"prefetch_factor": 2}, TypeError, "prefetch_factor=2: minitorch has no worker"),
        ({"worker_init_fn": print}, TypeError, "worker_init_fn=.*: minitorch has no worker"),
        ({"timeout": 5}, TypeError, "timeout=5: minitorch has no worker"),
        ({"batchsize": 8}, TypeError, r"unexpected keyword argument 'batchsize'.*num_workers"),
    ],
)
def test_loader_unsupported_pytorch_arguments_say_why(kwargs, error, message):
    with pytest.raises(error, match=message):
        DataLoader(TensorDataset(*make_arrays(5)), batch_size=2, **kwargs)


class WrongGetitems(Dataset):
    """A dataset whose ``__getitems__`` returns ``result(X, indices)``."""

    def __init__(self, result):
        self.X, self.y = make_arrays(10)
        self.result = result

    def __len__(self):
        return len(self.X)

    def __getitem__(self, index):
        return self.X[index], self.y[index]

    def __getitems__(self, indices):
        return self.result(self, indices)


@pytest.mark.parametrize(
    ("result", "error", "message"),
    [
        # The old minitorch convention: the batch itself, which a collate_fn would read as
        # 2 "samples".
        (
            lambda ds, i: (ds.X[i], ds.y[i]),
            ValueError,
            r"DataLoader: WrongGetitems.__getitems__ returned 2 items for a batch of 4 indices; "
            r"__getitems__\(indices\) must return the list of the batch's samples, one per index.*"
            r"return BatchedSamples\(\(X\[indices\], y\[indices\]\)\) instead",
        ),
        (
            lambda ds, i: [ds[int(k)] for k in i[:-1]],
            ValueError,
            "returned 3 items for a batch of 4",
        ),
        (
            lambda ds, i: (ds[int(k)] for k in i),
            TypeError,
            "returned generator, which has no length; __getitems__",
        ),
    ],
    ids=["the-batch", "too-few", "generator"],
)
@pytest.mark.parametrize("collate_fn", [None, list], ids=["default-collate", "custom-collate"])
def test_loader_getitems_must_return_one_sample_per_index(result, error, message, collate_fn):
    loader = DataLoader(WrongGetitems(result), batch_size=4, collate_fn=collate_fn)
    with pytest.raises(error, match=message):
        next(iter(loader))


def test_concat_dataset_names_the_part_whose_getitems_is_wrong():
    bad = WrongGetitems(lambda ds, i: (ds.X[i], ds.y[i]))
    ds = ConcatDataset([TensorDataset(*make_arrays(3)), bad])
    with pytest.raises(
        ValueError, match=r"ConcatDataset \(part 1\): WrongGetitems.__getitems__ returned 2 items"
    ):
        ds.__getitems__([0, 3, 4, 5])


@pytest.mark.parametrize(
    "kwargs",
    [
        {"pin_memory": False},
        {"sampler": None},
        {"batch_sampler": None},
        {"persistent_workers": False},
        {"prefetch_factor": None},
        {"worker_init_fn": None},
        {"timeout": 0},
    ],
    ids=lambda kwargs: next(iter(kwargs)),
)
def test_loader_accepts_pytorchs_do_nothing_values(kwargs):
    loader = DataLoader(TensorDataset(np.arange(6.0), np.arange(6)), batch_size=4, **kwargs)
    assert [len(y) for _, y in loader] == [4, 2]
