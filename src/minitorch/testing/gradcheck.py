"""Numerical gradient checking: is a hand-written backward right?

The check treats the module as a function of its input and its parameters and compares the
gradients its ``backward`` computes with central differences,

    dL/dθᵢ ≈ (L(θ + ε·eᵢ) − L(θ − ε·eᵢ)) / 2ε,

where L = Σ y ⊙ G for a fixed random G (so every output element matters) and, for a Loss, L is
the loss itself. Everything runs in float64 on a copy of the module; the original is untouched.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

import numpy as np

from .. import _state
from ..nn.loss import Loss
from ..nn.module import Module


@dataclass
class GradcheckRow:
    """The comparison for one tensor (the input or one parameter)."""

    name: str
    shape: tuple[int, ...]
    max_abs_error: float
    max_rel_error: float
    ok: bool
    worst_index: tuple[int, ...] | None = None
    analytic: float = 0.0
    numeric: float = 0.0


@dataclass
class GradcheckReport:
    """Per-tensor errors of a gradient check; truthy when every tensor passed."""

    module: str
    rows: list[GradcheckRow] = field(default_factory=list)
    atol: float = 1e-5
    rtol: float = 1e-3

    @property
    def ok(self) -> bool:
        return all(row.ok for row in self.rows)

    def __bool__(self) -> bool:
        return self.ok

    def __str__(self) -> str:
        header = f"gradcheck of {self.module}  (pass: |analytic − numeric| ≤ {self.atol:g} + "
        header += f"{self.rtol:g}·|numeric|)"
        header += "\nrelative error = |analytic − numeric| / max(|numeric|, atol)"
        lines = [header, f"{'tensor':<16}{'shape':<16}{'max abs err':>13}{'max rel err':>13}  ok"]
        for row in self.rows:
            lines.append(
                f"{row.name:<16}{row.shape!s:<16}{row.max_abs_error:>13.2e}"
                f"{row.max_rel_error:>13.2e}  {'yes' if row.ok else 'NO'}"
            )
            if not row.ok:
                lines.append(
                    f"{'':<16}worst at {row.worst_index}: backward gives {row.analytic:.6g}, "
                    f"central differences give {row.numeric:.6g}"
                )
        lines.append("all gradients match" if self.ok else "GRADIENTS DO NOT MATCH")
        return "\n".join(lines)


def _as_float64(value):
    array = np.asarray(value)
    return array.astype(np.float64) if np.issubdtype(array.dtype, np.floating) else array


def _per_input(grad_input, n_inputs: int) -> tuple:
    """backward's return value as one entry per input (the contract: a tuple for several)."""
    if n_inputs == 1:
        return (grad_input,)
    if isinstance(grad_input, (tuple, list)) and len(grad_input) == n_inputs:
        return tuple(grad_input)
    return (None,) * n_inputs  # reported as a failed row for each floating input


def gradcheck(
    module: Module,
    *inputs: np.ndarray,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
    verbose: bool = False,
    seed: int = 0,
) -> GradcheckReport:
    """Compare ``module.backward`` with float64 central differences.

    Parameters
    ----------
    module : Module or Loss
        A layer, called as ``module(*inputs)``, or a loss, called as
        ``loss(predictions, targets)`` (only the gradient with respect to ``predictions`` is
        checked).
    *inputs : ndarray
        The layer's inputs: one array, or several for a layer whose ``forward`` takes several
        (its ``backward`` then returns a tuple, one gradient per input). Floating inputs are
        converted to float64 and their gradients checked; integer inputs (token indices) have
        no gradient, so only the parameters are checked for them.
    eps : float
        Step of the central differences.
    atol, rtol : float
        An element passes when ``|analytic − numeric| ≤ atol + rtol·|numeric|``.
    raise_exception : bool
        Raise ``AssertionError`` with the table when a gradient is wrong (like
        ``torch.autograd.gradcheck``); otherwise just return the report.
    verbose : bool
        Print the table.
    seed : int
        Seed of the random output gradient G. Random layers (Dropout) see the same random
        numbers in every evaluation, so they are checked as the fixed function they are for one
        mask.

    Returns
    -------
    GradcheckReport
        One row per tensor: each floating input (``input``, or ``input0``, ``input1``, ...),
        then every parameter by its ``named_parameters`` name.
    """
    if not isinstance(module, Module):
        raise TypeError(f"gradcheck expects a Module or Loss, got {type(module).__name__}")
    if not inputs:
        raise TypeError("gradcheck needs the input(s) to evaluate the module on")
    module = copy.deepcopy(module).double()
    for submodule in module.modules():
        submodule.needs_input_grad = True
        submodule.needs_input_grad = True  # the input gradient is checked too
        submodule._forwards_pending = 0  # the copy starts afresh, whatever ran on the original
    xs = [_as_float64(x).copy() for x in inputs]
    is_loss = isinstance(module, Loss)
    if is_loss and not np.issubdtype(xs[0].dtype, np.floating):
        raise TypeError(f"gradcheck: predictions must be floating point, got {xs[0].dtype}")
    floating = [i for i, x in enumerate(xs) if np.issubdtype(x.dtype, np.floating)]
    checked = [0] if is_loss else floating

    # Random layers must draw the same numbers in every evaluation, so each forward starts from
    # the same generator state.
    rng_state = copy.deepcopy(_state.generator().bit_generator.state)

    def forward():
        _state.generator().bit_generator.state = copy.deepcopy(rng_state)
        return module(*xs)

    # Analytic gradients from one forward and one backward.
    module.zero_grad()
    output = np.asarray(forward())
    upstream = np.random.default_rng(seed).standard_normal(output.shape)
    if is_loss and output.ndim == 0:
        upstream = upstream.item()
    grad_inputs = _per_input(module.backward(upstream), 1 if is_loss else len(xs))

    def objective() -> float:
        return float(np.sum(np.asarray(forward()) * upstream))

    analytic = []
    for i in checked:
        name = "input" if len(xs) == 1 or is_loss else f"input{i}"
        grad = grad_inputs[i]
        analytic.append((name, xs[i], None if grad is None else np.asarray(grad)))
    for (name, param), grad in zip(module.named_parameters(), module.grads(), strict=False):
        analytic.append((name, param, np.zeros_like(param) if grad is None else grad.copy()))

    report = GradcheckReport(type(module).__name__, atol=atol, rtol=rtol)
    for name, array, grad in analytic:
        if grad is None or grad.shape != array.shape:
            report.rows.append(GradcheckRow(name, array.shape, np.inf, np.inf, False))
            continue
        numeric = np.zeros_like(array, dtype=np.float64)
        flat = array.reshape(-1)  # a view: perturbing it perturbs the input or parameter itself
        for i in range(flat.size):
            original = flat[i]
            flat[i] = original + eps
            plus = objective()
            flat[i] = original - eps
            minus = objective()
            flat[i] = original
            numeric.flat[i] = (plus - minus) / (2 * eps)
        report.rows.append(_compare(name, grad, numeric, atol, rtol))

    if verbose:
        print(report)
    if raise_exception and not report.ok:
        raise AssertionError(str(report))
    return report


def _compare(name: str, analytic: np.ndarray, numeric: np.ndarray, atol: float, rtol: float):
    error = np.abs(analytic - numeric)
    if error.size == 0:
        return GradcheckRow(name, analytic.shape, 0.0, 0.0, True)
    relative = error / np.maximum(np.abs(numeric), atol)
    excess = error - (atol + rtol * np.abs(numeric))
    worst = np.unravel_index(int(np.argmax(excess)), error.shape)
    return GradcheckRow(
        name=name,
        shape=analytic.shape,
        max_abs_error=float(error.max()),
        max_rel_error=float(relative.max()),
        ok=bool(np.all(excess <= 0)),
        worst_index=tuple(int(i) for i in worst),
        analytic=float(analytic[worst]),
        numeric=float(numeric[worst]),
    )
