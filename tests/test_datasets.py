"""Tests of minitorch.datasets: bundled image data, toy generators, and the registry."""

from __future__ import annotations

import hashlib
import math
from importlib import resources

import numpy as np
import pytest

import minitorch
from minitorch.datasets import (
    DATASETS,
    MNIST,
    Digits,
    FashionMNIST,
    MNIST5k,
    SupervisedDataset,
    get_dataset,
    load_digits,
    load_mnist5k,
    make_blobs,
    make_circles,
    make_moons,
    make_sine,
    make_spiral,
    make_xor,
)
from minitorch.datasets._bundled import DIGITS_FILE, MNIST5K_FILE, _check_arrays
from minitorch.utils.data import DataLoader, TensorDataset, default_collate


def _row_set(array: np.ndarray) -> set[bytes]:
    """The distinct samples of ``array`` (rows of its flattened form), as hashable bytes."""
    rows = np.ascontiguousarray(array.reshape(len(array), -1))
    return {row.tobytes() for row in rows}


def _expected_test_counts(labels: np.ndarray, fraction: float) -> np.ndarray:
    """Per-class test counts of a stratified split: round(fraction * n_c), halves rounded up."""
    return np.floor(np.bincount(labels) * fraction + 0.5).astype(int)


# ----------------------------------------------------------------------------------------------
# The bundled files and their loaders
# ----------------------------------------------------------------------------------------------

IMAGE_SETS = [
    pytest.param(Digits, load_digits, DIGITS_FILE, id="digits"),
    pytest.param(MNIST5k, load_mnist5k, MNIST5K_FILE, id="mnist5k"),
]


@pytest.mark.parametrize(("cls", "loader", "spec"), IMAGE_SETS)
def test_loader_returns_raw_arrays(cls, loader, spec):
    images, labels = loader()
    assert images.dtype == np.uint8 and labels.dtype == np.uint8
    assert images.shape == (spec.n_samples, *spec.image_size)
    assert labels.shape == (spec.n_samples,)
    assert images.min() == 0 and images.max() == spec.max_pixel
    counts = np.bincount(labels, minlength=10)
    assert len(counts) == 10 and counts.min() >= 170  # every digit well represented


def test_class_counts_match_the_documented_sources():
    digit_counts = np.bincount(load_digits()[1])
    assert digit_counts.sum() == 1797 and np.all(np.abs(digit_counts - 180) <= 6)
    np.testing.assert_array_equal(np.bincount(load_mnist5k()[1]), np.full(10, 500))


def test_loader_hands_out_copies():
    images, labels = load_digits()
    images[:] = 0
    labels[:] = 9
    fresh_images, fresh_labels = load_digits()
    assert fresh_images.max() == 16 and fresh_labels.min() == 0
    assert Digits(normalize=False).data.max() == 16


@pytest.mark.parametrize("spec", [DIGITS_FILE, MNIST5K_FILE], ids=["digits", "mnist5k"])
def test_recorded_checksum_matches_file_and_readme(spec):
    data_dir = resources.files("minitorch.datasets") / "data"
    digest = hashlib.sha256((data_dir / spec.filename).read_bytes()).hexdigest()
    assert digest == spec.sha256
    readme = (data_dir / "README.md").read_text(encoding="utf-8")
    assert spec.sha256 in readme and spec.filename in readme


@pytest.mark.parametrize(("cls", "loader", "spec"), IMAGE_SETS)
def test_intact_copy_loads(tmp_path, cls, loader, spec):
    copy = tmp_path / spec.filename
    copy.write_bytes((resources.files("minitorch.datasets") / "data" / spec.filename).read_bytes())
    images, labels = loader(copy)
    bundled_images, bundled_labels = loader()
    np.testing.assert_array_equal(images, bundled_images)
    np.testing.assert_array_equal(labels, bundled_labels)


@pytest.mark.parametrize("damage", ["flip_byte", "truncate"])
@pytest.mark.parametrize(("cls", "loader", "spec"), IMAGE_SETS)
def test_corrupted_copy_is_refused(tmp_path, cls, loader, spec, damage):
    raw = bytearray((resources.files("minitorch.datasets") / "data" / spec.filename).read_bytes())
    if damage == "flip_byte":
        raw[len(raw) // 2] ^= 0xFF
    else:
        del raw[-100:]
    copy = tmp_path / spec.filename
    copy.write_bytes(bytes(raw))
    with pytest.raises(ValueError, match=r"corrupt: its SHA-256 is [0-9a-f]{64}, expected"):
        loader(copy)


def test_missing_copy_is_reported(tmp_path):
    with pytest.raises(FileNotFoundError, match="no file at"):
        load_digits(tmp_path / "nowhere.npz")


@pytest.mark.parametrize(
    ("images", "labels", "message"),
    [
        (np.zeros((1797, 8, 8), np.float32), np.zeros(1797, np.uint8), "dtype float32"),
        (np.zeros((1797, 64), np.uint8), np.zeros(1797, np.uint8), r"shape \(1797, 64\)"),
        (np.zeros((1797, 8, 8), np.uint8), np.zeros(1797, np.int64), "'labels' has dtype"),
        (np.zeros((1797, 8, 8), np.uint8), np.zeros(1796, np.uint8), r"shape \(1796,\)"),
        (np.full((1797, 8, 8), 17, np.uint8), np.zeros(1797, np.uint8), "up to 17"),
        (np.zeros((1797, 8, 8), np.uint8), np.full(1797, 10, np.uint8), "class 10"),
    ],
)
def test_malformed_arrays_are_named(images, labels, message):
    with pytest.raises(ValueError, match=message):
        _check_arrays(DIGITS_FILE, images, labels, "test copy")


# ----------------------------------------------------------------------------------------------
# Digits and MNIST5k
# ----------------------------------------------------------------------------------------------

SPLIT_SIZES = [
    pytest.param(Digits, load_digits, (8, 8), 1438, 359, id="digits"),
    pytest.param(MNIST5k, load_mnist5k, (28, 28), 4000, 1000, id="mnist5k"),
]


@pytest.mark.parametrize(("cls", "loader", "size", "n_train", "n_test"), SPLIT_SIZES)
def test_image_dataset_shapes_dtypes_and_attributes(cls, loader, size, n_train, n_test):
    train, test = cls(train=True), cls(train=False)
    assert isinstance(train, TensorDataset) and isinstance(train, SupervisedDataset)
    assert (len(train), len(test)) == (n_train, n_test)
    for dataset, n in ((train, n_train), (test, n_test)):
        assert dataset.data.shape == (n, 1, *size) and dataset.data.dtype == np.float32
        assert dataset.targets.shape == (n,) and dataset.targets.dtype == np.int64
        assert dataset.targets.min() == 0 and dataset.targets.max() == 9
        assert dataset.tensors[0] is dataset.data and dataset.tensors[1] is dataset.targets
    assert train.image_shape == (1, *size)
    assert train.input_dim == size[0] * size[1]
    assert train.num_classes == train.output_dim == len(train.classes) == 10
    assert train.classes[3] == "3 - three"
    assert train.task == "classification"
    assert train.train and not test.train


@pytest.mark.parametrize(("cls", "loader", "size", "n_train", "n_test"), SPLIT_SIZES)
def test_split_is_stratified(cls, loader, size, n_train, n_test):
    _, labels = loader()
    expected_test = _expected_test_counts(labels, 0.2)
    test_counts = np.bincount(cls(train=False).targets, minlength=10)
    train_counts = np.bincount(cls(train=True).targets, minlength=10)
    np.testing.assert_array_equal(test_counts, expected_test)
    np.testing.assert_array_equal(train_counts, np.bincount(labels) - expected_test)
    # Each class keeps its share of the whole, within one sample.
    share = test_counts / np.bincount(labels)
    assert np.all(np.abs(share - 0.2) <= 1 / np.bincount(labels))


@pytest.mark.parametrize(("cls", "loader", "size", "n_train", "n_test"), SPLIT_SIZES)
def test_train_and_test_are_disjoint_and_cover_the_file(cls, loader, size, n_train, n_test):
    images, labels = loader()
    assert len(_row_set(images)) == len(images)  # the file has no duplicate images
    train = cls(train=True, normalize=False, flatten=True)
    test = cls(train=False, normalize=False, flatten=True)
    train_rows, test_rows = _row_set(train.data), _row_set(test.data)
    assert not train_rows & test_rows
    assert train_rows | test_rows == _row_set(images.astype(np.float32))
    assert not set(train.indices) & set(test.indices)
    # Each sample keeps its own label.
    np.testing.assert_array_equal(train.data, images[train.indices].reshape(n_train, -1))
    np.testing.assert_array_equal(test.targets, labels[test.indices])


def test_file_sorted_by_class_comes_out_shuffled():
    _, labels = load_mnist5k()
    assert np.all(np.diff(labels.astype(int)) >= 0)  # the file itself is sorted
    for train in (True, False):
        targets = MNIST5k(train=train).targets
        # In a random order every tenth of the set holds every digit (a digit is missing from
        # a random tenth with probability below 1e-4); a sorted or class-clumped order fails.
        for tenth in np.split(targets, 10):
            assert np.all(np.bincount(tenth, minlength=10) > 0)


@pytest.mark.parametrize("cls", [Digits, MNIST5k])
def test_split_is_reproducible_and_ignores_the_global_seed(cls):
    minitorch.manual_seed(1)
    first = cls(train=False)
    minitorch.manual_seed(2)
    minitorch.generator().random(10)
    second = cls(train=False)
    np.testing.assert_array_equal(first.indices, second.indices)
    np.testing.assert_array_equal(first.data, second.data)


def test_split_seed_and_test_fraction_change_the_split():
    base = Digits(train=False)
    other_seed = Digits(train=False, split_seed=1)
    assert len(other_seed) == len(base)
    assert not np.array_equal(np.sort(base.indices), np.sort(other_seed.indices))
    # Still disjoint from its own training part.
    assert not set(Digits(train=True, split_seed=1).indices) & set(other_seed.indices)

    _, labels = load_digits()
    bigger = Digits(train=False, test_fraction=0.3)
    assert len(bigger) == _expected_test_counts(labels, 0.3).sum()
    assert len(bigger) + len(Digits(train=True, test_fraction=0.3)) == 1797


def test_split_follows_pcg64_raw_keys():
    # The split must depend only on PCG64's raw 64-bit stream, which NumPy guarantees never to
    # change, so that it is the same on every machine and NumPy version.
    bit_generator = np.random.PCG64(0)
    keys, order_keys = bit_generator.random_raw(1797), bit_generator.random_raw(1797)
    _, labels = load_digits()
    test = Digits(train=False)
    # Rebuild the rule by hand: within each class, the samples with the smallest keys.
    expected = set()
    for digit, count in enumerate(_expected_test_counts(labels, 0.2)):
        members = np.flatnonzero(labels == digit)
        expected.update(members[np.argsort(keys[members])[:count]].tolist())
    assert set(test.indices.tolist()) == expected
    # ... and the order within the set follows the second stream of keys.
    ordered_keys = order_keys[test.indices]
    assert np.all(ordered_keys[1:] > ordered_keys[:-1])


def test_digits_normalisation():
    raw = Digits(train=True, normalize=False)
    scaled = Digits(train=True)
    assert raw.data.max() == 16.0 and np.all(raw.data == np.round(raw.data))
    np.testing.assert_array_equal(scaled.data, raw.data / np.float32(16))
    assert scaled.data.min() == 0.0 and scaled.data.max() == 1.0


def test_mnist_normalisation_statistics():
    raw = MNIST5k(train=True, normalize=False)
    normalised = MNIST5k(train=True)
    assert raw.data.max() == 255.0 and np.all(raw.data == np.round(raw.data))
    expected = (raw.data.astype(np.float64) / 255 - 0.1307) / 0.3081
    np.testing.assert_allclose(normalised.data, expected, rtol=1e-6, atol=1e-6)
    # The full MNIST statistics fit this subset: mean near 0, standard deviation near 1.
    assert abs(float(normalised.data.mean(dtype=np.float64))) < 0.02
    assert abs(float(normalised.data.std(dtype=np.float64)) - 1.0) < 0.02
    assert normalised.data.min() == pytest.approx(-0.1307 / 0.3081, rel=1e-6)


def test_mnist_normalisation_matches_torchvision_steps():
    torch = pytest.importorskip("torch")
    raw_images, _ = load_mnist5k()
    ours = MNIST5k(train=False)
    # ToTensor: float32 / 255; Normalize((0.1307,), (0.3081,)): sub_ then div_, in float32.
    tensor = torch.from_numpy(raw_images[ours.indices].copy()).float().div(255)
    reference = tensor.sub_(0.1307).div_(0.3081).unsqueeze(1).numpy()
    np.testing.assert_array_equal(ours.data, reference)


@pytest.mark.parametrize(("cls", "loader", "size", "n_train", "n_test"), SPLIT_SIZES)
def test_flatten_gives_rows(cls, loader, size, n_train, n_test):
    images = cls(train=False)
    rows = cls(train=False, flatten=True)
    assert rows.data.shape == (n_test, size[0] * size[1])
    assert rows.input_dim == images.input_dim == size[0] * size[1]
    assert rows.image_shape == images.image_shape
    np.testing.assert_array_equal(rows.data, images.data.reshape(n_test, -1))
    np.testing.assert_array_equal(rows.targets, images.targets)


def test_indexing_and_batches():
    dataset = Digits(train=True)
    x, y = dataset[0]
    assert x.shape == (1, 8, 8) and x.dtype == np.float32
    assert y.dtype == np.int64 and y == dataset.targets[0]
    xb, yb = default_collate(dataset.__getitems__([5, 0, 7]))
    np.testing.assert_array_equal(xb, dataset.data[[5, 0, 7]])
    np.testing.assert_array_equal(yb, dataset.targets[[5, 0, 7]])
    batches = list(DataLoader(Digits(train=False, flatten=True), batch_size=100))
    assert [b[0].shape for b in batches] == [(100, 64)] * 3 + [(59, 64)]
    assert batches[0][1].dtype == np.int64


def test_repr_describes_the_dataset():
    text = repr(MNIST5k(train=False, flatten=True))
    assert "MNIST5k (Test)" in text and "1000" in text and "(784,)" in text


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"train": "yes"}, TypeError, "train must be True or False"),
        ({"flatten": 1}, TypeError, "flatten must be True or False"),
        ({"normalize": None}, TypeError, "normalize must be True or False"),
        ({"test_fraction": 0}, ValueError, "strictly between 0 and 1"),
        ({"test_fraction": 1.0}, ValueError, "strictly between 0 and 1"),
        ({"test_fraction": -0.2}, ValueError, "strictly between 0 and 1"),
        ({"test_fraction": float("nan")}, ValueError, "strictly between 0 and 1"),
        ({"test_fraction": "0.2"}, TypeError, "test_fraction must be a number"),
        ({"test_fraction": 0.0001}, ValueError, "leaves the test set empty"),
        ({"split_seed": -1}, ValueError, "non-negative"),
        ({"split_seed": 1.5}, TypeError, "split_seed must be an int"),
    ],
)
def test_image_dataset_bad_arguments(kwargs, error, message):
    with pytest.raises(error, match=message) as info:
        Digits(**kwargs)
    assert "Digits" in str(info.value) or "train_test_indices" in str(info.value)


# ----------------------------------------------------------------------------------------------
# SupervisedDataset
# ----------------------------------------------------------------------------------------------


def test_supervised_dataset_regression_attributes():
    X = np.zeros((10, 3), np.float32)
    y = np.zeros((10, 2), np.float32)
    dataset = SupervisedDataset(X, y, task="regression")
    assert dataset.num_classes is None and dataset.classes == []
    assert (dataset.input_dim, dataset.output_dim) == (3, 2)


@pytest.mark.parametrize(
    ("X", "y", "task", "message"),
    [
        (np.zeros((4, 2)), np.zeros(4), "regression", r"shape \(N, output_dim\)"),
        (np.zeros((4, 2)), np.zeros(4), "classification", "integer dtype"),
        (np.zeros((4, 2)), np.zeros(4, np.int64), "ranking", "task must be one of"),
        (np.zeros(4), np.zeros(4, np.int64), "classification", "at least one feature axis"),
    ],
)
def test_supervised_dataset_rejects_mismatched_targets(X, y, task, message):
    with pytest.raises(ValueError, match=message):
        SupervisedDataset(X, y, task=task)


# ----------------------------------------------------------------------------------------------
# Generators
# ----------------------------------------------------------------------------------------------

# (generator, extra keyword arguments, number of classes or None for regression, input width)
GENERATORS = [
    pytest.param(make_spiral, {}, 3, 2, id="spiral"),
    pytest.param(make_spiral, {"n_classes": 7}, 7, 2, id="spiral-7"),
    pytest.param(make_moons, {}, 2, 2, id="moons"),
    pytest.param(make_circles, {"factor": 0.3}, 2, 2, id="circles"),
    pytest.param(make_xor, {}, 2, 2, id="xor"),
    pytest.param(make_blobs, {}, 3, 2, id="blobs"),
    pytest.param(make_blobs, {"n_classes": 5}, 5, 2, id="blobs-5"),
    pytest.param(make_blobs, {"centers": np.eye(4)}, 4, 4, id="blobs-4d"),
    pytest.param(make_sine, {}, None, 1, id="sine"),
]


@pytest.mark.parametrize(("make", "kwargs", "n_classes", "width"), GENERATORS)
@pytest.mark.parametrize("n_samples", [1001, 60])
def test_generator_shapes_dtypes_and_balance(make, kwargs, n_classes, width, n_samples):
    X, y = make(n_samples, seed=0, **kwargs)
    assert X.shape == (n_samples, width) and X.dtype == np.float32
    assert np.all(np.isfinite(X))
    if n_classes is None:
        assert y.shape == (n_samples, 1) and y.dtype == np.float32
    else:
        assert y.shape == (n_samples,) and y.dtype == np.int64
        counts = np.bincount(y)
        assert len(counts) == n_classes  # labels 0 .. n_classes - 1, every one present
        assert counts.max() - counts.min() <= 1
        assert counts.sum() == n_samples


@pytest.mark.parametrize(("make", "kwargs", "n_classes", "width"), GENERATORS)
def test_generator_reproducibility(make, kwargs, n_classes, width):
    first = make(200, seed=7, **kwargs)
    same_int = make(200, seed=7, **kwargs)
    same_generator = make(200, seed=np.random.default_rng(7), **kwargs)
    other = make(200, seed=8, **kwargs)
    for a, b in zip(first, same_int, strict=True):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(first, same_generator, strict=True):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(first[0], other[0])


@pytest.mark.parametrize(("make", "kwargs", "n_classes", "width"), GENERATORS)
def test_generator_default_draws_from_global_generator(make, kwargs, n_classes, width):
    minitorch.manual_seed(3)
    first = make(100, **kwargs)
    second = make(100, **kwargs)  # the global generator has moved on
    minitorch.manual_seed(3)
    again = make(100, **kwargs)
    np.testing.assert_array_equal(first[0], again[0])
    np.testing.assert_array_equal(first[1], again[1])
    assert not np.array_equal(first[0], second[0])


# Generators that add Gaussian noise to X (or to y for the sine): with the same seed the noisy
# data are the clean data plus `noise` times the very same standard normal draws.
ADDITIVE = [
    pytest.param(make_moons, {}, id="moons"),
    pytest.param(make_circles, {}, id="circles"),
    pytest.param(make_xor, {}, id="xor"),
    pytest.param(make_blobs, {}, id="blobs"),
    pytest.param(make_sine, {}, id="sine"),
]


@pytest.mark.parametrize(("make", "kwargs"), ADDITIVE)
@pytest.mark.parametrize("noise", [0.05, 0.3])
def test_noise_is_additive_gaussian_of_the_given_std(make, kwargs, noise):
    clean_X, clean_y = make(4000, noise=0.0, seed=11, **kwargs)
    noisy_X, noisy_y = make(4000, noise=noise, seed=11, **kwargs)
    if make is make_sine:
        np.testing.assert_array_equal(noisy_X, clean_X)
        difference = noisy_y - clean_y
    else:
        np.testing.assert_array_equal(noisy_y, clean_y)
        difference = noisy_X - clean_X
    assert abs(float(difference.mean())) < 4 * noise / math.sqrt(difference.size)
    assert float(difference.std()) == pytest.approx(noise, rel=0.05)


def test_clean_moons_lie_on_their_half_circles():
    X, y = make_moons(500, noise=0.0, seed=0)
    upper, lower = X[y == 0].astype(np.float64), X[y == 1].astype(np.float64)
    np.testing.assert_allclose(np.hypot(upper[:, 0], upper[:, 1]), 1.0, atol=1e-6)
    assert upper[:, 1].min() >= -1e-6
    np.testing.assert_allclose(np.hypot(lower[:, 0] - 1, lower[:, 1] - 0.5), 1.0, atol=1e-6)
    assert lower[:, 1].max() <= 0.5 + 1e-6


def test_clean_circles_have_the_two_radii():
    X, y = make_circles(301, noise=0.0, factor=0.3, seed=0)
    radius = np.hypot(X[:, 0].astype(np.float64), X[:, 1])
    np.testing.assert_allclose(radius[y == 0], 1.0, atol=1e-6)
    np.testing.assert_allclose(radius[y == 1], 0.3, atol=1e-6)
    assert len(_row_set(X)) == 301  # evenly spaced angles, none repeated


def test_xor_labels():
    X, y = make_xor(1000, noise=0.0, seed=0)
    np.testing.assert_array_equal(y, (X[:, 0] > 0) != (X[:, 1] > 0))
    assert np.abs(X).max() <= 1.0 and np.all(X != 0)
    quadrant = (X[:, 0] > 0) * 2 + (X[:, 1] > 0)
    assert np.bincount(quadrant).tolist() == [250] * 4
    noisy_X, noisy_y = make_xor(1000, noise=0.5, seed=0)
    flipped = np.mean(noisy_y != ((noisy_X[:, 0] > 0) != (noisy_X[:, 1] > 0)))
    assert 0.05 < flipped < 0.5  # noise pushes some points across the axes


def test_clean_blobs_sit_on_their_centres():
    centres = np.array([[0.0, 0.0, 1.0], [3.0, -2.0, 0.5]])
    X, y = make_blobs(50, noise=0.0, centers=centres, seed=0)
    np.testing.assert_array_equal(X, centres[y].astype(np.float32))
    X, y = make_blobs(40, n_classes=4, noise=0.0, seed=0)
    distinct = np.unique(X, axis=0)
    assert len(distinct) == 4
    np.testing.assert_allclose(np.hypot(distinct[:, 0], distinct[:, 1]), 5.0, rtol=1e-6)


def test_blob_means_match_centres():
    centres = np.array([[-4.0, 0.0], [4.0, 1.0], [0.0, 6.0]])
    X, y = make_blobs(3000, noise=1.5, centers=centres, seed=0)
    for k in range(3):
        np.testing.assert_allclose(X[y == k].mean(axis=0), centres[k], atol=0.15)


def test_clean_sine():
    X, y = make_sine(500, noise=0.0, seed=0, x_range=(0.0, 2.0))
    assert X.min() >= 0.0 and X.max() < 2.0
    np.testing.assert_allclose(y, np.sin(X.astype(np.float64)), atol=1e-6)


def _spiral_angle_error(X: np.ndarray, y: np.ndarray, n_classes: int) -> np.ndarray:
    """Angle of each point minus where its arm should be at its radius, wrapped to (-π, π]."""
    X = X.astype(np.float64)
    radius = np.hypot(X[:, 0], X[:, 1])
    angle = np.arctan2(X[:, 0], X[:, 1])  # X = (r sin t, r cos t)
    expected = 2 * np.pi * y / n_classes + 4.0 * radius
    error = np.angle(np.exp(1j * (angle - expected)))
    return error[radius > 0.05]  # the angle of a point at the centre is meaningless


def test_spiral_arms_and_angle_noise():
    X, y = make_spiral(900, n_classes=3, noise=0.0, seed=0)
    radius = np.hypot(X[:, 0], X[:, 1])
    assert radius.max() == pytest.approx(1.0, abs=1e-6) and radius.min() == 0.0
    np.testing.assert_allclose(_spiral_angle_error(X, y, 3), 0.0, atol=1e-5)
    X, y = make_spiral(3000, n_classes=3, noise=0.2, seed=0)
    assert float(_spiral_angle_error(X, y, 3).std()) == pytest.approx(0.2, rel=0.1)


def test_shuffle_option():
    _, grouped = make_spiral(90, seed=0, shuffle=False)
    assert np.all(np.diff(grouped) >= 0)
    X_shuffled, shuffled = make_spiral(90, seed=0)
    assert not np.all(np.diff(shuffled) >= 0)
    X_grouped, _ = make_spiral(90, seed=0, shuffle=False)
    assert _row_set(X_grouped) == _row_set(X_shuffled)  # the same points, reordered


@pytest.mark.parametrize(
    ("make", "kwargs", "error", "message"),
    [
        (make_spiral, {"n_samples": 0}, ValueError, "n_samples must be at least 1"),
        (make_spiral, {"n_samples": 2.5}, TypeError, "n_samples must be an int"),
        (make_spiral, {"n_samples": True}, TypeError, "n_samples must be an int"),
        (make_spiral, {"n_samples": 2, "n_classes": 3}, ValueError, "fewer than the 3 classes"),
        (make_spiral, {"n_classes": 1}, ValueError, "n_classes must be at least 2"),
        (make_moons, {"n_samples": 1}, ValueError, "n_samples must be at least 2"),
        (make_moons, {"noise": -0.1}, ValueError, "cannot be negative"),
        (make_moons, {"noise": float("inf")}, ValueError, "noise must be finite"),
        (make_moons, {"noise": "low"}, TypeError, "noise must be a number"),
        (make_circles, {"factor": 1.0}, ValueError, "0 <= factor < 1"),
        (make_circles, {"factor": -0.5}, ValueError, "0 <= factor < 1"),
        (make_xor, {"seed": -1}, ValueError, "seed must be a non-negative int"),
        (make_xor, {"seed": "abc"}, TypeError, "seed must be an int, a numpy.random.Generator"),
        (make_xor, {"seed": np.random.RandomState(0)}, TypeError, "default_rng"),
        (make_blobs, {"centers": [1.0, 2.0]}, ValueError, r"shape \(K, D\)"),
        (make_blobs, {"centers": [[0, 0]]}, ValueError, "at least 2 centres"),
        (make_blobs, {"centers": [[0, 0], [1, 1]], "n_classes": 3}, ValueError, "disagrees"),
        (make_blobs, {"centers": [[0, np.nan], [1, 1]]}, ValueError, "finite"),
        (make_blobs, {"centers": [["a", "b"], [1, 1]]}, TypeError, "array of numbers"),
        (make_sine, {"x_range": (1.0, 1.0)}, ValueError, "needs low < high"),
        (make_sine, {"x_range": 3.0}, TypeError, r"pair \(low, high\)"),
        (make_sine, {"x_range": (0.0, "pi")}, TypeError, r"x_range\[1\] must be a number"),
    ],
)
def test_generator_bad_arguments(make, kwargs, error, message):
    with pytest.raises(error, match=message) as info:
        make(**kwargs)
    assert make.__name__ in str(info.value)


# ----------------------------------------------------------------------------------------------
# The registry
# ----------------------------------------------------------------------------------------------

GENERATED = ["spiral", "moons", "circles", "xor", "blobs", "sine"]


FROM_FILES = ["mnist", "fashion-mnist"]


def test_registry_lists_every_dataset():
    assert list(DATASETS) == [*GENERATED, "digits", "mnist5k", *FROM_FILES]
    for name, info in DATASETS.items():
        assert info.name == name
        assert info.task in ("classification", "regression")
        assert info.description
        assert info.generated == (name in GENERATED)
        assert info.needs_root == (name in FROM_FILES)
        assert (info.image_shape is None) == (name in GENERATED)
        assert "seed" not in info.options and "train" not in info.options
    assert DATASETS["sine"].task == "regression"
    assert {"n_samples", "noise", "n_classes"} <= set(DATASETS["spiral"].options)
    assert {"normalize", "flatten", "split_seed"} <= set(DATASETS["digits"].options)
    assert {"root", "download", "transform"} <= set(DATASETS["mnist"].options)
    assert DATASETS["digits"].image_shape == (1, 8, 8)
    assert DATASETS["mnist5k"].image_shape == DATASETS["mnist"].image_shape == (1, 28, 28)


def test_registry_reads_the_data_sets_from_files_in_root(tmp_path):
    from idx_folder import write_idx_folder

    write_idx_folder(tmp_path, train=30, test=10)
    for name, cls in (("mnist", MNIST), ("fashion-mnist", FashionMNIST)):
        train, test = get_dataset(name, root=tmp_path)
        assert type(train) is cls and train.train and not test.train
        assert (len(train), len(test), train.input_dim, train.num_classes) == (30, 10, 784, 10)
    with pytest.raises(TypeError, match="is read from files: give root="):
        get_dataset("mnist")
    with pytest.raises(ValueError, match=r"fixed split of its own.*test_fraction does not apply"):
        get_dataset("mnist", root=tmp_path, test_fraction=0.5)
    with pytest.raises(FileNotFoundError, match="FashionMNIST/raw/train-images"):
        get_dataset("fashion-mnist", root=tmp_path / "elsewhere")


@pytest.mark.parametrize("name", GENERATED)
def test_generated_splits(name):
    train, test = get_dataset(name, seed=0, n_samples=500)
    info = DATASETS[name]
    for dataset in (train, test):
        assert isinstance(dataset, SupervisedDataset) and isinstance(dataset, TensorDataset)
        assert dataset.task == info.task and dataset.data.dtype == np.float32
    assert len(train) + len(test) == 500 and len(test) == pytest.approx(100, abs=2)
    assert not _row_set(train.data) & _row_set(test.data)
    assert _row_set(train.data) | _row_set(test.data) == _row_set(
        info.source(500, seed=0)[0]
    )  # together exactly the generated samples
    if info.task == "classification":
        assert train.num_classes == test.num_classes == int(train.targets.max()) + 1
        all_labels = np.concatenate([train.targets, test.targets])
        np.testing.assert_array_equal(
            np.bincount(test.targets), _expected_test_counts(all_labels, 0.2)
        )
    else:
        assert train.targets.shape == (len(train), 1) and train.output_dim == 1


@pytest.mark.parametrize("name", GENERATED)
def test_generated_splits_are_reproducible(name):
    first = get_dataset(name, seed=5)
    again = get_dataset(name, seed=5)
    other = get_dataset(name, seed=6)
    for a, b in zip(first, again, strict=True):
        np.testing.assert_array_equal(a.data, b.data)
        np.testing.assert_array_equal(a.targets, b.targets)
    assert not np.array_equal(first[0].data, other[0].data)
    minitorch.manual_seed(9)
    from_global = get_dataset(name)
    minitorch.manual_seed(9)
    np.testing.assert_array_equal(from_global[1].data, get_dataset(name)[1].data)


def test_registry_passes_options_on():
    train, test = get_dataset("spiral", seed=0, n_samples=500, n_classes=5, noise=0.0)
    assert train.num_classes == 5 and train.output_dim == 5 and len(test) == 100
    train, test = get_dataset("Digits", flatten=True, test_fraction=0.25)
    assert isinstance(train, Digits) and not test.train
    assert train.data.shape[1] == 64 and train.input_dim == 64
    assert len(train) + len(test) == 1797
    assert not set(train.indices) & set(test.indices)
    train, _ = get_dataset("blobs", seed=0, centers=np.eye(3), noise=0.1)
    assert train.input_dim == 3 and train.num_classes == 3


def test_registry_output_feeds_a_dataloader():
    train, _ = get_dataset("moons", seed=0)
    xb, yb = next(iter(DataLoader(train, batch_size=32, shuffle=True)))
    assert xb.shape == (32, 2) and xb.dtype == np.float32 and yb.dtype == np.int64


@pytest.mark.parametrize(
    ("args", "kwargs", "error", "message"),
    [
        (("swirl",), {}, ValueError, "unknown data set 'swirl'; choose one of: spiral, moons"),
        ((3,), {}, TypeError, "name must be a string"),
        (("moons",), {"n_classes": 3}, TypeError, "takes no option.* n_classes; it accepts"),
        (("digits",), {"n_samples": 10}, TypeError, "accepts: normalize, flatten, split_seed"),
        (("moons",), {"test_fraction": 1.5}, ValueError, "strictly between 0 and 1"),
        (("moons",), {"seed": "x"}, TypeError, "seed must be an int"),
        (("digits",), {"seed": -3}, ValueError, "seed must be a non-negative int"),
    ],
)
def test_registry_bad_arguments(args, kwargs, error, message):
    with pytest.raises(error, match=message):
        get_dataset(*args, **kwargs)
