"""Pictures of a convolutional network: its learned filters, and what each layer makes of a digit.

Both functions return a :class:`matplotlib.figure.Figure` (never ``plt.show()``) and save it with
``path=...``. Weights and signed feature maps use a diverging colour map centred at 0 (red
positive, blue negative, white zero), so the sign of every value can be read off; the grey lines
between the tiles are gaps, not values.

``plot_filters(conv)``
    Each filter of a :class:`~minitorch.nn.Conv2d` as a small image: for a first layer (one
    input channel) the F kernels in a grid; otherwise one row per filter and one column per
    input channel.
``plot_feature_maps(model, image)``
    Runs the model on one image (in eval mode, under :func:`minitorch.no_grad`) and shows the
    channels of every Conv2d's output and every activation's output, layer by layer.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from .. import _state
from ..nn.activation import Activation
from ..nn.conv import Conv2d
from ..nn.module import Module
from ._figures import PathLike, figure_and_axes, finish, model_left_as_found

__all__ = ["plot_feature_maps", "plot_filters"]

_GAP_COLOR = "0.88"  # the grey between tiles: never a value of the diverging map


# --------------------------------------------------------------------------- tiles
def _mosaic(tiles: np.ndarray, ncols: int, gap: tuple[int, int]) -> tuple[np.ndarray, list]:
    """Tiles ``(n, h, w)`` laid out row by row, ``ncols`` per row, NaN between them.

    ``gap`` is (vertical, horizontal) in pixels; the vertical gap sits above each tile row and
    holds its labels. Returns the image and the (top, left) pixel of each tile.
    """
    n, h, w = tiles.shape
    nrows = math.ceil(n / ncols)
    gap_y, gap_x = gap
    image = np.full((nrows * (h + gap_y), ncols * (w + gap_x) - gap_x), np.nan)
    origins = []
    for i in range(n):  # a handful of tiles: a loop over them, not over pixels
        top, left = (i // ncols) * (h + gap_y) + gap_y, (i % ncols) * (w + gap_x)
        image[top : top + h, left : left + w] = tiles[i]
        origins.append((top, left))
    return image, origins


def _gaps(h: int, w: int, labels: bool, band: float) -> tuple[int, int]:
    """Pixels between tiles (vertical, horizontal); with labels, ``band`` of h for the text."""
    return (max(1, round((band if labels else 0.12) * h)), max(1, round(0.12 * w)))


def _mosaic_shape(tiles: tuple[int, int, int], ncols: int, gap: tuple[int, int]) -> tuple:
    n, h, w = tiles
    return (math.ceil(n / ncols) * (h + gap[0]), ncols * (w + gap[1]) - gap[1])


def _draw_mosaic(
    ax: Axes,
    tiles: np.ndarray,
    ncols: int,
    *,
    cmap: str,
    vmin: float,
    vmax: float,
    labels: Sequence[str] | None,
    band: float = 0.4,
    fontsize: float = 7,
):
    """Draw ``tiles`` as one image with a label above each tile; returns the AxesImage."""
    from matplotlib import colormaps

    h, w = tiles.shape[1:]
    gap = _gaps(h, w, bool(labels), band)
    image, origins = _mosaic(tiles, ncols, gap)
    colors = colormaps[cmap].with_extremes(bad=_GAP_COLOR)
    drawn = ax.imshow(image, cmap=colors, vmin=vmin, vmax=vmax, interpolation="nearest")
    if labels:
        for (top, left), label in zip(origins, labels, strict=False):
            ax.text(
                left + (w - 1) / 2,
                top - 0.5 - gap[0] / 2,
                label,
                ha="center",
                va="center",
                fontsize=fontsize,
            )
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_visible(False)
    return drawn


def _symmetric_limit(values: np.ndarray) -> float:
    """The largest |value|, so that the colour scale is centred at 0 (1 if all are zero)."""
    largest = float(np.max(np.abs(values))) if values.size else 0.0
    return largest if largest > 0 else 1.0


def _conv_name(conv: Conv2d) -> str:
    kh, kw = conv.kernel_size
    return f"Conv2d({conv.in_channels} → {conv.out_channels}, {kh}×{kw})"


def _layer_title(name: str, module: Module) -> str:
    kind = _conv_name(module) if isinstance(module, Conv2d) else type(module).__name__
    return f"layer {name}: {kind}" if name else kind


# --------------------------------------------------------------------------- filters
def _filters_of(conv: object, where: str) -> tuple[np.ndarray, str]:
    """The weights (F, C, kH, kW) to draw and a name for the title."""
    if isinstance(conv, Conv2d):
        return np.asarray(conv.W), _conv_name(conv)
    if isinstance(conv, Module):
        found = next(((n, m) for n, m in conv.named_modules() if isinstance(m, Conv2d)), None)
        if found is None:
            raise ValueError(
                f"{where}: {type(conv).__name__} has no Conv2d layer; pass a Conv2d (e.g. "
                "model[0]) or its weights (F, C, kH, kW)"
            )
        return np.asarray(found[1].W), _layer_title(*found)
    if isinstance(conv, np.ndarray):
        weights = conv if conv.ndim == 4 else conv[:, None] if conv.ndim == 3 else None
        if weights is None or 0 in weights.shape:
            raise ValueError(
                f"{where} expects weights of shape (F, C, kH, kW) or (F, kH, kW), got {conv.shape}"
            )
        if weights.dtype.kind not in "iuf":
            raise TypeError(f"{where}: the weights must be numbers, got dtype {weights.dtype}")
        return weights, "filters"
    raise TypeError(
        f"{where} expects a Conv2d, a model containing one, or an array of weights "
        f"(F, C, kH, kW), got {type(conv).__name__}"
    )


def plot_filters(
    conv: Conv2d | Module | np.ndarray,
    *,
    in_channel: int | None = None,
    ncols: int | None = None,
    cmap: str = "RdBu_r",
    vmax: float | None = None,
    labels: bool = True,
    colorbar: bool = True,
    ax: Axes | None = None,
    title: str | None = None,
    figsize: tuple[float, float] | None = None,
    path: PathLike | None = None,
) -> Figure:
    """The learned filters of a convolution layer, one small image per kernel.

    Every kernel is drawn with the same colour scale, centred at 0: red weights make the filter
    respond to bright pixels there, blue ones to dark pixels. A first layer's filters are edge,
    stroke and blob detectors; at initialisation they are noise.

    Parameters
    ----------
    conv : Conv2d, Module or ndarray
        The layer (its ``W``, shape ``(F, C, kH, kW)``), a model (its first Conv2d is drawn),
        or the weights themselves, ``(F, C, kH, kW)`` or ``(F, kH, kW)``.
    in_channel : int, optional
        For a layer with several input channels, draw only the kernels that read this channel,
        one per filter. By default such a layer is drawn as a table: one row per filter
        (output channel), one column per input channel.
    ncols : int, optional
        Filters per row when one kernel per filter is drawn (default: up to 8).
    cmap : str
        A diverging colour map (default ``"RdBu_r"``).
    vmax : float, optional
        The colour scale runs from ``-vmax`` to ``vmax`` (default: the largest |weight|), e.g.
        to compare the filters before and after training on one scale.
    labels : bool
        Number each filter (the index of the output channel it computes).
    colorbar : bool
        Draw a colour bar of the weights.
    ax : Axes, optional
        Draw into these axes (the filters form one picture) instead of a new figure.
    title, figsize, path
        Title, size of a new figure, and where to save it.

    Returns
    -------
    Figure
    """
    where = "plot_filters"
    weights, name = _filters_of(conv, where)
    weights = weights.astype(np.float64)
    if not np.all(np.isfinite(weights)):
        raise ValueError(f"{where}: the weights contain NaN or infinite values")
    count, channels = weights.shape[:2]
    if in_channel is not None:
        if not isinstance(in_channel, (int, np.integer)) or isinstance(in_channel, bool):
            raise TypeError(f"{where}: in_channel must be an int, got {in_channel!r}")
        if not 0 <= in_channel < channels:
            raise ValueError(
                f"{where}: in_channel must be in 0..{channels - 1} ({name} has {channels} input "
                f"channels), got {in_channel}"
            )
        weights = weights[:, in_channel : in_channel + 1]
    if ncols is not None and (not isinstance(ncols, (int, np.integer)) or ncols < 1):
        raise ValueError(f"{where}: ncols must be a positive int, got {ncols!r}")
    if vmax is not None and not (np.isfinite(vmax) and vmax > 0):
        raise ValueError(f"{where}: vmax must be a positive number, got {vmax!r}")

    table = weights.shape[1] > 1  # rows: filters, columns: input channels
    if table:
        tiles, columns = weights.reshape(-1, *weights.shape[2:]), weights.shape[1]
        tile_labels = None
    else:
        tiles = weights[:, 0]
        columns = min(ncols or 8, count)
        tile_labels = [str(i) for i in range(count)] if labels else None
    rows = math.ceil(len(tiles) / columns)
    limit = vmax if vmax is not None else _symmetric_limit(tiles)

    default_size = (min(12.0, 0.8 * columns + 1.5), min(12.0, 0.85 * rows + 1.0))
    fig, ax = figure_and_axes(ax, figsize or default_size, where)
    image = _draw_mosaic(ax, tiles, columns, cmap=cmap, vmin=-limit, vmax=limit, labels=tile_labels)
    if table:
        kh, kw = weights.shape[2:]
        gap_y, gap_x = _gaps(kh, kw, False, 0)
        ax.set_xticks(
            [c * (kw + gap_x) + (kw - 1) / 2 for c in range(columns)], range(columns), fontsize=7
        )
        ax.set_yticks([r * (kh + gap_y) + gap_y + (kh - 1) / 2 for r in range(rows)], range(rows))
        ax.tick_params(axis="y", labelsize=7)
        ax.set_xlabel("input channel")
        ax.set_ylabel("filter (output channel)")
    if colorbar:
        fig.colorbar(image, ax=ax, shrink=0.9, label="weight")
    if title is None:
        title = f"{count} learned filters of {name}"
        if in_channel is not None:
            title += f", input channel {in_channel}"
    ax.set_title(title)
    return finish(fig, path, dpi=120)


# --------------------------------------------------------------------------- feature maps
def _one_image(image: object, where: str) -> np.ndarray:
    """One image as a batch of one, (1, C, H, W), from (H, W), (C, H, W) or (1, C, H, W)."""
    if not isinstance(image, np.ndarray):
        raise TypeError(
            f"{where} expects one image as a NumPy array (C, H, W), got {type(image).__name__}"
        )
    if image.ndim == 2:
        image = image[None]
    if image.ndim == 3:
        image = image[None]
    if image.ndim != 4 or image.shape[0] != 1:
        hint = "; pick one image, e.g. images[0]" if image.ndim == 4 else ""
        raise ValueError(
            f"{where} expects one image of shape (C, H, W) (or (H, W), or (1, C, H, W)), got "
            f"{image.shape}{hint}"
        )
    if image.dtype.kind not in "iuf" or not np.all(np.isfinite(image)):
        raise ValueError(f"{where}: the image must hold finite numbers")
    return image


def _chosen_layers(
    model: Module, layers: Sequence[str | type] | None, where: str
) -> list[tuple[str, Module]]:
    """The (name, module) pairs whose outputs to show, in the order of ``named_modules``."""
    named = [(n, m) for n, m in model.named_modules() if n]  # not the model itself
    if layers is None:
        chosen = [(n, m) for n, m in named if isinstance(m, (Conv2d, Activation))]
        if not any(isinstance(m, Conv2d) for _, m in chosen):
            raise ValueError(
                f"{where}: {type(model).__name__} has no Conv2d layer; name the layers to show "
                "with layers=[...]"
            )
        return chosen
    if isinstance(layers, (str, type)) or not isinstance(layers, Sequence) or not layers:
        raise TypeError(
            f"{where}: layers must be a non-empty list of layer names (as in "
            "model.named_modules(), e.g. ['0', '2']) or of layer classes (e.g. [nn.Conv2d])"
        )
    by_name = dict(named)
    chosen_ids: set[int] = set()
    for item in layers:
        if isinstance(item, type) and issubclass(item, Module):
            matches = [m for _, m in named if isinstance(m, item)]
            if not matches:
                raise ValueError(f"{where}: the model has no {item.__name__} layer")
            chosen_ids.update(id(m) for m in matches)
        elif isinstance(item, str):
            if item not in by_name:
                raise ValueError(
                    f"{where}: the model has no layer named {item!r}; its layers are "
                    f"{[n for n, _ in named]}"
                )
            chosen_ids.add(id(by_name[item]))
        else:
            raise TypeError(f"{where}: layers must hold names or Module classes, got {item!r}")
    return [(n, m) for n, m in named if id(m) in chosen_ids]


@contextmanager
def _recording(layers: list[tuple[str, Module]], outputs: dict[str, np.ndarray]) -> Iterator[None]:
    """Keep each layer's output while the model runs.

    Each chosen layer's ``forward`` is wrapped, for this one call only, by a function that
    stores what it returns; the enclosing ``model_left_as_found`` removes the wrappers (and
    restores every cache) afterwards.
    """

    def recorder(name: str, forward):
        def forward_and_keep(*args, **kwargs):
            output = forward(*args, **kwargs)
            outputs[name] = np.array(output, dtype=np.float64)  # a copy: layers may reuse arrays
            return output

        return forward_and_keep

    for name, module in layers:
        module.forward = recorder(name, module.forward)
    yield


def plot_feature_maps(
    model: Module,
    image: np.ndarray,
    *,
    layers: Sequence[str | type] | None = None,
    label: int | None = None,
    max_channels: int = 32,
    ncols: int = 16,
    cmap: str = "RdBu_r",
    title: str | None = None,
    figsize: tuple[float, float] | None = None,
    path: PathLike | None = None,
) -> Figure:
    """What a convolutional network computes from one image: every channel of every layer.

    The model runs once on the image, in eval mode and under :func:`minitorch.no_grad`, and is
    left exactly as it was found (training flags and forward caches restored, so the figure can
    be drawn in the middle of training). The input is drawn on the left; on the right, one
    panel per layer shows the output of that layer for this image, one small map per channel.
    Each panel has its own colour scale, centred at 0 (red positive, blue negative): a conv
    layer's maps show where its filter matches, the ReLU after it keeps only the red.

    Parameters
    ----------
    model : Module
        A model taking images ``(N, C, H, W)``, e.g. a Sequential of conv blocks.
    image : ndarray
        One image, ``(C, H, W)`` (as a data set hands it out), ``(H, W)`` or ``(1, C, H, W)``.
    layers : list of str or Module classes, optional
        The layers whose outputs to show: dotted names as in ``model.named_modules()``
        (``["0", "2"]``) or layer classes (``[nn.Conv2d, nn.MaxPool2d]``). By default every
        Conv2d and every activation layer (ReLU, ...). Their outputs must be images
        ``(1, C, H, W)``.
    label : int, optional
        The image's true class, for the title.
    max_channels : int
        Show at most this many channels of a layer (the first ones); the panel says so.
    ncols : int
        Channels per row in each panel.
    cmap : str
        A diverging colour map for the feature maps (the input is drawn in grey).
    title, figsize, path
        Title above the figure, its size, and where to save it.

    Returns
    -------
    Figure
        The title gives the predicted class when the model's output is one row of scores.
    """
    where = "plot_feature_maps"
    if not isinstance(model, Module):
        raise TypeError(f"{where} expects a minitorch Module, got {type(model).__name__}")
    batch = _one_image(image, where)
    for option, value in (("max_channels", max_channels), ("ncols", ncols)):
        if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 1:
            raise ValueError(f"{where}: {option} must be a positive int, got {value!r}")
    chosen = _chosen_layers(model, layers, where)
    parameters = model.parameters()
    batch = batch.astype(parameters[0].dtype if parameters else np.float64)

    outputs: dict[str, np.ndarray] = {}
    with model_left_as_found(model), _recording(chosen, outputs), _state.no_grad():
        scores = np.asarray(model(batch))
    shown = [(n, m) for n, m in chosen if n in outputs]
    if layers is None:  # by default, the layers that make images (not the ReLUs after Flatten)
        shown = [(n, m) for n, m in shown if outputs[n].ndim == 4]
    for name, module in shown:
        if outputs[name].ndim != 4:
            raise ValueError(
                f"{where}: {_layer_title(name, module)} outputs shape {outputs[name].shape}, "
                "not images (1, C, H, W); choose conv, pooling or activation layers with layers="
            )
    if not shown:
        raise ValueError(f"{where}: none of the chosen layers ran in the model's forward")

    # One row of panels per layer, each as high as its maps need at the panels' common width.
    band = 0.25  # of a map's height, above it, for its channel number
    heights = []
    for name, _ in shown:
        channels, h, w = outputs[name].shape[1:]
        shape = (min(channels, max_channels), h, w)
        rows, cols = _mosaic_shape(shape, min(ncols, channels), _gaps(h, w, True, band))
        heights.append(rows / cols)
    width = 10.0
    panel_width = width * 0.72  # what is left beside the input, the colour bars and margins
    height = sum(heights) * panel_width + 0.45 * len(shown) + 0.6
    fig = Figure(figsize=figsize or (width, min(16.0, height)), layout="constrained")
    grid = fig.add_gridspec(len(shown), 2, width_ratios=[1, 8], height_ratios=heights)

    ax_input = fig.add_subplot(grid[0, 0])
    picture = batch[0, 0] if batch.shape[1] == 1 else np.moveaxis(batch[0], 0, -1)
    if picture.ndim == 3:
        low, high = picture.min(), picture.max()
        picture = (picture - low) / (high - low) if high > low else np.zeros_like(picture)
    ax_input.imshow(picture, cmap="gray", interpolation="nearest")
    ax_input.set_xticks([])
    ax_input.set_yticks([])
    ax_input.set_title("input " + "×".join(str(s) for s in batch.shape[1:]), fontsize=9)

    for row, (name, module) in enumerate(shown):
        maps = outputs[name][0]
        channels = len(maps)
        maps = maps[:max_channels]
        ax = fig.add_subplot(grid[row, 1])
        limit = _symmetric_limit(maps)
        drawn = _draw_mosaic(
            ax,
            maps,
            min(ncols, channels),
            cmap=cmap,
            vmin=-limit,
            vmax=limit,
            labels=[str(c) for c in range(len(maps))],
            band=band,
            fontsize=6.5,
        )
        shape = "×".join(str(s) for s in outputs[name].shape[1:])
        note = f" (first {len(maps)} of {channels} channels)" if len(maps) < channels else ""
        ax.set_title(f"{_layer_title(name, module)} → {shape}{note}", fontsize=9, loc="left")
        fig.colorbar(drawn, ax=ax, shrink=0.9, aspect=12)

    if title is None:
        parts = ["feature maps"]
        if label is not None:
            parts.append(f"of a {label}")
        if scores.ndim == 2 and scores.shape == (1, scores.shape[1]) and scores.shape[1] > 1:
            parts.append(f"(predicted {int(scores.argmax())})")
        title = " ".join(parts)
    fig.suptitle(title)
    return finish(fig, path, dpi=120)
