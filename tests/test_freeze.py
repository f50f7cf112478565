"""Freezing layers: ``module.requires_grad_(False)``, the one way, against PyTorch doing the same.

* every optimizer leaves a frozen layer's parameters bit for bit as they were, however many
  steps, with no state for them (no update, no weight decay, no momentum or moments);
* training with a frozen layer, and freezing and unfreezing mid-run after the optimizer was
  built, gives PyTorch's parameters (float64, <= 1e-10);
* a frozen layer's backward still passes the input gradient on;
* ``clip_grad_norm_`` leaves frozen gradients out, as PyTorch's does;
* state dicts (the model's and the optimizer's) are unaffected; ``nn.summary`` counts apart;
* the PyTorch habits that cannot work here (``p.requires_grad = False`` on an array,
  ``module.requires_grad = False``) are refused with the minitorch way.
"""

from __future__ import annotations

import numpy as np
import pytest

import minitorch
from minitorch import nn, optim
from minitorch.nn.utils import clip_grad_norm_
from parity import assert_matches_torch, torch

# (optimizer name, options): every optimizer, with state and weight decay wherever it has them.
OPTIMIZERS = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.05, momentum=0.9, weight_decay=0.1)),
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.01, maximize=True)),
    ("Adam", dict(lr=0.01, weight_decay=0.1)),
    ("Adam", dict(lr=0.01, amsgrad=True)),
    ("AdamW", dict(lr=0.01, weight_decay=0.1)),
    ("RMSprop", dict(lr=0.01, momentum=0.9, centered=True, weight_decay=0.1)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.01, weight_decay=0.1, initial_accumulator_value=0.1)),
    ("Adadelta", dict()),
    ("Adadelta", dict(lr=0.5, rho=0.8, weight_decay=0.1)),
]
IDS = [
    f"{name}-{'-'.join(f'{k}={v}' for k, v in options.items()) or 'defaults'}"
    for name, options in OPTIMIZERS
]
STEPS = 40


def make_model() -> nn.Sequential:
    return nn.Sequential(nn.Linear(5, 4), nn.Tanh(), nn.Linear(4, 4), nn.Tanh(), nn.Linear(4, 3))


def batch(step: int, dtype=np.float32) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(step)
    return rng.standard_normal((8, 5)).astype(dtype), rng.standard_normal((8, 3)).astype(dtype)


def train_step(model, optimizer, step: int, loss_fn=None) -> np.ndarray:
    """One step of the standard loop; returns dL/dx, the gradient the model passed back."""
    loss_fn = loss_fn or nn.MSELoss()
    x, y = batch(step, model.parameters()[0].dtype)
    optimizer.zero_grad()
    loss_fn(model(x), y)
    dx = model.backward(loss_fn.backward())
    optimizer.step()
    return dx


def snapshot(module) -> list[bytes]:
    return [p.tobytes() for p in module.parameters()]


# ------------------------------------------------------------------ every optimizer skips it
@pytest.mark.parametrize(("name", "options"), OPTIMIZERS, ids=IDS)
@pytest.mark.parametrize("when", ["before", "after"])
def test_a_frozen_layer_stays_bit_identical_under_every_optimizer(name, options, when):
    """Frozen before the optimizer is built, or after it has trained the layer for a while."""
    model = make_model()
    if when == "before":
        model[2].requires_grad_(False)
    optimizer = getattr(optim, name)(model, **options)
    if when == "after":
        for step in range(3):
            train_step(model, optimizer, step)
        model[2].requires_grad_(False)
    state_before = {i: {k: np.copy(v) for k, v in s.items()} for i, s in optimizer.state.items()}
    frozen, others = snapshot(model[2]), snapshot(model[0]) + snapshot(model[4])
    for step in range(STEPS):
        train_step(model, optimizer, 100 + step)
        assert model[2].dW is not None  # its backward ran; the step skipped it
    assert snapshot(model[2]) == frozen
    changed = snapshot(model[0]) + snapshot(model[4])
    assert all(a != b for a, b in zip(changed, others, strict=True))
    for index in (2, 3):  # the frozen layer's W and b: state untouched (or never made)
        if when == "before":
            assert index not in optimizer.state
        else:
            after = optimizer.state[index]
            assert after.keys() == state_before[index].keys()
            for key, value in after.items():
                assert np.array_equal(value, state_before[index][key]), key


@pytest.mark.parametrize(("name", "options"), OPTIMIZERS, ids=IDS)
def test_a_frozen_whole_model_does_not_move(name, options):
    model = make_model().requires_grad_(False)
    assert model.frozen and all(m.frozen for m in model)
    optimizer = getattr(optim, name)(model, **options)
    before = snapshot(model)
    for step in range(10):
        dx = train_step(model, optimizer, step)
    assert snapshot(model) == before and optimizer.state == {}
    reference = make_model()
    reference.load_state_dict(model.state_dict())
    loss_fn = nn.MSELoss()
    x, y = batch(9)
    loss_fn(reference(x), y)
    assert np.array_equal(dx, reference.backward(loss_fn.backward()))


def test_a_frozen_layer_passes_the_same_input_gradient_on():
    trainable, frozen = make_model(), make_model()
    frozen.load_state_dict(trainable.state_dict())
    frozen[0].requires_grad_(False)
    loss_fn = nn.MSELoss()
    x, y = batch(0)
    grads = []
    for model in (trainable, frozen):
        loss_fn(model(x), y)
        grads.append(model.backward(loss_fn.backward()))
    assert np.array_equal(grads[0], grads[1])
    assert np.array_equal(trainable[0].dW, frozen[0].dW)  # computed, and used by nothing


# ------------------------------------------------------------------ parity with PyTorch
def torch_model(model: nn.Sequential):
    layers = []
    for layer in model:
        if isinstance(layer, nn.Linear):
            linear = torch.nn.Linear(layer.input_dim, layer.output_dim)
            with torch.no_grad():
                linear.weight.copy_(torch.from_numpy(layer.W.T.copy()))
                linear.bias.copy_(torch.from_numpy(layer.b.reshape(-1).copy()))
            layers.append(linear)
        else:
            layers.append(torch.nn.Tanh())
    return torch.nn.Sequential(*layers)


# What is frozen at each step: the first layer for good, the middle one from step 5 to 11.
def frozen_at(step: int) -> tuple[int, ...]:
    return (0, 2) if 5 <= step < 12 else (0,)


PARITY_STEPS = 18


def flat(params) -> np.ndarray:
    return np.concatenate([np.asarray(p, dtype=np.float64).reshape(-1) for p in params])


def run_minitorch(name: str, options: dict) -> tuple[nn.Sequential, np.ndarray]:
    model = make_model()
    initial = [p.copy() for p in model.parameters()]
    optimizer = getattr(optim, name)(model, **options)  # built before any freezing
    loss_fn = nn.MSELoss()
    trajectory = []
    for step in range(PARITY_STEPS):
        for index in (0, 2):
            model[index].requires_grad_(index not in frozen_at(step))
        x, y = batch(step, np.float64)
        optimizer.zero_grad()
        loss_fn(model(x), y)
        model.backward(loss_fn.backward())
        optimizer.step()
        trajectory.append(flat(model.parameters()))
    return initial, np.stack(trajectory)


def run_torch(initial, name: str, options: dict) -> np.ndarray:
    reference = make_model()
    for param, value in zip(reference.parameters(), initial, strict=True):
        param[...] = value
    model = torch_model(reference)
    optimizer = getattr(torch.optim, name)(model.parameters(), foreach=False, **options)
    trajectory = []
    for step in range(PARITY_STEPS):
        for index in (0, 2):
            model[index].requires_grad_(index not in frozen_at(step))
        x, y = (torch.from_numpy(a) for a in batch(step, np.float64))
        optimizer.zero_grad()
        torch.nn.functional.mse_loss(model(x), y).backward()
        optimizer.step()
        params = []
        for layer in model:
            if isinstance(layer, torch.nn.Linear):
                params += [layer.weight.detach().numpy().T, layer.bias.detach().numpy()]
        trajectory.append(flat(params))
    return np.stack(trajectory)


@pytest.mark.parity
@pytest.mark.parametrize(("name", "options"), OPTIMIZERS, ids=IDS)
def test_freezing_and_unfreezing_mid_run_matches_torch(float64, name, options):
    initial, ours = run_minitorch(name, options)
    case = "freeze_" + IDS[OPTIMIZERS.index((name, options))].replace("=", "").replace(".", "p")
    theirs = lambda: {"params": run_torch(initial, name, options)}  # noqa: E731
    assert_matches_torch(case, {"params": ours}, theirs)


def test_unfreezing_goes_on_from_the_state_the_layer_had():
    """Adam's step count of a layer frozen for 5 steps is 5 behind the others' afterwards."""
    model = make_model()
    optimizer = optim.Adam(model, lr=0.01)
    for step in range(3):
        train_step(model, optimizer, step)
    model[4].requires_grad_(False)
    for step in range(5):
        train_step(model, optimizer, 10 + step)
    model[4].requires_grad_()
    assert not model[4].frozen
    for step in range(2):
        train_step(model, optimizer, 20 + step)
    assert [optimizer.state[i]["step"] for i in range(6)] == [10, 10, 10, 10, 5, 5]


# ------------------------------------------------------------------ clipping
def test_clip_grad_norm_leaves_frozen_gradients_out_as_torch_does(float64):
    model = make_model()
    reference = torch_model(model)
    model[2].requires_grad_(False)
    reference[2].requires_grad_(False)
    x, y = batch(0, np.float64)
    loss_fn = nn.MSELoss()
    loss_fn(model(x), y)
    model.backward(loss_fn.backward())
    frozen_grads = [g.copy() for g in model[2].grads()]
    torch.nn.functional.mse_loss(reference(torch.from_numpy(x)), torch.from_numpy(y)).backward()
    ours = clip_grad_norm_(model, max_norm=0.01)
    theirs = torch.nn.utils.clip_grad_norm_(reference.parameters(), max_norm=0.01)
    assert abs(float(ours) - float(theirs)) <= 1e-12 * float(theirs)
    assert all(np.array_equal(a, b) for a, b in zip(model[2].grads(), frozen_grads, strict=True))
    assert np.allclose(model[0].dW, reference[0].weight.grad.numpy().T, rtol=1e-12, atol=0)


def test_clip_grad_norm_of_a_frozen_model_is_zero():
    model = make_model()
    model.requires_grad_(False)
    loss_fn = nn.MSELoss()
    x, y = batch(0)
    loss_fn(model(x), y)
    model.backward(loss_fn.backward())
    assert float(clip_grad_norm_(model, 1.0)) == 0.0


# ------------------------------------------------------------------ saving and loading
def test_state_dicts_are_unaffected_and_an_optimizer_state_round_trips(tmp_path):
    model = make_model()
    model[0].requires_grad_(False)
    assert model.state_dict().keys() == make_model().state_dict().keys()
    optimizer = optim.Adam(model, lr=0.01, weight_decay=0.1)
    for step in range(4):
        train_step(model, optimizer, step)
    path = minitorch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict()},
                          tmp_path / "ckpt.npz")
    assert sorted(optimizer.state) == [2, 3, 4, 5]

    resumed = make_model()
    resumed[0].requires_grad_(False)
    resumed_optimizer = optim.Adam(resumed, lr=0.01, weight_decay=0.1)
    loaded = minitorch.load(path)
    resumed.load_state_dict(loaded["model"])
    resumed_optimizer.load_state_dict(loaded["optimizer"])
    assert resumed[0].frozen and not resumed[2].frozen
    for step in range(4, 9):
        train_step(model, optimizer, step)
        train_step(resumed, resumed_optimizer, step)
    assert snapshot(resumed) == snapshot(model)


# ------------------------------------------------------------------ the flag itself
def test_requires_grad_is_recursive_returns_self_and_is_asked_with_frozen():
    model = make_model()
    assert model.requires_grad_(False) is model
    assert model.frozen and model.frozen_flags() == [True] * 6
    model[4].requires_grad_()  # unfreeze the head only, as on PyTorch's parameters
    assert not model.frozen and model[0].frozen and not model[4].frozen
    assert model.frozen_flags() == [True, True, True, True, False, False]
    assert nn.ReLU().frozen is False and nn.ReLU().requires_grad_(False).frozen is True


def test_a_layer_inside_a_container_of_ones_own_is_found():
    class Encoder(nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = [nn.Linear(3, 3), nn.Linear(3, 2)]  # a plain list of Modules

        def forward(self, x):
            return self.layers[1](self.layers[0](x))

    encoder = Encoder()
    encoder.layers[1].requires_grad_(False)
    assert encoder.frozen_flags() == [False, False, True, True]


def test_a_tied_weight_is_frozen_with_the_layer_that_owns_it():
    embedding = nn.Embedding(7, 4)
    head = nn.TiedLinear(embedding, bias=True)
    model = nn.ModuleList([embedding, head])
    head.requires_grad_(False)  # the head owns only its bias
    assert model.frozen_flags() == [False, True]
    head.requires_grad_()
    embedding.requires_grad_(False)
    assert model.frozen_flags() == [True, False]


def test_weight_decay_groups_and_parameter_groups_honour_freezing():
    model = make_model()
    decay, no_decay = optim.weight_decay_groups(model)
    optimizer = optim.AdamW(
        [{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}]
    )
    model[0].requires_grad_(False)
    before = snapshot(model[0])
    for step in range(5):
        train_step(model, optimizer, step)
    assert snapshot(model[0]) == before
    assert decay.frozen_flags() == [True, False, False] and no_decay.frozen_flags()[0]
    with pytest.raises(TypeError, match=r"ParameterGroup.requires_grad_: freeze the model's lay"):
        decay.requires_grad_(False)


def test_a_module_like_object_without_frozen_flags_is_trained():
    class Bare:
        def __init__(self):
            self.W, self.dW = np.ones(3), np.ones(3)

        def parameters(self):
            return [self.W]

        def grads(self):
            return [self.dW]

        def zero_grad(self):
            pass

    bare = Bare()
    nn.Linear(2, 2).requires_grad_(False)  # freezing elsewhere makes the optimizer look again
    optim.SGD(bare, lr=0.5).step()
    assert np.array_equal(bare.W, np.full(3, 0.5))


def test_the_step_looks_again_only_after_a_requires_grad_call(monkeypatch):
    model = make_model()
    optimizer = optim.SGD(model, lr=0.1)
    train_step(model, optimizer, 0)
    calls = []
    original = nn.Module.frozen_flags
    monkeypatch.setattr(nn.Module, "frozen_flags", lambda self: calls.append(1) or original(self))
    for step in range(3):
        train_step(model, optimizer, step)
    assert calls == []
    model[0].requires_grad_(False)
    for step in range(3):
        train_step(model, optimizer, step)
    assert calls == [1]


def test_summary_counts_trainable_and_frozen_parameters(capsys):
    model = make_model()
    model[0].requires_grad_(False)
    table = nn.summary(model, (1, 5), verbose=False)
    assert table.total_parameters == 24 + 20 + 15 and table.trainable_parameters == 20 + 15
    assert "trainable parameters: 35, frozen: 24" in str(table)


# ------------------------------------------------------------------ the habits that cannot work
@pytest.mark.parametrize(
    ("action", "error", "words"),
    [
        (lambda m: m.requires_grad, AttributeError,
         r"no requires_grad flag \(p\.requires_grad = False on one cannot work.*"
         r"module\.requires_grad_\(False\) freezes.*module\.frozen says"),
        (lambda m: setattr(m, "requires_grad", False), AttributeError,
         r"Sequential\.requires_grad = False would freeze nothing.*requires_grad_\(False\)"),
        (lambda m: setattr(m[0], "frozen", True), AttributeError,
         r"Linear\.frozen is read-only: freeze with module\.requires_grad_\(False\)"),
        (lambda m: m.requires_grad_("no"), TypeError,
         r"Sequential\.requires_grad_: requires_grad must be True or False, got 'no'"),
        (lambda m: m.requires_grad_(0), TypeError, r"requires_grad must be True or False"),
    ],
    ids=["read-flag", "set-flag", "set-frozen", "string", "int"],
)
def test_pytorch_habits_that_cannot_work_say_the_minitorch_way(action, error, words):
    model = make_model()
    with pytest.raises(error, match=words):
        action(model)
    assert not model.frozen and "requires_grad" not in vars(model)


def test_an_array_has_no_requires_grad_flag():
    """NumPy refuses ``p.requires_grad = False`` with its own AttributeError; the layer's
    attribute says what to write instead (the test above)."""
    param = make_model().parameters()[0]
    with pytest.raises(AttributeError, match="requires_grad"):
        param.requires_grad = False


# ------------------------------------------------------------------ named_parameters
def test_named_parameters_are_pytorchs_pairs_in_parameters_order():
    model = make_model()
    named = model.named_parameters()
    assert [name for name, _ in named] == ["0.W", "0.b", "2.W", "2.b", "4.W", "4.b"]
    assert all(p is q for (_, p), q in zip(named, model.parameters(), strict=True))
    assert list(dict(named)) == list(model.state_dict())
    reference = torch_model(model)  # the same order as PyTorch's, weight for W
    names = [name for name, _ in reference.named_parameters()]
    assert [n.replace("weight", "W").replace("bias", "b") for n in names] == list(dict(named))
