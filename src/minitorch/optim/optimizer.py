"""The Optimizer base class: the loop every update rule shares, over PyTorch's parameter groups.

An optimizer knows a model only through three methods of each Module it was given:
``parameters()`` and ``grads()`` (aligned lists: the i-th gradient belongs to the i-th parameter)
and ``zero_grad()``. The Modules sit in ``param_groups``, PyTorch's list of dicts (one group
unless several are given), each with its own hyperparameters. ``step()`` walks the aligned
lists of every group's modules and hands each (parameter, gradient) pair, with its group, to
:meth:`Optimizer.update_parameter`, which a subclass such as :class:`~minitorch.optim.SGD`
implements. Parameters are updated *in place*, so the arrays the model holds are the arrays
that change.

Each built-in optimizer's file holds its update rule once, as a function of arrays written in
PyTorch's in-place operations (:mod:`minitorch.optim._inplace`: ``sgd``, ``adam``, ...). The
one fast path they share lives here: :meth:`Optimizer.apply_in_chunks` runs a rule over
cache-sized pieces of a parameter, which changes the speed, never the numbers.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from .. import _state
from .._validation import check_flag
from ..nn.module import freeze_count
from ._checks import (
    check_modules,
    check_non_negative,
    check_not_empty,
    check_parameters,
    describe,
    is_list_of_dicts,
    module_parameters_and_grads,
    parameter_labels,
    parameters_changed,
)
from ._inplace import scratch_for

if TYPE_CHECKING:
    from collections.abc import Sequence

    from ..nn.module import Module

StateDict = dict[str, Any]

#: Values per chunk of the update loop: 512K float32 values are 2 MB per array, so the few
#: arrays an update rule touches stay in the CPU's L3 cache across its NumPy passes, while the
#: Python work per chunk stays small. Measured on an idle 2-core AMD EPYC (2 MB L2, 32 MB L3,
#: 2 BLAS threads), the step in µs for 128K / 256K / 512K-value chunks / whole arrays:
#: SGD (momentum) on 1.07M parameters (784-1024-256) 424 / 380 / 359 / 362, on the 535K of the
#: MLP 784-512-256-10 217 / 204 / 192 / 190; Adam 2188 / 2143 / 2087 / 2148 and 948 / 914 /
#: 905 / 902. Smaller chunks pay for their Python calls and BLAS's thread hand-offs; earlier,
#: with other processes sharing the cache, 128K-value chunks had been 0-12% faster than 256K.
CHUNK_SIZE = 1 << 19


def _takes_set_to_none(zero_grad: Any) -> bool:
    """Whether ``zero_grad`` accepts ``set_to_none=`` (a parameter of that name, or ``**kw``)."""
    try:
        parameters = inspect.signature(zero_grad).parameters.values()
    except (TypeError, ValueError):  # no signature to read (a builtin): call it plainly
        return False
    for parameter in parameters:
        if parameter.kind is parameter.VAR_KEYWORD:
            return True
        if parameter.name == "set_to_none" and parameter.kind is not parameter.POSITIONAL_ONLY:
            return True
    return False


def chunks(*arrays: np.ndarray | None) -> Iterator[tuple[Any, ...]]:
    """The arrays cut into aligned flat pieces of ``CHUNK_SIZE`` values (``None`` stays so).

    An update rule is a dozen element-wise NumPy passes; run over a whole parameter bigger than
    the cache, each pass streams the arrays through memory again. Running all the passes on one
    cache-sized piece before the next is faster and gives the same numbers, since every
    operation is element-wise. Small or non-contiguous arrays come back whole.
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


def flush_subnormal_(array: np.ndarray) -> np.ndarray:
    """Set the subnormal numbers of a float32 or float64 ``array`` to zero, in place.

    What :func:`minitorch.set_flush_denormal` turns on for the optimizers' state. A momentum
    buffer whose gradient stays 0 (a dead ReLU unit, a pixel that is always black) decays into
    the subnormal floats, and ``0.9 · b`` rounds back to ``b`` once ``b`` is a few units of the
    smallest subnormal, so it stays there for good; on many x86 CPUs arithmetic on subnormals
    is many times slower. Flushed: in float32 every |x| < 2⁻¹²⁶ ≈ 1.1755e-38 (float32's
    smallest normal number), in float64 every |x| < 2⁻¹⁰²² ≈ 2.2e-308, so each value changes
    by less than 1.18e-38 and every normal number is kept exactly. float16, whose smallest
    subnormal is 6e-8, is left alone. A flushed value keeps its sign (−0.0), NaN and ±inf stay.
    """
    tiny = _SMALLEST_NORMAL.get(array.dtype)
    if tiny is not None:
        # x·1 = x exactly; x·0 = ±0 for the subnormals; NaN >= tiny is False, and NaN·0 is NaN.
        np.multiply(array, np.abs(array) >= tiny, out=array)
    return array


_SMALLEST_NORMAL = {
    np.dtype(np.float32): np.finfo(np.float32).tiny,
    np.dtype(np.float64): np.finfo(np.float64).tiny,
}


# ---------------------------------------------------------------------- the base class
class Optimizer:
    """Base class of every optimizer: owns the parameter groups and the per-parameter state.

    Parameters
    ----------
    params : Module, list of Module, or list of dict
        The model (a Module), or several Modules whose parameters are trained together, or
        PyTorch's parameter groups: a list of dicts, each with ``"params"`` (a Module or list
        of Modules, e.g. a :class:`~minitorch.optim.ParameterGroup`) and the hyperparameters
        that group sets differently from the keyword arguments::

            optim.AdamW([{"params": decay, "weight_decay": 0.1},
                         {"params": no_decay, "weight_decay": 0.0}], lr=6e-4)

        Not ``model.parameters()``: NumPy arrays carry no gradient (a TypeError says so).
    lr : float
        Learning rate γ, >= 0 (the default of every group).

    Attributes
    ----------
    param_groups : list of dict
        PyTorch's: one dict per group, ``"params"`` (its list of Modules) and every
        hyperparameter. ``step()`` reads them afresh, so ``optimizer.param_groups[0]["lr"] = x``
        changes the learning rate (as the schedulers of :mod:`minitorch.optim.lr_scheduler` do;
        the learning rate is checked at each step).
    defaults : dict
        The keyword arguments' values: what a group that does not set a hyperparameter gets.
    modules : list of Module
        Every group's Modules, in order: what ``step()`` and ``zero_grad()`` walk through.
    lr, and every other hyperparameter (``optimizer.momentum``, ``optimizer.betas``, ...)
        The value the groups share. Setting it sets it in every group; reading it when the
        groups differ raises an AttributeError that points to ``param_groups``.
    state : dict of int to dict
        Per-parameter state (momentum buffers, moment estimates, step counts), keyed by the
        parameter's position in the flattened list of every group's modules' parameters
        ``[*modules[0].parameters(), *modules[1].parameters(), ...]`` and created at the
        parameter's first update, with the parameter's dtype. The list is fixed when the
        optimizer is built: ``step()`` refuses to run if the modules' parameters are no longer
        those arrays (a layer added or removed, ``model.double()``), because position ``i``'s
        state would then go to another parameter.

    Frozen layers
    -------------
    A parameter frozen by ``layer.requires_grad_(False)`` (before or after the optimizer was
    built) is skipped by ``step()`` as a ``None`` gradient is: not updated, not decayed, its
    state left as it is until it is unfrozen, as PyTorch skips a parameter whose ``grad`` is
    ``None``. The optimizer asks each module's ``frozen_flags()`` again only after a
    ``requires_grad_`` call somewhere (:func:`~minitorch.nn.module.freeze_count`), so a step
    costs the same with freezing as without.

    Writing your own optimizer
    --------------------------
    Subclass, list your hyperparameters in ``hyperparameter_names`` (so groups and
    ``state_dict`` have them), call ``super().__init__(params, lr, name=value, ...)`` (which
    stores and checks them) and implement ``update_parameter(param, grad, state, group)``,
    which changes ``param`` in place; ``group`` is the parameter's group, e.g. ``group["lr"]``.
    ``step()`` calls it for every parameter whose gradient is not ``None``. The simplest rule is
    plain NumPy on whole arrays (``param -= group["lr"] * grad``). The built-in optimizers write
    theirs as a function of arrays in PyTorch's in-place operations
    (:mod:`minitorch.optim._inplace`: ``sgd`` in ``sgd.py``) and hand it to
    :meth:`apply_in_chunks`, which runs it over cache-sized pieces; yours can do the same.
    """

    hyperparameter_names: ClassVar[tuple[str, ...]] = ("lr",)

    def __init__(
        self,
        params: Module | Sequence[Module] | Sequence[dict[str, Any]],
        lr: float,
        **hyperparameters: Any,
    ) -> None:
        owner = type(self).__name__
        object.__setattr__(self, "param_groups", [])
        self.state: dict[int, dict[str, Any]] = {}
        self.modules: list[Any] = []
        self._params: list[np.ndarray] = []
        self._group_sizes: list[int] = []
        self._zero_grad_takes_flag: list[bool] = []
        # The positions of the frozen parameters, as of freeze_count() == _freezes_seen.
        self._frozen_positions: frozenset[int] = frozenset()
        self._freezes_seen = -1
        self.defaults = self._checked_group(owner, {"lr": lr, **hyperparameters})
        groups = params if is_list_of_dicts(params) else [{"params": params}]
        for group in groups:
            self.add_param_group(group)
        check_not_empty(owner, self.modules, self._params)

    # ------------------------------------------------------------------ hyperparameters
    def check_hyperparameters(self, group: dict[str, Any]) -> None:
        """Validate (and normalise to Python floats/bools) one group's hyperparameters, in place,
        like PyTorch. Subclasses extend this and call ``super().check_hyperparameters(group)``.
        It also runs when a state dict is loaded."""
        group["lr"] = check_non_negative(type(self).__name__, "lr", group["lr"])

    def _checked_group(self, owner: str, group: dict[str, Any]) -> dict[str, Any]:
        unknown = [name for name in group if name not in ("params", *self.hyperparameter_names)]
        if unknown:
            raise TypeError(
                f"{owner}: a parameter group has no hyperparameter {unknown[0]!r}; "
                f"{owner}'s are {', '.join(self.hyperparameter_names)}"
            )
        checked = dict(group)
        self.check_hyperparameters(checked)
        return checked

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group (a dict with ``"params"`` and hyperparameters), as PyTorch's method does.

        Hyperparameters it does not set come from :attr:`defaults`. Its parameters must not be
        in another group already.
        """
        owner = type(self).__name__
        if not isinstance(param_group, dict) or "params" not in param_group:
            raise TypeError(
                f"{owner}: a parameter group is a dict with 'params' (a Module or a list of "
                f"Modules) and hyperparameters, e.g. {{'params': model, 'lr': 0.1}}; got "
                f"{describe(param_group)}"
            )
        lr = param_group.get("lr", self.defaults["lr"])
        group = {"params": check_modules(owner, param_group["params"], lr), **self.defaults}
        group = self._checked_group(owner, {**group, **param_group, "params": group["params"]})
        modules = [*self.modules, *group["params"]]
        params = check_parameters(owner, modules)
        self.param_groups.append(group)
        self.modules = modules
        # The arrays this optimizer trains, held so that none is freed while it lives: their
        # ids then stay unique, and step() compares ids to see that they are still the model's.
        self._group_sizes.append(len(params) - len(self._params))
        self._params = params
        self._param_ids = [id(p) for p in params]
        self._all_arrays = all(type(p) is np.ndarray for p in params)
        # Whether each module's zero_grad takes set_to_none, decided once (a Module's does; a
        # module-like object of one's own may have zero_grad() without it).
        self._zero_grad_takes_flag = [_takes_set_to_none(m.zero_grad) for m in modules]
        self._freezes_seen = -1  # a new group: look for its frozen parameters at the next step

    def __getattr__(self, name: str) -> Any:
        """``optimizer.lr``, ``optimizer.momentum``, ...: the value every group shares."""
        if name not in type(self).hyperparameter_names or "param_groups" not in vars(self):
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
        values = [group[name] for group in self.param_groups]
        if any(value != values[0] for value in values):
            raise AttributeError(
                f"{type(self).__name__}.{name}: the parameter groups have different values "
                f"({', '.join(map(repr, values))}); read optimizer.param_groups[i][{name!r}]"
            )
        return values[0]

    def __setattr__(self, name: str, value: Any) -> None:
        """``optimizer.lr = x`` sets the learning rate of every group (checked)."""
        if name not in type(self).hyperparameter_names:
            object.__setattr__(self, name, value)
            return
        owner = type(self).__name__
        checked = [self._checked_group(owner, {**g, name: value}) for g in self.param_groups]
        for group, new in zip(self.param_groups, checked, strict=True):
            group[name] = new[name]

    # ------------------------------------------------------------------ the training loop
    def _parameters_and_grads(self, caller: str = "step") -> tuple[list[Any], list[Any]]:
        """Every module's parameters and gradients, once they are checked to be the arrays
        this optimizer was built with (a cheap comparison of ids).

        The gradients are read afresh at every call: ``zero_grad`` sets them to ``None`` and
        the next backward stores new arrays, so a list kept from one step would be stale.
        """
        modules, owner = self.modules, type(self).__name__
        if len(modules) == 1:  # the usual case, the model itself: its lists as they come
            params, grads = module_parameters_and_grads(owner, modules[0])
        else:
            params, grads = [], []
            for module in modules:
                module_params, module_grads = module_parameters_and_grads(owner, module)
                params.extend(module_params)
                grads.extend(module_grads)
        if list(map(id, params)) != self._param_ids:
            lr = self.defaults["lr"]
            raise RuntimeError(parameters_changed(owner, caller, modules, self._params, params, lr))
        return params, grads

    def _frozen(self) -> frozenset[int]:
        """The positions of the frozen parameters (``requires_grad_(False)`` on their layers),
        found again only after a ``requires_grad_`` call somewhere since the last look."""
        if self._freezes_seen != freeze_count():
            flags: list[bool] = []
            for module in self.modules:
                frozen_flags = getattr(module, "frozen_flags", None)  # a module-like object
                if callable(frozen_flags):  # may lack it: nothing of it is frozen
                    flags.extend(frozen_flags())
                else:
                    flags.extend([False] * len(module.parameters()))
            self._frozen_positions = frozenset(i for i, frozen in enumerate(flags) if frozen)
            self._freezes_seen = freeze_count()
        return self._frozen_positions

    def step(self) -> None:
        """Update every parameter in place from its gradient; ``None`` gradients are skipped.

        A gradient is ``None`` before the first backward that reaches its layer (an unused
        layer) and after ``zero_grad()``, and PyTorch skips such parameters too; so are frozen
        parameters (``layer.requires_grad_(False)``), whose gradients PyTorch leaves ``None``.
        Each group's hyperparameters are read afresh (its learning rate checked).
        Raises RuntimeError if the modules' parameters are no longer the arrays this optimizer
        was built with (see :attr:`state`). With :func:`minitorch.set_flush_denormal` on, the
        state arrays are flushed of subnormal numbers after each update (see
        :func:`flush_subnormal_`).
        """
        params, grads = self._parameters_and_grads()
        frozen = self._frozen()
        if frozen:  # skipped as PyTorch skips their None gradients
            grads = [None if index in frozen else grad for index, grad in enumerate(grads)]
        states = self.state
        flush = _state.flush_denormal()
        # The parameters are the arrays checked when the optimizer was built (the ids above
        # say so), so only a gradient that is not a plain array of the parameter's shape, or
        # a parameter that is not a floating array, needs the full check and its message.
        all_arrays = self._all_arrays
        stop = 0
        # An infinite or NaN gradient gives inf/NaN parameters quietly, as PyTorch's step does
        # (NumPy would warn at the update's division or subtraction).
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            for group, size in zip(self.param_groups, self._group_sizes, strict=True):
                start, stop = stop, stop + size
                lr = group["lr"]
                if type(lr) is not float or not 0.0 <= lr < math.inf:  # by hand, or a scheduler
                    group["lr"] = check_non_negative(type(self).__name__, "lr", lr)
                for index in range(start, stop):
                    grad = grads[index]
                    if grad is None:
                        continue
                    param = params[index]
                    if (
                        not all_arrays
                        or type(grad) is not np.ndarray
                        or grad.shape != param.shape
                        or grad.dtype != param.dtype
                        or param.dtype.kind != "f"
                    ):
                        self._check_pair(index, param, grad)
                        grad = np.asarray(grad, dtype=param.dtype)  # a list, or another float dtype
                    state = states.get(index)
                    if state is None:
                        state = states[index] = {}
                    self.update_parameter(param, grad, state, group)
                    if flush:
                        for value in state.values():
                            if type(value) is np.ndarray:
                                flush_subnormal_(value)

    def _check_pair(self, index: int, param: Any, grad: Any) -> None:
        owner = type(self).__name__
        if not isinstance(param, np.ndarray) or param.dtype.kind != "f":
            what = type(param).__name__
            if isinstance(param, np.ndarray):
                what = f"an array of {param.dtype}"
            raise TypeError(
                f"{owner}: {parameter_labels(self.modules)[index]} is {what}; parameters must be "
                "floating-point NumPy arrays so they can be updated in place"
            )
        if np.shape(grad) != param.shape:
            raise ValueError(
                f"{owner}: {parameter_labels(self.modules)[index]} has shape {param.shape} but its "
                f"gradient has shape {np.shape(grad)}; grads() must return arrays aligned with "
                "parameters() and shaped like them"
            )

    def update_parameter(
        self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]
    ) -> None:
        """Update one parameter in place with its group's hyperparameters (subclasses
        implement the rule)."""
        raise NotImplementedError(
            f"{type(self).__name__} must implement update_parameter(param, grad, state, group)"
        )

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear every gradient of every module before the next backward.

        Calls each module's ``zero_grad(set_to_none=...)``: with ``True`` (the default, as in
        PyTorch) the gradients become ``None`` and the next backward writes them in one pass;
        with ``False`` they are filled with zeros in place. A module-like object whose
        ``zero_grad()`` takes no argument is called without it and clears in its own way.
        """
        set_to_none = check_flag(f"{type(self).__name__}.zero_grad", "set_to_none", set_to_none)
        for module, takes_flag in zip(self.modules, self._zero_grad_takes_flag, strict=True):
            if takes_flag:
                module.zero_grad(set_to_none=set_to_none)
            else:
                module.zero_grad()

    # ------------------------------------------------------------------ explaining errors
    # ------------------------------------------------------------------ the fast path
    def apply_in_chunks(
        self, rule: Callable[..., None], *arrays: np.ndarray | None, **constants: Any
    ) -> None:
        """Run an update rule over cache-sized pieces of a parameter and its arrays.

        ``arrays`` are the parameter, its gradient and its state arrays, all shaped like the
        parameter (``None`` for state an option turns off). For each aligned piece (see
        :func:`chunks`) this calls ``rule(*pieces, scratch, **constants)``, where ``scratch``
        is three scratch arrays shaped like the piece, with garbage contents
        (:func:`~._inplace.scratch_for`). The built-in optimizers write their rule once, as
        such a function (e.g. :func:`~.sgd.sgd`), and their ``update_parameter`` calls this.
        """
        if arrays[0].size <= CHUNK_SIZE:  # the usual case for small models: no cutting
            rule(*arrays, scratch_for(arrays[0]), **constants)
            return
        for pieces in chunks(*arrays):
            rule(*pieces, scratch_for(pieces[0]), **constants)

    # ------------------------------------------------------------------ saving and loading
    def state_dict(self) -> StateDict:
        """A snapshot of the parameter groups' hyperparameters and the per-parameter state.

        PyTorch's layout, in what :func:`minitorch.save` writes without pickle (string keys,
        and no list of dicts)::

            {"optimizer": "Adam",
             "param_groups": {"0": {"lr": 0.001, "betas": [0.9, 0.999], ..., "params": [0, 1]}},
             "state": {"0": {"step": 5, "exp_avg": array, "exp_avg_sq": array}, ...}}

        A group's ``"params"`` are the positions of its parameters (the keys of ``"state"``).
        ``"state"`` is left out while it is empty (before the first step). The arrays are
        copies: later training does not change a saved snapshot.
        """
        groups: dict[str, Any] = {}
        stop = 0
        for number, group in enumerate(self.param_groups):
            size = self._group_sizes[number]
            start, stop = stop, stop + size
            saved = {}
            for name in self.hyperparameter_names:
                value = group[name]
                saved[name] = list(value) if isinstance(value, tuple) else value
            saved["params"] = list(range(start, stop))
            groups[str(number)] = saved
        result: StateDict = {"optimizer": type(self).__name__, "param_groups": groups}
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

    @staticmethod
    def _checked_step(owner: str, index: int, value: Any) -> int:
        """A saved step count as an int >= 0, or an error naming the parameter."""
        scalar = isinstance(value, (np.ndarray, np.generic)) and np.ndim(value) == 0
        number = value.item() if scalar else value
        if (
            isinstance(number, bool)
            or not isinstance(number, (int, float))
            or not float(number).is_integer()
            or number < 0
        ):
            raise ValueError(
                f"{owner}.load_state_dict: 'step' of parameter {index} must be a whole number "
                f">= 0 (how many updates it has had), got {value!r}"
            )
        return int(number)

    def _loaded_groups(self, state_dict: StateDict) -> list[dict[str, Any]]:
        """The saved groups' hyperparameters, checked against this optimizer's groups."""
        owner = type(self).__name__
        saved = state_dict.get("param_groups")
        if saved is None and "hyperparameters" in state_dict:  # saved before parameter groups
            saved = {"0": {**state_dict["hyperparameters"], "params": range(len(self._params))}}
        if saved is not None and not isinstance(saved, dict):
            raise ValueError(
                f"{owner}.load_state_dict: 'param_groups' must be a dict of groups, as "
                f"state_dict() gives it, got {type(saved).__name__} {saved!r:.60}"
            )
        saved = saved or {}
        if len(saved) != len(self.param_groups):
            raise ValueError(
                f"{owner}.load_state_dict: the state dict has {len(saved)} parameter groups, "
                f"this optimizer {len(self.param_groups)}; build it with the same groups"
            )
        loaded, stop = [], 0
        for number, size in enumerate(self._group_sizes):
            start, stop = stop, stop + size
            group = saved.get(str(number), {})
            if not isinstance(group, dict):
                raise ValueError(
                    f"{owner}.load_state_dict: parameter group {number} must be a dict of "
                    f"hyperparameters, got {type(group).__name__} {group!r:.60}"
                )
            group = dict(group)
            positions = np.asarray(group.pop("params", []))
            if positions.size and positions.dtype.kind not in "iu":
                raise ValueError(
                    f"{owner}.load_state_dict: 'params' of parameter group {number} must be "
                    f"parameter positions (whole numbers), got {positions.tolist()!r:.60}"
                )
            positions = positions.astype(np.int64).reshape(-1).tolist()
            missing = [name for name in self.hyperparameter_names if name not in group]
            unexpected = [name for name in group if name not in self.hyperparameter_names]
            if missing or unexpected:
                raise KeyError(
                    f"{owner}.load_state_dict: hyperparameters of group {number} do not match; "
                    f"missing: {missing or 'none'}; unexpected: {unexpected or 'none'}"
                )
            if positions != list(range(start, stop)):
                raise ValueError(
                    f"{owner}.load_state_dict: parameter group {number} holds {len(positions)} "
                    f"parameters in the state dict and {size} here; was it saved from a "
                    "different model or other groups?"
                )
            for name, value in group.items():
                if isinstance(self.param_groups[number][name], tuple):  # betas: list or array
                    group[name] = tuple(np.atleast_1d(np.asarray(value)).tolist())
                elif isinstance(value, (np.ndarray, np.generic)) and np.ndim(value) == 0:
                    group[name] = value.item()
            try:
                self.check_hyperparameters(group)
            except (TypeError, ValueError) as error:  # name where the bad value was read
                why = str(error).removeprefix(f"{owner}: ")
                raise type(error)(
                    f"{owner}.load_state_dict: parameter group {number}: {why}"
                ) from None
            loaded.append(group)
        return loaded

    def load_state_dict(self, state_dict: StateDict) -> None:
        """Restore what :meth:`state_dict` returned, so training resumes exactly where it stopped.

        Works on the dict itself or on what :func:`minitorch.load` gives back (and on a state
        dict saved before parameter groups, with one ``"hyperparameters"`` dict). The model must
        have the same parameter shapes and the optimizer the same groups; load the model's own
        state separately.
        """
        owner = type(self).__name__
        saved_by = state_dict.get("optimizer")
        if isinstance(saved_by, np.ndarray) and saved_by.ndim == 0:
            saved_by = saved_by.item()  # what minitorch.load gives back for a string
        if not isinstance(saved_by, str) or saved_by != owner:
            raise ValueError(
                f"{owner}.load_state_dict: this state dict was saved by {saved_by!r}, not by "
                f"{owner}; build the same optimizer class before loading its state"
            )
        groups = self._loaded_groups(state_dict)
        params = self._parameters_and_grads("load_state_dict")[0]
        new_state: dict[int, dict[str, Any]] = {}
        saved_state = state_dict.get("state", {})
        if not isinstance(saved_state, dict):
            raise ValueError(
                f"{owner}.load_state_dict: 'state' must be a dict (parameter position -> its "
                f"entries), got {type(saved_state).__name__} {saved_state!r:.60}"
            )
        for key, entries in saved_state.items():
            index = _position(key)
            if index is None or not isinstance(entries, dict):
                raise ValueError(
                    f"{owner}.load_state_dict: 'state' must map parameter positions ('0', "
                    f"'1', ...) to dicts of entries, got {key!r}: {type(entries).__name__}"
                )
            if not 0 <= index < len(params):
                raise ValueError(
                    f"{owner}.load_state_dict: state for parameter {index}, but the modules have "
                    f"{len(params)} parameters; was it saved from a different model?"
                )
            param = params[index]
            restored: dict[str, Any] = {}
            for name, value in entries.items():
                if name == "step":  # the one scalar entry: a count of updates
                    restored[name] = self._checked_step(owner, index, value)
                    continue
                if not isinstance(value, np.ndarray) or value.dtype.kind not in "fiu":
                    raise ValueError(
                        f"{owner}.load_state_dict: {name!r} of parameter {index} must be an "
                        f"array of numbers shaped like the parameter {param.shape}, got "
                        f"{type(value).__name__} {value!r:.60}"
                    )
                if np.shape(value) != param.shape:
                    label = parameter_labels(self.modules)[index]
                    raise ValueError(
                        f"{owner}.load_state_dict: {name!r} of parameter {index} has shape "
                        f"{np.shape(value)} in the state dict, but {label} has shape "
                        f"{param.shape}. Was the state saved from a different model? Build "
                        "the model as it was when the state was saved (the same layers in the "
                        "same order), then its optimizer, then load"
                    )
                restored[name] = np.array(value, dtype=param.dtype)  # a private copy
            new_state[index] = restored
        for group, loaded in zip(self.param_groups, groups, strict=True):
            group.update(loaded)
        self.state = new_state

    # ------------------------------------------------------------------ printing
    def __repr__(self) -> str:
        params = self._params
        lines = [f"{type(self).__name__} ("]
        lines.append(
            f"    parameters: {len(params)} arrays, {sum(p.size for p in params):,} values"
        )
        for number, group in enumerate(self.param_groups):
            indent = "    "
            if len(self.param_groups) > 1:
                lines.append(f"    parameter group {number}:")
                indent = "        "
            lines.extend(f"{indent}{name}: {group[name]}" for name in self.hyperparameter_names)
        lines.append(")")
        return "\n".join(lines)


def _position(key: Any) -> int | None:
    """A saved state's key as a parameter position (``0``, ``"0"``), or ``None``."""
    if isinstance(key, (bool, np.bool_)):
        return None
    if isinstance(key, (int, np.integer)):
        return int(key)
    if isinstance(key, str) and key.lstrip("-").isdigit():
        return int(key)
    return None
