"""Activations: parameter-free, element-wise (or, for softmax, row-wise) non-linearities.

Each activation is a pair of formulas from :mod:`minitorch.nn.functional`
(``nn/functional/activation.py``): ``ReLU`` calls ``F.relu_forward`` / ``F.relu_backward``, and
so on. The shared :class:`Activation` base runs them: ``forward`` caches the input ``x`` (the
spec's name) and the pair's named cache (``ReLUCache(x)``, ``SigmoidCache(y)``: the output
where the derivative is cheaper from it), and ``backward`` applies the chain rule,
``dx = f'(x) ⊙ grad_output``.
"""

from __future__ import annotations

import numpy as np

from .._validation import check_choice, check_float, check_int, float_input
from . import functional as F
from .module import Module


class Activation(Module):
    """Base class of parameter-free activations (``parameters()`` and ``grads()`` are ``[]``).

    A subclass provides the formula pair

    * ``_forward(x) -> (y, cache)``: the function, and what its derivative needs;
    * ``_backward(grad_output, cache) -> dx``: the chain rule, ``f'(x) ⊙ grad_output``;

    or, like the spec's ReLU, overrides ``forward`` and ``backward`` itself.

    Attributes
    ----------
    x : ndarray or None
        The last input (any shape); ``None`` before the first forward.
    cache : NamedTuple
        What ``_forward`` returned for ``_backward`` (``ReLUCache(x)``, ``SigmoidCache(y)``...).
    """

    def __init__(self) -> None:
        super().__init__()
        self.x = None
        self.cache = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = float_input(x, type(self).__name__)  # int/bool inputs are computed in float
        self.x = x
        y, self.cache = self._forward(x)
        return y

    def backward(self, grad_output: np.ndarray) -> np.ndarray | None:
        G, input_grad = self._begin_backward(grad_output)
        return self._backward(G, self.cache) if input_grad else None

    def _forward(self, x: np.ndarray) -> tuple[np.ndarray, object]:
        raise NotImplementedError(f"{type(self).__name__} must implement forward(x)")

    def _backward(self, grad_output: np.ndarray, cache: object) -> np.ndarray:
        raise NotImplementedError(f"{type(self).__name__} must implement backward(grad_output)")

    def parameters(self) -> list[np.ndarray]:
        return []

    def grads(self) -> list[np.ndarray | None]:
        return []


class ReLU(Activation):
    """ReLU(x) = max(0, x).

    backward: dx = grad_output ⊙ [x > 0]  (0 at x = 0, as PyTorch). Caches x. Any shape.
    """

    def _forward(self, x):
        return F.relu_forward(x)

    def _backward(self, grad_output, cache):
        return F.relu_backward(grad_output, cache)


class LeakyReLU(Activation):
    """LeakyReLU(x) = x if x > 0 else negative_slope·x.

    backward: dx = grad_output ⊙ (1 if x > 0 else negative_slope). Caches x. Any shape.
    """

    def __init__(self, negative_slope: float = 0.01) -> None:
        super().__init__()
        self.negative_slope = check_float("LeakyReLU", "negative_slope", negative_slope)

    def _forward(self, x):
        return F.leaky_relu_forward(x, self.negative_slope)

    def _backward(self, grad_output, cache):
        return F.leaky_relu_backward(grad_output, cache)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}"


class ELU(Activation):
    """ELU(x) = x if x > 0 else α(eˣ − 1).

    backward: dx = grad_output ⊙ (1 if x > 0 else α·eˣ). Caches x. Any shape.
    """

    def __init__(self, alpha: float = 1.0) -> None:
        super().__init__()
        self.alpha = check_float("ELU", "alpha", alpha)

    def _forward(self, x):
        return F.elu_forward(x, self.alpha)

    def _backward(self, grad_output, cache):
        return F.elu_backward(grad_output, cache)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}"


class Sigmoid(Activation):
    """σ(x) = 1 / (1 + e⁻ˣ), computed stably (``scipy.special.expit``).

    backward: dx = grad_output ⊙ y(1 − y), from the cached *output* y. Any shape.
    """

    def _forward(self, x):
        return F.sigmoid_forward(x)

    def _backward(self, grad_output, cache):
        return F.sigmoid_backward(grad_output, cache)


class Tanh(Activation):
    """tanh(x).

    backward: dx = grad_output ⊙ (1 − y²), from the cached *output* y. Any shape.
    """

    def _forward(self, x):
        return F.tanh_forward(x)

    def _backward(self, grad_output, cache):
        return F.tanh_backward(grad_output, cache)


class GELU(Activation):
    """GELU(x) = x·Φ(x), Φ the standard normal CDF (``approximate='none'``), or its tanh
    approximation 0.5·x·(1 + tanh(√(2/π)(x + 0.044715x³))) (``approximate='tanh'``).

    backward: dx = grad_output ⊙ (Φ(x) + x·φ(x)) for the exact form; see
    :func:`minitorch.nn.functional.gelu_backward` for the tanh form. Caches x. Any shape.
    """

    def __init__(self, approximate: str = "none") -> None:
        super().__init__()
        self.approximate = check_choice("GELU", "approximate", approximate, ("none", "tanh"))

    def _forward(self, x):
        return F.gelu_forward(x, self.approximate)

    def _backward(self, grad_output, cache):
        return F.gelu_backward(grad_output, cache)

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


class SiLU(Activation):
    """SiLU(x) = x·σ(x) (also called swish).

    backward: dx = grad_output ⊙ σ(x)(1 + x(1 − σ(x))). Caches x. Any shape.
    """

    def _forward(self, x):
        return F.silu_forward(x)

    def _backward(self, grad_output, cache):
        return F.silu_backward(grad_output, cache)


class Softplus(Activation):
    """Softplus(x) = log(1 + e^{βx}) / β, and x where βx > threshold (as PyTorch).

    backward: dx = grad_output ⊙ σ(βx) (1 above the threshold). Caches x. Any shape.
    """

    def __init__(self, beta: float = 1.0, threshold: float = 20.0) -> None:
        super().__init__()
        self.beta = check_float("Softplus", "beta", beta, 0, low_inclusive=False)
        self.threshold = check_float("Softplus", "threshold", threshold)

    def _forward(self, x):
        return F.softplus_forward(x, self.beta, self.threshold)

    def _backward(self, grad_output, cache):
        return F.softplus_backward(grad_output, cache)

    def extra_repr(self) -> str:
        return f"beta={self.beta}, threshold={self.threshold}"


class _SoftmaxBase(Activation):
    def __init__(self, dim: int = -1) -> None:
        super().__init__()
        self.dim = check_int(type(self).__name__, "dim", dim)

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = float_input(x, type(self).__name__)
        if not -x.ndim <= self.dim < max(x.ndim, 1):
            raise ValueError(
                f"{type(self).__name__}(dim={self.dim}) got input of shape {x.shape}, "
                f"which has no dimension {self.dim}"
            )
        return super().forward(x)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class Softmax(_SoftmaxBase):
    """softmax(x)ᵢ = e^{xᵢ} / Σⱼ e^{xⱼ} along ``dim`` (default -1: the last axis).

    backward: dx = y ⊙ (g − Σ_dim g ⊙ y), from the cached output y. Any shape.
    For classification, feed logits to CrossEntropyLoss instead: it is faster and more stable.
    """

    def _forward(self, x):
        return F.softmax_forward(x, self.dim)

    def _backward(self, grad_output, cache):
        return F.softmax_backward(grad_output, cache)


class LogSoftmax(_SoftmaxBase):
    """log softmax(x) along ``dim`` (default -1), computed stably; pair it with NLLLoss.

    backward: dx = g − softmax(x) · Σ_dim g, from the cached output y (softmax = eʸ). Any shape.
    """

    def _forward(self, x):
        return F.log_softmax_forward(x, self.dim)

    def _backward(self, grad_output, cache):
        return F.log_softmax_backward(grad_output, cache)
