"""Plots of the training diagnostics of :mod:`minitorch.diagnostics`.

Call them after a forward and backward pass (and, for the update ratios, an optimizer step);
they read what the modules hold, like the functions they draw:

* :func:`plot_activation_histograms`: one histogram line per activation layer, darker for
  earlier layers. Healthy: similar spreads at every depth. Bad initialisation: the spread
  shrinks or grows with depth; tanh/sigmoid outputs piled up at their limits (saturation).
* :func:`plot_gradient_histograms`: the same for every weight's gradient. Vanishing gradients:
  the early layers' gradients are a spike at 0 while the last layer's are spread out.
* :func:`plot_gradient_norms`: ‖dL/dW‖ per layer on a log scale, the same story in numbers.
* :func:`plot_dead_relus`: the fraction of each ReLU layer's units that are off for the batch.
* :func:`plot_update_ratios`: ‖Δp‖/‖p‖ per weight, per step, against the 1e-3 rule of thumb.
* :func:`plot_diagnostics`: all of the above that apply, in one figure.

Biases are left out of the gradient and update plots by default (``include_bias=True`` adds
them): they start at zero, so their update ratio is infinite at the first step.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib import colormaps
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from .. import diagnostics
from ..nn.activation import ReLU
from ..nn.module import Module
from ._figures import PathLike, figure_and_axes, finish, new_figure

__all__ = [
    "plot_activation_histograms",
    "plot_dead_relus",
    "plot_diagnostics",
    "plot_gradient_histograms",
    "plot_gradient_norms",
    "plot_update_ratios",
]


def _depth_colors(count: int) -> list:
    """Dark (early layers) to light (late layers); the top of viridis is too pale to read."""
    cmap = colormaps["viridis"]
    return [cmap(0.9 * i / max(count - 1, 1)) for i in range(count)]


def _module_types(model: Module) -> dict[str, str]:
    return {name or type(m).__name__: type(m).__name__ for name, m in model.named_modules()}


def _histogram_lines(
    ax: Axes,
    arrays: dict[str, np.ndarray],
    labels: dict[str, str],
    bins: int,
    drop_zeros: set[str] = frozenset(),
) -> None:
    """One line per array: the fraction of its values in each of ``bins`` shared bins.

    The bins are shared by all arrays (from the smallest to the largest value of any), so the
    lines compare directly: an array much narrower than the others is a spike. For the arrays
    named in ``drop_zeros`` the exact zeros are not drawn (a ReLU's off units would be a spike
    hiding everything else), but each value still counts 1/size, so the line's total is the
    fraction of non-zero values.
    """
    low = min(float(a.min()) for a in arrays.values())
    high = max(float(a.max()) for a in arrays.values())
    if high <= low:
        low, high = low - 0.5, high + 0.5
    edges = np.linspace(low, high, bins + 1)
    centers = (edges[:-1] + edges[1:]) / 2
    for (name, values), color in zip(arrays.items(), _depth_colors(len(arrays)), strict=True):
        values = np.asarray(values, dtype=np.float64).ravel()
        kept = values[values != 0] if name in drop_zeros else values
        counts, _ = np.histogram(kept, bins=edges)
        ax.plot(centers, counts / values.size, color=color, label=labels[name])
    ax.set_ylabel("fraction of values per bin")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize="x-small", loc="upper right")


def plot_activation_histograms(
    model: Module,
    *,
    bins: int = 60,
    ax: Axes | None = None,
    title: str | None = None,
    figsize: tuple[float, float] | None = None,
    path: PathLike | None = None,
) -> Figure:
    """Histograms of every activation layer's output in the last forward pass, one line each.

    Outputs come from :func:`~minitorch.diagnostics.activation_outputs` (recomputed from each
    layer's cached input). The legend gives each layer's mean, std and, for tanh and sigmoid, the
    fraction of saturated units; for ReLU the fraction of zeros, which are not drawn.
    """
    outputs = diagnostics.activation_outputs(model)
    if not outputs:
        raise ValueError(
            "plot_activation_histograms: the model has no activation layers "
            "(nn.Activation subclasses such as ReLU, Tanh, Sigmoid)"
        )
    stats = diagnostics.activation_stats(model)
    types = _module_types(model)
    relus = {n or type(m).__name__ for n, m in model.named_modules() if isinstance(m, ReLU)}
    labels = {}
    for name, s in stats.items():
        extra = ""
        if not np.isnan(s["saturated"]):
            extra = f", saturated {s['saturated']:.0%}"
        elif name in relus:
            extra = f", zeros {s['zero_fraction']:.0%} (not drawn)"
        labels[name] = f"{name} ({types[name]}): mean {s['mean']:+.2f}, std {s['std']:.2f}{extra}"
    fig, ax = figure_and_axes(ax, figsize or (6.5, 4), "plot_activation_histograms")
    _histogram_lines(ax, outputs, labels, bins, drop_zeros=relus)
    ax.set_xlabel("activation value")
    ax.set_title(title or "activations per layer")
    return finish(fig, path)


def plot_gradient_histograms(
    model: Module,
    *,
    include_bias: bool = False,
    bins: int = 60,
    ax: Axes | None = None,
    title: str | None = None,
    figsize: tuple[float, float] | None = None,
    path: PathLike | None = None,
) -> Figure:
    """Histograms of every weight's gradient after the last backward, one line each.

    Read from ``grads()`` (these are the parameters' gradients, dL/dW). The legend gives each
    gradient's std and ‖g‖/‖p‖, the gradient's size relative to the weight it updates.
    """
    gradients = diagnostics.parameter_gradients(model, include_bias)
    if not gradients:
        raise ValueError("plot_gradient_histograms: the model has no parameters with gradients")
    stats = diagnostics.gradient_stats(model, include_bias)
    labels = {
        name: f"{name}: std {s['std']:.2e}, ‖g‖/‖p‖ {s['grad_to_weight']:.1e}"
        for name, s in stats.items()
    }
    fig, ax = figure_and_axes(ax, figsize or (6.5, 4), "plot_gradient_histograms")
    _histogram_lines(ax, gradients, labels, bins)
    ax.set_xlabel("gradient value")
    ax.set_title(title or "weight gradients per layer")
    return finish(fig, path)


def plot_gradient_norms(
    model: Module,
    *,
    include_bias: bool = False,
    ax: Axes | None = None,
    title: str | None = None,
    figsize: tuple[float, float] | None = None,
    path: PathLike | None = None,
) -> Figure:
    """The norm ‖dL/dp‖ of every weight's gradient, input side on the left, on a log scale.

    Vanishing gradients show as bars that shrink by a constant factor per layer towards the
    input; exploding ones as bars that grow.
    """
    stats = diagnostics.gradient_stats(model, include_bias)
    if not stats:
        raise ValueError("plot_gradient_norms: the model has no parameters with gradients")
    fig, ax = figure_and_axes(ax, figsize or (6.5, 4), "plot_gradient_norms")
    names = list(stats)
    norms = np.array([stats[n]["norm"] for n in names])
    # log=True draws bars from the bottom of the log axis (a bar from 0 would not be drawn).
    ax.bar(range(len(names)), norms, color=_depth_colors(len(names)), log=True)
    ax.set_xticks(range(len(names)), names, rotation=45 if len(names) > 6 else 0)
    positive = norms[norms > 0]
    if positive.size:
        # Show at least two decades, so that norms within a factor of 2 of each other look level
        # rather than filling the axis (matplotlib would zoom in on 0.3 .. 0.6).
        low, high = positive.min(), positive.max()
        ax.set_ylim(min(low, high / 100) / 2, high * 2)
    ax.set_ylabel("‖dL/dp‖ (log scale)")
    ax.set_xlabel("parameter (input side first)")
    ax.grid(True, axis="y", alpha=0.3)
    ax.set_title(title or "gradient norm per layer")
    return finish(fig, path)


def plot_dead_relus(
    model_or_fractions: Module | Mapping[str, float],
    *,
    ax: Axes | None = None,
    title: str | None = None,
    figsize: tuple[float, float] | None = None,
    path: PathLike | None = None,
) -> Figure:
    """Bars of the fraction of dead units in each ReLU layer (0 to 1).

    Pass the model (after a forward pass) or the dict from
    :func:`~minitorch.diagnostics.dead_relu_fraction`.
    """
    if isinstance(model_or_fractions, Module):
        fractions = diagnostics.dead_relu_fraction(model_or_fractions)
    elif isinstance(model_or_fractions, Mapping):
        fractions = dict(model_or_fractions)
    else:
        raise TypeError(
            "plot_dead_relus expects a Module or the dict from dead_relu_fraction(model), got "
            f"{type(model_or_fractions).__name__}"
        )
    if not fractions:
        raise ValueError("plot_dead_relus: the model has no ReLU layers")
    fig, ax = figure_and_axes(ax, figsize or (5.5, 3.5), "plot_dead_relus")
    names = list(fractions)
    values = np.array([fractions[n] for n in names], dtype=float)
    ax.bar(range(len(names)), values, color="#d62728")
    for i, value in enumerate(values):
        ax.text(i, value + 0.02, f"{value:.0%}", ha="center", va="bottom", fontsize="small")
    ax.set_xticks(range(len(names)), [f"ReLU {n}" for n in names], rotation=45 * (len(names) > 6))
    ax.set_ylim(0, 1.1)
    ax.set_ylabel("fraction of dead units")
    ax.grid(True, axis="y", alpha=0.3)
    ax.set_title(title or "dead ReLUs (off for the whole batch)")
    return finish(fig, path)


def plot_update_ratios(
    ratios: Mapping[str, float] | Sequence[Mapping[str, float]],
    *,
    include_bias: bool = False,
    reference: float = 1e-3,
    ax: Axes | None = None,
    title: str | None = None,
    figsize: tuple[float, float] | None = None,
    path: PathLike | None = None,
) -> Figure:
    """The update-to-weight ratio ‖Δp‖/‖p‖ per parameter, on a log scale, against ``reference``.

    Parameters
    ----------
    ratios : dict, or list of dicts
        One step's ratios from :func:`~minitorch.diagnostics.update_ratios` (drawn as bars),
        or one such dict per step (drawn as one line per parameter over the steps).
    include_bias : bool
        Draw biases too (their ratio is infinite while they are still zero; such points are not
        drawn).
    reference : float
        The rule of thumb drawn as a dashed line (1e-3): far below, the learning rate is too
        low; far above, too high.
    """
    steps = [ratios] if isinstance(ratios, Mapping) else list(ratios)
    if not steps or not all(isinstance(step, Mapping) for step in steps):
        raise TypeError(
            "plot_update_ratios expects the dict from update_ratios(model, snapshot), or a "
            "non-empty list of them (one per step)"
        )
    names = [
        name
        for name in dict.fromkeys(name for step in steps for name in step)
        if include_bias or not diagnostics.is_bias(name)
    ]
    if not names:
        raise ValueError("plot_update_ratios: no parameters to draw (only biases?)")
    # Zeros and infinities have no place on a log axis: NaN leaves a gap instead.
    table = np.array([[step.get(name, np.nan) for name in names] for step in steps], dtype=float)
    table[~np.isfinite(table) | (table <= 0)] = np.nan
    fig, ax = figure_and_axes(ax, figsize or (6.5, 4), "plot_update_ratios")
    colors = _depth_colors(len(names))
    if len(steps) == 1:
        ax.bar(range(len(names)), np.nan_to_num(table[0]), color=colors, log=True)
        ax.set_xticks(range(len(names)), names, rotation=45 if len(names) > 6 else 0)
        ax.set_xlabel("parameter (input side first)")
    else:
        x = np.arange(1, len(steps) + 1)
        for column, name in enumerate(names):
            ax.plot(x, table[:, column], color=colors[column], label=name)
        ax.set_xlabel("step")
        ax.legend(fontsize="x-small", loc="upper right", ncols=2 if len(names) > 8 else 1)
    ax.axhline(reference, color="k", linestyle="--", linewidth=1, label=f"{reference:g}")
    ax.set_yscale("log", nonpositive="clip")
    ax.set_ylabel("‖Δp‖ / ‖p‖ (log scale)")
    ax.grid(True, alpha=0.3)
    ax.set_title(title or "update-to-weight ratio")
    return finish(fig, path)


def plot_diagnostics(
    model: Module,
    ratios: Mapping[str, float] | Sequence[Mapping[str, float]] | None = None,
    *,
    include_bias: bool = False,
    title: str | None = None,
    figsize: tuple[float, float] | None = None,
    path: PathLike | None = None,
) -> Figure:
    """All the diagnostic plots that apply to ``model``, in one figure.

    Activation histograms (if the model has activation layers), gradient histograms and norms,
    dead ReLUs (if it has ReLUs) and update ratios (if ``ratios`` is given: one dict or a list).
    Call it after a forward and a backward pass.
    """
    if not isinstance(model, Module):
        raise TypeError(f"plot_diagnostics expects a minitorch Module, got {type(model).__name__}")
    panels = []
    if diagnostics.activation_outputs(model):
        panels.append(lambda ax: plot_activation_histograms(model, ax=ax))
    panels.append(lambda ax: plot_gradient_histograms(model, include_bias=include_bias, ax=ax))
    panels.append(lambda ax: plot_gradient_norms(model, include_bias=include_bias, ax=ax))
    if diagnostics.dead_relu_fraction(model):
        panels.append(lambda ax: plot_dead_relus(model, ax=ax))
    if ratios is not None:
        panels.append(lambda ax: plot_update_ratios(ratios, include_bias=include_bias, ax=ax))
    ncols = 2 if len(panels) == 4 else min(3, len(panels))
    nrows = -(-len(panels) // ncols)
    fig, axes = new_figure(nrows, ncols, figsize=figsize or (6 * ncols, 4.2 * nrows))
    for draw, ax in zip(panels, axes.ravel(), strict=False):
        draw(ax)
    for ax in axes.ravel()[len(panels) :]:
        ax.axis("off")
    if title:
        fig.suptitle(title)
    return finish(fig, path)
