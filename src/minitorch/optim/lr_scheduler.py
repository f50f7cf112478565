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

Two schedules step differently, as in PyTorch: :class:`OneCycleLR` is stepped after every
``optimizer.step()`` (every batch) and also cycles the momentum (SGD's ``momentum``, Adam's
``betas[0]``); :class:`ReduceLROnPlateau` is stepped once per epoch with the number it
watches, ``scheduler.step(validation_loss)``, and lowers the learning rate when that stops
improving.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Callable, Iterable
from numbers import Integral, Real
from typing import Any, ClassVar

import numpy as np

from .._validation import check_choice, check_flag, check_float, check_int
from ._checks import check_fraction, check_non_negative, check_number
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
        self._check_optimizer(optimizer)
        self.optimizer = optimizer
        self.base_lrs = [float(group["lr"]) for group in optimizer.param_groups]
        self.last_epoch = -1
        self._last_lr = list(self.base_lrs)
        self.step()  # sets the learning rate of epoch 0

    def _check_optimizer(self, optimizer: Any) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(
                f"{type(self).__name__} expects an optimizer such as optim.SGD(model, lr=0.1), "
                f"got {type(optimizer).__name__}"
            )

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


def _per_group(owner: str, name: str, value: Any, groups: int, check: Callable) -> list[float]:
    """``value`` for each of ``groups`` parameter groups: one number for all of them, or a list
    (or array) of one number per group, as PyTorch accepts; each checked by ``check``."""
    if hasattr(value, "tolist") and np.ndim(value) > 0:  # an array, as minitorch.load gives
        value = value.tolist()
    if isinstance(value, (list, tuple)):
        if len(value) != groups:
            raise ValueError(
                f"{owner}: {name} has {len(value)} values but the optimizer has {groups} "
                f"parameter groups; give one number for all of them or one per group"
            )
        return [check(owner, f"{name}[{i}]", _scalar(v)) for i, v in enumerate(value)]
    return [check(owner, name, _scalar(value))] * groups


def _momentum(owner: str, name: str, value: Any) -> float:
    """A momentum (SGD's, RMSprop's) or Adam's beta1, in [0, 1) as the optimizers require."""
    return check_float(owner, name, value, 0.0, 1.0, high_inclusive=False)


_NO_METRIC = object()


class ReduceLROnPlateau(LRScheduler):
    r"""Multiply the learning rate by ``factor`` once a watched number stops improving.

    PyTorch's scheduler, with its defaults: call ``scheduler.step(metric)`` once per epoch with
    the number to watch (a validation loss in ``mode='min'``, an accuracy in ``mode='max'``)::

        scheduler = lr_scheduler.ReduceLROnPlateau(optimizer, patience=3)
        for epoch in range(50):
            train_one_epoch(model, optimizer)
            scheduler.step(validation_loss(model))

    With ``best`` the best metric so far, a metric ``a`` is an improvement when::

        mode='min', threshold_mode='rel':  a < best · (1 − threshold)
        mode='min', threshold_mode='abs':  a < best − threshold
        mode='max', threshold_mode='rel':  a > best · (1 + threshold)
        mode='max', threshold_mode='abs':  a > best + threshold

    After more than ``patience`` epochs in a row without one, each group's learning rate
    becomes ``max(lr · factor, min_lr)`` (unless that changes it by ``eps`` or less), and the
    next ``cooldown`` epochs are not counted.

    Parameters
    ----------
    optimizer : Optimizer
    mode : {'min', 'max'}
        Whether the metric should go down (default) or up.
    factor : float
        Factor of each reduction, in [0, 1) (default 0.1).
    patience : int
        Epochs without improvement tolerated before a reduction (>= 0, default 10).
    threshold : float
        How much better than ``best`` counts as better (>= 0, default 1e-4).
    threshold_mode : {'rel', 'abs'}
        ``threshold`` relative to ``best`` (default) or in the metric's units.
    cooldown : int
        Epochs after a reduction during which bad epochs are not counted (>= 0, default 0).
    min_lr : float or list of float
        The smallest learning rate, for all groups or one per group (>= 0, default 0).
    eps : float
        A reduction smaller than this is not applied (>= 0, default 1e-8).

    A NaN metric is refused (training diverged, and nothing compares to NaN: PyTorch counts it
    as an epoch without improvement); ±inf counts as PyTorch counts it.

    Attributes
    ----------
    best : float
        The best metric so far (inf in 'min' mode before the first step, -inf in 'max').
    num_bad_epochs : int
        Epochs in a row without improvement.
    cooldown_counter : int
        Epochs of cooldown left.
    """

    hyperparameter_names: ClassVar[tuple[str, ...]] = (
        "mode",
        "factor",
        "patience",
        "threshold",
        "threshold_mode",
        "cooldown",
        "min_lrs",
        "eps",
        "best",
        "num_bad_epochs",
        "cooldown_counter",
    )

    def __init__(
        self,
        optimizer: Optimizer,
        mode: str = "min",
        factor: float = 0.1,
        patience: int = 10,
        threshold: float = 1e-4,
        threshold_mode: str = "rel",
        cooldown: int = 0,
        min_lr: float | list[float] = 0,
        eps: float = 1e-8,
    ) -> None:
        self._check_optimizer(optimizer)
        self.optimizer = optimizer
        self.mode = check_choice("ReduceLROnPlateau", "mode", mode, ("min", "max"))
        self.factor, self.patience, self.threshold = factor, patience, threshold
        self.threshold_mode, self.cooldown, self.eps = threshold_mode, cooldown, eps
        # A single min_lr also covers groups added later (as in PyTorch); a list does not.
        self._min_lr_for_all = not isinstance(min_lr, (list, tuple, np.ndarray))
        self.min_lrs = min_lr
        self.best = math.inf if self.mode == "min" else -math.inf
        self.num_bad_epochs = 0
        self.cooldown_counter = 0
        self.check_hyperparameters()
        self.last_epoch = 0
        self.base_lrs = [float(group["lr"]) for group in optimizer.param_groups]
        self._last_lr = list(self.base_lrs)

    def check_hyperparameters(self) -> None:
        owner = "ReduceLROnPlateau"
        self.mode = check_choice(owner, "mode", _scalar(self.mode), ("min", "max"))
        factor = check_float(owner, "factor", _scalar(self.factor))
        hint = " (1 or more would never lower the learning rate; typical: 0.1 or 0.5)"
        self.factor = check_fraction(owner, "factor", factor, hint if factor >= 1 else "")
        self.patience = check_int(owner, "patience", _scalar(self.patience), 0)
        self.threshold = check_non_negative(owner, "threshold", _scalar(self.threshold))
        self.threshold_mode = check_choice(
            owner, "threshold_mode", _scalar(self.threshold_mode), ("rel", "abs")
        )
        self.cooldown = check_int(owner, "cooldown", _scalar(self.cooldown), 0)
        groups = len(self.optimizer.param_groups)
        self.min_lrs = _per_group(owner, "min_lr", self.min_lrs, groups, check_non_negative)
        self.eps = check_non_negative(owner, "eps", _scalar(self.eps))
        self.best = check_float(owner, "best", _scalar(self.best), infinite=True)
        self.num_bad_epochs = check_int(owner, "num_bad_epochs", _scalar(self.num_bad_epochs), 0)
        self.cooldown_counter = check_int(
            owner, "cooldown_counter", _scalar(self.cooldown_counter), 0
        )

    def get_lr(self) -> list[float]:
        """The learning rates now: this schedule changes them only in :meth:`step`."""
        return [float(group["lr"]) for group in self.optimizer.param_groups]

    def is_better(self, a: float, best: float) -> bool:
        """Whether ``a`` improves on ``best`` by more than the threshold (PyTorch's rule)."""
        if self.mode == "min" and self.threshold_mode == "rel":
            return a < best * (1.0 - self.threshold)
        if self.mode == "min":
            return a < best - self.threshold
        if self.threshold_mode == "rel":
            return a > best * (self.threshold + 1.0)
        return a > best + self.threshold

    def step(self, metrics: Any = _NO_METRIC) -> None:  # type: ignore[override]
        """Count one epoch with the watched value ``metrics`` and reduce the learning rates if
        it has not improved for more than ``patience`` epochs."""
        current = self._checked_metric(metrics)
        self.last_epoch += 1
        if self.is_better(current, self.best):
            self.best = current
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0  # bad epochs in cooldown are not counted
        if self.num_bad_epochs > self.patience:
            self._reduce_lr()
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0
        self._last_lr = self.get_lr()

    def _checked_metric(self, metrics: Any) -> float:
        owner = "ReduceLROnPlateau.step"
        if metrics is _NO_METRIC:
            raise TypeError(
                f"{owner}(metrics) needs the number it watches, e.g. "
                "scheduler.step(validation_loss), once per epoch"
            )
        if isinstance(metrics, (np.ndarray, np.generic)) and np.size(metrics) == 1:
            metrics = np.asarray(metrics).reshape(-1)[0].item()
        if isinstance(metrics, (bool, np.bool_)) or not isinstance(metrics, Real):
            raise TypeError(
                f"{owner}: metrics must be a number (a loss or an accuracy), got "
                f"{type(metrics).__name__} {metrics!r:.60}"
            )
        current = float(metrics)
        if math.isnan(current):
            raise ValueError(
                f"{owner}: the metric is NaN, which is neither better nor worse than "
                f"{self.best}: training has probably diverged (a NaN loss); lower the learning "
                "rate or look for the first NaN"
            )
        return current

    def _reduce_lr(self) -> None:
        groups = self.optimizer.param_groups
        if len(groups) != len(self.min_lrs):
            if not self._min_lr_for_all:
                raise RuntimeError(
                    f"ReduceLROnPlateau: the optimizer has {len(groups)} parameter groups, and "
                    f"had {len(self.min_lrs)} when the scheduler was built with one min_lr per "
                    "group (a group was added since); set scheduler.min_lrs to one per group"
                )
            self.min_lrs = [self.min_lrs[0]] * len(groups)
        for group, min_lr in zip(groups, self.min_lrs, strict=True):
            old_lr = float(group["lr"])
            new_lr = max(old_lr * self.factor, min_lr)
            if old_lr - new_lr > self.eps:
                group["lr"] = new_lr


class OneCycleLR(LRScheduler):
    r"""The 1cycle policy (Smith, 2018): the learning rate climbs to ``max_lr``, then anneals
    far below where it started, while the momentum moves the other way.

    PyTorch's scheduler, with its defaults. Call ``step()`` after every ``optimizer.step()``
    (every batch, not every epoch); stepping more than ``total_steps`` times raises a
    ValueError, as in PyTorch. With ``T = total_steps`` and ``p = pct_start``, each group
    goes through phases, each from its start to its end value along half a cosine
    (``anneal_strategy='cos'``: ``end + (start − end)(1 + cos(π·pct))/2``) or a line
    (``'linear'``), ``pct`` being the fraction of the phase done::

        phase             ends at step   lr                      momentum
        1                 p·T − 1        initial_lr → max_lr     max_momentum → base_momentum
        2                 T − 1          max_lr → min_lr         base_momentum → max_momentum
      three_phase=True:
        1                 p·T − 1        initial_lr → max_lr     max_momentum → base_momentum
        2                 2p·T − 2       max_lr → initial_lr     base_momentum → max_momentum
        3                 T − 1          initial_lr → min_lr     max_momentum

    with ``initial_lr = max_lr / div_factor`` and ``min_lr = initial_lr / final_div_factor``.
    The momentum cycled is SGD's and RMSprop's ``momentum``, or Adam's and AdamW's ``betas[0]``
    (their groups' values are set at construction and at every step).

    Parameters
    ----------
    optimizer : Optimizer
    max_lr : float or list of float
        The peak learning rate, for all groups or one per group (>= 0).
    total_steps : int, optional
        Steps in the cycle (> 0); or give ``epochs`` and ``steps_per_epoch``.
    epochs, steps_per_epoch : int, optional
        ``total_steps = epochs · steps_per_epoch`` (both > 0).
    pct_start : float
        Fraction of the cycle spent raising the learning rate, in [0, 1] (default 0.3).
    anneal_strategy : {'cos', 'linear'}
        The shape of each phase (default 'cos').
    cycle_momentum : bool
        Cycle the momentum too (default True); the optimizer must have ``momentum`` or
        ``betas`` (Adagrad and Adadelta have neither: pass ``cycle_momentum=False``).
    base_momentum, max_momentum : float or list of float
        The momentum's low and high values, in [0, 1) (defaults 0.85 and 0.95).
    div_factor : float
        ``initial_lr = max_lr / div_factor`` (> 0, default 25).
    final_div_factor : float
        ``min_lr = initial_lr / final_div_factor`` (> 0, default 1e4).
    three_phase : bool
        Go back down to ``initial_lr`` before annealing to ``min_lr`` (default False).
    """

    hyperparameter_names: ClassVar[tuple[str, ...]] = (
        "total_steps",
        "pct_start",
        "anneal_strategy",
        "cycle_momentum",
        "div_factor",
        "final_div_factor",
        "three_phase",
        "max_lrs",
        "base_momentums",
        "max_momentums",
    )

    def __init__(
        self,
        optimizer: Optimizer,
        max_lr: float | list[float],
        total_steps: int | None = None,
        epochs: int | None = None,
        steps_per_epoch: int | None = None,
        pct_start: float = 0.3,
        anneal_strategy: str = "cos",
        cycle_momentum: bool = True,
        base_momentum: float | list[float] = 0.85,
        max_momentum: float | list[float] = 0.95,
        div_factor: float = 25.0,
        final_div_factor: float = 1e4,
        three_phase: bool = False,
    ) -> None:
        owner = "OneCycleLR"
        self._check_optimizer(optimizer)
        self.optimizer = optimizer
        self.total_steps = self._total_steps(total_steps, epochs, steps_per_epoch)
        self.pct_start, self.anneal_strategy = pct_start, anneal_strategy
        self.cycle_momentum, self.three_phase = cycle_momentum, three_phase
        self.div_factor, self.final_div_factor = div_factor, final_div_factor
        self.max_lrs, self.base_momentums, self.max_momentums = (
            max_lr,
            base_momentum,
            max_momentum,
        )
        self.check_hyperparameters()
        if self.cycle_momentum:
            names = optimizer.defaults
            if "momentum" not in names and "betas" not in names:
                raise ValueError(
                    f"{owner}: cycle_momentum=True needs an optimizer with a momentum (SGD, "
                    f"RMSprop) or betas (Adam, AdamW), and {type(optimizer).__name__} has "
                    "neither; pass cycle_momentum=False"
                )
            for group, momentum in zip(optimizer.param_groups, self.max_momentums, strict=True):
                self._set_momentum(group, momentum)
        super().__init__(optimizer)
        self.base_lrs = [max_lr / self.div_factor for max_lr in self.max_lrs]  # PyTorch's

    def _total_steps(self, total_steps: Any, epochs: Any, steps_per_epoch: Any) -> int:
        owner = "OneCycleLR"
        if total_steps is not None:
            total = check_int(owner, "total_steps", total_steps, 1)
            if epochs is not None and steps_per_epoch is not None:
                product = check_int(owner, "epochs", epochs, 1) * check_int(
                    owner, "steps_per_epoch", steps_per_epoch, 1
                )
                if product != total:  # PyTorch would silently use total_steps
                    raise ValueError(
                        f"{owner}: total_steps={total} but epochs · steps_per_epoch = {epochs} "
                        f"· {steps_per_epoch} = {product}; give one or the other"
                    )
            return total
        if epochs is None or steps_per_epoch is None:
            raise ValueError(
                f"{owner}: give total_steps, or epochs and steps_per_epoch (the steps of the "
                "whole cycle: step() runs after every optimizer.step()), e.g. "
                "OneCycleLR(optimizer, max_lr=0.1, epochs=10, steps_per_epoch=len(loader))"
            )
        return check_int(owner, "epochs", epochs, 1) * check_int(
            owner, "steps_per_epoch", steps_per_epoch, 1
        )

    def check_hyperparameters(self) -> None:
        owner = "OneCycleLR"
        self.total_steps = check_int(owner, "total_steps", _scalar(self.total_steps), 1)
        self.pct_start = check_float(owner, "pct_start", _scalar(self.pct_start), 0.0, 1.0)
        self.anneal_strategy = check_choice(
            owner, "anneal_strategy", _scalar(self.anneal_strategy), ("cos", "linear")
        )
        self.cycle_momentum = check_flag(owner, "cycle_momentum", _scalar(self.cycle_momentum))
        self.three_phase = check_flag(owner, "three_phase", _scalar(self.three_phase))
        self.div_factor = check_float(
            owner, "div_factor", _scalar(self.div_factor), 0.0, low_inclusive=False
        )
        self.final_div_factor = check_float(
            owner, "final_div_factor", _scalar(self.final_div_factor), 0.0, low_inclusive=False
        )
        groups = len(self.optimizer.param_groups)
        self.max_lrs = _per_group(owner, "max_lr", self.max_lrs, groups, check_non_negative)
        self.base_momentums = _per_group(
            owner, "base_momentum", self.base_momentums, groups, _momentum
        )
        self.max_momentums = _per_group(
            owner, "max_momentum", self.max_momentums, groups, _momentum
        )

    def phases(self) -> list[tuple[float, str, str, str, str]]:
        """PyTorch's phases: ``(end step, start lr, end lr, start momentum, end momentum)``,
        the values named as in the docstring's table."""
        T, p = self.total_steps, self.pct_start
        if self.three_phase:
            return [
                (float(p * T) - 1, "initial_lr", "max_lr", "max_momentum", "base_momentum"),
                (float(2 * p * T) - 2, "max_lr", "initial_lr", "base_momentum", "max_momentum"),
                (T - 1, "initial_lr", "min_lr", "max_momentum", "max_momentum"),
            ]
        return [
            (float(p * T) - 1, "initial_lr", "max_lr", "max_momentum", "base_momentum"),
            (T - 1, "max_lr", "min_lr", "base_momentum", "max_momentum"),
        ]

    def anneal(self, start: float, end: float, pct: float) -> float:
        """From ``start`` (pct 0) to ``end`` (pct 1): half a cosine, or a line."""
        if self.anneal_strategy == "cos":
            return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)
        return (end - start) * pct + start

    def step(self) -> None:
        """Move to the next step; more steps than ``total_steps`` raise a ValueError (as
        PyTorch's), before anything changes."""
        if self.last_epoch + 1 > self.total_steps:
            raise ValueError(
                f"OneCycleLR: tried to step {self.last_epoch + 1} times, but the cycle has "
                f"total_steps={self.total_steps}: build the scheduler with the number of "
                "optimizer steps of the whole run (epochs · batches per epoch)"
            )
        super().step()

    def get_lr(self) -> list[float]:
        step_num = self.last_epoch
        phases = self.phases()
        lrs = []
        for number, group in enumerate(self.optimizer.param_groups):
            initial_lr = self.max_lrs[number] / self.div_factor
            values = {
                "initial_lr": initial_lr,
                "max_lr": self.max_lrs[number],
                "min_lr": initial_lr / self.final_div_factor,
                "base_momentum": self.base_momentums[number],
                "max_momentum": self.max_momentums[number],
            }
            start_step = 0.0
            for i, (end_step, start_lr, end_lr, start_momentum, end_momentum) in enumerate(phases):
                if step_num <= end_step or i == len(phases) - 1:
                    # A phase of no steps (pct_start = 1) ends where it starts: its end values.
                    length = end_step - start_step
                    pct = (step_num - start_step) / length if length else 1.0
                    lrs.append(self.anneal(values[start_lr], values[end_lr], pct))
                    momentum = self.anneal(values[start_momentum], values[end_momentum], pct)
                    break
                start_step = end_step
            if self.cycle_momentum:
                self._set_momentum(group, momentum)
        return lrs

    @staticmethod
    def _set_momentum(group: dict[str, Any], momentum: float) -> None:
        """Set a group's momentum: Adam's ``betas[0]``, or SGD's (RMSprop's) ``momentum``."""
        if "betas" in group:
            group["betas"] = (momentum, *group["betas"][1:])
        else:
            group["momentum"] = momentum
