"""Flattening dimensions into one, as a stateless forward/backward pair."""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np


class FlattenCache(NamedTuple):
    """What the backward of a flatten needs from its forward."""

    x_shape: tuple[int, ...]  # the input's shape, to reshape the gradient back to


def flatten_forward(
    x: np.ndarray, start_dim: int = 1, end_dim: int = -1
) -> tuple[np.ndarray, FlattenCache]:
    """y = x with dimensions ``start_dim..end_dim`` merged into one: (N, C, H, W) -> (N, C·H·W).

    A view, no copy, when x is contiguous. Returns ``(y, FlattenCache(x.shape))``.
    """
    start, end = start_dim % x.ndim, end_dim % x.ndim
    merged = math.prod(x.shape[start : end + 1])  # named, not -1: an empty batch works too
    return x.reshape(*x.shape[:start], merged, *x.shape[end + 1 :]), FlattenCache(x.shape)


def flatten_backward(grad_output: np.ndarray, cache: FlattenCache) -> np.ndarray:
    """dx = G reshaped back to the input's shape: flattening moves no number."""
    return grad_output.reshape(cache.x_shape)


def flatten(x: np.ndarray, start_dim: int = 0, end_dim: int = -1) -> np.ndarray:
    """Dimensions ``start_dim..end_dim`` merged into one, as ``torch.flatten`` (forward only).

    PyTorch's defaults: ``start_dim=0`` flattens everything (``torch.flatten(x, 1)`` keeps the
    batch, as ``nn.Flatten()`` does). ``torch.nn.functional`` has no flatten; this is it.
    """
    return flatten_forward(x, start_dim, end_dim)[0]


class UnflattenCache(NamedTuple):
    """What the backward of an unflatten needs from its forward."""

    x_shape: tuple[int, ...]  # the input's shape, to reshape the gradient back to


def unflatten_forward(
    x: np.ndarray, dim: int, sizes: tuple[int, ...]
) -> tuple[np.ndarray, UnflattenCache]:
    """y = x with dimension ``dim`` split into ``sizes``: (N, C·H·W) -> (N, C, H, W).

    The inverse of flatten; ``sizes`` multiply to ``x.shape[dim]`` (one of them may be −1, the
    rest inferred). A view, no copy, when x is contiguous. Returns ``(y, UnflattenCache(x.shape))``.
    """
    dim = dim % x.ndim
    return x.reshape(*x.shape[:dim], *sizes, *x.shape[dim + 1 :]), UnflattenCache(x.shape)


def unflatten_backward(grad_output: np.ndarray, cache: UnflattenCache) -> np.ndarray:
    """dx = G reshaped back to the input's shape: unflattening moves no number."""
    return grad_output.reshape(cache.x_shape)
