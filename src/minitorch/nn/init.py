"""Weight initialisation, in place, with PyTorch's names and formulas.

minitorch stores a Linear weight as ``(input_dim, output_dim)`` (PyTorch: ``(out, in)``), so for a
2-D array ``fan_in = shape[0]`` and ``fan_out = shape[1]``. For arrays of more dimensions
(convolution kernels ``(C_out, C_in, kH, kW)``, as in PyTorch) ``fan_in = shape[1] * receptive
field`` and ``fan_out = shape[0] * receptive field``.

Every function fills the array in place and returns it, drawing from minitorch's global generator
(see :func:`minitorch.manual_seed`) unless given one. The random fills need a floating-point array
(an integer or bool one is refused, as in PyTorch); ``constant_``, ``zeros_`` and ``ones_`` fill
any dtype, as PyTorch's do.
"""

from __future__ import annotations

import math

import numpy as np

from .. import _state
from .._validation import check_choice, check_fill_target

__all__ = [
    "calculate_gain",
    "constant_",
    "he_normal_",
    "kaiming_normal_",
    "kaiming_std",
    "kaiming_uniform_",
    "normal_",
    "ones_",
    "uniform_",
    "xavier_normal_",
    "xavier_uniform_",
    "zeros_",
]


def _fans(array: np.ndarray) -> tuple[int, int]:
    if array.ndim < 2:
        raise ValueError(
            f"fan in and fan out need an array of at least 2 dimensions, got shape {array.shape}"
        )
    if array.ndim == 2:
        return array.shape[0], array.shape[1]
    receptive = math.prod(array.shape[2:])
    return array.shape[1] * receptive, array.shape[0] * receptive


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The recommended gain for an activation, as ``torch.nn.init.calculate_gain``."""
    linear = ("linear", "conv1d", "conv2d", "conv3d", "sigmoid", "identity")
    if nonlinearity in linear:
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else float(param)
        return math.sqrt(2.0 / (1 + slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"calculate_gain: unsupported nonlinearity {nonlinearity!r}")


def _fill(array: np.ndarray, values: np.ndarray) -> np.ndarray:
    # Draw in float64 and round once, so a float32 and a float64 model seeded alike start equal.
    np.copyto(array, values, casting="unsafe")
    return array


def _rng(generator: np.random.Generator | None) -> np.random.Generator:
    return _state.generator() if generator is None else generator


def uniform_(array: np.ndarray, a: float = 0.0, b: float = 1.0, generator=None) -> np.ndarray:
    """Fill with U(a, b)."""
    check_fill_target("uniform_", array)
    return _fill(array, _rng(generator).uniform(a, b, array.shape))


def normal_(array: np.ndarray, mean: float = 0.0, std: float = 1.0, generator=None) -> np.ndarray:
    """Fill with N(mean, std²)."""
    check_fill_target("normal_", array)
    return _fill(array, mean + std * _rng(generator).standard_normal(array.shape))


def constant_(array: np.ndarray, value: float) -> np.ndarray:
    array.fill(value)
    return array


def zeros_(array: np.ndarray) -> np.ndarray:
    return constant_(array, 0.0)


def ones_(array: np.ndarray) -> np.ndarray:
    return constant_(array, 1.0)


def kaiming_std(
    array: np.ndarray, a: float = 0.0, mode: str = "fan_in", nonlinearity: str = "leaky_relu"
) -> float:
    """He (Kaiming) initialisation's standard deviation for ``array``: ``std = gain / √fan``.

    Math
    ----
    fan_in, fan_out = the fans of ``array`` (see the module's docstring): a Linear weight
    (input_dim, output_dim) has fan_in = input_dim, fan_out = output_dim; a kernel
    (C_out, C_in, kH, kW) has fan_in = C_in·kH·kW, fan_out = C_out·kH·kW.
    fan  = fan_in for ``mode='fan_in'`` (keeps the forward's variance), fan_out for
    ``mode='fan_out'`` (keeps the backward's); any other mode is a ValueError.
    gain = calculate_gain(nonlinearity, a): √(2 / (1 + a²)) for ``'leaky_relu'`` (√2 at the
    default a = 0, the spec's ``randn * sqrt(2 / input_dim)``), √2 for ``'relu'``, 1 for
    ``'linear'``.
    std  = gain / √fan, a Python float.

    :func:`kaiming_normal_` draws N(0, std²); :func:`kaiming_uniform_` draws U(−√3·std, √3·std).
    Only ``array``'s shape is read (at least 2 dimensions).
    """
    check_choice("kaiming_std", "mode", mode, ("fan_in", "fan_out"))
    fan_in, fan_out = _fans(array)
    fan = fan_in if mode == "fan_in" else fan_out
    return calculate_gain(nonlinearity, a) / math.sqrt(fan)


def kaiming_normal_(
    array: np.ndarray,
    a: float = 0.0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    generator=None,
) -> np.ndarray:
    """He normal: N(0, std²) with ``std = gain / sqrt(fan)``.

    With the defaults (gain √2) this is ``randn * sqrt(2 / fan_in)``, minitorch's default for
    Linear weights.
    """
    check_fill_target("kaiming_normal_", array)
    return normal_(array, 0.0, kaiming_std(array, a, mode, nonlinearity), generator)


he_normal_ = kaiming_normal_


def kaiming_uniform_(
    array: np.ndarray,
    a: float = 0.0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    generator=None,
) -> np.ndarray:
    """He uniform: U(-bound, bound) with ``bound = gain * sqrt(3 / fan)``.

    PyTorch initialises ``nn.Linear`` with ``kaiming_uniform_(W, a=sqrt(5))``, which gives
    ``bound = 1 / sqrt(fan_in)``.
    """
    check_fill_target("kaiming_uniform_", array)
    bound = math.sqrt(3.0) * kaiming_std(array, a, mode, nonlinearity)
    return uniform_(array, -bound, bound, generator)


def xavier_uniform_(array: np.ndarray, gain: float = 1.0, generator=None) -> np.ndarray:
    """Glorot uniform: U(-a, a) with ``a = gain * sqrt(6 / (fan_in + fan_out))``."""
    check_fill_target("xavier_uniform_", array)
    fan_in, fan_out = _fans(array)
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(array, -bound, bound, generator)


def xavier_normal_(array: np.ndarray, gain: float = 1.0, generator=None) -> np.ndarray:
    """Glorot normal: N(0, std²) with ``std = gain * sqrt(2 / (fan_in + fan_out))``."""
    check_fill_target("xavier_normal_", array)
    fan_in, fan_out = _fans(array)
    return normal_(array, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)), generator)
