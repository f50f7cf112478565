"""Checking minitorch's numbers against PyTorch, live or from stored golden outputs.

Every parity test computes minitorch's outputs on deterministic float64 inputs and calls
:func:`assert_matches_torch` with a *case name* and a function that computes PyTorch's outputs
for the same inputs. Then:

* when torch is installed, the live PyTorch outputs are compared with minitorch's;
* the golden file ``tests/golden/<case>.npz`` (PyTorch's outputs, stored once) is compared too,
  so the checks still run where torch is absent;
* ``python scripts/make_golden.py`` (which sets ``MINITORCH_WRITE_GOLDEN=1``) rewrites the golden
  files from the live PyTorch outputs.

Arrays agree when ``max|ours - theirs| <= rtol * max(max|theirs|, tiny)``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path

import numpy as np
import pytest

GOLDEN_DIR = Path(__file__).parent / "golden"
RTOL = 1e-10
WRITE_GOLDEN = os.environ.get("MINITORCH_WRITE_GOLDEN") == "1"
# MINITORCH_PARITY_LOG=path appends "case key source relative-difference" lines, for reports.
PARITY_LOG = os.environ.get("MINITORCH_PARITY_LOG")

try:  # torch is a test-only oracle; the library never imports it
    import torch

    torch.set_default_dtype(torch.float64)
    HAVE_TORCH = True
except ImportError:  # pragma: no cover - depends on the environment
    torch = None
    HAVE_TORCH = False

Arrays = Mapping[str, "np.ndarray | float"]


def to_numpy(value) -> np.ndarray:
    """A torch tensor, number or array as a float64-or-integer NumPy array."""
    if HAVE_TORCH and isinstance(value, torch.Tensor):
        value = value.detach().cpu().numpy()
    return np.asarray(value)


def relative_difference(ours, theirs) -> float:
    ours = np.asarray(ours, dtype=np.float64)
    theirs = np.asarray(theirs, dtype=np.float64)
    if ours.shape != theirs.shape:
        return float("inf")
    if ours.size == 0:
        return 0.0
    both_nan = np.isnan(ours) & np.isnan(theirs)
    if np.any(np.isnan(ours) != np.isnan(theirs)):
        return float("inf")
    diff = np.where(both_nan, 0.0, np.abs(ours - theirs))
    scale = max(float(np.nanmax(np.abs(theirs))) if not both_nan.all() else 0.0, 1e-300)
    return float(np.max(diff)) / scale


def _compare(case: str, source: str, ours: Arrays, theirs: Arrays, rtol: float) -> None:
    assert set(ours) == set(theirs), (
        f"{case}: minitorch gives {sorted(ours)}, {source} gives {sorted(theirs)}"
    )
    for key in ours:
        a, b = np.asarray(ours[key]), np.asarray(theirs[key])
        assert a.shape == b.shape, f"{case}[{key}]: shape {a.shape} vs {source} {b.shape}"
        rel = relative_difference(a, b)
        if PARITY_LOG:
            with open(PARITY_LOG, "a") as log:
                log.write(f"{case} {key} {source.split()[0]} {rel:.3e}\n")
        assert rel <= rtol, f"{case}[{key}]: relative difference {rel:.3e} from {source} > {rtol:g}"


def assert_matches_torch(
    case: str,
    ours: Arrays,
    torch_reference: Callable[[], Arrays],
    rtol: float = RTOL,
) -> None:
    """Compare ``ours`` with PyTorch's outputs, live when torch is installed and from golden."""
    golden_path = GOLDEN_DIR / f"{case}.npz"
    if HAVE_TORCH:
        theirs = {key: to_numpy(value) for key, value in torch_reference().items()}
        _compare(case, "PyTorch", ours, theirs, rtol)
        if WRITE_GOLDEN:
            GOLDEN_DIR.mkdir(exist_ok=True)
            np.savez_compressed(golden_path, **theirs)
    if not golden_path.exists():
        if HAVE_TORCH:
            pytest.fail(f"{case}: no golden file; run `python scripts/make_golden.py`")
        pytest.skip(f"{case}: torch is not installed and there is no golden file")
    with np.load(golden_path, allow_pickle=False) as stored:
        golden = {key: stored[key] for key in stored.files}
    _compare(case, f"golden {golden_path.name}", ours, golden, rtol)


def torch_tensor(array, requires_grad: bool = False):
    """A torch tensor holding a copy of a NumPy array, for use inside reference functions."""
    tensor = torch.from_numpy(np.array(array, copy=True))
    if requires_grad:
        tensor.requires_grad_(True)
    return tensor
