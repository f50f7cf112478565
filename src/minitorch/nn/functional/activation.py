"""Activation functions as stateless forward/backward pairs.

``name_forward(x, ...) -> (y, cache)`` and ``name_backward(grad_output, cache) -> dx``, where
``grad_output = dL/dy`` has the shape of ``y`` and ``dx = dL/dx`` the shape of ``x``. The cache is
one named tuple per function (``ReLUCache(x)``, ``SigmoidCache(y)``, ...), holding whatever the
derivative is cheapest from: the input ``x`` for most functions, the output ``y`` for sigmoid,
tanh, softmax and log-softmax.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from scipy import special

from ._fast import maximum, times_mask

# The backward passes multiply by a 0/1 mask, e.g. ``grad_output * (x > 0)``, instead of calling
# ``np.where(x > 0, grad_output, 0)``: on a random sign pattern np.where is about ten times slower
# (it branches per element). The forward passes split x into max(x, 0) and min(x, 0) for the
# same reason; both forms give exactly the same numbers.

__all__ = [
    "ELUCache",
    "GELUCache",
    "LeakyReLUCache",
    "LogSoftmaxCache",
    "ReLUCache",
    "SiLUCache",
    "SigmoidCache",
    "SoftmaxCache",
    "SoftplusCache",
    "TanhCache",
    "elu",
    "elu_backward",
    "elu_forward",
    "gelu",
    "gelu_backward",
    "gelu_forward",
    "leaky_relu",
    "leaky_relu_backward",
    "leaky_relu_forward",
    "log_softmax",
    "log_softmax_backward",
    "log_softmax_forward",
    "normal_cdf",
    "relu",
    "relu_backward",
    "relu_forward",
    "sigmoid",
    "sigmoid_backward",
    "sigmoid_forward",
    "silu",
    "silu_backward",
    "silu_forward",
    "softmax",
    "softmax_backward",
    "softmax_forward",
    "softplus",
    "softplus_backward",
    "softplus_forward",
    "tanh",
    "tanh_backward",
    "tanh_forward",
]


class ReLUCache(NamedTuple):
    x: np.ndarray


class LeakyReLUCache(NamedTuple):
    x: np.ndarray
    negative_slope: float


class ELUCache(NamedTuple):
    x: np.ndarray
    alpha: float


class SigmoidCache(NamedTuple):
    y: np.ndarray  # the output: σ' = y(1 − y)


class TanhCache(NamedTuple):
    y: np.ndarray  # the output: tanh' = 1 − y²


class GELUCache(NamedTuple):
    x: np.ndarray
    approximate: str  # "none" or "tanh"
    slope: np.ndarray | None  # Φ(x) + x·φ(x), the exact form's derivative; None for tanh


class SiLUCache(NamedTuple):
    x: np.ndarray


class SoftplusCache(NamedTuple):
    x: np.ndarray
    beta: float
    threshold: float


class SoftmaxCache(NamedTuple):
    y: np.ndarray  # the output
    dim: int


class LogSoftmaxCache(NamedTuple):
    y: np.ndarray  # the output, log softmax(x)
    dim: int


# ReLU(x) = max(0, x);  dReLU/dx = 1 if x > 0 else 0
def relu_forward(x: np.ndarray) -> tuple[np.ndarray, ReLUCache]:
    """y = ReLU(x) = max(0, x), element by element.

    Shapes: x any shape; y the shape of x. Cache: ``ReLUCache(x)``, the input, for the
    backward.
    """
    return maximum(x, 0), ReLUCache(x)  # maximum = np.maximum, faster (see _fast.py)


def relu_backward(grad_output: np.ndarray, cache: ReLUCache) -> np.ndarray:
    """dx = grad_output ⊙ [x > 0]: the gradient passes where x > 0 and is 0 elsewhere (also at
    x = 0, as in PyTorch).

    Shapes: grad_output and the cached x the same shape; dx that shape.
    """
    return times_mask(grad_output, cache.x > 0)  # grad_output ⊙ [x > 0] (see _fast.py)


# LeakyReLU(x) = x if x > 0 else slope·x;  derivative 1 if x > 0 else slope
def leaky_relu_forward(
    x: np.ndarray, negative_slope: float = 0.01
) -> tuple[np.ndarray, LeakyReLUCache]:
    return np.maximum(x, 0) + negative_slope * np.minimum(x, 0), LeakyReLUCache(x, negative_slope)


def leaky_relu_backward(grad_output: np.ndarray, cache: LeakyReLUCache) -> np.ndarray:
    x, negative_slope = cache.x, cache.negative_slope
    positive = x > 0
    return grad_output * positive + (grad_output * ~positive) * negative_slope


# ELU(x) = x if x > 0 else α(eˣ − 1);  derivative 1 if x > 0 else α·eˣ
def elu_forward(x: np.ndarray, alpha: float = 1.0) -> tuple[np.ndarray, ELUCache]:
    return np.maximum(x, 0) + alpha * np.expm1(np.minimum(x, 0)), ELUCache(x, alpha)


def elu_backward(grad_output: np.ndarray, cache: ELUCache) -> np.ndarray:
    x, alpha = cache.x, cache.alpha
    positive = x > 0
    return grad_output * positive + (grad_output * ~positive) * (alpha * np.exp(np.minimum(x, 0)))


# σ(x) = 1 / (1 + e⁻ˣ);  σ' = σ(1 − σ), computed from the cached output
def sigmoid_forward(x: np.ndarray) -> tuple[np.ndarray, SigmoidCache]:
    """y = σ(x) = 1 / (1 + e⁻ˣ), element by element, without overflow for large |x|.

    Shapes: x any shape; y the shape of x. Cache: ``SigmoidCache(y)``, the output, since the
    derivative is cheapest from it.
    """
    y = special.expit(x)
    return y, SigmoidCache(y)


def sigmoid_backward(grad_output: np.ndarray, cache: SigmoidCache) -> np.ndarray:
    """dx = grad_output ⊙ y ⊙ (1 − y), since σ'(x) = σ(x)(1 − σ(x)) and y = σ(x) is cached.

    Shapes: grad_output and the cached y the same shape; dx that shape.
    """
    y = cache.y
    return grad_output * y * (1 - y)


# tanh' = 1 − tanh², computed from the cached output
def tanh_forward(x: np.ndarray) -> tuple[np.ndarray, TanhCache]:
    y = np.tanh(x)
    return y, TanhCache(y)


def tanh_backward(grad_output: np.ndarray, cache: TanhCache) -> np.ndarray:
    y = cache.y
    return grad_output * (1 - y * y)


_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_GELU_KAPPA = 0.044715
# Beyond |x| = 40 the normal density underflows to 0 and tanh(√(2/π)(x + 0.044715x³)) is ±1
# exactly, so x is clipped there inside those terms: the values are unchanged and x² or x³ of
# a huge (±3e38) input cannot overflow. An input of ±inf still gives what IEEE arithmetic and
# PyTorch give (NaN where inf·0 appears), without a RuntimeWarning.
_GELU_CLIP = 40.0
_IEEE = {"over": "ignore", "invalid": "ignore"}  # ±inf in, ±inf or NaN out, as in PyTorch


def gelu_forward(x: np.ndarray, approximate: str = "none") -> tuple[np.ndarray, GELUCache]:
    """GELU(x) = x·Φ(x), Φ the standard normal CDF (see :func:`normal_cdf`).

    ``approximate='tanh'``: 0.5·x·(1 + tanh(u)), u = √(2/π)·(x + 0.044715·x³).
    Cache: ``GELUCache(x, approximate, slope)``. For the exact form the forward has Φ(x) and the
    normal density φ(x) at hand, so it computes the derivative slope = Φ(x) + x·φ(x) there
    and the backward is one product; for tanh, slope is ``None``.
    Shapes: x any shape; y (and slope) the shape of x.
    """
    with np.errstate(**_IEEE):
        if approximate == "none":
            cdf, density = _normal_cdf_and_density(x)
            y = x * cdf
            slope = np.multiply(density, x, out=density)
            slope += cdf  # Φ(x) + x·φ(x)
            return y, GELUCache(x, approximate, slope)
        if approximate == "tanh":
            return 0.5 * x * (1 + _gelu_tanh(x)), GELUCache(x, approximate, None)
    raise ValueError(f"GELU: approximate must be 'none' or 'tanh', got {approximate!r}")


# Abramowitz & Stegun 7.1.26: for z >= 0, erf(z) ≈ 1 − (a₁t + a₂t² + a₃t³ + a₄t⁴ + a₅t⁵)·e^{−z²}
# with t = 1/(1 + p·z), |error| <= 1.5e-7. PyTorch's vectorized CPU kernels compute the float32
# erf of GELU with this formula.
_AS_P = np.float32(0.3275911)
_AS_A = tuple(
    np.float32(a) for a in (0.254829592, -0.284496736, 1.421413741, -1.453152027, 1.061405429)
)
_SQRT_HALF = np.float32(math.sqrt(0.5))


def normal_cdf(x: np.ndarray) -> np.ndarray:
    """Φ(x) = ½·(1 + erf(x/√2)), the standard normal CDF, element-wise.

    float64 (and any dtype but float32): ``scipy.special.ndtr``, right to the last digit.
    float32: erf by Abramowitz & Stegun 7.1.26 (|error| <= 1.5e-7, below float32's precision
    near 1, as PyTorch computes float32 GELU), in place: five times faster than ndtr, which
    dominated the time of a transformer's MLP.
    """
    return _normal_cdf_and_density(x)[0]


def _normal_cdf_and_density(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(Φ(x), φ(x)): the standard normal CDF (see :func:`normal_cdf`) and density
    φ(x) = e^{−x²/2}/√(2π), which the float32 erf computes on the way."""
    if x.dtype != np.float32:
        xc = _gelu_clipped(x)  # φ is 0 beyond; x² cannot overflow
        return special.ndtr(x), _INV_SQRT_2PI * np.exp(-0.5 * xc * xc)
    if x.ndim == 0:  # the in-place steps below need an array, not a NumPy scalar
        cdf, density = _normal_cdf_and_density(x.reshape(1))
        return cdf.reshape(()), density.reshape(())
    with np.errstate(over="ignore"):  # z² of a huge input is inf, and e^{−inf} = 0
        z = np.abs(x)
        z *= _SQRT_HALF  # z = |x|/√2
        t = z * _AS_P
        t += 1
        np.reciprocal(t, out=t)  # t = 1/(1 + p·z)
        a1, a2, a3, a4, a5 = _AS_A
        q = t * a5  # q = (a₁ + a₂t + a₃t² + a₄t³ + a₅t⁴)·t, by Horner's rule
        for a in (a4, a3, a2, a1):
            q += a
            q *= t
        np.square(z, out=z)
        np.negative(z, out=z)
        gauss = np.exp(z, out=z)  # e^{−z²} = e^{−x²/2}
        q *= gauss  # q = 1 − erf(|x|/√2)
    np.subtract(1, q, out=q)
    np.copysign(q, x, out=q)  # erf(x/√2)
    q += 1
    q *= 0.5
    gauss *= np.float32(_INV_SQRT_2PI)
    return q, gauss


def _gelu_clipped(x: np.ndarray) -> np.ndarray:
    """x clipped to ±_GELU_CLIP, beyond which GELU's tanh is ±1 and φ is 0 anyway."""
    return np.clip(x, -_GELU_CLIP, _GELU_CLIP)


def _gelu_tanh(x: np.ndarray) -> np.ndarray:
    """tanh(√(2/π)·(x + 0.044715·x³)), with x clipped where the result is ±1 anyway."""
    xc = _gelu_clipped(x)
    return np.tanh(_SQRT_2_OVER_PI * (xc + _GELU_KAPPA * xc**3))


def gelu_backward(grad_output: np.ndarray, cache: GELUCache) -> np.ndarray:
    """dGELU/dx = Φ(x) + x·φ(x)  (exact: the slope the forward cached);
    0.5·(1 + tanh u) + 0.5·x·(1 − tanh² u)·√(2/π)·(1 + 3·0.044715·x²)  (tanh).

    dx = grad_output ⊙ dGELU/dx. Shapes: grad_output and the cached x the same shape; dx
    that shape."""
    x = cache.x
    with np.errstate(**_IEEE):
        if cache.approximate == "none":
            return grad_output * cache.slope
        xc = _gelu_clipped(x)
        tanh_inner = _gelu_tanh(x)
        d_inner = _SQRT_2_OVER_PI * (1 + 3 * _GELU_KAPPA * xc * xc)
        return grad_output * (0.5 * (1 + tanh_inner) + 0.5 * x * (1 - tanh_inner**2) * d_inner)


# SiLU(x) = x·σ(x);  derivative σ(x)·(1 + x·(1 − σ(x)))
def silu_forward(x: np.ndarray) -> tuple[np.ndarray, SiLUCache]:
    with np.errstate(**_IEEE):
        return x * special.expit(x), SiLUCache(x)


def silu_backward(grad_output: np.ndarray, cache: SiLUCache) -> np.ndarray:
    x = cache.x
    s = special.expit(x)
    with np.errstate(**_IEEE):
        return grad_output * s * (1 + x * (1 - s))


def softplus_forward(
    x: np.ndarray, beta: float = 1.0, threshold: float = 20.0
) -> tuple[np.ndarray, SoftplusCache]:
    """Softplus(x) = log(1 + e^{βx}) / β, and x itself where βx > threshold (as PyTorch)."""
    bx = beta * x
    y = np.where(bx > threshold, x, np.logaddexp(0, bx) / beta)
    return y, SoftplusCache(x, beta, threshold)


def softplus_backward(grad_output: np.ndarray, cache: SoftplusCache) -> np.ndarray:
    """dSoftplus/dx = σ(βx), and 1 where βx > threshold."""
    bx = cache.beta * cache.x
    return np.where(bx > cache.threshold, grad_output, grad_output * special.expit(bx))


def softmax(x: np.ndarray, dim: int = -1) -> np.ndarray:
    """softmax(x)ᵢ = e^{xᵢ − max x} / Σⱼ e^{xⱼ − max x} along ``dim`` (shift for stability).

    A row of −inf gives NaN, as in PyTorch (there is no distribution over nothing); an empty
    x (no rows, or ``dim`` of length 0) gives an empty result of its shape, as PyTorch's.
    Shapes: x any shape (e.g. attention scores (N, H, T, T) with ``dim=-1``); the result the
    shape of x, summing to 1 along ``dim``.
    """
    with np.errstate(**_IEEE):  # x − max x may overflow to −inf, whose exp is the 0 it should be
        e = np.exp(x - x.max(axis=dim, keepdims=True, initial=-np.inf))
        return e / e.sum(axis=dim, keepdims=True)


def log_softmax(x: np.ndarray, dim: int = -1) -> np.ndarray:
    """log softmax(x)ᵢ = (xᵢ − max x) − log Σⱼ e^{xⱼ − max x} along ``dim``.

    Subtracting the maximum first keeps every exponent ≤ 0, so logits of ±1e4 give finite
    results; an empty x gives an empty result of its shape. Shapes: x any shape (e.g. (N, C)
    with ``dim=-1``); the result the shape of x.
    """
    # As in softmax: −inf where x − max x overflows, NaN for −inf rows; over a dim of length 0
    # the sum is 0, whose log is the −inf it should be (the result is empty).
    with np.errstate(**_IEEE, divide="ignore"):
        shifted = x - x.max(axis=dim, keepdims=True, initial=-np.inf)
        shifted -= np.log(np.exp(shifted).sum(axis=dim, keepdims=True))
    return shifted


def softmax_forward(x: np.ndarray, dim: int = -1) -> tuple[np.ndarray, SoftmaxCache]:
    y = softmax(x, dim)
    return y, SoftmaxCache(y, dim)


def softmax_backward(grad_output: np.ndarray, cache: SoftmaxCache) -> np.ndarray:
    """dx = y ⊙ (g − Σ_dim g ⊙ y): the Jacobian diag(y) − y yᵀ applied without forming it.

    g = grad_output; y the cached softmax and ``dim`` its axis (``SoftmaxCache(y, dim)``).
    Shapes: g and y the same shape; dx that shape.
    """
    y, dim = cache.y, cache.dim
    with np.errstate(**_IEEE):
        return y * (grad_output - (grad_output * y).sum(axis=dim, keepdims=True))


def log_softmax_forward(x: np.ndarray, dim: int = -1) -> tuple[np.ndarray, LogSoftmaxCache]:
    y = log_softmax(x, dim)
    return y, LogSoftmaxCache(y, dim)


def log_softmax_backward(grad_output: np.ndarray, cache: LogSoftmaxCache) -> np.ndarray:
    """dx = g − softmax(x) · Σ_dim g, with softmax(x) = exp(y).

    g = grad_output; y the cached log-softmax and ``dim`` its axis (``LogSoftmaxCache(y,
    dim)``). Shapes: g and y the same shape; dx that shape.
    """
    y, dim = cache.y, cache.dim
    with np.errstate(**_IEEE):
        return grad_output - np.exp(y) * grad_output.sum(axis=dim, keepdims=True)


# ---------------------------------------------------------------------------- forward only
# PyTorch's names, for code that only evaluates (``F.relu(x)``): the output of each pair's
# forward, without its cache. Nothing here can be backpropagated; the ``*_forward`` /
# ``*_backward`` pairs above are what a backward uses.


def relu(x: np.ndarray) -> np.ndarray:
    """max(0, x), as ``torch.nn.functional.relu`` (forward only)."""
    return relu_forward(x)[0]


def leaky_relu(x: np.ndarray, negative_slope: float = 0.01) -> np.ndarray:
    """x if x > 0 else negative_slope·x (forward only)."""
    return leaky_relu_forward(x, negative_slope)[0]


def elu(x: np.ndarray, alpha: float = 1.0) -> np.ndarray:
    """x if x > 0 else α(eˣ − 1) (forward only)."""
    return elu_forward(x, alpha)[0]


def sigmoid(x: np.ndarray) -> np.ndarray:
    """1 / (1 + e⁻ˣ) (forward only)."""
    return sigmoid_forward(x)[0]


def tanh(x: np.ndarray) -> np.ndarray:
    """tanh(x) (forward only)."""
    return tanh_forward(x)[0]


def gelu(x: np.ndarray, approximate: str = "none") -> np.ndarray:
    """x·Φ(x), or its tanh approximation (forward only)."""
    return gelu_forward(x, approximate)[0]


def silu(x: np.ndarray) -> np.ndarray:
    """x·σ(x) (forward only)."""
    return silu_forward(x)[0]


def softplus(x: np.ndarray, beta: float = 1.0, threshold: float = 20.0) -> np.ndarray:
    """log(1 + e^{βx}) / β, and x where βx > threshold (forward only)."""
    return softplus_forward(x, beta, threshold)[0]
