"""Plots of training and its results: curves, image grids, confusion matrices.

Every function returns a :class:`matplotlib.figure.Figure` and never calls ``plt.show()``: a
notebook displays the returned figure, a script saves it with ``path=...`` (PNG, PDF or SVG by
the extension). Functions that draw one panel accept ``ax=`` to draw into axes of your own, e.g.
``fig, ax = plt.subplots(); plot_confusion_matrix(y_true, y_pred, ax=ax); plt.show()``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from ..metrics import class_indices, confusion_matrix
from ._figures import PathLike, class_colors, figure_and_axes, finish, new_figure

__all__ = ["plot_confusion_matrix", "plot_history", "show_images"]

# Colour of wrong predictions in show_images and of right ones.
_WRONG = "#d62728"
_RIGHT = "#2ca02c"


# --------------------------------------------------------------------------- history
def _history_columns(history: object) -> dict[str, np.ndarray]:
    """A history as columns of floats: from a dict of lists, or a list of per-epoch dicts.

    Missing entries, ``None`` and empty strings (an empty CSV cell) become NaN; columns that
    hold text (such as a ``phase`` column of a CSV) are dropped.
    """
    if isinstance(history, Mapping):
        raw = {str(k): list(v) if np.ndim(v) else [v] for k, v in history.items()}
        length = max((len(v) for v in raw.values()), default=0)
        raw = {k: v + [None] * (length - len(v)) for k, v in raw.items()}
    elif isinstance(history, Sequence) and all(isinstance(row, Mapping) for row in history):
        keys = list(dict.fromkeys(str(k) for row in history for k in row))
        raw = {k: [row.get(k) for row in history] for k in keys}
    else:
        raise TypeError(
            "plot_history expects a dict of lists ({'train_loss': [...], ...}) or a list of "
            f"per-epoch dicts (rows of a metrics CSV), got {type(history).__name__}"
        )
    columns = {}
    for key, values in raw.items():
        try:
            columns[key] = np.array(
                [math.nan if v is None or v == "" else float(v) for v in values], dtype=float
            )
        except (TypeError, ValueError):
            continue  # a text column
    return columns


def _series_color(key: str, kind: str, palette: dict[str, Any]) -> Any:
    """The same colour for ``train_loss`` and ``train_acc``: the split name decides it."""
    split = key.lower().replace(kind, "").strip("_ ") or key
    if split not in palette:
        palette[split] = class_colors(10)[len(palette) % 10]
    return palette[split]


def plot_history(
    history: Mapping[str, Sequence[float]] | Sequence[Mapping[str, Any]],
    *,
    axes: Sequence[Axes] | None = None,
    log_loss: bool = False,
    title: str | None = None,
    figsize: tuple[float, float] | None = None,
    path: PathLike | None = None,
) -> Figure:
    """Loss curves in one panel, accuracy curves in a second, the learning rate in a third.

    Parameters
    ----------
    history : dict of lists, or list of dicts
        Per-epoch metrics, e.g. ``{"train_loss": [...], "test_loss": [...], "train_acc": [...],
        "test_acc": [...], "lr": [...]}``, or the same as rows (``[{"epoch": 1, "train_loss":
        0.9, ...}, ...]``, what ``csv.DictReader`` gives for a metrics file). Keys containing
        ``loss`` go to the loss panel, keys containing ``acc`` to the accuracy panel, ``lr`` or
        ``learning_rate`` to the learning-rate panel; a panel without data is left out. The
        x-axis is the ``epoch`` (or ``step``) column if there is one, else 1, 2, 3, ... Missing
        values (``None``, NaN, empty cells) are skipped, so a metric measured every few epochs
        still draws a line.
    axes : sequence of Axes, optional
        One Axes per panel drawn, to draw into your own figure.
    log_loss : bool
        Draw the loss on a logarithmic axis.
    title : str, optional
        Title above the panels.
    figsize : (width, height), optional
        Size in inches of a new figure; by default 4.5 x 3.5 per panel.
    path : str or Path, optional
        Save the figure there.

    Returns
    -------
    Figure
    """
    columns = _history_columns(history)
    x_key = next((k for k in ("epoch", "step") if k in columns), None)
    panels = [
        ("loss", [k for k in columns if "loss" in k.lower()]),
        ("accuracy", [k for k in columns if "acc" in k.lower()]),
        ("learning rate", [k for k in columns if k.lower() in ("lr", "learning_rate")]),
    ]
    panels = [
        (kind, keys) for kind, keys in panels if any(np.isfinite(columns[k]).any() for k in keys)
    ]
    if not panels:
        raise ValueError(
            "plot_history found nothing to plot: no key containing 'loss' or 'acc' (or 'lr') has "
            f"numbers; the keys are {sorted(columns)}"
        )
    if axes is None:
        fig, grid = new_figure(1, len(panels), figsize=figsize or (4.5 * len(panels), 3.5))
        axes = list(grid[0])
    else:
        axes = list(axes)
        if len(axes) < len(panels):
            raise ValueError(
                f"plot_history draws {len(panels)} panels ({', '.join(k for k, _ in panels)}) "
                f"but got {len(axes)} axes"
            )
        fig, _ = figure_and_axes(axes[0], None, "plot_history")

    palette: dict[str, Any] = {}
    for ax, (kind, keys) in zip(axes, panels, strict=False):
        for key in keys:
            y = columns[key]
            x = columns[x_key] if x_key else np.arange(1, len(y) + 1, dtype=float)
            finite = np.isfinite(y) & np.isfinite(x)
            color = _series_color(key, "acc" if kind == "accuracy" else kind, palette)
            ax.plot(
                x[finite],
                y[finite],
                label=key,
                color=color if kind != "learning rate" else "0.3",
                marker="o" if finite.sum() <= 30 else None,
                markersize=3,
            )
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # no epoch 1.25
        ax.set_xlabel(x_key or "epoch")
        ax.set_ylabel(kind)
        ax.set_title(kind)
        if (kind == "loss" and log_loss) or kind == "learning rate":
            ax.set_yscale("log")
        ax.grid(True, alpha=0.3)
        if kind != "learning rate":
            ax.legend(fontsize="small")
    if title:
        fig.suptitle(title)
    return finish(fig, path)


# --------------------------------------------------------------------------- image grid
def _as_image_stack(images: object, where: str) -> np.ndarray:
    """Images as (N, H, W) grayscale or (N, H, W, 3) colour, from the layouts datasets use."""
    array = np.asarray(images)
    if array.ndim == 2:
        side = math.isqrt(array.shape[1])
        if side * side != array.shape[1]:
            raise ValueError(
                f"{where}: rows of length {array.shape[1]} are not square images; reshape them "
                "to (N, H, W) first"
            )
        return array.reshape(-1, side, side)
    if array.ndim == 3:
        return array
    if array.ndim == 4:
        if array.shape[1] in (1, 3):  # (N, C, H, W), minitorch's layout
            array = np.moveaxis(array, 1, -1)
        if array.shape[-1] == 1:
            return array[..., 0]
        if array.shape[-1] == 3:
            return array
    raise ValueError(
        f"{where} expects images of shape (N, H, W), (N, 1, H, W), (N, 3, H, W) or square rows "
        f"(N, H*W), got {np.shape(images)}"
    )


def _for_imshow(image: np.ndarray) -> np.ndarray:
    """Colour images must lie in [0, 1] (floats) for imshow; rescale others per image."""
    if image.ndim == 3 and (image.dtype.kind == "f" and (image.min() < 0 or image.max() > 1)):
        low, high = image.min(), image.max()
        return (image - low) / (high - low) if high > low else np.zeros_like(image)
    return image


def show_images(
    images: np.ndarray,
    labels: np.ndarray | None = None,
    predictions: np.ndarray | None = None,
    *,
    class_names: Sequence[str] | None = None,
    ncols: int | None = None,
    max_images: int = 64,
    mistakes_only: bool = False,
    cmap: str = "gray",
    title: str | None = None,
    figsize: tuple[float, float] | None = None,
    path: PathLike | None = None,
) -> Figure:
    """A grid of images, titled with their labels and predictions; mistakes in red.

    Parameters
    ----------
    images : ndarray
        ``(N, H, W)``, ``(N, 1, H, W)``, ``(N, 3, H, W)`` (colour) or ``(N, H*W)`` rows of square
        images, e.g. ``dataset.data``. Grayscale images are scaled per image.
    labels : ndarray of int, shape (N,), optional
        The true classes.
    predictions : ndarray, shape (N,) of int or (N, C) of scores, optional
        The predicted classes, or the model's outputs (their argmax is taken).
    class_names : sequence of str, optional
        Names to show instead of class indices (e.g. ``dataset.classes``).
    ncols : int, optional
        Images per row (default: about the square root of the count, at most 10).
    max_images : int
        Show at most this many (the first ones).
    mistakes_only : bool
        Show only the images whose prediction differs from the label (needs both).
    cmap : str
        Colour map of grayscale images.
    title, figsize, path
        Title above the grid, size of the figure, and where to save it.

    Returns
    -------
    Figure
        When labels and predictions are both given, a wrong prediction has a red title and a red
        frame, and the title above the grid counts the mistakes.
    """
    where = "show_images"
    stack = _as_image_stack(images, where)
    count = stack.shape[0]
    if count == 0:
        raise ValueError(f"{where}: no images to show (got an empty array)")
    if labels is not None:
        labels = class_indices(labels, "labels", where)
    if predictions is not None:
        predictions = np.asarray(predictions)
        if predictions.ndim == 2 and predictions.shape[1] > 1:
            predictions = predictions.argmax(axis=1)
        predictions = class_indices(predictions.reshape(-1), "predictions", where)
    for name, values in (("labels", labels), ("predictions", predictions)):
        if values is not None and values.shape[0] != count:
            raise ValueError(f"{where}: {count} images but {values.shape[0]} {name}")
    if class_names is not None:
        largest = max(int(v.max()) for v in (labels, predictions, np.array([-1])) if v is not None)
        if largest >= len(class_names):
            raise ValueError(f"{where}: class index {largest} but only {len(class_names)} names")

    def name(index: int) -> str:
        return class_names[index] if class_names is not None else str(index)

    wrong = labels != predictions if labels is not None and predictions is not None else None
    shown = np.arange(count)
    if mistakes_only:
        if wrong is None:
            raise ValueError(f"{where}: mistakes_only=True needs both labels and predictions")
        shown = shown[wrong]
    shown = shown[:max_images]

    if len(shown) == 0:
        fig, axes = new_figure(figsize=figsize or (4, 1.5))
        axes[0, 0].axis("off")
        axes[0, 0].text(0.5, 0.5, f"no mistakes among {count} images", ha="center", va="center")
        return finish(fig, path)
    ncols = ncols or min(10, math.ceil(math.sqrt(len(shown))))
    nrows = math.ceil(len(shown) / ncols)
    has_title = labels is not None or predictions is not None
    fig, axes = new_figure(
        nrows, ncols, figsize=figsize or (1.3 * ncols, (1.75 if has_title else 1.3) * nrows)
    )
    for ax in axes.ravel():
        ax.set_xticks([])
        ax.set_yticks([])
    for ax in axes.ravel()[len(shown) :]:
        ax.axis("off")
    for ax, i in zip(axes.ravel(), shown, strict=False):
        image = stack[i]
        ax.imshow(_for_imshow(image), cmap=cmap if image.ndim == 2 else None)
        parts = []
        if labels is not None:
            parts.append(f"true {name(labels[i])}" if predictions is not None else name(labels[i]))
        if predictions is not None:
            parts.append(f"pred {name(predictions[i])}")
        if parts:
            color = "black"
            if wrong is not None:
                color = _WRONG if wrong[i] else _RIGHT
            ax.set_title("\n".join(parts), fontsize=8, color=color)
        if wrong is not None and wrong[i]:
            for spine in ax.spines.values():
                spine.set_color(_WRONG)
                spine.set_linewidth(2.5)
    heading = [title] if title else []
    if wrong is not None:
        heading.append(f"{int(wrong.sum())} of {count} wrong")
    if len(shown) < (count if not mistakes_only else int(wrong.sum())):
        heading.append(f"showing {len(shown)}")
    if heading:
        fig.suptitle(" · ".join(heading))
    return finish(fig, path)


# --------------------------------------------------------------------------- confusion matrix
def _normalized(counts: np.ndarray, normalize: bool | str | None) -> np.ndarray:
    if normalize in (None, False):
        return counts.astype(float)
    axis = {True: 1, "true": 1, "pred": 0, "all": None}.get(normalize, "bad")
    if axis == "bad":
        raise ValueError(
            "plot_confusion_matrix: normalize must be False, True/'true' (each row sums to 1: "
            f"recall), 'pred' (each column: precision) or 'all', got {normalize!r}"
        )
    totals = counts.sum(axis=axis, keepdims=axis is not None).astype(float)
    # A class that never occurs has a row (or column) of zeros: keep it zero, not 0/0.
    return np.divide(counts, totals, out=np.zeros(counts.shape), where=totals > 0)


def plot_confusion_matrix(
    cm_or_y_true: np.ndarray,
    y_pred: np.ndarray | None = None,
    *,
    num_classes: int | None = None,
    class_names: Sequence[str] | None = None,
    normalize: bool | str = False,
    annotate: bool | None = None,
    cmap: str = "Blues",
    colorbar: bool = True,
    ax: Axes | None = None,
    title: str | None = None,
    figsize: tuple[float, float] | None = None,
    path: PathLike | None = None,
) -> Figure:
    """Draw a confusion matrix: true classes down, predicted classes across.

    Call it as ``plot_confusion_matrix(cm)`` with a matrix from :func:`confusion_matrix`, or as
    ``plot_confusion_matrix(y_true, y_pred)`` with class indices.

    Parameters
    ----------
    cm_or_y_true : ndarray
        A ``(C, C)`` matrix of counts (rows: true class), or the true classes ``(N,)`` if
        ``y_pred`` is given.
    y_pred : ndarray of int, shape (N,), optional
        The predicted classes.
    num_classes : int, optional
        Passed to :func:`confusion_matrix` with ``y_true, y_pred``.
    class_names : sequence of str, optional
        Tick labels (length C).
    normalize : bool or {'true', 'pred', 'all'}
        ``True``/``'true'``: divide each row by its sum (the diagonal is each class's recall);
        ``'pred'``: each column (precision); ``'all'``: the total. Empty rows stay zero.
    annotate : bool, optional
        Write the value in each cell (default: when C ≤ 20).
    cmap, colorbar
        Colour map, and whether to draw a colour bar.
    ax, title, figsize, path
        Axes to draw into, title, size of a new figure, and where to save it.

    Returns
    -------
    Figure
    """
    where = "plot_confusion_matrix"
    if y_pred is not None:
        counts = confusion_matrix(cm_or_y_true, y_pred, num_classes)
    else:
        counts = np.asarray(cm_or_y_true)
        if counts.ndim != 2 or counts.shape[0] != counts.shape[1] or counts.shape[0] == 0:
            raise ValueError(
                f"{where} expects a square (C, C) confusion matrix, got shape {counts.shape}; "
                "to count one from labels, call plot_confusion_matrix(y_true, y_pred)"
            )
        if counts.dtype.kind not in "iuf" or not np.all(np.isfinite(counts)) or counts.min() < 0:
            raise ValueError(f"{where}: the confusion matrix must hold non-negative numbers")
    size = counts.shape[0]
    if class_names is not None and len(class_names) != size:
        raise ValueError(f"{where}: {len(class_names)} class_names for a {size}x{size} matrix")
    values = _normalized(counts, normalize)
    is_counts = bool(np.all(counts == np.round(counts)))

    fig, ax = figure_and_axes(ax, figsize or (max(4.0, 0.45 * size + 2.5),) * 2, where)
    vmax = 1.0 if normalize not in (None, False) else max(float(values.max()), 1.0)
    image = ax.imshow(values, cmap=cmap, vmin=0, vmax=vmax)
    if colorbar:
        fig.colorbar(image, ax=ax, shrink=0.8)
    if annotate is None:
        annotate = size <= 20
    if annotate:
        integer_text = normalize in (None, False) and is_counts
        for (i, j), value in np.ndenumerate(values):
            ax.text(
                j,
                i,
                f"{int(value)}" if integer_text else f"{value:.2f}",
                ha="center",
                va="center",
                fontsize=8 if size > 10 else 10,
                color="white" if value > 0.5 * vmax else "black",
            )
    names = list(class_names) if class_names is not None else [str(i) for i in range(size)]
    ax.set_xticks(range(size), names, rotation=45 if max(map(len, names)) > 2 else 0)
    ax.set_yticks(range(size), names)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    if title is None:
        title = "confusion matrix"
        if is_counts and counts.sum() > 0:
            title += f" (accuracy {np.trace(counts) / counts.sum():.1%})"
    ax.set_title(title)
    return finish(fig, path)
