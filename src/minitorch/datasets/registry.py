"""Every data set by name, so a command-line trainer can build any of them from a string.

>>> train, test = get_dataset("spiral", seed=0, n_classes=4)
>>> train.task, train.input_dim, train.num_classes, len(train), len(test)
('classification', 2, 4, 240, 60)
>>> for name, info in DATASETS.items():
...     print(f"{name:8} {info.task:14} {info.description}")
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ._split import DEFAULT_TEST_FRACTION, SPLIT_SEED, check_test_fraction, train_test_indices
from .base import CLASSIFICATION, REGRESSION, SupervisedDataset
from .images import Digits, MNIST5k
from .mnist import MNIST, FashionMNIST
from .synthetic import (
    as_generator,
    make_blobs,
    make_circles,
    make_moons,
    make_sine,
    make_spiral,
    make_xor,
)

__all__ = ["DATASETS", "DatasetInfo", "get_dataset"]


@dataclass(frozen=True)
class DatasetInfo:
    """One entry of :data:`DATASETS`.

    Attributes
    ----------
    name : str
        The name :func:`get_dataset` takes.
    task : str
        ``'classification'`` or ``'regression'``: which loss a trainer should use.
    description : str
        One line for ``--help`` texts.
    source : callable
        A generator ``make_*(n_samples, noise, seed, ...) -> (X, y)``, or a dataset class
        ``cls(train, ...)``.
    image_shape : tuple of int, optional
        ``(C, H, W)`` of one image for the image data sets (what a convolutional network needs
        to know before loading them); ``None`` for the others.
    needs_root : bool
        Whether the data set is read from files the user has (or downloads): ``get_dataset``
        then requires ``root`` (and accepts ``download``), and the split is the data set's own
        (no ``test_fraction``).
    options : tuple of str
        The keyword arguments ``get_dataset`` passes on to ``source`` (besides ``seed`` and
        ``test_fraction``).
    """

    name: str
    task: str
    description: str
    source: Callable[..., Any]
    image_shape: tuple[int, int, int] | None = None
    needs_root: bool = False
    options: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        handled_here = {"seed", "train", "test_fraction", "shuffle"}
        accepted = tuple(
            name for name in inspect.signature(self.source).parameters if name not in handled_here
        )
        object.__setattr__(self, "options", accepted)

    @property
    def generated(self) -> bool:
        """Whether the data are generated (``make_*``) rather than read from a bundled file."""
        return not isinstance(self.source, type)


DATASETS: dict[str, DatasetInfo] = {
    info.name: info
    for info in (
        DatasetInfo(
            "spiral",
            CLASSIFICATION,
            "interleaved spiral arms in 2-D, one per class (CS231n); n_classes=3 by default",
            make_spiral,
        ),
        DatasetInfo("moons", CLASSIFICATION, "two interleaving half circles in 2-D", make_moons),
        DatasetInfo(
            "circles", CLASSIFICATION, "a small circle inside a large one in 2-D", make_circles
        ),
        DatasetInfo(
            "xor",
            CLASSIFICATION,
            "2-D points labelled by whether their coordinates' signs differ (XOR)",
            make_xor,
        ),
        DatasetInfo(
            "blobs",
            CLASSIFICATION,
            "Gaussian clusters in 2-D, one per class; n_classes=3 by default",
            make_blobs,
        ),
        DatasetInfo("sine", REGRESSION, "y = sin(x) + noise, x uniform in [-pi, pi)", make_sine),
        DatasetInfo(
            "digits",
            CLASSIFICATION,
            "1,797 handwritten digits, 8x8 pixels (UCI optdigits; CC BY 4.0)",
            Digits,
            image_shape=(1, 8, 8),
        ),
        DatasetInfo(
            "mnist5k",
            CLASSIFICATION,
            "5,000 MNIST digits, 28x28 pixels, 500 per class (CC BY-SA 3.0)",
            MNIST5k,
            image_shape=(1, 28, 28),
        ),
        DatasetInfo(
            "mnist",
            CLASSIFICATION,
            "the full MNIST: 60,000 + 10,000 digits, 28x28 pixels, from its files (CC BY-SA 3.0)",
            MNIST,
            image_shape=(1, 28, 28),
            needs_root=True,
        ),
        DatasetInfo(
            "fashion-mnist",
            CLASSIFICATION,
            "Fashion-MNIST: 60,000 + 10,000 images of clothes, 28x28 pixels, from its files (MIT)",
            FashionMNIST,
            image_shape=(1, 28, 28),
            needs_root=True,
        ),
    )
}
"""Name -> :class:`DatasetInfo` for every data set :func:`get_dataset` can build."""


def get_dataset(
    name: str,
    *,
    seed: int | np.random.Generator | None = None,
    test_fraction: float | None = None,
    **options: Any,
) -> tuple[SupervisedDataset, SupervisedDataset]:
    """Build the training and test sets of the data set called ``name``.

    Parameters
    ----------
    name : str
        A key of :data:`DATASETS` (case does not matter): ``'spiral'``, ``'moons'``,
        ``'circles'``, ``'xor'``, ``'blobs'``, ``'sine'``, ``'digits'``, ``'mnist5k'``,
        ``'mnist'``, ``'fashion-mnist'``.
    seed : int, numpy.random.Generator or None
        For generated data sets: the seed of the data (``None`` draws from minitorch's global
        generator, so :func:`minitorch.manual_seed` fixes it). The bundled image data sets are
        fixed and ignore it.
    test_fraction : float, optional
        Share of the samples held out for the test set (default 0.2). The split is stratified
        by class for classification and uses a fixed seed of its own, so the two sets never
        overlap and, given the data, are always split the same way. The data sets read from
        files (``DATASETS[name].needs_root``: ``'mnist'``, ``'fashion-mnist'``) have their own
        fixed split (60,000 / 10,000) and refuse it.
    **options
        Passed on to the generator or dataset class, e.g. ``n_samples``, ``noise``,
        ``n_classes`` for ``'spiral'``, ``flatten``, ``normalize`` for ``'digits'``, or
        ``root`` (required), ``download``, ``transform`` for ``'mnist'``.
        ``DATASETS[name].options`` lists what each accepts.

    Returns
    -------
    train, test : SupervisedDataset
        TensorDatasets of ``(inputs, targets)`` with ``task``, ``input_dim``, ``output_dim`` and
        ``num_classes`` attributes for building a model and choosing its loss. For the data
        sets read from files, the :class:`~minitorch.datasets.MNIST` (or ``FashionMNIST``)
        training and test sets, which have the same attributes but convert each batch when it
        is fetched instead of holding ``tensors``.
    """
    if not isinstance(name, str):
        raise TypeError(f"get_dataset: name must be a string, got {type(name).__name__}")
    info = DATASETS.get(name.strip().lower())
    if info is None:
        raise ValueError(
            f"get_dataset: unknown data set {name!r}; choose one of: " + ", ".join(DATASETS)
        )
    unknown = sorted(set(options) - set(info.options))
    if unknown:
        raise TypeError(
            f"get_dataset: data set {info.name!r} takes no option(s) {', '.join(unknown)}; "
            f"it accepts: {', '.join(info.options)} (plus seed and test_fraction)"
        )
    if info.needs_root:
        if test_fraction is not None:
            raise ValueError(
                f"get_dataset: data set {info.name!r} has a fixed split of its own (60,000 "
                "training and 10,000 test images); test_fraction does not apply"
            )
        if "root" not in options:
            raise TypeError(
                f"get_dataset: data set {info.name!r} is read from files: give root='folder' "
                "(the folder that holds them, or where download=True puts them)"
            )
        as_generator(seed, "get_dataset")  # unused by the fixed image sets, but still checked
        return info.source(train=True, **options), info.source(train=False, **options)
    test_fraction = check_test_fraction(
        DEFAULT_TEST_FRACTION if test_fraction is None else test_fraction, "get_dataset"
    )

    if not info.generated:
        as_generator(seed, "get_dataset")  # unused by the fixed image sets, but still checked
        train = info.source(train=True, test_fraction=test_fraction, **options)
        test = info.source(train=False, test_fraction=test_fraction, **options)
        return train, test

    X, y = info.source(seed=seed, **options)
    labels = y if info.task == CLASSIFICATION else None
    train_idx, test_idx = train_test_indices(len(X), test_fraction, SPLIT_SEED, labels=labels)
    classes = [str(c) for c in range(int(y.max()) + 1)] if info.task == CLASSIFICATION else None
    return tuple(  # type: ignore[return-value]
        SupervisedDataset(
            X[indices],
            y[indices],
            task=info.task,
            classes=classes,
            name=f"{info.name} ({part})",
        )
        for indices, part in ((train_idx, "Train"), (test_idx, "Test"))
    )
