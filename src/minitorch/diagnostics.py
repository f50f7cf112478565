"""Training diagnostics read from what the modules already hold: no hooks, no extra passes.

After ``loss = criterion(model(x), y)`` and ``model.backward(criterion.backward())`` every module
still holds what its backward needed: each activation its input ``x`` (``Activation.x``), each
layer its gradients (``grads()``, aligned with ``named_parameters()``). These functions read those
arrays and return plain data (dicts of floats or NumPy arrays, keyed by the dotted names of
``model.named_modules()`` / ``model.named_parameters()``, in forward order for a Sequential):

==================================  ===========================================================
``activation_outputs(model)``       name → output of each activation layer (an array)
``activation_stats(model)``         name → mean, std, min, max, std over the batch, fraction of
                                    zeros, saturation
``parameter_gradients(model)``      name → dL/dp of each parameter (an array)
``gradient_stats(model)``           name → mean, std, norm, max |g|, ‖g‖/‖p‖
``dead_relu_fraction(model)``       name → fraction of a ReLU's units that are off for the whole
                                    batch
``parameter_snapshot(model)``       name → a copy of each parameter (take it before ``step()``)
``update_ratios(model, snapshot)``  name → ‖Δp‖ / ‖p‖ of the last optimizer step
``diagnostics_summary(model)``      the above as a printable table
==================================  ===========================================================

What they show (the diagnostics of a course on training deep networks):

* **Vanishing gradients.** The gradient norm of a deep sigmoid network shrinks layer by layer on
  the way back to the input (σ' ≤ 1/4 per layer); with ReLU and He initialisation it stays level.
* **Bad initialisation.** Activations whose std collapses towards 0 or grows layer by layer,
  tanh/sigmoid units stuck at their limits (``saturated``), or a ``sample_std`` that falls to 0
  with depth (every input gives the same output: the network has forgotten its input) mean the
  weights' scale is wrong.
* **Dead ReLUs.** A unit whose input is ≤ 0 for every sample passes no gradient and never
  recovers; a large ``dead_relu_fraction`` follows too high a learning rate or a bad bias.
* **Learning rate.** The update-to-weight ratio ‖Δp‖/‖p‖ per step should be near 1e-3: far below,
  training crawls; far above (1e-1), it is unstable.

This module imports NumPy only; the plotting functions that draw these numbers are in
:mod:`minitorch.viz.diagnostic_plots` (``viz.plot_diagnostics(model, ratios)`` and others).
"""

from __future__ import annotations

import math

import numpy as np

from .nn.activation import Activation, ReLU, Sigmoid, Tanh
from .nn.module import Module

__all__ = [
    "BIAS_NAMES",
    "SATURATION_THRESHOLD",
    "activation_outputs",
    "activation_stats",
    "dead_relu_fraction",
    "diagnostics_summary",
    "gradient_stats",
    "is_bias",
    "parameter_gradients",
    "parameter_snapshot",
    "update_ratios",
]

#: A tanh unit counts as saturated when |y| > 0.97 (the threshold of Karpathy's lectures); its
#: derivative 1 − y² is then below 0.06. A sigmoid unit when |2y − 1| > 0.97, the same band,
#: because 2σ(x) − 1 = tanh(x/2).
SATURATION_THRESHOLD = 0.97

#: Attribute names of bias-like parameters (the last part of a dotted parameter name).
BIAS_NAMES = frozenset({"b", "bias", "beta"})


def is_bias(name: str) -> bool:
    """Whether the parameter called ``name`` (e.g. ``"2.b"``) is a bias.

    Biases start at zero, so their update-to-weight ratio is infinite at the first step and their
    gradient histogram is one bar; the plots leave them out unless asked.
    """
    return name.rpartition(".")[2] in BIAS_NAMES


def _check_model(model: object, where: str) -> Module:
    if not isinstance(model, Module):
        raise TypeError(f"{where} expects a minitorch Module, got {type(model).__name__}")
    return model


def _layer_name(name: str, module: Module) -> str:
    # The model itself has the empty name; call it by its class instead.
    return name or type(module).__name__


# --------------------------------------------------------------------------- activations
def _activation_output(module: Activation) -> np.ndarray:
    """Recompute an activation's output from its cached input ``x`` with its own formula.

    ``_forward`` is the pure formula (it touches no attribute), so the module's caches stay as
    the last forward left them. An activation written with its own ``forward`` instead is run
    again on the same ``x``, which stores the same caches again.
    """
    if type(module)._forward is not Activation._forward:
        output, _ = module._forward(module.x)
    else:
        output = module.forward(module.x)
    return np.asarray(output)


def activation_outputs(model: Module) -> dict[str, np.ndarray]:
    """The output of every activation layer in the last forward pass.

    Each output is recomputed from the input the layer cached (``module.x``) with the layer's own
    formula, so nothing has to be recorded during the forward pass. Activation layers are the
    :class:`minitorch.nn.Activation` subclasses (ReLU, Sigmoid, Tanh, ...).

    Returns
    -------
    dict
        Dotted module name → output array (the shape of the layer's input, e.g. ``(N, D)``), in
        the order of ``model.named_modules()``. Empty if the model has no activation layer.

    Raises
    ------
    RuntimeError
        If the model has activation layers but none has seen a forward pass yet.
    """
    _check_model(model, "activation_outputs")
    layers = [(n, m) for n, m in model.named_modules() if isinstance(m, Activation)]
    outputs = {_layer_name(n, m): _activation_output(m) for n, m in layers if m.x is not None}
    if layers and not outputs:
        raise RuntimeError(
            "activation_outputs: no activation layer holds an input yet; run a forward pass "
            "(model(x)) before reading the diagnostics"
        )
    return outputs


def _saturated_fraction(module: Module, output: np.ndarray) -> float:
    if isinstance(module, Tanh):
        return float(np.mean(np.abs(output) > SATURATION_THRESHOLD))
    if isinstance(module, Sigmoid):
        return float(np.mean(np.abs(2 * output - 1) > SATURATION_THRESHOLD))
    return math.nan


def _by_unit(values: np.ndarray) -> np.ndarray:
    """View a batch as (N, units): axis 0 is the batch, every other axis indexes units."""
    return values.reshape(values.shape[0], -1) if values.ndim > 1 else values.reshape(-1, 1)


def _summary(values: np.ndarray) -> dict[str, float]:
    values = np.asarray(values, dtype=np.float64)
    return {
        "mean": float(values.mean()),
        "std": float(values.std()),
        "min": float(values.min()),
        "max": float(values.max()),
    }


def activation_stats(model: Module) -> dict[str, dict[str, float]]:
    """Statistics of every activation layer's output in the last forward pass.

    Returns
    -------
    dict
        Dotted module name → ``{"mean", "std", "min", "max", "sample_std", "zero_fraction",
        "saturated"}``: the output's mean, standard deviation (population, ``ddof=0``) and range
        over all its values; ``sample_std``, the standard deviation of each unit over the batch,
        averaged over the units — how much the layer's output still depends on the input (near
        0: every sample looks the same to the next layer); the fraction of outputs that are
        exactly 0 (ReLU units that are off); and for Tanh and Sigmoid the fraction of saturated
        outputs (see :data:`SATURATION_THRESHOLD`), NaN for activations that do not saturate.
    """
    modules = dict(model.named_modules()) if isinstance(model, Module) else {}
    stats = {}
    for name, output in activation_outputs(model).items():
        module = modules.get(name, model)
        stats[name] = {
            **_summary(output),
            "sample_std": float(_by_unit(output.astype(np.float64)).std(axis=0).mean()),
            "zero_fraction": float(np.mean(output == 0)),
            "saturated": _saturated_fraction(module, output),
        }
    return stats


def dead_relu_fraction(model: Module) -> dict[str, float]:
    """For every ReLU layer, the fraction of its units that were off for the whole batch.

    A unit (one feature; one position of one channel for images) is dead in a batch when its
    cached input ``x`` is ≤ 0 for every sample: it outputs 0 and passes back no gradient, so no
    sample in the batch can move its weights. Computed from ``ReLU.x`` of the last forward pass;
    the batch axis is axis 0 and every other axis indexes units.

    Returns
    -------
    dict
        Dotted module name → fraction in [0, 1]. Empty if the model has no ReLU.

    Raises
    ------
    RuntimeError
        If the model has ReLU layers but none has seen a forward pass yet.
    """
    _check_model(model, "dead_relu_fraction")
    relus = [(n, m) for n, m in model.named_modules() if isinstance(m, ReLU)]
    fractions = {}
    for name, module in relus:
        if module.x is None:
            continue
        units = _by_unit(np.asarray(module.x))
        fractions[_layer_name(name, module)] = float(np.mean(np.all(units <= 0, axis=0)))
    if relus and not fractions:
        raise RuntimeError(
            "dead_relu_fraction: no ReLU holds an input yet; run a forward pass (model(x)) first"
        )
    return fractions


# --------------------------------------------------------------------------- gradients
def _safe_ratio(numerator: float, denominator: float) -> float:
    """numerator / denominator, with 0/0 = 0 and x/0 = inf (a parameter that is still all zero)."""
    if denominator > 0:
        return numerator / denominator
    return 0.0 if numerator == 0 else math.inf


def parameter_gradients(model: Module, include_bias: bool = True) -> dict[str, np.ndarray]:
    """dL/dp of every parameter, as ``grads()`` holds it after the last backward.

    These are the *parameters'* gradients (what the optimizer uses); the gradients flowing between
    layers are not kept by the modules. Parameters whose gradient is still ``None`` (never reached
    by a backward pass) are left out.

    Parameters
    ----------
    include_bias : bool
        Whether to include biases (see :func:`is_bias`); default ``True``.

    Returns
    -------
    dict
        Dotted parameter name (``"0.W"``) → the gradient array itself (not a copy).

    Raises
    ------
    RuntimeError
        If the model has parameters but no gradient yet (no backward pass has run).
    """
    _check_model(model, "parameter_gradients")
    names = [name for name, _ in model.named_parameters()]
    gradients = {
        name: grad
        for name, grad in zip(names, model.grads(), strict=True)
        if grad is not None and (include_bias or not is_bias(name))
    }
    if names and all(g is None for g in model.grads()):
        raise RuntimeError(
            "parameter_gradients: the model has no gradients yet; run a backward pass "
            "(model.backward(criterion.backward())) before reading them"
        )
    return gradients


def gradient_stats(model: Module, include_bias: bool = True) -> dict[str, dict[str, float]]:
    """Statistics of every parameter's gradient after the last backward.

    Returns
    -------
    dict
        Dotted parameter name → ``{"mean", "std", "min", "max", "norm", "abs_max",
        "grad_to_weight"}``, where ``norm`` is the Frobenius norm ‖g‖ and ``grad_to_weight`` is
        ‖g‖ / ‖p‖, the size of the gradient relative to the parameter it updates (``inf`` for a
        parameter that is still all zeros, 0 if both are zero).
    """
    parameters = dict(model.named_parameters()) if isinstance(model, Module) else {}
    stats = {}
    for name, grad in parameter_gradients(model, include_bias).items():
        grad64 = np.asarray(grad, dtype=np.float64)
        norm = float(np.linalg.norm(grad64))
        stats[name] = {
            **_summary(grad64),
            "norm": norm,
            "abs_max": float(np.abs(grad64).max()),
            "grad_to_weight": _safe_ratio(
                norm, float(np.linalg.norm(np.asarray(parameters[name], dtype=np.float64)))
            ),
        }
    return stats


# --------------------------------------------------------------------------- updates
def parameter_snapshot(model: Module) -> dict[str, np.ndarray]:
    """Copies of every parameter, to compare with after an optimizer step.

    Usage::

        snapshot = parameter_snapshot(model)
        optimizer.step()
        ratios = update_ratios(model, snapshot)

    Returns
    -------
    dict
        Dotted parameter name → a copy of the array (the optimizer updates the originals in place).
    """
    _check_model(model, "parameter_snapshot")
    return {name: p.copy() for name, p in model.named_parameters()}


def update_ratios(
    model: Module, snapshot: dict[str, np.ndarray], include_bias: bool = True
) -> dict[str, float]:
    """The update-to-weight ratio of every parameter: ‖p_now − p_before‖ / ‖p_before‖.

    The ratio of the Frobenius norms of the step actually taken and of the parameter before it,
    whatever the optimizer (SGD, momentum, Adam) — not Karpathy's ``std(lr·grad) / std(p)``, which
    assumes plain SGD; for arrays with mean near 0 the two agree, since std ≈ ‖·‖/√size. A
    healthy value is around 1e-3 (log10 ≈ −3). A parameter that was all zeros before the step (a
    bias at the first step) has ratio ``inf``, or 0 if it did not move.

    Parameters
    ----------
    snapshot : dict
        What :func:`parameter_snapshot` returned before the step.
    include_bias : bool
        Whether to include biases (see :func:`is_bias`); default ``True``.

    Returns
    -------
    dict
        Dotted parameter name → ratio (a float ≥ 0).
    """
    _check_model(model, "update_ratios")
    if not isinstance(snapshot, dict):
        raise TypeError(
            "update_ratios expects the dict returned by parameter_snapshot(model), got "
            f"{type(snapshot).__name__}"
        )
    ratios = {}
    for name, p in model.named_parameters():
        if not include_bias and is_bias(name):
            continue
        if name not in snapshot:
            raise KeyError(
                f"update_ratios: parameter {name!r} is not in the snapshot; take the snapshot "
                "with parameter_snapshot(model) of this same model, before optimizer.step()"
            )
        before = np.asarray(snapshot[name], dtype=np.float64)
        if before.shape != p.shape:
            raise ValueError(
                f"update_ratios: parameter {name!r} has shape {p.shape} but {before.shape} in the "
                "snapshot; the snapshot belongs to another model"
            )
        step = np.asarray(p, dtype=np.float64) - before
        ratios[name] = _safe_ratio(float(np.linalg.norm(step)), float(np.linalg.norm(before)))
    return ratios


# --------------------------------------------------------------------------- text summary
def diagnostics_summary(model: Module, ratios: dict[str, float] | None = None) -> str:
    """A printable table of the activation and gradient statistics (and update ratios, if given).

    Call it after a forward and backward pass: ``print(diagnostics_summary(model))``.
    """
    modules = dict(model.named_modules()) if isinstance(model, Module) else {}
    lines = []
    activations = activation_stats(model)
    dead = dead_relu_fraction(model)
    if activations:
        lines.append(
            f"{'activation':<18}{'mean':>10}{'std':>10}{'batch std':>11}{'zeros':>8}"
            f"{'saturated':>11}{'dead':>8}"
        )
        for name, s in activations.items():
            label = f"{name} ({type(modules.get(name, model)).__name__})"
            saturated = "-" if math.isnan(s["saturated"]) else f"{s['saturated']:.0%}"
            dead_text = f"{dead[name]:.0%}" if name in dead else "-"
            lines.append(
                f"{label:<18}{s['mean']:>10.3g}{s['std']:>10.3g}{s['sample_std']:>11.3g}"
                f"{s['zero_fraction']:>8.0%}"
                f"{saturated:>11}{dead_text:>8}"
            )
    gradients = gradient_stats(model)
    if gradients:
        if lines:
            lines.append("")
        header = f"{'parameter':<18}{'shape':>12}{'grad std':>11}{'grad norm':>11}{'‖g‖/‖p‖':>10}"
        lines.append(header + (f"{'‖Δp‖/‖p‖':>11}" if ratios is not None else ""))
        parameters = dict(model.named_parameters())
        for name, s in gradients.items():
            shape = "x".join(str(d) for d in parameters[name].shape)
            line = (
                f"{name:<18}{shape:>12}{s['std']:>11.3g}{s['norm']:>11.3g}"
                f"{s['grad_to_weight']:>10.3g}"
            )
            if ratios is not None:
                line += f"{ratios[name]:>11.3g}" if name in ratios else f"{'-':>11}"
            lines.append(line)
    return "\n".join(lines)
