"""The optimizer's side of the module contract, one table of optimizers for all of it:

* each update rule computes, bit for bit, the plain NumPy of its docstring's math (whole arrays
  or cut into chunks, float32 and float64), and reads as PyTorch's lines;
* an optimizer's state follows its parameter: ``step()`` refuses once the model's parameters are
  no longer the arrays it was built with, and never hands one parameter's state to another;
* parameters that share memory are refused at construction, with the fix (``nn.TiedLinear``);
* ``load_state_dict`` names the state entry and the parameter whose shapes disagree;
* ``zero_grad(set_to_none=...)`` is passed on to each module (or not, for a module-like object
  whose ``zero_grad()`` takes no argument).
"""

from __future__ import annotations

import inspect
import os
import re

import numpy as np
import pytest

import minitorch
import minitorch.optim._blas as blas_module
import minitorch.optim.optimizer as optimizer_module
from minitorch import nn, optim

# (optimizer class, options): every optimizer, with the options that change its rule's path.
OPTIMIZERS = [
    (optim.SGD, dict(lr=0.1)),
    (optim.SGD, dict(lr=0.05, momentum=0.9)),
    (optim.SGD, dict(lr=0.05, momentum=0.9, dampening=0.3, weight_decay=0.1)),
    (optim.SGD, dict(lr=0.05, momentum=0.8, weight_decay=0.05, nesterov=True, maximize=True)),
    (optim.SGD, dict(lr=0.05, maximize=True)),
    (optim.Adam, dict()),
    (optim.Adam, dict(lr=0.05, weight_decay=0.1, amsgrad=True, maximize=True)),
    (optim.Adam, dict(lr=0.05, betas=(0.3, 0.9), eps=1e-3)),  # lerp's other branch
    (optim.AdamW, dict(lr=0.05)),
    (optim.AdamW, dict(lr=0.05, weight_decay=0.2, amsgrad=True, maximize=True)),
    (optim.AdamW, dict(lr=0.05, weight_decay=0.0)),
    (optim.RMSprop, dict()),
    (optim.RMSprop, dict(lr=0.01, momentum=0.9, weight_decay=0.1)),
    (optim.RMSprop, dict(lr=0.01, alpha=0.3, momentum=0.5, centered=True, maximize=True)),
    (optim.Adagrad, dict(lr=0.1)),
    (optim.Adagrad, dict(lr=0.1, lr_decay=0.05, weight_decay=0.1, initial_accumulator_value=0.2)),
    (optim.Adagrad, dict(lr=0.1, eps=1e-6, maximize=True)),
    (optim.Adadelta, dict()),
    (optim.Adadelta, dict(lr=0.5, rho=0.5, eps=1e-3, weight_decay=0.1, maximize=True)),
]
IDS = [
    f"{cls.__name__}-{'-'.join(f'{k}={v}' for k, v in options.items()) or 'defaults'}"
    for cls, options in OPTIMIZERS
]


# ------------------------------------------------------------------ A. the rules, in plain NumPy
# The math of each optimizer's docstring (sgd.py, adam.py, rmsprop.py, adagrad.py) in plain NumPy,
# on whole arrays and allocating freely. The optimizers must give exactly these bits.
def add(y, x, alpha):
    """y + alpha·x rounded once: PyTorch's y.add(x, alpha=alpha), a fused multiply-add (BLAS's
    axpy, here on copies of whole arrays; the optimizers run it in place, on pieces)."""
    from scipy.linalg import blas

    axpy = blas.saxpy if y.dtype == np.float32 else blas.daxpy
    return axpy(x.reshape(-1).copy(), y.reshape(-1).copy(), a=alpha).reshape(y.shape)


def torch_lerp(start, end, weight):
    if abs(weight) < 0.5:
        return add(start, end - start, weight)
    dtype = start.dtype.type
    return add(end, end - start, -float(dtype(1) - dtype(weight)))


def gradient(p, grad, weight_decay, maximize):
    g = -grad if maximize else grad
    return add(g, p, weight_decay) if weight_decay != 0 else g


def sgd(p, grad, state, *, lr, momentum=0, dampening=0, weight_decay=0, nesterov=False,
        maximize=False):  # fmt: skip
    g = gradient(p, grad, weight_decay, maximize)
    if momentum != 0:
        if "momentum_buffer" not in state:
            buf = g.copy()
        else:
            buf = add(momentum * state["momentum_buffer"], g, 1 - dampening)
        state["momentum_buffer"] = buf
        g = add(g, buf, momentum) if nesterov else buf
    p[...] = add(p, g, -lr)


def adam(p, grad, state, *, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
         amsgrad=False, maximize=False, decoupled=False):  # fmt: skip
    beta1, beta2 = betas
    if not state:
        state.update(step=0, exp_avg=np.zeros_like(p), exp_avg_sq=np.zeros_like(p))
    if amsgrad and "max_exp_avg_sq" not in state:
        state["max_exp_avg_sq"] = np.zeros_like(p)
    state["step"] += 1
    t = state["step"]
    if decoupled:
        p[...] = p * (1 - lr * weight_decay)
        weight_decay = 0
    g = gradient(p, grad, weight_decay, maximize)
    m = state["exp_avg"] = torch_lerp(state["exp_avg"], g, 1 - beta1)
    v = state["exp_avg_sq"] = beta2 * state["exp_avg_sq"] + (1 - beta2) * g * g
    if amsgrad:
        v = state["max_exp_avg_sq"] = np.maximum(state["max_exp_avg_sq"], v)
    denominator = np.sqrt(v) / (1 - beta2**t) ** 0.5 + eps
    p += -(lr / (1 - beta1**t)) * m / denominator


def adamw(p, grad, state, *, weight_decay=1e-2, **options):
    adam(p, grad, state, weight_decay=weight_decay, decoupled=True, **options)


def rmsprop(p, grad, state, *, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0,
            centered=False, maximize=False):  # fmt: skip
    if not state:
        state.update(step=0, square_avg=np.zeros_like(p))
    if momentum > 0 and "momentum_buffer" not in state:
        state["momentum_buffer"] = np.zeros_like(p)
    if centered and "grad_avg" not in state:
        state["grad_avg"] = np.zeros_like(p)
    state["step"] += 1
    g = gradient(p, grad, weight_decay, maximize)
    v = state["square_avg"] = alpha * state["square_avg"] + (1 - alpha) * g * g
    if centered:
        g_avg = state["grad_avg"] = torch_lerp(state["grad_avg"], g, 1 - alpha)
        denominator = np.sqrt(v - g_avg * g_avg) + eps
    else:
        denominator = np.sqrt(v) + eps
    if momentum > 0:
        buf = state["momentum_buffer"] = momentum * state["momentum_buffer"] + g / denominator
        p[...] = add(p, buf, -lr)
    else:
        p += -lr * g / denominator


def adagrad(p, grad, state, *, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0,
            eps=1e-10, maximize=False):  # fmt: skip
    if not state:
        state.update(step=0, sum=np.full_like(p, initial_accumulator_value))
    state["step"] += 1
    decayed_lr = lr / (1 + (state["step"] - 1) * lr_decay)
    g = gradient(p, grad, weight_decay, maximize)
    s = state["sum"] = state["sum"] + g * g
    p += -decayed_lr * g / (np.sqrt(s) + eps)


def adadelta(p, grad, state, *, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, maximize=False):
    if not state:
        state.update(step=0, square_avg=np.zeros_like(p), acc_delta=np.zeros_like(p))
    state["step"] += 1
    g = gradient(p, grad, weight_decay, maximize)
    v = state["square_avg"] = rho * state["square_avg"] + (1 - rho) * g * g
    delta = np.sqrt(state["acc_delta"] + eps) / np.sqrt(v + eps) * g
    state["acc_delta"] = rho * state["acc_delta"] + (1 - rho) * delta * delta
    p[...] = add(p, delta, -lr)


PLAIN_RULES = {
    optim.SGD: sgd,
    optim.Adam: adam,
    optim.AdamW: adamw,
    optim.RMSprop: rmsprop,
    optim.Adagrad: adagrad,
    optim.Adadelta: adadelta,
}
STEPS = 6


def big_model() -> nn.Sequential:
    """75,000 + 250 + 20 + 4 values: the first weight is cut into chunks, the rest is not."""
    return nn.Sequential(nn.Linear(300, 250), nn.ReLU(), nn.Linear(250, 4))


def gradients_for_step(params, step: int) -> list[np.ndarray | None]:
    """Fixed gradients; the last layer has none for the first two steps (state starts late)."""
    rng = np.random.default_rng(step)
    grads = [(rng.standard_normal(p.shape) + 0.3 * p).astype(p.dtype) for p in params]
    return [None if step < 2 and i >= 2 else g for i, g in enumerate(grads)]


def set_gradients(model: nn.Sequential, grads) -> None:
    layers = [m for m in model if isinstance(m, nn.Linear)]
    for i, layer in enumerate(layers):
        layer.dW, layer.db = grads[2 * i], grads[2 * i + 1]


@pytest.mark.parametrize("chunk_size", [1000, optimizer_module.CHUNK_SIZE, 10**9])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(("cls", "options"), OPTIMIZERS, ids=IDS)
def test_each_rule_gives_the_bits_of_its_plain_numpy(monkeypatch, cls, options, dtype, chunk_size):
    monkeypatch.setattr(optimizer_module, "CHUNK_SIZE", chunk_size)
    minitorch.set_default_dtype(dtype)
    model = big_model()
    params = model.parameters()
    plain_params = [p.copy() for p in params]
    plain_state: dict[int, dict] = {}
    optimizer = cls(model, **options)
    for step in range(STEPS):
        grads = gradients_for_step(params, step)
        set_gradients(model, grads)
        optimizer.step()
        for index, (p, g) in enumerate(zip(plain_params, grads, strict=True)):
            if g is not None:
                PLAIN_RULES[cls](p, g, plain_state.setdefault(index, {}), **options)
    for ours, plain in zip(params, plain_params, strict=True):
        assert ours.dtype == plain.dtype == dtype
        assert ours.tobytes() == plain.tobytes()
    assert optimizer.state.keys() == plain_state.keys()
    for index, state in optimizer.state.items():
        assert state.keys() == plain_state[index].keys()
        for key, value in state.items():
            expected = np.asarray(plain_state[index][key])
            assert np.asarray(value).tobytes() == expected.tobytes(), f"state[{index}][{key!r}]"


def test_the_rules_read_as_pytorchs_lines():
    """Each rule is PyTorch's ``_single_tensor_*`` loop body in its in-place tensor methods
    (minitorch.optim._inplace), a few lines long; the fast path (chunks, scratch memory) is
    not spelled out in it, and its only ``out=`` is PyTorch's new tensors written to scratch."""
    from minitorch.optim import adadelta, adagrad, adam, rmsprop, sgd

    for rule, lines in [
        (
            sgd.sgd,
            [
                "grad = decayed_grad(grad, param, weight_decay, maximize, scratch)",
                "add_(mul_(buf, momentum), grad, alpha=1 - dampening)",
                "add_(param, grad, alpha=-lr)",
            ],
        ),
        (
            adam.adam,
            [
                "mul_(param, 1 - lr * weight_decay)",
                "lerp_(exp_avg, grad, 1 - beta1)",
                "addcmul_(mul_(exp_avg_sq, beta2), grad, grad, value=1 - beta2)",
                "np.maximum(max_exp_avg_sq, exp_avg_sq, out=max_exp_avg_sq)",
                "addcdiv_(param, exp_avg, denom, value=-step_size)",
            ],
        ),
        (
            rmsprop.rmsprop,
            [
                "addcmul_(mul_(square_avg, alpha), grad, grad, value=1 - alpha)",
                "lerp_(grad_avg, grad, 1 - alpha)",
                "addcdiv_(mul_(buf, momentum), grad, avg)",
                "addcdiv_(param, grad, avg, value=-lr)",
            ],
        ),
        (
            adagrad.adagrad,
            [
                "clr = lr / (1 + (step - 1) * lr_decay)",
                "addcmul_(state_sum, grad, grad, value=1)",
                "addcdiv_(param, grad, std, value=-clr)",
            ],
        ),
        (
            adadelta.adadelta,
            [
                "addcmul_(mul_(square_avg, rho), grad, grad, value=1 - rho)",
                "std = sqrt_(add(square_avg, eps, out=scratch[1]))",
                "delta = sqrt_(add(acc_delta, eps, out=scratch[2]))",
                "mul_(div_(delta, std), grad)",
                "addcmul_(mul_(acc_delta, rho), delta, delta, value=1 - rho)",
                "add_(param, delta, alpha=-lr)",
            ],
        ),
    ]:
        source = inspect.getsource(rule)
        body = source.split('"""')[2]  # after the docstring
        code = [line.strip() for line in body.splitlines() if line.strip()]
        for line in lines:
            assert line in code, f"{rule.__name__} lost {line!r}"
        assert len(code) <= 20, f"{rule.__name__} is {len(code)} lines"
        for fast_path in ("CHUNK_SIZE", "chunks(", "_work(", "_scratch", "axpy", "scal"):
            assert fast_path not in source, f"{rule.__name__} spells out {fast_path!r}"
        assert all("scratch[" in line for line in code if "out=" in line and "out=max" not in line)


# -------------------------------------------------------------- B. state follows its parameter
def make_model() -> nn.Sequential:
    return nn.Sequential(nn.Linear(5, 4), nn.ReLU(), nn.Linear(4, 3))


def train_steps(model, optimizer, steps: int = 2) -> None:
    criterion = nn.MSELoss()
    rng = np.random.default_rng(0)
    dtype = model.parameters()[0].dtype
    for _ in range(steps):
        x = rng.standard_normal((8, 5)).astype(dtype)
        y = rng.standard_normal((8, 3)).astype(dtype)
        optimizer.zero_grad()
        criterion(model(x), y)
        model.backward(criterion.backward())
        optimizer.step()


def give_gradients(model) -> None:
    for layer in model:
        if isinstance(layer, nn.Linear):
            layer.dW = np.ones_like(layer.W)
            layer.db = np.ones_like(layer.b)


def insert_layer(model):
    model.insert(2, nn.Linear(4, 4))  # between ReLU and the last Linear, whose state is at 2, 3
    return r"parameter 2 \('2\.W', Linear, shape \(4, 4\), float32\) is a new array.*was parameter 2 \(shape \(4, 3\), float32\) is now parameter 4.*A layer was added"  # noqa: E501


def append_layer(model):
    model.append(nn.Linear(3, 3))
    return r"There are now 6 parameter arrays, and there were 4.*parameter 4 \('3\.W'.*is a new array.*A layer was added"  # noqa: E501


def convert_to_float64(model):
    model.double()
    return r"Parameter 0 \('0\.W', Linear, shape \(5, 4\), float64\) is a new array.*model\.double\(\), model\.float\(\) and to_dtype\(\) replace"  # noqa: E501


def assign_new_array(model):
    model[2].W = np.zeros((4, 3), np.float32)
    return r"Parameter 2 \('2\.W', Linear.*is a new array.*write into it: layer\.W\[\.\.\.\] = "


CHANGES = [insert_layer, append_layer, convert_to_float64, assign_new_array]


@pytest.mark.parametrize("change", CHANGES, ids=[c.__name__ for c in CHANGES])
@pytest.mark.parametrize(("cls", "options"), OPTIMIZERS, ids=IDS)
def test_step_refuses_once_the_model_changed_and_touches_nothing(cls, options, change):
    minitorch.manual_seed(0)
    model = make_model()
    optimizer = cls(model, **options)
    train_steps(model, optimizer)
    arrays = model.parameters()
    values = [p.copy() for p in arrays]
    before_state = optimizer.state_dict()
    expected = change(model)
    give_gradients(model)
    name = cls.__name__
    with pytest.raises(RuntimeError) as error:
        optimizer.step()
    message = str(error.value)
    assert message.startswith(f"{name}.step(): the model's parameters are not the arrays this")
    assert re.search(expected, message), message
    assert "Build the optimizer after the model is complete" in message
    assert f"build a new optimizer for it: optimizer = {name}(model, lr=" in message
    # Nothing was updated: neither the arrays the optimizer was built with nor its state.
    assert all(np.array_equal(a, v) for a, v in zip(arrays, values, strict=True))
    assert_state_dicts_equal(optimizer.state_dict(), before_state)
    # The fix the message gives works: a new optimizer for the changed model.
    train_steps(model, cls(model, **options))


def assert_state_dicts_equal(a, b) -> None:
    assert a.keys() == b.keys()
    for index in a.get("state", {}):
        for key, value in a["state"][index].items():
            assert np.array_equal(value, b["state"][index][key])


@pytest.mark.parametrize(("cls", "options"), OPTIMIZERS, ids=IDS)
def test_a_layer_removed_or_frozen_is_refused(cls, options):
    minitorch.manual_seed(0)
    first, second = nn.Linear(5, 4), nn.Linear(4, 3)
    model = nn.ModuleList([first, second])
    optimizer = cls(model, **options)
    for layer in (first, second):
        layer.dW, layer.db = np.ones_like(layer.W), np.ones_like(layer.b)
    optimizer.step()
    del model[0]  # the second layer's parameters move to positions 0 and 1
    first_W = first.W.copy()
    second_W = second.W.copy()
    with pytest.raises(RuntimeError) as error:
        optimizer.step()
    message = str(error.value)
    assert "There are now 2 parameter arrays, and there were 4" in message
    assert re.search(r"parameter 0 \('0\.W', Linear.*is the array that was parameter 2", message)
    assert "A layer was removed, or its parameters() no longer lists its arrays" in message
    assert f"give the optimizer just those: {cls.__name__}([model[0], model[2]]" in message
    assert np.array_equal(first.W, first_W) and np.array_equal(second.W, second_W)


class Freezable(nn.Module):
    """A module-like layer whose parameters() leaves its arrays out once frozen."""

    def __init__(self) -> None:
        super().__init__()
        self.W = np.ones((3, 2), np.float32)
        self.dW = np.ones((3, 2), np.float32)
        self.hidden = False

    def parameters(self):
        return [] if self.hidden else [self.W]

    def grads(self):
        return [] if self.hidden else [self.dW]


def test_freezing_by_leaving_arrays_out_of_parameters_is_refused():
    layers = [Freezable(), Freezable()]
    optimizer = optim.Adam(layers)
    optimizer.step()
    layers[0].hidden = True  # the second layer's W would take the first one's moments
    with pytest.raises(RuntimeError, match=r"Adam\.step\(\): the modules' parameters are not"):
        optimizer.step()


class ReturnsViews(nn.Module):
    """parameters() makes a fresh view at every call: the memory is the same, the objects not."""

    def __init__(self) -> None:
        super().__init__()
        self.W = np.ones((2, 3))
        self.dW = np.ones((2, 3))

    def parameters(self):
        return [self.W.T]

    def grads(self):
        return [self.dW.T]


def test_parameters_returning_fresh_views_are_told_to_return_the_arrays():
    optimizer = optim.SGD(ReturnsViews(), lr=0.1)
    with pytest.raises(RuntimeError) as error:
        optimizer.step()
    message = str(error.value)
    assert "Parameter 0 (in ReturnsViews, shape (3, 2), float64) is a new array" in message
    assert "returned a new view of the same numbers (such as self.W.T" in message
    assert "the same objects at every call" in message


def test_an_unchanged_model_steps_on_after_loading_weights_in_place():
    model = make_model()
    optimizer = optim.Adam(model, lr=0.01)
    train_steps(model, optimizer)
    model.load_state_dict(make_model().state_dict())  # copies into the same arrays
    train_steps(model, optimizer)
    assert sorted(optimizer.state) == [0, 1, 2, 3]


def test_the_check_compares_identities_not_shapes(monkeypatch):
    """Two same-shaped layers swapped: shapes agree, but the state would change hands."""
    model = nn.Sequential(nn.Linear(3, 3), nn.Linear(3, 3))
    optimizer = optim.SGD(model, lr=0.1, momentum=0.9)
    give_gradients(model)
    optimizer.step()
    swapped = nn.Sequential(model[1], model[0])
    optimizer.modules = [swapped]
    with pytest.raises(RuntimeError, match=r"is the array that was parameter 2"):
        optimizer.step()


def test_state_dict_stays_keyed_by_position_like_pytorch():
    model = make_model()
    optimizer = optim.Adam(model)
    train_steps(model, optimizer)
    state = optimizer.state_dict()["state"]
    assert list(state) == ["0", "1", "2", "3"]
    assert set(state["2"]) == {"step", "exp_avg", "exp_avg_sq"}


def test_load_state_dict_names_the_entry_and_the_parameter_with_both_shapes():
    model = make_model()
    source = optim.Adam(model)
    train_steps(model, source)
    state = source.state_dict()
    state["state"]["2"]["exp_avg"] = np.zeros((3, 4), np.float32)
    target = optim.Adam(make_model())
    expected = (
        "Adam.load_state_dict: 'exp_avg' of parameter 2 has shape (3, 4) in the state dict, but "
        "parameter 2 ('2.W', Linear) has shape (4, 3). Was the state saved from a different "
        "model? Build the model as it was when the state was saved"
    )
    with pytest.raises(ValueError, match=re.escape(expected)):
        target.load_state_dict(state)
    assert target.state == {}


def test_load_state_dict_refuses_a_model_changed_since_the_optimizer_was_built():
    model = make_model()
    optimizer = optim.SGD(model, lr=0.1, momentum=0.9)
    train_steps(model, optimizer)
    state = optimizer.state_dict()
    model.double()
    with pytest.raises(RuntimeError, match=r"SGD\.load_state_dict\(\): the model's parameters"):
        optimizer.load_state_dict(state)


def test_the_optimizer_holds_its_arrays_so_their_ids_stay_unique():
    """A replaced array cannot be freed and its id reused by the array that replaced it."""
    model = make_model()
    optimizer = optim.SGD(model, lr=0.1)
    old = model[0].W
    old_id = id(old)
    del old
    for _ in range(50):  # allocate and free arrays of the same shape; none may take old's id
        model[0].W = np.zeros((5, 4), np.float32)
        assert id(model[0].W) != old_id
        with pytest.raises(RuntimeError):
            optimizer.step()


# ---------------------------------------------------------------------- shared memory
class TwoViews(nn.Module):
    """Two layers whose weights are one piece of memory (the second a view of the first)."""

    def __init__(self, view) -> None:
        super().__init__()
        self.embedding = nn.Linear(3, 5)
        self.head = nn.Linear(5, 3)
        self.head.W = view(self.embedding.W)


@pytest.mark.parametrize(
    ("view", "shape"),
    [
        (lambda W: W.T, r"\(5, 3\)"),
        (lambda W: W.reshape(5, 3), r"\(5, 3\)"),
        (lambda W: np.lib.stride_tricks.as_strided(W, (5, 3), (4, 4)), r"\(5, 3\)"),
    ],
    ids=["transpose", "reshape", "overlapping-strides"],
)
@pytest.mark.parametrize(("cls", "options"), OPTIMIZERS[::4], ids=IDS[::4])
def test_parameters_sharing_memory_are_refused_with_the_tied_linear_fix(cls, options, view, shape):
    with pytest.raises(ValueError) as error:
        cls(TwoViews(view), **options)
    message = str(error.value)
    assert re.search(
        rf"{cls.__name__}: parameter 2 \('head\.W', Linear, shape {shape}, float32\) shares "
        r"memory with parameter 0 \('embedding\.W', Linear, shape \(3, 5\), float32\)",
        message,
    ), message
    assert "updated twice per step" in message
    assert "Shared weights are expressed with nn.TiedLinear(embedding)" in message


def test_the_same_array_in_two_layers_is_refused_naming_both_attributes():
    class Tied(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.embedding = nn.Linear(3, 3)
            self.head = nn.Linear(3, 3)
            self.head.W = self.embedding.W

    with pytest.raises(ValueError) as error:
        optim.AdamW(Tied())
    message = str(error.value)
    assert "is the same array as parameter 0, so it would be updated twice per step" in message
    assert "Two layers hold it (as 'embedding.W' and 'head.W')" in message
    assert "nn.TiedLinear(embedding)" in message


class Interleaved(nn.Module):
    """Two parameters inside one buffer that touch no common element: may_share_memory says
    they might overlap, shares_memory says they do not, and they are accepted."""

    def __init__(self) -> None:
        super().__init__()
        buffer = np.zeros(12, np.float32)
        self.even, self.odd = buffer[0::2], buffer[1::2]
        self.deven = self.dodd = None

    def parameters(self):
        return [self.even, self.odd]

    def grads(self):
        return [self.deven, self.dodd]


def test_arrays_in_one_buffer_that_share_no_element_are_accepted():
    layer = Interleaved()
    assert np.may_share_memory(layer.even, layer.odd)
    optimizer = optim.SGD(layer, lr=1.0)
    layer.deven, layer.dodd = np.ones(6, np.float32), np.full(6, 2, np.float32)
    optimizer.step()
    assert np.array_equal(layer.even, -np.ones(6)) and np.array_equal(layer.odd, np.full(6, -2))


@pytest.mark.skipif(not hasattr(nn, "TiedLinear"), reason="nn.TiedLinear not there yet")
def test_a_tied_linear_head_is_accepted_and_its_weight_trained_once():
    class TinyLM(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.wte = nn.Embedding(7, 4)
            self.head = nn.TiedLinear(self.wte)

    model = TinyLM()
    optimizer = optim.SGD(model, lr=1.0)
    assert len(optimizer._params) == 1
    model.wte.dW = np.ones_like(model.wte.W)
    before = model.wte.W.copy()
    optimizer.step()
    assert np.array_equal(model.wte.W, before - 1)


# ---------------------------------------------------------------------- C. zero_grad(set_to_none)
class Recorder:
    """A module-like object (not a Module): parameters(), grads() and a zero_grad to record."""

    def __init__(self) -> None:
        self.W = np.zeros((2, 2))
        self.dW = np.ones((2, 2))
        self.calls: list[tuple] = []

    def parameters(self):
        return [self.W]

    def grads(self):
        return [self.dW]


class TakesFlag(Recorder):
    def zero_grad(self, set_to_none: bool = True) -> None:
        self.calls.append((set_to_none,))


class TakesKeywords(Recorder):
    def zero_grad(self, **kwargs) -> None:
        self.calls.append((kwargs["set_to_none"],))


class TakesNothing(Recorder):
    def zero_grad(self) -> None:
        self.calls.append(())


@pytest.mark.parametrize(
    ("cls", "default_call", "false_call"),
    [(TakesFlag, (True,), (False,)), (TakesKeywords, (True,), (False,)), (TakesNothing, (), ())],
    ids=["set_to_none", "kwargs", "no-argument"],
)
def test_zero_grad_passes_set_to_none_to_modules_that_take_it(cls, default_call, false_call):
    module = cls()
    optimizer = optim.SGD(module, lr=0.1)
    optimizer.zero_grad()
    optimizer.zero_grad(set_to_none=False)
    optimizer.zero_grad(set_to_none=True)
    assert module.calls == [default_call, false_call, default_call]


def test_zero_grad_reaches_each_module_of_a_list_in_its_own_way():
    modules = [TakesFlag(), TakesNothing(), TakesKeywords()]
    optim.Adam(modules).zero_grad(set_to_none=False)
    assert [m.calls for m in modules] == [[(False,)], [()], [(False,)]]


def test_zero_grad_reads_the_signature_once_at_construction(monkeypatch):
    module = TakesFlag()
    optimizer = optim.SGD(module, lr=0.1)

    def no_more_signatures(*args, **kwargs):
        raise AssertionError("zero_grad must not inspect signatures at every call")

    monkeypatch.setattr(optimizer_module.inspect, "signature", no_more_signatures)
    for _ in range(3):
        optimizer.zero_grad()
    assert module.calls == [(True,)] * 3


def test_zero_grad_refuses_a_set_to_none_that_is_not_a_bool():
    optimizer = optim.SGD(TakesFlag(), lr=0.1)
    with pytest.raises(TypeError, match=r"SGD\.zero_grad: set_to_none must be True or False"):
        optimizer.zero_grad(set_to_none="False")


module_takes_flag = "set_to_none" in inspect.signature(nn.Module.zero_grad).parameters
needs_new_module_contract = pytest.mark.skipif(
    not module_takes_flag, reason="Module.zero_grad(set_to_none) has not landed in nn yet"
)


@needs_new_module_contract
def test_zero_grad_sets_a_models_gradients_to_none_by_default_and_step_skips_them():
    model = make_model()
    optimizer = optim.Adam(model)
    train_steps(model, optimizer, steps=1)
    optimizer.zero_grad()
    assert all(g is None for g in model.grads())
    before = [p.copy() for p in model.parameters()]
    optimizer.step()  # every gradient is None: nothing moves, no state is created or advanced
    assert all(np.array_equal(a, b) for a, b in zip(model.parameters(), before, strict=True))
    assert all(state["step"] == 1 for state in optimizer.state.values())


@needs_new_module_contract
@pytest.mark.parametrize(("cls", "options"), OPTIMIZERS, ids=IDS)
def test_training_is_bitwise_the_same_with_gradients_set_to_none_or_zeroed(cls, options):
    results = []
    for set_to_none in (True, False):
        minitorch.manual_seed(0)
        model = make_model()
        optimizer = cls(model, **options)
        original_zero_grad = optimizer.zero_grad
        optimizer.zero_grad = lambda flag=set_to_none, call=original_zero_grad: call(flag)
        train_steps(model, optimizer, steps=4)
        results.append(model.parameters())
    for a, b in zip(*results, strict=True):
        assert a.tobytes() == b.tobytes()


@pytest.mark.parametrize(
    ("entry", "value", "words"),
    [
        ("momentum_buffer", 1.5, "must be an array of numbers shaped like the parameter"),
        ("momentum_buffer", np.array("x"), "must be an array of numbers"),
        ("step", -1, "'step' of parameter 0 must be a whole number >= 0"),
        ("step", 2.5, "must be a whole number"),
        ("step", np.array([1, 2]), "must be a whole number"),
    ],
)
def test_load_state_dict_refuses_entries_that_are_not_what_they_say(entry, value, words):
    layer = nn.Linear(2, 2)
    optimizer = optim.SGD(layer, lr=0.1, momentum=0.9)
    layer(np.ones((1, 2), np.float32))
    layer.backward(np.ones((1, 2), np.float32))
    optimizer.step()
    state = optimizer.state_dict()
    state["state"]["0"][entry] = value
    with pytest.raises(ValueError, match=words):
        optim.SGD(layer, lr=0.1, momentum=0.9).load_state_dict(state)


# ------------------------------------------------------------------ the BLAS helpers
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_axpy_rounds_once_and_writes_in_place_for_every_layout(dtype):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((40, 30)).astype(dtype)
    y = rng.standard_normal((40, 30)).astype(dtype)
    # float32: the float64 product of two float32 values is exact, so this is p + a·x rounded
    # once; float64: compare with BLAS on plain copies instead
    if dtype == np.float32:
        alpha = np.float64(np.float32(-0.37))
        want = (y.astype(np.float64) + alpha * x.astype(np.float64)).astype(np.float32)
    else:
        from scipy.linalg import blas

        want = blas.daxpy(x.reshape(-1).copy(), y.reshape(-1).copy(), a=-0.37).reshape(y.shape)
    for make in (np.ascontiguousarray, np.asfortranarray):
        target = make(y.copy())
        assert blas_module.axpy(target, make(x.copy()), -0.37) is target
        assert np.array_equal(target, want)
    strided = np.zeros((40, 60), dtype)
    strided[:, ::2] = y
    view = strided[:, ::2]
    blas_module.axpy(view, x, -0.37)
    assert np.array_equal(view, want) and not strided[:, 1::2].any()
    scaled = y.copy()
    assert blas_module.scal(scaled, 0.9) is scaled
    assert np.array_equal(scaled, y * dtype(0.9))


def test_axpy_computes_float16_in_numpy():
    y, x = np.ones(5, np.float16), np.full(5, 2, np.float16)
    blas_module.axpy(y, x, 0.5)
    assert y.dtype == np.float16 and y.tolist() == [2.0] * 5


def test_scipys_own_blas_runs_on_one_thread_and_numpys_keeps_its_threads():
    threadpoolctl = pytest.importorskip("threadpoolctl")
    import scipy

    blas_module._blas_for(np.dtype(np.float32))  # what an optimizer's first step does
    scipy_dir = os.path.dirname(os.path.realpath(scipy.__file__))
    bundled = []
    for library in threadpoolctl.ThreadpoolController().select(user_api="blas").lib_controllers:
        folder = os.path.dirname(os.path.realpath(library.filepath))
        if folder.startswith(scipy_dir) or os.path.basename(folder) == "scipy.libs":
            bundled.append(library)
    if not bundled:
        pytest.skip("SciPy shares NumPy's BLAS here (no bundled copy to keep on one thread)")
    assert all(library.num_threads == 1 for library in bundled)
