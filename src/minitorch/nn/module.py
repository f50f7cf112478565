"""The Module base class: the contract every layer, activation and container follows.

A Module has a ``forward(x)`` that computes its output and caches what its backward needs, and a
``backward(grad_output)`` that takes dL/d(output), *adds* dL/d(parameter) into its gradient arrays
and returns dL/d(input). ``parameters()`` and ``grads()`` return aligned lists the optimizer walks
through together. There is no autograd: each backward is written by hand.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

ArrayDict = dict[str, np.ndarray]


def accumulate_grad(current: np.ndarray | None, new: np.ndarray) -> np.ndarray:
    """Add a freshly computed gradient into the stored one, as PyTorch does.

    Before the first backward the stored gradient is ``None`` and becomes a copy of ``new`` (a
    copy, so it never shares memory with an array the layer was handed, such as grad_output);
    afterwards it is updated in place, so the arrays returned by ``grads()`` stay the same objects
    from one step to the next and ``zero_grad`` can clear them without reallocating.
    """
    if current is None:
        return np.array(new, copy=True)
    current += new
    return current


class Module:
    """Base class of every layer, activation and container.

    Subclasses call ``super().__init__()``, then implement ``forward(x)`` and
    ``backward(grad_output)``. A layer with parameters overrides ``parameters()`` and ``grads()``
    to return aligned lists of its arrays; a container that holds other Modules as attributes gets
    both for free (they are collected from its children, recursively).

    Attributes
    ----------
    training : bool
        ``True`` after ``train()`` (the default), ``False`` after ``eval()``. Only layers that
        behave differently in training (Dropout, BatchNorm) look at it.
    buffer_names : tuple of str
        Class attribute naming state that is saved in ``state_dict`` but not trained (running
        statistics). Empty for most modules.
    needs_input_grad : bool
        ``True`` (the default): ``backward`` returns dL/d(input). A network's first layer sees
        only data, whose gradient nothing uses; setting ``model[0].needs_input_grad = False``
        lets a layer that honours it (Linear) skip that product and return ``None``, which saves
        a third of the layer's backward. PyTorch does the same on its own, because the data
        does not require grad.
    """

    buffer_names: tuple[str, ...] = ()
    needs_input_grad: bool = True

    def __init__(self) -> None:
        self.training = True

    # ------------------------------------------------------------------ computation
    def forward(self, x: np.ndarray) -> np.ndarray:
        raise NotImplementedError(f"{type(self).__name__} must implement forward(x)")

    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        raise NotImplementedError(f"{type(self).__name__} must implement backward(grad_output)")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.forward(*args, **kwargs)

    # ------------------------------------------------------------------ parameters
    def parameters(self) -> list[np.ndarray]:
        """The trainable arrays, in the same order as ``grads()``. Default: the children's."""
        return [p for child in self.children() for p in child.parameters()]

    def grads(self) -> list[np.ndarray | None]:
        """dL/d(parameter) for each array of ``parameters()`` (``None`` before any backward)."""
        return [g for child in self.children() for g in child.grads()]

    def zero_grad(self) -> None:
        """Set every gradient to zero, in place (a gradient that is still ``None`` stays so)."""
        for grad in self.grads():
            if grad is not None:
                grad.fill(0)

    def num_parameters(self) -> int:
        """Total number of trainable scalars."""
        return sum(p.size for p in self.parameters())

    def summary(self, input_shape: tuple[int, ...]):
        """A table of layers with output shapes and parameter counts, and the totals.

        ``input_shape`` includes the batch dimension, e.g. ``model.summary((1, 64))``. Returns a
        :class:`~minitorch.nn.summary.ModelSummary`, which prints as the table.
        """
        from .summary import summarize  # imported here: summary.py needs this module first

        return summarize(self, input_shape)

    # ------------------------------------------------------------------ children
    def named_children(self) -> list[tuple[str, Module]]:
        """The Modules held directly by this one, with the attribute names they are held under.

        A Module stored in an attribute is found under that attribute's name; a list or tuple of
        Modules under ``name.0``, ``name.1``, ... Containers such as Sequential override this.
        """
        found: list[tuple[str, Module]] = []
        for name, value in vars(self).items():
            if isinstance(value, Module):
                found.append((name, value))
            elif (
                isinstance(value, (list, tuple))
                and value
                and all(isinstance(item, Module) for item in value)
            ):
                found.extend((f"{name}.{i}", item) for i, item in enumerate(value))
        return found

    def children(self) -> list[Module]:
        return [child for _, child in self.named_children()]

    def named_modules(self, prefix: str = "") -> Iterator[tuple[str, Module]]:
        """This module and every module below it, depth first, with dotted names."""
        yield prefix, self
        for name, child in self.named_children():
            yield from child.named_modules(f"{prefix}.{name}" if prefix else name)

    def get_submodule(self, target: str) -> Module:
        """The module at a dotted path such as ``"0"`` or ``"encoder.1"``."""
        if not target:
            return self
        modules = dict(self.named_modules())
        if target not in modules:
            raise AttributeError(f"{type(self).__name__} has no submodule {target!r}")
        return modules[target]

    # ------------------------------------------------------------------ names
    def _attribute_names(self) -> dict[int, str]:
        """Map ``id(array)`` to the dotted name of the attribute that holds it.

        This is how ``named_parameters`` names the arrays a layer returns from ``parameters()``
        without the layer registering them anywhere: ``self.W`` is found as ``"W"``, and the
        ``W`` of the first module of a Sequential as ``"0.W"``.
        """
        names: dict[int, str] = {}
        for prefix, module in self.named_modules():
            for attr, value in vars(module).items():
                if isinstance(value, np.ndarray):
                    names.setdefault(id(value), f"{prefix}.{attr}" if prefix else attr)
        return names

    def named_parameters(self) -> list[tuple[str, np.ndarray]]:
        """``(dotted name, array)`` for each array of ``parameters()``, e.g. ``("0.W", W)``."""
        names = self._attribute_names()
        return [(names.get(id(p), f"param{i}"), p) for i, p in enumerate(self.parameters())]

    def named_buffers(self) -> list[tuple[str, np.ndarray]]:
        """``(dotted name, array)`` for the non-trained state (running statistics)."""
        found = []
        for prefix, module in self.named_modules():
            for attr in module.buffer_names:
                found.append((f"{prefix}.{attr}" if prefix else attr, getattr(module, attr)))
        return found

    def _set_attribute(self, dotted_name: str, value: Any) -> None:
        owner_name, _, attr = dotted_name.rpartition(".")
        setattr(self.get_submodule(owner_name), attr, value)

    # ------------------------------------------------------------------ modes
    def train(self, mode: bool = True) -> Module:
        """Put this module and all its children in training mode (returns ``self``)."""
        for _, module in self.named_modules():
            module.training = mode
        return self

    def eval(self) -> Module:
        """Put this module and all its children in evaluation mode (returns ``self``)."""
        return self.train(False)

    # ------------------------------------------------------------------ dtype
    def to_dtype(self, dtype: type | np.dtype | str) -> Module:
        """Convert every parameter, gradient and buffer to ``dtype`` (returns ``self``).

        The arrays are replaced, so build optimizers *after* converting a model.
        """
        dtype = np.dtype(dtype)
        names = self._attribute_names()
        for array in [*self.parameters(), *self.grads(), *(b for _, b in self.named_buffers())]:
            if array is not None and array.dtype != dtype and id(array) in names:
                self._set_attribute(names[id(array)], array.astype(dtype))
        return self

    def double(self) -> Module:
        """Convert the model to float64 (for exact gradient checks)."""
        return self.to_dtype(np.float64)

    def float(self) -> Module:
        """Convert the model to float32 (the default)."""
        return self.to_dtype(np.float32)

    # ------------------------------------------------------------------ state
    def state_dict(self) -> ArrayDict:
        """Copies of every parameter and buffer under dotted names like PyTorch's (``"0.W"``).

        The arrays are copies, so a saved state is a snapshot that later training does not change.
        """
        state = {name: p.copy() for name, p in self.named_parameters()}
        state.update({name: np.array(b, copy=True) for name, b in self.named_buffers()})
        return state

    def load_state_dict(self, state_dict: dict[str, Any], strict: bool = True) -> None:
        """Copy values from ``state_dict`` into this module's existing arrays.

        The arrays are updated in place, so an optimizer built before loading keeps working on
        the loaded weights. With ``strict=True`` (the default) the keys must match exactly;
        shapes must always match.
        """
        targets = dict(self.named_parameters())
        targets.update(self.named_buffers())
        missing = [k for k in targets if k not in state_dict]
        unexpected = [k for k in state_dict if k not in targets]
        if strict and (missing or unexpected):
            raise KeyError(
                f"{type(self).__name__}.load_state_dict: keys do not match; "
                f"missing: {missing or 'none'}; unexpected: {unexpected or 'none'}. "
                "Was the state saved from a model with the same layers? "
                "Pass strict=False to load the matching keys only."
            )
        for name, target in targets.items():
            if name not in state_dict:
                continue
            value = np.asarray(state_dict[name])
            if value.shape != np.shape(target):
                raise ValueError(
                    f"{type(self).__name__}.load_state_dict: {name!r} has shape "
                    f"{value.shape} in the state dict but {np.shape(target)} in the model"
                )
            if isinstance(target, np.ndarray):
                np.copyto(target, value, casting="unsafe")
            else:  # a buffer kept as a Python number cannot be updated in place
                self._set_attribute(name, type(target)(value))

    # ------------------------------------------------------------------ helpers for subclasses
    def _saved(self, value: Any, what: str = "input") -> Any:
        """Return a forward cache, or explain that ``backward`` came before ``forward``."""
        if value is None:
            raise RuntimeError(
                f"{type(self).__name__}.backward() was called before forward(): there is no "
                f"cached {what}. Run the forward pass on a batch first."
            )
        return value

    def _check_grad_shape(self, grad_output: np.ndarray, expected: tuple[int, ...]) -> None:
        if np.shape(grad_output) != tuple(expected):
            raise ValueError(
                f"{type(self).__name__}.backward expects grad_output of shape {tuple(expected)} "
                f"(the shape of its last output), got {np.shape(grad_output)}"
            )

    # ------------------------------------------------------------------ printing
    def extra_repr(self) -> str:
        """The text inside the parentheses of this module's repr (its hyperparameters)."""
        return ""

    def __repr__(self) -> str:
        children = self.named_children()
        if not children:
            return f"{type(self).__name__}({self.extra_repr()})"
        lines = [f"{type(self).__name__}("]
        if self.extra_repr():
            lines.append(f"  {self.extra_repr()}")
        for name, child in children:
            child_text = repr(child).replace("\n", "\n  ")
            lines.append(f"  ({name}): {child_text}")
        lines.append(")")
        return "\n".join(lines)
