"""Linear (fully connected) layer and the Identity layer."""

from __future__ import annotations

import numpy as np

from .. import _state
from .._validation import check_flag, check_memory, check_size, float_input
from . import functional as F
from . import init
from .module import Module, accumulate_grad


class Linear(Module):
    r"""Fully connected layer: ``y = x @ W + b``.

    Parameters
    ----------
    input_dim, output_dim : int
        Sizes of each input and output row.
    bias : bool
        Whether to add the learned bias ``b`` (default ``True``).
    dtype : numpy dtype, optional
        Parameter dtype; defaults to :func:`minitorch.get_default_dtype` (float32).

    Attributes
    ----------
    W : ndarray, shape (input_dim, output_dim)
        Weights, He-normal initialised: ``randn * sqrt(2 / input_dim)``.
    b : ndarray, shape (1, output_dim), or None
        Bias, initialised to zeros.
    x : ndarray, shape (N, input_dim)
        The input cached by ``forward`` for ``backward``.
    dW, db : ndarray or None
        Accumulated gradients, shaped like ``W`` and ``b``; ``None`` before the first backward.

    Math
    ----
    The code: ``F.linear_forward`` / ``F.linear_backward`` (``nn/functional/linear.py``).

    forward:   y  = x W + b                  (N, output_dim)
    backward:  dW += xᵀ G                    (input_dim, output_dim)
               db += Σₙ Gₙ                    (1, output_dim)
    (``+=``: gradients accumulate; after ``zero_grad()`` dW is ``None`` and is simply set.)
               dx  = G Wᵀ                     (N, input_dim)
    where G = dL/dy. Any leading dimensions ``(N, T, input_dim)`` are treated as a bigger batch.
    With ``needs_input_grad = False`` (for a first layer, whose input is data) backward skips
    dx and returns ``None``.
    Inputs are cast to the parameters' dtype, so a float64 or uint8 batch feeds a float32 model.
    """

    no_weight_decay = ("b",)

    def __init__(self, input_dim: int, output_dim: int, bias: bool = True, dtype=None) -> None:
        super().__init__()
        self.input_dim = check_size("Linear", "input_dim", input_dim)
        self.output_dim = check_size("Linear", "output_dim", output_dim)
        bias = check_flag("Linear", "bias", bias)
        dtype = _state.parameter_dtype("Linear", dtype)
        shape = (self.input_dim, self.output_dim)
        name = f"Linear({self.input_dim} -> {self.output_dim})"
        check_memory(name, "the weights W", shape, dtype, "input_dim or output_dim")
        self.W = np.empty(shape, dtype=dtype)
        self.b = np.empty((1, self.output_dim), dtype=dtype) if bias else None
        self.x = None
        self.dW = None
        self.db = None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Draw W again, He normal (``init.kaiming_normal_``: N(0, 2 / input_dim)), and zero b,
        in place, as ``torch.nn.Linear.reset_parameters`` (whose default is Kaiming uniform)."""
        init.kaiming_normal_(self.W)
        if self.b is not None:
            init.zeros_(self.b)

    def forward(self, x: np.ndarray) -> np.ndarray:
        name = f"Linear({self.input_dim} -> {self.output_dim})"
        x = float_input(x, name, self.W.dtype)  # computed in the parameters' dtype
        if x.ndim < 2 or x.shape[-1] != self.input_dim:
            raise ValueError(
                f"{name} expects input of shape (N, {self.input_dim}), got {x.shape}"
                + (". Flatten images first (nn.Flatten())" if x.ndim > 2 else "")
            )
        self.x = x
        y, _ = F.linear_forward(x, self.W, self.b)
        return y

    def backward(self, grad_output: np.ndarray) -> np.ndarray | None:
        G, input_grad = self._begin_backward(grad_output)
        dx, dW, db = F.linear_backward(G, F.LinearCache(self.x, self.W, self.b), input_grad)
        self.dW = accumulate_grad(self.dW, dW, owned=True)  # dW, db: fresh arrays of this call
        if self.b is not None:
            self.db = accumulate_grad(self.db, db, owned=True)
        return dx

    def parameters(self) -> list[np.ndarray]:
        return [self.W] if self.b is None else [self.W, self.b]

    def grads(self) -> list[np.ndarray | None]:
        return [self.dW] if self.b is None else [self.dW, self.db]

    def extra_repr(self) -> str:
        return (
            f"input_dim={self.input_dim}, output_dim={self.output_dim}, bias={self.b is not None}"
        )


class Identity(Module):
    """Returns its input unchanged; backward returns ``grad_output`` unchanged.

    A placeholder, e.g. to switch a layer off without changing a model's structure.
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__()

    def forward(self, x: np.ndarray) -> np.ndarray:
        return float_input(x, "Identity")  # a float array is returned as it is

    def backward(self, grad_output: np.ndarray) -> np.ndarray | None:
        G, input_grad = self._begin_backward(grad_output)
        return G if input_grad else None


class TiedLinear(Module):
    r"""A linear layer that borrows another module's weight, transposed: ``y = x @ Wᵀ + b``.

    This is how minitorch shares one weight between two places, as GPT-2 and nanoGPT tie the
    output head to the token embedding: the head reads the embedding's ``W`` (V, D) at every
    forward and *adds* its gradient into the embedding's ``dW``. It owns no weight, so the
    shared array appears once in ``parameters()`` and in ``state_dict()`` (under the owner's
    name), the optimizer updates it once per step with the sum of both gradients, and it stays
    shared after ``load_state_dict`` (which writes into the owner's array) or ``double()``.

    Parameters
    ----------
    owner : Module
        The module whose 2-D ``W`` (output_dim, input_dim) is used, e.g. an ``Embedding``; it
        must be part of the model (that is where the weight is trained and saved).
    bias : bool
        Whether this layer adds a bias ``b`` of its own (default ``False``).

    Attributes
    ----------
    owner : Module
        Not a child: ``named_children()`` is empty, so nothing is collected twice.
    b : ndarray, shape (1, output_dim), or None
    x : ndarray, shape (N, input_dim), the cached input.
    db : ndarray or None

    Math
    ----
    The code: ``F.linear_forward`` / ``F.linear_backward`` (``nn/functional/linear.py``),
    with W = Eᵀ.

    With E = owner.W of shape (V, D) and G = dL/dy of shape (N, V):

    forward:   y  = x Eᵀ + b                     (N, V)
    backward:  owner.dW += (xᵀ G)ᵀ = Gᵀ x        (V, D)   the gradient of Eᵀ, transposed
               db += Σₙ Gₙ                        (1, V)
               dx  = G E                          (N, D)
    """

    no_weight_decay = ("b",)  # the borrowed W is decayed (or not) by its owner

    def __init__(self, owner: Module, bias: bool = False) -> None:
        super().__init__()
        W = getattr(owner, "W", None)
        if not isinstance(owner, Module) or not isinstance(W, np.ndarray) or W.ndim != 2:
            raise TypeError(
                "TiedLinear(owner) needs a Module with a 2-D weight W (an Embedding or a "
                f"Linear), got {type(owner).__name__}"
            )
        if not any(p is W for p in owner.parameters()):
            raise ValueError(
                f"TiedLinear: {type(owner).__name__}.W is not among its parameters(), so its "
                "gradient would never be used"
            )
        self.owner = owner
        self.output_dim, self.input_dim = W.shape
        self.b = np.zeros((1, self.output_dim), dtype=W.dtype) if bias else None
        self.x = None
        self.db = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        W = self.owner.W
        name = f"TiedLinear({self.input_dim} -> {self.output_dim})"
        x = float_input(x, name, W.dtype)
        if x.ndim < 2 or x.shape[-1] != self.input_dim:
            raise ValueError(f"{name} expects input of shape (N, {self.input_dim}), got {x.shape}")
        self.x = x
        y, _ = F.linear_forward(x, W.T, self.b)
        return y

    def backward(self, grad_output: np.ndarray) -> np.ndarray | None:
        G, input_grad = self._begin_backward(grad_output)
        cache = F.LinearCache(self.x, self.owner.W.T, self.b)
        dx, dW_T, db = F.linear_backward(G, cache, input_grad)
        # dW_T is the gradient of Wᵀ; the owner gets its transpose, laid out like W itself.
        self.owner.dW = accumulate_grad(self.owner.dW, np.ascontiguousarray(dW_T.T), owned=True)
        if self.b is not None:
            self.db = accumulate_grad(self.db, db, owned=True)
        return dx

    def named_children(self) -> list[tuple[str, Module]]:
        return []  # the owner belongs to the model elsewhere

    def parameters(self) -> list[np.ndarray]:
        return [] if self.b is None else [self.b]

    def grads(self) -> list[np.ndarray | None]:
        return [] if self.b is None else [self.db]

    def extra_repr(self) -> str:
        return (
            f"input_dim={self.input_dim}, output_dim={self.output_dim}, bias={self.b is not None}, "
            f"weight=Wᵀ of {type(self.owner).__name__}"
        )
