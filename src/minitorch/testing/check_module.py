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


def _make_inputs(specs: tuple, dtype: np.dtype, rng: np.random.Generator) -> list[np.ndarray]:
    """Each spec is a shape (a random float input of the module's dtype) or an array (used)."""
    inputs = []
    for spec in specs:
        if isinstance(spec, np.ndarray):
            inputs.append(spec.copy())
        elif isinstance(spec, (tuple, list)) and all(
            isinstance(n, (int, np.integer)) for n in spec
        ):
            inputs.append(rng.standard_normal(tuple(spec)).astype(dtype))
        else:
            raise TypeError(
                "check_module: each input is a shape such as (8, 4) or a NumPy array (integer "
                f"indices, say), got {type(spec).__name__} {spec!r}"
            )
    return inputs


def _hidden_trainable_arrays(module: Module) -> list[str]:
    """Arrays with a ``d<name>`` gradient beside them that ``parameters()`` leaves out."""
    trained = {id(p) for p in module.parameters()}
    hidden = []
    for prefix, submodule in module.named_modules():
        for attr, grad in vars(submodule).items():
            if not (attr.startswith("d") and isinstance(grad, np.ndarray)):
                continue
            value = getattr(submodule, attr[1:], None)
            trainable = isinstance(value, np.ndarray) and value.shape == grad.shape
            if trainable and id(value) not in trained:
                hidden.append(f"{prefix}.{attr[1:]}" if prefix else attr[1:])
    return hidden


def check_module(
    module: Module,
    *inputs: tuple[int, ...] | np.ndarray,
    seed: int = 0,
    lr: float = 0.1,
    raise_exception: bool = True,
    verbose: bool = False,
) -> ContractReport:
    """Check that ``module`` keeps the Module contract on the given inputs.

    ``check_module(layer, (8, 4))`` runs it on a random float input of that shape;
    ``check_module(embedding, np.array([[1, 2], [3, 0]]))`` on an array you give (integer
    indices, say); a layer whose ``forward`` takes several arrays gets several inputs. Checks,
    in order:

    1. ``forward`` returns an array and does not modify its inputs;
    2. ``backward`` returns one gradient per input (a tuple when there are several), each
       shaped like its input, ``None`` for an integer input; a ``backward`` that returns
       nothing is reported as a forgotten ``return``; it does not modify ``grad_output``;
    3. ``parameters()`` and ``grads()`` are aligned lists: same length, each gradient shaped like
       its parameter after a backward;
    4. no trainable array is left out: an array ``W`` with a gradient ``dW`` beside it must be
       in ``parameters()``, or no optimizer will ever update it;
    5. gradients accumulate: a second backward adds to them (as in PyTorch);
    6. ``zero_grad`` clears every gradient (``None``, or zeros with ``set_to_none=False``);
    7. an optimizer's in-place update (``p -= lr * g`` on the arrays of ``parameters()``) is seen
       by the module: its parameters change and so does its output.

    Works on a copy; ``module`` itself is not changed. Returns a :class:`ContractReport`; raises
    ``AssertionError`` with the report when a check fails, unless ``raise_exception=False``.
    """
    if not isinstance(module, Module):
        raise TypeError(f"check_module expects a Module, got {type(module).__name__}")
    if not inputs:
        raise TypeError("check_module needs an input shape or array, e.g. check_module(m, (8, 4))")
    module = copy.deepcopy(module)
    for submodule in module.modules():
        submodule.needs_input_grad = True
        submodule.needs_input_grad = True  # check the whole contract, input gradient included
        submodule._forwards_pending = 0  # the copy starts afresh, whatever ran on the original
    report = ContractReport(type(module).__name__)
    params = module.parameters()
    dtype = params[0].dtype if params else _state.get_default_dtype()
    data_rng = np.random.default_rng(seed)
    xs = _make_inputs(inputs, dtype, data_rng)
    rng_state = copy.deepcopy(_state.generator().bit_generator.state)

    def run_forward() -> np.ndarray:
        # Random layers draw the same numbers each time, so repeated passes are comparable.
        _state.generator().bit_generator.state = copy.deepcopy(rng_state)
        return module(*xs)

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
    xs_before = [x.copy() for x in xs]
    try:
        y = run_forward()
    except Exception as error:  # report, do not crash: the student needs the table
        add("forward runs", False, f"{type(error).__name__}: {error}")
        return finish()
    if not add("forward returns an array", isinstance(y, np.ndarray), f"got {type(y).__name__}"):
        return finish()
    add(
        "forward does not modify its input",
        all(np.array_equal(x, x0) for x, x0 in zip(xs, xs_before, strict=True)),
        "forward changed x in place; compute into a new array instead",
    )

    # 2. backward
    grad_output = data_rng.standard_normal(y.shape).astype(y.dtype)
    grad_before = grad_output.copy()
    module.zero_grad()
    try:
        grad_input = module.backward(grad_output)
    except Exception as error:
        add("backward runs", False, f"{type(error).__name__}: {error}")
        return finish()
    add("backward returns a gradient shaped like the input", *_check_input_grads(grad_input, xs))
    add(
        "backward does not modify grad_output",
        np.array_equal(grad_output, grad_before),
        "backward changed grad_output in place; the previous layer's gradient would be wrong",
    )

    # 3. parameters() and grads()
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

    # 4. every trainable array is returned
    hidden = _hidden_trainable_arrays(module)
    add(
        "parameters() includes every array that has a gradient",
        not hidden,
        f"{', '.join(hidden)} {'has' if len(hidden) == 1 else 'have'} a gradient (d"
        f"{hidden[0].rpartition('.')[2] if hidden else ''}) but parameters() leaves "
        f"{'it' if len(hidden) == 1 else 'them'} out, so no optimizer would ever update "
        f"{'it' if len(hidden) == 1 else 'them'}: return the array from parameters() and its "
        "gradient from grads(), in the same order",
    )
    first_grads = [g.copy() for g in grads]

    # 5. accumulation
    run_forward()
    module.backward(grad_output.copy())
    accumulated = all(
        g is not None and np.allclose(g, 2 * g0, rtol=1e-4, atol=1e-6)
        for g, g0 in zip(module.grads(), first_grads, strict=False)
    )
    add(
        "backward accumulates gradients (+=), as in PyTorch",
        accumulated,
        "a second backward should add to dW/db: self.dW = accumulate_grad(self.dW, new)",
    )

    # 6. zero_grad
    module.zero_grad()
    zeroed = all(g is None or not np.any(g) for g in module.grads())
    add(
        "zero_grad clears every gradient",
        zeroed,
        "after zero_grad() some gradient is neither None nor zero",
    )

    # 7. in-place optimizer update, exactly the spec's SGD loop
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


def _check_input_grads(grad_input: object, xs: list[np.ndarray]) -> tuple[bool, str]:
    """Whether ``grad_input`` follows the contract for ``xs``; the explanation if not."""
    floating = [np.issubdtype(x.dtype, np.floating) for x in xs]
    if grad_input is None and any(floating):
        return False, (
            "backward returned None, but the input is floating point and needs its gradient: "
            "did you forget `return grad_input` at the end of backward?"
        )
    if len(xs) == 1:
        grads = (grad_input,)
    elif isinstance(grad_input, (tuple, list)) and len(grad_input) == len(xs):
        grads = tuple(grad_input)
    else:
        return False, (
            f"forward takes {len(xs)} inputs, so backward must return a tuple of {len(xs)} "
            f"gradients (one per input, in order), got {type(grad_input).__name__}"
        )
    for i, (x, g, is_float) in enumerate(zip(xs, grads, floating, strict=True)):
        which = "the input" if len(xs) == 1 else f"input {i}"
        if not is_float:
            if g is not None:
                return False, (
                    f"{which} is an integer array ({x.dtype}), which has no gradient: backward "
                    f"should return None for it, got {type(g).__name__}"
                )
        elif not isinstance(g, np.ndarray) or g.shape != x.shape:
            return False, f"{which} has shape {x.shape}, its gradient has shape {np.shape(g)}"
    return True, ""
