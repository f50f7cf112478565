"""minitorch.metrics: the confusion matrix (NumPy only; viz.plot_confusion_matrix draws it)."""

from __future__ import annotations

import numpy as np
import pytest

from minitorch.metrics import confusion_matrix


def test_confusion_matrix_counts_pairs():
    cm = confusion_matrix([0, 1, 1, 2, 2, 2], [0, 1, 2, 2, 2, 0])
    np.testing.assert_array_equal(cm, [[1, 0, 0], [0, 1, 1], [1, 0, 2]])
    assert cm.dtype == np.int64


def test_confusion_matrix_matches_a_loop_on_random_labels(rng):
    y_true, y_pred = rng.integers(0, 7, 500), rng.integers(0, 7, 500)
    expected = np.zeros((7, 7), dtype=np.int64)
    for t, p in zip(y_true, y_pred, strict=True):
        expected[t, p] += 1
    cm = confusion_matrix(y_true, y_pred)
    np.testing.assert_array_equal(cm, expected)
    assert cm.sum() == 500 and np.trace(cm) == np.sum(y_true == y_pred)


def test_confusion_matrix_num_classes_keeps_the_size():
    cm = confusion_matrix([0, 1], [1, 1], num_classes=4)
    assert cm.shape == (4, 4)
    np.testing.assert_array_equal(cm[:2, :2], [[0, 1], [0, 1]])
    assert cm[2:].sum() == 0 and cm[:, 2:].sum() == 0


def test_confusion_matrix_accepts_integral_floats_and_booleans():
    np.testing.assert_array_equal(
        confusion_matrix(np.array([0.0, 1.0, 1.0]), np.array([False, True, False])),
        [[1, 0], [1, 1]],
    )


@pytest.mark.parametrize(
    ("y_true", "y_pred", "kwargs", "error", "message"),
    [
        ([0, 1], [0, 1, 1], {}, ValueError, "same length"),
        ([0, 3], [0, 1], {"num_classes": 3}, ValueError, "num_classes=3"),
        ([0, -1], [0, 1], {}, ValueError, "negative"),
        ([0, 1], [[0.2, 0.8], [0.9, 0.1]], {}, ValueError, "argmax"),
        ([0, 1], [[0], [1]], {}, ValueError, "ravel"),
        ([0, 1], [0.3, 0.7], {}, ValueError, "non-integer"),
        ([0, 1], ["a", "b"], {}, TypeError, "integer class indices"),
        ([0, 1], [0, 1], {"num_classes": 0}, ValueError, "positive"),
        ([0, 1], [0, 1], {"num_classes": 2.0}, TypeError, "num_classes"),
    ],
)
def test_confusion_matrix_rejects_bad_input(y_true, y_pred, kwargs, error, message):
    with pytest.raises(error, match=message):
        confusion_matrix(y_true, y_pred, **kwargs)
