"""The Module contract: containers, names, state dicts, modes, dtypes, printing."""

from __future__ import annotations

import numpy as np
import pytest

import minitorch
from minitorch import nn
from minitorch.testing import check_module, gradcheck


def mlp() -> nn.Sequential:
    return nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))


class RunningMean(nn.Module):
    """A layer with a buffer, like BatchNorm's running statistics."""

    buffer_names = ("running_mean",)

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.running_mean = np.zeros(dim)
        self.x = None

    def forward(self, x):
        if self.training:
            self.running_mean += 0.1 * (x.mean(axis=0) - self.running_mean)
        self.x = x
        return x - self.running_mean

    def backward(self, grad_output):
        return grad_output


class TwoTower(nn.Module):
    """A student's composite module: children held as attributes and in a list."""

    def __init__(self) -> None:
        super().__init__()
        self.encoder = nn.Linear(4, 5)
        self.act = nn.Tanh()
        self.heads = [nn.Linear(5, 2), nn.Linear(5, 2)]

    def forward(self, x):
        h = self.act(self.encoder(x))
        return self.heads[0](h) + self.heads[1](h)

    def backward(self, grad_output):
        dh = self.heads[0].backward(grad_output) + self.heads[1].backward(grad_output)
        return self.encoder.backward(self.act.backward(dh))


class Scale(nn.Module):
    """A student's layer written exactly as the spec shows: it overrides parameters/grads."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.gamma = np.ones((1, dim))
        self.dgamma = None
        self.x = None

    def forward(self, x):
        self.x = x
        return x * self.gamma

    def backward(self, grad_output):
        new = (grad_output * self.x).sum(axis=0, keepdims=True)
        self.dgamma = nn.accumulate_grad(self.dgamma, new)
        return grad_output * self.gamma

    def parameters(self):
        return [self.gamma]

    def grads(self):
        return [self.dgamma]


def test_sequential_both_constructor_forms():
    a, b = nn.Linear(2, 3), nn.ReLU()
    assert list(nn.Sequential(a, b)) == list(nn.Sequential([a, b])) == [a, b]
    assert nn.Sequential(a, b).modules()[1:] == [a, b]  # PyTorch's method: itself, then below
    assert len(nn.Sequential()) == 0


def test_sequential_indexing_len_iteration_append():
    model = mlp()
    assert len(model) == 3 and isinstance(model[1], nn.ReLU) and isinstance(model[-1], nn.Linear)
    assert [type(m).__name__ for m in model] == ["Linear", "ReLU", "Linear"]
    head = model[:2]
    assert isinstance(head, nn.Sequential) and len(head) == 2 and head[0] is model[0]
    assert model.append(nn.Softmax(dim=1)) is model and len(model) == 4
    y = model(np.ones((2, 4)))
    np.testing.assert_allclose(y.sum(axis=1), 1.0, rtol=1e-6)


def test_sequential_forward_and_backward_chain(float64):
    model = mlp()
    x = np.random.default_rng(0).standard_normal((5, 4))
    h = model[2](model[1](model[0](x)))
    np.testing.assert_array_equal(model(x), h)
    assert gradcheck(model, x, atol=1e-7, rtol=1e-6)
    assert check_module(model, (5, 4))


def test_sequential_rejects_non_modules():
    with pytest.raises(TypeError, match=r"is the class ReLU, not a module: write ReLU\(\)"):
        nn.Sequential(nn.Linear(2, 2), nn.ReLU)
    with pytest.raises(TypeError, match="must be a Module, got int"):
        nn.Sequential(3)
    with pytest.raises(TypeError, match="must be a Module"):
        mlp().append("relu")


def test_parameters_and_grads_are_collected_recursively():
    model = nn.Sequential(mlp(), nn.Linear(3, 2))
    assert len(model.parameters()) == 6
    assert model.parameters()[0] is model[0][0].W
    assert model.grads() == [None] * 6
    model(np.ones((2, 4)))
    model.backward(np.ones((2, 2)))
    assert all(g.shape == p.shape for p, g in zip(model.parameters(), model.grads(), strict=False))
    assert model.num_parameters() == 4 * 8 + 8 + 8 * 3 + 3 + 3 * 2 + 2


def test_named_parameters_use_pytorch_dotted_names():
    model = nn.Sequential(mlp(), nn.Linear(3, 2, bias=False))
    names = [name for name, _ in model.named_parameters()]
    assert names == ["0.0.W", "0.0.b", "0.2.W", "0.2.b", "1.W"]
    assert list(model.state_dict()) == names


def test_composite_module_finds_children_in_attributes_and_lists(float64):
    model = TwoTower()
    assert [n for n, _ in model.named_children()] == ["encoder", "act", "heads.0", "heads.1"]
    assert [n for n, _ in model.named_parameters()] == [
        "encoder.W",
        "encoder.b",
        "heads.0.W",
        "heads.0.b",
        "heads.1.W",
        "heads.1.b",
    ]
    assert model.get_submodule("heads.1") is model.heads[1]
    x = np.random.default_rng(2).standard_normal((3, 4))
    assert gradcheck(model, x, atol=1e-7, rtol=1e-6)
    assert check_module(model, (3, 4))
    assert "(heads.0): Linear(input_dim=5, output_dim=2, bias=True)" in repr(model)


def test_spec_style_layer_is_named_by_its_attribute(float64):
    layer = Scale(3)
    assert layer.named_parameters() == [("gamma", layer.gamma)]
    model = nn.Sequential(nn.Linear(2, 3), Scale(3))
    assert "1.gamma" in model.state_dict()
    assert check_module(model, (4, 2))
    assert gradcheck(model, np.random.default_rng(0).standard_normal((4, 2)))


def test_state_dict_is_a_snapshot_and_loads_in_place():
    model = mlp()
    state = model.state_dict()
    W = model[0].W
    W += 1.0
    assert not np.array_equal(state["0.W"], W)  # a copy, not a view
    model.load_state_dict(state)
    assert model[0].W is W  # same array: an optimizer built earlier still sees it
    np.testing.assert_array_equal(W, state["0.W"])


def test_load_state_dict_strict_key_checks():
    model = mlp()
    state = model.state_dict()
    del state["2.b"]
    state["9.W"] = np.zeros(1)
    with pytest.raises(KeyError, match=r"missing: \['2.b'\]; unexpected: \['9.W'\]"):
        model.load_state_dict(state)
    before = model[0].W.copy()
    state["0.W"] = before + 1
    model.load_state_dict(state, strict=False)  # loads what matches
    np.testing.assert_array_equal(model[0].W, before + 1)


def test_load_state_dict_shape_check():
    state = mlp().state_dict()
    state["0.W"] = np.zeros((8, 4))
    with pytest.raises(
        ValueError, match=r"'0.W' has shape \(8, 4\) in the state dict but \(4, 8\)"
    ):
        mlp().load_state_dict(state)


def test_buffers_are_saved_and_loaded():
    model = nn.Sequential(nn.Linear(2, 3), RunningMean(3))
    model(np.ones((4, 2)))
    state = model.state_dict()
    assert list(state) == ["0.W", "0.b", "1.running_mean"]
    fresh = nn.Sequential(nn.Linear(2, 3), RunningMean(3))
    fresh.load_state_dict(state)
    np.testing.assert_array_equal(fresh[1].running_mean, model[1].running_mean)
    assert model.named_buffers()[0][0] == "1.running_mean"


def test_train_eval_reach_every_child():
    model = nn.Sequential(mlp(), nn.Dropout(0.5))
    assert model.training and model[0][1].training
    assert model.eval() is model
    assert not any(m.training for _, m in model.named_modules())
    model.train()
    assert all(m.training for _, m in model.named_modules())


def test_double_and_float_convert_parameters_grads_and_buffers():
    model = nn.Sequential(nn.Linear(2, 3), RunningMean(3))
    model(np.ones((2, 2)))
    model.backward(np.ones((2, 3)))
    model.double()
    assert all(p.dtype == np.float64 for p in model.parameters())
    assert all(g.dtype == np.float64 for g in model.grads())
    assert model[1].running_mean.dtype == np.float64
    assert model(np.ones((2, 2))).dtype == np.float64
    model.float()
    assert all(p.dtype == np.float32 for p in model.parameters())
    assert model(np.ones((2, 2))).dtype == np.float32


def test_default_dtype_controls_new_parameters():
    minitorch.set_default_dtype(np.float64)
    assert nn.Linear(2, 2).W.dtype == np.float64
    minitorch.set_default_dtype("float32")
    assert minitorch.get_default_dtype() == np.float32
    with pytest.raises(TypeError, match="float16, float32 or float64"):
        minitorch.set_default_dtype(np.int32)


def test_manual_seed_validation():
    with pytest.raises(TypeError, match="expects an int"):
        minitorch.manual_seed(1.5)
    with pytest.raises(ValueError, match="non-negative"):
        minitorch.manual_seed(-1)


def test_repr_like_pytorch():
    assert repr(mlp()) == (
        "Sequential(\n"
        "  (0): Linear(input_dim=4, output_dim=8, bias=True)\n"
        "  (1): ReLU()\n"
        "  (2): Linear(input_dim=8, output_dim=3, bias=True)\n"
        ")"
    )
    nested = repr(nn.Sequential(mlp()))
    assert "  (0): Sequential(\n    (0): Linear" in nested


def test_base_module_explains_what_to_implement():
    class Empty(nn.Module):
        pass

    with pytest.raises(NotImplementedError, match="Empty must implement forward"):
        Empty()(np.ones(2))
    with pytest.raises(NotImplementedError, match="Empty must implement backward"):
        Empty().backward(np.ones(2))
    assert Empty().parameters() == [] and Empty().grads() == []


def test_zero_grad_before_any_backward_is_harmless():
    model = mlp()
    model.zero_grad()
    assert model.grads() == [None] * 4


def test_check_module_catches_broken_layers():
    class CopiesParameters(nn.Linear):
        def parameters(self):
            return [self.W.copy(), self.b.copy()]

    class Overwrites(nn.Linear):
        def backward(self, grad_output):
            self.dW = self.x.T @ grad_output  # the spec's first version: no accumulation
            self.db = grad_output.sum(axis=0, keepdims=True)
            return grad_output @ self.W.T

    class MutatesGrad(nn.Linear):
        def backward(self, grad_output):
            grad_output *= 2
            return super().backward(grad_output)

    class WrongShape(nn.Linear):
        def backward(self, grad_output):
            super().backward(grad_output)
            return grad_output

    cases = {
        CopiesParameters: "parameters() includes every array that has a gradient",
        Overwrites: "backward accumulates gradients",
        MutatesGrad: "backward does not modify grad_output",
        WrongShape: "backward returns a gradient shaped like the input",
    }
    for cls, failing in cases.items():
        report = check_module(cls(3, 2), (4, 3), raise_exception=False)
        assert not report.ok
        assert next(c.name for c in report.checks if not c.ok).startswith(failing), cls
        with pytest.raises(AssertionError, match="CONTRACT BROKEN"):
            check_module(cls(3, 2), (4, 3))


def test_gradcheck_catches_a_wrong_backward_and_prints_a_table(capsys):
    class WrongTanh(nn.Tanh):
        def _backward(self, grad_output, cache):
            return grad_output * (1 - cache.y)  # forgot the square

    x = np.random.default_rng(0).standard_normal((3, 4))
    report = gradcheck(WrongTanh(), x, raise_exception=False, verbose=True)
    assert not report.ok
    printed = capsys.readouterr().out
    assert "GRADIENTS DO NOT MATCH" in printed and "input" in printed and "worst at" in printed
    with pytest.raises(AssertionError, match="GRADIENTS DO NOT MATCH"):
        gradcheck(WrongTanh(), x)


def test_gradcheck_reports_every_parameter_and_leaves_the_module_alone():
    model = mlp()
    before = model.state_dict()
    report = gradcheck(model, np.random.default_rng(0).standard_normal((2, 4)))
    assert [row.name for row in report.rows] == ["input", "0.W", "0.b", "2.W", "2.b"]
    assert all(np.array_equal(before[k], v) for k, v in model.state_dict().items())
    assert model[0].W.dtype == np.float32
    assert "all gradients match" in str(report)


def test_summary_table():
    model = nn.Sequential(
        nn.Flatten(), nn.Linear(64, 16), nn.ReLU(), nn.Dropout(0.5), nn.Linear(16, 10)
    )
    summary = nn.summary(model, (2, 1, 8, 8))
    assert [(r.name, r.layer, r.output_shape) for r in summary.rows] == [
        ("0", "Flatten", (2, 64)),
        ("1", "Linear", (2, 16)),
        ("2", "ReLU", (2, 16)),
        ("3", "Dropout", (2, 16)),
        ("4", "Linear", (2, 10)),
    ]
    assert summary.total_parameters == 64 * 16 + 16 + 16 * 10 + 10 == model.num_parameters()
    assert summary.output_shape == (2, 10)
    text = str(summary)
    assert "total parameters: 1,210" in text and "1 Linear" in text
    assert model.training  # restored after the eval-mode pass


def test_summary_of_a_composite_module():
    summary = nn.summary(TwoTower(), (3, 4))
    assert summary.rows[0].output_shape == (3, 2)
    assert [r.name for r in summary.rows[1:]] == ["encoder", "act", "heads.0", "heads.1"]
    assert summary.total_parameters == 4 * 5 + 5 + 2 * (5 * 2 + 2)


def test_summary_of_models_that_start_with_an_embedding():
    from minitorch.models import GPT

    model = nn.Sequential(nn.Embedding(50, 8), nn.Flatten(), nn.Linear(5 * 8, 3))
    summary = nn.summary(model, (2, 5))  # token ids, not floats, go in
    assert [r.output_shape for r in summary.rows] == [(2, 5, 8), (2, 40), (2, 3)]
    gpt = GPT(vocab_size=30, block_size=8, n_layer=1, n_head=2, n_embd=8)
    assert nn.summary(gpt, (2, 8), verbose=False).output_shape == (2, 8, 30)


def test_scalar_buffers_round_trip():
    class Counter(nn.Identity):
        buffer_names = ("count", "calls")

        def __init__(self) -> None:
            super().__init__()
            self.count = np.array(0)  # a 0-d array, like BatchNorm's num_batches_tracked
            self.calls = 0  # a plain Python number

    source = Counter()
    source.count += 5
    source.calls = 3
    target = Counter()
    count_array = target.count
    target.load_state_dict(source.state_dict())
    assert target.count is count_array and int(target.count) == 5
    assert target.calls == 3 and isinstance(target.calls, int)


def test_named_no_weight_decay_is_declared_by_the_layers():
    """Weight decay skips what each layer declares in no_weight_decay (nanoGPT's rule)."""
    model = nn.Sequential(
        nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.Flatten(), nn.Linear(8, 4), nn.LayerNorm(4)
    )
    assert model.named_no_weight_decay() == {"0.b", "1.gamma", "1.beta", "3.b", "4.gamma", "4.beta"}
    assert nn.Linear(3, 2, bias=False).named_no_weight_decay() == set()
    emb = nn.Embedding(5, 3)
    tied = nn.Sequential(emb, nn.TiedLinear(emb, bias=True))
    assert tied.named_no_weight_decay() == {"1.b"}  # the shared table is decayed, once

    class Scale(nn.Module):  # a student's layer declares its own
        no_weight_decay = ("gamma",)

        def __init__(self):
            super().__init__()
            self.gamma, self.W = np.ones((1, 3)), np.ones((3, 3))

        def parameters(self):
            return [self.gamma, self.W]

    assert nn.Sequential(Scale()).named_no_weight_decay() == {"0.gamma"}


def test_a_module_of_ones_own_may_return_a_tuple():
    """module(x) keeps what a forward returns as it is: a tuple of arrays of different shapes
    (an output and its attention weights, say) is neither refused nor copied into one array."""

    class TwoOutputs(nn.Module):
        def forward(self, x):
            return x * 2, x.sum(axis=1)

        def backward(self, grad_output):
            grad_y, grad_s = grad_output
            return 2 * grad_y + grad_s[:, None]

    module = TwoOutputs()
    x = np.ones((3, 4))
    y, s = module(x)
    assert y.shape == (3, 4) and s.shape == (3,)
    dx = module.backward((np.ones((3, 4)), np.ones(3)))
    np.testing.assert_array_equal(dx, np.full((3, 4), 3.0))
