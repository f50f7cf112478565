"""Learning-rate schedules: change each parameter group's ``"lr"`` once per epoch (or per step).

Use them as in PyTorch: build the scheduler after the optimizer (construction sets the learning
rate of epoch 0), and call ``scheduler.step()`` after ``optimizer.step()``::

    optimizer = optim.SGD(model, lr=0.1, momentum=0.9)
    scheduler = lr_scheduler.StepLR(optimizer, step_size=30, gamma=0.1)
    for epoch in range(100):
        train_one_epoch(model, optimizer)      # calls optimizer.step() per batch
        scheduler.step()

Each scheduler computes the learning rate of epoch ``last_epoch`` from each group's ``base_lr``
(the group's learning rate when the scheduler was built) with a closed formula, given in its
docstring, and writes it to ``optimizer.param_groups[i]["lr"]``, as PyTorch's do. The numbers
agree with PyTorch's to ~1e-15; only
:class:`CosineAnnealingLR` follows PyTorch's recursive form step by step, because its rounding
drifts measurably (beyond 1e-10) from the closed formula over long schedules.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Callable, Iterable
from numbers import Integral
from typing import Any, ClassVar

import numpy as np

from ._checks import check_non_negative, check_number
from .optimizer import Optimizer


def _check_positive_int(owner: str, name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise TypeError(f"{owner}: {name} must be an int, got {type(value).__name__} {value!r}")
    if value <= 0:
        raise ValueError(f"{owner}: {name} must be a positive number of epochs, got {value!r}")
    return int(value)


def _check_gamma(owner: str, gamma: Any) -> float:
    gamma = check_number(owner, "gamma", gamma)
    if gamma <= 0:
        raise ValueError(
            f"{owner}: gamma is the factor the learning rate is multiplied by and must be > 0, "
            f"got {gamma!r} (typical: 0.1 for StepLR, 0.95 for ExponentialLR)"
        )
    return gamma


def _scalar(value: Any) -> Any:
    """A number as saved, whether a Python number or what minitorch.load gives back (0-d)."""
    if isinstance(value, (np.ndarray, np.generic)) and np.ndim(value) == 0:
        return value.item()
    return value


class LRScheduler:
    """Base class of the learning-rate schedulers.

    Parameters
    ----------
    optimizer : Optimizer
        The optimizer whose groups' ``"lr"`` this scheduler sets.

    Attributes
    ----------
    optimizer : Optimizer
    base_lrs : list of float
        Each parameter group's learning rate when the scheduler was built (PyTorch's name).
    last_epoch : int
        How many times ``step()`` has been called since construction (construction itself
        leaves it at 0, the first epoch).

    Writing your own schedule
    -------------------------
    Subclass, store your settings, list them in ``hyperparameter_names`` (so ``state_dict``
    saves them), call ``super().__init__(optimizer)`` last and implement ``get_lr()``, which
    returns the learning rate of each group at epoch ``self.last_epoch``, as in PyTorch, e.g.
    ``return [base_lr * 0.5 ** self.last_epoch for base_lr in self.base_lrs]``.
    """

    hyperparameter_names: ClassVar[tuple[str, ...]] = ()

    def __init__(self, optimizer: Optimizer) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(
                f"{type(self).__name__} expects an optimizer such as optim.SGD(model, lr=0.1), "
                f"got {type(optimizer).__name__}"
            )
        self.optimizer = optimizer
        self.base_lrs = [float(group["lr"]) for group in optimizer.param_groups]
        self.last_epoch = -1
        self._last_lr = list(self.base_lrs)
        self.step()  # sets the learning rate of epoch 0

    def get_lr(self) -> list[float]:
        """The learning rate of each group at epoch ``self.last_epoch`` (subclasses implement
        this)."""
        raise NotImplementedError(f"{type(self).__name__} must implement get_lr()")

    def step(self) -> None:
        """Move to the next epoch and set each group's ``"lr"`` to its learning rate."""
        self.last_epoch += 1
        self._set_lrs(self.get_lr())

    def _set_lrs(self, lrs: list[float]) -> None:
        groups = self.optimizer.param_groups
        if len(lrs) != len(groups):
            raise ValueError(
                f"{type(self).__name__}: {len(lrs)} learning rates for {len(groups)} parameter "
                "groups (get_lr() returns one per group)"
            )
        for group, lr in zip(groups, lrs, strict=True):
            group["lr"] = float(lr)
        self._last_lr = [float(lr) for lr in lrs]

    def get_last_lr(self) -> list[float]:
        """The learning rate of each group this scheduler set last (a list, like PyTorch's)."""
        return list(self._last_lr)

    def state_dict(self) -> dict[str, Any]:
        """The epoch, learning rates and settings, as numbers (and lists of numbers) only."""
        state: dict[str, Any] = {
            "last_epoch": self.last_epoch,
            "base_lrs": list(self.base_lrs),
            "last_lr": list(self._last_lr),
        }
        for name in self.hyperparameter_names:
            value = getattr(self, name)
            state[name] = list(value) if isinstance(value, (list, tuple)) else value
        return state

    def _lrs(self, state_dict: dict[str, Any], name: str) -> list[float]:
        """A saved list of learning rates, one per group, each a number >= 0."""
        owner = type(self).__name__
        value = state_dict[name]
        values = np.asarray(value).reshape(-1).tolist() if hasattr(value, "tolist") else value
        values = values if isinstance(values, (list, tuple)) else [values]
        groups = len(self.optimizer.param_groups)
        if len(values) != groups:
            raise ValueError(
                f"{owner}.load_state_dict: {name} holds {len(values)} learning rates, but the "
                f"optimizer has {groups} parameter groups"
            )
        try:
            return [check_non_negative(owner, name, _scalar(lr)) for lr in values]
        except (TypeError, ValueError) as error:
            raise type(error)(
                f"{owner}.load_state_dict: {str(error).removeprefix(owner + ': ')}"
            ) from None

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore :meth:`state_dict`'s output and set each group's ``"lr"`` to the saved rate.

        Works on the dict itself or on what :func:`minitorch.load` gives back (and on a state
        dict saved before parameter groups, with one ``"base_lr"``).
        """
        owner = type(self).__name__
        if "base_lr" in state_dict and "base_lrs" not in state_dict:  # saved before groups
            state_dict = {**state_dict, "base_lrs": state_dict["base_lr"]}
            del state_dict["base_lr"]
        expected = {"last_epoch", "base_lrs", "last_lr", *self.hyperparameter_names}
        missing = sorted(expected - set(state_dict))
        unexpected = sorted(set(state_dict) - expected)
        if missing or unexpected:
            raise KeyError(
                f"{owner}.load_state_dict: keys do not match; missing: {missing or 'none'}; "
                f"unexpected: {unexpected or 'none'}. Was it saved by another kind of scheduler?"
            )
        last_epoch = _scalar(state_dict["last_epoch"])
        if (
            isinstance(last_epoch, bool)
            or not isinstance(last_epoch, (int, float))
            or not float(last_epoch).is_integer()
            or last_epoch < -1
        ):
            raise ValueError(
                f"{owner}.load_state_dict: last_epoch must be a whole number >= -1, got "
                f"{state_dict['last_epoch']!r}"
            )
        base_lrs = self._lrs(state_dict, "base_lrs")
        last_lr = self._lrs(state_dict, "last_lr")
        previous = dict(vars(self))
        try:
            for name in self.hyperparameter_names:
                setattr(self, name, state_dict[name])
            self.check_hyperparameters()
        except (TypeError, ValueError) as error:
            vars(self).update(previous)
            raise type(error)(
                f"{owner}.load_state_dict: {str(error).removeprefix(owner + ': ')}"
            ) from None
        self.last_epoch, self.base_lrs = int(last_epoch), base_lrs
        self._set_lrs(last_lr)

    def check_hyperparameters(self) -> None:
        """Validate (and normalise) the settings; subclasses extend it."""

    def __repr__(self) -> str:
        names = self.hyperparameter_names
        settings = "".join(f"{name}={getattr(self, name)!r}, " for name in names)
        lr = self._last_lr[0] if len(self._last_lr) == 1 else self._last_lr
        return f"{type(self).__name__}({settings}last_epoch={self.last_epoch}, lr={lr})"


class LambdaLR(LRScheduler):
    r"""The base learning rate times a factor you compute: ``lr = base_lr · lr_lambda(epoch)``.

    Parameters
    ----------
    optimizer : Optimizer
    lr_lambda : callable
        ``epoch -> factor``, e.g. ``lambda epoch: 0.95 ** epoch`` or a warm-up
        ``lambda epoch: min(1.0, (epoch + 1) / 5)``.

    ``state_dict`` does not save the function (it cannot be saved without pickle): rebuild the
    scheduler with the same function before loading.
    """

    def __init__(self, optimizer: Optimizer, lr_lambda: Callable[[int], float]) -> None:
        if not callable(lr_lambda):
            raise TypeError(
                f"LambdaLR: lr_lambda must be a function epoch -> factor, got "
                f"{type(lr_lambda).__name__}; e.g. LambdaLR(optimizer, lambda epoch: 0.95 ** epoch)"
            )
        self.lr_lambda = lr_lambda
        super().__init__(optimizer)

    def get_lr(self) -> list[float]:
        return [base_lr * self.lr_lambda(self.last_epoch) for base_lr in self.base_lrs]


class StepLR(LRScheduler):
    r"""Multiply the learning rate by ``gamma`` every ``step_size`` epochs.

    ``lr(epoch) = base_lr · gamma ^ ⌊epoch / step_size⌋``

    Parameters
    ----------
    optimizer : Optimizer
    step_size : int
        Epochs between two decays (> 0).
    gamma : float
        Factor of each decay (> 0, default 0.1).
    """

    hyperparameter_names: ClassVar[tuple[str, ...]] = ("step_size", "gamma")

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1) -> None:
        self.step_size = step_size
        self.gamma = gamma
        self.check_hyperparameters()
        super().__init__(optimizer)

    def check_hyperparameters(self) -> None:
        self.step_size = _check_positive_int("StepLR", "step_size", self.step_size)
        self.gamma = _check_gamma("StepLR", self.gamma)

    def get_lr(self) -> list[float]:
        return [
            base_lr * self.gamma ** (self.last_epoch // self.step_size) for base_lr in self.base_lrs
        ]


class MultiStepLR(LRScheduler):
    r"""Multiply the learning rate by ``gamma`` at each milestone epoch.

    ``lr(epoch) = base_lr · gamma ^ (number of milestones <= epoch)``; a milestone listed twice
    counts twice, as in PyTorch.

    Parameters
    ----------
    optimizer : Optimizer
    milestones : iterable of int
        Epochs (>= 0) at which to decay, e.g. ``[30, 80]``.
    gamma : float
        Factor of each decay (> 0, default 0.1).
    """

    hyperparameter_names: ClassVar[tuple[str, ...]] = ("milestones", "gamma")

    def __init__(self, optimizer: Optimizer, milestones: Iterable[int], gamma: float = 0.1) -> None:
        self.milestones = milestones
        self.gamma = gamma
        self.check_hyperparameters()
        super().__init__(optimizer)

    def check_hyperparameters(self) -> None:
        milestones = self.milestones
        if hasattr(milestones, "tolist"):  # an array, as minitorch.load returns lists
            milestones = milestones.tolist()
        if not isinstance(milestones, Iterable) or isinstance(milestones, str):
            raise TypeError(
                f"MultiStepLR: milestones must be a list of epochs, got {milestones!r}; "
                "e.g. MultiStepLR(optimizer, milestones=[30, 80])"
            )
        milestones = list(milestones)
        for epoch in milestones:
            if isinstance(epoch, bool) or not isinstance(epoch, Integral) or epoch < 0:
                raise ValueError(
                    f"MultiStepLR: milestones must be non-negative ints (epochs), got {epoch!r} "
                    f"in {milestones!r}"
                )
        self.milestones = sorted(int(epoch) for epoch in milestones)
        self.gamma = _check_gamma("MultiStepLR", self.gamma)

    def get_lr(self) -> list[float]:
        passed = bisect_right(self.milestones, self.last_epoch)
        return [base_lr * self.gamma**passed for base_lr in self.base_lrs]


class ExponentialLR(LRScheduler):
    r"""Multiply the learning rate by ``gamma`` every epoch: ``lr(epoch) = base_lr · gamma^epoch``.

    Parameters
    ----------
    optimizer : Optimizer
    gamma : float
        Factor per epoch (> 0), e.g. 0.95.
    """

    hyperparameter_names: ClassVar[tuple[str, ...]] = ("gamma",)

    def __init__(self, optimizer: Optimizer, gamma: float) -> None:
        self.gamma = gamma
        self.check_hyperparameters()
        super().__init__(optimizer)

    def check_hyperparameters(self) -> None:
        self.gamma = _check_gamma("ExponentialLR", self.gamma)

    def get_lr(self) -> list[float]:
        return [base_lr * self.gamma**self.last_epoch for base_lr in self.base_lrs]


class LinearLR(LRScheduler):
    r"""Scale the learning rate by a factor that moves linearly over ``total_iters`` epochs.

    ``lr(epoch) = base_lr · (start_factor + (end_factor − start_factor) · min(epoch, total_iters)
    / total_iters)``: ``start_factor · base_lr`` at epoch 0, ``end_factor · base_lr`` from epoch
    ``total_iters`` on. The usual use is a warm-up from a small learning rate.

    Parameters
    ----------
    optimizer : Optimizer
    start_factor : float
        Factor at epoch 0, in (0, 1] (default 1/3).
    end_factor : float
        Factor from epoch ``total_iters`` on, in [0, 1] (default 1).
    total_iters : int
        Epochs the change takes (> 0, default 5).
    """

    hyperparameter_names: ClassVar[tuple[str, ...]] = ("start_factor", "end_factor", "total_iters")

    def __init__(
        self,
        optimizer: Optimizer,
        start_factor: float = 1.0 / 3,
        end_factor: float = 1.0,
        total_iters: int = 5,
    ) -> None:
        self.start_factor = start_factor
        self.end_factor = end_factor
        self.total_iters = total_iters
        self.check_hyperparameters()
        super().__init__(optimizer)

    def check_hyperparameters(self) -> None:
        self.start_factor = check_number("LinearLR", "start_factor", self.start_factor)
        if not 0 < self.start_factor <= 1:
            raise ValueError(f"LinearLR: start_factor must be in (0, 1], got {self.start_factor!r}")
        self.end_factor = check_number("LinearLR", "end_factor", self.end_factor)
        if not 0 <= self.end_factor <= 1:
            raise ValueError(f"LinearLR: end_factor must be in [0, 1], got {self.end_factor!r}")
        self.total_iters = _check_positive_int("LinearLR", "total_iters", self.total_iters)

    def get_lr(self) -> list[float]:
        progress = min(self.total_iters, self.last_epoch) / self.total_iters
        factor = self.start_factor + (self.end_factor - self.start_factor) * progress
        return [base_lr * factor for base_lr in self.base_lrs]


class CosineAnnealingLR(LRScheduler):
    r"""Anneal the learning rate from ``base_lr`` to ``eta_min`` along half a cosine.

    The schedule approximates (SGDR without restarts)::

        lr(epoch) = eta_min + (base_lr − eta_min) · (1 + cos(π · epoch / T_max)) / 2

    and, past ``T_max``, keeps following the cosine back up, as PyTorch does. Like PyTorch, it is
    computed recursively from each group's current ``"lr"``::

        lr ← eta_min + (lr − eta_min) · (1 + cos(π t / T_max)) / (1 + cos(π (t − 1) / T_max))

    (with the special case lr ← lr + (base_lr − eta_min)(1 − cos(π / T_max)) / 2 where the
    denominator vanishes), because over long schedules its rounding drifts from the closed
    formula by more than 1e-10, and the numbers must match PyTorch's.

    Parameters
    ----------
    optimizer : Optimizer
    T_max : int
        Epochs from ``base_lr`` down to ``eta_min`` (> 0).
    eta_min : float
        Smallest learning rate (>= 0, default 0).
    """

    hyperparameter_names: ClassVar[tuple[str, ...]] = ("T_max", "eta_min")

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0) -> None:
        self.T_max = T_max
        self.eta_min = eta_min
        self.check_hyperparameters()
        super().__init__(optimizer)

    def check_hyperparameters(self) -> None:
        self.T_max = _check_positive_int("CosineAnnealingLR", "T_max", self.T_max)
        self.eta_min = check_non_negative("CosineAnnealingLR", "eta_min", self.eta_min)

    def get_lr(self) -> list[float]:
        epoch, T_max, eta_min = self.last_epoch, self.T_max, self.eta_min
        lrs = [float(group["lr"]) for group in self.optimizer.param_groups]
        if epoch == 0:
            return lrs
        if (epoch - 1 - T_max) % (2 * T_max) == 0:  # leaving the minimum: 1 + cos(...) = 0
            return [
                lr + (base_lr - eta_min) * (1 - math.cos(math.pi / T_max)) / 2
                for lr, base_lr in zip(lrs, self.base_lrs, strict=True)
            ]
        return [
            (1 + math.cos(math.pi * epoch / T_max))
            / (1 + math.cos(math.pi * (epoch - 1) / T_max))
            * (lr - eta_min)
            + eta_min
            for lr in lrs
        ]


class WarmupCosineLR(LRScheduler):
    r"""nanoGPT's schedule: a linear warm-up, half a cosine down to ``min_lr``, then ``min_lr``.

    With ``it = last_epoch`` (the iteration, from 0: call ``step()`` after every
    ``optimizer.step()``), ``w = warmup_iters`` and ``L = lr_decay_iters``::

        it < w:          lr = base_lr · (it + 1) / (w + 1)
        w ≤ it ≤ L:      lr = min_lr + ½ (1 + cos(π (it − w) / (L − w))) · (base_lr − min_lr)
        it > L:          lr = min_lr

    nanoGPT's ``get_lr(it)`` (:meth:`lr_at`), for each parameter group's ``base_lr``. The
    iteration ``w`` trains with ``base_lr`` and the iteration ``L`` with ``min_lr``; a run of
    ``N`` iterations that ends at ``min_lr`` has ``lr_decay_iters = N − 1``.

    Parameters
    ----------
    optimizer : Optimizer
    warmup_iters : int
        Iterations of linear warm-up (>= 0).
    lr_decay_iters : int
        The iteration (from 0) at which the cosine reaches ``min_lr`` (>= 0).
    min_lr : float
        The learning rate at the end, and after it (>= 0, default 0).
    """

    hyperparameter_names: ClassVar[tuple[str, ...]] = ("warmup_iters", "lr_decay_iters", "min_lr")

    def __init__(
        self, optimizer: Optimizer, warmup_iters: int, lr_decay_iters: int, min_lr: float = 0.0
    ) -> None:
        self.warmup_iters = warmup_iters
        self.lr_decay_iters = lr_decay_iters
        self.min_lr = min_lr
        self.check_hyperparameters()
        super().__init__(optimizer)

    def check_hyperparameters(self) -> None:
        owner = "WarmupCosineLR"
        for name in ("warmup_iters", "lr_decay_iters"):
            value = _scalar(getattr(self, name))
            if isinstance(value, bool) or not isinstance(value, Integral):
                raise TypeError(f"{owner}: {name} must be an int, got {value!r}")
            if value < 0:
                raise ValueError(f"{owner}: {name} must be >= 0 iterations, got {value!r}")
            setattr(self, name, int(value))
        self.min_lr = check_non_negative(owner, "min_lr", _scalar(self.min_lr))

    @staticmethod
    def lr_at(
        it: int, base_lr: float, *, warmup_iters: int, lr_decay_iters: int, min_lr: float
    ) -> float:
        """The learning rate of iteration ``it`` (from 0): nanoGPT's ``get_lr``, line for line
        (``it >= L`` where nanoGPT has ``it > L``: the cosine gives ``min_lr`` at ``L`` exactly,
        and ``L = w`` needs no 0/0)."""
        if it < warmup_iters:
            return base_lr * (it + 1) / (warmup_iters + 1)
        if it >= lr_decay_iters:
            return min_lr
        decay_ratio = (it - warmup_iters) / (lr_decay_iters - warmup_iters)
        coeff = 0.5 * (1.0 + math.cos(math.pi * decay_ratio))
        return min_lr + coeff * (base_lr - min_lr)

    def get_lr(self) -> list[float]:
        settings = {
            "warmup_iters": self.warmup_iters,
            "lr_decay_iters": self.lr_decay_iters,
            "min_lr": self.min_lr,
        }
        return [self.lr_at(self.last_epoch, base_lr, **settings) for base_lr in self.base_lrs]
