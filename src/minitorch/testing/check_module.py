"""Contract checks for a Module: does a layer play by the rules the rest of minitorch relies on?

``check_module(MyLayer(...), input_shape)`` runs a forward and backward on random data and
checks, one by one, the promises of the Module contract that an optimizer and a Sequential
depend on. It reports every check by name, so a student sees which rule their layer breaks.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

import numpy as np

from .. import _state
from ..nn.module import Module


@dataclass
class ContractCheck:
    name: str
    ok: bool
    detail: str = ""


@dataclass
class ContractReport:
    """The result of every contract check; truthy when all passed."""

    module: str
    checks: list[ContractCheck] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(check.ok for check in self.checks)

    def __bool__(self) -> bool:
        return self.ok

    def __str__(self) -> str:
        lines = [f"contract check of {self.module}"]
        for check in self.checks:
            lines.append(f"  [{'ok' if check.ok else 'FAIL'}] {check.name}")
            if check.detail and not check.ok:
                lines.append(f"         {check.detail}")
        lines.append("the module keeps the contract" if self.ok else "CONTRACT BROKEN")
        return "\n".join(lines)


def check_module(
    module: Module,
    input_shape: tuple[int, ...],
    *,
    seed: int = 0,
    lr: float = 0.1,
    raise_exception: bool = True,
    verbose: bool = False,
) -> ContractReport:
    """Check that ``module`` keeps the Module contract on a random input of ``input_shape``.

    Checks, in order:

    1. ``forward`` returns an array and does not modify its input;
    2. ``parameters()`` and ``grads()`` are aligned lists: same length, each gradient shaped like
       its parameter after a backward;
    3. ``backward`` returns a gradient shaped like the input and does not modify ``grad_output``;
    4. gradients accumulate: a second backward adds to them (as in PyTorch);
    5. ``zero_grad`` sets every gradient to zero;
    6. an optimizer's in-place update (``p -= lr * g`` on the arrays of ``parameters()``) is seen
       by the module: its parameters change and so does its output.

    Works on a copy; ``module`` itself is not changed. Returns a :class:`ContractReport`; raises
    ``AssertionError`` with the report when a check fails, unless ``raise_exception=False``.
    """
    if not isinstance(module, Module):
        raise TypeError(f"check_module expects a Module, got {type(module).__name__}")
    module = copy.deepcopy(module)
    for _, submodule in module.named_modules():
        submodule.needs_input_grad = True  # check the whole contract, input gradient included
    report = ContractReport(type(module).__name__)
    params = module.parameters()
    dtype = params[0].dtype if params else _state.get_default_dtype()
    data_rng = np.random.default_rng(seed)
    x = data_rng.standard_normal(input_shape).astype(dtype)
    rng_state = copy.deepcopy(_state.generator().bit_generator.state)

    def run_forward() -> np.ndarray:
        # Random layers draw the same numbers each time, so repeated passes are comparable.
        _state.generator().bit_generator.state = copy.deepcopy(rng_state)
        return module(x)

    def add(name: str, ok: bool, detail: str = "") -> bool:
        report.checks.append(ContractCheck(name, bool(ok), detail))
        return bool(ok)

    def finish() -> ContractReport:
        if verbose:
            print(report)
        if raise_exception and not report.ok:
            raise AssertionError(str(report))
        return report

    # 1. forward
    x_before = x.copy()
    try:
        y = run_forward()
    except Exception as error:  # report, do not crash: the student needs the table
        add("forward runs", False, f"{type(error).__name__}: {error}")
        return finish()
    if not add("forward returns an array", isinstance(y, np.ndarray), f"got {type(y).__name__}"):
        return finish()
    add(
        "forward does not modify its input",
        np.array_equal(x, x_before),
        "forward changed x in place; compute into a new array instead",
    )

    # 2-3. backward
    grad_output = data_rng.standard_normal(y.shape).astype(y.dtype)
    grad_before = grad_output.copy()
    module.zero_grad()
    try:
        grad_input = module.backward(grad_output)
    except Exception as error:
        add("backward runs", False, f"{type(error).__name__}: {error}")
        return finish()
    add(
        "backward returns a gradient shaped like the input",
        isinstance(grad_input, np.ndarray) and grad_input.shape == x.shape,
        f"input shape {x.shape}, backward returned {np.shape(grad_input)}",
    )
    add(
        "backward does not modify grad_output",
        np.array_equal(grad_output, grad_before),
        "backward changed grad_output in place; the previous layer's gradient would be wrong",
    )
    params, grads = module.parameters(), module.grads()
    aligned = len(params) == len(grads) and all(
        g is not None and g.shape == p.shape for p, g in zip(params, grads, strict=False)
    )
    shapes = [
        (p.shape, None if g is None else g.shape) for p, g in zip(params, grads, strict=False)
    ]
    if not add(
        "parameters() and grads() are aligned and shaped alike",
        aligned,
        f"{len(params)} parameters, {len(grads)} gradients; (param, grad) shapes {shapes}",
    ):
        return finish()
    first_grads = [g.copy() for g in grads]

    # 4. accumulation
    run_forward()
    module.backward(grad_output.copy())
    accumulated = all(
        np.allclose(g, 2 * g0, rtol=1e-4, atol=1e-6)
        for g, g0 in zip(module.grads(), first_grads, strict=False)
    )
    add(
        "backward accumulates gradients (+=), as in PyTorch",
        accumulated,
        "a second backward should add to dW/db; use accumulate_grad(self.dW, new) or +=",
    )

    # 5. zero_grad
    module.zero_grad()
    zeroed = all(g is None or not np.any(g) for g in module.grads())
    add(
        "zero_grad sets every gradient to zero",
        zeroed,
        "after zero_grad() some gradient is non-zero",
    )

    # 6. in-place optimizer update, exactly the spec's SGD loop
    run_forward()
    module.backward(grad_output.copy())
    expected = [p - lr * g for p, g in zip(module.parameters(), module.grads(), strict=False)]
    y_before = run_forward().copy()
    for p, g in zip(module.parameters(), module.grads(), strict=False):
        p -= lr * g
    seen = all(np.allclose(p, e) for p, e in zip(module.parameters(), expected, strict=False))
    changed_output = not params or not any(np.any(g) for g in first_grads)
    changed_output = changed_output or not np.array_equal(run_forward(), y_before)
    add(
        "an optimizer's in-place update is seen by the module",
        seen and changed_output,
        "parameters() must return the module's own arrays (not copies), and forward must use them",
    )
    return finish()
