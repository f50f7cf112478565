"""Containers (the Composite pattern): Sequential chains Modules; ModuleList and ModuleDict hold
them for a model of your own whose ``forward`` decides how they are used."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import numpy as np

from .module import PYTORCH_PARAMETER_NAMES, Module


class Sequential(Module):
    """A chain of Modules: forward runs them in order, backward in reverse.

    ``Sequential(m1, m2, m3)`` and ``Sequential([m1, m2, m3])`` build the same model. Parameters
    and gradients are collected from the children, so an optimizer updates the whole chain. The
    layers are kept in the private list ``_modules`` (the spec's ``-modules``); index, slice and
    iterate the Sequential itself, and ``model.modules()`` is the method PyTorch users know.

    forward:   h₀ = x,   hₖ = modules[k-1](hₖ₋₁),  y = h_K
    backward:  g_K = dL/dy,  gₖ₋₁ = modules[k-1].backward(gₖ),  returns g₀ = dL/dx

    Rules
    -----
    * A module instance appears once: it caches one forward for its backward, so the same
      ``ReLU()`` at two positions would backpropagate the wrong input. A repeated instance is
      refused; for weights shared between positions use the pairs of
      :mod:`minitorch.nn.functional`.
    * ``model.needs_input_grad = False`` says the input is data, whose gradient nobody uses
      (the standard loop's habit): the first layer with parameters then skips dL/dx and the
      backward returns ``None``. PyTorch skips it on its own; minitorch cannot tell data from,
      say, a generator's output, whose gradient a GAN needs, so it is told.
    * A module whose backward returns ``None`` (no input gradient: data, integer indices) ends
      the chain. That is an error if a module before it has parameters, or if this
      Sequential's own input needs a gradient: a gradient would be lost.
    """

    def __init__(self, *modules: Module | Iterable[Module]) -> None:
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], (list, tuple)):
            modules = tuple(modules[0])
        for i, module in enumerate(modules):
            _check_is_module(module, f"Sequential: item {i}")
        self._modules: list[Module] = list(modules)
        self._check_no_repeats()

    def forward(self, x: np.ndarray) -> np.ndarray:
        for module in self._modules:
            x = module(x)
        return x

    def backward(self, grad_output: np.ndarray) -> np.ndarray | None:
        grad_output, _ = self._begin_backward(grad_output)  # each module honours its own flag
        for position in range(len(self._modules) - 1, -1, -1):
            module = self._modules[position]
            grad_output = module.backward(grad_output)
            if grad_output is None:
                if position > 0:
                    self._check_chain_may_end(position)
                return None
        return grad_output

    def _check_chain_may_end(self, position: int) -> None:
        """A ``None`` from module ``position`` ends the backward; refuse if a gradient is lost."""
        module = self._modules[position]
        before = [m for m in self._modules[:position] if m.parameters()]
        if not before and not self.needs_input_grad:
            return  # only parameter-free modules before it, and the input is data
        needs = (
            f"module {self._modules.index(before[0])} ({type(before[0]).__name__}) has "
            "parameters that need it"
            if before
            else "this Sequential's input needs a gradient (needs_input_grad is True)"
        )
        raise RuntimeError(
            f"Sequential: module {position} ({type(module).__name__}).backward returned None, "
            f"but {needs}. A backward returns dL/dx unless its input is data (set "
            "needs_input_grad = False on the Sequential, not on a layer inside it); if this is "
            "your layer, end its backward with `return grad_input`"
        )

    # Whether the chain's input needs a gradient. Setting it reaches the modules up to the first
    # one with parameters: those before it only pass dL/dx on, and that one may skip computing it.
    _needs_input_grad: bool = True

    @property
    def needs_input_grad(self) -> bool:
        return self._needs_input_grad

    @needs_input_grad.setter
    def needs_input_grad(self, value: bool) -> None:
        self._needs_input_grad = bool(value)
        for module in self._modules:
            module.needs_input_grad = bool(value)
            if module.parameters():
                break

    def named_children(self) -> list[tuple[str, Module]]:
        return [(str(i), module) for i, module in enumerate(self._modules)]

    def children(self) -> list[Module]:
        # named_children() without the names: parameters() and grads() walk this at every
        # step (the optimizer's step and zero_grad), and a str(i) per module costs.
        return list(self._modules)

    def append(self, module: Module) -> Sequential:
        return self.insert(len(self._modules), module, "Sequential.append")

    def extend(self, modules: Iterable[Module]) -> Sequential:
        for module in modules:
            self.append(module)
        return self

    def insert(self, index: int, module: Module, where: str = "Sequential.insert") -> Sequential:
        _check_is_module(module, where)
        self._modules.insert(index, module)
        try:
            self._check_no_repeats()
        except ValueError:
            self._modules.remove(module)
            raise
        return self

    def _check_no_repeats(self) -> None:
        """Refuse a module instance that would run twice in one forward (nested ones too)."""
        first_seen: dict[int, str] = {}
        for name, module in self.named_modules(remove_duplicate=False):
            if not name:
                continue
            if id(module) in first_seen:
                kind = type(module).__name__
                raise ValueError(
                    f"Sequential: the same {kind} instance is at positions "
                    f"{first_seen[id(module)]} and {name}. A module keeps the cache of one "
                    "forward for its backward, so it cannot run twice in one pass: create a new "
                    f"{kind}(...) for each position. To share weights between positions, use "
                    "the stateless pairs of minitorch.nn.functional (e.g. F.linear_forward / "
                    "F.linear_backward), which return the cache instead of keeping it."
                )
            first_seen[id(module)] = name

    def __getitem__(self, index: int | slice) -> Module:
        if isinstance(index, slice):
            return Sequential(self._modules[index])
        return self._modules[index]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules)


class ModuleList(Module):
    """A list of Modules whose parameters, gradients, state and mode the model reaches.

    Like ``torch.nn.ModuleList``: index, slice, iterate, ``len``, ``append``, ``extend``,
    ``insert``. It has no forward of its own: a model's ``forward`` says how its modules are
    used, and its ``backward`` runs them in reverse. Children are named ``"0"``, ``"1"``, ...,
    so a model's ``self.layers = ModuleList(...)`` saves ``layers.0.W``.
    """

    def __init__(self, modules: Iterable[Module] | None = None) -> None:
        super().__init__()
        self._modules: list[Module] = []
        if modules is not None:
            self.extend(modules)

    def forward(self, *args: Any) -> Any:
        raise NotImplementedError(_NO_FORWARD.format(kind="ModuleList", loop="for layer in"))

    def backward(self, grad_output: Any) -> Any:
        raise NotImplementedError(_NO_FORWARD.format(kind="ModuleList", loop="for layer in"))

    def named_children(self) -> list[tuple[str, Module]]:
        return [(str(i), module) for i, module in enumerate(self._modules)]

    def children(self) -> list[Module]:
        # named_children() without the names: parameters() and grads() walk this at every
        # step (the optimizer's step and zero_grad), and a str(i) per module costs.
        return list(self._modules)

    def append(self, module: Module) -> ModuleList:
        _check_is_module(module, "ModuleList.append")
        self._modules.append(module)
        return self

    def extend(self, modules: Iterable[Module]) -> ModuleList:
        if isinstance(modules, Module) and not isinstance(modules, (ModuleList, Sequential)):
            raise TypeError("ModuleList.extend expects an iterable of Modules; use append")
        for module in modules:
            self.append(module)
        return self

    def insert(self, index: int, module: Module) -> None:
        _check_is_module(module, "ModuleList.insert")
        self._modules.insert(index, module)

    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            return ModuleList(self._modules[index])
        return self._modules[index]

    def __setitem__(self, index: int, module: Module) -> None:
        _check_is_module(module, f"ModuleList[{index}]")
        self._modules[index] = module

    def __delitem__(self, index: int | slice) -> None:
        del self._modules[index]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules)


class ModuleDict(Module):
    """A dict of Modules (string keys) whose parameters, state and mode the model reaches.

    Like ``torch.nn.ModuleDict``: ``d[key]``, ``d[key] = module``, ``del d[key]``, ``in``,
    ``len``, iteration over keys, ``keys()``, ``values()``, ``items()``, ``update``, ``pop``.
    Keys keep their insertion order and name the children in the state dict: a model's
    ``self.heads = ModuleDict({"a": Linear(4, 2)})`` saves ``heads.a.W``.

    As in PyTorch, a key is an attribute too: ``d.wte`` reads ``d["wte"]`` (nanoGPT's
    ``self.transformer.wte``), and ``d.lm = Linear(...)`` adds the key ``"lm"``; assigning
    something other than a Module to a key is a ``TypeError``. A key that would hide an
    attribute or method (``"keys"``, ``"training"``, ``"forward"``) is refused (``KeyError``),
    as PyTorch refuses it.
    """

    def __init__(self, modules: Mapping[str, Module] | None = None) -> None:
        super().__init__()
        self._modules: dict[str, Module] = {}
        if modules is not None:
            self.update(modules)

    def forward(self, *args: Any) -> Any:
        raise NotImplementedError(
            _NO_FORWARD.format(kind="ModuleDict", loop="for name, layer in") + ".items()"
        )

    def backward(self, grad_output: Any) -> Any:
        raise NotImplementedError(
            _NO_FORWARD.format(kind="ModuleDict", loop="for name, layer in") + ".items()"
        )

    def named_children(self) -> list[tuple[str, Module]]:
        return list(self._modules.items())

    def __getattr__(self, name: str) -> Module:
        """``d.key``: reached only when normal lookup fails (methods and attributes win)."""
        modules = self.__dict__.get("_modules")
        if modules is not None and name in modules:
            return modules[name]
        raise AttributeError(
            f"'ModuleDict' object has no attribute {name!r}"
            + (f" (its keys: {', '.join(modules)})" if modules else ""),
            name=name,
            obj=self,
        )

    def __setattr__(self, name: str, value: Any) -> None:
        modules = self.__dict__.get("_modules")
        if isinstance(value, Module) and not name.startswith("_"):
            if (modules is None or name not in modules) and _is_attribute(self, name):
                raise KeyError(
                    f"ModuleDict: d.{name} = {type(value).__name__}(...) would file the module "
                    f"under the key {name!r}, but d.{name} would still be ModuleDict's own "
                    f"{name!r}: the module would be hidden (PyTorch accepts the assignment; "
                    f"minitorch refuses it, as both refuse d[{name!r}] = ...); "
                    f"choose another key, e.g. d.{name}_ = ..."
                )
            self[name] = value  # d.lm = Linear(...): PyTorch's Module.__setattr__ registers it
        elif modules is not None and name in modules:
            raise TypeError(
                f"cannot assign {type(value).__name__!r} as child module {name!r} of a "
                f"ModuleDict (a Module expected); to remove it, write del d[{name!r}]"
            )
        else:
            object.__setattr__(self, name, value)

    def __getitem__(self, key: str) -> Module:
        return self._modules[key]

    def __setitem__(self, key: str, module: Module) -> None:
        if not isinstance(key, str) or not key or "." in key:
            raise KeyError(
                f"ModuleDict keys must be non-empty strings without '.', got {key!r} "
                "(they become parts of dotted state-dict names such as 'heads.a.W')"
            )
        if key not in self._modules and _is_attribute(self, key):
            raise KeyError(
                f"ModuleDict: the key {key!r} is already an attribute of ModuleDict, so "
                f"d.{key} could not reach it (PyTorch refuses it too); choose another key"
            )
        _check_is_module(module, f"ModuleDict[{key!r}]")
        self._modules[key] = module

    def __delitem__(self, key: str) -> None:
        del self._modules[key]

    def __contains__(self, key: object) -> bool:
        return key in self._modules

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[str]:
        return iter(self._modules)

    def keys(self):
        return self._modules.keys()

    def values(self):
        return self._modules.values()

    def items(self):
        return self._modules.items()

    def update(self, modules: Mapping[str, Module] | Iterable[tuple[str, Module]]) -> None:
        pairs = modules.items() if isinstance(modules, Mapping) else modules
        for key, module in pairs:
            self[key] = module

    def pop(self, key: str) -> Module:
        return self._modules.pop(key)


_NO_FORWARD = (
    "{kind} is a container, not a layer: it has no forward or backward of its own. Write them in "
    "your model: forward runs '{loop} self.<name>' and backward visits the layers in reverse"
)


def _is_attribute(module: Module, name: str) -> bool:
    """Whether normal lookup finds ``name`` on ``module`` (a method, a flag, a PyTorch name)."""
    if name in module.__dict__:
        return True
    if name in PYTORCH_PARAMETER_NAMES:  # only a hint on a Module, not an attribute
        return False
    return any(name in vars(cls) for cls in type(module).__mro__)


def _check_is_module(module: object, where: str) -> None:
    if isinstance(module, type) and issubclass(module, Module):
        raise TypeError(
            f"{where} is the class {module.__name__}, not a module: "
            f"write {module.__name__}() with parentheses"
        )
    if not isinstance(module, Module):
        raise TypeError(f"{where} must be a Module, got {type(module).__name__}")
