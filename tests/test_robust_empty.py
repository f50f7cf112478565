"""Empty inputs behave as PyTorch's (issue 16, category 5): a batch of 0 through BatchNorm in
eval mode, Flatten, the GPT and its ``generate``; a sequence of T = 0 through
MultiheadAttention and TransformerBlock (a GPT refuses T = 0, with its message); Softmax and
LogSoftmax (modules and functions) of no rows or along a dimension of length 0: an empty result
of PyTorch's shape (forward and backward), not NumPy's "cannot reshape"; an image with no
pixels through AdaptiveAvgPool2d is refused, as PyTorch refuses it (an average of nothing), and
a pooling window of padding only cannot be built (padding at most half the kernel, as PyTorch).
"""

from __future__ import annotations

import numpy as np
import pytest

import minitorch
from minitorch import nn
from minitorch.models import GPT
from parity import HAVE_TORCH, torch


def _eval(module):
    module.eval()
    return module


# (id, minitorch module, torch module (None: no torch twin), input shape)
EMPTY = [
    ("batchnorm2d-eval-N0", lambda: _eval(nn.BatchNorm2d(3)),
     lambda: torch.nn.BatchNorm2d(3).eval(), (0, 3, 4, 4)),
    ("batchnorm1d-eval-N0", lambda: _eval(nn.BatchNorm1d(3)),
     lambda: torch.nn.BatchNorm1d(3).eval(), (0, 3)),
    ("batchnorm1d-eval-NCL-N0", lambda: _eval(nn.BatchNorm1d(3)),
     lambda: torch.nn.BatchNorm1d(3).eval(), (0, 3, 5)),
    ("flatten-N0", nn.Flatten, torch.nn.Flatten if HAVE_TORCH else None, (0, 2, 3)),
    ("attention-T0", lambda: nn.MultiheadAttention(4, 2), None, (2, 0, 4)),
    ("attention-causal-T0", lambda: nn.MultiheadAttention(4, 2, causal=True), None, (2, 0, 4)),
    ("attention-N0", lambda: nn.MultiheadAttention(4, 2), None, (0, 3, 4)),
    ("transformer-block-T0", lambda: nn.TransformerBlock(4, 2), None, (2, 0, 4)),
    ("adaptive-pool-C0", lambda: nn.AdaptiveAvgPool2d(2),
     lambda: torch.nn.AdaptiveAvgPool2d(2), (1, 0, 4, 4)),
    ("softmax-N0", lambda: nn.Softmax(1), lambda: torch.nn.Softmax(1), (0, 5)),
    ("softmax-C0", lambda: nn.Softmax(1), lambda: torch.nn.Softmax(1), (3, 0)),
    ("softmax-dim0-N0", lambda: nn.Softmax(0), lambda: torch.nn.Softmax(0), (0, 5)),
    ("softmax-last-dim-0", lambda: nn.Softmax(-1), lambda: torch.nn.Softmax(-1), (2, 3, 0)),
    ("log-softmax-N0", lambda: nn.LogSoftmax(1), lambda: torch.nn.LogSoftmax(1), (0, 5)),
    ("log-softmax-C0", lambda: nn.LogSoftmax(1), lambda: torch.nn.LogSoftmax(1), (3, 0)),
    ("log-softmax-T0", lambda: nn.LogSoftmax(-1), lambda: torch.nn.LogSoftmax(-1), (2, 0, 4)),
]  # fmt: skip


@pytest.mark.parametrize("build, build_torch, shape", [r[1:] for r in EMPTY],
                         ids=[r[0] for r in EMPTY])  # fmt: skip
def test_an_empty_input_gives_an_empty_result(build, build_torch, shape):
    module = build()
    x = np.zeros(shape, np.float32)
    y = module(x)
    assert y.size == 0 and y.dtype == np.float32
    if shape[1] == 0 and y.ndim == 3:  # a sequence of T = 0: (N, 0, E)
        assert y.shape == shape
    if HAVE_TORCH and build_torch is not None:
        assert y.shape == tuple(build_torch()(torch.zeros(shape)).shape)
    if not module.training or isinstance(module, nn.Flatten):
        return  # eval mode: no backward
    dx = module.backward(np.zeros(y.shape, np.float32))
    assert dx.shape == shape
    assert all(g is None or np.all(g == 0) for g in module.grads())


def _functional(name):
    return getattr(nn.functional, name)


# (id, the function (its pair is name_forward and name_backward), input shape, dim)
EMPTY_SOFTMAX = [
    (f"{name}-{'x'.join(map(str, shape))}-dim{dim}", name, shape, dim)
    for name in ("softmax", "log_softmax")
    for shape, dim in [((0, 5), 1), ((3, 0), 1), ((0, 5), 0), ((3, 0), 0), ((0,), 0),
                       ((2, 0, 4), -1), ((2, 0, 4), 1)]
]  # fmt: skip


@pytest.mark.parametrize("name, shape, dim", [r[1:] for r in EMPTY_SOFTMAX],
                         ids=[r[0] for r in EMPTY_SOFTMAX])  # fmt: skip
def test_the_functional_softmaxes_of_an_empty_input_are_empty(name, shape, dim):
    """F.softmax/F.log_softmax and their pairs, as torch.softmax(torch.empty(3, 0), 1): an
    empty result of the input's shape, forward and backward, without a warning."""
    x = np.zeros(shape, np.float32)
    y = _functional(name)(x, dim)
    pair_y, cache = _functional(f"{name}_forward")(x, dim)
    dx = _functional(f"{name}_backward")(np.ones(shape, np.float32), cache)
    for result in (y, pair_y, dx):
        assert result.shape == shape and result.dtype == np.float32
    if HAVE_TORCH:
        xt = torch.zeros(shape, requires_grad=True)
        yt = getattr(torch, name)(xt, dim)
        yt.backward(torch.ones(shape))
        assert tuple(yt.shape) == y.shape and tuple(xt.grad.shape) == dx.shape


@pytest.mark.skipif(not HAVE_TORCH, reason="torch is the reference")
def test_attention_over_zero_positions_is_pytorchs_empty_result():
    mha = torch.nn.MultiheadAttention(4, 2, batch_first=True)
    x = torch.zeros(2, 0, 4)
    assert tuple(mha(x, x, x)[0].shape) == nn.MultiheadAttention(4, 2)(np.zeros((2, 0, 4))).shape


def test_a_gpt_takes_a_batch_of_zero_sequences():
    minitorch.manual_seed(0)
    model = GPT(vocab_size=5, block_size=8, n_layer=1, n_head=1, n_embd=4)
    idx = np.zeros((0, 3), np.int64)
    logits = model(idx)
    assert logits.shape == (0, 3, 5)
    assert model.backward(np.zeros_like(logits)) is None
    assert model.generate(idx, max_new_tokens=4).shape == (0, 7)
    assert model.generate(idx, max_new_tokens=4, temperature=0).shape == (0, 7)


# (id, idx shape, with targets): a GPT over sequences of no tokens is refused (a language model
# has nothing to predict from; nanoGPT's own forward raises an IndexError there)
GPT_NO_TOKENS = [
    ("two-sequences-T0", (2, 0), False),
    ("no-sequences-T0", (0, 0), False),
    ("T0-with-targets", (2, 0), True),
]  # fmt: skip


@pytest.mark.parametrize("shape, with_targets", [r[1:] for r in GPT_NO_TOKENS],
                         ids=[r[0] for r in GPT_NO_TOKENS])  # fmt: skip
def test_a_gpt_refuses_sequences_of_zero_tokens(shape, with_targets):
    minitorch.manual_seed(0)
    model = GPT(vocab_size=5, block_size=8, n_layer=1, n_head=1, n_embd=4)
    idx = np.zeros(shape, np.int64)
    with pytest.raises(ValueError) as caught:
        model(idx, idx) if with_targets else model(idx)
    assert str(caught.value) == "GPT: got sequences of 0 tokens; give each at least one"


# (id, module, input shape, words): inputs PyTorch refuses, refused naming the layer
REFUSED = [
    ("adaptive-pool-no-pixels", lambda: nn.AdaptiveAvgPool2d(2), (1, 1, 0, 0),
     ["AdaptiveAvgPool2d", "at least one pixel"]),
    ("adaptive-pool-no-rows", lambda: nn.AdaptiveAvgPool2d(2), (1, 1, 0, 4),
     ["AdaptiveAvgPool2d", "(1, 1, 0, 4)"]),
    ("max-pool-no-pixels", lambda: nn.MaxPool2d(2), (1, 1, 0, 0), ["MaxPool2d"]),
    ("avg-pool-no-pixels", lambda: nn.AvgPool2d(2), (1, 1, 0, 0), ["AvgPool2d"]),
]  # fmt: skip


@pytest.mark.parametrize("build, shape, words", [r[1:] for r in REFUSED],
                         ids=[r[0] for r in REFUSED])  # fmt: skip
def test_an_image_without_pixels_is_refused_as_pytorch_refuses_it(build, shape, words):
    with pytest.raises(ValueError) as caught:
        build()(np.zeros(shape, np.float32))
    for word in words:
        assert word in str(caught.value)
    if HAVE_TORCH:
        twin = {"AdaptiveAvgPool2d": torch.nn.AdaptiveAvgPool2d(2),
                "MaxPool2d": torch.nn.MaxPool2d(2), "AvgPool2d": torch.nn.AvgPool2d(2)}  # fmt: skip
        with pytest.raises(RuntimeError):
            twin[words[0]](torch.zeros(shape))


@pytest.mark.parametrize("layer", [nn.MaxPool2d, nn.AvgPool2d])
def test_a_window_of_padding_only_cannot_be_built(layer):
    with pytest.raises(ValueError, match="padding must be at most half of kernel_size"):
        layer(2, padding=2)
    if HAVE_TORCH:
        twin = getattr(torch.nn, layer.__name__)(2, padding=2)
        with pytest.raises(RuntimeError, match="pad should be at most half"):
            twin(torch.zeros(1, 1, 4, 4))
