"""Shared test setup: a fixed seed for every test and float64 helpers."""

from __future__ import annotations

import signal

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

import minitorch
from minitorch import diagnostics, optim

settings.register_profile(
    "minitorch",
    derandomize=True,  # the same examples every run: the suite stays deterministic
    deadline=None,
    max_examples=25,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile("minitorch")

# A suite started in the background of a non-interactive shell (`pytest &`, a CI step) inherits
# SIGINT ignored, and so would every child process: the Ctrl-C tests send their children SIGINT
# and need it to arrive as a terminal's Ctrl-C does.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)


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


@pytest.fixture
def blobs(rng):
    """Three well-separated 2-D blobs: (60, 2) points and their (60,) classes."""
    centers = np.array([[-2.0, 0.0], [2.0, 0.0], [0.0, 2.5]])
    y = np.repeat(np.arange(3), 20)
    x = centers[y] + 0.3 * rng.standard_normal((60, 2))
    return x, y


@pytest.fixture
def trained(blobs):
    """A small ReLU model after one forward/backward and an optimizer step, with its update
    ratios (the diagnostics tests and the plot tests read it)."""
    from small_models import forward_backward, small_relu_model

    x, y = blobs
    model = small_relu_model()
    forward_backward(model, x, y)
    snapshot = diagnostics.parameter_snapshot(model)
    optim.SGD(model, lr=0.1).step()
    return model, diagnostics.update_ratios(model, snapshot)
