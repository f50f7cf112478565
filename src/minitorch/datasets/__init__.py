"""Data sets to train on: two small real image sets shipped with minitorch, and toy generators.

Bundled image data (no download; each file is checked against its SHA-256 when read):

- :class:`Digits`: 1,797 handwritten digits of 8×8 pixels (UCI optdigits, CC BY 4.0).
- :class:`MNIST5k`: 5,000 MNIST digits of 28×28 pixels, 500 per class (CC BY-SA 3.0).
- :func:`load_digits`, :func:`load_mnist5k`: the raw uint8 arrays.

The full data sets, read from the standard IDX files a student has or downloads
(``download=True``), as torchvision reads them: :class:`MNIST` and :class:`FashionMNIST`
(60,000 training and 10,000 test images of 28×28 pixels each).

Both classes are :class:`~minitorch.utils.data.TensorDataset` s with a fixed, stratified
train/test split (``train=True`` / ``False``), float32 images and int64 labels::

    from minitorch.datasets import Digits
    from minitorch.utils.data import DataLoader

    train_loader = DataLoader(Digits(train=True, flatten=True), batch_size=64, shuffle=True)

Seeded generators returning ``(X, y)`` arrays: :func:`make_spiral`, :func:`make_moons`,
:func:`make_circles`, :func:`make_xor`, :func:`make_blobs` (classification) and
:func:`make_sine` (regression); :func:`make_two_moons`, the standardised point cloud a
generative model learns (diffusion).

:data:`DATASETS` and :func:`get_dataset` build any of them by name, as train and test
:class:`SupervisedDataset` s. Sources and licences: ``minitorch/datasets/data/README.md``.

Character-level text for language models (:mod:`~minitorch.datasets.text`, not in
:data:`DATASETS`: a language model trains on random windows, not on samples):
:class:`TinyShakespeare` (bundled, split 90/10 as nanoGPT), :class:`CharDataset` for any text,
:class:`CharVocab` (encode / decode), with nanoGPT's ``get_batch`` windows.

Long-range sequence tasks for recurrent networks (:mod:`~minitorch.datasets.sequences`):
:func:`make_adding_problem` (sum two marked numbers of T) and :func:`make_copy_task`
(remember the first symbol for T steps).
"""

from __future__ import annotations

from ._bundled import load_digits, load_mnist5k
from ._split import DEFAULT_TEST_FRACTION, SPLIT_SEED
from .base import CLASSIFICATION, REGRESSION, SupervisedDataset
from .density import make_two_moons
from .images import Digits, MNIST5k
from .mnist import MNIST, FashionMNIST
from .registry import DATASETS, DatasetInfo, get_dataset
from .sequences import make_adding_problem, make_copy_task
from .synthetic import make_blobs, make_circles, make_moons, make_sine, make_spiral, make_xor
from .text import CharDataset, CharVocab, TinyShakespeare

__all__ = [
    "CLASSIFICATION",
    "DATASETS",
    "DEFAULT_TEST_FRACTION",
    "MNIST",
    "REGRESSION",
    "SPLIT_SEED",
    "CharDataset",
    "CharVocab",
    "DatasetInfo",
    "Digits",
    "FashionMNIST",
    "MNIST5k",
    "SupervisedDataset",
    "TinyShakespeare",
    "get_dataset",
    "load_digits",
    "load_mnist5k",
    "make_adding_problem",
    "make_blobs",
    "make_circles",
    "make_copy_task",
    "make_moons",
    "make_sine",
    "make_spiral",
    "make_two_moons",
    "make_xor",
]
