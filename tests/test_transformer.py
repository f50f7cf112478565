"""The transformer's layers: LayerNorm, MultiheadAttention, Residual, TransformerBlock and
clip_grad_norm_, and Linear and the element-wise layers on (N, T, D) inputs.

Each layer case is checked as the layer table (tests/layer_table.py) checks its rows, and its
data are made the same way, so that a case can become a row with its golden file as it is:
``minitorch.manual_seed(0)``; ``layer = make()``; every all-zero parameter (a bias) filled from
``rng = np.random.default_rng(seed)``; the input drawn from ``rng``, then the output gradient G.
Golden keys: ``y``, ``dx`` and ``d<name>`` for each parameter (``in_proj.dW``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

import minitorch
from minitorch import nn
from minitorch.nn import functional as F
from minitorch.testing import check_module, gradcheck
from parity import HAVE_TORCH, assert_matches_torch, torch, torch_tensor

needs_torch = pytest.mark.skipif(not HAVE_TORCH, reason="compares with PyTorch")


# ---------------------------------------------------------------------- torch equivalents
def layer_norm_to_torch(layer: nn.LayerNorm):
    module = torch.nn.LayerNorm(
        layer.normalized_shape,
        eps=layer.eps,
        elementwise_affine=layer.elementwise_affine,
        bias=layer.beta is not None,
    )
    with torch.no_grad():
        if layer.gamma is not None:
            module.weight.copy_(torch_tensor(layer.gamma))
        if layer.beta is not None:
            module.bias.copy_(torch_tensor(layer.beta))
    return module


def layer_norm_torch_grads(module, prefix: str = "") -> dict[str, Any]:
    grads = {}
    if module.weight is not None:
        grads[f"{prefix}gamma"] = module.weight.grad
    if module.bias is not None:
        grads[f"{prefix}beta"] = module.bias.grad
    return grads


def linear_into(torch_linear, layer: nn.Linear) -> None:
    """Copy our Linear (W: (in, out), b: (1, out)) into a torch Linear ((out, in), (out,))."""
    with torch.no_grad():
        torch_linear.weight.copy_(torch_tensor(layer.W.T))
        if layer.b is not None:
            torch_linear.bias.copy_(torch_tensor(layer.b[0]))


def linear_grads(torch_linear, prefix: str) -> dict[str, Any]:
    grads = {f"{prefix}W": torch_linear.weight.grad.T}
    if torch_linear.bias is not None:
        grads[f"{prefix}b"] = torch_linear.bias.grad[None, :]
    return grads


class TorchSelfAttention(torch.nn.Module if HAVE_TORCH else object):
    """torch.nn.MultiheadAttention used as self-attention, returning the output alone."""

    def __init__(self, mha, attn_mask):
        super().__init__()
        self.mha = mha
        self.attn_mask = attn_mask

    def forward(self, x):
        return self.mha(x, x, x, attn_mask=self.attn_mask, need_weights=False)[0]


def torch_mask(attn_mask, causal: bool, T: int):
    """Our (attn_mask, causal) as one mask for torch, whose is_causal needs a mask anyway."""
    mask = None if attn_mask is None else torch.as_tensor(attn_mask)
    if not causal:
        return mask
    causal_mask = torch.triu(torch.full((T, T), float("-inf")), diagonal=1)
    if mask is None:
        return causal_mask
    if mask.dtype == torch.bool:
        mask = torch.zeros(mask.shape).masked_fill(mask, float("-inf"))
    return mask + causal_mask


def attention_to_torch(layer, T: int):
    """Ours (a MultiheadAttention, or one wrapped WithMask) -> torch's, weights copied."""
    mha_ours = layer.module if isinstance(layer, WithMask) else layer
    attn_mask = layer.attn_mask if isinstance(layer, WithMask) else None
    mha = torch.nn.MultiheadAttention(
        mha_ours.embed_dim,
        mha_ours.num_heads,
        dropout=mha_ours.dropout,
        bias=mha_ours.in_proj.b is not None,
        batch_first=True,
    )
    with torch.no_grad():
        mha.in_proj_weight.copy_(torch_tensor(mha_ours.in_proj.W.T))  # (3E, E): q, k, v rows
        if mha.in_proj_bias is not None:
            mha.in_proj_bias.copy_(torch_tensor(mha_ours.in_proj.b[0]))
    linear_into(mha.out_proj, mha_ours.out_proj)
    return TorchSelfAttention(mha, torch_mask(attn_mask, mha_ours.causal, T))


def attention_torch_grads(module, prefix: str = "") -> dict[str, Any]:
    mha = module.mha
    grads = {f"{prefix}in_proj.W": mha.in_proj_weight.grad.T}
    if mha.in_proj_bias is not None:
        grads[f"{prefix}in_proj.b"] = mha.in_proj_bias.grad[None, :]
    grads.update(linear_grads(mha.out_proj, f"{prefix}out_proj."))
    return grads


class TorchBlock(torch.nn.Module if HAVE_TORCH else object):
    """A pre-norm block written as nanoGPT writes it (c_attn, scaled_dot_product_attention,
    c_proj, c_fc, GELU, c_proj), independently of torch.nn.MultiheadAttention."""

    def __init__(self, E: int, n_head: int, hidden: int, causal: bool, bias: bool = True):
        super().__init__()
        self.n_head, self.causal = n_head, causal
        self.ln_1 = torch.nn.LayerNorm(E, bias=bias)
        self.c_attn = torch.nn.Linear(E, 3 * E, bias=bias)
        self.attn_proj = torch.nn.Linear(E, E, bias=bias)
        self.ln_2 = torch.nn.LayerNorm(E, bias=bias)
        self.c_fc = torch.nn.Linear(E, hidden, bias=bias)
        self.mlp_proj = torch.nn.Linear(hidden, E, bias=bias)

    def forward(self, x):
        N, T, E = x.shape
        q, k, v = self.c_attn(self.ln_1(x)).split(E, dim=2)
        q, k, v = (t.view(N, T, self.n_head, E // self.n_head).transpose(1, 2) for t in (q, k, v))
        y = torch.nn.functional.scaled_dot_product_attention(q, k, v, is_causal=self.causal)
        x = x + self.attn_proj(y.transpose(1, 2).contiguous().view(N, T, E))
        return x + self.mlp_proj(torch.nn.functional.gelu(self.c_fc(self.ln_2(x))))


def block_to_torch(block: nn.TransformerBlock) -> TorchBlock:
    E = block.embed_dim
    ours_ln = (block.ln1, block.ln2)
    module = TorchBlock(
        E,
        block.attn.num_heads,
        block.mlp[0].output_dim,
        block.attn.causal,
        block.ln1.beta is not None,
    )
    with torch.no_grad():
        for theirs, ours in zip((module.ln_1, module.ln_2), ours_ln, strict=True):
            theirs.weight.copy_(torch_tensor(ours.gamma))
            if ours.beta is not None:
                theirs.bias.copy_(torch_tensor(ours.beta))
    linear_into(module.c_attn, block.attn.in_proj)
    linear_into(module.attn_proj, block.attn.out_proj)
    linear_into(module.c_fc, block.mlp[0])
    linear_into(module.mlp_proj, block.mlp[2])
    return module


def block_torch_grads(module: TorchBlock, prefix: str = "") -> dict[str, Any]:
    grads = {}
    grads.update(layer_norm_torch_grads(module.ln_1, f"{prefix}ln1."))
    grads.update(linear_grads(module.c_attn, f"{prefix}attn.in_proj."))
    grads.update(linear_grads(module.attn_proj, f"{prefix}attn.out_proj."))
    grads.update(layer_norm_torch_grads(module.ln_2, f"{prefix}ln2."))
    grads.update(linear_grads(module.c_fc, f"{prefix}mlp.0."))
    grads.update(linear_grads(module.mlp_proj, f"{prefix}mlp.2."))
    return grads


def residual_to_torch(layer: nn.Residual):
    """Residual(Sequential(LayerNorm, Linear, GELU)) in torch."""
    ln, linear, _ = layer.module
    norm, proj = layer_norm_to_torch(ln), torch.nn.Linear(linear.input_dim, linear.output_dim)
    linear_into(proj, linear)

    class TorchResidual(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.norm, self.proj = norm, proj

        def forward(self, x):
            return x + torch.nn.functional.gelu(self.proj(self.norm(x)))

    return TorchResidual()


def residual_torch_grads(module) -> dict[str, Any]:
    grads = layer_norm_torch_grads(module.norm, "module.0.")
    grads.update(linear_grads(module.proj, "module.1."))
    return grads


# ---------------------------------------------------------------------- the layers under test
class WithMask(nn.Module):
    """``module(x, attn_mask=mask)`` with a fixed mask, so a check can call it with x alone."""

    def __init__(self, module: nn.MultiheadAttention, attn_mask: np.ndarray) -> None:
        super().__init__()
        self.module = module
        self.attn_mask = attn_mask

    def forward(self, x):
        return self.module(x, attn_mask=self.attn_mask)

    def backward(self, grad_output):
        self._start_backward()
        return self.module.backward(grad_output)


def random_gamma(layer):
    """A LayerNorm (or a model's) γ drawn from minitorch's generator: ones would hide a bug."""
    for module in layer.modules():
        if isinstance(module, nn.LayerNorm) and module.gamma is not None:
            module.gamma[...] = 1 + 0.5 * minitorch.generator().standard_normal(module.gamma.shape)
    return layer


T = 5
MASK_RNG = np.random.default_rng(5)
BOOL_MASK = MASK_RNG.random((T, T)) < 0.4
np.fill_diagonal(BOOL_MASK, False)  # every query may attend to itself
FLOAT_MASK = MASK_RNG.standard_normal((T, T))
FLOAT_MASK[0, 3] = -np.inf
PER_HEAD_MASK = MASK_RNG.random((3 * 2, T, T)) < 0.4  # (N·H, T, T) for N = 3, H = 2
PER_HEAD_MASK[:, np.arange(T), np.arange(T)] = False


@dataclass(frozen=True)
class Case:
    """A layer configuration, in the layer table's terms (id = golden case name)."""

    id: str
    make: Callable[[], nn.Module]
    shape: tuple[int, ...]
    torch: Callable[[nn.Module], Any]
    torch_grads: Callable[[Any], dict[str, Any]]
    seed: int = 0


def mha_case(id, causal=False, mask=None, bias=True) -> Case:
    def make():
        mha = nn.MultiheadAttention(8, 2, bias=bias, causal=causal)
        return mha if mask is None else WithMask(mha, mask)

    prefix = "" if mask is None else "module."
    return Case(
        id,
        make,
        (3, T, 8),
        lambda layer: attention_to_torch(layer, T),
        lambda module: attention_torch_grads(module, prefix),
    )


CASES = [
    Case(
        "layernorm",
        lambda: random_gamma(nn.LayerNorm(6)),
        (2, 3, 6),
        layer_norm_to_torch,
        layer_norm_torch_grads,
    ),
    Case(
        "layernorm_2d_shape_eps",
        lambda: random_gamma(nn.LayerNorm((3, 4), eps=1e-3)),
        (2, 3, 4),
        layer_norm_to_torch,
        layer_norm_torch_grads,
    ),
    Case(
        "layernorm_no_affine",
        lambda: nn.LayerNorm(5, elementwise_affine=False),
        (4, 5),
        layer_norm_to_torch,
        layer_norm_torch_grads,
    ),
    Case(
        "layernorm_no_bias",
        lambda: random_gamma(nn.LayerNorm(5, bias=False)),
        (4, 5),
        layer_norm_to_torch,
        layer_norm_torch_grads,
    ),
    mha_case("mha"),
    mha_case("mha_causal", causal=True),
    mha_case("mha_bool_mask", mask=BOOL_MASK),
    mha_case("mha_float_mask_causal", causal=True, mask=FLOAT_MASK),
    mha_case("mha_per_head_mask", mask=PER_HEAD_MASK),
    mha_case("mha_causal_no_bias", causal=True, bias=False),
    Case(
        "residual",
        lambda: random_gamma(
            nn.Residual(nn.Sequential(nn.LayerNorm(6), nn.Linear(6, 6), nn.GELU()))
        ),
        (2, 3, 6),
        residual_to_torch,
        residual_torch_grads,
    ),
    Case(
        "transformer_block",
        lambda: random_gamma(nn.TransformerBlock(8, 2)),
        (3, T, 8),
        block_to_torch,
        block_torch_grads,
    ),
    Case(
        "transformer_block_not_causal_mlp2",
        lambda: random_gamma(nn.TransformerBlock(8, 4, mlp_ratio=2, causal=False)),
        (2, T, 8),
        block_to_torch,
        block_torch_grads,
    ),
]
CASE_IDS = [case.id for case in CASES]


def build(case: Case, dtype) -> tuple[nn.Module, np.random.Generator]:
    """The layer table's recipe (see the module docstring)."""
    minitorch.set_default_dtype(dtype)
    minitorch.manual_seed(0)
    layer = case.make()
    rng = np.random.default_rng(case.seed)
    for param in layer.parameters():
        if not np.any(param):
            param[...] = rng.standard_normal(param.shape)
    return layer, rng


def grad_key(name: str) -> str:
    owner, dot, attr = name.rpartition(".")
    return f"{owner}{dot}d{attr}"


# ---------------------------------------------------------------------- the checks
@pytest.mark.parity
@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_parity_with_pytorch(case):
    layer, rng = build(case, np.float64)
    x = rng.standard_normal(case.shape)
    y = layer(x)
    g = rng.standard_normal(y.shape)
    ours = {"y": y, "dx": layer.backward(g)}
    for (name, _), grad in zip(layer.named_parameters(), layer.grads(), strict=True):
        ours[grad_key(name)] = grad

    def reference():
        module = case.torch(layer)
        tx = torch_tensor(x, requires_grad=True)
        out = module(tx)
        out.backward(torch_tensor(g))
        theirs = {"y": out, "dx": tx.grad}
        theirs.update({grad_key(k): v for k, v in case.torch_grads(module).items()})
        return theirs

    assert_matches_torch(case.id, ours, reference)


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_gradcheck(case):
    layer, rng = build(case, np.float64)
    report = gradcheck(layer, rng.standard_normal(case.shape), atol=1e-7, rtol=1e-6)
    assert [row.name for row in report.rows] == ["input"] + [n for n, _ in layer.named_parameters()]


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_contract_and_float32(case):
    layer, rng = build(case, np.float32)
    assert check_module(layer, case.shape)
    y = layer(rng.standard_normal(case.shape))  # float64 input: in the parameters' float32
    dtype = np.float32 if layer.parameters() else np.float64  # parameter-free: the input's
    assert y.dtype == dtype
    assert layer.backward(np.ones_like(y)).dtype == dtype
    assert all(g.dtype == np.float32 for g in layer.grads())
    fresh, _ = build(case, np.float32)
    with pytest.raises(RuntimeError, match="before forward"):
        fresh.backward(np.ones_like(y))
    layer(rng.standard_normal(case.shape))
    wrong = (1, y.size)
    with pytest.raises(ValueError, match=re.escape(f"expects grad_output of shape {y.shape}")):
        layer.backward(np.ones(wrong, np.float32))


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
