"""SupervisedDataset: a TensorDataset of ``(inputs, targets)`` that knows its task and sizes."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..utils.data import TensorDataset

__all__ = ["CLASSIFICATION", "REGRESSION", "TASKS", "SupervisedDataset"]

CLASSIFICATION = "classification"
REGRESSION = "regression"
TASKS = (CLASSIFICATION, REGRESSION)

#: The class names of handwritten digits, as torchvision's MNIST gives them.
DIGIT_CLASSES = (
    "0 - zero",
    "1 - one",
    "2 - two",
    "3 - three",
    "4 - four",
    "5 - five",
    "6 - six",
    "7 - seven",
    "8 - eight",
    "9 - nine",
)


class SupervisedDataset(TensorDataset):
    """Inputs and targets in two arrays, plus what a training script needs to build a model.

    Sample ``i`` is ``(data[i], targets[i])``; ``__getitems__(indices)`` returns those samples
    stored as ``(data[indices], targets[indices])``, one fancy index per array (see
    :class:`~minitorch.utils.data.TensorDataset`).

    Parameters
    ----------
    data : ndarray, shape (N, ...)
        Inputs, e.g. ``(N, D)`` rows or ``(N, C, H, W)`` images.
    targets : ndarray
        ``(N,)`` int64 class indices for classification, ``(N, output_dim)`` floats for regression.
    task : {'classification', 'regression'}
        Which kind of problem the targets pose (a training script picks its loss from it).
    classes : sequence of str, optional
        Name of each class (classification only); by default ``"0"``, ``"1"``, ... up to the
        largest label.
    name : str, optional
        Shown by ``repr``.

    Attributes
    ----------
    data, targets : ndarray
        The two arrays (the same objects as ``tensors[0]`` and ``tensors[1]``).
    task : str
        ``'classification'`` or ``'regression'``.
    classes : list of str
        Class names; empty for regression.
    num_classes : int or None
        ``len(classes)`` for classification, ``None`` for regression.
    input_dim : int
        Number of values in one input, ``prod(data.shape[1:])``: the ``input_dim`` of a first
        ``Linear`` layer (after ``Flatten`` for images).
    output_dim : int
        Number of outputs a model needs: ``num_classes`` logits, or ``targets.shape[1]``.
    """

    def __init__(
        self,
        data: np.ndarray,
        targets: np.ndarray,
        *,
        task: str,
        classes: Sequence[str] | None = None,
        name: str | None = None,
    ) -> None:
        super().__init__(data, targets)
        owner = type(self).__name__
        if task not in TASKS:
            raise ValueError(f"{owner}: task must be one of {TASKS}, got {task!r}")
        data, targets = self.tensors
        if data.ndim < 2:
            raise ValueError(
                f"{owner}: data must have shape (N, ...) with at least one feature axis, "
                f"got {data.shape}; reshape 1-D inputs with data.reshape(-1, 1)"
            )
        if task == CLASSIFICATION:
            if targets.ndim != 1 or targets.dtype.kind not in "iu":
                raise ValueError(
                    f"{owner}: classification targets must be class indices of shape (N,) and "
                    f"integer dtype, got shape {targets.shape} and dtype {targets.dtype}"
                )
            if classes is None:
                classes = [str(c) for c in range(int(targets.max()) + 1 if len(targets) else 0)]
        else:
            if targets.ndim != 2 or targets.dtype.kind != "f":
                raise ValueError(
                    f"{owner}: regression targets must be floats of shape (N, output_dim), got "
                    f"shape {targets.shape} and dtype {targets.dtype}; reshape (N,) targets "
                    "with y.reshape(-1, 1)"
                )
            if classes is not None:
                raise ValueError(f"{owner}: a regression data set has no classes")
        self.task = task
        self.classes: list[str] = list(classes) if classes is not None else []
        self.name = name if name is not None else owner

    @property
    def data(self) -> np.ndarray:
        """The inputs, shape ``(N, ...)``."""
        return self.tensors[0]

    @property
    def targets(self) -> np.ndarray:
        """The targets: ``(N,)`` class indices or ``(N, output_dim)`` values."""
        return self.tensors[1]

    @property
    def num_classes(self) -> int | None:
        """Number of classes (``None`` for regression)."""
        return len(self.classes) if self.task == CLASSIFICATION else None

    @property
    def input_dim(self) -> int:
        """Values per input sample: ``prod(data.shape[1:])``."""
        return int(np.prod(self.data.shape[1:]))

    @property
    def output_dim(self) -> int:
        """Outputs a model needs: ``num_classes`` logits, or the width of the targets."""
        return len(self.classes) if self.task == CLASSIFICATION else int(self.targets.shape[1])

    def _describe(self) -> list[str]:
        """Lines of ``repr`` after the header; subclasses add their own."""
        lines = [
            f"Number of datapoints: {len(self)}",
            f"Task: {self.task}",
            f"Input shape: {self.data.shape[1:]} ({self.data.dtype})",
        ]
        if self.task == CLASSIFICATION:
            lines.append(f"Classes: {len(self.classes)}")
        else:
            lines.append(f"Target shape: {self.targets.shape[1:]} ({self.targets.dtype})")
        return lines

    def __repr__(self) -> str:
        return "\n    ".join([f"Dataset {self.name}", *self._describe()])
