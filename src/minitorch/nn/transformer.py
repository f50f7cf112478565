"""The residual connection and the pre-norm transformer block built from it."""

from __future__ import annotations

import numpy as np

from .._validation import check_int, float_input
from .activation import GELU
from .attention import MultiheadAttention
from .container import Sequential
from .dropout import Dropout
from .linear import Linear
from .module import Module
from .normalization import LayerNorm


class Residual(Module):
    r"""A residual (skip) connection around a module: ``y = x + f(x)``.

    The one branch a :class:`Sequential` cannot express: the input goes both *through* ``f``
    and *around* it, and the two paths are added. Backward therefore adds two gradients:
    the one that comes back through ``f`` and the one that skips it. Like Sequential it is a
    container (the Composite pattern): ``Residual(Sequential(LayerNorm(E), Linear(E, E)))``
    is a module, and can itself sit in a Sequential.

    Parameters
    ----------
    module : Module
        f; its output must have the shape of its input.

    Math
    ----
    forward:   y  = x + f(x)                       shape of x
    backward:  dx = G + f.backward(G)              (skip path + path through f)
    """

    def __init__(self, module: Module) -> None:
        super().__init__()
        if isinstance(module, type) and issubclass(module, Module):
            raise TypeError(
                f"Residual expects a module, got the class {module.__name__}: write "
                f"{module.__name__}(...) with parentheses"
            )
        if not isinstance(module, Module):
            raise TypeError(f"Residual expects a Module, got {type(module).__name__}")
        self.module = module

    # needs_input_grad = False: nobody wants dL/dx = G + f.backward(G), so f need not compute
    # its own dL/dx either (its parameters still get their gradients): it is told the same.
    @property
    def needs_input_grad(self) -> bool:
        return self.module.needs_input_grad

    @needs_input_grad.setter
    def needs_input_grad(self, value: bool) -> None:
        self.module.needs_input_grad = bool(value)

    def forward(self, x: np.ndarray) -> np.ndarray:
        params = self.module.parameters()
        # computed in the parameters' dtype, so that x + f(x) keeps it
        x = float_input(x, "Residual", params[0].dtype if params else None)
        fx = self.module(x)
        if np.shape(fx) != x.shape:
            raise ValueError(
                "Residual: y = x + f(x) needs f(x) shaped like x, but "
                f"{type(self.module).__name__} maps {x.shape} to {np.shape(fx)}"
            )
        return x + fx

    def backward(self, grad_output: np.ndarray) -> np.ndarray | None:
        G, input_grad = self._begin_backward(grad_output)
        through = self.module.backward(G)
        if not input_grad:
            return None
        if through is None:
            raise RuntimeError(
                f"Residual: {type(self.module).__name__}.backward returned None, but "
                "dL/dx = G + f.backward(G) needs the gradient through f as well as the skip"
            )
        return G + through

    def extra_repr(self) -> str:
        return ""


class TransformerBlock(Module):
    r"""A pre-norm transformer block, as in GPT-2 and nanoGPT.

    Two residual branches: self-attention mixes information across positions, then a
    two-layer MLP transforms each position on its own. Each branch reads a layer-normalized
    copy of the residual stream x and adds its result back into it ("pre-norm").

    Parameters
    ----------
    embed_dim : int
        E, the features per position.
    num_heads : int
        Attention heads; must divide E.
    mlp_ratio : int
        The MLP's hidden width is ``mlp_ratio · E`` (default 4).
    dropout : float
        Dropout probability, in training mode, where nanoGPT puts it: on the attention
        weights, and on each branch's output before it is added back (default 0).
    causal : bool
        Causal self-attention (default ``True``, a decoder as in GPT).
    bias : bool
        Biases in the Linear layers and LayerNorms (default ``True``).
    dtype : numpy dtype, optional
        Defaults to :func:`minitorch.get_default_dtype`.

    Attributes
    ----------
    ln1 : LayerNorm(E)
    attn : MultiheadAttention(E, num_heads, dropout, causal=causal)
    dropout1 : Dropout — on the attention branch's output
    ln2 : LayerNorm(E)
    mlp : Sequential(Linear(E, 4E), GELU(), Linear(4E, E))  — GELU exact, as PyTorch's default
    dropout2 : Dropout — on the MLP branch's output

    Math
    ----
    With x of shape (N, T, E) and G = dL/dy::

        forward:   h = x + dropout1(attn(ln1(x)))                        (N, T, E)
                   y = h + dropout2(mlp(ln2(h)))                         (N, T, E)
        backward:  dh = G + ln2.backward(mlp.backward(dropout2.backward(G)))
                   dx = dh + ln1.backward(attn.backward(dropout1.backward(dh)))

    Each line of the backward is a :class:`Residual`'s: the gradient that skips the branch plus
    the one that goes through it. The block *is*
    ``Sequential(Residual(Sequential(ln1, attn, dropout1)), Residual(Sequential(ln2, mlp,
    dropout2)))``, written out so that its parts keep the short names of nanoGPT (``ln1``,
    ``attn``, ...) in ``state_dict`` rather than ``0.module.0``.
    """

    def __init__(
        self,
        embed_dim: int,
        num_heads: int,
        mlp_ratio: int = 4,
        dropout: float = 0.0,
        causal: bool = True,
        bias: bool = True,
        dtype=None,
    ) -> None:
        super().__init__()
        E = check_int("TransformerBlock", "embed_dim", embed_dim, 1)
        mlp_ratio = check_int("TransformerBlock", "mlp_ratio", mlp_ratio, 1)
        self.embed_dim = E
        self.ln1 = LayerNorm(E, bias=bias, dtype=dtype)
        self.attn = MultiheadAttention(E, num_heads, dropout, bias=bias, causal=causal, dtype=dtype)
        self.dropout1 = Dropout(dropout)
        self.ln2 = LayerNorm(E, bias=bias, dtype=dtype)
        hidden = mlp_ratio * E
        self.mlp = Sequential(
            Linear(E, hidden, bias=bias, dtype=dtype),
            GELU(),
            Linear(hidden, E, bias=bias, dtype=dtype),
        )
        self.dropout2 = Dropout(dropout)

    # needs_input_grad = False: dx is not computed, and ln1, the first layer x meets on the
    # attention branch, skips its own dL/dx (the branch's parameters still get theirs).
    @property
    def needs_input_grad(self) -> bool:
        return self.ln1.needs_input_grad

    @needs_input_grad.setter
    def needs_input_grad(self, value: bool) -> None:
        self.ln1.needs_input_grad = bool(value)

    def forward(self, x: np.ndarray) -> np.ndarray:
        E = self.embed_dim
        x = float_input(x, "TransformerBlock", self.ln1.gamma.dtype)
        if x.ndim != 3 or x.shape[-1] != E:
            raise ValueError(
                f"TransformerBlock(embed_dim={E}) expects input of shape (N, T, {E}), got {x.shape}"
            )
        h = x + self.dropout1(self.attn(self.ln1(x)))
        # The MLP acts on each position alone: give it the N·T positions as rows (one matrix
        # product per Linear instead of one per sample).
        branch = self.mlp(self.ln2(h).reshape(-1, E)).reshape(x.shape)
        return h + self.dropout2(branch)

    def backward(self, grad_output: np.ndarray) -> np.ndarray | None:
        G, input_grad = self._begin_backward(grad_output)
        E = self.embed_dim
        d_branch = self.dropout2.backward(G).reshape(-1, E)
        dh = G + self.ln2.backward(self.mlp.backward(d_branch).reshape(G.shape))
        d_skip = self.ln1.backward(self.attn.backward(self.dropout1.backward(dh)))
        return dh + d_skip if input_grad else None

    def extra_repr(self) -> str:
        return ""
