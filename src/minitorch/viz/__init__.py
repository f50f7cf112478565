"""Plots and training diagnostics: ``from minitorch import viz``.

Nothing in the rest of minitorch imports this package; it is the only part that uses matplotlib.

Plots (:mod:`minitorch.viz.plots`). Each returns a :class:`matplotlib.figure.Figure`, never calls
``plt.show()``, works headless, and saves itself with ``path="figure.png"``:

==========================================  ===================================================
``plot_history(history)``                   loss, accuracy (and learning-rate) curves from a
                                            dict of lists or a list of per-epoch dicts
``plot_decision_boundary(model, X, y)``     the classes a model predicts over 2-D inputs
``show_images(images, labels, preds)``      a grid of images, mistakes marked in red
``plot_confusion_matrix(cm)``               also ``plot_confusion_matrix(y_true, y_pred)``
==========================================  ===================================================

Convolutional networks (:mod:`minitorch.viz.conv_plots`): ``plot_filters(conv)``, the learned
kernels of a Conv2d on a colour scale centred at 0, and ``plot_feature_maps(model, image)``, the
channels of every conv and activation layer's output for one image.

Diagnostics (:mod:`minitorch.viz.diagnostics`, NumPy only), read after a forward and backward pass
from what the modules already hold (no hooks), returned as dicts keyed by layer or parameter name:

==========================================  ===================================================
``activation_stats(model)``                 mean, std, zeros, saturation of each activation
``activation_outputs(model)``               each activation layer's output (arrays)
``gradient_stats(model)``                   mean, std, norm, ‖g‖/‖p‖ of each gradient
``parameter_gradients(model)``              each parameter's gradient (arrays)
``dead_relu_fraction(model)``               fraction of each ReLU's units off for the batch
``parameter_snapshot(model)``               copies of the parameters, before ``step()``
``update_ratios(model, snapshot)``          ‖Δp‖/‖p‖ of each parameter, after ``step()``
``diagnostics_summary(model, ratios)``      all of it as a printable table
==========================================  ===================================================

Diagnostic plots (:mod:`minitorch.viz.diagnostic_plots`): ``plot_activation_histograms(model)``,
``plot_gradient_histograms(model)``, ``plot_gradient_norms(model)``, ``plot_dead_relus(model)``,
``plot_update_ratios(ratios or list of ratios)``, and ``plot_diagnostics(model, ratios)`` with
all of them in one figure.

Metrics (:mod:`minitorch.viz.metrics`, NumPy only): ``confusion_matrix(y_true, y_pred)``.

A typical use::

    from minitorch import viz

    loss = criterion(model(x), y)
    model.backward(criterion.backward())
    print(viz.diagnostics_summary(model))
    snapshot = viz.parameter_snapshot(model)
    optimizer.step()
    ratios = viz.update_ratios(model, snapshot)
    viz.plot_diagnostics(model, ratios, path="diagnostics.png")

Importing ``minitorch.viz`` does not load matplotlib: the plotting modules are imported the first
time a plotting function is used, so the metrics and the diagnostics' numbers work (and the
trainer imports them) without it.
"""

from __future__ import annotations

import importlib
from typing import Any

from .diagnostics import (
    activation_outputs,
    activation_stats,
    dead_relu_fraction,
    diagnostics_summary,
    gradient_stats,
    parameter_gradients,
    parameter_snapshot,
    update_ratios,
)
from .metrics import confusion_matrix

# Plotting function -> the module that defines it, imported on first use (PEP 562).
_PLOTTING = {
    "plot_history": "plots",
    "plot_decision_boundary": "plots",
    "show_images": "plots",
    "plot_confusion_matrix": "plots",
    "plot_activation_histograms": "diagnostic_plots",
    "plot_gradient_histograms": "diagnostic_plots",
    "plot_gradient_norms": "diagnostic_plots",
    "plot_dead_relus": "diagnostic_plots",
    "plot_update_ratios": "diagnostic_plots",
    "plot_diagnostics": "diagnostic_plots",
    "plot_filters": "conv_plots",
    "plot_feature_maps": "conv_plots",
}

__all__ = [
    "activation_outputs",
    "activation_stats",
    "confusion_matrix",
    "dead_relu_fraction",
    "diagnostics_summary",
    "gradient_stats",
    "parameter_gradients",
    "parameter_snapshot",
    "update_ratios",
    *_PLOTTING,
]


def __getattr__(name: str) -> Any:
    if name in _PLOTTING:
        module = importlib.import_module(f".{_PLOTTING[name]}", __name__)
        return getattr(module, name)
    if name in ("plots", "diagnostic_plots", "conv_plots"):
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_PLOTTING, "plots", "diagnostic_plots", "conv_plots"])
