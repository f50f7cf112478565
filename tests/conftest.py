"""Shared test setup: a fixed seed for every test and float64 helpers."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

import minitorch

settings.register_profile(
    "minitorch",
    derandomize=True,  # the same examples every run: the suite stays deterministic
    deadline=None,
    max_examples=25,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile("minitorch")


@pytest.fixture(autouse=True)
def _seed_and_dtype():
    """Every test starts from minitorch's defaults and seed 0, and leaves the defaults as they
    were: the float32 default dtype, gradients on, no denormal flushing (the global state of
    ``minitorch._state``). So no test depends on the ones before it, whatever the order or the
    worker (``pytest -n 2``) that runs it."""
    minitorch.manual_seed(0)
    minitorch.set_default_dtype(np.float32)
    minitorch.set_flush_denormal(False)
    yield
    minitorch.set_default_dtype(np.float32)
    minitorch.set_flush_denormal(False)
    assert minitorch._state.grad_enabled(), "the test left minitorch.no_grad() on"


@pytest.fixture
def float64():
    """Create parameters in float64 inside the test (for gradient checks and parity)."""
    minitorch.set_default_dtype(np.float64)
    yield
    minitorch.set_default_dtype(np.float32)


@pytest.fixture
def rng():
    return np.random.default_rng(1234)
