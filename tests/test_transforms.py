"""Tests of minitorch.transforms: the math of each transform, checked directly.

torchvision cannot be imported beside this torch, so there is no parity test: Normalize is
compared with its formula exactly, crops with windows of the padded image, flips with mirrored
images, shifts with hand-shifted images, and the randomness is checked to be per image,
uniform, drawn from minitorch's global generator and reproducible with a seed.
"""

from __future__ import annotations

import numpy as np
import pytest

import minitorch
from minitorch import transforms as T


def _unique_images(n: int, c: int = 2, h: int = 5, w: int = 6) -> np.ndarray:
    """Images whose every pixel value occurs once, so a window tells where it was cut."""
    return np.arange(1, n * c * h * w + 1, dtype=np.float32).reshape(n, c, h, w)


def _window_offsets(out: np.ndarray, padded: np.ndarray) -> list[tuple[int, int]]:
    """For each output image, the one (top, left) of ``padded`` it is the window at."""
    h, w = out.shape[2:]
    offsets = []
    for n in range(len(out)):
        found = [
            (top, left)
            for top in range(padded.shape[2] - h + 1)
            for left in range(padded.shape[3] - w + 1)
            if np.array_equal(out[n], padded[n, :, top : top + h, left : left + w])
        ]
        assert len(found) == 1, f"image {n} is not exactly one window of its padded image"
        offsets.append(found[0])
    return offsets


def _shifted(image: np.ndarray, dy: int, dx: int, fill: float) -> np.ndarray:
    """``image`` (C, H, W) moved down by dy and right by dx, written out the slow way."""
    out = np.full_like(image, fill)
    _, height, width = image.shape
    for y in range(height):
        for x in range(width):
            if 0 <= y - dy < height and 0 <= x - dx < width:
                out[:, y, x] = image[:, y - dy, x - dx]
    return out


ALL_TRANSFORMS = [
    pytest.param(lambda: T.Normalize((0.5, 0.25), (2.0, 4.0)), id="Normalize"),
    pytest.param(lambda: T.RandomCrop(4, padding=2), id="RandomCrop"),
    pytest.param(lambda: T.RandomHorizontalFlip(0.5), id="RandomHorizontalFlip"),
    pytest.param(lambda: T.RandomShift(2), id="RandomShift"),
    pytest.param(
        lambda: T.Compose([T.RandomShift(1), T.RandomHorizontalFlip(), T.Normalize(0.5, 0.5)]),
        id="Compose",
    ),
]


# ----------------------------------------------------------------------------------------------
# What every transform shares
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("make", ALL_TRANSFORMS)
def test_one_image_is_a_batch_of_one_under_the_same_seed(make):
    transform = make()
    image = _unique_images(1)[0]
    minitorch.manual_seed(7)
    one = transform(image)
    minitorch.manual_seed(7)
    batch = transform(image[None])
    assert one.ndim == 3 and batch.ndim == 4
    np.testing.assert_array_equal(one, batch[0])


@pytest.mark.parametrize("make", ALL_TRANSFORMS)
def test_reproducible_with_manual_seed_and_never_modifies_the_input(make):
    transform = make()
    images = _unique_images(16)
    before = images.copy()
    minitorch.manual_seed(3)
    first = transform(images)
    minitorch.manual_seed(3)
    again = transform(images)
    np.testing.assert_array_equal(first, again)
    np.testing.assert_array_equal(images, before)
    assert not np.shares_memory(first, images)


@pytest.mark.parametrize("make", ALL_TRANSFORMS[1:4])
def test_random_transforms_draw_from_the_global_generator(make):
    transform = make()
    images = _unique_images(32)
    minitorch.manual_seed(3)
    first = transform(images)
    second = transform(images)  # the generator moved on: other draws
    assert not np.array_equal(first, second)
    minitorch.manual_seed(4)
    assert not np.array_equal(first, transform(images))


@pytest.mark.parametrize("make", ALL_TRANSFORMS)
@pytest.mark.parametrize(
    ("bad", "error", "words"),
    [
        ([[[0.0]]], TypeError, "NumPy array"),
        (np.zeros((5, 6), np.float32), ValueError, "add the channel axis"),
        (np.zeros((1, 1, 1, 5, 6), np.float32), ValueError, "(N, C, H, W)"),
    ],
    ids=["list", "2-D", "5-D"],
)
def test_bad_inputs_are_refused_with_the_shape_expected(make, bad, error, words):
    with pytest.raises(error, match=r"\(C, H, W\)") as info:
        make()(bad)
    assert words in str(info.value)


def test_every_transform_says_it_handles_batches():
    for param in ALL_TRANSFORMS:
        assert param.values[0]().batched is True


# ----------------------------------------------------------------------------------------------
# Normalize
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_normalize_is_exactly_x_minus_mean_over_std_per_channel(dtype, rng):
    images = rng.random((8, 3, 4, 5)).astype(dtype)
    mean, std = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)
    out = T.Normalize(mean, std)(images)
    assert out.dtype == dtype
    for c in range(3):
        expected = (images[:, c] - dtype(mean[c])) / dtype(std[c])
        np.testing.assert_array_equal(out[:, c], expected)


def test_normalize_one_value_for_every_channel_and_mnist_statistics(rng):
    images = rng.random((4, 3, 2, 2)).astype(np.float32)
    out = T.Normalize(0.5, 0.25)(images)
    np.testing.assert_array_equal(out, (images - np.float32(0.5)) / np.float32(0.25))
    digit = rng.random((1, 28, 28)).astype(np.float32)
    out = T.Normalize((0.1307,), (0.3081,))(digit)
    np.testing.assert_array_equal(out, (digit - np.float32(0.1307)) / np.float32(0.3081))


@pytest.mark.parametrize(
    ("mean", "std", "error", "words"),
    [
        ((0.5,), (0.0,), ValueError, "positive"),
        ((0.5,), (-1.0,), ValueError, "positive"),
        ((0.5, 0.5), (1.0, 1.0, 1.0), ValueError, "mean has 2 values but std has 3"),
        ((), (1.0,), ValueError, "non-empty"),
        ([[0.5]], (1.0,), ValueError, "one per"),
        (("a",), (1.0,), TypeError, "sequence of numbers"),
        ((float("nan"),), (1.0,), ValueError, "finite"),
    ],
    ids=["zero-std", "negative-std", "lengths", "empty", "nested", "text", "nan"],
)
def test_normalize_refuses_bad_statistics(mean, std, error, words):
    with pytest.raises(error, match="Normalize") as info:
        T.Normalize(mean, std)
    assert words in str(info.value)


def test_normalize_refuses_integer_images_and_wrong_channel_counts():
    with pytest.raises(TypeError, match=r"floating-point images, got dtype uint8.*/ 255"):
        T.Normalize(0.5, 0.5)(np.zeros((1, 28, 28), np.uint8))
    with pytest.raises(ValueError, match=r"3 values .* 1 channel"):
        T.Normalize((0.5, 0.5, 0.5), (1.0, 1.0, 1.0))(np.zeros((2, 1, 28, 28), np.float32))


# ----------------------------------------------------------------------------------------------
# RandomCrop and crop
# ----------------------------------------------------------------------------------------------


def test_crop_cuts_each_image_at_its_own_place():
    images = _unique_images(3, h=6, w=7)
    tops, lefts = np.array([0, 2, 1]), np.array([3, 0, 1])
    out = T.crop(images, tops, lefts, (4, 3))
    assert out.shape == (3, 2, 4, 3)
    for n in range(3):
        expected = images[n, :, tops[n] : tops[n] + 4, lefts[n] : lefts[n] + 3]
        np.testing.assert_array_equal(out[n], expected)


@pytest.mark.parametrize(
    ("size", "padding", "expected_padding"),
    [
        (5, 2, ((2, 2), (2, 2))),
        ((4, 6), (1, 3), ((3, 3), (1, 1))),  # (left/right, top/bottom)
        ((6, 3), (0, 1, 2, 3), ((1, 3), (0, 2))),  # (left, top, right, bottom)
        ((5, 6), None, ((0, 0), (0, 0))),
    ],
    ids=["int", "pair", "four", "none"],
)
def test_random_crop_gives_windows_of_the_padded_image(size, padding, expected_padding):
    images = _unique_images(24)
    padded = np.pad(images, ((0, 0), (0, 0), *expected_padding), constant_values=-1.0)
    out = T.RandomCrop(size, padding=padding, fill=-1.0)(images)
    h, w = (size, size) if isinstance(size, int) else size
    assert out.shape == (24, 2, h, w) and out.dtype == images.dtype
    offsets = _window_offsets(out, padded)
    if padded.shape[2:] != (h, w):
        assert len(set(offsets)) > 1, "every image of the batch was cut at the same place"


@pytest.mark.parametrize("mode", ["edge", "reflect", "symmetric"])
def test_random_crop_padding_modes_are_numpys(mode):
    images = _unique_images(10)
    padded = np.pad(images, ((0, 0), (0, 0), (2, 2), (2, 2)), mode=mode)
    _window_offsets(T.RandomCrop((5, 6), padding=2, padding_mode=mode)(images), padded)


def test_random_crop_offsets_are_uniform_and_independent():
    images = _unique_images(9000, c=1, h=3, w=3)
    out = T.RandomCrop(3, padding=1)(images)
    # The centre of the window cut at (top, left) of the padded image is the image's pixel
    # (top, left); pixel values are unique, so it says where each window was cut.
    centre = out[:, 0, 1, 1]
    top_left = np.full(len(images), -1)
    for top in range(3):
        for left in range(3):
            top_left[images[:, 0, top, left] == centre] = 3 * top + left
    assert (top_left >= 0).all()
    counts = np.bincount(top_left, minlength=9)
    assert counts.min() > 850 and counts.max() < 1150, counts  # 1000 each, about ±3.3σ


def test_random_crop_of_a_uint8_image_keeps_its_dtype():
    image = np.arange(28 * 28, dtype=np.uint16).reshape(1, 28, 28).astype(np.uint8)
    out = T.RandomCrop(24)(image)
    assert out.shape == (1, 24, 24) and out.dtype == np.uint8


@pytest.mark.parametrize(
    ("arguments", "error", "words"),
    [
        ({"size": 0}, ValueError, "size must be at least 1"),
        ({"size": "28"}, TypeError, "size must be an int or a pair"),
        ({"size": (28, 28, 1)}, TypeError, "size must be an int or a pair"),
        ({"size": 28, "padding": -1}, ValueError, "must not be negative"),
        ({"size": 28, "padding": (1, 2, 3)}, TypeError, "(left, top, right, bottom)"),
        ({"size": 28, "padding_mode": "wrap"}, ValueError, "constant, edge, reflect"),
        ({"size": 28, "fill": "black"}, TypeError, "fill must be a number"),
    ],
    ids=["size-0", "size-text", "size-triple", "negative-pad", "three-pads", "mode", "fill"],
)
def test_random_crop_refuses_bad_arguments(arguments, error, words):
    with pytest.raises(error, match="RandomCrop") as info:
        T.RandomCrop(**arguments)
    assert words in str(info.value)


def test_random_crop_larger_than_the_padded_image_says_so():
    with pytest.raises(ValueError, match=r"28×28, 30×30 with padding .* smaller than the crop"):
        T.RandomCrop(32, padding=1)(np.zeros((1, 28, 28), np.float32))


# ----------------------------------------------------------------------------------------------
# RandomHorizontalFlip
# ----------------------------------------------------------------------------------------------


def test_flip_mirrors_some_images_and_keeps_the_others():
    images = _unique_images(2000, c=1, h=2, w=3)
    out = T.RandomHorizontalFlip(p=0.5)(images)
    flipped = np.all(out == images[..., ::-1], axis=(1, 2, 3))
    kept = np.all(out == images, axis=(1, 2, 3))
    assert np.all(flipped ^ kept)  # each image is one or the other
    assert 900 < flipped.sum() < 1100  # 1000 expected, about ±4.5σ


@pytest.mark.parametrize("p", [0.0, 1.0])
def test_flip_with_probability_zero_or_one(p):
    images = _unique_images(5)
    out = T.RandomHorizontalFlip(p=p)(images)
    np.testing.assert_array_equal(out, images[..., ::-1] if p else images)
    np.testing.assert_array_equal(T.hflip(images), images[..., ::-1])


@pytest.mark.parametrize(
    ("p", "error"), [(1.5, ValueError), (-0.1, ValueError), ("0.5", TypeError), (True, TypeError)]
)
def test_flip_refuses_a_probability_outside_zero_to_one(p, error):
    with pytest.raises(error, match="RandomHorizontalFlip: p"):
        T.RandomHorizontalFlip(p)


# ----------------------------------------------------------------------------------------------
# RandomShift
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("max_shift", "fill"), [(2, 0.0), ((1, 3), -5.0), ((0, 1), 0.0)])
def test_shift_moves_each_image_by_whole_pixels_within_the_range(max_shift, fill):
    images = _unique_images(40, h=5, w=6)
    out = T.RandomShift(max_shift, fill=fill)(images)
    assert out.shape == images.shape
    max_dy, max_dx = (max_shift, max_shift) if isinstance(max_shift, int) else max_shift
    shifts = []
    for n in range(len(images)):
        matches = [
            (dy, dx)
            for dy in range(-max_dy, max_dy + 1)
            for dx in range(-max_dx, max_dx + 1)
            if np.array_equal(out[n], _shifted(images[n], dy, dx, fill))
        ]
        assert len(matches) == 1, f"image {n} is not a shift of at most {max_shift}"
        shifts.append(matches[0])
    assert len(set(shifts)) > 1  # per image, not one shift for the whole batch


def test_shift_is_random_crop_of_the_same_size_with_the_same_draws():
    images = _unique_images(30, h=28, w=20)
    minitorch.manual_seed(11)
    shifted = T.RandomShift((3, 2), fill=0.5)(images)
    minitorch.manual_seed(11)
    cropped = T.RandomCrop((28, 20), padding=(2, 3), fill=0.5)(images)
    np.testing.assert_array_equal(shifted, cropped)


def test_shift_of_zero_is_the_identity_and_bad_shifts_are_refused():
    images = _unique_images(3)
    np.testing.assert_array_equal(T.RandomShift(0)(images), images)
    with pytest.raises(ValueError, match="RandomShift: max_shift must be at least 0"):
        T.RandomShift(-1)
    with pytest.raises(TypeError, match="RandomShift: max_shift must be an int or a pair"):
        T.RandomShift(1.5)


# ----------------------------------------------------------------------------------------------
# Compose and Lambda
# ----------------------------------------------------------------------------------------------


def test_compose_applies_in_order_and_knows_whether_it_is_batched():
    double, plus_one = T.Lambda(lambda x: x * 2, batched=True), T.Lambda(lambda x: x + 1)
    images = _unique_images(2)
    np.testing.assert_array_equal(T.Compose([double, plus_one])(images), images * 2 + 1)
    np.testing.assert_array_equal(T.Compose([plus_one, double])(images), (images + 1) * 2)
    assert T.Compose([double, T.RandomShift(1)]).batched is True
    assert T.Compose([double, plus_one]).batched is False
    assert T.Compose([double, lambda x: x]).batched is False  # a plain function: per image
    assert T.Compose([]).batched is True
    assert "RandomShift(max_shift=(1, 1), fill=0)" in repr(T.Compose([T.RandomShift(1)]))


def test_compose_and_lambda_refuse_what_is_not_a_transform():
    with pytest.raises(TypeError, match=r"Compose\(\[t1, t2\]\)"):
        T.Compose(T.RandomShift(1))
    with pytest.raises(TypeError, match=r"transforms\[1\] is int"):
        T.Compose([T.RandomShift(1), 3])
    with pytest.raises(TypeError, match="Lambda expects a function"):
        T.Lambda(3)
    with pytest.raises(TypeError, match="batched must be True or False"):
        T.Lambda(abs, batched="yes")
