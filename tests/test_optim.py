"""Optimizers: PyTorch parity of every update rule and option, in-place float32 updates, None
gradients, state_dict round trips that resume bitwise, and the errors a student meets."""

from __future__ import annotations

import re

import numpy as np
import pytest

import minitorch
from minitorch import nn, optim
from parity import assert_matches_torch, torch

STEPS = 12
DECAY_PULL = 0.3  # gradients are G_t + 0.3·θ, so every step depends on the parameters reached


# ---------------------------------------------------------------------- a small model
def make_model() -> nn.Sequential:
    return nn.Sequential(nn.Linear(5, 4), nn.ReLU(), nn.Linear(4, 3))


def linear_layers(model: nn.Sequential) -> list[nn.Linear]:
    return [m for m in model if isinstance(m, nn.Linear)]


# minitorch's W is (in, out) and b is (1, out); torch's weight is (out, in) and bias (out,).
def to_torch_layout(array: np.ndarray) -> np.ndarray:
    return array.reshape(-1).copy() if array.shape[0] == 1 else array.T.copy()


def from_torch_layout(array: np.ndarray, like: np.ndarray) -> np.ndarray:
    return array.reshape(like.shape).copy() if like.shape[0] == 1 else array.T.copy()


def fixed_gradients(shapes, seed: int = 7) -> list[list[np.ndarray]]:
    rng = np.random.default_rng(seed)
    return [[rng.standard_normal(shape) for shape in shapes] for _ in range(STEPS)]


def has_grad(step: int, index: int, late_layer: bool) -> bool:
    """With ``late_layer``, the second Linear gets no gradient (None) for the first 3 steps."""
    return not (late_layer and index >= 2 and step < 3)


def run_minitorch(make_optimizer, late_layer: bool = False):
    model = make_model()
    params = model.parameters()
    initial = [p.copy() for p in params]
    optimizer = make_optimizer(model)
    fixed = fixed_gradients([p.shape for p in params])
    trajectory = {f"p{i}": [] for i in range(len(params))}
    for step in range(STEPS):
        for layer in linear_layers(model):
            layer.dW = layer.db = None
        for index, param in enumerate(model.parameters()):
            if not has_grad(step, index, late_layer):
                continue
            layer, attr = linear_layers(model)[index // 2], ("dW", "db")[index % 2]
            setattr(layer, attr, fixed[step][index] + DECAY_PULL * param)
        optimizer.step()
        for i, param in enumerate(params):
            trajectory[f"p{i}"].append(param.copy())
    ours = {key: np.stack(values) for key, values in trajectory.items()}
    for index, state in optimizer.state.items():
        for key, value in state.items():
            ours[f"state{index}_{key}"] = np.asarray(value, dtype=np.float64)
    return initial, ours


def run_torch(initial, make_torch_optimizer, late_layer: bool = False):
    params = [torch.tensor(to_torch_layout(p)).requires_grad_() for p in initial]
    optimizer = make_torch_optimizer(params)
    fixed = fixed_gradients([p.shape for p in initial])
    trajectory = {f"p{i}": [] for i in range(len(params))}
    for step in range(STEPS):
        for index, param in enumerate(params):
            if has_grad(step, index, late_layer):
                pull = DECAY_PULL * param.detach()
                param.grad = torch.tensor(to_torch_layout(fixed[step][index])) + pull
            else:
                param.grad = None
        optimizer.step()
        for i, param in enumerate(params):
            trajectory[f"p{i}"].append(from_torch_layout(param.detach().numpy(), initial[i]))
    theirs = {key: np.stack(values) for key, values in trajectory.items()}
    for index, param in enumerate(params):
        for key, value in optimizer.state[param].items():
            if value is None:
                continue
            value = value.detach().numpy()
            if value.ndim:
                value = from_torch_layout(value, initial[index])
            theirs[f"state{index}_{key}"] = np.asarray(value, dtype=np.float64)
    return theirs


def _t(name):
    """A torch optimizer factory (single-tensor implementation, as minitorch mirrors)."""

    def factory(**kwargs):
        return lambda params: getattr(torch.optim, name)(params, foreach=False, **kwargs)

    return factory


# (case, optimizer class name, its options (the same for minitorch and torch), late_layer)
CASES = [
    ("sgd_plain", "SGD", dict(lr=0.1), False),
    ("sgd_momentum", "SGD", dict(lr=0.05, momentum=0.9), False),
    ("sgd_dampening", "SGD", dict(lr=0.05, momentum=0.9, dampening=0.3), False),
    ("sgd_nesterov", "SGD", dict(lr=0.05, momentum=0.9, nesterov=True), False),
    ("sgd_weight_decay", "SGD", dict(lr=0.1, weight_decay=0.1), False),
    ("sgd_maximize", "SGD", dict(lr=0.05, momentum=0.5, maximize=True), False),
    (
        "sgd_nesterov_decay_maximize",
        "SGD",
        dict(lr=0.05, momentum=0.8, weight_decay=0.05, nesterov=True, maximize=True),
        False,
    ),
    (
        "sgd_dampening_decay_late",
        "SGD",
        dict(lr=0.05, momentum=0.7, dampening=0.2, weight_decay=0.01),
        True,
    ),
    ("adam", "Adam", dict(lr=0.05), False),
    ("adam_defaults", "Adam", dict(), False),
    ("adam_weight_decay", "Adam", dict(lr=0.05, weight_decay=0.1), False),
    ("adam_amsgrad", "Adam", dict(lr=0.05, amsgrad=True), False),
    (
        "adam_amsgrad_decay_maximize_late",
        "Adam",
        dict(lr=0.05, weight_decay=0.1, amsgrad=True, maximize=True),
        True,
    ),
    (
        "adam_betas_eps",
        "Adam",
        dict(lr=0.05, betas=(0.3, 0.9), eps=1e-3),
        False,
    ),  # beta1 = 0.3 takes lerp's other branch (weight 0.7 >= 0.5)
    ("adam_beta1_zero", "Adam", dict(lr=0.05, betas=(0.0, 0.99)), False),
    ("adamw", "AdamW", dict(lr=0.05), False),
    ("adamw_amsgrad", "AdamW", dict(lr=0.05, weight_decay=0.1, amsgrad=True), False),
    ("adamw_maximize_late", "AdamW", dict(lr=0.05, weight_decay=0.2, maximize=True), True),
    ("rmsprop", "RMSprop", dict(), False),
    ("rmsprop_alpha", "RMSprop", dict(lr=0.01, alpha=0.9), False),
    ("rmsprop_momentum", "RMSprop", dict(lr=0.01, momentum=0.9), False),
    ("rmsprop_centered", "RMSprop", dict(lr=0.01, centered=True), False),
    ("rmsprop_weight_decay", "RMSprop", dict(lr=0.01, weight_decay=0.1), False),
    (
        "rmsprop_all_late",
        "RMSprop",
        dict(lr=0.01, alpha=0.3, eps=1e-6, weight_decay=0.1, momentum=0.5, centered=True),
        True,
    ),  # alpha = 0.3: the centred mean's lerp takes its other branch
    ("rmsprop_maximize", "RMSprop", dict(lr=0.01, momentum=0.3, maximize=True), False),
    ("adagrad", "Adagrad", dict(lr=0.1), False),
    ("adagrad_lr_decay", "Adagrad", dict(lr=0.1, lr_decay=0.1), False),
    ("adagrad_weight_decay", "Adagrad", dict(lr=0.1, weight_decay=0.1), False),
    ("adagrad_initial_accumulator", "Adagrad", dict(lr=0.1, initial_accumulator_value=0.5), False),
    (
        "adagrad_all_late",
        "Adagrad",
        dict(
            lr=0.1,
            lr_decay=0.05,
            weight_decay=0.1,
            initial_accumulator_value=0.2,
            eps=1e-6,
            maximize=True,
        ),
        True,
    ),
    ("adadelta", "Adadelta", dict(), False),
    ("adadelta_lr_rho_eps", "Adadelta", dict(lr=0.5, rho=0.5, eps=1e-3), False),
    ("adadelta_rho_zero", "Adadelta", dict(rho=0.0), False),
    ("adadelta_weight_decay", "Adadelta", dict(lr=0.8, weight_decay=0.1), False),
    (
        "adadelta_all_late",
        "Adadelta",
        dict(lr=0.3, rho=0.95, eps=1e-5, weight_decay=0.1, maximize=True),
        True,
    ),
]


@pytest.mark.parity
@pytest.mark.parametrize(("case", "name", "options", "late"), CASES, ids=[c[0] for c in CASES])
def test_matches_torch(float64, case, name, options, late):
    def ours(model):
        return getattr(optim, name)(model, **options)

    initial, result = run_minitorch(ours, late)
    assert_matches_torch(
        f"optim_{case}", result, lambda: run_torch(initial, _t(name)(**options), late)
    )


# Parameter groups: the first Linear is group 0, the second group 1, each with its own settings.
# (case, optimizer class name, the keyword arguments, group 0's and group 1's own settings)
GROUP_CASES = [
    ("sgd_groups", "SGD", dict(lr=0.05, momentum=0.9), dict(weight_decay=0.1), dict(lr=0.2)),
    (
        "adam_groups",
        "Adam",
        dict(lr=0.05, betas=(0.8, 0.99)),
        dict(lr=0.01, weight_decay=0.1),
        dict(betas=(0.5, 0.9), amsgrad=True),
    ),
    (  # nanoGPT's two groups
        "adamw_groups",
        "AdamW",
        dict(lr=0.05, betas=(0.9, 0.95)),
        dict(weight_decay=0.1),
        dict(weight_decay=0.0),
    ),
    ("rmsprop_groups", "RMSprop", dict(lr=0.01), dict(momentum=0.9), dict(lr=0.03, centered=True)),
    ("adagrad_groups", "Adagrad", dict(lr=0.1), dict(lr_decay=0.1), dict(lr=0.05, eps=1e-6)),
    ("adadelta_groups", "Adadelta", dict(lr=0.5), dict(rho=0.5), dict(lr=1.0, weight_decay=0.1)),
]


@pytest.mark.parity
@pytest.mark.parametrize(
    ("case", "name", "options", "first", "second"), GROUP_CASES, ids=[c[0] for c in GROUP_CASES]
)
def test_parameter_groups_match_torchs(float64, case, name, options, first, second):
    def ours(model):
        groups = [{"params": model[0], **first}, {"params": model[2], **second}]
        return getattr(optim, name)(groups, **options)

    def theirs(params):
        groups = [{"params": params[:2], **first}, {"params": params[2:], **second}]
        return getattr(torch.optim, name)(groups, foreach=False, **options)

    initial, result = run_minitorch(ours)
    assert_matches_torch(f"optim_{case}", result, lambda: run_torch(initial, theirs))


SGD_BIT_CASES = [
    dict(lr=0.1),
    dict(lr=0.05, momentum=0.9),
    dict(lr=0.05, momentum=0.9, dampening=0.3, weight_decay=0.1),
    dict(lr=0.05, momentum=0.8, weight_decay=0.05, nesterov=True, maximize=True),
]


@pytest.mark.parity
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("options", SGD_BIT_CASES, ids=lambda o: "-".join(map(str, o.values())))
def test_sgd_gives_pytorchs_bits(dtype, options):
    """Every a·x + y of torch.optim.SGD is rounded once (add_ with alpha is a fused multiply-add);
    minitorch's axpy_ does the same, so the parameters and buffers agree to the last bit."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    layer = nn.Linear(300, 40, dtype=dtype)  # 12,000 weights: pieces and a whole bias
    theirs = [torch.from_numpy(p.copy()).requires_grad_() for p in layer.parameters()]
    ours_opt = optim.SGD(layer, **options)
    their_opt = torch.optim.SGD(theirs, **options)
    for _ in range(5):
        grads = [rng.standard_normal(p.shape).astype(dtype) for p in layer.parameters()]
        layer.dW, layer.db = grads
        for t, g in zip(theirs, grads, strict=True):
            t.grad = torch.from_numpy(g.copy())
        ours_opt.step()
        with torch.no_grad():
            their_opt.step()
    for p, t in zip(layer.parameters(), theirs, strict=True):
        assert p.tobytes() == t.detach().numpy().tobytes()


@pytest.mark.parity
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("weight", [0.1, 0.001, 0.7, 1.0])
def test_lerp_gives_torch_lerps_bits(dtype, weight):
    """Adam's first moment and RMSprop's centred mean are torch.lerp_: the same bits here."""
    torch = pytest.importorskip("torch")
    from minitorch.optim._inplace import lerp_

    rng = np.random.default_rng(0)
    start, end = (rng.standard_normal(5000).astype(dtype) for _ in range(2))
    theirs = torch.from_numpy(start.copy()).lerp_(torch.from_numpy(end), weight).numpy()
    ours = lerp_(start.copy(), end, weight)
    assert ours.tobytes() == theirs.tobytes()


# ---------------------------------------------------------------------- behaviour
def two_groups(model):
    """AdamW with the model's first parameter in a group of its own (lr and amsgrad differ)."""
    names = [name for name, _ in model.named_parameters()]
    groups = [{"params": optim.ParameterGroup(model, names[:1]), "weight_decay": 0.1}]
    if names[1:]:
        rest = optim.ParameterGroup(model, names[1:])
        groups.append({"params": rest, "lr": 0.02, "amsgrad": True})
    return optim.AdamW(groups, lr=0.01, weight_decay=0.0)


# Every optimizer with the options that give it state, for the behaviour tests below.
CONFIGS = [
    ("sgd", lambda m: optim.SGD(m, lr=0.1)),
    (
        "sgd_nesterov_decay",
        lambda m: optim.SGD(m, lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.01),
    ),
    (
        "sgd_dampening_maximize",
        lambda m: optim.SGD(m, lr=0.05, momentum=0.9, dampening=0.5, maximize=True),
    ),
    ("adam_amsgrad_decay", lambda m: optim.Adam(m, lr=0.01, weight_decay=0.1, amsgrad=True)),
    ("adamw", lambda m: optim.AdamW(m, lr=0.01)),
    ("adamw_amsgrad_maximize", lambda m: optim.AdamW(m, lr=0.01, amsgrad=True, maximize=True)),
    (
        "rmsprop_centered_momentum",
        lambda m: optim.RMSprop(m, lr=0.01, momentum=0.9, centered=True, weight_decay=0.01),
    ),
    ("rmsprop_maximize", lambda m: optim.RMSprop(m, lr=0.01, maximize=True)),
    ("adamw_two_groups", lambda m: two_groups(m)),
    (
        "adagrad",
        lambda m: optim.Adagrad(
            m, lr=0.1, lr_decay=0.01, weight_decay=0.01, initial_accumulator_value=0.1
        ),
    ),
    ("adadelta", lambda m: optim.Adadelta(m)),
    (
        "adadelta_decay_maximize",
        lambda m: optim.Adadelta(m, lr=0.5, weight_decay=0.01, maximize=True),
    ),
]
CONFIG_IDS = [name for name, _ in CONFIGS]
CONFIG_FACTORIES = [make for _, make in CONFIGS]


def batch(step: int, dtype=np.float32) -> tuple[np.ndarray, np.ndarray]:
    """The same mini-batch for a given step number, whatever ran before."""
    rng = np.random.default_rng(100 + step)
    return rng.standard_normal((8, 5)).astype(dtype), rng.standard_normal((8, 3)).astype(dtype)


def train(model, optimizer, steps, scheduler=None) -> None:
    criterion = nn.MSELoss()
    dtype = model.parameters()[0].dtype
    for step in steps:
        x, y = batch(step, dtype)
        optimizer.zero_grad()
        criterion(model(x), y)
        model.backward(criterion.backward())
        optimizer.step()
        if scheduler is not None:
            scheduler.step()


def assert_states_equal(a: optim.Optimizer, b: optim.Optimizer) -> None:
    assert a.state.keys() == b.state.keys()
    for index in a.state:
        assert a.state[index].keys() == b.state[index].keys()
        for key, value in a.state[index].items():
            other = b.state[index][key]
            assert type(value) is type(other)
            assert np.array_equal(value, other), f"state[{index}][{key!r}] differs"
            if isinstance(value, np.ndarray):
                assert value.dtype == other.dtype


def lrs(optimizer: optim.Optimizer) -> list[float]:
    return [group["lr"] for group in optimizer.param_groups]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("make_optimizer", CONFIG_FACTORIES, ids=CONFIG_IDS)
def test_resume_from_checkpoint_is_bitwise_identical(tmp_path, make_optimizer, dtype):
    minitorch.set_default_dtype(dtype)
    minitorch.manual_seed(0)
    reference = make_model()
    reference_optimizer = make_optimizer(reference)
    reference_scheduler = optim.lr_scheduler.CosineAnnealingLR(reference_optimizer, T_max=4)
    train(reference, reference_optimizer, range(10), reference_scheduler)

    minitorch.manual_seed(0)
    model = make_model()
    optimizer = make_optimizer(model)
    scheduler = optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=4)
    train(model, optimizer, range(5), scheduler)
    checkpoint = {
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict(),
        "scheduler": scheduler.state_dict(),
    }
    path = minitorch.save(checkpoint, tmp_path / "checkpoint.npz")

    minitorch.manual_seed(1)  # different initial weights: everything must come from the file
    resumed = make_model()
    resumed_optimizer = make_optimizer(resumed)
    resumed_scheduler = optim.lr_scheduler.CosineAnnealingLR(resumed_optimizer, T_max=4)
    loaded = minitorch.load(path)
    resumed.load_state_dict(loaded["model"])
    resumed_optimizer.load_state_dict(loaded["optimizer"])
    resumed_scheduler.load_state_dict(loaded["scheduler"])
    assert lrs(resumed_optimizer) == lrs(optimizer)
    train(resumed, resumed_optimizer, range(5, 10), resumed_scheduler)

    for ours, theirs in zip(resumed.parameters(), reference.parameters(), strict=True):
        assert ours.dtype == theirs.dtype == dtype
        assert np.array_equal(ours, theirs)
    assert_states_equal(resumed_optimizer, reference_optimizer)
    assert lrs(resumed_optimizer) == lrs(reference_optimizer)
    assert resumed_scheduler.get_last_lr() == reference_scheduler.get_last_lr()


@pytest.mark.parametrize("make_optimizer", CONFIG_FACTORIES, ids=CONFIG_IDS)
def test_float32_parameters_are_updated_in_place_and_stay_float32(make_optimizer):
    model = make_model()
    params = model.parameters()
    before = [p.copy() for p in params]
    optimizer = make_optimizer(model)
    train(model, optimizer, range(2))
    grads = [g.copy() for g in model.grads()]
    optimizer.step()
    assert all(a is b for a, b in zip(model.parameters(), params, strict=True))
    for param, old in zip(params, before, strict=True):
        assert param.dtype == np.float32
        assert not np.array_equal(param, old)
    for grad, old in zip(model.grads(), grads, strict=True):
        assert np.array_equal(grad, old), "step() must not modify the gradients"
    for state in optimizer.state.values():
        for value in state.values():
            if isinstance(value, np.ndarray):
                assert value.dtype == np.float32


@pytest.mark.parametrize("make_optimizer", CONFIG_FACTORIES, ids=CONFIG_IDS)
def test_float64_gradients_keep_float32_parameters_float32(make_optimizer):
    model = make_model()
    params = model.parameters()
    optimizer = make_optimizer(model)
    for layer in linear_layers(model):
        layer.dW = np.ones(layer.W.shape, dtype=np.float64)
        layer.db = np.ones(layer.b.shape, dtype=np.float64)
    optimizer.step()
    optimizer.step()
    assert all(
        a is b and a.dtype == np.float32 for a, b in zip(model.parameters(), params, strict=True)
    )


@pytest.mark.parametrize("make_optimizer", CONFIG_FACTORIES, ids=CONFIG_IDS)
def test_none_gradients_are_skipped(make_optimizer):
    model = make_model()
    first, second = linear_layers(model)
    second_before = [second.W.copy(), second.b.copy()]
    optimizer = make_optimizer(model)
    first.dW = np.ones_like(first.W)
    first.db = np.ones_like(first.b)
    assert second.dW is None and second.db is None
    optimizer.step()
    optimizer.step()
    assert np.array_equal(second.W, second_before[0]) and np.array_equal(second.b, second_before[1])
    assert set(optimizer.state) <= {0, 1}  # no state for parameters that never had a gradient
    second.dW = np.ones_like(second.W)
    second.db = np.ones_like(second.b)
    optimizer.step()
    assert not np.array_equal(second.W, second_before[0])


@pytest.mark.parametrize("make_optimizer", CONFIG_FACTORIES, ids=CONFIG_IDS)
def test_chunked_updates_give_the_same_numbers(monkeypatch, make_optimizer):
    import minitorch.optim.optimizer as optimizer_module

    results = []
    for chunk_size in (7, 10**9):  # 7 cuts the 5x4 weight into pieces of 7, 7 and 6 values
        monkeypatch.setattr(optimizer_module, "CHUNK_SIZE", chunk_size)
        minitorch.manual_seed(0)
        model = make_model()
        optimizer = make_optimizer(model)
        train(model, optimizer, range(4))
        results.append((model, optimizer))
    (chunked, chunked_optimizer), (whole, whole_optimizer) = results
    for a, b in zip(chunked.parameters(), whole.parameters(), strict=True):
        assert np.array_equal(a, b)
    assert_states_equal(chunked_optimizer, whole_optimizer)


class FortranLayer(nn.Module):
    """A layer whose parameter is not C-contiguous, so the update cannot cut it into chunks."""

    def __init__(self, order: str) -> None:
        super().__init__()
        self.W = np.array(np.arange(24.0).reshape(4, 6) / 10, order=order)
        self.dW = None

    def parameters(self):
        return [self.W]

    def grads(self):
        return [self.dW]


@pytest.mark.parametrize("make_optimizer", CONFIG_FACTORIES, ids=CONFIG_IDS)
def test_non_contiguous_parameters_are_updated_whole(monkeypatch, make_optimizer):
    import minitorch.optim.optimizer as optimizer_module

    monkeypatch.setattr(optimizer_module, "CHUNK_SIZE", 5)
    layers = [FortranLayer("C"), FortranLayer("F")]
    optimizers = [make_optimizer(layer) for layer in layers]
    for step in range(3):
        for layer, optimizer in zip(layers, optimizers, strict=True):
            layer.dW = np.cos(layer.W + step)
            optimizer.step()
    assert not layers[1].W.flags.c_contiguous
    assert np.array_equal(layers[0].W, layers[1].W)


def test_sgd_step_is_p_minus_lr_times_grad_rounded_once_on_a_large_parameter():
    # PyTorch's param.add_(grad, alpha=-lr) is a fused multiply-add: p − lr·g rounded once,
    # which float64 arithmetic reproduces for float32 values (the product is exact there).
    layer = nn.Linear(300, 300)  # 90,000 values: more than one chunk
    rng = np.random.default_rng(0)
    layer.dW = rng.standard_normal(layer.W.shape).astype(np.float32)
    layer.db = rng.standard_normal(layer.b.shape).astype(np.float32)
    lr = np.float64(np.float32(0.1))
    expected = [
        (p.astype(np.float64) - lr * g.astype(np.float64)).astype(np.float32)
        for p, g in zip(layer.parameters(), layer.grads(), strict=True)
    ]
    optim.SGD(layer, lr=0.1).step()
    for param, want in zip(layer.parameters(), expected, strict=True):
        assert np.array_equal(param, want)


def test_a_list_of_modules_trains_like_the_model_that_holds_them():
    minitorch.manual_seed(0)
    model = make_model()
    minitorch.manual_seed(0)
    twin = make_model()
    first, second = linear_layers(twin)
    optimizer = optim.Adam(model, lr=0.01)
    twin_optimizer = optim.Adam([first, second], lr=0.01)
    assert twin_optimizer.modules == [first, second]
    train(model, optimizer, range(3))
    train(twin, twin_optimizer, range(3))
    for a, b in zip(model.parameters(), twin.parameters(), strict=True):
        assert np.array_equal(a, b)
    assert_states_equal(optimizer, twin_optimizer)
    assert sorted(twin_optimizer.state) == [0, 1, 2, 3]


def test_adamw_without_weight_decay_is_adam_and_with_it_is_not():
    runs = {}
    for name, make in [
        ("adam", lambda m: optim.Adam(m, lr=0.01)),
        ("adamw_0", lambda m: optim.AdamW(m, lr=0.01, weight_decay=0)),
        ("adam_decay", lambda m: optim.Adam(m, lr=0.01, weight_decay=0.1)),
        ("adamw_decay", lambda m: optim.AdamW(m, lr=0.01, weight_decay=0.1)),
    ]:
        minitorch.manual_seed(0)
        model = make_model()
        train(model, make(model), range(3))
        runs[name] = model.parameters()
    assert all(np.array_equal(a, b) for a, b in zip(runs["adam"], runs["adamw_0"], strict=True))
    assert not np.allclose(runs["adam_decay"][0], runs["adamw_decay"][0])
    assert optim.AdamW(make_model()).weight_decay == 1e-2  # PyTorch's default


def test_zero_grad_set_to_none_false_clears_every_gradient_in_place():
    model = make_model()
    optimizer = optim.SGD(model, lr=0.1)
    train(model, optimizer, range(1))
    grads = model.grads()
    assert all(np.any(g != 0) for g in grads)
    optimizer.zero_grad(set_to_none=False)
    assert all(a is b for a, b in zip(model.grads(), grads, strict=True))
    assert all(not np.any(g) for g in grads)


def test_zero_grad_reaches_every_module_of_a_list():
    first, second = nn.Linear(3, 2), nn.Linear(2, 2)
    for layer in (first, second):
        layer.dW, layer.db = np.ones_like(layer.W), np.ones_like(layer.b)
    optim.Adam([first, second]).zero_grad(set_to_none=False)
    assert all(not np.any(g) for g in [*first.grads(), *second.grads()])


def test_defaults_match_pytorch_and_the_spec():
    model = make_model()
    assert optim.SGD(model).lr == 0.01  # spec 002 (PyTorch has no default)
    adam = optim.Adam(model)
    assert (adam.lr, adam.betas, adam.eps, adam.weight_decay) == (1e-3, (0.9, 0.999), 1e-8, 0)
    rmsprop = optim.RMSprop(model)
    assert (rmsprop.lr, rmsprop.alpha, rmsprop.eps, rmsprop.momentum) == (1e-2, 0.99, 1e-8, 0)
    adagrad = optim.Adagrad(model)
    assert (adagrad.lr, adagrad.lr_decay, adagrad.eps) == (1e-2, 0, 1e-10)
    assert adagrad.initial_accumulator_value == 0
    adadelta = optim.Adadelta(model)  # torch.optim.Adadelta's
    assert (adadelta.lr, adadelta.rho, adadelta.eps, adadelta.weight_decay) == (1.0, 0.9, 1e-6, 0)
    assert adadelta.maximize is False


# ---------------------------------------------------------------------- wrong arguments
@pytest.mark.parametrize(
    "cls", [optim.SGD, optim.Adam, optim.AdamW, optim.RMSprop, optim.Adagrad, optim.Adadelta]
)
def test_passing_model_parameters_explains_the_right_call(cls):
    model = make_model()
    name = cls.__name__
    expected = (
        f"{name} expects the model (a Module) or a list of Modules, got a list of NumPy arrays. "
        f"NumPy arrays carry no gradient, so pass the model itself: {name}(model, lr=0.01)"
    )
    with pytest.raises(TypeError) as error:
        cls(model.parameters(), lr=0.01)
    assert str(error.value) == expected


def test_wrong_modules_arguments_are_refused_with_the_fix():
    model = make_model()
    with pytest.raises(TypeError, match=r"got an iterator \(generator\).*SGD\(model, lr=0.1\)"):
        optim.SGD((p for p in model.parameters()), lr=0.1)
    with pytest.raises(TypeError, match=r"got a NumPy array\. NumPy arrays carry no gradient"):
        optim.Adam(model.parameters()[0])
    with pytest.raises(TypeError, match=r"item 1 of the list is str 'decoder'"):
        optim.SGD([model, "decoder"])
    with pytest.raises(TypeError, match=r"got a tuple of NumPy arrays"):
        optim.SGD(tuple(model.parameters()))
    with pytest.raises(TypeError, match=r"got dict\. Pass the model itself"):
        optim.SGD({"params": model.parameters()})
    with pytest.raises(ValueError, match=r"SGD got an empty list: there is nothing to optimize"):
        optim.SGD([])
    with pytest.raises(ValueError, match=r"the modules given \(ReLU\) have no parameters"):
        optim.SGD(nn.ReLU())
    with pytest.raises(ValueError, match=r"parameter 4 \('W' of modules\[1\], .* same array as"):
        optim.SGD([model, model[0]])


BAD_HYPERPARAMETERS = [
    (optim.SGD, {"lr": -0.1}, ValueError, "SGD: lr must be >= 0, got -0.1"),
    (optim.SGD, {"lr": "0.1"}, TypeError, "SGD: lr must be a number, got str '0.1'"),
    (optim.SGD, {"lr": float("nan")}, ValueError, "SGD: lr must be a finite number"),
    (optim.SGD, {"lr": float("inf")}, ValueError, "SGD: lr must be a finite number"),
    (optim.SGD, {"lr": True}, TypeError, "SGD: lr must be a number"),
    (optim.SGD, {"momentum": -0.9}, ValueError, "SGD: momentum must be in [0, 1), got -0.9"),
    (optim.SGD, {"momentum": 1.5}, ValueError, "SGD: momentum must be in [0, 1), got 1.5 (at 1 or"),
    (optim.SGD, {"momentum": 1}, ValueError, "SGD: momentum must be in [0, 1), got 1 (at 1 or"),
    (optim.SGD, {"dampening": 1.5}, ValueError, "SGD: dampening must be in [0, 1], got 1.5"),
    (optim.SGD, {"weight_decay": -1e-4}, ValueError, "SGD: weight_decay must be >= 0"),
    (
        optim.SGD,
        {"nesterov": True},
        ValueError,
        "SGD: nesterov=True needs momentum > 0 and dampening = 0, got momentum=0.0",
    ),
    (
        optim.SGD,
        {"nesterov": True, "momentum": 0.9, "dampening": 0.1},
        ValueError,
        "SGD: nesterov=True needs momentum > 0 and dampening = 0, got momentum=0.9, dampening=0.1",
    ),
    (optim.SGD, {"nesterov": "yes"}, TypeError, "SGD: nesterov must be True or False"),
    (optim.SGD, {"maximize": 1}, TypeError, "SGD: maximize must be True or False, got 1"),
    (optim.Adam, {"lr": -1e-3}, ValueError, "Adam: lr must be >= 0"),
    (optim.Adam, {"eps": -1e-8}, ValueError, "Adam: eps must be >= 0, got -1e-08"),
    (optim.Adam, {"betas": (1.0, 0.999)}, ValueError, "Adam: betas[0] must be in [0, 1), got 1.0"),
    (optim.Adam, {"betas": (-0.1, 0.999)}, ValueError, "Adam: betas[0] must be in [0, 1)"),
    (optim.Adam, {"betas": (0.9, 1.5)}, ValueError, "Adam: betas[1] must be in [0, 1), got 1.5"),
    (optim.Adam, {"betas": 0.9}, TypeError, "Adam: betas must be a pair (beta1, beta2)"),
    (optim.Adam, {"betas": (0.9, 0.99, 0.9)}, TypeError, "Adam: betas must be a pair"),
    (optim.Adam, {"weight_decay": -0.1}, ValueError, "Adam: weight_decay must be >= 0"),
    (optim.Adam, {"amsgrad": None}, TypeError, "Adam: amsgrad must be True or False"),
    (optim.Adam, {"maximize": "no"}, TypeError, "Adam: maximize must be True or False"),
    (optim.AdamW, {"lr": -1.0}, ValueError, "AdamW: lr must be >= 0"),
    (optim.AdamW, {"betas": (0.9, 1.0)}, ValueError, "AdamW: betas[1] must be in [0, 1)"),
    (optim.AdamW, {"eps": -1.0}, ValueError, "AdamW: eps must be >= 0"),
    (optim.AdamW, {"weight_decay": -0.01}, ValueError, "AdamW: weight_decay must be >= 0"),
    (optim.RMSprop, {"lr": -0.01}, ValueError, "RMSprop: lr must be >= 0"),
    (optim.RMSprop, {"alpha": -0.5}, ValueError, "RMSprop: alpha must be in [0, 1), got -0.5"),
    (optim.RMSprop, {"alpha": 1.0}, ValueError, "RMSprop: alpha must be in [0, 1), got 1.0 (in v"),
    (optim.RMSprop, {"alpha": 1.01}, ValueError, "RMSprop: alpha must be in [0, 1), got 1.01"),
    (optim.RMSprop, {"eps": -1e-8}, ValueError, "RMSprop: eps must be >= 0"),
    (optim.RMSprop, {"weight_decay": -1.0}, ValueError, "RMSprop: weight_decay must be >= 0"),
    (optim.RMSprop, {"momentum": -0.9}, ValueError, "RMSprop: momentum must be in [0, 1)"),
    (optim.RMSprop, {"momentum": 2}, ValueError, "RMSprop: momentum must be in [0, 1), got 2 (at"),
    (optim.RMSprop, {"centered": "True"}, TypeError, "RMSprop: centered must be True or False"),
    (optim.Adagrad, {"lr": -0.01}, ValueError, "Adagrad: lr must be >= 0"),
    (optim.Adagrad, {"lr_decay": -0.1}, ValueError, "Adagrad: lr_decay must be >= 0"),
    (optim.Adagrad, {"weight_decay": -0.1}, ValueError, "Adagrad: weight_decay must be >= 0"),
    (
        optim.Adagrad,
        {"initial_accumulator_value": -1.0},
        ValueError,
        "Adagrad: initial_accumulator_value must be >= 0",
    ),
    (optim.Adagrad, {"eps": -1e-10}, ValueError, "Adagrad: eps must be >= 0"),
    (optim.Adagrad, {"maximize": 0}, TypeError, "Adagrad: maximize must be True or False"),
    (optim.Adadelta, {"lr": -1.0}, ValueError, "Adadelta: lr must be >= 0, got -1.0"),
    (optim.Adadelta, {"lr": "1.0"}, TypeError, "Adadelta: lr must be a number, got str '1.0'"),
    (optim.Adadelta, {"rho": -0.1}, ValueError, "Adadelta: rho must be in [0, 1), got -0.1"),
    (
        optim.Adadelta,
        {"rho": 1.0},
        ValueError,
        "Adadelta: rho must be in [0, 1), got 1.0 (at 1, v = ρ·v + (1 − ρ)·g² and u = ρ·u + "
        "(1 − ρ)·Δ² stay 0, so every step is lr·g: plain SGD, not Adadelta; PyTorch accepts it",
    ),
    (optim.Adadelta, {"rho": 1.5}, ValueError, "Adadelta: rho must be in [0, 1), got 1.5 (typ"),
    (optim.Adadelta, {"rho": float("nan")}, ValueError, "Adadelta: rho must be a finite number"),
    (optim.Adadelta, {"rho": None}, TypeError, "Adadelta: rho must be a number"),
    (optim.Adadelta, {"eps": -1e-6}, ValueError, "Adadelta: eps must be >= 0, got -1e-06"),
    (optim.Adadelta, {"weight_decay": -0.1}, ValueError, "Adadelta: weight_decay must be >= 0"),
    (optim.Adadelta, {"maximize": "no"}, TypeError, "Adadelta: maximize must be True or False"),
]


@pytest.mark.parametrize(
    ("cls", "kwargs", "error", "message"),
    BAD_HYPERPARAMETERS,
    ids=[f"{c.__name__}-{'-'.join(k)}-{i}" for i, (c, k, _, _) in enumerate(BAD_HYPERPARAMETERS)],
)
def test_bad_hyperparameters_are_refused(cls, kwargs, error, message):
    with pytest.raises(error, match=re.escape(message)):
        cls(make_model(), **kwargs)


def test_numpy_scalars_are_accepted_as_hyperparameters():
    optimizer = optim.Adam(make_model(), lr=np.float32(0.5), betas=np.array([0.8, 0.9]))
    assert optimizer.lr == 0.5 and type(optimizer.lr) is float
    assert optimizer.betas == (0.8, 0.9)


class Misaligned(nn.Module):
    def __init__(self, grads) -> None:
        super().__init__()
        self.W = np.zeros((2, 3))
        self._grads = grads

    def parameters(self):
        return [self.W]

    def grads(self):
        return self._grads


def test_modules_breaking_the_contract_get_an_explanation():
    with pytest.raises(ValueError, match=r"Misaligned.parameters\(\) returned 1 arrays but grads"):
        optim.SGD(Misaligned([None, None]))
    optimizer = optim.SGD(Misaligned([np.zeros((3, 2))]))
    with pytest.raises(ValueError, match=r"shape \(2, 3\) but its gradient has shape \(3, 2\)"):
        optimizer.step()
    integer_layer = Misaligned([np.zeros((2, 3))])
    integer_layer.W = np.zeros((2, 3), dtype=np.int64)
    with pytest.raises(TypeError, match=r"parameter 0 \('W', Misaligned\) is an array of int64"):
        optim.SGD(integer_layer).step()


# ---------------------------------------------------------------------- state_dict and repr
def _walk_leaves(tree):
    for value in tree.values():
        if isinstance(value, dict):
            yield from _walk_leaves(value)
        else:
            yield value


@pytest.mark.parametrize("make_optimizer", CONFIG_FACTORIES, ids=CONFIG_IDS)
def test_state_dict_holds_only_arrays_numbers_and_strings(make_optimizer):
    model = make_model()
    optimizer = make_optimizer(model)
    train(model, optimizer, range(2))
    state = optimizer.state_dict()
    assert state["optimizer"] == type(optimizer).__name__
    groups = list(state["param_groups"].values())
    assert [group["lr"] for group in groups] == lrs(optimizer)
    assert [i for group in groups for i in group["params"]] == [0, 1, 2, 3]
    for group in groups:
        assert set(group) == {"params", *optimizer.hyperparameter_names}
    for leaf in _walk_leaves(state):
        if isinstance(leaf, list):
            assert all(type(item) in (float, int) for item in leaf)  # betas, a group's params
        else:
            assert isinstance(leaf, (np.ndarray, int, float, bool, str))


def test_state_dict_is_a_snapshot_and_omits_empty_state(tmp_path):
    model = make_model()
    optimizer = optim.SGD(model, lr=0.1, momentum=0.9)
    empty = optimizer.state_dict()
    assert "state" not in empty
    minitorch.save(empty, tmp_path / "empty.npz")  # an empty dict could not be saved
    fresh = optim.SGD(model, lr=0.5)
    fresh.load_state_dict(minitorch.load(tmp_path / "empty.npz"))
    assert fresh.lr == 0.1 and fresh.momentum == 0.9 and fresh.state == {}

    train(model, optimizer, range(2))
    snapshot = optimizer.state_dict()
    buffer = snapshot["state"]["0"]["momentum_buffer"].copy()
    train(model, optimizer, range(2, 4))
    assert np.array_equal(snapshot["state"]["0"]["momentum_buffer"], buffer)
    assert not np.array_equal(optimizer.state[0]["momentum_buffer"], buffer)


def test_load_state_dict_restores_hyperparameters_and_state():
    model = make_model()
    source = optim.Adam(model, lr=0.02, betas=(0.8, 0.9), amsgrad=True)
    train(model, source, range(3))
    target = optim.Adam(model)
    target.load_state_dict(source.state_dict())
    assert (target.lr, target.betas, target.amsgrad) == (0.02, (0.8, 0.9), True)
    assert_states_equal(target, source)
    target.state[0]["exp_avg"] += 1  # loading copied the arrays
    assert not np.array_equal(target.state[0]["exp_avg"], source.state[0]["exp_avg"])


def test_load_state_dict_refuses_mismatches():
    model = make_model()
    sgd = optim.SGD(model, lr=0.1, momentum=0.9)
    train(model, sgd, range(1))
    state = sgd.state_dict()
    with pytest.raises(
        ValueError, match=r"Adam.load_state_dict: this state dict was saved by 'SGD'"
    ):
        optim.Adam(model).load_state_dict(state)
    other_model = nn.Sequential(nn.Linear(5, 6), nn.ReLU(), nn.Linear(6, 3))
    with pytest.raises(ValueError, match=r"'momentum_buffer' of parameter 0 has shape \(5, 4\)"):
        optim.SGD(other_model).load_state_dict(state)
    with pytest.raises(ValueError, match=r"group 0 holds 4 parameters in the state dict and 2"):
        optim.SGD(nn.Linear(5, 4)).load_state_dict(state)
    two = {"0": {**state["param_groups"]["0"], "params": [0, 1]}}
    with pytest.raises(ValueError, match=r"state for parameter 3, but the modules have 2"):
        optim.SGD(nn.Linear(5, 4)).load_state_dict(
            {**state, "param_groups": two, "state": {"3": state["state"]["3"]}}
        )
    incomplete = {**state, "param_groups": {"0": {"lr": 0.1, "params": [0, 1, 2, 3]}}}
    with pytest.raises(KeyError, match=r"group 0 do not match; missing: \['momentum', 'dampening'"):
        optim.SGD(model).load_state_dict(incomplete)
    group = state["param_groups"]["0"]
    with pytest.raises(ValueError, match=r"has 2 parameter groups, this optimizer 1"):
        optim.SGD(model).load_state_dict({**state, "param_groups": {"0": group, "1": group}})
    invalid = {**state, "param_groups": {"0": {**group, "lr": -1.0}}}
    target = optim.SGD(model, lr=0.3)
    with pytest.raises(ValueError, match=r"SGD.load_state_dict: parameter group 0: lr must be >="):
        target.load_state_dict(invalid)
    assert target.lr == 0.3 and target.momentum == 0.0 and target.state == {}


def test_repr_lists_the_hyperparameters_like_pytorch():
    model = make_model()
    assert repr(optim.SGD(model, lr=0.1, momentum=0.9)) == (
        "SGD (\n"
        "    parameters: 4 arrays, 39 values\n"
        "    lr: 0.1\n"
        "    momentum: 0.9\n"
        "    dampening: 0.0\n"
        "    weight_decay: 0.0\n"
        "    nesterov: False\n"
        "    maximize: False\n"
        ")"
    )
    for cls in (optim.Adam, optim.AdamW, optim.RMSprop, optim.Adagrad, optim.Adadelta):
        text = repr(cls(model))
        assert text.startswith(f"{cls.__name__} (\n") and text.endswith("\n)")
        for name in cls.hyperparameter_names:
            assert f"\n    {name}: " in text
    assert "betas: (0.9, 0.999)" in repr(optim.Adam(model))


class SignSGD(optim.Optimizer):
    """θ ← θ − γ·sign(∇): a student's optimizer written against the base class."""

    def __init__(self, modules, lr=0.1):
        super().__init__(modules, lr)

    def update_parameter(self, param, grad, state, group):
        state["calls"] = state.get("calls", 0) + 1
        param -= group["lr"] * np.sign(grad)


def test_a_custom_optimizer_needs_only_update_parameter():
    layer = nn.Linear(2, 2)
    layer.W[...] = 0
    layer.dW, layer.db = np.array([[1.0, -2.0], [0.0, 3.0]]), None
    optimizer = SignSGD(layer, lr=0.5)
    optimizer.step()
    assert np.array_equal(layer.W, [[-0.5, 0.5], [0.0, -0.5]])
    assert optimizer.state == {0: {"calls": 1}}
    with pytest.raises(NotImplementedError, match=r"must implement update_parameter\(param, grad"):
        optim.Optimizer(layer, lr=0.1).step()


# ---------------------------------------------------------------------- parameter groups
def two_group_sgd(model, **first):
    return optim.SGD([{"params": model[0], **first}, {"params": model[2], "lr": 0.2}], lr=0.1)


def test_param_groups_are_pytorchs_list_of_dicts():
    model = make_model()
    optimizer = two_group_sgd(model, momentum=0.9)
    assert [list(group) for group in optimizer.param_groups] == [
        ["params", "lr", "momentum", "dampening", "weight_decay", "nesterov", "maximize"]
    ] * 2
    assert optimizer.param_groups[0]["params"] == [model[0]]
    assert [g["momentum"] for g in optimizer.param_groups] == [0.9, 0.0]
    assert optimizer.defaults["lr"] == 0.1 and optimizer.modules == [model[0], model[2]]
    assert optimizer.dampening == 0.0  # shared by every group
    with pytest.raises(AttributeError, match=r"different values \(0.1, 0.2\); read optimizer.pa"):
        optimizer.lr  # noqa: B018
    optimizer.lr = 0.5  # every group
    assert lrs(optimizer) == [0.5, 0.5] and optimizer.lr == 0.5
    with pytest.raises(ValueError, match=r"SGD: lr must be >= 0, got -1"):
        optimizer.lr = -1
    assert lrs(optimizer) == [0.5, 0.5]
    assert "parameter group 1:\n        lr: 0.5" in repr(optimizer)


def test_a_groups_lr_set_by_hand_is_read_at_the_next_step():
    model = make_model()
    optimizer = two_group_sgd(model)
    before = [p.copy() for p in model.parameters()]
    grads = [np.ones_like(p) for p in before]
    model[0].dW, model[0].db, model[2].dW, model[2].db = grads
    optimizer.param_groups[1]["lr"] = 0.0
    optimizer.step()
    after = model.parameters()
    assert np.array_equal(after[0], before[0] - np.float32(0.1))
    assert np.array_equal(after[2], before[2])  # lr 0: group 1 did not move
    optimizer.param_groups[0]["lr"] = "0.1"
    with pytest.raises(TypeError, match=r"SGD: lr must be a number, got str '0.1'"):
        optimizer.step()


def test_bad_parameter_groups_are_refused_with_the_fix():
    model = make_model()
    with pytest.raises(TypeError, match=r"no hyperparameter 'weight_deacy'; SGD's are lr, mom"):
        optim.SGD([{"params": model, "weight_deacy": 0.1}])
    with pytest.raises(TypeError, match=r"a parameter group is a dict with 'params'"):
        optim.SGD([{"lr": 0.1}])
    with pytest.raises(ValueError, match=r"same array as parameter 0.*in one parameter group only"):
        optim.SGD([{"params": model}, {"params": model[0]}])
    with pytest.raises(ValueError, match=r"SGD: momentum must be in \[0, 1\), got -1"):
        optim.SGD([{"params": model, "momentum": -1}])
    with pytest.raises(TypeError, match=r"NumPy arrays carry no gradient"):
        optim.SGD([{"params": model.parameters()}])
    optimizer = optim.SGD(model[0], lr=0.1)
    optimizer.add_param_group({"params": model[2], "momentum": 0.5})
    assert [g["momentum"] for g in optimizer.param_groups] == [0.0, 0.5]
    with pytest.raises(ValueError, match=r"has 2 parameter groups, this optimizer 1"):
        optim.SGD(model).load_state_dict(optimizer.state_dict())


def test_weight_decay_groups_follow_what_the_layers_declare():
    model = nn.Sequential(nn.Linear(4, 3), nn.LayerNorm(3), nn.Linear(3, 2, bias=False))
    decay, no_decay = optim.weight_decay_groups(model)
    assert decay.names == ["0.W", "2.W"]
    assert no_decay.names == ["0.b", "1.gamma", "1.beta"]
    assert optim.decays_weight(model, "2.W") and not optim.decays_weight(model, "1.beta")
    with pytest.raises(KeyError, match=r"no parameter '3.W'"):
        optim.decays_weight(model, "3.W")
    optimizer = optim.AdamW(
        [{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}]
    )
    assert optimizer._params == [model[0].W, model[2].W, model[0].b, model[1].gamma, model[1].beta]
    no_biases = nn.Sequential(nn.Linear(4, 3, bias=False))
    decay, no_decay = optim.weight_decay_groups(no_biases)
    empty = optim.AdamW([{"params": decay}, {"params": no_decay, "weight_decay": 0.0}])
    assert no_decay.parameters() == [] and empty.state_dict()["param_groups"]["1"]["params"] == []


def _readme_weight_decay_snippet() -> tuple[str, str]:
    """The code of the README's weight-decay row (the one naming nanoGPT's ``p.dim() >= 2``):
    the split ``decay, no_decay = ...`` and the ``optim.AdamW(...)`` line, from its cells."""
    import re
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    (row,) = [line for line in readme.splitlines() if "`p.dim() >= 2`" in line]
    code = re.findall(r"`([^`]+)`", row)
    (split,) = [c for c in code if c.startswith("decay, no_decay = ")]
    (build,) = [c for c in code if c.startswith("optim.AdamW(")]
    return split, build


def test_nanogpts_configure_optimizers_ports_with_weight_decay_groups():
    """nanoGPT splits by ``p.dim() >= 2``, which would decay minitorch's ``(1, out)`` Linear
    biases; the one line to write instead is ``weight_decay_groups`` (the README's row)."""
    from minitorch import models

    model = models.GPT(vocab_size=11, block_size=8, n_layer=1, n_head=2, n_embd=8)
    split, build = _readme_weight_decay_snippet()  # the README's own code, run as written
    scope = {"optim": optim, "model": model, "wd": 0.1}
    exec(split, scope)  # instead of the p.dim() >= 2 split
    decay, no_decay = scope["decay"], scope["no_decay"]
    optimizer = eval(build.replace(", ...)", ", lr=6e-4, betas=(0.9, 0.95))"), scope)
    named = dict(model.named_parameters())
    assert all(named[name].ndim >= 2 and not name.endswith(".b") for name in decay.names)
    biases = [name for name in no_decay.names if name.endswith(".b")]
    assert biases and all(named[name].shape[0] == 1 for name in biases)  # (1, out): 2-D
    assert decay.num_parameters() + no_decay.num_parameters() == model.num_parameters()
    assert [g["weight_decay"] for g in optimizer.param_groups] == [0.1, 0.0]
