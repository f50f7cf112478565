"""``summary(model, input_shape)``: a table of layers, output shapes and parameter counts.

A plain function, as torchinfo's ``summary(model, input_size)``, so that the Module base class
needs nothing from the containers this module walks (no import cycle).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .. import _state
from .container import Sequential
from .embedding import Embedding
from .module import Module


@dataclass
class SummaryRow:
    name: str
    layer: str
    output_shape: tuple[int, ...] | None
    num_parameters: int


@dataclass
class ModelSummary:
    """The rows of a model summary and its totals; prints as a table."""

    model: str
    input_shape: tuple[int, ...]
    rows: list[SummaryRow] = field(default_factory=list)
    total_parameters: int = 0
    #: Values of the parameters that are not frozen (torchinfo's "trainable params").
    trainable_parameters: int = 0
    output_shape: tuple[int, ...] = ()
    parameter_bytes: int = 0

    def __str__(self) -> str:
        width = max([len(f"{r.name} {r.layer}") for r in self.rows] + [24]) + 2
        rule = "-" * (width + 32)
        lines = [
            f"{self.model} summary (input shape {self.input_shape})",
            rule,
            f"{'layer':<{width}}{'output shape':<20}{'parameters':>12}",
            rule,
        ]
        for row in self.rows:
            shape = "-" if row.output_shape is None else str(row.output_shape)
            lines.append(
                f"{row.name + ' ' + row.layer:<{width}}{shape:<20}{row.num_parameters:>12,}"
            )
        lines += [
            rule,
            f"total parameters: {self.total_parameters:,} ({self.parameter_bytes / 1024:.1f} KiB)",
            f"trainable parameters: {self.trainable_parameters:,}, frozen: "
            f"{self.total_parameters - self.trainable_parameters:,}",
            f"output shape: {self.output_shape}",
        ]
        return "\n".join(lines)

    def __repr__(self) -> str:  # short: the table itself was printed by summary()
        return (
            f"ModelSummary({self.model}, input_shape={self.input_shape}, "
            f"total_parameters={self.total_parameters:,})"
        )


def summary(model: Module, input_shape: tuple[int, ...], verbose: bool = True) -> ModelSummary:
    """Print a table of ``model``'s layers with output shapes and parameter counts, and totals.

    ``input_shape`` includes the batch dimension, e.g. ``nn.summary(model, (1, 64))``. One
    forward pass runs on a random batch (token ids for a model whose first layer is an
    Embedding): a Sequential (nested ones too) is walked layer by layer, so each row has its
    output shape; any other module is run whole, and its children are listed with their
    parameter counts; the totals count trainable and frozen (``requires_grad_(False)``)
    parameters apart, as torchinfo does. The model is put in eval mode for the pass (no
    dropout) and its mode is restored. Prints the table (in a script too, as Keras' and
    torchinfo's ``summary``) unless ``verbose=False``, and returns it as a
    :class:`ModelSummary` (``str(table)`` is the table; its rows and totals are attributes).
    """
    input_shape = tuple(int(n) for n in input_shape)
    params = model.parameters()
    dtype = params[0].dtype if params else _state.get_default_dtype()
    x = _example_input(model, input_shape, dtype)
    table = ModelSummary(type(model).__name__, input_shape)
    was_training = model.training
    model.eval()
    try:
        table.output_shape = _walk(model, x, "", table.rows).shape
    finally:
        model.train(was_training)
    table.total_parameters = model.num_parameters()
    frozen = model.frozen_flags()  # layer.requires_grad_(False)
    table.trainable_parameters = sum(
        p.size for p, is_frozen in zip(params, frozen, strict=True) if not is_frozen
    )
    table.parameter_bytes = sum(p.nbytes for p in params)
    if verbose:
        print(table)
    return table


def _example_input(model, input_shape: tuple[int, ...], dtype) -> np.ndarray:
    """The batch the summary runs: token ids in [0, V) when the first layer the input meets is
    an Embedding (a GPT), random floats otherwise."""
    rng = np.random.default_rng(0)
    first = next((m for m in model.modules() if not m.children()), None)
    if isinstance(first, Embedding):
        return rng.integers(0, first.num_embeddings, size=input_shape)
    return rng.standard_normal(input_shape).astype(dtype)


def _walk(module, x: np.ndarray, prefix: str, rows: list[SummaryRow]) -> np.ndarray:
    if isinstance(module, Sequential):
        for name, child in module.named_children():
            x = _walk(child, x, f"{prefix}{name}.", rows)
        return x
    y = np.asarray(module(x))
    rows.append(
        SummaryRow(
            prefix.rstrip(".") or "-", type(module).__name__, y.shape, module.num_parameters()
        )
    )
    for name, child in module.named_children():
        rows.append(
            SummaryRow(f"{prefix}{name}", f"  {type(child).__name__}", None, child.num_parameters())
        )
    return y
