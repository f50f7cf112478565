"""Helpers shared by the plotting modules: making figures without pyplot, saving them, and
running a model for a plot without changing it (:func:`model_left_as_found`).

Figures are built with :class:`matplotlib.figure.Figure` directly, not ``pyplot``: nothing is
added to pyplot's global list of open figures (so plotting in a loop leaks no memory and opens no
window), no backend has to be chosen, and the code runs the same on a headless server. A
notebook displays a returned Figure. In a script, save it (``path=``), or draw into axes of your
own (``ax=``) made with ``fig, ax = plt.subplots()`` and call ``plt.show()``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ..nn.module import Module

PathLike = str | os.PathLike


def new_figure(
    nrows: int = 1, ncols: int = 1, figsize: tuple[float, float] | None = None
) -> tuple[Figure, np.ndarray]:
    """A new Figure with a grid of axes, returned as a 2-D array of shape (nrows, ncols)."""
    fig = Figure(figsize=figsize, layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False)
    return fig, axes


def figure_and_axes(
    ax: Axes | None, figsize: tuple[float, float] | None, where: str
) -> tuple[Figure, Axes]:
    """The figure and axes to draw into: ``ax`` and its figure, or a new single-axes figure."""
    if ax is None:
        fig, axes = new_figure(figsize=figsize)
        return fig, axes[0, 0]
    if not isinstance(ax, Axes):
        raise TypeError(
            f"{where}: ax must be a matplotlib Axes (e.g. from plt.subplots()), "
            f"got {type(ax).__name__}"
        )
    # An Axes inside a SubFigure belongs to the SubFigure; its ``.figure`` is the root Figure.
    return ax.figure.figure, ax


def finish(fig: Figure, path: PathLike | None, dpi: int = 100) -> Figure:
    """Save ``fig`` as an image at ``path`` if one is given (creating its folder) and return it.

    The format follows the file's extension (``.png``, ``.pdf``, ``.svg``).
    """
    if path is not None:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, dpi=dpi)
    return fig


def class_colors(num_classes: int) -> list:
    """One distinct colour per class: tab10 up to 10 classes, tab20 up to 20, then viridis."""
    from matplotlib import colormaps

    if num_classes <= 10:
        return list(colormaps["tab10"].colors[:num_classes])
    if num_classes <= 20:
        return list(colormaps["tab20"].colors[:num_classes])
    return [colormaps["viridis"](i / (num_classes - 1)) for i in range(num_classes)]


@contextmanager
def model_left_as_found(model: Module) -> Iterator[None]:
    """Run the model in eval mode, then restore every module's attributes as they were.

    Evaluating the model on the grid overwrites each layer's forward cache (``Linear.x``, ...);
    restoring the attributes afterwards (the arrays themselves are not copied, only the references
    put back) means plotting between ``backward`` and ``optimizer.step()`` changes nothing, and
    each module gets back its own ``training`` flag.
    """
    if not isinstance(model, Module):  # a plain function of the inputs: nothing to restore
        yield
        return
    saved = [(module, dict(vars(module))) for _, module in model.named_modules()]
    try:
        model.eval()
        yield
    finally:
        for module, attributes in saved:
            vars(module).clear()
            vars(module).update(attributes)
