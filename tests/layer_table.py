r"""The layer table: every layer of ``minitorch.nn`` and its PyTorch equivalent, one row each.

**To add a layer, add a row** to ``ROWS`` below. ``tests/test_layer_table.py`` then runs every
check on it:

* gradcheck     ``minitorch.testing.gradcheck`` in float64: the input gradient(s) and every
                parameter gradient against central differences;
* contract      ``minitorch.testing.check_module``: aligned ``parameters()``/``grads()``,
                accumulation, ``zero_grad``, in-place optimizer updates, ...;
* float32       a float32 layer on float32 input gives float32 outputs, input gradients and
                C-contiguous parameter gradients; a float64 input to a layer with (float32)
                parameters is computed in float32 (a parameter-free layer keeps the input's dtype);
* grad_output   the base-class step every backward begins with (``Module._begin_backward``):
                a float64 ``grad_output`` into a float32 layer gives float32 gradients; a
                Python list gives what the same numbers as an array give;
                ``needs_input_grad = False`` returns ``None`` and the same parameter gradients;
* input policy  int64, uint8, bool and list inputs are computed in floating point, as their
                float values; complex, object, string and ragged inputs raise a ``TypeError``
                naming the module (for the first floating input of the row);
* parity        forward output, input gradient(s) and every parameter gradient against the
                PyTorch module, with our weights copied into it, in float64 to 1e-10: live when
                torch is installed, and always against ``tests/golden/<id>.npz``;
* bad inputs    each of the row's ``bad_inputs`` raises its error with a matching message;
* backward      ``backward`` before ``forward`` raises ``RuntimeError``, and a ``grad_output``
                of the wrong shape raises ``ValueError`` naming both shapes;
* coverage      every Module subclass exported by ``minitorch.nn`` and ``minitorch.models``
                appears in a row (with parity, but GPT: tests/test_gpt.py), unless
                ``NOT_LAYERS`` in tests/test_layer_table.py says why it is not a layer; and every
                layer's backward begins with ``self._begin_backward(grad_output)``.

A row, with comments::

    LayerRow(
        id="linear_biasTrue_2d",  # the pytest id, and the golden case: tests/golden/<id>.npz
        make=lambda: nn.Linear(4, 3),  # run after manual_seed(0), the default dtype set
        inputs=((5, 4),),  # one spec per forward argument: a shape (random floats) or an
                           # array (used as is: integer indices, say)
        torch=linear_to_torch,  # ours -> the torch module, with our weights copied into it
        torch_grads=linear_grads,  # that module -> its parameter gradients, keyed by
                                         # our parameter names ("W", "0.W"), laid out like ours
        bad_inputs=(
            BadInput((np.zeros((2, 5)),), ValueError, r"expects input of shape \(N, 4\)"),
        ),
    )

The id names the golden file in ``tests/golden/``, which every parity test shares: pick one no
other test uses (``loss_*``, ``optim_*``, ``sched_*`` and ``extreme_*`` belong to other tests).
Then store PyTorch's outputs for it once (needs torch; writes only the cases it runs)::

    MINITORCH_WRITE_GOLDEN=1 python -m pytest "tests/test_layer_table.py::test_parity[<id>]"

How every check makes its data, so a row can reproduce a case: ``minitorch.manual_seed(0)``; the
default dtype set to the dtype under test; ``layer = row.make()``; ``rng =
np.random.default_rng(row.seed)``; every parameter that ``make`` left all zeros (a bias) is
filled with ``rng.standard_normal`` (a zero bias would hide a wrong forward); then each shape in
the inputs is drawn as ``rng.standard_normal(shape)``, in order, and the output gradient ``G``
as ``rng.standard_normal(y.shape)``. Golden keys: ``y``, ``dx`` (``dx0``, ``dx1``, ... for
several inputs; none for an integer input), and ``d<name>`` for each parameter (``dW``,
``db``, ``0.dW``).

A layer with several inputs gets one spec per input, its torch module is called with as many
tensors (wrap a torch module that returns a tuple, such as MultiheadAttention, so that it
returns the output alone), and its ``backward`` returns a tuple, one gradient per input.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

import minitorch
from minitorch import nn
from minitorch.models import GPT, CharRNN, DiffusionMLP
from parity import torch, torch_tensor

#: One input of a forward: a shape (random float input) or an array (used as is).
InputSpec = tuple[int, ...] | np.ndarray


@dataclass(frozen=True)
class BadInput:
    """Inputs that ``forward`` must refuse, with the error type and a regex of its message."""

    inputs: tuple[InputSpec, ...]
    error: type[Exception]
    match: str
    #: Non-empty: a known library bug, the reason; the check is ``xfail(strict=True)``.
    known_bug: str = ""


def no_parameters(torch_module: Any) -> dict[str, Any]:
    """``torch_grads`` of a parameter-free layer."""
    return {}


@dataclass(frozen=True)
class LayerRow:
    """One layer configuration and everything the checks need to know about it."""

    id: str
    make: Callable[[], nn.Module]
    inputs: tuple[InputSpec, ...]
    #: ours -> the torch equivalent with our weights copied (put in our layer's train/eval
    #: mode by the harness); ``None``: no parity check (say why in a comment).
    torch: Callable[[nn.Module], Any] | None = None
    #: the torch module after its backward -> {our parameter name: its gradient, in our layout}
    torch_grads: Callable[[Any], Mapping[str, Any]] = no_parameters
    #: inputs for the parity check only, when it needs special values (kinks, extremes)
    parity_inputs: tuple[InputSpec, ...] | None = None
    #: inputs for gradcheck only, where a gradient is zero by definition rather than the
    #: derivative of the forward (Embedding's padding row)
    gradcheck_inputs: tuple[InputSpec, ...] | None = None
    seed: int = 0
    gradcheck_tol: tuple[float, float] = (1e-7, 1e-6)  # (atol, rtol)
    bad_inputs: tuple[BadInput, ...] = ()
    #: False for a layer with no forward cache (Identity): skips the backward-error checks.
    checks_backward: bool = True
    #: {check: reason} for known library bugs, that check then ``xfail(strict=True)``; checks:
    #: gradcheck, contract, float32, float64_input, float64_grad_output, list_grad_output,
    #: no_input_grad, accepted_input, refused_input, parity, backward_before_forward,
    #: grad_output_shape (a bad input's bug goes in its BadInput.known_bug).
    known_bugs: Mapping[str, str] = field(default_factory=dict)


# ---------------------------------------------------------------------- torch equivalents
def linear_into(torch_linear, layer: nn.Linear) -> None:
    """Copy our Linear (W: (in, out), b: (1, out)) into a torch Linear ((out, in), (out,))."""
    with torch.no_grad():
        torch_linear.weight.copy_(torch_tensor(layer.W.T))
        if layer.b is not None:
            torch_linear.bias.copy_(torch_tensor(layer.b[0]))


def linear_grads(torch_linear, prefix: str = "") -> dict[str, Any]:
    """A torch Linear's gradients by our names: ``<prefix>W`` (in, out), ``<prefix>b`` (1, out)."""
    grads = {f"{prefix}W": torch_linear.weight.grad.T}
    if torch_linear.bias is not None:
        grads[f"{prefix}b"] = torch_linear.bias.grad[None, :]
    return grads


def sequential_mlp_to_torch(model: nn.Sequential):
    first, _, last = model
    return torch.nn.Sequential(linear_to_torch(first), torch.nn.ReLU(), linear_to_torch(last))


def sequential_mlp_torch_grads(module) -> dict[str, Any]:
    return {**linear_grads(module[0], "0."), **linear_grads(module[2], "2.")}


def linear_to_torch(layer: nn.Linear):
    module = torch.nn.Linear(layer.input_dim, layer.output_dim, bias=layer.b is not None)
    linear_into(module, layer)
    return module


def embedding_to_torch(layer: nn.Embedding):
    module = torch.nn.Embedding(
        layer.num_embeddings, layer.embedding_dim, padding_idx=layer.padding_idx
    )
    with torch.no_grad():
        module.weight.copy_(torch_tensor(layer.W))  # the same (V, D) layout
    return module


def embedding_torch_grads(module) -> dict[str, Any]:
    return {"W": module.weight.grad}


def diffusion_torch():
    """tests/diffusion_torch.py, imported when a parity check runs (it needs torch)."""
    import diffusion_torch as module

    return module


def diffusion_mlp_to_torch(model: DiffusionMLP):
    hidden = model.joint_mlp[0].output_dim
    module = diffusion_torch().MLP(hidden, len(model.joint_mlp) - 3, model.emb_size)
    ours = [m for m in model.modules() if isinstance(m, nn.Linear)]
    theirs = [m for m in module.modules() if isinstance(m, torch.nn.Linear)]
    for mine, its in zip(ours, theirs, strict=True):
        linear_into(its, mine)
    return module


def diffusion_mlp_torch_grads(module) -> dict[str, Any]:
    layers = module.joint_mlp
    grads = linear_grads(layers[0], "joint_mlp.0.")
    grads.update(linear_grads(layers[-1], f"joint_mlp.{len(layers) - 1}."))
    for i in range(2, len(layers) - 1):  # the residual blocks: x + GELU(ff(x))
        grads.update(linear_grads(layers[i].ff, f"joint_mlp.{i}.module.0."))
    return grads


def tied_linear_to_torch(layer: nn.TiedLinear):
    """A torch Linear whose weight is a copy of the owner's W: y = x @ W.T + b."""
    module = torch.nn.Linear(layer.input_dim, layer.output_dim, bias=layer.b is not None)
    with torch.no_grad():
        module.weight.copy_(torch_tensor(layer.owner.W))  # (V, D): torch's (out, in) already
        if layer.b is not None:
            module.bias.copy_(torch_tensor(layer.b[0]))
    return module


def tied_linear_torch_grads(module) -> dict[str, Any]:
    """Only the bias: the weight belongs to the owner, which is not part of this row."""
    return {} if module.bias is None else {"b": module.bias.grad[None, :]}


def tied_embedding_head(bias: bool) -> nn.Sequential:
    """Token embedding and an output head tied to it (GPT-2's wte and lm_head)."""
    embedding = nn.Embedding(6, 4)
    return nn.Sequential(embedding, nn.TiedLinear(embedding, bias=bias))


def tied_embedding_head_to_torch(model: nn.Sequential):
    """The same in torch: the head's weight IS the embedding's, so both gradients add up."""
    embedding = embedding_to_torch(model[0])
    head = torch.nn.Linear(4, 6, bias=model[1].b is not None)
    head.weight = embedding.weight  # nanoGPT's tie
    if head.bias is not None:
        with torch.no_grad():
            head.bias.copy_(torch_tensor(model[1].b[0]))
    return torch.nn.Sequential(embedding, head)


def tied_embedding_head_torch_grads(module) -> dict[str, Any]:
    grads = {"0.W": module[0].weight.grad}  # the embedding's and the head's gradients, summed
    if module[1].bias is not None:
        grads["1.b"] = module[1].bias.grad[None, :]
    return grads


# The transformer's layers. Their ids and data are those of tests/test_transformer.py's cases,
# whose golden files (layernorm*, mha*, residual, transformer_block*) these rows read as they are.
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


def random_gamma(layer: nn.Module) -> nn.Module:
    """Every LayerNorm's γ drawn from minitorch's generator: all ones would hide a bug."""
    for module in layer.modules():
        if isinstance(module, nn.LayerNorm) and module.gamma is not None:
            module.gamma[...] = 1 + 0.5 * minitorch.generator().standard_normal(module.gamma.shape)
    return layer


class WithMask(nn.Module):
    """``module(x, attn_mask=mask)`` with a fixed mask, so that a row calls it with x alone."""

    def __init__(self, module: nn.MultiheadAttention, attn_mask: np.ndarray) -> None:
        super().__init__()
        self.module = module
        self.attn_mask = attn_mask

    @property
    def needs_input_grad(self) -> bool:
        return self.module.needs_input_grad

    @needs_input_grad.setter
    def needs_input_grad(self, value: bool) -> None:
        self.module.needs_input_grad = value

    def forward(self, x):
        return self.module(x, attn_mask=self.attn_mask)

    def backward(self, grad_output):
        G, _ = self._begin_backward(grad_output)  # the module honours needs_input_grad
        return self.module.backward(G)


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


def attention_to_torch(layer: nn.Module):
    """Ours (a MultiheadAttention, or one WithMask) -> torch.nn.MultiheadAttention used as
    self-attention (``mha(x, x, x)``) and returning the output alone, weights copied."""
    ours = layer.module if isinstance(layer, WithMask) else layer
    attn_mask = layer.attn_mask if isinstance(layer, WithMask) else None
    mha = torch.nn.MultiheadAttention(
        ours.embed_dim,
        ours.num_heads,
        dropout=ours.dropout,
        bias=ours.in_proj.b is not None,
        batch_first=True,
    )
    with torch.no_grad():
        mha.in_proj_weight.copy_(torch_tensor(ours.in_proj.W.T))  # (3E, E): q, k, v rows
        if mha.in_proj_bias is not None:
            mha.in_proj_bias.copy_(torch_tensor(ours.in_proj.b[0]))
    linear_into(mha.out_proj, ours.out_proj)

    class SelfAttention(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.mha = mha

        def forward(self, x):
            mask = torch_mask(attn_mask, ours.causal, x.shape[1])
            return self.mha(x, x, x, attn_mask=mask, need_weights=False)[0]

    return SelfAttention()


def attention_torch_grads(module) -> dict[str, Any]:
    grads = {"in_proj.W": module.mha.in_proj_weight.grad.T}
    if module.mha.in_proj_bias is not None:
        grads["in_proj.b"] = module.mha.in_proj_bias.grad[None, :]
    grads.update(linear_grads(module.mha.out_proj, "out_proj."))
    return grads


def masked_attention_torch_grads(module) -> dict[str, Any]:
    """WithMask's parameters are its module's: ``module.in_proj.W``, ..."""
    return {f"module.{name}": grad for name, grad in attention_torch_grads(module).items()}


def residual_to_torch(layer: nn.Residual):
    """Residual(Sequential(LayerNorm, Linear, GELU)) in torch: x + gelu(proj(norm(x)))."""
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


def block_to_torch(block: nn.TransformerBlock):
    """A pre-norm block written as nanoGPT writes it (c_attn, scaled_dot_product_attention,
    c_proj, c_fc, GELU, c_proj), independently of torch.nn.MultiheadAttention."""
    E, n_head, causal = block.embed_dim, block.attn.num_heads, block.attn.causal
    bias = block.ln1.beta is not None

    class TorchBlock(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.ln_1 = layer_norm_to_torch(block.ln1)
            self.c_attn = torch.nn.Linear(E, 3 * E, bias=bias)
            self.attn_proj = torch.nn.Linear(E, E, bias=bias)
            self.ln_2 = layer_norm_to_torch(block.ln2)
            self.c_fc = torch.nn.Linear(E, block.mlp[0].output_dim, bias=bias)
            self.mlp_proj = torch.nn.Linear(block.mlp[0].output_dim, E, bias=bias)

        def forward(self, x):
            N, T, _ = x.shape
            q, k, v = self.c_attn(self.ln_1(x)).split(E, dim=2)
            q, k, v = (t.view(N, T, n_head, E // n_head).transpose(1, 2) for t in (q, k, v))
            y = torch.nn.functional.scaled_dot_product_attention(q, k, v, is_causal=causal)
            x = x + self.attn_proj(y.transpose(1, 2).contiguous().view(N, T, E))
            return x + self.mlp_proj(torch.nn.functional.gelu(self.c_fc(self.ln_2(x))))

    module = TorchBlock()
    linear_into(module.c_attn, block.attn.in_proj)
    linear_into(module.attn_proj, block.attn.out_proj)
    linear_into(module.c_fc, block.mlp[0])
    linear_into(module.mlp_proj, block.mlp[2])
    return module


def block_torch_grads(module) -> dict[str, Any]:
    grads = layer_norm_torch_grads(module.ln_1, "ln1.")
    grads.update(linear_grads(module.c_attn, "attn.in_proj."))
    grads.update(linear_grads(module.attn_proj, "attn.out_proj."))
    grads.update(layer_norm_torch_grads(module.ln_2, "ln2."))
    grads.update(linear_grads(module.c_fc, "mlp.0."))
    grads.update(linear_grads(module.mlp_proj, "mlp.2."))
    return grads


# ---------------------------------------------------------------------- inputs
def _kinks_and_extremes() -> np.ndarray:
    """Activation parity inputs: random values, the kinks at 0, and extremes that must stay
    finite (the golden files act_*.npz were made from exactly these)."""
    x = np.random.default_rng(7).standard_normal((6, 5)) * 3
    x[0] = [0.0, -0.0, 1e-8, -1e-8, 2.5]  # the kinks (2.5: Softplus(beta=2, threshold=5))
    x[1] = [1e4, -1e4, 1e3, -1e3, 30.0]  # extremes
    return x


KINKS_AND_EXTREMES = _kinks_and_extremes()
TOKENS = np.array([[1, 3, 1, 5], [0, 1, 4, 4]])  # repeated indices: their gradients add up
TOKENS_WITH_PADDING = np.array([1, 2, 1, 5, 1, 0])  # 1 is the padding index below

T = 5  # positions of the attention rows' inputs
MASK_RNG = np.random.default_rng(5)
BOOL_MASK = MASK_RNG.random((T, T)) < 0.4  # True: may not attend
np.fill_diagonal(BOOL_MASK, False)  # every query may attend to itself
FLOAT_MASK = MASK_RNG.standard_normal((T, T))  # added to the attention scores
FLOAT_MASK[0, 3] = -np.inf
PER_HEAD_MASK = MASK_RNG.random((3 * 2, T, T)) < 0.4  # (N·H, T, T) for N = 3, H = 2
PER_HEAD_MASK[:, np.arange(T), np.arange(T)] = False


def linear(bias: bool, input_shape: tuple[int, ...]) -> LayerRow:
    return LayerRow(
        id=f"linear_bias{bias}_{len(input_shape)}d",
        make=lambda: nn.Linear(4, 3, bias=bias),
        inputs=(input_shape,),
        torch=linear_to_torch,
        torch_grads=linear_grads,
        seed=11,  # the data of the golden files linear_*.npz
        bad_inputs=(
            BadInput(
                (np.zeros((2, 5)),),
                ValueError,
                r"^Linear\(4 -> 3\) expects input of shape \(N, 4\), got \(2, 5\)$",
            ),
            BadInput((np.zeros(4),), ValueError, r"expects input of shape \(N, 4\), got \(4,\)"),
            BadInput((np.zeros((2, 1, 2, 2)),), ValueError, r"Flatten images first"),
        ),
    )


def activation(id: str, make: Callable[[], nn.Module], to_torch, **options) -> LayerRow:
    """An activation: random inputs for the checks, kinks and extremes for parity."""
    return LayerRow(
        id=id,
        make=make,
        inputs=((4, 5),),
        parity_inputs=(KINKS_AND_EXTREMES,),
        seed=8,  # the output gradient of the golden files act_*.npz
        torch=to_torch,
        **options,
    )


def attention(id: str, causal: bool = False, mask=None, bias: bool = True) -> LayerRow:
    """MultiheadAttention(8, 2) on (3, T, 8), with a mask (through WithMask) or without."""

    def make():
        mha = nn.MultiheadAttention(8, 2, bias=bias, causal=causal)
        return mha if mask is None else WithMask(mha, mask)

    return LayerRow(
        id=id,
        make=make,
        inputs=((3, T, 8),),
        torch=attention_to_torch,
        torch_grads=attention_torch_grads if mask is None else masked_attention_torch_grads,
        bad_inputs=(
            BadInput(
                (np.zeros((5, 8)),),
                ValueError,
                r"MultiheadAttention\(embed_dim=8\) expects input of shape \(N, T, 8\).*"
                r"got \(5, 8\)",
            ),
        ),
    )


# Convolutional layers: Conv2d, pooling, BatchNorm, Dropout2d (tests/test_conv.py and
# tests/test_norm.py hold the checks specific to one of them).
def conv2d_to_torch(layer: nn.Conv2d):
    module = torch.nn.Conv2d(
        layer.in_channels,
        layer.out_channels,
        layer.kernel_size,
        stride=layer.stride,
        padding=layer.padding,
        dilation=layer.dilation,
        bias=layer.b is not None,
    )
    with torch.no_grad():
        module.weight.copy_(torch_tensor(layer.W))  # the same (F, C, kH, kW) layout
        if layer.b is not None:
            module.bias.copy_(torch_tensor(layer.b.ravel()))  # ours is (1, F, 1, 1)
    return module


def conv2d_torch_grads(module) -> dict[str, Any]:
    grads = {"W": module.weight.grad}
    if module.bias is not None:
        grads["b"] = module.bias.grad.reshape(1, -1, 1, 1)
    return grads


def conv2d(id: str, *args, shape: tuple[int, ...], bad_inputs=(), **kwargs) -> LayerRow:
    return LayerRow(
        id=id,
        make=lambda: nn.Conv2d(*args, **kwargs),
        inputs=(shape,),
        torch=conv2d_to_torch,
        torch_grads=conv2d_torch_grads,
        bad_inputs=bad_inputs,
    )


def pool(id: str, make: Callable[[], nn.Module], shape: tuple[int, ...], **options) -> LayerRow:
    """A pooling layer; its torch twin is the class of the same name with the same options."""

    def to_torch(layer):
        cls = getattr(torch.nn, type(layer).__name__)
        if isinstance(layer, nn.AdaptiveAvgPool2d):
            return cls(layer.output_size)
        return cls(layer.kernel_size, layer.stride, layer.padding)

    return LayerRow(id=id, make=make, inputs=(shape,), torch=to_torch, **options)


def with_statistics(layer: nn.Module) -> nn.Module:
    """A BatchNorm with γ, running_mean and running_var drawn from minitorch's generator (ones
    and zeros would hide a bug); β, all zeros, is filled by the harness."""
    rng = minitorch.generator()
    if layer.gamma is not None:
        layer.gamma[...] = 1 + 0.5 * rng.standard_normal(layer.gamma.shape)
    if layer.running_mean is not None:
        layer.running_mean[...] = rng.standard_normal(layer.running_mean.shape)
        layer.running_var[...] = rng.uniform(0.5, 2.0, layer.running_var.shape)
    return layer


def batchnorm_to_torch(layer):
    module = getattr(torch.nn, type(layer).__name__)(
        layer.num_features,
        eps=layer.eps,
        momentum=layer.momentum,
        affine=layer.affine,
        track_running_stats=layer.track_running_stats,
    )
    with torch.no_grad():
        if layer.affine:
            module.weight.copy_(torch_tensor(layer.gamma.ravel()))  # ours (1, C) or (1, C, 1, 1)
            module.bias.copy_(torch_tensor(layer.beta.ravel()))
        if layer.track_running_stats:
            module.running_mean.copy_(torch_tensor(layer.running_mean.ravel()))
            module.running_var.copy_(torch_tensor(layer.running_var.ravel()))
    return module


def batchnorm_torch_grads(module) -> dict[str, Any]:
    if not module.affine:
        return {}
    shape = (1, -1, 1, 1) if isinstance(module, torch.nn.BatchNorm2d) else (1, -1)
    return {"gamma": module.weight.grad.reshape(shape), "beta": module.bias.grad.reshape(shape)}


def batchnorm(id: str, make: Callable[[], nn.Module], shape: tuple[int, ...], **options):
    return LayerRow(
        id=id,
        make=make,
        inputs=(shape,),
        torch=batchnorm_to_torch,
        torch_grads=batchnorm_torch_grads,
        **options,
    )


def _max_pool_ties() -> np.ndarray:
    """Max-pooling windows with equal maxima, -inf, and a plateau across overlapping windows."""
    x = np.random.default_rng(3).integers(-2, 3, (2, 2, 5, 6)).astype(np.float64)
    x[0, 0, :2, :2] = 1.0  # a whole window of ties
    x[0, 1] = 0.0  # a plateau: every overlapping window ties
    x[1, 0, 0, :] = -np.inf
    return x


MAX_POOL_TIES = _max_pool_ties()  # ties go to the first maximum (row-major), as in PyTorch
CONV_NAME = r"Conv2d\(3 -> 4, kernel_size=\(3, 3\)\)"


# The generative models' layers: ConvTranspose2d, Upsample, GroupNorm, Unflatten
# (tests/test_conv_transpose.py holds the adjoint relation, output_size and the speed check).
def conv_transpose2d_to_torch(layer: nn.ConvTranspose2d):
    module = torch.nn.ConvTranspose2d(
        layer.in_channels,
        layer.out_channels,
        layer.kernel_size,
        stride=layer.stride,
        padding=layer.padding,
        output_padding=layer.output_padding,
        groups=layer.groups,
        bias=layer.b is not None,
        dilation=layer.dilation,
    )
    with torch.no_grad():
        module.weight.copy_(torch_tensor(layer.W))  # the same (C, F/groups, kH, kW) layout
        if layer.b is not None:
            module.bias.copy_(torch_tensor(layer.b.ravel()))  # ours is (1, F, 1, 1)
    return module


def conv_transpose2d(id: str, *args, shape: tuple[int, ...], bad_inputs=(), **kwargs) -> LayerRow:
    return LayerRow(
        id=id,
        make=lambda: nn.ConvTranspose2d(*args, **kwargs),
        inputs=(shape,),
        torch=conv_transpose2d_to_torch,
        torch_grads=conv2d_torch_grads,  # weight and bias gradients, laid out as Conv2d's
        bad_inputs=bad_inputs,
    )


def upsample(id: str, shape: tuple[int, ...], bad_inputs=(), **kwargs) -> LayerRow:
    """An Upsample; its torch twin takes the same arguments."""
    return LayerRow(
        id=id,
        make=lambda: nn.Upsample(**kwargs),
        inputs=(shape,),
        torch=lambda layer: torch.nn.Upsample(**kwargs),
        bad_inputs=bad_inputs,
    )


def group_norm_to_torch(layer: nn.GroupNorm):
    module = torch.nn.GroupNorm(layer.num_groups, layer.num_channels, layer.eps, layer.affine)
    if layer.affine:
        with torch.no_grad():
            module.weight.copy_(torch_tensor(layer.gamma.ravel()))  # ours (1, C, 1, 1)
            module.bias.copy_(torch_tensor(layer.beta.ravel()))
    return module


def group_norm_torch_grads(module) -> dict[str, Any]:
    if not module.affine:
        return {}
    shape = (1, -1, 1, 1)
    return {"gamma": module.weight.grad.reshape(shape), "beta": module.bias.grad.reshape(shape)}


def group_norm(id: str, *args, shape: tuple[int, ...], bad_inputs=(), **kwargs) -> LayerRow:
    """A GroupNorm with γ drawn from minitorch's generator (all ones would hide a bug)."""

    def make():
        layer = nn.GroupNorm(*args, **kwargs)
        if layer.gamma is not None:
            layer.gamma[...] = 1 + 0.5 * minitorch.generator().standard_normal(layer.gamma.shape)
        return layer

    return LayerRow(
        id=id,
        make=make,
        inputs=(shape,),
        torch=group_norm_to_torch,
        torch_grads=group_norm_torch_grads,
        bad_inputs=bad_inputs,
    )


CONV_T_NAME = r"ConvTranspose2d\(3 -> 4, kernel_size=\(3, 3\)\)"


# Recurrent layers (tests/test_rnn.py checks the rest: given states, every configuration
# against torch, batch_first, unbatched input, truncated BPTT).
class RecurrentOutputs(nn.Module):
    """A recurrent layer or cell with every output side by side in one ``(N, K)`` array: the
    output sequence (as (N, T·dirs·H)), then h_n (and c_n), each (L·dirs, N, H) as
    (N, L·dirs·H); a cell's h' (and c'). So each check of the table sees every output and its
    gradient (grad_h_n, grad_c_n included). ``forward(x, *states)`` passes states on (h0, or
    h0 and c0; the bad-input rows use it); backward returns one gradient per input."""

    def __init__(self, module: nn.Module) -> None:
        super().__init__()
        self.module = module
        self.shapes = None

    @property
    def needs_input_grad(self) -> bool:
        return self.module.needs_input_grad

    @needs_input_grad.setter
    def needs_input_grad(self, value: bool) -> None:
        self.module.needs_input_grad = value

    def forward(self, x, *states):
        m = self.module
        lstm = isinstance(m, (nn.LSTM, nn.LSTMCell))
        result = m(x, (tuple(states) if lstm else states[0]) if states else None)
        if isinstance(m, (nn.RNNCell, nn.GRUCell)):
            outputs = [result]
        elif isinstance(m, nn.LSTMCell):
            outputs = list(result)
        else:
            output, finals = result
            finals = finals if lstm else (finals,)
            output = output if m.batch_first else output.transpose(1, 0, 2)
            outputs = [output, *(f.transpose(1, 0, 2) for f in finals)]
        self.shapes = [o.shape for o in outputs]
        return np.concatenate([o.reshape(len(o), -1) for o in outputs], axis=1)

    def backward(self, grad_output):
        G, _ = self._begin_backward(grad_output)
        m = self.module
        sizes = np.cumsum([int(np.prod(shape[1:])) for shape in self.shapes])[:-1]
        parts = [p.reshape(s) for p, s in zip(np.split(G, sizes, axis=1), self.shapes, strict=True)]
        if isinstance(m, (nn.RNNCell, nn.GRUCell, nn.LSTMCell)):
            result = m.backward(*parts)
        else:
            output = parts[0] if m.batch_first else parts[0].transpose(1, 0, 2)
            result = m.backward(output, *(p.transpose(1, 0, 2) for p in parts[1:]))
        if not isinstance(result, tuple):
            return result
        dx, states = result
        return (dx, *states) if isinstance(states, tuple) else (dx, states)


def recurrent_to_torch(wrapper: RecurrentOutputs):
    """The torch layer of the same class and arguments, our weights in it, its outputs laid
    out as :class:`RecurrentOutputs` lays ours."""
    ours = wrapper.module
    cls = getattr(torch.nn, type(ours).__name__)
    cell = type(ours).__name__.endswith("Cell")
    options = {"bias": ours.bias}
    if hasattr(ours, "nonlinearity"):
        options["nonlinearity"] = ours.nonlinearity
    if not cell:
        options.update(
            batch_first=ours.batch_first, dropout=ours.dropout, bidirectional=ours.bidirectional
        )
        module = cls(ours.input_size, ours.hidden_size, ours.num_layers, **options)
    else:
        module = cls(ours.input_size, ours.hidden_size, **options)
    module.load_state_dict({k: torch_tensor(v) for k, v in ours.pytorch_state_dict().items()})
    lstm = isinstance(ours, (nn.LSTM, nn.LSTMCell))

    class TorchRecurrentOutputs(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.module = module

        def forward(self, x, *states):
            result = module(x, (tuple(states) if lstm else states[0]) if states else None)
            if cell:
                outputs = list(result) if lstm else [result]
            else:
                output, finals = result
                finals = finals if lstm else (finals,)
                output = output if ours.batch_first else output.transpose(0, 1)
                outputs = [output, *(f.transpose(0, 1) for f in finals)]
            return torch.cat([o.reshape(o.shape[0], -1) for o in outputs], dim=1)

    return TorchRecurrentOutputs()


def recurrent_torch_grads(torch_wrapper) -> dict[str, Any]:
    """By our names (``module.W_ih_l0``): weight gradients transposed, biases as (1, G·H)."""
    grads = {}
    for name, parameter in torch_wrapper.module.named_parameters():
        kind, _, rest = name.partition("_")
        ours = {"weight": "W", "bias": "b"}[kind] + "_" + rest
        grad = parameter.grad.T if kind == "weight" else parameter.grad[None, :]
        grads[f"module.{ours}"] = grad
    return grads


def recurrent(
    id: str, make: Callable[[], nn.Module], shape: tuple[int, ...], training=True, **options
):
    """A row for a recurrent layer or cell, through :class:`RecurrentOutputs` (in eval mode,
    the torch twin too, with ``training=False``)."""
    return LayerRow(
        id=id,
        make=lambda: RecurrentOutputs(make()).train(training),
        inputs=(shape,),
        torch=recurrent_to_torch,
        torch_grads=recurrent_torch_grads,
        **options,
    )


def recurrent_bad_inputs(name: str, states: int = 1) -> tuple[BadInput, ...]:
    """Bad inputs of a sequence layer ``name(3, 4)`` (batch_first, one layer and direction)."""
    zeros = (np.zeros((1, 2, 4)),) * states
    return (
        BadInput(
            (np.zeros((2, 5, 6)),),
            ValueError,
            rf"^{name}\(3, 4\) expects input of shape \(N, T, 3\) .* got \(2, 5, 6\)",
        ),
        BadInput(
            (np.zeros((2, 0, 3)),), ValueError, rf"^{name}\(3, 4\): .*\(2, 0, 3\) has T = 0"
        ),
        BadInput(
            (np.zeros((2, 5, 3)), np.zeros((2, 4)), *zeros[1:]),
            ValueError,
            rf"^{name}\(3, 4\): h0 must have shape \(1, 2, 4\) .* got \(2, 4\)",
        ),
        BadInput(
            (np.zeros((2, 5, 3)), *zeros[:-1], np.zeros((1, 3, 4))),
            ValueError,
            rf"^{name}\(3, 4\): {'c0' if states == 2 else 'h0'} must have shape \(1, 2, 4\)"
            r".* got \(1, 3, 4\)",
        ),
        BadInput(
            (np.zeros((2, 5), dtype=np.int64),),
            ValueError,
            rf"^{name}\(3, 4\) expects .* got \(2, 5\).*nn\.Embedding",
        ),
    )


def cell_bad_inputs(name: str, states: int = 1) -> tuple[BadInput, ...]:
    """Bad inputs of a cell ``name(3, 4)``: the feature size, the state's shape."""
    return (
        BadInput(
            (np.zeros((2, 5)),),
            ValueError,
            rf"^{name}\(3, 4\) expects input of shape \(N, 3\), or \(3,\) for one sample, "
            r"got \(2, 5\)$",
        ),
        BadInput(
            (np.zeros((2, 3)), np.zeros((3, 4)), *(np.zeros((2, 4)),) * (states - 1)),
            ValueError,
            rf"^{name}\(3, 4\): h must have shape \(2, 4\) .* got \(3, 4\)$",
        ),
    )


# ---------------------------------------------------------------------- the table
ROWS: list[LayerRow] = [
    # Linear: y = x @ W + b, W (in, out); 2-D and 3-D inputs
    linear(bias=True, input_shape=(5, 4)),
    linear(bias=False, input_shape=(5, 4)),
    linear(bias=True, input_shape=(2, 3, 4)),
    linear(bias=False, input_shape=(2, 3, 4)),
    LayerRow(
        id="identity",
        make=lambda: nn.Identity(),
        inputs=((3, 4),),
        torch=lambda layer: torch.nn.Identity(),
    ),
    LayerRow(
        id="sequential_mlp",  # a container is a layer too: its backward checks and casts G
        make=lambda: nn.Sequential(nn.Linear(4, 6), nn.ReLU(), nn.Linear(6, 3)),
        inputs=((5, 4),),
        torch=sequential_mlp_to_torch,
        torch_grads=sequential_mlp_torch_grads,
    ),
    LayerRow(
        id="flatten",
        make=lambda: nn.Flatten(),
        inputs=((2, 3, 2, 2),),
        torch=lambda layer: torch.nn.Flatten(layer.start_dim, layer.end_dim),
        bad_inputs=(
            BadInput((np.array(1.0),), IndexError, r"Flatten\(start_dim=1, end_dim=-1\) cannot"),
            BadInput((np.zeros(5),), IndexError, r"cannot flatten .* has no dimension 1"),
        ),
    ),
    LayerRow(
        id="flatten_0_1",
        make=lambda: nn.Flatten(0, 1),
        inputs=((2, 3, 2, 2),),
        torch=lambda layer: torch.nn.Flatten(layer.start_dim, layer.end_dim),
    ),
    LayerRow(
        id="flatten_2",
        make=lambda: nn.Flatten(2),
        inputs=((2, 3, 2, 2),),
        torch=lambda layer: torch.nn.Flatten(layer.start_dim, layer.end_dim),
        bad_inputs=(
            BadInput((np.zeros((2, 3)),), IndexError, "cannot flatten .* has no dimension 2"),
        ),
    ),
    # Dropout: torch's random masks differ from ours, so parity only where there is no mask
    LayerRow(
        id="dropout_p0",
        make=lambda: nn.Dropout(0.0),
        inputs=((4, 5),),
        torch=lambda layer: torch.nn.Dropout(layer.p),
    ),
    LayerRow(
        id="dropout_eval",
        make=lambda: nn.Dropout(0.5).eval(),
        inputs=((4, 5),),
        torch=lambda layer: torch.nn.Dropout(layer.p),
    ),
    LayerRow(
        id="dropout_train",  # no parity (random mask); gradcheck replays the generator's state
        make=lambda: nn.Dropout(0.4),
        inputs=((4, 5),),
    ),
    # Activations; the ids are the golden case names act_*.npz
    activation("act_relu", lambda: nn.ReLU(), lambda layer: torch.nn.ReLU()),
    activation(
        "act_leaky_relu",
        lambda: nn.LeakyReLU(),
        lambda layer: torch.nn.LeakyReLU(layer.negative_slope),
    ),
    activation(
        "act_leaky_relu_0.2",
        lambda: nn.LeakyReLU(0.2),
        lambda layer: torch.nn.LeakyReLU(layer.negative_slope),
    ),
    activation("act_elu", lambda: nn.ELU(), lambda layer: torch.nn.ELU(layer.alpha)),
    activation("act_elu_alpha_0.5", lambda: nn.ELU(0.5), lambda layer: torch.nn.ELU(layer.alpha)),
    activation("act_sigmoid", lambda: nn.Sigmoid(), lambda layer: torch.nn.Sigmoid()),
    activation("act_tanh", lambda: nn.Tanh(), lambda layer: torch.nn.Tanh()),
    activation("act_gelu", lambda: nn.GELU(), lambda layer: torch.nn.GELU(layer.approximate)),
    activation(
        "act_gelu_tanh", lambda: nn.GELU("tanh"), lambda layer: torch.nn.GELU(layer.approximate)
    ),
    activation("act_silu", lambda: nn.SiLU(), lambda layer: torch.nn.SiLU()),
    activation(
        "act_softplus",
        lambda: nn.Softplus(),
        lambda layer: torch.nn.Softplus(layer.beta, layer.threshold),
    ),
    activation(
        "act_softplus_beta2_th5",
        lambda: nn.Softplus(beta=2.0, threshold=5.0),
        lambda layer: torch.nn.Softplus(layer.beta, layer.threshold),
    ),
    activation(
        "act_softmax",
        lambda: nn.Softmax(dim=-1),
        lambda layer: torch.nn.Softmax(layer.dim),
        bad_inputs=(
            BadInput(
                (np.array(1.0),),
                ValueError,
                r"Softmax\(dim=-1\) got input of shape \(\), which has no dimension -1",
            ),
        ),
    ),
    activation(
        "act_softmax_dim0", lambda: nn.Softmax(dim=0), lambda layer: torch.nn.Softmax(layer.dim)
    ),
    activation(
        "act_log_softmax",
        lambda: nn.LogSoftmax(dim=1),
        lambda layer: torch.nn.LogSoftmax(layer.dim),
        bad_inputs=(
            BadInput(
                (np.zeros(5),),
                ValueError,
                r"LogSoftmax\(dim=1\) got input of shape \(5,\), which has no dimension 1",
            ),
        ),
    ),
    activation(
        "act_log_softmax_dim0",
        lambda: nn.LogSoftmax(dim=0),
        lambda layer: torch.nn.LogSoftmax(layer.dim),
    ),
    # Embedding: integer indices in, no input gradient (backward returns None)
    LayerRow(
        id="embedding",
        make=lambda: nn.Embedding(6, 4),
        inputs=(TOKENS,),
        torch=embedding_to_torch,
        torch_grads=embedding_torch_grads,
        bad_inputs=(
            BadInput(
                (TOKENS.astype(np.float64),),
                TypeError,
                r"Embedding\(6, 4\) expects integer indices, got an array of float64; convert "
                r"token ids with \.astype\(np\.int64\)",
            ),
            BadInput((np.array([True, False]),), TypeError, r"integer indices, got .* bool$"),
            BadInput(
                (np.array([[0, 6]]),),
                IndexError,
                r"Embedding\(6, 4\): index 6 is out of range; indices must be in \[0, 6\)",
            ),
            BadInput((np.array([2, -1]),), IndexError, r"index -1 is out of range"),
        ),
    ),
    LayerRow(
        id="embedding_padding_idx",
        make=lambda: nn.Embedding(6, 4, padding_idx=1),  # row 1 is zero and gets no gradient
        inputs=(TOKENS_WITH_PADDING,),
        # the padding row is read by forward but gets no gradient (as in torch), by definition
        gradcheck_inputs=(np.array([2, 0, 5, 2]),),
        torch=embedding_to_torch,
        torch_grads=embedding_torch_grads,
    ),
    # TiedLinear: y = x @ owner.W.T + b; the owner's dW receives the weight gradient
    LayerRow(
        id="tied_linear",  # alone: the owner is not part of the row, so only dx and db
        make=lambda: nn.TiedLinear(nn.Embedding(5, 3), bias=True),
        inputs=((2, 4, 3),),
        torch=tied_linear_to_torch,
        torch_grads=tied_linear_torch_grads,
        bad_inputs=(
            BadInput(
                (np.zeros((2, 4)),),
                ValueError,
                r"TiedLinear\(3 -> 5\) expects input of shape \(N, 3\), got \(2, 4\)",
            ),
        ),
    ),
    LayerRow(
        id="tied_embedding_head",  # the owner's dW: the embedding's and the head's gradients
        make=lambda: tied_embedding_head(bias=False),
        inputs=(TOKENS,),
        torch=tied_embedding_head_to_torch,
        torch_grads=tied_embedding_head_torch_grads,
    ),
    LayerRow(
        id="tied_embedding_head_bias",
        make=lambda: tied_embedding_head(bias=True),
        inputs=(TOKENS,),
        torch=tied_embedding_head_to_torch,
        torch_grads=tied_embedding_head_torch_grads,
    ),
    # The transformer's layers (ids and golden files of tests/test_transformer.py's cases)
    LayerRow(
        id="layernorm",
        make=lambda: random_gamma(nn.LayerNorm(6)),
        inputs=((2, 3, 6),),
        torch=layer_norm_to_torch,
        torch_grads=layer_norm_torch_grads,
        bad_inputs=(
            BadInput(
                (np.zeros((2, 3)),),
                ValueError,
                r"LayerNorm\(\(6,\)\) normalizes over the last dimensions, which must be "
                r"\(6\); expects input of shape \(N, \.\.\., 6\), got \(2, 3\)",
            ),
        ),
    ),
    LayerRow(
        id="layernorm_2d_shape_eps",
        make=lambda: random_gamma(nn.LayerNorm((3, 4), eps=1e-3)),
        inputs=((2, 3, 4),),
        torch=layer_norm_to_torch,
        torch_grads=layer_norm_torch_grads,
    ),
    LayerRow(
        id="layernorm_no_affine",
        make=lambda: nn.LayerNorm(5, elementwise_affine=False),
        inputs=((4, 5),),
        torch=layer_norm_to_torch,
        torch_grads=layer_norm_torch_grads,
    ),
    LayerRow(
        id="layernorm_no_bias",
        make=lambda: random_gamma(nn.LayerNorm(5, bias=False)),
        inputs=((4, 5),),
        torch=layer_norm_to_torch,
        torch_grads=layer_norm_torch_grads,
    ),
    attention("mha"),
    LayerRow(
        id="gpt",  # no parity here: tests/test_gpt.py compares it with a torch copy of itself
        make=lambda: GPT(vocab_size=7, block_size=4, n_layer=1, n_head=2, n_embd=4),
        inputs=(np.array([[1, 3, 1, 6], [0, 2, 5, 5]]),),
        gradcheck_tol=(1e-6, 1e-5),
    ),
    LayerRow(
        id="gpt_tied_dropout_eval",
        make=lambda: GPT(7, 4, 1, 2, 4, dropout=0.5, tie_weights=True).eval(),
        inputs=(np.array([[4, 3, 0], [1, 2, 2]]),),
        gradcheck_tol=(1e-6, 1e-5),
    ),
    LayerRow(
        id="gpt_no_bias",  # nanoGPT's bias=False; parity: tests/test_nanogpt.py
        make=lambda: GPT(7, 4, 2, 2, 4, tie_weights=True, bias=False),
        inputs=(np.array([[1, 3, 1, 6], [0, 2, 5, 5]]),),
        gradcheck_tol=(1e-6, 1e-5),
    ),
    LayerRow(
        id="char_rnn_lstm",  # parity: tests/test_char_rnn.py compares it with a torch copy
        make=lambda: CharRNN(7, 4, 5, 2, cell="lstm"),
        inputs=(np.array([[1, 3, 1, 6], [0, 2, 5, 5]]),),
        gradcheck_tol=(1e-6, 1e-5),
    ),
    LayerRow(
        id="char_rnn_gru",
        make=lambda: CharRNN(7, 3, 4, 1, cell="gru"),
        inputs=(np.array([[4, 3, 0], [1, 2, 2]]),),
        gradcheck_tol=(1e-6, 1e-5),
    ),
    attention("mha_causal", causal=True),
    attention("mha_bool_mask", mask=BOOL_MASK),
    attention("mha_float_mask_causal", causal=True, mask=FLOAT_MASK),
    attention("mha_per_head_mask", mask=PER_HEAD_MASK),
    attention("mha_causal_no_bias", causal=True, bias=False),
    LayerRow(
        id="residual",
        make=lambda: random_gamma(
            nn.Residual(nn.Sequential(nn.LayerNorm(6), nn.Linear(6, 6), nn.GELU()))
        ),
        inputs=((2, 3, 6),),
        torch=residual_to_torch,
        torch_grads=residual_torch_grads,
    ),
    LayerRow(
        id="transformer_block",
        make=lambda: random_gamma(nn.TransformerBlock(8, 2)),
        inputs=((3, T, 8),),
        torch=block_to_torch,
        torch_grads=block_torch_grads,
        bad_inputs=(
            BadInput(
                (np.zeros((4, 8)),),
                ValueError,
                r"TransformerBlock\(embed_dim=8\) expects input of shape \(N, T, 8\), "
                r"got \(4, 8\)",
            ),
        ),
    ),
    LayerRow(
        id="transformer_block_not_causal_mlp2",
        make=lambda: random_gamma(nn.TransformerBlock(8, 4, mlp_ratio=2, causal=False)),
        inputs=((2, T, 8),),
        torch=block_to_torch,
        torch_grads=block_torch_grads,
    ),
    # Conv2d: strides, padding, dilation, non-square kernels, odd sizes, batch size 1
    conv2d(
        "conv2d_3x3",
        3,
        4,
        3,
        shape=(2, 3, 6, 5),
        bad_inputs=(
            BadInput(
                (np.zeros((2, 2, 6, 5)),),
                ValueError,
                rf"^{CONV_NAME} expects input of shape \(N, 3, H, W\), got \(2, 2, 6, 5\)$",
            ),
            BadInput(
                (np.zeros((3, 6, 5)),),
                ValueError,
                r"got \(3, 6, 5\); a single image needs a batch dimension: x\[None\]",
            ),
            BadInput((np.zeros((2, 27)),), ValueError, r"got \(2, 27\); reshape rows of pixels"),
            BadInput(
                (np.zeros((2, 3, 2, 5)),),
                ValueError,
                rf"^{CONV_NAME}: the kernel \(3, 3\) is larger than the padded input \(2, 5\) "
                r"\(input of shape \(2, 3, 2, 5\), padding \(0, 0\)\)",
            ),
        ),
    ),
    conv2d("conv2d_stride2_pad1", 2, 3, 3, stride=2, padding=1, shape=(2, 2, 7, 6)),
    conv2d(
        "conv2d_nonsquare_dilated",
        2,
        3,
        (3, 2),
        stride=(2, 1),
        padding=(1, 0),
        dilation=(1, 2),
        shape=(2, 2, 7, 8),
        bad_inputs=(
            BadInput(
                (np.zeros((1, 2, 7, 2)),),
                ValueError,
                r"the dilated kernel \(3, 3\) is larger than the padded input \(9, 2\)",
            ),
        ),
    ),
    conv2d("conv2d_dilation2_batch1", 2, 2, 3, dilation=2, padding=2, shape=(1, 2, 5, 7)),
    conv2d("conv2d_kernel_covers_input", 2, 3, (4, 3), shape=(3, 2, 4, 3)),  # one output pixel
    conv2d("conv2d_1x1_no_bias", 4, 2, 1, bias=False, shape=(2, 4, 3, 3)),
    conv2d("conv2d_stride3_leftover", 1, 2, 2, stride=3, shape=(2, 1, 8, 7)),  # unused pixels
    # ConvTranspose2d: strides 1/2/3, padding, output_padding (< stride, or < dilation),
    # dilation, non-square kernels, odd sizes, groups, batch size 1
    conv_transpose2d(
        "conv_transpose2d_3x3",
        3,
        4,
        3,
        shape=(2, 3, 4, 5),
        bad_inputs=(
            BadInput(
                (np.zeros((2, 2, 4, 5)),),
                ValueError,
                rf"^{CONV_T_NAME} expects input of shape \(N, 3, H, W\), got \(2, 2, 4, 5\)$",
            ),
            BadInput(
                (np.zeros((3, 4, 5)),),
                ValueError,
                r"got \(3, 4, 5\); a single image needs a batch dimension: x\[None\]",
            ),
            BadInput((np.zeros((2, 60)),), ValueError, r"got \(2, 60\); reshape rows into images"),
        ),
    ),
    conv_transpose2d(
        "conv_transpose2d_dcgan_4x4_s2_p1",  # DCGAN's doubling layer: 3x3 -> 6x6
        4,
        2,
        4,
        stride=2,
        padding=1,
        shape=(2, 4, 3, 3),
    ),
    conv_transpose2d(
        "conv_transpose2d_s2_p1_outpad1_odd",
        2,
        3,
        3,
        stride=2,
        padding=1,
        output_padding=1,
        shape=(2, 2, 5, 3),
    ),
    conv_transpose2d(
        "conv_transpose2d_s3_nonsquare_outpad_batch1",
        2,
        3,
        (3, 2),
        stride=(3, 2),
        padding=(1, 0),
        output_padding=(2, 1),
        shape=(1, 2, 3, 4),
    ),
    conv_transpose2d(
        "conv_transpose2d_dilation2_pad1",
        2,
        2,
        3,
        dilation=2,
        padding=1,
        shape=(2, 2, 3, 4),
    ),
    conv_transpose2d(  # output_padding 1 >= stride 1, allowed as < dilation: a row of zeros' reach
        "conv_transpose2d_outpad_below_dilation",
        2,
        3,
        2,
        dilation=(2, 3),
        output_padding=(1, 2),
        shape=(2, 2, 3, 3),
    ),
    conv_transpose2d("conv_transpose2d_groups2", 4, 6, 3, stride=2, groups=2, shape=(2, 4, 3, 1)),
    conv_transpose2d("conv_transpose2d_groups3_depthwise", 3, 3, 2, groups=3, shape=(2, 3, 3, 3)),
    conv_transpose2d("conv_transpose2d_1x1_no_bias", 4, 2, 1, bias=False, shape=(2, 4, 3, 3)),
    # Upsample: nearest and bilinear, factors 2, 3, 1.5, pairs, and sizes
    upsample(
        "upsample_nearest_2",
        (2, 3, 3, 4),
        scale_factor=2,
        bad_inputs=(
            BadInput(
                (np.zeros((3, 4, 5)),),
                ValueError,
                r"^Upsample\(scale_factor=\(2\.0, 2\.0\), mode='nearest'\) expects input of "
                r"shape \(N, C, H, W\), got \(3, 4, 5\); a single image needs a batch",
            ),
        ),
    ),
    upsample("upsample_nearest_3", (2, 2, 3, 2), scale_factor=3),
    upsample("upsample_nearest_1.5", (2, 2, 5, 4), scale_factor=1.5),
    upsample("upsample_nearest_pair_1.5_2.5", (1, 2, 3, 5), scale_factor=(1.5, 2.5)),
    upsample("upsample_nearest_size_7x5", (2, 2, 3, 4), size=(7, 5)),
    upsample("upsample_nearest_size_down", (2, 2, 5, 6), size=3),
    upsample("upsample_bilinear_2", (2, 3, 3, 4), scale_factor=2, mode="bilinear"),
    upsample("upsample_bilinear_3", (2, 2, 3, 2), scale_factor=3, mode="bilinear"),
    upsample("upsample_bilinear_1.5", (2, 2, 5, 4), scale_factor=1.5, mode="bilinear"),
    upsample(
        "upsample_bilinear_size_7x5_batch1",
        (1, 2, 3, 4),
        size=(7, 5),
        mode="bilinear",
        bad_inputs=(
            BadInput(
                (np.zeros((1, 2, 0, 4)),),
                ValueError,
                r"input and output sizes must be greater than 0, got input of shape "
                r"\(1, 2, 0, 4\)",
            ),
        ),
    ),
    upsample(
        "upsample_bilinear_align_corners",
        (2, 2, 3, 4),
        scale_factor=2.5,
        mode="bilinear",
        align_corners=True,
    ),
    # GroupNorm: one group (all channels), one per channel, and between
    group_norm(
        "groupnorm_2_of_6",
        2,
        6,
        shape=(2, 6, 3, 4),
        bad_inputs=(
            BadInput(
                (np.zeros((2, 4, 3, 3)),),
                ValueError,
                r"^GroupNorm\(2, 6\) expects input of shape \(N, 6, H, W\) "
                r"\(or \(N, 6, \.\.\.\)\), got \(2, 4, 3, 3\)$",
            ),
        ),
    ),
    group_norm("groupnorm_1_group", 1, 4, shape=(2, 4, 3, 3)),
    group_norm("groupnorm_per_channel_eps", 3, 3, eps=1e-3, shape=(2, 3, 4, 3)),
    group_norm("groupnorm_3_of_6_sequence_batch1", 3, 6, shape=(1, 6, 5)),  # (N, C, L)
    group_norm("groupnorm_no_affine", 2, 4, affine=False, shape=(3, 4, 2, 3)),
    # Unflatten: the inverse of Flatten
    LayerRow(
        id="unflatten",
        make=lambda: nn.Unflatten(1, (2, 3, 2)),
        inputs=((2, 12),),
        torch=lambda layer: torch.nn.Unflatten(layer.dim, layer.unflattened_size),
        bad_inputs=(
            BadInput(
                (np.zeros((2, 10)),),
                ValueError,
                r"^Unflatten\(dim=1, unflattened_size=\(2, 3, 2\)\): the sizes \(2, 3, 2\) do not "
                r"multiply up to the size of dimension 1 \(10\)",
            ),
            BadInput((np.zeros(12),), IndexError, r"cannot unflatten .* has no dimension 1"),
        ),
    ),
    LayerRow(
        id="unflatten_last_inferred",
        make=lambda: nn.Unflatten(-1, (2, -1)),
        inputs=((3, 2, 6),),
        torch=lambda layer: torch.nn.Unflatten(layer.dim, layer.unflattened_size),
    ),
    # SinusoidalEmbedding (DDPM's [sin, cos]) and tiny-diffusion's MLP: torch copies of
    # tiny-diffusion's modules in tests/diffusion_torch.py (torch has none of its own)
    LayerRow(
        id="sinusoidal_embedding_scale2",
        make=lambda: nn.SinusoidalEmbedding(8, scale=2.0),
        inputs=((3, 4),),  # t (..., ): a value per position
        torch=lambda layer: diffusion_torch().SinusoidalEmbedding(layer.size, layer.scale),
    ),
    LayerRow(
        id="diffusion_mlp",
        make=lambda: DiffusionMLP(hidden_size=8, hidden_layers=2, emb_size=4),
        inputs=((5, 2), np.array([0, 3, 49, 7, 3])),  # points x_t, integer timesteps t
        torch=diffusion_mlp_to_torch,
        torch_grads=diffusion_mlp_torch_grads,
        bad_inputs=(
            BadInput((np.zeros((5, 3)), np.zeros(5, dtype=int)), ValueError, r"\(N, 2\)"),
        ),
    ),
    # Pooling: MaxPool2d pads with -inf; AvgPool2d counts the padding (count_include_pad)
    pool("maxpool2d_2", lambda: nn.MaxPool2d(2), (2, 3, 6, 5)),
    pool(
        "maxpool2d_3_s2_p1",
        lambda: nn.MaxPool2d(3, stride=2, padding=1),
        (2, 2, 7, 6),
        bad_inputs=(
            BadInput(
                (np.zeros((2, 7, 6)),),
                ValueError,
                r"^MaxPool2d\(kernel_size=\(3, 3\), stride=\(2, 2\)\) expects input of shape "
                r"\(N, C, H, W\), got \(2, 7, 6\)",
            ),
        ),
    ),
    pool(
        "maxpool2d_nonsquare_batch1",
        lambda: nn.MaxPool2d((3, 2), stride=(1, 2), padding=(1, 1)),
        (1, 2, 5, 5),
    ),
    pool(
        "maxpool2d_ties_overlapping",
        lambda: nn.MaxPool2d(2, stride=1),
        (2, 2, 5, 6),
        parity_inputs=(MAX_POOL_TIES,),
    ),
    pool(
        "maxpool2d_ties_padded",
        lambda: nn.MaxPool2d(3, stride=2, padding=1),
        (2, 2, 5, 6),
        parity_inputs=(MAX_POOL_TIES,),
    ),
    pool(
        "avgpool2d_2",
        lambda: nn.AvgPool2d(2),
        (2, 3, 6, 5),
        bad_inputs=(
            BadInput(
                (np.zeros((2, 3, 1, 5)),),
                ValueError,
                r"^AvgPool2d\(kernel_size=\(2, 2\), stride=\(2, 2\)\): the kernel \(2, 2\) is "
                r"larger than the padded input \(1, 5\)",
            ),
        ),
    ),
    pool("avgpool2d_3_s2_p1", lambda: nn.AvgPool2d(3, stride=2, padding=1), (2, 2, 7, 6)),
    pool(
        "avgpool2d_nonsquare_batch1",
        lambda: nn.AvgPool2d((3, 2), stride=(1, 2), padding=(1, 1)),
        (1, 2, 5, 5),
    ),
    pool(
        "adaptive_avgpool2d_3x4",  # 7×6 -> 3×4: windows of different sizes that overlap
        lambda: nn.AdaptiveAvgPool2d((3, 4)),
        (2, 3, 7, 6),
        bad_inputs=(
            BadInput(
                (np.zeros((3, 7, 6)),),
                ValueError,
                r"^AdaptiveAvgPool2d\(output_size=\(3, 4\)\) expects input of shape "
                r"\(N, C, H, W\), got \(3, 7, 6\)",
            ),
        ),
    ),
    pool("adaptive_avgpool2d_global", lambda: nn.AdaptiveAvgPool2d(1), (2, 3, 5, 4)),
    pool(
        "adaptive_avgpool2d_larger_keep_width_batch1",  # 3 rows -> 5 (windows repeat), W kept
        lambda: nn.AdaptiveAvgPool2d((5, None)),
        (1, 2, 3, 4),
    ),
    # BatchNorm: batch statistics in training (the full backward), running ones in eval
    batchnorm(
        "batchnorm1d",
        lambda: with_statistics(nn.BatchNorm1d(3)),
        (5, 3),
        bad_inputs=(
            BadInput(
                (np.zeros((2, 4)),),
                ValueError,
                r"^BatchNorm1d\(3\) expects input of shape \(N, 3\) or \(N, 3, L\), got \(2, 4\)$",
            ),
            BadInput(
                (np.zeros((2, 3, 4, 4)),),
                ValueError,
                r"got \(2, 3, 4, 4\); for this input use BatchNorm2d$",
            ),
            BadInput(
                (np.zeros((1, 3)),),
                ValueError,
                r"^BatchNorm1d\(3\): expected more than 1 value per channel when training, got "
                r"input of shape \(1, 3\)",
            ),
        ),
    ),
    batchnorm(
        "batchnorm1d_3d_momentum_none",
        lambda: with_statistics(nn.BatchNorm1d(3, momentum=None)),
        (4, 3, 5),
    ),
    batchnorm("batchnorm1d_eval", lambda: with_statistics(nn.BatchNorm1d(3)).eval(), (5, 3)),
    batchnorm("batchnorm1d_no_affine", lambda: nn.BatchNorm1d(3, affine=False), (6, 3)),
    # SyncBatchNorm in a one-process world is BatchNorm (N processes: tests/test_distributed.py)
    batchnorm("syncbatchnorm_4d", lambda: with_statistics(nn.SyncBatchNorm(3)), (2, 3, 4, 5)),
    batchnorm(
        "syncbatchnorm_eval", lambda: with_statistics(nn.SyncBatchNorm(3)).eval(), (4, 3)
    ),
    batchnorm(
        "batchnorm2d",
        lambda: with_statistics(nn.BatchNorm2d(3)),
        (2, 3, 4, 5),
        bad_inputs=(
            BadInput(
                (np.zeros((2, 5, 4, 4)),),
                ValueError,
                r"^BatchNorm2d\(3\) expects input of shape \(N, 3, H, W\), got \(2, 5, 4, 4\)$",
            ),
            BadInput(
                (np.zeros((2, 3)),), ValueError, r"got \(2, 3\); for this input use BatchNorm1d"
            ),
        ),
    ),
    batchnorm(
        "batchnorm2d_batch1_eps",
        lambda: with_statistics(nn.BatchNorm2d(3, eps=1e-3)),
        (1, 3, 3, 2),
    ),
    batchnorm("batchnorm2d_eval", lambda: with_statistics(nn.BatchNorm2d(3)).eval(), (2, 3, 4, 5)),
    batchnorm(
        "batchnorm2d_no_affine_eval",
        lambda: with_statistics(nn.BatchNorm2d(3, affine=False)).eval(),
        (2, 3, 3, 3),
    ),
    batchnorm(
        "batchnorm2d_no_running_stats_eval",  # no running statistics: eval uses the batch's
        lambda: with_statistics(nn.BatchNorm2d(3, track_running_stats=False)).eval(),
        (2, 3, 3, 4),
    ),
    # Dropout2d: whole channels; parity only where there is no mask
    LayerRow(
        id="dropout2d_p0",
        make=lambda: nn.Dropout2d(0.0),
        inputs=((2, 3, 4, 4),),
        torch=lambda layer: torch.nn.Dropout2d(layer.p),
        bad_inputs=(
            BadInput(
                (np.zeros((4, 5)),),
                ValueError,
                r"^Dropout2d\(p=0\.0\) expects input of shape \(N, C, H, W\) \(or \(N, C, L\)\), "
                r"got \(4, 5\); for \(N, D\) features use Dropout",
            ),
        ),
    ),
    LayerRow(
        id="dropout2d_eval",
        make=lambda: nn.Dropout2d(0.5).eval(),
        inputs=((2, 3, 4, 4),),
        torch=lambda layer: torch.nn.Dropout2d(layer.p),
    ),
    LayerRow(id="dropout2d_train", make=lambda: nn.Dropout2d(0.4), inputs=((3, 4, 2, 3),)),
    # Recurrent layers and cells (RecurrentOutputs: output, h_n and c_n side by side)
    recurrent(
        "rnn_tanh",
        lambda: nn.RNN(3, 4, batch_first=True),
        (2, 5, 3),
        bad_inputs=recurrent_bad_inputs("RNN"),
    ),
    recurrent(
        "rnn_relu_2layers_bidirectional",
        lambda: nn.RNN(3, 4, 2, nonlinearity="relu", batch_first=True, bidirectional=True),
        (2, 4, 3),
    ),
    recurrent(
        "lstm",
        lambda: nn.LSTM(3, 4, batch_first=True),
        (2, 5, 3),
        bad_inputs=recurrent_bad_inputs("LSTM", states=2),
    ),
    recurrent(
        "lstm_2layers_bidirectional_no_bias_time_first",
        lambda: nn.LSTM(3, 4, 2, bias=False, batch_first=False, bidirectional=True),
        (4, 2, 3),  # (T, N, D)
    ),
    recurrent(
        "lstm_2layers_dropout_eval",  # dropout between layers is off in eval: torch's numbers
        lambda: nn.LSTM(3, 4, 2, batch_first=True, dropout=0.5),
        (2, 3, 3),
        training=False,
    ),
    recurrent(
        "gru",
        lambda: nn.GRU(3, 4, batch_first=True),
        (2, 5, 3),
        bad_inputs=recurrent_bad_inputs("GRU"),
    ),
    recurrent(
        "gru_2layers_bidirectional_no_bias",
        lambda: nn.GRU(3, 4, 2, bias=False, batch_first=True, bidirectional=True),
        (2, 4, 3),
    ),
    recurrent("rnn_cell", lambda: nn.RNNCell(3, 4), (5, 3), bad_inputs=cell_bad_inputs("RNNCell")),
    recurrent("rnn_cell_relu_no_bias", lambda: nn.RNNCell(3, 4, False, "relu"), (5, 3)),
    recurrent(
        "lstm_cell", lambda: nn.LSTMCell(3, 4), (5, 3), bad_inputs=cell_bad_inputs("LSTMCell", 2)
    ),
    recurrent("gru_cell", lambda: nn.GRUCell(3, 4), (5, 3), bad_inputs=cell_bad_inputs("GRUCell")),
    recurrent("gru_cell_no_bias", lambda: nn.GRUCell(3, 4, bias=False), (5, 3)),
]
