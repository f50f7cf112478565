"""The transformer's layers beyond the layer table: dropout on the attention weights, causality,
the block as two residuals, the attention pair against its explicit Jacobian, the errors, Linear
and the element-wise layers on (N, T, D) inputs, and clip_grad_norm_ against PyTorch.

LayerNorm, MultiheadAttention, Residual and TransformerBlock each have rows in the layer table
(tests/layer_table.py: gradcheck, contract, dtypes, PyTorch parity with golden files).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import minitorch
from layer_table import linear_into, random_gamma
from minitorch import nn
from minitorch.nn import functional as F
from minitorch.testing import gradcheck
from parity import HAVE_TORCH, torch, torch_tensor

needs_torch = pytest.mark.skipif(not HAVE_TORCH, reason="compares with PyTorch")


def test_attention_with_dropout_gradchecks_and_is_off_in_eval(float64):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 4, 8))
    attn = nn.MultiheadAttention(8, 2, dropout=0.3, causal=True)
    assert gradcheck(attn, x)  # each evaluation sees the same dropout mask
    minitorch.manual_seed(1)
    a = attn(x)
    minitorch.manual_seed(1)
    np.testing.assert_array_equal(attn(x), a)  # seeded: the same mask
    assert not np.allclose(attn(x), a)  # a new mask
    block = nn.TransformerBlock(8, 2, dropout=0.3).eval()
    np.testing.assert_array_equal(block(x), block(x))
    attn.eval()
    attn.dropout = 0.0
    no_dropout = attn(x)
    attn.dropout = 0.3
    np.testing.assert_array_equal(attn(x), no_dropout)


def test_causal_attention_does_not_look_ahead(float64):
    """Changing token t changes no output before t."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((1, 6, 8))
    for layer in (nn.MultiheadAttention(8, 2, causal=True), nn.TransformerBlock(8, 2)):
        y = layer(x)
        changed = x.copy()
        changed[0, 4] += 1.0
        y2 = layer(changed)
        np.testing.assert_array_equal(y2[0, :4], y[0, :4])
        assert not np.allclose(y2[0, 4:], y[0, 4:])


def test_the_block_is_two_residuals(float64):
    """The block = Sequential(Residual(ln1, attn, dropout1), Residual(ln2, mlp, dropout2))."""
    rng = np.random.default_rng(0)
    block = random_gamma(nn.TransformerBlock(8, 2))
    x, g = rng.standard_normal((2, 5, 8)), rng.standard_normal((2, 5, 8))
    y, dx = block(x), block.backward(g)
    grads = [grad.copy() for grad in block.grads()]
    block.zero_grad()
    chain = nn.Sequential(
        nn.Residual(nn.Sequential(block.ln1, block.attn, block.dropout1)),
        nn.Residual(nn.Sequential(block.ln2, block.mlp, block.dropout2)),
    )
    np.testing.assert_allclose(chain(x), y, rtol=1e-13, atol=1e-14)
    np.testing.assert_allclose(chain.backward(g), dx, rtol=1e-12, atol=1e-14)
    for ours, theirs in zip(chain.grads(), grads, strict=True):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-14)
    assert [n for n, _ in block.named_parameters()][:4] == [
        "ln1.gamma", "ln1.beta", "attn.in_proj.W", "attn.in_proj.b",
    ]  # fmt: skip


def test_functional_attention_is_what_the_module_computes(float64):
    rng = np.random.default_rng(0)
    q, k, v = (rng.standard_normal((2, 3, 4, 5)) for _ in range(3))
    mask = F.attention_mask(None, 2, 3, 4, causal=True, dtype=np.float64)
    out, cache = F.attention_forward(q, k, v, mask)
    scores = q @ k.swapaxes(-1, -2) / math.sqrt(5) + mask
    weights = np.exp(scores - scores.max(-1, keepdims=True))
    weights /= weights.sum(-1, keepdims=True)
    np.testing.assert_allclose(out, weights @ v, rtol=1e-13)
    G = rng.standard_normal(out.shape)
    dq, dk, dv = F.attention_backward(G, cache)
    dP = G @ v.swapaxes(-1, -2)  # the softmax's Jacobian, row by row, formed explicitly
    jac = weights[..., :, None] * (np.eye(4) - weights[..., None, :])  # diag(p) − p pᵀ
    dS = np.einsum("...ij,...jk->...ik", dP[..., None, :], jac)[..., 0, :]
    tol = {"rtol": 1e-12, "atol": 1e-14}  # a row of P = (1, 0, ...) has dS = 0 up to rounding
    np.testing.assert_allclose(dq, dS @ k / math.sqrt(5), **tol)
    np.testing.assert_allclose(dk, dS.swapaxes(-1, -2) @ q / math.sqrt(5), **tol)
    np.testing.assert_allclose(dv, weights.swapaxes(-1, -2) @ G, **tol)
    parts = F.split_heads(rng.standard_normal((2, 4, 3 * 6)), 3, parts=3)
    assert [p.shape for p in parts] == [(2, 3, 4, 2)] * 3
    merged = F.merge_heads(*parts)
    np.testing.assert_array_equal(F.split_heads(merged, 3, parts=3)[1], parts[1])


# ---------------------------------------------------------------------- errors
def test_attention_errors_teach():
    with pytest.raises(ValueError, match=r"embed_dim \(10\) must be divisible by num_heads \(4\)"):
        nn.MultiheadAttention(10, 4)
    attn = nn.MultiheadAttention(8, 2)
    with pytest.raises(ValueError, match=r"expects input of shape \(N, T, 8\).*got \(5, 8\)"):
        attn(np.zeros((5, 8)))
    x = np.zeros((2, 3, 8), np.float32)
    with pytest.raises(ValueError, match=r"attn_mask must have shape \(T, T\) = \(3, 3\) or .*"
                       r"\(4, 3, 3\).*got \(2, 2\)"):  # fmt: skip
        attn(x, attn_mask=np.zeros((2, 2), bool))
    with pytest.raises(TypeError, match=r"boolean .* or floating .* got an array of int64"):
        attn(x, attn_mask=np.zeros((3, 3), np.int64))
    blocked = np.zeros((3, 3), bool)
    blocked[1] = True
    with pytest.raises(ValueError, match="query position 1 attend to no key at all"):
        attn(x, attn_mask=blocked)
    causal = nn.MultiheadAttention(8, 2, causal=True)
    no_self = np.eye(3, dtype=bool)  # with the causal mask, query 0 keeps no key
    with pytest.raises(ValueError, match=r"query position 0 .* together with the causal mask"):
        causal(x, attn_mask=no_self)
    with pytest.raises(ValueError, match=r"dropout must be in \[0, 1\]"):
        nn.MultiheadAttention(8, 2, dropout=1.5)


def test_layer_norm_and_block_errors_teach():
    with pytest.raises(ValueError, match=r"LayerNorm\(\(4,\)\) .* must be \(4\); .*got \(2, 3\)"):
        nn.LayerNorm(4)(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="normalized_shape must be a positive int"):
        nn.LayerNorm(0)
    with pytest.raises(ValueError, match="eps must be"):
        nn.LayerNorm(3, eps=0)
    with pytest.raises(ValueError, match=r"TransformerBlock\(embed_dim=8\) expects .* \(N, T, 8\)"):
        nn.TransformerBlock(8, 2)(np.zeros((4, 8)))
    with pytest.raises(ValueError, match=r"Residual: .* Linear maps \(2, 3\) to \(2, 4\)"):
        nn.Residual(nn.Linear(3, 4))(np.zeros((2, 3)))
    with pytest.raises(TypeError, match=r"write Linear\(...\) with parentheses"):
        nn.Residual(nn.Linear)


# ---------------------------------------------------------------------- leading dimensions
ELEMENTWISE = [
    nn.ReLU, nn.LeakyReLU, nn.ELU, nn.GELU, lambda: nn.GELU("tanh"), nn.SiLU, nn.Sigmoid,
    nn.Tanh, nn.Softplus, nn.Softmax, nn.LogSoftmax, nn.Identity, lambda: nn.Dropout(0.3),
    lambda: nn.Linear(4, 3), lambda: nn.LayerNorm(4),
]  # fmt: skip


@pytest.mark.parametrize("make", ELEMENTWISE)
def test_layers_take_any_leading_dimensions(make, float64):
    """(N, T, D) gives, position by position, what (N·T, D) gives."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3, 4))
    minitorch.manual_seed(0)
    layer = make()
    minitorch.manual_seed(3)
    y = layer(x)
    g = rng.standard_normal(y.shape)
    dx = layer.backward(g)
    grads = [grad.copy() for grad in layer.grads()]
    layer.zero_grad()
    minitorch.manual_seed(3)  # the same dropout mask
    y_rows = layer(x.reshape(6, 4))
    dx_rows = layer.backward(g.reshape(6, -1))
    np.testing.assert_allclose(y.reshape(6, -1), y_rows, rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(dx.reshape(6, 4), dx_rows, rtol=1e-14, atol=1e-15)
    for ours, rows in zip(grads, layer.grads(), strict=True):
        np.testing.assert_allclose(ours, rows, rtol=1e-13)
    assert gradcheck(layer, x)


# ---------------------------------------------------------------------- clip_grad_norm_
def model_with_gradients(seed: int = 0) -> nn.Module:
    minitorch.manual_seed(seed)
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.LayerNorm(4), nn.Linear(4, 2)).double()
    rng = np.random.default_rng(seed)
    model(rng.standard_normal((5, 3)))
    model.backward(rng.standard_normal((5, 2)))
    return model


def model_to_torch(model):
    ref = torch.nn.Sequential(
        torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.LayerNorm(4), torch.nn.Linear(4, 2)
    )
    for i in (0, 3):
        linear_into(ref[i], model[i])
        ref[i].weight.grad = torch_tensor(model[i].dW.T)
        ref[i].bias.grad = torch_tensor(model[i].db[0])
    ref[2].weight.grad = torch_tensor(model[2].dgamma)
    ref[2].bias.grad = torch_tensor(model[2].dbeta)
    return ref


@needs_torch
@pytest.mark.parametrize(
    ("max_norm", "norm_type"), [(0.5, 2.0), (100.0, 2.0), (0.3, 1.0), (0.2, float("inf"))]
)
def test_clip_grad_norm_matches_pytorch(max_norm, norm_type):
    model = model_with_gradients()
    ref = model_to_torch(model)
    total = nn.utils.clip_grad_norm_(model, max_norm, norm_type=norm_type)
    expected = torch.nn.utils.clip_grad_norm_(ref.parameters(), max_norm, norm_type=norm_type)
    assert isinstance(total, np.floating)
    assert abs(float(total) - expected.item()) <= 1e-12 * expected.item()
    theirs = [ref[0].weight.grad.T, ref[0].bias.grad[None], ref[2].weight.grad,
              ref[2].bias.grad, ref[3].weight.grad.T, ref[3].bias.grad[None]]  # fmt: skip
    for ours, their in zip(model.grads(), theirs, strict=True):
        np.testing.assert_allclose(ours, their.numpy(), rtol=1e-12)


def test_clip_grad_norm_skips_none_counts_shared_once_and_refuses_arrays():
    model = model_with_gradients()
    model[3].zero_grad()  # None gradients are skipped
    expected = math.sqrt(sum(float((g**2).sum()) for g in model.grads() if g is not None))
    before = [None if g is None else g.copy() for g in model.grads()]
    total = nn.utils.clip_grad_norm_([model[0], model, model[2]], max_norm=1e9)
    assert float(total) == pytest.approx(expected, rel=1e-12)  # each gradient once
    for g, b in zip(model.grads(), before, strict=True):
        assert (g is None and b is None) or np.array_equal(g, b)  # below max_norm: unchanged
    with pytest.raises(TypeError, match=r"Pass the model itself: clip_grad_norm_\(model"):
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    assert float(nn.utils.clip_grad_norm_(nn.Linear(2, 2), 1.0)) == 0.0  # no gradients yet
    model[0].dW[0, 0] = np.nan
    with pytest.raises(RuntimeError, match=r"total norm of order 2\.0 .* is nan"):
        nn.utils.clip_grad_norm_(model, 1.0, error_if_nonfinite=True)
    nn.utils.clip_grad_norm_(model, 1.0)  # as PyTorch: a NaN norm makes the gradients NaN
    assert np.isnan(model[0].db).all()
