"""minitorch: a neural-network framework in NumPy, shaped like PyTorch, with hand-written gradients.

>>> import minitorch
>>> from minitorch import nn, optim
>>> minitorch.manual_seed(0)
>>> model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
"""

from __future__ import annotations

import signal as _signal
import sys as _sys
import threading as _threading


def _quit_quietly(signum, frame):  # Ctrl-C while minitorch itself is being imported
    print("minitorch: interrupted while starting; nothing was done", file=_sys.stderr)
    raise SystemExit(130)


# `minitorch train` imports the package before its own Ctrl-C handling can start, so a Ctrl-C
# in that half second would end in a traceback; while the import runs, it ends quietly instead.
# Only Python's own handler is replaced, and it is put back at the end of this file.
_previous_handler = None
if (
    _threading.current_thread() is _threading.main_thread()
    and _signal.getsignal(_signal.SIGINT) is _signal.default_int_handler
):
    _previous_handler = _signal.signal(_signal.SIGINT, _quit_quietly)

from . import (  # noqa: E402
    datasets,
    diagnostics,
    metrics,
    models,
    nn,
    optim,
    testing,
    transforms,
    utils,
)
from ._state import (  # noqa: E402
    generator,
    get_default_dtype,
    manual_seed,
    no_grad,
    set_default_dtype,
    set_flush_denormal,
)
from .serialization import CheckpointFileError, load, save  # noqa: E402

__version__ = "0.1.0"

# Loaded on first use, so that `import minitorch` stays light (no matplotlib, no tqdm):
# `minitorch.viz.plot_history(...)` works without importing minitorch.viz first.
_LAZY_SUBMODULES = ("viz", "training", "cli", "distributed")


def __getattr__(name: str):
    if name in _LAZY_SUBMODULES:
        import importlib

        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module 'minitorch' has no attribute {name!r}")


__all__ = [
    "CheckpointFileError",
    "__version__",
    "datasets",
    "diagnostics",
    "generator",
    "get_default_dtype",
    "load",
    "manual_seed",
    "metrics",
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

if _previous_handler is not None:
    _signal.signal(_signal.SIGINT, _previous_handler)
