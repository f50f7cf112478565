"""What an optimizer checks in what it is given, and how it explains what is wrong.

The argument checks (modules, numbers, fractions), the check that the parameters are separate
arrays (a weight used in two places is refused with the fix, ``nn.TiedLinear``), and the
messages that name a parameter (``"parameter 3 ('2.W', Linear)"``) and say how a model's
parameters changed since its optimizer was built. :mod:`.optimizer` calls them; the update
loop itself lives there.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from numbers import Real
from typing import Any

import numpy as np

from .._validation import check_float


def _is_module_like(obj: Any) -> bool:
    """A Module, or anything with the three methods an optimizer uses."""
    return all(callable(getattr(obj, name, None)) for name in ("parameters", "grads", "zero_grad"))


def is_list_of_dicts(obj: Any) -> bool:
    """PyTorch's parameter groups: a non-empty list (or tuple) of dicts."""
    return isinstance(obj, (list, tuple)) and bool(obj) and all(isinstance(g, dict) for g in obj)


def describe(obj: Any) -> str:
    """Say what a wrong ``modules`` argument is, in the words a student would use."""
    if isinstance(obj, np.ndarray):
        return "a NumPy array"
    if isinstance(obj, (list, tuple)):
        kind = type(obj).__name__
        if obj and all(isinstance(item, np.ndarray) for item in obj):
            return f"a {kind} of NumPy arrays"
        return f"a {kind}"
    if isinstance(obj, Iterator):
        return f"an iterator ({type(obj).__name__})"
    return f"{type(obj).__name__} {obj!r}" if isinstance(obj, (str, Real)) else type(obj).__name__


def check_modules(owner: str, modules: Any, lr: Any) -> list[Any]:
    """Return ``modules`` as a list of Modules, or explain the right call.

    ``modules`` is one Module (a whole model is a Module) or a list/tuple of Modules. The
    PyTorch habit ``SGD(model.parameters(), lr)`` passes NumPy arrays, which carry no gradient,
    so it is refused at once instead of failing later in ``step()``.
    """
    right_call = f"{owner}(model, lr={lr!r})"
    if _is_module_like(modules):
        return [modules]
    if isinstance(modules, (list, tuple)) and modules:
        bad = [i for i, item in enumerate(modules) if not _is_module_like(item)]
        if not bad:
            return list(modules)
        if len(bad) < len(modules):
            item = modules[bad[0]]
            raise TypeError(
                f"{owner} expects the model (a Module) or a list of Modules, but item {bad[0]} of "
                f"the {type(modules).__name__} is {describe(item)}. Every item must be a Module "
                f"(an object with parameters(), grads() and zero_grad()), e.g. "
                f"{owner}([encoder, decoder], lr={lr!r})"
            )
    if isinstance(modules, (list, tuple)) and not modules:
        raise ValueError(
            f"{owner} got an empty {type(modules).__name__}: there is nothing to optimize. "
            f"Pass the model itself: {right_call}"
        )
    described = describe(modules)
    if "NumPy array" in described:
        advice = f"NumPy arrays carry no gradient, so pass the model itself: {right_call}"
    elif isinstance(modules, Iterator):
        advice = (
            f"Pass the model itself: {right_call} (or a list of Modules, not a generator: "
            f"{owner}([encoder, decoder], lr={lr!r}))"
        )
    elif isinstance(modules, dict):
        advice = (
            f"Pass the model itself: {right_call}, or parameter groups as a list of dicts: "
            f"{owner}([{{'params': model, 'lr': {lr!r}}}])"
        )
    else:
        advice = f"Pass the model itself: {right_call}"
    raise TypeError(
        f"{owner} expects the model (a Module) or a list of Modules, got {described}. {advice}"
    )


def check_number(owner: str, name: str, value: Any) -> float:
    """``value`` as a finite Python float, or a TypeError naming ``owner`` and ``name``."""
    return check_float(owner, name, value)  # the one number check of every module


def check_non_negative(owner: str, name: str, value: Any, hint: str = "") -> float:
    """``value`` as a float >= 0, or an error naming ``owner``, ``name`` and the bad value."""
    number = check_float(owner, name, value)
    if number < 0:
        raise ValueError(f"{owner}: {name} must be >= 0, got {value!r}{hint}")
    return number


def check_fraction(owner: str, name: str, value: Any, hint: str = "") -> float:
    """``value`` as a float in [0, 1), as PyTorch requires of betas."""
    number = check_float(owner, name, value)
    if not 0.0 <= number < 1.0:
        raise ValueError(f"{owner}: {name} must be in [0, 1), got {value!r}{hint}")
    return number


#: Why a momentum μ >= 1 is refused (SGD, RMSprop; PyTorch accepts it).
MOMENTUM_HARM = (
    "at 1 or more the momentum buffer b = μ·b + (the new step) never forgets an old step, so "
    "the steps grow without bound"
)
#: Why RMSprop's α >= 1 is refused (PyTorch accepts it).
ALPHA_HARM = (
    "in v = α·v + (1 − α)·g², α = 1 keeps v at 0 (every step divides by eps) and α > 1 drives v "
    "below 0 (a NaN square root)"
)

#: Why Adadelta's ρ = 1 is refused (PyTorch accepts it; it refuses ρ > 1 itself).
RHO_HARM = (
    "at 1, v = ρ·v + (1 − ρ)·g² and u = ρ·u + (1 − ρ)·Δ² stay 0, so every step is lr·g: plain "
    "SGD, not Adadelta"
)


def check_decay_factor(owner: str, name: str, value: Any, harm: str, typical: float) -> float:
    """A factor that weighs a running average's old value against the new one (SGD's and
    RMSprop's momentum μ, RMSprop's α), as a float in [0, 1).

    PyTorch accepts any value >= 0, but at 1 or more the old value never fades: the average
    grows without bound or never learns (``harm`` says how), so it is refused, with why.
    """
    why = f"{harm}; PyTorch accepts it, minitorch refuses it as it only harms; "
    hint = f" ({why if check_float(owner, name, value) >= 1 else ''}typical: {typical})"
    return check_fraction(owner, name, value, hint)


#: How minitorch expresses one weight used in two places, for the errors that meet it.
_TIED_FIX = (
    "Shared weights are expressed with nn.TiedLinear(embedding): a head that reads the "
    "embedding's W and adds its gradient into the embedding's dW, owning no parameter itself, "
    "so the optimizer sees the weight once, with the sum of both gradients."
)


def _shape_and_dtype(array: Any) -> str:
    return f"shape {np.shape(array)}, {getattr(array, 'dtype', type(array).__name__)}"


def _attribute_paths(module: Any, array: np.ndarray) -> list[str]:
    """The dotted names of every attribute, in ``module`` and below, that holds ``array``."""
    paths = []
    with contextlib.suppress(Exception):  # only for messages; a module-like object may differ
        for prefix, submodule in module.named_modules():
            for attr, value in vars(submodule).items():
                if value is array:
                    paths.append(f"{prefix}.{attr}" if prefix else attr)
    return paths


def _holder(module: Any, name: str | None, array: Any) -> Any:
    """The submodule whose attribute ``name`` (dotted, e.g. ``"2.W"``) is ``array``, or None."""
    if name is None:
        return None
    with contextlib.suppress(Exception):  # only for messages; a module-like object may differ
        path, _, attr = name.rpartition(".")
        holder = module.get_submodule(path) if path else module
        if getattr(holder, attr) is array:
            return holder
    return None


def module_parameters_and_grads(owner: str, module: Any) -> tuple[list[Any], list[Any]]:
    """``module.parameters()`` and ``module.grads()``, once they are seen to be aligned."""
    params = module.parameters()
    grads = module.grads()
    if len(params) != len(grads):
        raise ValueError(
            f"{owner}: {type(module).__name__}.parameters() returned "
            f"{len(params)} arrays but grads() returned {len(grads)}; the two lists must "
            "be aligned one-to-one"
        )
    return params, grads


def check_parameters(owner: str, modules: list[Any]) -> list[np.ndarray]:
    """The modules' parameters, each a separate piece of memory, or an explanation why not.

    A parameter group may have none (PyTorch allows an empty group), but not every group: see
    :func:`check_not_empty`.
    """
    params, module_of = [], []
    for position, module in enumerate(modules):
        module_params = module_parameters_and_grads(owner, module)[0]
        params.extend(module_params)
        module_of.extend([position] * len(module_params))
    seen: dict[int, int] = {}
    for index, param in enumerate(params):
        first = seen.setdefault(id(param), index)
        if first == index:
            continue
        labels = parameter_labels(modules, params)
        if module_of[first] != module_of[index]:
            fix = (
                "Pass each Module once (the model alone, not the model and its layers; "
                "in one parameter group only)."
            )
        else:
            held = _attribute_paths(modules[module_of[index]], param)
            fix = "Two layers hold it"
            if len(held) > 1:
                fix += " (as " + " and ".join(repr(name) for name in held) + ")"
            fix += (
                ", as after head.W = embedding.W; each layer has its own gradient, and the "
                f"step would use them one at a time. {_TIED_FIX}"
            )
        raise ValueError(
            f"{owner}: {labels[index]} is the same array as parameter {first}, so it "
            f"would be updated twice per step. {fix}"
        )
    for index, param in enumerate(params):
        for other in range(index):
            if np.may_share_memory(param, params[other]) and np.shares_memory(
                param, params[other]
            ):
                labels = parameter_labels(modules, params)
                raise ValueError(
                    f"{owner}: {labels[index]} shares memory with {labels[other]}: it is a "
                    "view of it (as after head.W = embedding.W.T), so the shared numbers "
                    "would be updated twice per step, each time with only one of their "
                    f"gradients. {_TIED_FIX}"
                )
    return params


def check_not_empty(owner: str, modules: list[Any], params: list[Any]) -> None:
    """Refuse modules that have no parameter at all, with the fix."""
    if not params:
        names = ", ".join(type(m).__name__ for m in modules)
        raise ValueError(
            f"{owner}: the modules given ({names}) have no parameters to optimize. "
            "Pass the model that holds the layers; a Module of your own must return its "
            "arrays from parameters() and grads()."
        )


# ---------------------------------------------------------------------- explaining errors
def parameter_labels(modules: list[Any], params: list[Any] | None = None) -> list[str]:
    """``"parameter 3 ('2.W', Linear)"`` for each parameter the modules have now.

    Names come from ``module.named_parameters()`` where a module has it (with several
    modules, ``"'0.W' of modules[1]"``); otherwise the label names the module's class.
    Given ``params`` (the same arrays), each label also states its array's shape and dtype.
    Only for error messages: this walks the whole model.
    """
    labels = []
    several = len(modules) > 1
    for position, module in enumerate(modules):
        module_params = list(module.parameters())
        names: list[Any] = [None] * len(module_params)
        with contextlib.suppress(Exception):  # a module-like object of one's own
            named = [name for name, _ in module.named_parameters()]
            if len(named) == len(module_params):
                names = named
        for name, param in zip(names, module_params, strict=True):
            index = len(labels)
            holder = _holder(module, name, param)
            if holder is None:  # no attribute holds this array (or no names at all)
                where = f"in {type(module).__name__}"
            else:
                of = f" of modules[{position}]" if several else ""
                where = f"{name!r}{of}, {type(holder).__name__}"
            if params is not None:
                where += f", {_shape_and_dtype(params[index])}"
            labels.append(f"parameter {index} ({where})")
    return labels


def parameters_changed(
    owner: str, caller: str, modules: list[Any], old: list[Any], new: list[Any], lr: Any
) -> str:
    """Say how the ``new`` parameters of ``modules`` differ from the arrays ``old`` an optimizer
    was built with, and the fix."""
    old_index = {id(a): i for i, a in enumerate(old)}
    new_index = {id(a): i for i, a in enumerate(new)}
    first = next(
        i
        for i in range(max(len(old), len(new)))
        if i >= len(old) or i >= len(new) or old[i] is not new[i]
    )
    facts = []
    if len(new) != len(old):
        facts.append(
            f"there are now {len(new)} parameter arrays, and there were {len(old)} when "
            "the optimizer was built"
        )
    if first < len(new):
        was = old_index.get(id(new[first]))
        what = "a new array" if was is None else f"the array that was parameter {was}"
        facts.append(f"{parameter_labels(modules, new)[first]} is {what}")
    if first < len(old):
        now = new_index.get(id(old[first]))
        fate = "no longer among them" if now is None else f"now parameter {now}"
        facts.append(
            f"the array that was parameter {first} ({_shape_and_dtype(old[first])}) is {fate}"
        )
    kept = sum(id(a) in new_index for a in old)
    if (
        first < min(len(old), len(new))
        and id(new[first]) not in old_index
        and np.shares_memory(new[first], old[first])
    ):
        cause = (
            "Its parameters() returned a new view of the same numbers (such as self.W.T or "
            "self.W.reshape(...)); it must return the arrays themselves, the same objects "
            "at every call"
        )
    elif kept == 0 and len(new) == len(old):
        cause = "Every array was replaced"
        if {a.dtype for a in old} != {getattr(a, "dtype", None) for a in new}:
            cause += (
                ": model.double(), model.float() and to_dtype() replace a model's arrays "
                "with converted copies"
            )
    elif kept == len(old):
        cause = "A layer was added"
    elif all(id(a) in old_index for a in new):
        cause = (
            "A layer was removed, or its parameters() no longer lists its arrays (to train "
            "only some layers, freeze the others with layer.requires_grad_(False), or give "
            f"the optimizer just those: {owner}([model[0], model[2]], lr={lr!r}))"
        )
    else:
        cause = (
            "A layer was inserted, removed or replaced, or a parameter was assigned a new "
            "array (layer.W = ...; to change its values, write into it: layer.W[...] = ...)"
        )
    facts_text = "; ".join(facts)
    whose = "model's" if len(modules) == 1 else "modules'"
    return (
        f"{owner}.{caller}(): the {whose} parameters are not the arrays this optimizer was "
        "built with, so the state it keeps for each parameter (momentum buffers, moment "
        f"estimates) would go to another one. {facts_text[0].upper()}{facts_text[1:]}. "
        f"{cause}. Build the "
        "optimizer after the model is complete (after adding or removing layers and after "
        "model.double() or model.float()); after changing a model, build a new "
        f"optimizer for it: optimizer = {owner}(model, lr={lr!r})"
    )
