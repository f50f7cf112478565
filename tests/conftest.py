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
    """Every test starts from seed 0 and the float32 default, and leaves them that way."""
    minitorch.manual_seed(0)
    minitorch.set_default_dtype(np.float32)
    yield
    minitorch.set_default_dtype(np.float32)


@pytest.fixture
def float64():
    """Create parameters in float64 inside the test (for gradient checks and parity)."""
    minitorch.set_default_dtype(np.float64)
    yield
    minitorch.set_default_dtype(np.float32)


@pytest.fixture
def rng():
    return np.random.default_rng(1234)
