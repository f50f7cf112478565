"""Parameter groups: some of a model's parameters, as a Module an optimizer can be given.

PyTorch's optimizers take parameter groups, dicts with ``"params"`` and the hyperparameters the
group sets differently; minitorch's take the same dicts, with Modules as ``"params"``. A
:class:`ParameterGroup` is the Module for *some* of a model's parameters, and
:func:`weight_decay_groups` makes nanoGPT's two groups, with and without weight decay::

    decay, no_decay = optim.weight_decay_groups(model)
    optimizer = optim.AdamW(
        [{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}],
        lr=6e-4, betas=(0.9, 0.95),
    )

Which parameters weight decay skips is declared by the layers themselves
(``Module.no_weight_decay``, collected by :meth:`Module.named_no_weight_decay`): biases and
normalisation gains and shifts, never guessed from a parameter's name or shape.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..nn.module import Module


def decays_weight(model: Module, name: str) -> bool:
    """Whether weight decay applies to ``model``'s parameter ``name`` (dotted, as in
    ``named_parameters()``): every parameter but those its layer lists in ``no_weight_decay``.

    nanoGPT's rule: the matrices (embeddings, Linear and convolution weights) decay; biases and
    LayerNorm/BatchNorm gains and shifts do not.
    """
    if name not in dict(model.named_parameters()):
        raise KeyError(f"decays_weight: the model has no parameter {name!r}")
    return name not in model.named_no_weight_decay()


class ParameterGroup(Module):
    """Some of a model's parameters, as a module an optimizer can be given.

    ``parameters()`` and ``grads()`` are the model's own arrays (aligned); ``zero_grad()``
    clears this group's gradients only. The group holds the model but is not part of it::

        optim.SGD([{"params": ParameterGroup(model, ["0.W"]), "lr": 0.1}], lr=0.01)
    """

    def __init__(self, model: Module, names: list[str]) -> None:
        super().__init__()
        self.model = model
        positions = {name: i for i, (name, _) in enumerate(model.named_parameters())}
        missing = [name for name in names if name not in positions]
        if missing:
            raise KeyError(f"ParameterGroup: the model has no parameter {missing[0]!r}")
        self.names = list(names)
        self._positions = [positions[name] for name in names]

    def parameters(self) -> list[np.ndarray]:
        params = self.model.parameters()
        return [params[i] for i in self._positions]

    def grads(self) -> list[np.ndarray | None]:
        grads = self.model.grads()
        return [grads[i] for i in self._positions]

    def named_children(self) -> list[tuple[str, Module]]:
        return [("model", self.model)]  # so zero_grad finds the gradients in its modules

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        """Refused: the group holds the whole model, and freezing belongs to its layers."""
        raise TypeError(
            "ParameterGroup.requires_grad_: freeze the model's layers, not a group of its "
            "parameters (layer.requires_grad_(False)); to leave some parameters untrained, "
            "leave them out of the groups"
        )

    def forward(self, *args: Any) -> Any:
        raise NotImplementedError("ParameterGroup only groups parameters for an optimizer")

    def extra_repr(self) -> str:
        return f"{len(self.names)} parameters: {', '.join(self.names)}"


def weight_decay_groups(model: Module) -> tuple[ParameterGroup, ParameterGroup]:
    """``(decay, no_decay)``: the model's parameters split by what its layers declare
    (:meth:`Module.named_no_weight_decay`), each group in the model's order."""
    skipped = model.named_no_weight_decay()
    names = [name for name, _ in model.named_parameters()]
    decay = [name for name in names if name not in skipped]
    no_decay = [name for name in names if name in skipped]
    return ParameterGroup(model, decay), ParameterGroup(model, no_decay)
