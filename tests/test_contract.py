"""The Module contract for every architecture: containers, one forward per backward, several
inputs or none, shared weights, check_module's classic-bug checks and the zero_grad rule.

docs/contract.md states the rules these tests hold minitorch to.
"""

from __future__ import annotations

import numpy as np
import pytest

import minitorch
from minitorch import nn, optim
from minitorch.testing import check_module, gradcheck
from parity import HAVE_TORCH, torch, torch_tensor

needs_torch = pytest.mark.skipif(not HAVE_TORCH, reason="compares with PyTorch")


class TwoHeads(nn.Module):
    """A model of one's own: a trunk, a ModuleList of blocks and a ModuleDict of heads."""

    def __init__(self):
        super().__init__()
        self.trunk = nn.Linear(4, 6)
        self.layers = nn.ModuleList([nn.Linear(6, 6), nn.Tanh()])
        self.heads = nn.ModuleDict({"a": nn.Linear(6, 2), "b": nn.Linear(6, 3)})

    def forward(self, x):
        h = self.trunk(x)
        for layer in self.layers:
            h = layer(h)
        return np.concatenate([self.heads["a"](h), self.heads["b"](h)], axis=-1)

    def backward(self, grad_output):
        g = self.heads["a"].backward(grad_output[:, :2]) + self.heads["b"].backward(
            grad_output[:, 2:]
        )
        for layer in reversed(self.layers):
            g = layer.backward(g)
        return self.trunk.backward(g)


# ---------------------------------------------------------------------- 1. containers
def test_module_list_and_dict_behave_like_pytorchs():
    blocks = nn.ModuleList([nn.Linear(2, 2)])
    blocks.append(nn.ReLU())
    blocks.extend([nn.Linear(2, 3)])
    blocks.insert(1, nn.Tanh())
    assert len(blocks) == 4 and isinstance(blocks[1], nn.Tanh) and isinstance(blocks[-1], nn.Linear)
    assert isinstance(blocks[1:], nn.ModuleList) and len(blocks[1:]) == 3
    assert [type(m).__name__ for m in blocks] == ["Linear", "Tanh", "ReLU", "Linear"]
    heads = nn.ModuleDict({"a": nn.Linear(2, 2)})
    heads["b"] = nn.ReLU()
    heads.update({"c": nn.Tanh()})
    assert list(heads) == list(heads.keys()) == ["a", "b", "c"] and "b" in heads
    assert [type(m).__name__ for m in heads.values()] == ["Linear", "ReLU", "Tanh"]
    assert [k for k, _ in heads.items()] == ["a", "b", "c"] and len(heads) == 3
    del heads["c"]
    assert isinstance(heads.pop("b"), nn.ReLU) and list(heads) == ["a"]
    with pytest.raises(KeyError, match=r"without '\.'"):
        heads["x.y"] = nn.ReLU()
    with pytest.raises(TypeError, match="write ReLU\\(\\) with parentheses"):
        blocks.append(nn.ReLU)
    with pytest.raises(NotImplementedError, match="container, not a layer"):
        blocks(np.ones((1, 2)))


def test_containers_reach_parameters_state_mode_summary_and_repr():
    model = TwoHeads()
    names = [name for name, _ in model.named_parameters()]
    assert names == [
        "trunk.W", "trunk.b", "layers.0.W", "layers.0.b",
        "heads.a.W", "heads.a.b", "heads.b.W", "heads.b.b",
    ]  # fmt: skip
    assert len(model.parameters()) == len(model.grads()) == 8
    assert list(model.state_dict()) == names
    model.eval()
    assert not any(m.training for m in model.modules())
    text = repr(model)
    assert "(layers): ModuleList(\n    (0): Linear" in text and "(heads): ModuleDict(" in text
    assert "(a): Linear(input_dim=6, output_dim=2" in text
    assert nn.summary(model, (1, 4)).total_parameters == model.num_parameters() == 30 + 42 + 14 + 21
    assert check_module(model, (5, 4))
    assert gradcheck(model, np.random.default_rng(0).standard_normal((3, 4)))


@needs_torch
def test_module_walks_match_pytorchs():
    ours = nn.Sequential(nn.Linear(2, 3), nn.Sequential(nn.ReLU(), nn.Linear(3, 1)))
    theirs = torch.nn.Sequential(
        torch.nn.Linear(2, 3), torch.nn.Sequential(torch.nn.ReLU(), torch.nn.Linear(3, 1))
    )
    assert [n for n, _ in ours.named_modules()] == [n for n, _ in theirs.named_modules()]
    assert [n for n, _ in ours.named_children()] == [n for n, _ in theirs.named_children()]
    assert [type(m).__name__ for m in ours.modules()] == [
        type(m).__name__ for m in theirs.modules()
    ]
    assert len(ours.children()) == len(list(theirs.children())) == 2
    visited_ours, visited_theirs = [], []
    assert ours.apply(lambda m: visited_ours.append(type(m).__name__)) is ours
    theirs.apply(lambda m: visited_theirs.append(type(m).__name__))
    assert visited_ours == visited_theirs  # children first, then the module itself


def test_a_module_used_twice_is_listed_once():
    shared = nn.Linear(2, 2)

    class Holder(nn.Module):
        def __init__(self):
            super().__init__()
            self.encoder = shared
            self.first_layer = shared  # a second name for the same module

    model = Holder()
    assert model.parameters() == [shared.W, shared.b]
    assert len(list(model.named_modules())) == 2
    optim.SGD(model, lr=0.1)  # accepted: each parameter once


@pytest.mark.parametrize(
    ("value", "fix"),
    [
        ({"a": nn.Linear(2, 2)}, "nn.ModuleDict"),
        ({nn.Linear(2, 2)}, "nn.ModuleList"),
        ([[nn.Linear(2, 2)], [nn.ReLU()]], "nn.ModuleList"),
        ([nn.Linear(2, 2), "not a module"], "nn.ModuleList"),
        ({"a": [nn.Linear(2, 2)]}, "nn.ModuleDict"),
    ],
    ids=["dict", "set", "nested-list", "mixed-list", "dict-of-lists"],
)
def test_a_module_hidden_in_a_plain_container_is_refused(value, fix):
    class Hides(nn.Module):
        def __init__(self):
            super().__init__()
            self.visible = nn.Linear(2, 2)
            self.blocks = value

    model = Hides()
    for call in (model.parameters, model.state_dict, lambda: optim.Adam(model), model.train):
        with pytest.raises(TypeError, match=r"Hides\.blocks is a \w+ that holds Modules") as e:
            call()
        assert fix in str(e.value)


def test_a_plain_list_of_modules_is_still_found():
    class Plain(nn.Module):
        def __init__(self):
            super().__init__()
            self.blocks = [nn.Linear(2, 2), nn.Linear(2, 2)]

    assert [n for n, _ in Plain().named_parameters()] == [
        "blocks.0.W", "blocks.0.b", "blocks.1.W", "blocks.1.b",
    ]  # fmt: skip


def test_sequential_keeps_its_layers_private_and_modules_is_the_method():
    a, b = nn.Linear(2, 3), nn.ReLU()
    model = nn.Sequential(a, b)
    assert callable(model.modules) and model.modules() == [model, a, b]
    assert list(model) == [a, b] and model._modules == [a, b]


# ------------------------------------------------------------ 2. one forward, one backward
def test_sequential_refuses_a_repeated_instance_naming_both_positions():
    relu = nn.ReLU()
    with pytest.raises(ValueError, match=r"same ReLU instance is at positions 1 and 3") as e:
        nn.Sequential(nn.Linear(2, 2), relu, nn.Linear(2, 2), relu)
    assert "minitorch.nn.functional" in str(e.value)
    with pytest.raises(ValueError, match=r"positions 0 and 1\.0"):
        nn.Sequential(relu, nn.Sequential(relu))
    model = nn.Sequential(nn.Linear(2, 2), relu)
    with pytest.raises(ValueError, match="positions 1 and 2"):
        model.append(relu)
    assert len(model) == 2  # the refused append left the model as it was
    with pytest.raises(ValueError, match="positions 0 and 2"):
        model.insert(0, relu)
    assert len(model) == 2


def discriminator(seed=0):
    minitorch.manual_seed(seed)
    return nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1)).double()


def test_two_forwards_before_one_backward_are_refused():
    D, loss_fn = discriminator(), nn.BCEWithLogitsLoss()
    rng = np.random.default_rng(0)
    real, fake = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
    D(real)
    loss_fn(D(fake), np.zeros((4, 1)))
    with pytest.raises(RuntimeError, match="ran forward 2 times since its last backward") as e:
        D.backward(loss_fn.backward())
    assert "D(real), backward, D(fake), backward" in str(e.value)
    layer = nn.Linear(3, 1)
    layer(real)
    layer(fake)
    with pytest.raises(RuntimeError, match=r"Linear\.backward\(\): this Linear ran forward 2"):
        layer.backward(np.ones((4, 1), np.float32))


def test_forwards_without_backward_in_eval_mode_or_no_grad_are_fine():
    D = discriminator()
    x = np.ones((2, 3))
    D(x)
    D.backward(np.ones((2, 1)))
    D.eval()
    for _ in range(3):
        D(x)  # an evaluation loop between training steps
    D.train()
    with minitorch.no_grad():
        D(x)  # monitoring
    D(x)
    D.backward(np.ones((2, 1)))
    D(x)
    with minitorch.no_grad():
        D(x)  # overwrote the training forward's cache
    with pytest.raises(RuntimeError, match=r"ran under minitorch\.no_grad"):
        D.backward(np.ones((2, 1)))
    D(x)
    D.eval()
    D(x)  # an eval forward while a training forward is pending overwrites its cache
    with pytest.raises(RuntimeError, match="ran forward 2 times"):
        D.backward(np.ones((2, 1)))


@needs_torch
def test_the_gan_pattern_gives_the_summed_gradient_of_pytorch():
    D = discriminator()
    loss_fn = nn.BCEWithLogitsLoss()
    rng = np.random.default_rng(1)
    real, fake = rng.standard_normal((5, 3)), rng.standard_normal((5, 3))
    D.zero_grad()
    loss_fn(D(real), np.ones((5, 1)))
    D.backward(loss_fn.backward())
    loss_fn(D(fake), np.zeros((5, 1)))
    D.backward(loss_fn.backward())

    td = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 1))
    with torch.no_grad():
        for i in (0, 2):
            td[i].weight.copy_(torch_tensor(D[i].W.T))
            td[i].bias.copy_(torch_tensor(D[i].b[0]))
    bce = torch.nn.BCEWithLogitsLoss()
    loss = bce(td(torch_tensor(real)), torch.ones(5, 1)) + bce(
        td(torch_tensor(fake)), torch.zeros(5, 1)
    )
    loss.backward()
    for i in (0, 2):
        np.testing.assert_allclose(D[i].dW, td[i].weight.grad.numpy().T, rtol=1e-12)
        np.testing.assert_allclose(D[i].db[0], td[i].bias.grad.numpy(), rtol=1e-12)


# ---------------------------------------------------------------------- 3. several inputs, or none
class Bilinear(nn.Module):
    """z = (x ⊙ y) W: two inputs, one parameter. backward returns (dx, dy)."""

    def __init__(self, dim):
        super().__init__()
        self.W = minitorch.generator().standard_normal((dim, 2))
        self.dW = None
        self.cache = None

    def forward(self, x, y):
        self.cache = (x, y)
        return (x * y) @ self.W

    def backward(self, grad_output):
        x, y = self._saved(self.cache)
        self.dW = nn.accumulate_grad(self.dW, (x * y).T @ grad_output, owned=True)
        d_xy = grad_output @ self.W.T
        return d_xy * y, d_xy * x

    def parameters(self):
        return [self.W]

    def grads(self):
        return [self.dW]


def test_several_inputs_get_a_tuple_of_gradients_in_order():
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
    report = gradcheck(Bilinear(3), x, y)
    assert [row.name for row in report.rows] == ["input0", "input1", "W"]
    assert check_module(Bilinear(3).double(), (4, 3), (4, 3))

    class ForgetsOne(Bilinear):
        def backward(self, grad_output):
            return super().backward(grad_output)[0]

    report = check_module(ForgetsOne(3), (4, 3), (4, 3), raise_exception=False)
    assert "must return a tuple of 2 gradients" in str(report)


def test_integer_inputs_check_only_the_parameters():
    indices = np.array([[1, 2, 2], [0, 4, 1]])
    report = gradcheck(nn.Embedding(5, 3), indices)
    assert [row.name for row in report.rows] == ["W"]
    assert check_module(nn.Embedding(5, 3), indices)

    class ReturnsSomething(nn.Embedding):
        def backward(self, grad_output):
            super().backward(grad_output)
            return grad_output

    report = check_module(ReturnsSomething(5, 3), indices, raise_exception=False)
    assert "should return None for it" in str(report)


def test_none_gradients_in_a_sequential():
    minitorch.manual_seed(0)
    model = nn.Sequential(nn.Embedding(5, 3), nn.Linear(3, 2))
    model(np.array([[1, 2]]))
    assert model.backward(np.ones((1, 2, 2), np.float32)) is None  # the first module ends it

    model = nn.Sequential(nn.Flatten(), nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
    model.needs_input_grad = False  # reaches Flatten and the first Linear
    assert [m.needs_input_grad for m in model] == [False, False, True, True]
    model(np.ones((2, 2, 2), np.float32))
    assert model.backward(np.ones((2, 2), np.float32)) is None
    assert model[1].dW is not None

    model.needs_input_grad = True
    model[1].needs_input_grad = False  # a first *layer* told, but the chain's input needs dL/dx
    model(np.ones((2, 2, 2), np.float32))
    with pytest.raises(RuntimeError, match="input needs a gradient"):
        model.backward(np.ones((2, 2), np.float32))

    model = nn.Sequential(nn.Linear(4, 3), nn.Linear(3, 2))
    model[1].needs_input_grad = False  # a None in the middle loses the first layer's gradient
    model(np.ones((2, 4), np.float32))
    with pytest.raises(RuntimeError, match=r"module 1 \(Linear\).backward returned None, but "):
        model.backward(np.ones((2, 2), np.float32))


# ---------------------------------------------------------------------- 4. shared weights
class TinyLM(nn.Module):
    """An embedding and an output head tied to it, as GPT-2 ties wte and lm_head."""

    def __init__(self):
        super().__init__()
        self.wte = nn.Embedding(7, 4)
        self.mix = nn.Linear(4, 4)
        self.head = nn.TiedLinear(self.wte)

    def forward(self, idx):
        return self.head(self.mix(self.wte(idx)))

    def backward(self, grad_output):
        return self.wte.backward(self.mix.backward(self.head.backward(grad_output)))


def test_a_tied_weight_appears_once_and_stays_shared():
    minitorch.manual_seed(0)
    model = TinyLM()
    assert [n for n, _ in model.named_parameters()] == ["wte.W", "mix.W", "mix.b"]
    assert list(model.state_dict()) == ["wte.W", "mix.W", "mix.b"]
    assert "weight=Wᵀ of Embedding" in repr(model)
    other = TinyLM()
    other.load_state_dict(model.state_dict())
    y = other.head(np.ones((1, 4), np.float32))
    np.testing.assert_allclose(y, other.wte.W.sum(1)[None], rtol=1e-6)
    other.wte.W[0] = 0  # the head reads the embedding's array itself
    assert other.head(np.ones((1, 4), np.float32))[0, 0] == 0
    model.double()
    assert model.head(np.ones((1, 4))).dtype == np.float64  # reads the converted W
    assert gradcheck(model, np.array([[1, 3, 3, 6]]))
    assert check_module(model, np.array([[1, 3, 3, 6], [0, 0, 2, 5]]))
    with pytest.raises(TypeError, match="needs a Module with a 2-D weight W"):
        nn.TiedLinear(nn.ReLU())


@needs_torch
def test_tied_weights_match_a_tied_torch_model_through_an_optimizer():
    minitorch.manual_seed(0)
    model = TinyLM().double()
    idx = np.array([[1, 3, 3, 6], [0, 2, 5, 5]])
    targets = np.array([[3, 3, 6, 0], [2, 5, 5, 1]])
    loss_fn = nn.CrossEntropyLoss()
    optimizer = optim.AdamW(model, lr=0.1)

    class TorchLM(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.wte = torch.nn.Embedding(7, 4)
            self.mix = torch.nn.Linear(4, 4)
            self.head = torch.nn.Linear(4, 7, bias=False)
            self.head.weight = self.wte.weight  # nanoGPT's tie

    ref = TorchLM()
    with torch.no_grad():
        ref.wte.weight.copy_(torch_tensor(model.wte.W))
        ref.mix.weight.copy_(torch_tensor(model.mix.W.T))
        ref.mix.bias.copy_(torch_tensor(model.mix.b[0]))
    assert len(list(ref.parameters())) == 3  # torch too lists the tied weight once
    ref_opt = torch.optim.AdamW(ref.parameters(), lr=0.1)
    for _ in range(3):
        logits = model(idx)
        loss_fn(logits.reshape(-1, 7), targets.reshape(-1))
        optimizer.zero_grad()
        model.backward(loss_fn.backward().reshape(logits.shape))
        optimizer.step()
        ref_opt.zero_grad()
        out = ref.head(ref.mix(ref.wte(torch.as_tensor(idx))))
        flat_targets = torch.as_tensor(targets).reshape(-1)
        torch.nn.functional.cross_entropy(out.reshape(-1, 7), flat_targets).backward()
        ref_opt.step()
    expected = ref.wte.weight.detach().numpy()
    np.testing.assert_allclose(model.wte.W, expected, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(model.mix.W, ref.mix.weight.detach().numpy().T, rtol=1e-10)


# ---------------------------------------------------------------------- 6. check_module's bugs
def test_check_module_names_a_trainable_array_left_out_of_parameters():
    class ForgetsBias(nn.Linear):
        def parameters(self):
            return [self.W]

        def grads(self):
            return [self.dW]

    report = check_module(ForgetsBias(3, 2), (4, 3), raise_exception=False)
    failed = [c for c in report.checks if not c.ok]
    assert failed[0].name == "parameters() includes every array that has a gradient"
    assert failed[0].detail.startswith("b has a gradient (db) but parameters() leaves it out")


def test_check_module_says_backward_forgot_to_return():
    class NoReturn(nn.Linear):
        def backward(self, grad_output):
            super().backward(grad_output)

    report = check_module(NoReturn(3, 2), (4, 3), raise_exception=False)
    assert "did you forget `return grad_input`" in str(report)


# ---------------------------------------------------------------------- 11. zero_grad
def test_zero_grad_sets_to_none_and_the_next_backward_stores_in_one_pass():
    layer = nn.Linear(3, 2)
    x, g = np.ones((4, 3), np.float32), np.ones((4, 2), np.float32)
    layer(x)
    layer.backward(g)
    layer.zero_grad()
    assert layer.grads() == [None, None]
    layer(x)
    layer.backward(g)
    first = layer.dW
    assert first.flags.owndata and not np.shares_memory(first, g)
    layer(x)
    layer.backward(g)
    assert layer.dW is first  # accumulated in place
    np.testing.assert_array_equal(layer.dW, 2 * (x.T @ g))
    layer.zero_grad(set_to_none=False)
    assert layer.dW is first and not first.any()


def test_zero_grad_finds_gradients_that_moved_since_its_last_walk():
    # zero_grad remembers where each gradient was (nn.module._GradSlots) and checks it is
    # still there before taking the short way; every change below must still clear everything.
    class Renames(nn.Linear):  # keeps its weight gradient under a name of its choosing
        grad_name = "dW"

        def backward(self, grad_output):
            dx = super().backward(grad_output)
            if self.grad_name != "dW":
                setattr(self, self.grad_name, self.dW)
                self.dW = None
            return dx

        def grads(self):
            return [getattr(self, self.grad_name, None), self.db]

    x = np.ones((4, 3), np.float32)
    model = nn.Sequential(Renames(3, 2), nn.ReLU())

    def train_once():
        out = model(x)
        model.backward(np.ones_like(out))
        assert all(g is not None for g in model.grads())
        model.zero_grad()
        assert model.grads() == [None] * len(model.grads())

    train_once()
    train_once()  # the short way
    model[0].grad_name = "weight_gradient"  # the gradient moves to another attribute
    train_once()
    assert model[0].weight_gradient is None
    model.append(nn.Linear(2, 2))  # a new layer brings gradients the slots do not know
    train_once()
    train_once()
    model[2].dW = np.ones((2, 2), np.float32)  # a gradient put there by hand
    model.zero_grad()
    assert model[2].dW is None
    out = model(x)
    model.backward(np.ones_like(out))
    kept = model.grads()
    model.zero_grad(set_to_none=False)  # zero-filled in place, slots or not
    assert all(g is k and not g.any() for g, k in zip(model.grads(), kept, strict=True))


def test_accumulate_grad_copies_what_it_does_not_own():
    g = np.ones(3)
    stored = nn.accumulate_grad(None, g)
    assert stored is not g and not np.shares_memory(stored, g)
    assert nn.accumulate_grad(None, g, owned=True) is g
    assert nn.accumulate_grad(stored, g) is stored and stored.tolist() == [2, 2, 2]


def test_zero_grad_reaches_gradients_kept_anywhere():
    class KeepsInDict(nn.Module):
        def __init__(self):
            super().__init__()
            self.W = np.ones(2)
            self.store = {"dW": np.ones(2)}

        def parameters(self):
            return [self.W]

        def grads(self):
            return [self.store["dW"]]

    module = KeepsInDict()
    module.zero_grad()  # cannot set a dict entry to None: fills it with zeros instead
    assert module.grads()[0].tolist() == [0, 0]
