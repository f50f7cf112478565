"""Plots: ``from minitorch import viz``.

The core never imports this package (the command-line trainer does, when it draws a run's
curves); it is the only part of minitorch that uses matplotlib.

Plots (:mod:`minitorch.viz.plots`, :mod:`minitorch.viz.decision_boundary`). Each returns a
:class:`matplotlib.figure.Figure`, never calls ``plt.show()``, works headless, and saves itself
with ``path="figure.png"``:

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

Diagnostic plots (:mod:`minitorch.viz.diagnostic_plots`) draw the numbers of
:mod:`minitorch.diagnostics` (activation and gradient statistics, dead ReLUs, update ratios,
read after a forward and backward pass from what the modules already hold):
``plot_activation_histograms(model)``, ``plot_gradient_histograms(model)``,
``plot_gradient_norms(model)``, ``plot_dead_relus(model)``, ``plot_update_ratios(ratios or list
of ratios)``, and ``plot_diagnostics(model, ratios)`` with all of them in one figure.

The numbers themselves need no plotting library and live outside this package:
:mod:`minitorch.diagnostics` and :mod:`minitorch.metrics` (``confusion_matrix``). A typical use::

    from minitorch import diagnostics, viz

    loss = criterion(model(x), y)
    model.backward(criterion.backward())
    print(diagnostics.diagnostics_summary(model))
    snapshot = diagnostics.parameter_snapshot(model)
    optimizer.step()
    ratios = diagnostics.update_ratios(model, snapshot)
    viz.plot_diagnostics(model, ratios, path="diagnostics.png")

Importing ``minitorch.viz`` does not load matplotlib: the plotting modules are imported the first
time a plotting function is used.
"""

from __future__ import annotations

import importlib
from typing import Any

# Plotting function -> the module that defines it, imported on first use (PEP 562).
_PLOTTING = {
    "plot_history": "plots",
    "plot_decision_boundary": "decision_boundary",
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

_MODULES = ("plots", "decision_boundary", "diagnostic_plots", "conv_plots")

__all__ = list(_PLOTTING)

# The numbers that draw nothing moved out of viz: name -> the module that has it now.
_DIAGNOSTICS = (
    "activation_outputs",
    "activation_stats",
    "dead_relu_fraction",
    "diagnostics_summary",
    "gradient_stats",
    "parameter_gradients",
    "parameter_snapshot",
    "update_ratios",
)
_MOVED = {"confusion_matrix": "metrics", "metrics": "metrics", "diagnostics": "diagnostics"}
_MOVED |= dict.fromkeys(_DIAGNOSTICS, "diagnostics")


def __getattr__(name: str) -> Any:
    if name in _PLOTTING:
        module = importlib.import_module(f".{_PLOTTING[name]}", __name__)
        return getattr(module, name)
    if name in _MODULES:
        return importlib.import_module(f".{name}", __name__)
    if name in _MOVED:
        where = f"minitorch.{_MOVED[name]}" + ("" if name == _MOVED[name] else f".{name}")
        raise AttributeError(
            f"minitorch.viz.{name} is now {where} (viz holds the plots only; the numbers need "
            f"no matplotlib): from minitorch import {_MOVED[name]}"
        )
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_PLOTTING, *_MODULES])
