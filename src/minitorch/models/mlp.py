"""A multilayer perceptron, and the activations the builders (and ``minitorch train``) know by name.

>>> from minitorch.models import build_mlp
>>> build_mlp(64, [32], 10)[0]
Linear(input_dim=64, output_dim=32, bias=True)
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

from .. import nn

__all__ = ["ACTIVATIONS", "build_mlp"]

#: Activation name (as the command line spells it) -> layer class.
ACTIVATIONS: dict[str, type[nn.Module]] = {
    "relu": nn.ReLU,
    "leaky_relu": nn.LeakyReLU,
    "elu": nn.ELU,
    "gelu": nn.GELU,
    "silu": nn.SiLU,
    "softplus": nn.Softplus,
    "tanh": nn.Tanh,
    "sigmoid": nn.Sigmoid,
}


def build_mlp(
    input_dim: int,
    hidden_sizes: Sequence[int],
    output_dim: int,
    activation: str = "relu",
    dropout: float = 0.0,
) -> nn.Sequential:
    """A multilayer perceptron: ``Linear → activation [→ Dropout]`` per hidden layer, ``Linear``.

    Parameters
    ----------
    input_dim : int
        Values per input row (``dataset.input_dim``); images must be flattened to rows first.
    hidden_sizes : sequence of int
        Width of each hidden layer, e.g. ``[256, 128]``; empty for a linear model (softmax or
        linear regression).
    output_dim : int
        Number of outputs: class scores (logits) for classification, target values for
        regression.
    activation : str
        A key of :data:`ACTIVATIONS`.
    dropout : float
        Dropout probability after each hidden activation; 0 (the default) adds no Dropout.

    Returns
    -------
    Sequential
        Initialised from minitorch's global generator, so :func:`minitorch.manual_seed` fixes it.

    Examples
    --------
    >>> build_mlp(64, [32], 10)
    Sequential(
      (0): Linear(input_dim=64, output_dim=32, bias=True)
      (1): ReLU()
      (2): Linear(input_dim=32, output_dim=10, bias=True)
    )
    """
    if activation not in ACTIVATIONS:
        raise ValueError(
            f"build_mlp: unknown activation {activation!r}; choose one of: "
            + ", ".join(ACTIVATIONS)
        )
    sizes = [int(input_dim), *(int(h) for h in hidden_sizes)]
    if any(size <= 0 for size in [*sizes, output_dim]):
        raise ValueError(
            f"build_mlp: layer sizes must be positive, got input_dim={input_dim}, "
            f"hidden_sizes={list(hidden_sizes)}, output_dim={output_dim}"
        )
    if not 0.0 <= dropout < 1.0:
        raise ValueError(f"build_mlp: dropout must be in [0, 1), got {dropout}")
    layers: list[nn.Module] = []
    for width_in, width_out in itertools.pairwise(sizes):
        layers += [nn.Linear(width_in, width_out), ACTIVATIONS[activation]()]
        if dropout > 0:
            layers.append(nn.Dropout(dropout))
    layers.append(nn.Linear(sizes[-1], int(output_dim)))
    return nn.Sequential(*layers)
