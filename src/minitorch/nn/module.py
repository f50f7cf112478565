"""The Module base class: the contract every layer, activation and container follows.

A Module has a ``forward(x)`` that computes its output and caches what its backward needs, and a
``backward(grad_output)`` that takes dL/d(output), *adds* dL/d(parameter) into its gradient arrays
and returns dL/d(input). ``parameters()`` and ``grads()`` return aligned lists the optimizer walks
through together. There is no autograd: each backward is written by hand. The whole contract is
stated in one place, for contributors, in ``docs/contract.md``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from .. import _state
from .._validation import check_flag, float_input

ArrayDict = dict[str, np.ndarray]
#: The output spec of a forward that returned no single array (nothing to check it against).
_UNCHECKED = (None, None)
#: Device names of PyTorch that ``Module.to`` recognises (to refuse all but the CPU clearly).
_DEVICES = ("cpu", "cuda", "mps", "xpu", "meta", "hip", "xla", "npu")


def accumulate_grad(
    current: np.ndarray | None, new: np.ndarray, *, owned: bool = False
) -> np.ndarray:
    """``current + new``: how every backward stores a parameter gradient.

    After ``zero_grad()`` (and before the first backward) the stored gradient is ``None``, so
    the first backward simply *stores* ``new``: one pass over memory, the one that computed it.
    Pass ``owned=True`` when ``new`` was just computed by this backward (a fresh ``x.T @ G``)
    and nothing else holds it; otherwise it is copied first, so a gradient never shares memory
    with an array the layer was handed (such as ``grad_output``). A later backward before the
    next ``zero_grad`` (a second loss, a weight used twice) adds into the stored array in place,
    as PyTorch accumulates ``.grad``.
    """
    if current is None:
        return new if owned else np.array(new, copy=True)
    current += new
    return current


#: Why a Module's contents cannot be collected, per container type a student might use.
_HIDDEN_CONTAINER_FIX = {
    dict: "nn.ModuleDict",
    set: "nn.ModuleList (a set has no order, so its parameters could not be named)",
    frozenset: "nn.ModuleList (a set has no order, so its parameters could not be named)",
    list: "nn.ModuleList",
    tuple: "nn.ModuleList",
}


#: Attribute types that can never hold a Module: ``named_children`` skips them with one set
#: lookup, so the hidden-module check costs nothing for a layer's arrays, numbers and flags
#: (it ran on every attribute of every layer whenever a model was walked).
_CANNOT_HOLD_MODULES = frozenset(
    {np.ndarray, bool, int, float, complex, str, bytes, type(None), np.float32, np.float64}
)


def _pytorch_name_hint(module: Module, name: str) -> str | None:
    """What to write instead of a PyTorch attribute name minitorch does not use, or ``None``:
    the one place PyTorch's parameter habits are translated."""
    has = vars(module)
    kind = type(module).__name__
    if name in ("weight", "bias") and "gamma" in has:
        mine = "gamma" if name == "weight" else "beta"
        return f"{kind} calls PyTorch's {name} {mine!r}, same shape; its gradient is d{mine}"
    if name == "weight" and isinstance(has.get("W"), np.ndarray):
        W = has["W"]
        if W.ndim == 2 and W.shape == (has.get("input_dim"), has.get("output_dim")):
            layout = (
                f"W, of shape (in, out) = {W.shape}: y = x @ W + b. PyTorch's weight "
                "(out, in) is W.T (copy one in with layer.W[...] = weight.T)"
            )
        else:
            layout = f"W, of shape {W.shape}, the layout of PyTorch's weight"
        return f"{kind} calls its weight {layout}; its gradient is dW"
    if name == "bias" and "b" in has:
        b = has["b"]
        if b is None:
            return f"{kind} has no bias here (b is None: it was built with bias=False)"
        return (
            f"{kind} calls its bias b, of shape {b.shape} (it broadcasts against the output); "
            "PyTorch's bias is b.reshape(-1); its gradient is db"
        )
    if name == "grad":
        return (
            "a gradient lives beside its parameter in the layer, not on the array: dW for W, "
            "db for b (None before a backward and after zero_grad); model.grads() lists them "
            "in the order of model.parameters()"
        )
    if name == "requires_grad":
        return (
            "minitorch's parameters are NumPy arrays, with no requires_grad flag "
            "(p.requires_grad = False on one cannot work: NumPy refuses it). A layer is "
            "frozen as a whole: module.requires_grad_(False) freezes its parameters and "
            "those of its children (requires_grad_() unfreezes them), module.frozen says "
            "whether it is frozen, and optimizers skip what is frozen"
        )
    return None


#: The PyTorch names of :func:`_pytorch_name` that a ``torch.nn.Module`` does not have itself, so
#: a ``ModuleDict`` may use them as keys, as PyTorch's may (``requires_grad_`` is its method).
PYTORCH_PARAMETER_NAMES = frozenset({"weight", "bias", "grad", "requires_grad"})

#: How many times ``requires_grad_`` has run in this process. What frozen flags are computed
#: from changes only then, so an optimizer keeps its list of frozen parameters until this count
#: moves: its step compares one number instead of walking the model (see :func:`freeze_count`).
_freeze_count = 0


def freeze_count() -> int:
    """How many times :meth:`Module.requires_grad_` has run: a cache of
    :meth:`Module.frozen_flags` is valid while this number stays the same."""
    return _freeze_count


def _pytorch_name(name: str) -> property:
    """A PyTorch attribute name on every Module: an instance's own value if it set one (a loss's
    ``weight``), otherwise an AttributeError naming what minitorch calls it."""

    def get(self: Module) -> Any:
        try:
            return self.__dict__[name]
        except KeyError:
            pass
        hint = _pytorch_name_hint(self, name)
        message = f"{type(self).__name__!r} object has no attribute {name!r}"
        raise AttributeError(f"{message}: {hint}" if hint else message, name=name, obj=self)

    def set(self: Module, value: Any) -> None:
        if name == "requires_grad" and isinstance(value, (bool, np.bool_)):
            kind = type(self).__name__
            raise AttributeError(
                f"{kind}.requires_grad = {value!r} would freeze nothing (in PyTorch too, it "
                f"only sets a plain attribute): write module.requires_grad_({value!r}), "
                "which sets it on every parameter of the module and its children",
                name=name,
                obj=self,
            )
        self.__dict__[name] = value

    def delete(self: Module) -> None:
        try:
            del self.__dict__[name]
        except KeyError:
            raise AttributeError(name) from None

    return property(get, set, delete, f"PyTorch's {name!r}: see the AttributeError's hint")


def _holds_module(value: Any, depth: int = 0) -> bool:
    """Whether a plain Python container holds a Module somewhere inside (up to 3 levels)."""
    if depth > 3:
        return False
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, (list, tuple, set, frozenset)):
        return any(isinstance(v, Module) or _holds_module(v, depth + 1) for v in value)
    return False


class _GradSlots:
    """Where each array of a module's ``grads()`` was found by ``zero_grad``'s last walk.

    ``slots[i]`` is ``(module, attribute)`` for gradient ``i`` (``None`` where it was
    ``None``). Walking every attribute of every module costs 20-70 us a step; checking that each
    gradient is still the array in its slot costs a few, so ``zero_grad`` walks the tree only
    when a gradient is somewhere new (the first step, a changed model, a layer of one's own
    that keeps its gradients elsewhere). Not a list, so ``named_children`` does not look inside.
    """

    __slots__ = ("slots",)

    def __init__(self, slots: list[tuple[Module, str] | None]) -> None:
        self.slots = slots

    def clear(self, grads: list[np.ndarray | None]) -> bool:
        """Set every gradient's slot to ``None``, if each non-None gradient is in its slot."""
        slots = self.slots
        if len(slots) != len(grads):
            return False
        for slot, grad in zip(slots, grads, strict=True):
            if grad is not None and (slot is None or getattr(slot[0], slot[1], None) is not grad):
                return False
        for slot, grad in zip(slots, grads, strict=True):
            if grad is not None:
                setattr(slot[0], slot[1], None)
        return True


class _FrozenFlags:
    """What :meth:`Module.frozen_flags` found, for the same parameters and the same
    :func:`freeze_count`: ``clip_grad_norm_`` asks at every step, and a walk of a GPT's tree
    costs about a millisecond. Not a tuple, so ``named_children`` does not look inside."""

    __slots__ = ("count", "flags", "params")

    def __init__(self, params: list[np.ndarray], flags: list[bool]) -> None:
        self.count, self.params, self.flags = _freeze_count, params, flags

    def holds(self, params: list[np.ndarray]) -> bool:
        """Whether these flags are still the answer for ``params``."""
        return (
            self.count == _freeze_count
            and len(params) == len(self.params)
            and all(new is old for new, old in zip(params, self.params, strict=True))
        )


class Module:
    """Base class of every layer, activation and container.

    Subclasses call ``super().__init__()``, then implement ``forward(x)`` and
    ``backward(grad_output)``. A layer with parameters overrides ``parameters()`` and ``grads()``
    to return aligned lists of its arrays; a module that holds other Modules as attributes gets
    both for free (they are collected from its children, recursively).

    The rules (``docs/contract.md`` states them in full)
    -----------------------------------------------------
    * **Gradients accumulate.** ``backward`` adds into ``dW``, ``db``, ... After ``zero_grad()``
      they are ``None`` (as in PyTorch, where ``zero_grad`` sets ``.grad`` to ``None``); the next
      backward stores its gradient in one pass, and a further backward adds to it.
    * **One forward, one backward.** A module keeps the cache of its *last* forward only. Run
      it, then backward, then run it again: a discriminator is trained as ::

          loss_fn(D(real), ones);  D.backward(loss_fn.backward())    # gradients from real
          loss_fn(D(fake), zeros); D.backward(loss_fn.backward())    # ... plus fake ones
          d_optimizer.step()

      Calling ``D(real)`` and ``D(fake)`` before either backward would leave only the fake
      batch's cache, so the backward refuses (a ``RuntimeError`` says so) rather than compute
      a wrong gradient. For the same weights used twice in one pass, use the stateless pairs of
      :mod:`minitorch.nn.functional`, which return the cache instead of keeping it.
    * **Several inputs, or none.** ``forward(a, b)`` gets ``backward(grad) -> (da, db)``, one
      gradient per input, in order. An input with no gradient (integer indices, or data when
      ``needs_input_grad`` is ``False``) gets ``None``.

    Attributes
    ----------
    training : bool
        ``True`` after ``train()`` (the default), ``False`` after ``eval()``. Only layers that
        behave differently in training (Dropout, BatchNorm) look at it.
    buffer_names : tuple of str
        Class attribute naming state that is saved in ``state_dict`` but not trained (running
        statistics). Empty for most modules.
    no_weight_decay : tuple of str
        Class attribute naming this module's own parameter attributes that weight decay skips
        (biases, norm gains and shifts: nanoGPT's rule), e.g. ``("b",)`` on Linear. The layer
        declares it; :meth:`named_no_weight_decay` collects it over a model, and optimizers'
        weight-decay groups use that, never a parameter's name or shape.
    needs_input_grad : bool
        ``True`` (the default): ``backward`` returns dL/d(input). A network's input is data,
        whose gradient nothing uses; ``model.needs_input_grad = False`` (on a Sequential it
        reaches the first layer) lets a layer skip that product and return ``None``, a third of
        a Linear layer's backward. PyTorch skips it on its own because data does not require
        grad; minitorch cannot tell data from a generator's output, so it is asked.
    """

    buffer_names: tuple[str, ...] = ()
    no_weight_decay: tuple[str, ...] = ()
    needs_input_grad: bool = True
    #: Forwards run since the last backward (see "One forward, one backward"); -1 after a
    #: forward under ``minitorch.no_grad()``.
    _forwards_pending: int = 0
    #: Where zero_grad last found each gradient (see _GradSlots); None until it has looked.
    _grad_slots: _GradSlots | None = None
    #: (shape, dtype) of the last output of ``module(...)``: what :meth:`_begin_backward`
    #: checks ``grad_output`` against. None until the first forward.
    _output_spec: tuple[tuple[int, ...], np.dtype | None] | None = None

    # PyTorch's parameter names: an AttributeError that teaches the minitorch name and layout
    # (see _pytorch_name). A property per name, not __getattr__: a class with __getattr__ loses
    # CPython's fast attribute lookup on every access (3x slower ``layer.W``, measured).
    weight = _pytorch_name("weight")
    bias = _pytorch_name("bias")
    grad = _pytorch_name("grad")
    requires_grad = _pytorch_name("requires_grad")
    #: Set by :meth:`requires_grad_` on each module it reaches: whether the parameters this
    #: module holds are frozen (see :meth:`frozen_flags`).
    _frozen: bool = False
    #: The last answer of :meth:`frozen_flags` (a walk of the whole tree), while it holds.
    _frozen_cache: _FrozenFlags | None = None

    def __init__(self) -> None:
        self.training = True

    # ------------------------------------------------------------------ computation
    def forward(self, x: np.ndarray) -> np.ndarray:
        raise NotImplementedError(f"{type(self).__name__} must implement forward(x)")

    def backward(self, grad_output: np.ndarray) -> np.ndarray | None:
        raise NotImplementedError(f"{type(self).__name__} must implement backward(grad_output)")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if not _state.grad_enabled():
            return self._forward_without_cache(*args, **kwargs)
        output = self.forward(*args, **kwargs)
        # What the backward's grad_output must look like: the shape and dtype of this output
        # (a module of one's own may return something else, a tuple say: nothing to check).
        self._output_spec = (
            (output.shape, output.dtype) if isinstance(output, np.ndarray) else _UNCHECKED
        )
        # Count the forwards whose cache a backward may still want, so that backward can refuse
        # when a later forward overwrote it. An eval-mode forward with nothing pending counts
        # for nothing (evaluation loops).
        pending = self._forwards_pending
        if self.training or pending > 0:
            self._forwards_pending = max(pending, 0) + 1
        else:
            self._forwards_pending = 0
        return output

    def _forward_without_cache(self, *args: Any, **kwargs: Any) -> Any:
        """A forward under ``minitorch.no_grad()``: what it cached is dropped (less memory).

        Every attribute the forward replaced is set back to ``None``, except parameters,
        gradients and buffers (BatchNorm's running statistics still update in training mode,
        as in PyTorch); the cache is marked unusable (-1), so a backward explains itself.
        """
        before = dict(vars(self))
        output = self.forward(*args, **kwargs)
        kept = {id(a) for a in [*self.parameters(), *self.grads()] if a is not None}
        for attr, value in list(vars(self).items()):
            is_cache = isinstance(value, (np.ndarray, tuple, list)) and id(value) not in kept
            if is_cache and before.get(attr) is not value and attr not in self.buffer_names:
                setattr(self, attr, None)
        self._forwards_pending = -1
        return output

    def _start_backward(self) -> None:
        """Refuse a backward whose forward cache is not the one the caller means.

        Built-in layers call this (through :meth:`_saved`) at the start of ``backward``; a
        container calls it too, naming itself. Sets the count back to zero.
        """
        pending, self._forwards_pending = self._forwards_pending, 0
        name = type(self).__name__
        if pending > 1:
            raise RuntimeError(
                f"{name}.backward(): this {name} ran forward {pending} times since its last "
                "backward and keeps only the last forward's cache, so this backward cannot know "
                "which call it is for. Give each forward its own backward (gradients add up: "
                "D(real), backward, D(fake), backward, then step). Forwards that need no "
                "gradient (accuracy, validation) go in eval mode (model.eval()) or under "
                "`with minitorch.no_grad():`. To use the same weights twice in one pass, use "
                "the stateless pairs of minitorch.nn.functional."
            )
        if pending < 0:
            raise RuntimeError(
                f"{name}.backward(): the last forward ran under minitorch.no_grad(), which keeps "
                "nothing for a backward. Run the forward again outside no_grad()."
            )

    # ------------------------------------------------------------------ parameters
    def parameters(self) -> list[np.ndarray]:
        """The trainable arrays, in the same order as ``grads()``. Default: the children's."""
        return [p for child in self.children() for p in child.parameters()]

    def grads(self) -> list[np.ndarray | None]:
        """dL/d(parameter) for each array of ``parameters()`` (``None`` before any backward)."""
        return [g for child in self.children() for g in child.grads()]

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear every gradient before the next backward.

        ``set_to_none=True`` (the default, as in PyTorch): each gradient attribute (``dW``,
        ``db``, ...) becomes ``None``, so the next backward stores its result in a single pass
        instead of zero-filling an array and adding into it. ``set_to_none=False``: fill the
        arrays with zeros in place. A gradient kept anywhere but in an attribute of a module of
        this tree is zero-filled either way.
        """
        grads = self.grads()
        if set_to_none and self._grad_slots is not None and self._grad_slots.clear(grads):
            return  # every gradient was where the last walk found it (every step but the first)
        found = {id(g): g for g in grads if g is not None}
        if set_to_none:
            slot_of = {}
            for module in self.modules():
                for attr, value in list(vars(module).items()):
                    if isinstance(value, np.ndarray) and found.pop(id(value), None) is not None:
                        slot_of[id(value)] = (module, attr)
                        setattr(module, attr, None)
            if not found:  # remember where the gradients were, for the next call
                self._grad_slots = _GradSlots([slot_of.get(id(g)) for g in grads])
        for grad in found.values():
            grad.fill(0)

    def num_parameters(self) -> int:
        """Total number of parameter values (frozen ones included, as ``summary`` counts)."""
        return sum(p.size for p in self.parameters())

    # ------------------------------------------------------------------ freezing
    def requires_grad_(self, requires_grad: bool = True) -> Module:
        """Freeze (``False``) or unfreeze (``True``, the default) the parameters of this module
        and of every module below it; returns ``self``. PyTorch's method, and minitorch's one
        way to freeze::

            model.encoder.requires_grad_(False)     # train the rest of the model only
            model.encoder.frozen                    # True
            model.encoder.requires_grad_()          # train it again

        What frozen means
        -----------------
        * Optimizers skip a frozen parameter entirely, as PyTorch's skip a parameter whose
          ``grad`` is ``None``: no update, no weight decay, and its state (momentum buffer,
          moment estimates, step count) left as it is, to go on from once it is unfrozen.
          Freezing or unfreezing after the optimizer was built takes effect at its next step.
        * :func:`~minitorch.nn.utils.clip_grad_norm_` leaves a frozen gradient out of the norm
          (PyTorch's sees no gradient there) and does not scale it.
        * The layer's ``backward`` is unchanged: it passes dL/d(input) on to the layers before
          it, and still writes its own ``dW``, ``db``, ... (every layer, one's own too, works
          the same frozen or not); they are used by nothing, and ``zero_grad`` clears them.
        * ``state_dict`` and ``load_state_dict`` are unaffected (PyTorch's do not save the flag).

        The flag belongs to layers, not arrays: a NumPy array has no ``requires_grad``. A
        parameter is frozen when the layer holding it (the deepest module whose
        ``parameters()`` lists it) is. To train only some parameters of one layer, give the
        optimizer a :class:`~minitorch.optim.ParameterGroup` of the others instead.
        """
        global _freeze_count
        flag = check_flag(f"{type(self).__name__}.requires_grad_", "requires_grad", requires_grad)
        for module in self.modules():
            module._frozen = not flag
        _freeze_count += 1
        return self

    @property
    def frozen(self) -> bool:
        """Whether every parameter of this module is frozen (read-only: freeze with
        ``requires_grad_(False)``). A module without parameters tells whether
        ``requires_grad_(False)`` reached it last."""
        flags = self.frozen_flags()
        return all(flags) if flags else self._frozen

    @frozen.setter
    def frozen(self, value: Any) -> None:
        raise AttributeError(
            f"{type(self).__name__}.frozen is read-only: freeze with "
            "module.requires_grad_(False), unfreeze with module.requires_grad_()",
            name="frozen",
            obj=self,
        )

    def frozen_flags(self) -> list[bool]:
        """For each array of ``parameters()`` (aligned, as ``grads()``), whether it is frozen.

        A parameter is frozen when the deepest module whose ``parameters()`` lists it (the
        layer that holds it) was frozen by :meth:`requires_grad_`. Optimizers skip those,
        and ``nn.summary`` counts them apart.
        """
        params = self.parameters()
        if _freeze_count == 0:  # nothing was ever frozen
            return [False] * len(params)
        cached = self._frozen_cache
        if cached is not None and cached.holds(params):
            return list(cached.flags)
        frozen: dict[int, bool] = {}
        for module in reversed(self.modules()):  # each module after every module below it
            for param in module.parameters():
                frozen.setdefault(id(param), module._frozen)
        flags = [frozen[id(param)] for param in params]
        self._frozen_cache = _FrozenFlags(params, flags)
        return list(flags)

    # ------------------------------------------------------------------ children
    def named_children(self) -> list[tuple[str, Module]]:
        """The Modules held directly by this one, with the attribute names they are held under.

        A Module stored in an attribute is found under that attribute's name; a list or tuple
        made only of Modules under ``name.0``, ``name.1``, ... Containers such as Sequential
        override this. A Module hidden anywhere else (a dict, a set, a nested or mixed list) is
        refused with a ``TypeError``: its parameters would never be trained.
        """
        children: list[tuple[str, Module]] = []
        seen: set[int] = set()
        for name, value in vars(self).items():
            if type(value) in _CANNOT_HOLD_MODULES:  # the common case: an array, a number
                continue
            if isinstance(value, Module):
                found = [(name, value)]
            elif (
                isinstance(value, (list, tuple))
                and value
                and all(isinstance(item, Module) for item in value)
            ):
                found = [(f"{name}.{i}", item) for i, item in enumerate(value)]
            elif _holds_module(value):
                raise TypeError(self._hidden_module_message(name, value))
            else:
                continue
            for child_name, child in found:
                if id(child) not in seen:  # a module held twice is one child, as in PyTorch
                    seen.add(id(child))
                    children.append((child_name, child))
        return children

    def _hidden_module_message(self, name: str, value: Any) -> str:
        kind = type(value).__name__
        fix = _HIDDEN_CONTAINER_FIX.get(type(value), "nn.ModuleList or nn.ModuleDict")
        return (
            f"{type(self).__name__}.{name} is a {kind} that holds Modules, where minitorch does "
            "not look for them: their parameters would never be trained or saved. Use "
            f"{fix}: self.{name} = {fix.split(' ')[0]}(...)"
        )

    def children(self) -> list[Module]:
        """The Modules held directly by this one (see :meth:`named_children`)."""
        return [child for _, child in self.named_children()]

    def named_modules(
        self, memo: set[int] | None = None, prefix: str = "", remove_duplicate: bool = True
    ) -> Iterator[tuple[str, Module]]:
        """This module and every module below it, depth first, with dotted names.

        As in PyTorch, a module reachable along two paths is listed once (under the first path)
        unless ``remove_duplicate=False``.
        """
        if memo is None:
            memo = set()
        if remove_duplicate:
            if id(self) in memo:
                return
            memo.add(id(self))
        yield prefix, self
        for name, child in self.named_children():
            child_prefix = f"{prefix}.{name}" if prefix else name
            yield from child.named_modules(memo, child_prefix, remove_duplicate)

    def modules(self) -> list[Module]:
        """This module and every module below it, depth first (each once)."""
        return [module for _, module in self.named_modules()]

    def apply(self, fn: Callable[[Module], Any]) -> Module:
        """Call ``fn`` on every child (recursively), then on this module; returns ``self``.

        As in PyTorch, e.g. ``model.apply(init_weights)``.
        """
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

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

    def named_no_weight_decay(self) -> set[str]:
        """The dotted names (as in :meth:`named_parameters`) of the parameters weight decay skips.

        Each module declares its own in the class attribute ``no_weight_decay`` (Linear's
        ``("b",)``, LayerNorm's ``("gamma", "beta")``); this collects them over the tree.
        """
        skipped = {
            id(value)
            for _, module in self.named_modules()
            for attr in module.no_weight_decay
            if isinstance(value := getattr(module, attr, None), np.ndarray)
        }
        return {name for name, p in self.named_parameters() if id(p) in skipped}

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
        """Convert every parameter, gradient and floating buffer to ``dtype`` (returns ``self``).

        As PyTorch's ``.double()``, integer buffers (BatchNorm's ``num_batches_tracked``) keep
        their dtype. The arrays are replaced, so build optimizers *after* converting a model
        (an optimizer built before refuses its next step and says so). A dtype that is not
        floating point (``np.int32``: weights rounded to integers, updates lost) is refused, as
        a layer's constructor refuses it.
        """
        if dtype is None:
            raise TypeError(f"{type(self).__name__}.to_dtype: give a dtype, e.g. np.float64")
        dtype = _state.parameter_dtype(f"{type(self).__name__}.to_dtype", dtype)
        names = self._attribute_names()
        buffers = [b for _, b in self.named_buffers() if np.asarray(b).dtype.kind == "f"]
        for array in [*self.parameters(), *self.grads(), *buffers]:
            if array is not None and array.dtype != dtype and id(array) in names:
                self._set_attribute(names[id(array)], array.astype(dtype))
        return self

    def to(self, *args: Any, device: str | None = None, dtype: Any = None) -> Module:
        """``model.to("cpu")``, ``model.to(np.float64)``, ``model.to(device="cpu", dtype=...)``.

        As in PyTorch, minus the devices: minitorch computes with NumPy on the CPU, so ``"cpu"``
        is accepted (and changes nothing) and any other device is refused. A dtype converts
        the model as :meth:`to_dtype` does. Returns ``self``.
        """
        for arg in args:
            if isinstance(arg, str) and (arg == "cpu" or arg.split(":")[0] in _DEVICES):
                device = arg
            else:
                dtype = arg
        if device is not None and str(device).split(":")[0] != "cpu":
            raise ValueError(
                f"{type(self).__name__}.to({device!r}): minitorch runs on the CPU with NumPy; "
                "there is no GPU here. Use model.to('cpu') (or leave it out)."
            )
        if dtype is not None:
            try:
                np.dtype(dtype)
            except TypeError:
                raise TypeError(
                    f"{type(self).__name__}.to: expected a device ('cpu') or a NumPy dtype "
                    f"(np.float32, 'float64'), got {dtype!r}"
                ) from None
            _state.parameter_dtype(type(self).__name__, dtype)
            self.to_dtype(dtype)
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
        shapes must always match. Loading is all or nothing: every key, shape and dtype is
        checked (:func:`_loadable`) before any array is written, so a wrong entry leaves the
        model as it was.
        """
        owner = f"{type(self).__name__}.load_state_dict"
        targets = dict(self.named_parameters())
        targets.update(self.named_buffers())
        missing = [k for k in targets if k not in state_dict]
        unexpected = [k for k in state_dict if k not in targets]
        if strict and (missing or unexpected):
            raise KeyError(
                f"{owner}: keys do not match; "
                f"missing: {missing or 'none'}; unexpected: {unexpected or 'none'}. "
                "Was the state saved from a model with the same layers? "
                "Pass strict=False to load the matching keys only."
            )
        checked = {
            name: _loadable(owner, name, state_dict[name], target)
            for name, target in targets.items()
            if name in state_dict
        }
        for name, value in checked.items():  # every entry fits: now write them all
            target = targets[name]
            if isinstance(target, np.ndarray):
                np.copyto(target, value, casting="unsafe")
            else:  # a buffer kept as a Python number cannot be updated in place
                self._set_attribute(name, type(target)(value))

    # ------------------------------------------------------------------ helpers for subclasses
    def _begin_backward(self, grad_output: Any) -> tuple[np.ndarray, bool]:
        """The first line of every built-in backward: ``G, input_grad = self._begin_backward(g)``.

        One step, the same for every layer (``docs/contract.md``, "Writing a layer"):

        1. a forward ran (``module(x)``), and its cache is the one this backward is for (a
           second training forward since the last backward, or a forward under
           ``no_grad()``, is refused with a ``RuntimeError``; see :meth:`_start_backward`);
        2. ``grad_output`` has the shape of that forward's output (``ValueError`` otherwise);
        3. it becomes an array in the output's dtype by the input policy: a Python list, or a
           float64 gradient handed to a float32 layer, gives float32 gradients.

        Returns ``(G, input_grad)``: the checked gradient, and whether dL/d(input) is wanted
        (``needs_input_grad``); when it is not, the layer skips that work and returns ``None``.
        """
        self._start_backward()
        spec = self._output_spec
        if spec is None:
            raise RuntimeError(
                f"{type(self).__name__}.backward() was called before forward(): there is no "
                "cached forward. Run the forward pass on a batch first."
            )
        if spec is _UNCHECKED:
            return grad_output, self.needs_input_grad
        shape, dtype = spec
        G = grad_output
        if type(G) is np.ndarray and G.dtype == dtype and G.shape == shape:
            return G, self.needs_input_grad  # the usual case: nothing to convert or refuse
        return self._check_grad_shape(grad_output, shape, dtype), self.needs_input_grad

    def _saved(self, value: Any, what: str = "input") -> Any:
        """Return a forward cache, or explain why it cannot be used.

        The short form for a layer of one's own (and for losses, whose backward takes no
        gradient): it refuses a backward before any forward, and (via :meth:`_start_backward`)
        one whose cache a second forward has overwritten. Built-in layers begin with
        :meth:`_begin_backward`, which does this and checks ``grad_output`` too.
        """
        self._start_backward()
        if value is None:
            raise RuntimeError(
                f"{type(self).__name__}.backward() was called before forward(): there is no "
                f"cached {what}. Run the forward pass on a batch first."
            )
        return value

    def _check_grad_shape(
        self, grad_output: Any, expected: tuple[int, ...], dtype: np.dtype | None = None
    ) -> np.ndarray:
        """``grad_output`` checked against the shape of the last output, as a float array.

        The gradient follows the input policy (a list or integer array becomes floating point)
        and, given ``dtype`` (the forward's), is cast to it, so a float64 gradient handed to a
        float32 layer still gives float32 gradients.
        """
        grad = float_input(grad_output, f"{type(self).__name__}.backward", dtype, "grad_output")
        if grad.shape != tuple(expected):
            raise ValueError(
                f"{type(self).__name__}.backward expects grad_output of shape {tuple(expected)} "
                f"(the shape of its last output), got {grad.shape}"
            )
        return grad

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


def _loadable(owner: str, name: str, value: Any, target: Any) -> np.ndarray:
    """``value``, the state dict's entry ``name``, as an array that can be copied into
    ``target`` without changing its meaning; a ``ValueError`` naming the entry otherwise.

    Its shape must be the target's; a floating target takes real numbers (any float or int
    dtype, as ``torch.Tensor.copy_``) whose finite values fit its dtype (1e39 would become
    float32's inf); an integer target (``num_batches_tracked``) takes integers only: a float
    count is refused, not truncated."""
    target_dtype = np.asarray(target).dtype
    try:
        array = np.asarray(value)
    except (TypeError, ValueError) as error:  # a ragged list
        raise ValueError(f"{owner}: {name!r} is not an array ({error})") from None
    if array.shape != np.shape(target):
        raise ValueError(
            f"{owner}: {name!r} has shape {array.shape} in the state dict but "
            f"{np.shape(target)} in the model; nothing was loaded"
        )
    allowed = "fiu" if target_dtype.kind == "f" else "iu"
    if array.dtype.kind not in allowed:
        wanted = "real numbers" if target_dtype.kind == "f" else "whole numbers (a count)"
        raise ValueError(
            f"{owner}: {name!r} must hold {wanted} for the model's {target_dtype} array, got "
            f"an array of {array.dtype}; nothing was loaded"
        )
    if target_dtype.kind == "f" and array.dtype.kind == "f" and array.size:
        limit = np.finfo(target_dtype).max
        finite = array[np.isfinite(array)]
        if finite.size and np.abs(finite).max() > limit:
            raise ValueError(
                f"{owner}: {name!r} holds {np.abs(finite).max():.3g}, beyond "
                f"{target_dtype}'s range (±{limit:.3g}); it would load as inf. Nothing was "
                "loaded; was the state saved from a float64 model? Build the model with "
                "dtype=np.float64 to load it"
            )
    if target_dtype.kind in "iu" and array.size:
        info = np.iinfo(target_dtype)
        if array.min() < info.min or array.max() > info.max:
            raise ValueError(
                f"{owner}: {name!r} holds {array.max()}, beyond {target_dtype}'s range; "
                "nothing was loaded"
            )
    return array
