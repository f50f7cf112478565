"""The path a PyTorch user walks: ModuleDict attributes, the forward-only F functions, and
PyTorch's parameter names, each compared with torch itself (float64, <= 1e-10)."""

from __future__ import annotations

import numpy as np
import pytest

import minitorch.nn.functional as F
from minitorch import nn, optim

torch = pytest.importorskip("torch")
TF = torch.nn.functional


# ---------------------------------------------------------------- ModuleDict as attributes
def _dicts():
    """A minitorch and a torch ModuleDict holding the same keys."""
    return (
        nn.ModuleDict(dict(wte=nn.Linear(2, 2), h=nn.ModuleList([nn.ReLU()]))),
        torch.nn.ModuleDict(dict(wte=torch.nn.Linear(2, 2), h=torch.nn.ModuleList([]))),
    )


@pytest.mark.parametrize(
    "key",
    ["wte", "h", "weight", "bias", "grad", "requires_grad", "_private", "keys", "training",
     "forward", "update", "parameters", "requires_grad_"],
)
def test_module_dict_key_as_attribute_as_pytorch(key):
    """A key is an attribute when PyTorch allows it; a key that would hide one is refused."""
    try:
        torch.nn.ModuleDict({key: torch.nn.Linear(1, 1)})
        torch_refuses = False
    except KeyError:
        torch_refuses = True
    if torch_refuses:
        with pytest.raises(KeyError, match="already an attribute"):
            nn.ModuleDict({key: nn.Linear(1, 1)})
        return
    layer = nn.Linear(1, 1)
    d = nn.ModuleDict({key: layer})
    assert getattr(d, key) is layer and d[key] is layer


# (id, the name assigned): d.<name> = Module on a name ModuleDict already has is refused
# saying why (the module would be hidden; torch accepts it, and refuses d[name] = ... as we do)
HIDING_ASSIGNMENTS = [("method", "keys"), ("method-update", "update"), ("flag", "training")]


@pytest.mark.parametrize("name", [r[1] for r in HIDING_ASSIGNMENTS],
                         ids=[r[0] for r in HIDING_ASSIGNMENTS])  # fmt: skip
def test_module_dict_assignment_that_would_hide_an_attribute_says_why(name):
    d, t = _dicts()
    with pytest.raises(KeyError) as caught:
        setattr(d, name, nn.Linear(1, 1))
    message = caught.value.args[0]
    assert f"d.{name} would still be ModuleDict's own {name!r}: the module would be" in message
    assert "PyTorch accepts the assignment; minitorch refuses it, as both refuse" in message
    assert f"choose another key, e.g. d.{name}_ = ..." in message
    assert "PyTorch refuses it too" not in message
    assert list(d.keys()) == ["wte", "h"]
    with pytest.raises(KeyError, match="already exists"):
        t[name] = torch.nn.Linear(1, 1)
    setattr(t, name, torch.nn.Linear(1, 1))  # torch accepts it (a method hides the module)
    assert name in t


@pytest.mark.parametrize(
    ("action", "expected"),
    [
        (lambda d: setattr(d, "lm", nn.Linear(2, 3)) or list(d.keys()), ["wte", "h", "lm"]),
        (lambda d: setattr(d, "wte", nn.Linear(2, 5)) or d["wte"].W.shape, (2, 5)),
        (lambda d: setattr(d, "note", 3) or (d.note, list(d.keys())), (3, ["wte", "h"])),
        (lambda d: setattr(d, "wte", 3), TypeError),
        (lambda d: setattr(d, "wte", None), TypeError),
        (lambda d: d.missing, AttributeError),
        (lambda d: setattr(d, "keys", nn.Linear(1, 1)), KeyError),  # torch hides it silently
    ],
    ids=["new-module-adds-key", "module-replaces-key", "plain-value-is-attribute",
         "non-module-on-key", "none-on-key", "missing-key", "module-on-method-name"],
)
def test_module_dict_setting_attributes(action, expected):
    d, _ = _dicts()
    if isinstance(expected, type) and issubclass(expected, Exception):
        with pytest.raises(expected):
            action(d)
        assert list(d.keys()) == ["wte", "h"] and type(d.wte) is nn.Linear  # nothing changed
        return
    assert action(d) == expected
    assert all(isinstance(m, nn.Module) for m in d.values())


def test_module_dict_attributes_mirror_torch_and_the_state_dict():
    d, t = _dicts()
    d.lm, t.lm = nn.Linear(2, 3), torch.nn.Linear(2, 3)
    assert list(d.keys()) == list(t.keys())
    assert type(d.wte) is nn.Linear and d.wte is d["wte"]
    assert sorted(d.state_dict()) == ["lm.W", "lm.b", "wte.W", "wte.b"]
    with pytest.raises(AttributeError, match="has no attribute 'missing'"):
        d.missing  # noqa: B018


def test_nanogpt_style_model_trains_through_attribute_access():
    class Tiny(nn.Module):
        def __init__(self):
            super().__init__()
            self.transformer = nn.ModuleDict(dict(wte=nn.Embedding(5, 4), ln_f=nn.LayerNorm(4)))
            self.lm_head = nn.Linear(4, 5)

        def forward(self, idx):
            return self.lm_head(self.transformer.ln_f(self.transformer.wte(idx)))

        def backward(self, g):
            g = self.transformer.ln_f.backward(self.lm_head.backward(g))
            return self.transformer.wte.backward(g)

    model = Tiny()
    names = [name for name, _ in model.named_parameters()]
    assert names[:3] == ["transformer.wte.W", "transformer.ln_f.gamma", "transformer.ln_f.beta"]
    y = model(np.array([[0, 1, 2]]))
    model.backward(np.ones_like(y))
    assert all(g is not None for g in model.grads())


# ---------------------------------------------------------------- forward-only F functions
def _image(shape=(2, 3, 7, 6), seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


POOLS = [  # (args, kwargs) as a PyTorch user writes them
    ((2,), {}),
    ((2, 2), {}),
    ((3,), {"stride": 2, "padding": 1}),
    (((3, 2),), {"stride": (1, 2), "padding": (1, 0)}),
    ((2, 1), {}),
    ((3, 2, 1), {}),
]


@pytest.mark.parametrize(("args", "kwargs"), POOLS)
@pytest.mark.parametrize(("mine", "theirs"), [(F.max_pool2d, TF.max_pool2d),
                                              (F.avg_pool2d, TF.avg_pool2d)],
                         ids=["max", "avg"])
def test_pool_functions_match_torch(mine, theirs, args, kwargs):
    x = _image()
    expected = theirs(torch.from_numpy(x), *args, **kwargs).numpy()
    np.testing.assert_allclose(mine(x, *args, **kwargs), expected, rtol=0, atol=1e-10)


@pytest.mark.parametrize(
    ("forward", "args"),
    [
        (F.max_pool2d_forward, (2, 2)),
        (F.max_pool2d_forward, (3, 1, 1)),
        (F.avg_pool2d_forward, (2, 2)),
        (F.avg_pool2d_forward, ((2, 3), 1, (1, 0))),
    ],
)
def test_pool_pairs_take_pytorchs_ints(forward, args):
    x = _image()
    pairs = [a if isinstance(a, tuple) else (a, a) for a in args]
    y, cache = forward(x, *args)
    y_pairs, cache_pairs = forward(x, *pairs)
    np.testing.assert_array_equal(y, y_pairs)
    assert cache.kernel_size == tuple(pairs[0]) and cache.stride == cache_pairs.stride


@pytest.mark.parametrize(
    ("function", "args", "error", "words"),
    [
        (F.max_pool2d, (2, 2, 2), ValueError, "at most half"),
        (F.max_pool2d_forward, (2, 2, 2), ValueError, "at most half"),
        (F.avg_pool2d, (0,), ValueError, "kernel_size"),
        (F.max_pool2d, (9,), ValueError, "larger than the padded input"),
        (F.avg_pool2d, (2.5,), TypeError, "kernel_size"),
        (F.max_pool2d, ((2, 2, 2),), ValueError, "pair"),
    ],
)
def test_pool_functions_refuse_as_torch(function, args, error, words):
    x = _image()
    with pytest.raises(error, match=words):
        function(x, *args)
    with pytest.raises(RuntimeError if error is ValueError else (TypeError, RuntimeError)):
        fn = TF.max_pool2d if "max" in function.__name__ else TF.avg_pool2d
        fn(torch.from_numpy(x), *args)


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"stride": 2}, {"padding": 1}, {"stride": (2, 1), "padding": (0, 2)},
     {"dilation": 2}, {"stride": 2, "padding": 2, "dilation": (1, 2)}],
)
@pytest.mark.parametrize("bias", [True, False])
def test_conv2d_function_matches_torch_with_conv2d_layouts(kwargs, bias):
    """F.conv2d(x, layer.W, layer.b) is F.conv2d(x, weight, bias): the same W layout."""
    layer = nn.Conv2d(3, 4, 3, bias=bias, dtype=np.float64)
    if bias:
        layer.b[...] = np.random.default_rng(1).standard_normal(layer.b.shape)
    x = _image()
    torch_bias = torch.from_numpy(layer.b.reshape(-1)) if bias else None
    expected = TF.conv2d(torch.from_numpy(x), torch.from_numpy(layer.W), torch_bias, **kwargs)
    np.testing.assert_allclose(F.conv2d(x, layer.W, layer.b, **kwargs), expected.numpy(),
                               rtol=0, atol=1e-10)
    if bias:  # PyTorch's (F,) bias works too
        np.testing.assert_allclose(F.conv2d(x, layer.W, layer.b.reshape(-1), **kwargs),
                                   expected.numpy(), rtol=0, atol=1e-10)
    if not kwargs:
        np.testing.assert_array_equal(F.conv2d(x, layer.W, layer.b), layer(x))


def test_conv2d_function_refuses_a_kernel_larger_than_the_image():
    with pytest.raises(ValueError, match="larger than the padded input"):
        F.conv2d(_image((1, 3, 2, 2)), np.ones((4, 3, 3, 3)))


@pytest.mark.parametrize(
    "args", [(), (1,), (0, -1), (1, 2), (2,), (-2, -1), (0, 0)]
)
def test_flatten_function_is_torch_flatten(args):
    x = _image((2, 3, 4, 5))
    expected = torch.flatten(torch.from_numpy(x), *args).numpy()
    np.testing.assert_array_equal(F.flatten(x, *args), expected)


def test_pytorch_mnist_forward_ports_as_written():
    """pytorch/examples' MNIST forward with F.* and minitorch's layers."""
    conv1, conv2, fc1 = nn.Conv2d(1, 4, 3), nn.Conv2d(4, 8, 3), nn.Linear(8 * 12 * 12, 10)
    x = np.random.default_rng(0).standard_normal((2, 1, 28, 28)).astype(np.float32)
    h = F.relu(conv2(F.relu(conv1(x))))
    h = F.flatten(F.max_pool2d(h, 2), 1)
    assert F.log_softmax(fc1(h), dim=1).shape == (2, 10)


# ---------------------------------------------------------------- PyTorch's parameter names
@pytest.mark.parametrize(
    ("make", "name", "words"),
    [
        (lambda: nn.Linear(3, 2), "weight", r"W, of shape \(in, out\) = \(3, 2\).*W\.T.*dW"),
        (lambda: nn.Linear(3, 2), "bias", r"b, of shape \(1, 2\).*b\.reshape\(-1\).*db"),
        (lambda: nn.Linear(3, 2, bias=False), "bias", "b is None"),
        (lambda: nn.Conv2d(1, 2, 3), "weight", r"\(2, 1, 3, 3\), the layout of PyTorch's"),
        (lambda: nn.Conv2d(1, 2, 3), "bias", r"\(1, 2, 1, 1\)"),
        (lambda: nn.Embedding(5, 3), "weight", r"\(5, 3\), the layout of PyTorch's"),
        (lambda: nn.LayerNorm(4), "weight", "'gamma'.*dgamma"),
        (lambda: nn.LayerNorm(4), "bias", "'beta'.*dbeta"),
        (lambda: nn.BatchNorm2d(3), "weight", "'gamma'"),
        (lambda: nn.Linear(3, 2), "grad", "dW for W, db for b"),
        (lambda: nn.Sequential(nn.Linear(3, 2)), "grad", "model.grads()"),
        (
            lambda: nn.Linear(3, 2),
            "requires_grad",
            r"no requires_grad flag.*cannot work.*requires_grad_\(False\).*\.frozen",
        ),
        (lambda: nn.ReLU(), "weight", r"object has no attribute 'weight'$"),
        (lambda: nn.Linear(3, 2), "nope", r"object has no attribute 'nope'$"),
    ],
)
def test_pytorch_parameter_names_teach_the_minitorch_name(make, name, words):
    module = make()
    with pytest.raises(AttributeError, match=words):
        getattr(module, name)
    assert not hasattr(module, name) and getattr(module, name, None) is None


def test_the_hint_states_linears_layout_truthfully():
    layer, reference = nn.Linear(3, 2, dtype=np.float64), torch.nn.Linear(3, 2).double()
    with torch.no_grad():  # the hint's recipe: layer.W[...] = weight.T, b = bias
        layer.W[...] = reference.weight.numpy().T
        layer.b[...] = reference.bias.numpy()
    x = np.random.default_rng(0).standard_normal((4, 3))
    expected = reference(torch.from_numpy(x)).detach().numpy()
    np.testing.assert_allclose(layer(x), expected, rtol=0, atol=1e-10)


def test_a_module_may_still_own_an_attribute_named_like_pytorchs():
    loss = nn.CrossEntropyLoss(weight=np.array([1.0, 2.0]))
    np.testing.assert_array_equal(loss.weight, [1.0, 2.0])
    module = nn.Module()
    module.bias = 3
    assert module.bias == 3 and "bias" in vars(module)
    del module.bias
    with pytest.raises(AttributeError):
        module.bias  # noqa: B018


def test_named_parameters_as_pytorchs_dotted_and_in_parameters_order():
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Sequential(nn.Linear(4, 2)))
    reference = torch.nn.Sequential(
        torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Sequential(torch.nn.Linear(4, 2))
    )
    names = [name for name, _ in model.named_parameters()]
    assert [n for n, _ in reference.named_parameters()] == [
        n.replace(".W", ".weight").replace(".b", ".bias") for n in names
    ]
    assert all(p is q for (_, p), q in zip(model.named_parameters(), model.parameters(),
                                           strict=True))


def test_training_only_the_given_modules_as_the_hint_says():
    model = nn.Sequential(nn.Linear(3, 4), nn.Linear(4, 2))
    frozen = model[0].W.copy()
    optimizer = optim.SGD([model[1]], lr=0.1)
    model.backward(np.ones_like(model(np.ones((2, 3)))))
    optimizer.step()
    np.testing.assert_array_equal(model[0].W, frozen)


def test_attribute_access_keeps_cpythons_fast_path():
    """PyTorch's names are properties, not a Module.__getattr__ (which would slow every
    attribute lookup of every layer): no Module subclass but ModuleDict defines one."""
    assert "__getattr__" not in vars(nn.Module)
    for kind in (nn.Linear, nn.Conv2d, nn.Sequential, nn.ModuleList, nn.Embedding):
        assert getattr(kind, "__getattr__", None) is None, kind
