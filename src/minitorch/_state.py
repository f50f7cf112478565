"""The framework's only global state: the random generator, the default dtype, ``no_grad`` and
the optimizers' flush-denormal switch.

Everything random in minitorch (weight initialisation, dropout masks, DataLoader shuffling,
``random_split``) draws from :func:`generator` unless it is handed a generator of its own, so one
call to :func:`manual_seed` makes a whole training run reproducible.
"""

from __future__ import annotations

import numpy as np

_generator: np.random.Generator = np.random.default_rng()
_default_dtype: np.dtype = np.dtype(np.float32)

_FLOAT_DTYPES = (np.dtype(np.float16), np.dtype(np.float32), np.dtype(np.float64))


def manual_seed(seed: int) -> np.random.Generator:
    """Reseed minitorch's global random generator and return it (like ``torch.manual_seed``)."""
    global _generator
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"manual_seed expects an int, got {type(seed).__name__}")
    if seed < 0:
        raise ValueError(f"manual_seed expects a non-negative seed, got {seed}")
    _generator = np.random.default_rng(int(seed))
    return _generator


def generator() -> np.random.Generator:
    """The global generator that initialisation, dropout and shuffling draw from."""
    return _generator


def set_default_dtype(dtype: type | np.dtype | str) -> None:
    """Set the floating dtype new parameters are created with (float32 unless changed).

    Use ``set_default_dtype(np.float64)`` for exact gradient checks.
    """
    global _default_dtype
    dt = np.dtype(dtype)
    if dt not in _FLOAT_DTYPES:
        raise TypeError(
            f"set_default_dtype expects float16, float32 or float64, got {dt}; "
            "parameters must be floating point"
        )
    _default_dtype = dt


def parameter_dtype(owner: str, dtype: type | np.dtype | str | None) -> np.dtype:
    """The dtype a module creates its parameters in: ``dtype``, or the default when ``None``.

    Parameters must be floating point (an optimizer updates them in place by fractions);
    anything else is refused, naming the module.
    """
    if dtype is None:
        return _default_dtype
    try:
        dt = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"{owner}: dtype must be a NumPy dtype, got {dtype!r}") from None
    if dt not in _FLOAT_DTYPES:
        raise TypeError(
            f"{owner}: parameters must be floating point (float16, float32 or float64), got "
            f"dtype {dt}; e.g. dtype=np.float32"
        )
    return dt


def get_default_dtype() -> np.dtype:
    """The floating dtype new parameters are created with (``float32`` by default)."""
    return _default_dtype


# ---------------------------------------------------------------------- no_grad
_grad_enabled: bool = True


def grad_enabled() -> bool:
    """``False`` inside ``minitorch.no_grad()``."""
    return _grad_enabled


class no_grad:  # noqa: N801 - named like torch.no_grad, which students already write
    """Run forward passes that will have no backward (evaluation, sampling, monitoring).

    ``with minitorch.no_grad(): logits = model(x)``, or as a decorator. As in PyTorch, nothing
    done inside can be backpropagated: a module whose last forward ran here refuses a backward
    with an explanation, instead of using a cache that belongs to another batch.
    """

    def __enter__(self) -> no_grad:
        global _grad_enabled
        self._previous = _grad_enabled
        _grad_enabled = False
        return self

    def __exit__(self, *exc_info: object) -> None:
        global _grad_enabled
        _grad_enabled = self._previous

    def __call__(self, function):
        import functools

        @functools.wraps(function)
        def wrapper(*args, **kwargs):
            with no_grad():
                return function(*args, **kwargs)

        return wrapper


# ---------------------------------------------------------------------- flush denormal
_flush_denormal: bool = False


def set_flush_denormal(mode: bool) -> bool:
    """Flush subnormal numbers in the optimizers' state to zero after every update (off by default).

    Named after ``torch.set_flush_denormal``, with a narrower reach: NumPy cannot set the CPU's
    flush-to-zero mode, so minitorch flushes where subnormals pile up, in the optimizers' state
    (momentum buffers, moment estimates). A buffer whose gradient stays 0 (a dead ReLU unit)
    decays into the subnormal range and stays there, since ``0.9 · b`` rounds back to ``b``; on
    many x86 CPUs arithmetic on such numbers is many times slower. With the mode on, every
    float32 state value below 2⁻¹²⁶ ≈ 1.18e-38 in magnitude (float64: below 2.2e-308) becomes
    0 after each ``step()``: no value changes by more than 1.18e-38, and normal numbers are kept
    exactly, but training is no longer bit-identical to PyTorch's (without its own flush).
    Layers, gradients and parameters are not touched. Returns ``True`` (supported), as
    PyTorch's does.
    """
    global _flush_denormal
    if not isinstance(mode, (bool, np.bool_)):
        raise TypeError(f"set_flush_denormal expects True or False, got {mode!r}")
    _flush_denormal = bool(mode)
    return True


def flush_denormal() -> bool:
    """Whether :func:`set_flush_denormal` is on."""
    return _flush_denormal
