"""Every check on every row of the layer table (``tests/layer_table.py``: to add a layer, add a
row there; its docstring says what each check does and how the data are made)."""

from __future__ import annotations

import ast
import inspect
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import minitorch
from layer_table import ROWS, InputSpec, LayerRow
from minitorch import models, nn
from minitorch.testing import check_module, gradcheck
from parity import GOLDEN_DIR, assert_matches_torch, torch, torch_tensor


# ---------------------------------------------------------------------- the harness
def is_float(spec: InputSpec) -> bool:
    """A shape spec is a random float input; an array spec is float if its dtype is."""
    return not isinstance(spec, np.ndarray) or np.issubdtype(spec.dtype, np.floating)


def build(row: LayerRow, dtype) -> tuple[nn.Module, np.random.Generator]:
    """The row's layer in ``dtype`` and its data generator (see the table's docstring)."""
    minitorch.set_default_dtype(dtype)  # the conftest fixture sets float32 back after the test
    minitorch.manual_seed(0)
    layer = row.make()
    rng = np.random.default_rng(row.seed)
    for param in layer.parameters():
        if not np.any(param):  # a zero bias would hide a wrong forward
            param[...] = rng.standard_normal(param.shape)
    return layer, rng


def make_inputs(specs: tuple[InputSpec, ...], rng: np.random.Generator, dtype) -> list:
    """Shapes drawn from ``rng`` in ``dtype``; arrays as given (floating ones cast to ``dtype``)."""
    inputs = []
    for spec in specs:
        if isinstance(spec, np.ndarray):
            inputs.append(spec.astype(dtype) if is_float(spec) else spec.copy())
        else:
            inputs.append(rng.standard_normal(spec).astype(dtype))
    return inputs


def per_input(grad_input, n_inputs: int) -> list:
    """``backward``'s result as one entry per input (a tuple when there are several)."""
    if n_inputs == 1:
        return [grad_input]
    assert isinstance(grad_input, tuple) and len(grad_input) == n_inputs, grad_input
    return list(grad_input)


def input_grad_names(inputs: list) -> list[tuple[int, str]]:
    """(position, name) of each floating input: ``dx``, or ``dx0``, ``dx1``, ... for several."""
    names = []
    for i, x in enumerate(inputs):
        if np.issubdtype(np.asarray(x).dtype, np.floating):
            names.append((i, "dx" if len(inputs) == 1 else f"dx{i}"))
    return names


def grad_key(parameter_name: str) -> str:
    """``W`` -> ``dW``, ``0.W`` -> ``0.dW``: the parameter's gradient in the golden files."""
    owner, dot, attr = parameter_name.rpartition(".")
    return f"{owner}{dot}d{attr}"


def rows_for(check: str, rows: list[LayerRow], where=lambda row: True) -> list:
    """``rows`` as pytest params, the known library bugs of ``check`` as strict xfails."""
    params = []
    for row in rows:
        if where(row):
            reason = row.known_bugs.get(check)
            marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
            params.append(pytest.param(row, id=row.id, marks=marks))
    return params


def run_gradcheck(row: LayerRow) -> None:
    layer, rng = build(row, np.float64)
    inputs = make_inputs(row.gradcheck_inputs or row.inputs, rng, np.float64)
    atol, rtol = row.gradcheck_tol
    report = gradcheck(layer, *inputs, atol=atol, rtol=rtol)
    expected = [f"input{name[2:]}" for _, name in input_grad_names(inputs)]
    expected += [name for name, _ in layer.named_parameters()]
    assert [checked.name for checked in report.rows] == expected  # every parameter is checked


def run_contract(row: LayerRow) -> None:
    layer, _ = build(row, np.float32)
    assert check_module(layer, *row.inputs)


def run_float32(row: LayerRow) -> None:
    layer, rng = build(row, np.float32)
    inputs = make_inputs(row.inputs, rng, np.float32)
    y = layer(*inputs)
    assert y.dtype == np.float32
    grads = per_input(layer.backward(rng.standard_normal(y.shape).astype(np.float32)), len(inputs))
    for i, name in input_grad_names(inputs):
        assert grads[i].dtype == np.float32, name
    for (name, _), grad in zip(layer.named_parameters(), layer.grads(), strict=True):
        assert grad.dtype == np.float32, name
        # a gradient the optimizer reads in place, not a view it would have to copy each step
        assert grad.flags.c_contiguous, f"{name}: the gradient is not C-contiguous"


def run_float64_input(row: LayerRow) -> None:
    layer, rng = build(row, np.float32)
    inputs = make_inputs(row.inputs, rng, np.float64)
    # with parameters: computed in their dtype; parameter-free: the input's dtype, as in torch
    dtype = np.float32 if layer.parameters() else np.float64
    y = layer(*inputs)
    assert y.dtype == dtype
    grads = per_input(layer.backward(rng.standard_normal(y.shape).astype(dtype)), len(inputs))
    for i, name in input_grad_names(inputs):
        assert grads[i].dtype == dtype, name
    for (name, _), grad in zip(layer.named_parameters(), layer.grads(), strict=True):
        assert grad.dtype == np.float32, name


def param_grads(layer: nn.Module) -> list:
    return [None if g is None else g.copy() for g in layer.grads()]


def run_float64_grad_output(row: LayerRow) -> None:
    """A float64 grad_output into a float32 layer: float32 input and parameter gradients."""
    layer, rng = build(row, np.float32)
    inputs = make_inputs(row.inputs, rng, np.float32)
    y = layer(*inputs)
    assert y.dtype == np.float32
    grads = per_input(layer.backward(rng.standard_normal(y.shape)), len(inputs))  # float64
    for i, name in input_grad_names(inputs):
        assert grads[i].dtype == np.float32, name
    for (name, _), grad in zip(layer.named_parameters(), layer.grads(), strict=True):
        assert grad.dtype == np.float32, name


def run_list_grad_output(row: LayerRow) -> None:
    """A Python list as grad_output gives what the same numbers as an array give."""
    results = []
    for as_list in (False, True):
        layer, rng = build(row, np.float32)
        inputs = make_inputs(row.inputs, rng, np.float32)
        y = layer(*inputs)
        g = rng.standard_normal(y.shape).astype(np.float32)
        grads = per_input(layer.backward(g.tolist() if as_list else g), len(inputs))
        results.append((grads, param_grads(layer)))
    (grads, params), (list_grads, list_params) = results
    for i, name in input_grad_names(inputs):
        assert isinstance(list_grads[i], np.ndarray) and list_grads[i].dtype == np.float32, name
        np.testing.assert_array_equal(list_grads[i], grads[i], err_msg=name)
    for ours, theirs in zip(list_params, params, strict=True):
        np.testing.assert_array_equal(ours, theirs)


def run_no_input_grad(row: LayerRow) -> None:
    """``needs_input_grad = False``: backward returns None, the parameter gradients unchanged."""
    results = []
    for needs_input_grad in (True, False):
        layer, rng = build(row, np.float64)
        layer.needs_input_grad = needs_input_grad
        inputs = make_inputs(row.inputs, rng, np.float64)
        y = layer(*inputs)
        grad_input = layer.backward(rng.standard_normal(y.shape))
        results.append((grad_input, param_grads(layer)))
    (_, params), (grad_input, skipped_params) = results
    nothing = grad_input is None or (
        isinstance(grad_input, tuple) and all(g is None for g in grad_input)
    )
    assert nothing, f"needs_input_grad = False, but backward returned {type(grad_input)}"
    for (name, _), ours, theirs in zip(
        layer.named_parameters(), skipped_params, params, strict=True
    ):
        np.testing.assert_array_equal(ours, theirs, err_msg=name)


#: Inputs of every kind the input policy computes in floating point (from a float input x).
ACCEPTED_KINDS = {
    "int64": lambda x: np.rint(2 * x).astype(np.int64),
    "uint8": lambda x: np.rint(2 * np.abs(x)).astype(np.uint8),
    "bool": lambda x: x > 0,
    "list": lambda x: x.tolist(),
}


def _ragged(x: np.ndarray) -> list:
    rows = x.tolist()
    rows.append(rows[0][:-1])  # a row shorter than the others
    return rows


#: Inputs it refuses, and the words of its TypeError.
REFUSED_KINDS = {
    "complex": (lambda x: x + 1j, "complex numbers"),
    "object": (lambda x: x.astype(object), "Python objects"),
    "string": (lambda x: x.astype(str), "strings"),
    "ragged": (_ragged, "could not be made into an array"),
}


def first_float(inputs: list) -> int:
    """The position of the first floating input (the one the kind checks convert)."""
    return next(i for i, x in enumerate(inputs) if np.issubdtype(x.dtype, np.floating))


def with_kind(inputs: list, convert) -> list:
    """``inputs`` with the first floating one converted (the others as they are)."""
    i = first_float(inputs)
    return [convert(x) if j == i else x for j, x in enumerate(inputs)]


def run_accepted_input(row: LayerRow, kind: str) -> None:
    """Bool, int, uint and list inputs are computed in floating point, as the float values."""
    layer, rng = build(row, np.float32)
    inputs = make_inputs(row.inputs, rng, np.float32)
    i = first_float(inputs)
    inputs[i] = ACCEPTED_KINDS[kind](inputs[i])
    y = layer(*inputs)
    assert y.dtype == np.float32
    reference, _ = build(row, np.float32)
    as_float = list(inputs)
    as_float[i] = np.asarray(inputs[i], dtype=np.float32)
    np.testing.assert_array_equal(y, reference(*as_float))
    grads = per_input(layer.backward(np.ones(y.shape, np.float32)), len(inputs))
    for grad in grads:
        assert grad is None or grad.dtype == np.float32


def run_refused_input(row: LayerRow, kind: str) -> None:
    """Complex, object, string and ragged inputs: a TypeError that names the module."""
    layer, rng = build(row, np.float32)
    convert, words = REFUSED_KINDS[kind]
    inputs = with_kind(make_inputs(row.inputs, rng, np.float32), convert)
    names = "|".join(type(m).__name__ for m in layer.modules())
    with pytest.raises(TypeError, match=rf"^({names})\b.*{words}"):
        layer(*inputs)


def run_parity(row: LayerRow) -> None:
    layer, rng = build(row, np.float64)
    inputs = make_inputs(row.parity_inputs or row.inputs, rng, np.float64)
    y = layer(*inputs)
    g = rng.standard_normal(y.shape)
    grads = per_input(layer.backward(g), len(inputs))
    ours = {"y": y}
    ours.update({name: grads[i] for i, name in input_grad_names(inputs)})
    for (name, _), grad in zip(layer.named_parameters(), layer.grads(), strict=True):
        ours[grad_key(name)] = grad
    for key, value in ours.items():
        assert value is not None and np.all(np.isfinite(value)), f"{row.id}[{key}]: {value}"

    def reference():
        module = row.torch(layer)
        if isinstance(module, torch.nn.Module):
            module.train(layer.training)
        tensors = [torch_tensor(x, requires_grad=is_float(x)) for x in inputs]
        out = module(*tensors)
        out.backward(torch_tensor(g))
        theirs = {"y": out}
        theirs.update({name: tensors[i].grad for i, name in input_grad_names(inputs)})
        theirs.update({grad_key(name): grad for name, grad in row.torch_grads(module).items()})
        return theirs

    assert_matches_torch(row.id, ours, reference)


def run_backward_before_forward(row: LayerRow) -> None:
    layer, rng = build(row, np.float32)
    probe, _ = build(row, np.float32)
    y = probe(*make_inputs(row.inputs, rng, np.float32))
    with pytest.raises(RuntimeError, match=r"before forward"):
        layer.backward(np.ones(y.shape, np.float32))


def run_grad_output_shape(row: LayerRow) -> None:
    layer, rng = build(row, np.float32)
    y = layer(*make_inputs(row.inputs, rng, np.float32))
    wrong = (1, y.size) if y.shape != (1, y.size) else (y.size, 1)  # same size, other shape
    expected = re.escape(f"expects grad_output of shape {y.shape}") + ".*" + re.escape(f"{wrong}")
    with pytest.raises(ValueError, match=expected):
        layer.backward(np.ones(wrong, np.float32))


# ---------------------------------------------------------------------- the checks
def has_float_input(row: LayerRow) -> bool:
    return any(is_float(spec) for spec in row.inputs)


@pytest.mark.parametrize("row", rows_for("gradcheck", ROWS))
def test_gradcheck(row):
    run_gradcheck(row)


@pytest.mark.parametrize("row", rows_for("contract", ROWS))
def test_contract(row):
    run_contract(row)


@pytest.mark.parametrize("row", rows_for("float32", ROWS))
def test_float32(row):
    run_float32(row)


@pytest.mark.parametrize("row", rows_for("float64_input", ROWS, where=has_float_input))
def test_float64_input_to_a_float32_layer(row):
    run_float64_input(row)


@pytest.mark.parametrize("row", rows_for("float64_grad_output", ROWS))
def test_float64_grad_output_to_a_float32_layer(row):
    run_float64_grad_output(row)


@pytest.mark.parametrize("row", rows_for("list_grad_output", ROWS))
def test_a_list_as_grad_output(row):
    run_list_grad_output(row)


@pytest.mark.parametrize("row", rows_for("no_input_grad", ROWS))
def test_needs_input_grad_false_returns_none(row):
    run_no_input_grad(row)


@pytest.mark.parametrize("kind", ACCEPTED_KINDS)
@pytest.mark.parametrize("row", rows_for("accepted_input", ROWS, where=has_float_input))
def test_the_input_policy_computes_other_numbers_in_floating_point(row, kind):
    run_accepted_input(row, kind)


@pytest.mark.parametrize("kind", REFUSED_KINDS)
@pytest.mark.parametrize("row", rows_for("refused_input", ROWS, where=has_float_input))
def test_the_input_policy_refuses_what_is_not_a_real_number(row, kind):
    run_refused_input(row, kind)


@pytest.mark.parity
@pytest.mark.parametrize("row", rows_for("parity", ROWS, where=lambda row: row.torch))
def test_parity(row):
    run_parity(row)


def _bad_input_params() -> list:
    params = []
    for row in ROWS:
        for i, bad in enumerate(row.bad_inputs):
            marks = [pytest.mark.xfail(strict=True, reason=bad.known_bug)] if bad.known_bug else []
            params.append(pytest.param(row, bad, id=f"{row.id}-{i}", marks=marks))
    return params


@pytest.mark.parametrize(("row", "bad"), _bad_input_params())
def test_bad_input(row, bad):
    layer, rng = build(row, np.float32)
    # arrays exactly as given, dtype too (a float array given to an Embedding, say)
    inputs = [x if isinstance(x, np.ndarray) else rng.standard_normal(x) for x in bad.inputs]
    with pytest.raises(bad.error, match=bad.match):
        layer(*inputs)


@pytest.mark.parametrize(
    "row", rows_for("backward_before_forward", ROWS, where=lambda row: row.checks_backward)
)
def test_backward_before_forward(row):
    run_backward_before_forward(row)


@pytest.mark.parametrize(
    "row", rows_for("grad_output_shape", ROWS, where=lambda row: row.checks_backward)
)
def test_grad_output_of_the_wrong_shape(row):
    run_grad_output_shape(row)


#: The Module subclasses of minitorch.nn and minitorch.models that are not layers, and why.
NOT_LAYERS = {
    nn.Module: "the base class",
    nn.Activation: "the base class of the activations (each has its row)",
    nn.Loss: "the base class of the losses",
    nn.ModuleList: "holds modules for a forward of one's own; has no forward",
    nn.ModuleDict: "holds modules for a forward of one's own; has no forward",
    models.VAE: "its forward draws the noise ε; tests/test_vae.py gradchecks it and compares it "
    "with a torch copy at a given ε (outputs, loss, every gradient, to 1e-10)",
    models.VAELoss: "a loss (the losses' backward) of four arguments, logits, x, μ and logvar, "
    "which the loss table's (predictions, targets) rows cannot hold: tests/test_vae.py",
}


def exported_modules() -> set[type]:
    found = set()
    for namespace in (nn, models):
        for obj in vars(namespace).values():
            if isinstance(obj, type) and issubclass(obj, nn.Module):
                found.add(obj)
    return found


def layer_classes() -> set[type]:
    """Every exported Module subclass but the ones NOT_LAYERS names, and the losses (their own
    table: tests/test_loss.py)."""
    return {
        cls
        for cls in exported_modules()
        if cls not in NOT_LAYERS and not issubclass(cls, nn.Loss)
    }


def test_every_layer_has_a_row():
    """A new layer exported by minitorch.nn (or minitorch.models) fails here until it has a row
    in the table; parity with PyTorch too, unless another test file checks it (GPT, CharRNN)."""
    in_rows = {type(m) for row in ROWS for m in row.make().modules()}
    with_parity = {type(m) for row in ROWS if row.torch for m in row.make().modules()}
    missing = sorted(cls.__name__ for cls in layer_classes() - in_rows)
    assert not missing, f"add a row for {', '.join(missing)} to tests/layer_table.py"
    parity_elsewhere = {models.GPT, models.CharRNN}
    without_parity = sorted(c.__name__ for c in layer_classes() - with_parity - parity_elsewhere)
    assert not without_parity, f"give a row with parity to {', '.join(without_parity)}"


def _first_statement(function) -> ast.stmt:
    tree = ast.parse(inspect.cleandoc("\n" + inspect.getsource(function)))
    body = tree.body[0].body
    if isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]  # the docstring
    return body[0]


@pytest.mark.parametrize("cls", sorted(layer_classes(), key=lambda cls: cls.__name__))
def test_every_backward_begins_with_the_base_class_step(cls):
    """The recipe's step cannot be skipped: each layer's backward (its own, or the one it
    inherits) begins ``G, input_grad = self._begin_backward(grad_output)``."""
    backward = cls.backward
    assert backward is not nn.Module.backward, f"{cls.__name__} has no backward"
    first = _first_statement(backward)
    call = first.value if isinstance(first, ast.Assign) else None
    assert (
        isinstance(call, ast.Call)
        and isinstance(call.func, ast.Attribute)
        and call.func.attr == "_begin_backward"
    ), f"{cls.__name__}.backward must begin with self._begin_backward(grad_output)"


def test_row_ids_are_unique():
    ids = [row.id for row in ROWS]
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)


# ---------------------------------------------------------------------- the harness, tested
class ScaledProduct(nn.Module):
    """y = a ⊙ b ⊙ s, s of shape (1, D): a test-only layer with two inputs and a parameter, so
    the harness's several-input path (MultiheadAttention's q, k, v) is itself checked."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        dtype = minitorch.get_default_dtype()
        self.s = minitorch.generator().standard_normal((1, dim)).astype(dtype)
        self.a = self.b = self.ds = None

    def forward(self, a, b):
        self.a, self.b = np.asarray(a, self.s.dtype), np.asarray(b, self.s.dtype)
        return self.a * self.b * self.s

    def backward(self, grad_output):
        grad_output, input_grad = self._begin_backward(grad_output)
        a, b = self.a, self.b
        ds = (grad_output * a * b).reshape(-1, self.s.shape[1]).sum(axis=0, keepdims=True)
        self.ds = nn.accumulate_grad(self.ds, ds, owned=True)
        if not input_grad:
            return None, None
        return grad_output * b * self.s, grad_output * a * self.s

    def parameters(self):
        return [self.s]

    def grads(self):
        return [self.ds]


def scaled_product_to_torch(layer: ScaledProduct):
    class TorchScaledProduct(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.s = torch.nn.Parameter(torch_tensor(layer.s))

        def forward(self, a, b):
            return a * b * self.s

    return TorchScaledProduct()


TWO_INPUTS = LayerRow(
    id="harness_two_inputs",
    make=lambda: ScaledProduct(3),
    inputs=((2, 4, 3), (2, 4, 3)),
    torch=scaled_product_to_torch,
    torch_grads=lambda module: {"s": module.s.grad},
)


@pytest.mark.parity
def test_the_harness_runs_a_layer_with_two_inputs():
    for run in (
        run_gradcheck,
        run_contract,
        run_float32,
        run_float64_input,
        run_float64_grad_output,
        run_list_grad_output,
        run_no_input_grad,
        run_parity,
    ):
        run(TWO_INPUTS)
    for kind in ACCEPTED_KINDS:
        run_accepted_input(TWO_INPUTS, kind)
    run_backward_before_forward(TWO_INPUTS)
    run_grad_output_shape(TWO_INPUTS)


def test_a_tied_head_adds_its_weight_gradient_into_the_owner(float64):
    """The owner's dW gets Gᵀx from the head (on top of what is there), laid out like W."""
    rng = np.random.default_rng(0)
    embedding = nn.Embedding(5, 3)
    head = nn.TiedLinear(embedding)
    x, g = rng.standard_normal((2, 4, 3)), rng.standard_normal((2, 4, 5))
    head(x)
    head.backward(g)
    expected = g.reshape(-1, 5).T @ x.reshape(-1, 3)
    np.testing.assert_allclose(embedding.dW, expected, rtol=1e-12)
    embedding(np.array([0, 2, 2]))
    embedding.backward(np.ones((3, 3)))
    expected[0] += 1
    expected[2] += 2
    np.testing.assert_allclose(embedding.dW, expected, rtol=1e-12)


# ---------------------------------------------------------------------- golden files
GOLDEN_PROBE = """\
# A pytest plugin (-p golden_probe): records every file np.load opens, to GOLDEN_PROBE_LOG.
import os

import numpy as np

_load = np.load


def load(file, *args, **kwargs):
    path = file if isinstance(file, (str, os.PathLike)) else getattr(file, "name", "")
    with open(os.environ["GOLDEN_PROBE_LOG"], "a") as log:
        log.write(f"{os.fspath(path)}\\n")
    return _load(file, *args, **kwargs)


np.load = load
"""


def test_every_golden_file_is_used(tmp_path):
    """Each tests/golden/*.npz is read by some parity test when torch is absent.

    Runs the parity tests (``-m parity``) in a subprocess with torch hidden (a ``torch`` module
    on PYTHONPATH that raises ModuleNotFoundError, as where torch is not installed) and a small
    plugin recording every file ``np.load`` opens, then checks that every golden file was
    read. An unused golden file means a parity case was renamed or removed, or a test reads
    its golden file only with torch: its checks no longer run without torch. A few seconds:
    no torch, no live reference.
    """
    (tmp_path / "torch.py").write_text(
        'raise ModuleNotFoundError("torch hidden by test_every_golden_file_is_used", '
        'name="torch")\n'
    )
    (tmp_path / "golden_probe.py").write_text(GOLDEN_PROBE)
    log = tmp_path / "loaded.log"
    path = os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")])
    env = dict(os.environ, PYTHONPATH=path, GOLDEN_PROBE_LOG=str(log))
    env.pop("MINITORCH_WRITE_GOLDEN", None)
    tests = Path(__file__).parent
    command = [sys.executable, "-m", "pytest", "-q", "-m", "parity", "-p", "golden_probe"]
    result = subprocess.run(
        [*command, "-p", "no:cacheprovider", str(tests)],
        env=env,
        cwd=tests.parent,
        capture_output=True,
        text=True,
    )
    lines = log.read_text().splitlines() if log.exists() else []
    loaded = {(tests.parent / line).resolve() for line in lines}  # relative to the run's cwd
    unused = sorted(p.name for p in GOLDEN_DIR.glob("*.npz") if p.resolve() not in loaded)
    assert not unused, (
        f"golden files no parity test reads when torch is absent: {unused}\n"
        "(the parity run without torch ended with:\n"
        f"{result.stdout[-3000:]}{result.stderr[-2000:]})"
    )
