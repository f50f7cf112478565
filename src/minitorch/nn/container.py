"""Sequential: the container that chains Modules (the Composite pattern)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import numpy as np

from .module import Module


class Sequential(Module):
    """A chain of Modules: forward runs them in order, backward in reverse.

    ``Sequential(m1, m2, m3)`` and ``Sequential([m1, m2, m3])`` build the same model. Parameters
    and gradients are collected from the children, so an optimizer updates the whole chain.

    forward:   h₀ = x,   hₖ = modules[k-1](hₖ₋₁),  y = h_K
    backward:  g_K = dL/dy,  gₖ₋₁ = modules[k-1].backward(gₖ),  returns g₀ = dL/dx
    """

    def __init__(self, *modules: Module | Iterable[Module]) -> None:
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], (list, tuple)):
            modules = tuple(modules[0])
        for i, module in enumerate(modules):
            _check_is_module(module, f"Sequential: item {i}")
        self.modules: list[Module] = list(modules)

    def forward(self, x: np.ndarray) -> np.ndarray:
        for module in self.modules:
            x = module.forward(x)
        return x

    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        for module in reversed(self.modules):
            grad_output = module.backward(grad_output)
        return grad_output

    def named_children(self) -> list[tuple[str, Module]]:
        return [(str(i), module) for i, module in enumerate(self.modules)]

    def append(self, module: Module) -> Sequential:
        _check_is_module(module, "Sequential.append")
        self.modules.append(module)
        return self

    def extend(self, modules: Iterable[Module]) -> Sequential:
        for module in modules:
            self.append(module)
        return self

    def insert(self, index: int, module: Module) -> Sequential:
        _check_is_module(module, "Sequential.insert")
        self.modules.insert(index, module)
        return self

    def __getitem__(self, index: int | slice) -> Module:
        if isinstance(index, slice):
            return Sequential(self.modules[index])
        return self.modules[index]

    def __len__(self) -> int:
        return len(self.modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self.modules)


def _check_is_module(module: object, where: str) -> None:
    if isinstance(module, type) and issubclass(module, Module):
        raise TypeError(
            f"{where} is the class {module.__name__}, not a module: "
            f"write {module.__name__}() with parentheses"
        )
    if not isinstance(module, Module):
        raise TypeError(f"{where} must be a Module, got {type(module).__name__}")
