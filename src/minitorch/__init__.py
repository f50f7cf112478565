"""minitorch: a neural-network framework in NumPy, shaped like PyTorch, with hand-written gradients.

>>> import minitorch
>>> from minitorch import nn, optim
>>> minitorch.manual_seed(0)
>>> model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
"""

from __future__ import annotations

from . import datasets, models, nn, optim, testing, transforms, utils
from ._state import (
    generator,
    get_default_dtype,
    manual_seed,
    no_grad,
    set_default_dtype,
    set_flush_denormal,
)
from .serialization import CheckpointFileError, load, save

__version__ = "0.1.0"

# Loaded on first use, so that `import minitorch` stays light (no matplotlib, no tqdm):
# `minitorch.viz.plot_history(...)` works without importing minitorch.viz first.
_LAZY_SUBMODULES = ("viz", "training", "cli")


def __getattr__(name: str):
    if name in _LAZY_SUBMODULES:
        import importlib

        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module 'minitorch' has no attribute {name!r}")

__all__ = [
    "CheckpointFileError",
    "__version__",
    "datasets",
    "generator",
    "get_default_dtype",
    "load",
    "manual_seed",
    "models",
    "nn",
    "no_grad",
    "optim",
    "save",
    "set_default_dtype",
    "set_flush_denormal",
    "testing",
    "transforms",
    "utils",
]
