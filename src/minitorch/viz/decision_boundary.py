"""``plot_decision_boundary``: the classes a model predicts over a plane of 2-D inputs.

The model is evaluated on a grid covering the points, in batches and in eval mode, and every
module is left as it was found (its forward caches, its ``training`` flag): plotting between
``backward`` and ``optimizer.step()`` changes nothing. Returns a
:class:`matplotlib.figure.Figure`; ``ax=`` draws into axes of your own, e.g.
``fig, ax = plt.subplots(); plot_decision_boundary(model, X, y, ax=ax); plt.show()``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ..metrics import class_indices
from ..nn.activation import Sigmoid
from ..nn.module import Module
from ._figures import PathLike, class_colors, figure_and_axes, finish, model_left_as_found

__all__ = ["plot_decision_boundary"]


def _predict_in_batches(model: Module, x: np.ndarray, batch_size: int) -> np.ndarray:
    outputs = [np.asarray(model(x[i : i + batch_size])) for i in range(0, len(x), batch_size)]
    return np.concatenate(outputs, axis=0)


def _last_layer(model: Module) -> Module | None:
    if not isinstance(model, Module):
        return None
    leaves = [m for _, m in model.named_modules() if not m.named_children()]
    return leaves[-1] if leaves else model


def _to_classes(outputs: np.ndarray, threshold: float, where: str, rows: int) -> np.ndarray:
    """Class indices from model outputs: argmax of (M, C) scores, or one output vs threshold."""
    if outputs.shape[0] != rows or outputs.ndim > 2:
        raise ValueError(
            f"{where}: the model must map (M, 2) inputs to (M, C) scores or (M, 1) outputs, "
            f"got {outputs.shape} for {rows} inputs"
        )
    if outputs.ndim == 1 or outputs.shape[1] == 1:
        return (outputs.reshape(-1) > threshold).astype(np.int64)
    return outputs.argmax(axis=1)


def plot_decision_boundary(
    model: Module,
    X: np.ndarray,
    y: np.ndarray | None = None,
    *,
    ax: Axes | None = None,
    resolution: int = 200,
    margin: float = 0.1,
    threshold: float | None = None,
    class_names: Sequence[str] | None = None,
    batch_size: int = 8192,
    title: str | None = None,
    figsize: tuple[float, float] | None = None,
    path: PathLike | None = None,
) -> Figure:
    """Colour the plane by the class the model predicts there, and scatter the data on top.

    The model is evaluated on a ``resolution x resolution`` grid covering the data (plus
    ``margin`` of its range on each side), ``batch_size`` rows at a time. Its predicted class is
    the argmax of its outputs, or for a single output (shape ``(M, 1)`` or ``(M,)``) whether it
    exceeds ``threshold``.

    The model runs in eval mode (dropout off) and is left exactly as it was found: each module's
    ``training`` flag and forward caches are restored afterwards, so the plot can be drawn between
    a backward pass and the optimizer step.

    Parameters
    ----------
    model : Module
        Any model mapping ``(M, 2)`` inputs to ``(M, C)`` logits/scores or ``(M, 1)`` outputs
        (a plain function of the inputs works too).
    X : ndarray, shape (N, 2)
        The data points.
    y : ndarray of int, shape (N,) or (N, 1), optional
        Their classes; colours the points and adds the accuracy to the title.
    resolution : int
        Grid points per axis (the model sees ``resolution²`` inputs).
    margin : float
        Extra space around the data, as a fraction of its range.
    threshold : float, optional
        For a single output: the value above which class 1 is predicted. By default 0.5 if the
        model's last layer is a Sigmoid (a probability), else 0 (a logit).
    class_names : sequence of str, optional
        Legend names of the classes.
    batch_size : int
        Grid rows per forward pass (bounds memory for big models).
    ax : Axes, optional
        Draw into these axes instead of a new figure.
    title, figsize, path
        Title, size of a new figure, and where to save it.

    Returns
    -------
    Figure
    """
    where = "plot_decision_boundary"
    if not isinstance(model, Module) and not callable(model):
        raise TypeError(f"{where}: model must be a minitorch Module, got {type(model).__name__}")
    X = np.asarray(X)
    if X.ndim != 2 or X.shape[1] != 2 or X.shape[0] == 0:
        raise ValueError(
            f"{where} needs 2-D points of shape (N, 2), got {X.shape}; project higher-dimensional "
            "data to two features first"
        )
    if not np.all(np.isfinite(X)):
        raise ValueError(f"{where}: X contains NaN or infinite values")
    labels = None
    if y is not None:
        y = np.asarray(y)
        labels = class_indices(y.reshape(-1) if y.ndim == 2 and y.shape[1] == 1 else y, "y", where)
        if labels.shape[0] != X.shape[0]:
            raise ValueError(f"{where}: X has {X.shape[0]} points but y has {labels.shape[0]}")
    if resolution < 2:
        raise ValueError(f"{where}: resolution must be at least 2, got {resolution}")
    if threshold is None:
        threshold = 0.5 if isinstance(_last_layer(model), Sigmoid) else 0.0

    low, high = X.min(axis=0), X.max(axis=0)
    span = np.where(high > low, high - low, 1.0)
    low, high = low - margin * span, high + margin * span
    xx, yy = np.meshgrid(
        np.linspace(low[0], high[0], resolution), np.linspace(low[1], high[1], resolution)
    )
    parameters = model.parameters() if isinstance(model, Module) else []
    dtype = parameters[0].dtype if parameters else np.float64
    grid = np.column_stack([xx.ravel(), yy.ravel()]).astype(dtype)

    with model_left_as_found(model):
        grid_classes = _to_classes(
            _predict_in_batches(model, grid, batch_size), threshold, where, len(grid)
        )
        point_classes = None
        if labels is not None:
            point_classes = _to_classes(
                _predict_in_batches(model, X.astype(dtype), batch_size), threshold, where, len(X)
            )

    num_classes = int(max(grid_classes.max(), -1 if labels is None else labels.max())) + 1
    num_classes = max(num_classes, 2)
    if class_names is not None and len(class_names) < num_classes:
        raise ValueError(f"{where}: {len(class_names)} class_names for {num_classes} classes")
    colors = class_colors(num_classes)
    fig, ax = figure_and_axes(ax, figsize or (5.5, 4.5), where)
    ax.contourf(
        xx,
        yy,
        grid_classes.reshape(xx.shape),
        levels=np.arange(num_classes + 1) - 0.5,
        colors=colors,
        alpha=0.3,
    )
    ax.contour(
        xx,
        yy,
        grid_classes.reshape(xx.shape),
        levels=np.arange(num_classes - 1) + 0.5,
        colors="k",
        linewidths=0.6,
        alpha=0.6,
    )
    size = 20 if len(X) <= 500 else 8
    if labels is None:
        ax.scatter(X[:, 0], X[:, 1], s=size, c="0.2", edgecolors="w", linewidths=0.3)
    else:
        for k in range(num_classes):
            mine = labels == k
            if mine.any():
                ax.scatter(
                    X[mine, 0],
                    X[mine, 1],
                    s=size,
                    color=colors[k],
                    edgecolors="k",
                    linewidths=0.3,
                    label=class_names[k] if class_names is not None else str(k),
                )
        if num_classes <= 10:
            ax.legend(fontsize="small", loc="best")
    ax.set_xlim(low[0], high[0])
    ax.set_ylim(low[1], high[1])
    ax.set_xlabel("x[:, 0]")
    ax.set_ylabel("x[:, 1]")
    if title is None:
        title = "decision boundary"
        if point_classes is not None:
            title += f" (accuracy {np.mean(point_classes == labels):.1%})"
    ax.set_title(title)
    return finish(fig, path)
