"""The Optimizer base class: the loop every update rule shares.

An optimizer knows a model only through three methods of each Module it was given:
``parameters()`` and ``grads()`` (aligned lists: the i-th gradient belongs to the i-th parameter)
and ``zero_grad()``. ``step()`` walks the aligned lists of every module and hands each
(parameter, gradient) pair to :meth:`Optimizer.update_parameter`, which a subclass such as
:class:`~minitorch.optim.SGD` implements. Parameters are updated *in place*, so the arrays the
model holds are the arrays that change.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from numbers import Real
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

if TYPE_CHECKING:
    from collections.abc import Sequence

    from ..nn.module import Module

StateDict = dict[str, Any]

#: Values per chunk of the update loop: 64K float32 values are 256 KB per array, so the few
#: arrays an update rule touches stay in the CPU's L2 cache across its dozen NumPy passes.
CHUNK_SIZE = 1 << 16


# ---------------------------------------------------------------------- checking arguments
def _is_module_like(obj: Any) -> bool:
    """A Module, or anything with the three methods an optimizer uses."""
    return all(callable(getattr(obj, name, None)) for name in ("parameters", "grads", "zero_grad"))


def _describe(obj: Any) -> str:
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
                f"the {type(modules).__name__} is {_describe(item)}. Every item must be a Module "
                f"(an object with parameters(), grads() and zero_grad()), e.g. "
                f"{owner}([encoder, decoder], lr={lr!r})"
            )
    if isinstance(modules, (list, tuple)) and not modules:
        raise ValueError(
            f"{owner} got an empty {type(modules).__name__}: there is nothing to optimize. "
            f"Pass the model itself: {right_call}"
        )
    described = _describe(modules)
    if "NumPy array" in described:
        advice = f"NumPy arrays carry no gradient, so pass the model itself: {right_call}"
    elif isinstance(modules, Iterator):
        advice = (
            f"Pass the model itself: {right_call} (or a list of Modules, not a generator: "
            f"{owner}([encoder, decoder], lr={lr!r}))"
        )
    else:
        advice = f"Pass the model itself: {right_call}"
    raise TypeError(
        f"{owner} expects the model (a Module) or a list of Modules, got {described}. {advice}"
    )


def check_number(owner: str, name: str, value: Any) -> float:
    """``value`` as a Python float, or a TypeError naming ``owner`` and ``name``."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, Real):
        raise TypeError(f"{owner}: {name} must be a number, got {type(value).__name__} {value!r}")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{owner}: {name} must be a finite number, got {value!r}")
    return value


def check_non_negative(owner: str, name: str, value: Any, hint: str = "") -> float:
    """``value`` as a float >= 0, or an error naming ``owner``, ``name`` and the bad value."""
    number = check_number(owner, name, value)
    if number < 0:
        raise ValueError(f"{owner}: {name} must be >= 0, got {value!r}{hint}")
    return number


def check_fraction(owner: str, name: str, value: Any, hint: str = "") -> float:
    """``value`` as a float in [0, 1), as PyTorch requires of betas."""
    number = check_number(owner, name, value)
    if not 0.0 <= number < 1.0:
        raise ValueError(f"{owner}: {name} must be in [0, 1), got {value!r}{hint}")
    return number


def check_flag(owner: str, name: str, value: Any) -> bool:
    """``value`` as a bool; anything but True/False is refused (``"False"`` would be truthy)."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{owner}: {name} must be True or False, got {value!r}")
    return bool(value)


# ---------------------------------------------------------------------- in-place helpers
def lerp_(start: np.ndarray, end: np.ndarray, weight: float, work: np.ndarray) -> np.ndarray:
    """``start ← start + weight · (end − start)``, in place, computed as ``torch.lerp`` does.

    PyTorch switches to ``end − (1 − weight) · (end − start)`` when ``weight >= 0.5`` so that
    ``weight = 1`` gives exactly ``end``. ``work`` is scratch memory shaped like ``start``.
    """
    difference = np.subtract(end, start, out=work)
    if abs(weight) < 0.5:
        difference *= weight
        start += difference
    else:
        difference *= 1.0 - weight
        np.subtract(end, difference, out=start)
    return start


# ---------------------------------------------------------------------- the base class
class Optimizer:
    """Base class of every optimizer: owns the modules, the learning rate and per-parameter state.

    Parameters
    ----------
    modules : Module or list of Module
        The model (a Module), or several Modules whose parameters are trained together.
        Not ``model.parameters()``: NumPy arrays carry no gradient (a TypeError says so).
    lr : float
        Learning rate γ, >= 0. A scheduler from :mod:`minitorch.optim.lr_scheduler` may change
        ``self.lr`` between steps; every step reads it afresh.

    Attributes
    ----------
    modules : list of Module
        What ``step()`` and ``zero_grad()`` walk through.
    lr : float
        The current learning rate.
    state : dict of int to dict
        Per-parameter state (momentum buffers, moment estimates, step counts), keyed by the
        parameter's position in the flattened list ``[*modules[0].parameters(),
        *modules[1].parameters(), ...]`` and created at the parameter's first update, with
        the parameter's dtype.

    Writing your own optimizer
    --------------------------
    Subclass, list your hyperparameters in ``hyperparameter_names`` (so ``state_dict`` saves
    them), call ``super().__init__(modules, lr, name=value, ...)`` (which stores and checks
    them) and implement ``update_parameter(param, grad, state)``, which changes ``param`` in
    place. ``step()`` calls it for every parameter whose gradient is not ``None``.
    """

    hyperparameter_names: ClassVar[tuple[str, ...]] = ("lr",)

    def __init__(
        self, modules: Module | Sequence[Module], lr: float, **hyperparameters: Any
    ) -> None:
        self.modules = check_modules(type(self).__name__, modules, lr)
        self.lr = lr
        for name, value in hyperparameters.items():
            setattr(self, name, value)
        self.check_hyperparameters()
        self.state: dict[int, dict[str, Any]] = {}
        self._scratch_buffers: dict[tuple[str, int], np.ndarray] = {}
        self._check_parameters()

    # ------------------------------------------------------------------ hyperparameters
    def check_hyperparameters(self) -> None:
        """Validate (and normalise to Python floats/bools) the hyperparameters, like PyTorch.

        Subclasses extend this and call ``super().check_hyperparameters()``. It also runs when
        a state dict is loaded.
        """
        self.lr = check_non_negative(type(self).__name__, "lr", self.lr)

    def _check_parameters(self) -> None:
        owner = type(self).__name__
        seen: dict[int, int] = {}
        for index, module, param, _ in self._walk():
            if id(param) in seen:
                raise ValueError(
                    f"{owner}: parameter {index} (in {type(module).__name__}) is the same array as "
                    f"parameter {seen[id(param)]}, so it would be updated twice per step. Pass "
                    "each Module once (the model alone, not the model and its layers)."
                )
            seen[id(param)] = index
        if not seen:
            names = ", ".join(type(m).__name__ for m in self.modules)
            raise ValueError(
                f"{owner}: the modules given ({names}) have no parameters to optimize. "
                "Pass the model that holds the layers; a Module of your own must return its "
                "arrays from parameters() and grads()."
            )

    # ------------------------------------------------------------------ the training loop
    def _walk(self) -> Iterator[tuple[int, Any, np.ndarray, np.ndarray | None]]:
        """``(index, module, parameter, gradient)`` for every parameter of every module."""
        index = 0
        for module in self.modules:
            params = module.parameters()
            grads = module.grads()
            if len(params) != len(grads):
                raise ValueError(
                    f"{type(self).__name__}: {type(module).__name__}.parameters() returned "
                    f"{len(params)} arrays but grads() returned {len(grads)}; the two lists must "
                    "be aligned one-to-one"
                )
            for param, grad in zip(params, grads, strict=True):
                yield index, module, param, grad
                index += 1

    def step(self) -> None:
        """Update every parameter in place from its gradient; ``None`` gradients are skipped.

        A gradient is ``None`` before the first backward that reaches its layer (a frozen or
        unused layer), and PyTorch skips such parameters too.
        """
        for index, module, param, grad in self._walk():
            if grad is None:
                continue
            self._check_pair(index, module, param, grad)
            state = self.state.get(index)
            if state is None:
                state = self.state[index] = {}
            self.update_parameter(param, grad, state)

    def _check_pair(self, index: int, module: Any, param: Any, grad: Any) -> None:
        owner = type(self).__name__
        if not isinstance(param, np.ndarray) or param.dtype.kind != "f":
            what = type(param).__name__
            if isinstance(param, np.ndarray):
                what = f"an array of {param.dtype}"
            raise TypeError(
                f"{owner}: parameter {index} (in {type(module).__name__}) is {what}; parameters "
                "must be floating-point NumPy arrays so they can be updated in place"
            )
        if np.shape(grad) != param.shape:
            raise ValueError(
                f"{owner}: parameter {index} (in {type(module).__name__}) has shape "
                f"{param.shape} but its gradient has shape {np.shape(grad)}; grads() must "
                "return arrays aligned with parameters() and shaped like them"
            )

    def update_parameter(self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any]) -> None:
        """Update one parameter in place (subclasses implement the rule)."""
        raise NotImplementedError(
            f"{type(self).__name__} must implement update_parameter(param, grad, state)"
        )

    def zero_grad(self) -> None:
        """Set every gradient of every module to zero, in place (``module.zero_grad()``)."""
        for module in self.modules:
            module.zero_grad()

    # ------------------------------------------------------------------ scratch memory
    @staticmethod
    def _chunks(*arrays: np.ndarray | None) -> Iterator[tuple[Any, ...]]:
        """The arrays cut into aligned flat pieces of ``CHUNK_SIZE`` values (``None`` stays so).

        An update rule is a dozen element-wise NumPy passes; run over a whole 1M-value
        parameter, each pass streams the arrays through memory again. Running all the passes on
        one cache-sized piece before the next is 1.5x faster and gives the same numbers, since
        every operation is element-wise. Small or non-contiguous arrays come back whole.
        """
        first = arrays[0]
        if first.size <= CHUNK_SIZE or not all(
            a is None or (a.flags.c_contiguous and a.size == first.size) for a in arrays
        ):
            yield arrays
            return
        flat = [None if a is None else a.reshape(-1) for a in arrays]
        for start in range(0, first.size, CHUNK_SIZE):
            yield tuple(None if a is None else a[start : start + CHUNK_SIZE] for a in flat)

    def _scratch(self, param: np.ndarray, slot: int = 0) -> np.ndarray:
        """A reusable work array shaped and typed like ``param``; ``slot`` picks one of several.

        Each slot is one flat buffer per dtype, grown to the largest parameter (or chunk), so
        the hot loop allocates nothing after the first step. Its contents are garbage on entry.
        """
        key = (param.dtype.str, slot)
        flat = self._scratch_buffers.get(key)
        if flat is None or flat.size < param.size:
            flat = self._scratch_buffers[key] = np.empty(param.size, dtype=param.dtype)
        return flat[: param.size].reshape(param.shape)

    def _gradient(
        self, param: np.ndarray, grad: np.ndarray, weight_decay: float, maximize: bool
    ) -> np.ndarray:
        """The gradient an update rule uses: ``g = ±∇ + λθ`` (L2 weight decay added to it).

        ``−∇`` when maximizing; PyTorch negates first, then adds ``λθ``. Returns ``grad`` itself
        when there is nothing to change, otherwise scratch slot 0 (the module's gradient is
        never modified).
        """
        if weight_decay != 0:
            decayed = np.multiply(param, weight_decay, out=self._scratch(param, 0))
            if maximize:
                decayed -= grad  # −∇ + λθ
            else:
                decayed += grad
            return decayed
        if maximize:
            return np.negative(grad, out=self._scratch(param, 0))
        return grad

    # ------------------------------------------------------------------ saving and loading
    def state_dict(self) -> StateDict:
        """A snapshot of the hyperparameters (``lr`` included) and the per-parameter state.

        Only arrays, numbers and strings, so :func:`minitorch.save` can write it without
        pickle::

            {"optimizer": "Adam",
             "hyperparameters": {"lr": 0.001, "betas": [0.9, 0.999], ...},
             "state": {"0": {"step": 5, "exp_avg": array, "exp_avg_sq": array}, ...}}

        ``"state"`` is left out while it is empty (before the first step). The arrays are
        copies: later training does not change a saved snapshot.
        """
        hyperparameters = {}
        for name in self.hyperparameter_names:
            value = getattr(self, name)
            hyperparameters[name] = list(value) if isinstance(value, tuple) else value
        result: StateDict = {"optimizer": type(self).__name__, "hyperparameters": hyperparameters}
        state = {
            str(index): {
                key: value.copy() if isinstance(value, np.ndarray) else value
                for key, value in entries.items()
            }
            for index, entries in sorted(self.state.items())
            if entries
        }
        if state:
            result["state"] = state
        return result

    def load_state_dict(self, state_dict: StateDict) -> None:
        """Restore what :meth:`state_dict` returned, so training resumes exactly where it stopped.

        Works on the dict itself or on what :func:`minitorch.load` gives back. The model must
        have the same parameter shapes; load the model's own state separately.
        """
        owner = type(self).__name__
        saved_by = state_dict.get("optimizer")
        if saved_by != owner:
            raise ValueError(
                f"{owner}.load_state_dict: this state dict was saved by {saved_by!r}, not by "
                f"{owner}; build the same optimizer class before loading its state"
            )
        hyperparameters = state_dict.get("hyperparameters", {})
        missing = [name for name in self.hyperparameter_names if name not in hyperparameters]
        unexpected = [name for name in hyperparameters if name not in self.hyperparameter_names]
        if missing or unexpected:
            raise KeyError(
                f"{owner}.load_state_dict: hyperparameters do not match; missing: "
                f"{missing or 'none'}; unexpected: {unexpected or 'none'}"
            )
        params = [param for _, _, param, _ in self._walk()]
        new_state: dict[int, dict[str, Any]] = {}
        for key, entries in state_dict.get("state", {}).items():
            index = int(key)
            if not 0 <= index < len(params):
                raise ValueError(
                    f"{owner}.load_state_dict: state for parameter {index}, but the modules have "
                    f"{len(params)} parameters; was it saved from a different model?"
                )
            param = params[index]
            restored: dict[str, Any] = {}
            for name, value in entries.items():
                if np.ndim(value) == 0:  # step counts come back from minitorch.load as scalars
                    restored[name] = value.item() if isinstance(value, np.generic) else value
                    continue
                if np.shape(value) != param.shape:
                    raise ValueError(
                        f"{owner}.load_state_dict: {name!r} of parameter {index} has shape "
                        f"{np.shape(value)} but the parameter has shape {param.shape}"
                    )
                restored[name] = np.array(value, dtype=param.dtype)  # a private copy
            new_state[index] = restored
        previous = {name: getattr(self, name) for name in self.hyperparameter_names}
        for name in self.hyperparameter_names:
            value = hyperparameters[name]
            if isinstance(previous[name], tuple):  # betas come back as a list or an array
                value = tuple(np.asarray(value).tolist())
            elif isinstance(value, np.generic):
                value = value.item()
            setattr(self, name, value)
        try:
            self.check_hyperparameters()
        except (TypeError, ValueError):
            for name, value in previous.items():
                setattr(self, name, value)
            raise
        self.state = new_state

    # ------------------------------------------------------------------ printing
    def __repr__(self) -> str:
        params = [param for _, _, param, _ in self._walk()]
        lines = [f"{type(self).__name__} ("]
        lines.append(
            f"    parameters: {len(params)} arrays, {sum(p.size for p in params):,} values"
        )
        lines.extend(f"    {name}: {getattr(self, name)}" for name in self.hyperparameter_names)
        lines.append(")")
        return "\n".join(lines)
