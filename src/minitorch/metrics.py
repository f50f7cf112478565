"""Classification metrics that need no plotting library: ``confusion_matrix``.

This module imports NumPy only, so a training script (or the command-line trainer) can compute a
confusion matrix without loading matplotlib: ``from minitorch.metrics import confusion_matrix``.
:func:`minitorch.viz.plot_confusion_matrix` draws one.
"""

from __future__ import annotations

import numpy as np

__all__ = ["confusion_matrix"]


def class_indices(values: object, name: str, owner: str = "confusion_matrix") -> np.ndarray:
    """``values`` as a 1-D int64 array of class indices, or a ValueError/TypeError that says why.

    ``name`` is the argument's name and ``owner`` the function's, for the error messages.
    """
    array = np.asarray(values)
    if array.ndim == 2 and array.shape[1] > 1:
        raise ValueError(
            f"{owner}: {name} must be class indices of shape (N,), got shape "
            f"{array.shape}; if these are scores or logits, pass {name}.argmax(axis=1)"
        )
    if array.ndim != 1:
        raise ValueError(
            f"{owner}: {name} must be class indices of shape (N,), got shape "
            f"{array.shape}; flatten a column with {name}.ravel()"
        )
    if array.dtype.kind == "b":
        indices = array.astype(np.int64)
    elif array.dtype.kind in "iu":
        indices = array.astype(np.int64, copy=False)
    elif array.dtype.kind == "f":
        # Labels stored as floats (1.0, 0.0, ...) are accepted; probabilities are not.
        bad = ~np.isfinite(array) | (array != np.round(array))
        if bad.any():
            raise ValueError(
                f"{owner}: {name} holds non-integer values (e.g. {array[bad][0]}); "
                "pass class indices, e.g. logits.argmax(axis=1), or "
                "(probabilities > 0.5).astype(int) for one output"
            )
        indices = array.astype(np.int64)
    else:
        raise TypeError(f"{owner}: {name} must hold integer class indices, got dtype {array.dtype}")
    if indices.size and indices.min() < 0:
        raise ValueError(
            f"{owner}: {name} holds the negative class index {indices.min()}; "
            "class indices start at 0"
        )
    return indices


def confusion_matrix(
    y_true: np.ndarray, y_pred: np.ndarray, num_classes: int | None = None
) -> np.ndarray:
    """Count how often each true class was predicted as each class.

    Parameters
    ----------
    y_true, y_pred : array_like of int, shape (N,)
        True and predicted class indices in ``0 .. num_classes - 1`` (integer-valued floats and
        booleans are accepted). Pass ``logits.argmax(axis=1)``, not the logits.
    num_classes : int, optional
        Number of classes C. By default ``max(y_true.max(), y_pred.max()) + 1``; give it so that
        the matrix keeps its size when the last classes never occur in a batch.

    Returns
    -------
    ndarray of int64, shape (C, C)
        ``cm[i, j]`` is the number of samples of true class ``i`` predicted as class ``j``
        (rows: true class, columns: prediction, as in scikit-learn). ``cm.trace() / cm.sum()``
        is the accuracy; row ``i`` divided by its sum gives the recall of class ``i``.

    Notes
    -----
    One ``np.bincount`` over the flat cell index ``C·y_true + y_pred`` counts all pairs at once.

    Examples
    --------
    >>> confusion_matrix([0, 1, 1, 2], [0, 1, 2, 2])
    array([[1, 0, 0],
           [0, 1, 1],
           [0, 0, 1]])
    """
    true = class_indices(y_true, "y_true")
    pred = class_indices(y_pred, "y_pred")
    if true.shape != pred.shape:
        raise ValueError(
            f"confusion_matrix: y_true and y_pred must have the same length, got {true.shape[0]} "
            f"and {pred.shape[0]}"
        )
    largest = int(max(true.max(initial=-1), pred.max(initial=-1)))
    if num_classes is None:
        num_classes = largest + 1
    elif isinstance(num_classes, bool) or not isinstance(num_classes, (int, np.integer)):
        raise TypeError(f"confusion_matrix: num_classes must be an int, got {num_classes!r}")
    elif num_classes < 1:
        raise ValueError(f"confusion_matrix: num_classes must be positive, got {num_classes}")
    elif largest >= num_classes:
        raise ValueError(
            f"confusion_matrix: found class index {largest} but num_classes={num_classes}; "
            f"indices must lie in 0..{num_classes - 1}"
        )
    num_classes = int(num_classes)
    counts = np.bincount(num_classes * true + pred, minlength=num_classes * num_classes)
    return counts.reshape(num_classes, num_classes).astype(np.int64, copy=False)
