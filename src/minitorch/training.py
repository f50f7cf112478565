"""The standard training loop, written once: build an MLP, train an epoch, evaluate, fit.

These helpers are what the command-line trainer (``minitorch train``) runs, and they are meant
for scripts and notebooks too. They use nothing but minitorch itself (no progress bar, no
plotting), and they follow the loop of the specification step by step::

    for xb, yb in loader:                      # one epoch
        predictions = model(xb)                # forward pass
        loss = loss_fn(predictions, yb)        # loss calculation
        optimizer.zero_grad()                  # zero gradients
        model.backward(loss_fn.backward())     # backward pass
        optimizer.step()                       # parameter update

>>> from minitorch import nn, optim
>>> from minitorch.datasets import get_dataset
>>> from minitorch.training import build_mlp, fit
>>> train, test = get_dataset("moons", seed=0)
>>> model = build_mlp(train.input_dim, [32, 32], train.output_dim)
>>> history = fit(model, train, nn.CrossEntropyLoss(), optim.Adam(model, lr=1e-2),
...               epochs=20, test_set=test)
>>> history["test_accuracy"][-1] > 0.9
True

What makes a run resumable to the last bit is kept in :class:`EpochProgress` (the running
totals of an epoch, so an epoch stopped half-way can be finished later) and in the random
generators, whose state :func:`generator_state` and :func:`set_generator_state` turn into a
JSON string and back.
"""

from __future__ import annotations

import itertools
import json
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from . import nn
from ._state import no_grad
from .datasets.base import CLASSIFICATION, REGRESSION

__all__ = [
    "ACTIVATIONS",
    "EpochProgress",
    "Evaluation",
    "build_mlp",
    "evaluate",
    "fit",
    "generator_state",
    "set_generator_state",
    "train_epoch",
]

#: Activation name (as the command line spells it) -> layer class.
ACTIVATIONS: dict[str, type[nn.Module]] = {
    "relu": nn.ReLU,
    "leaky_relu": nn.LeakyReLU,
    "elu": nn.ELU,
    "gelu": nn.GELU,
    "silu": nn.SiLU,
    "softplus": nn.Softplus,
    "tanh": nn.Tanh,
    "sigmoid": nn.Sigmoid,
}


def build_mlp(
    input_dim: int,
    hidden_sizes: Sequence[int],
    output_dim: int,
    activation: str = "relu",
    dropout: float = 0.0,
) -> nn.Sequential:
    """A multilayer perceptron: ``Linear → activation [→ Dropout]`` per hidden layer, ``Linear``.

    Parameters
    ----------
    input_dim : int
        Values per input row (``dataset.input_dim``); images must be flattened to rows first.
    hidden_sizes : sequence of int
        Width of each hidden layer, e.g. ``[256, 128]``; empty for a linear model (softmax or
        linear regression).
    output_dim : int
        Number of outputs: class scores (logits) for classification, target values for
        regression.
    activation : str
        A key of :data:`ACTIVATIONS`.
    dropout : float
        Dropout probability after each hidden activation; 0 (the default) adds no Dropout.

    Returns
    -------
    Sequential
        Initialised from minitorch's global generator, so :func:`minitorch.manual_seed` fixes it.

    Examples
    --------
    >>> build_mlp(64, [32], 10)
    Sequential(
      (0): Linear(input_dim=64, output_dim=32, bias=True)
      (1): ReLU()
      (2): Linear(input_dim=32, output_dim=10, bias=True)
    )
    """
    if activation not in ACTIVATIONS:
        raise ValueError(
            f"build_mlp: unknown activation {activation!r}; choose one of: "
            + ", ".join(ACTIVATIONS)
        )
    sizes = [int(input_dim), *(int(h) for h in hidden_sizes)]
    if any(size <= 0 for size in [*sizes, output_dim]):
        raise ValueError(
            f"build_mlp: layer sizes must be positive, got input_dim={input_dim}, "
            f"hidden_sizes={list(hidden_sizes)}, output_dim={output_dim}"
        )
    if not 0.0 <= dropout < 1.0:
        raise ValueError(f"build_mlp: dropout must be in [0, 1), got {dropout}")
    layers: list[nn.Module] = []
    for width_in, width_out in itertools.pairwise(sizes):
        layers += [nn.Linear(width_in, width_out), ACTIVATIONS[activation]()]
        if dropout > 0:
            layers.append(nn.Dropout(dropout))
    layers.append(nn.Linear(sizes[-1], int(output_dim)))
    return nn.Sequential(*layers)


@dataclass
class EpochProgress:
    """Running totals of one training epoch: enough to report it, and to finish it later.

    Attributes
    ----------
    batches : int
        Batches trained so far in this epoch.
    samples : int
        Samples in those batches.
    loss_sum : float
        Σ (mean loss of a batch × its size): ``loss_sum / samples`` is the epoch's mean loss.
    correct : int
        Training samples whose highest score was the true class (classification only; the
        prediction is made before the batch's update, in training mode).
    seconds : float
        Time spent training this epoch so far.
    """

    batches: int = 0
    samples: int = 0
    loss_sum: float = 0.0
    correct: int = 0
    seconds: float = 0.0

    @property
    def mean_loss(self) -> float:
        """Mean training loss over the samples seen (NaN before the first batch)."""
        return self.loss_sum / self.samples if self.samples else math.nan

    @property
    def accuracy(self) -> float:
        """Share of the training samples seen that were classified correctly."""
        return self.correct / self.samples if self.samples else math.nan

    def to_dict(self) -> dict[str, Any]:
        """Plain numbers, ready for :func:`minitorch.save`."""
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> EpochProgress:
        """Inverse of :meth:`to_dict` (accepts what :func:`minitorch.load` returns)."""
        return cls(
            batches=int(values["batches"]),
            samples=int(values["samples"]),
            loss_sum=float(values["loss_sum"]),
            correct=int(values["correct"]),
            seconds=float(values["seconds"]),
        )


def train_epoch(
    model: nn.Module,
    loader: Any,
    loss_fn: nn.Loss,
    optimizer: Any,
    *,
    task: str = CLASSIFICATION,
    progress: EpochProgress | None = None,
    should_stop: Callable[[], bool] | None = None,
    on_batch: Callable[[EpochProgress, float], None] | None = None,
) -> tuple[EpochProgress, bool]:
    """Train ``model`` for one pass over ``loader``; return the epoch's totals and whether it ended.

    Parameters
    ----------
    model : Module
        Put in training mode here.
    loader : DataLoader
        Yields ``(inputs, targets)`` batches. ``iter(loader)`` is called once, which draws the
        epoch's order of samples.
    loss_fn : Loss
        e.g. ``nn.CrossEntropyLoss()`` (classification) or ``nn.MSELoss()`` (regression).
    optimizer : Optimizer
        Steps once per batch.
    task : {'classification', 'regression'}
        Whether to count correct predictions (classification).
    progress : EpochProgress, optional
        Continue an epoch that was stopped: its first ``progress.batches`` batches are drawn
        from the loader but not trained on, and the totals go on from ``progress``. For the
        result to be the epoch an uninterrupted run would have trained, the loader's shuffling
        generator must be in the state it had when the epoch started (and the model, the
        optimizer and minitorch's global generator in the state they had when it stopped).
    should_stop : callable, optional
        Asked after every batch; when it returns ``True`` the epoch stops there, between two
        batches, where model and optimizer are consistent and can be saved.
    on_batch : callable, optional
        ``on_batch(progress, batch_loss)`` after every batch (e.g. to move a progress bar).

    Returns
    -------
    progress : EpochProgress
        The totals so far (a new object; the one passed in is not changed).
    finished : bool
        ``True`` if every batch was trained, ``False`` if ``should_stop`` ended the epoch early.
    """
    if task not in (CLASSIFICATION, REGRESSION):
        raise ValueError(f"train_epoch: task must be {CLASSIFICATION!r} or {REGRESSION!r}")
    totals = EpochProgress(**asdict(progress)) if progress is not None else EpochProgress()
    classification = task == CLASSIFICATION
    total_batches = len(loader)
    model.train()
    started = time.perf_counter()
    # Skipping consumes the batches already trained, so the rest come in the same order.
    batches = itertools.islice(iter(loader), totals.batches, None)
    try:
        for inputs, targets in batches:
            predictions = model(inputs)
            loss = float(loss_fn(predictions, targets))
            optimizer.zero_grad()
            model.backward(loss_fn.backward())
            optimizer.step()

            count = len(targets)
            totals.batches += 1
            totals.samples += count
            totals.loss_sum += loss * count
            if classification:
                totals.correct += int(np.count_nonzero(predictions.argmax(axis=1) == targets))
            if on_batch is not None:
                on_batch(totals, loss)
            if totals.batches < total_batches and should_stop is not None and should_stop():
                return totals, False
    finally:
        totals.seconds += time.perf_counter() - started
    return totals, True


@dataclass
class Evaluation:
    """What :func:`evaluate` measured.

    Attributes
    ----------
    loss : float
        Mean loss over the data set (the MSE for regression with ``nn.MSELoss``).
    accuracy : float or None
        Share of correct predictions (``None`` for regression).
    predictions : ndarray
        Predicted class indices ``(N,)`` (classification) or model outputs ``(N, D)``.
    targets : ndarray
        The data set's targets, for comparison.
    """

    loss: float
    accuracy: float | None
    predictions: np.ndarray
    targets: np.ndarray = field(repr=False)

    @property
    def correct(self) -> int:
        """Number of correct predictions (0 for regression)."""
        if self.accuracy is None:
            return 0
        return int(np.count_nonzero(self.predictions == self.targets))


def evaluate(
    model: nn.Module,
    dataset: Any,
    loss_fn: nn.Loss,
    *,
    task: str = CLASSIFICATION,
    batch_size: int = 1024,
) -> Evaluation:
    """Loss and accuracy of ``model`` on a whole data set, in evaluation mode.

    The model is switched to ``eval()`` (Dropout off) and back to the mode it was in, and runs
    under :func:`minitorch.no_grad` (no caches are kept: there is no backward). The
    samples are fed in order, ``batch_size`` at a time, to bound memory; the mean loss is
    weighted by batch size, so it does not depend on ``batch_size`` beyond rounding.

    Parameters
    ----------
    model : Module
    dataset : TensorDataset
        With ``tensors == (inputs, targets)`` (any :class:`SupervisedDataset`).
    loss_fn : Loss
    task : {'classification', 'regression'}
    batch_size : int
    """
    inputs, targets = dataset.tensors
    was_training = model.training
    model.eval()
    loss_sum = 0.0
    outputs = []
    try:
        with no_grad():
            for start in range(0, len(targets), batch_size):
                batch_targets = targets[start : start + batch_size]
                batch_outputs = model(inputs[start : start + batch_size])
                loss_sum += float(loss_fn(batch_outputs, batch_targets)) * len(batch_targets)
                if task == CLASSIFICATION:
                    batch_outputs = batch_outputs.argmax(axis=1)
                outputs.append(batch_outputs)
    finally:
        model.train(was_training)
    predictions = np.concatenate(outputs) if outputs else np.empty(0)
    loss = loss_sum / len(targets) if len(targets) else math.nan
    accuracy = None
    if task == CLASSIFICATION:
        accuracy = float(np.mean(predictions == targets)) if len(targets) else math.nan
    return Evaluation(loss=loss, accuracy=accuracy, predictions=predictions, targets=targets)


def fit(
    model: nn.Module,
    train_set: Any,
    loss_fn: nn.Loss,
    optimizer: Any,
    *,
    epochs: int,
    batch_size: int = 32,
    test_set: Any = None,
    scheduler: Any = None,
    generator: np.random.Generator | None = None,
    on_epoch_end: Callable[[int, dict[str, list[float]]], None] | None = None,
) -> dict[str, list[float]]:
    """Train for ``epochs`` epochs and return the history of per-epoch metrics.

    Parameters
    ----------
    model, loss_fn, optimizer
        As for :func:`train_epoch`.
    train_set, test_set : SupervisedDataset
        The task (classification or regression) is read from ``train_set.task`` (default
        classification). ``test_set`` is evaluated after every epoch if given.
    epochs, batch_size : int
    scheduler : LRScheduler, optional
        Stepped once at the end of every epoch.
    generator : numpy.random.Generator, optional
        Shuffles the training set; by default minitorch's global generator.
    on_epoch_end : callable, optional
        ``on_epoch_end(epoch, history)`` after each epoch (epochs count from 1).

    Returns
    -------
    dict of str to list of float
        ``epoch``, ``train_loss``, ``lr`` and, when there is a test set, ``test_loss``; for
        classification also ``train_accuracy`` (and ``test_accuracy``). ``lr`` is the learning
        rate the epoch was trained with.
    """
    from .utils.data import DataLoader

    task = getattr(train_set, "task", CLASSIFICATION)
    loader = DataLoader(train_set, batch_size=batch_size, shuffle=True, generator=generator)
    history: dict[str, list[float]] = {"epoch": [], "train_loss": []}
    if task == CLASSIFICATION:
        history["train_accuracy"] = []
    if test_set is not None:
        history["test_loss"] = []
        if task == CLASSIFICATION:
            history["test_accuracy"] = []
    history["lr"] = []
    for epoch in range(1, epochs + 1):
        lr = float(optimizer.lr)
        progress, _ = train_epoch(model, loader, loss_fn, optimizer, task=task)
        history["epoch"].append(epoch)
        history["train_loss"].append(progress.mean_loss)
        if task == CLASSIFICATION:
            history["train_accuracy"].append(progress.accuracy)
        if test_set is not None:
            result = evaluate(model, test_set, loss_fn, task=task)
            history["test_loss"].append(result.loss)
            if task == CLASSIFICATION:
                history["test_accuracy"].append(result.accuracy)
        history["lr"].append(lr)
        if scheduler is not None:
            scheduler.step()
        if on_epoch_end is not None:
            on_epoch_end(epoch, history)
    return history


def generator_state(generator: np.random.Generator) -> str:
    """The complete state of a NumPy generator as a JSON string.

    PCG64's state holds 128-bit integers, which no NumPy dtype can store; JSON keeps them
    exactly, and a string fits in an ``.npz`` file without pickle.
    """
    return json.dumps(generator.bit_generator.state)


def set_generator_state(generator: np.random.Generator, state: str) -> None:
    """Put ``generator`` back in the state :func:`generator_state` recorded (in place)."""
    generator.bit_generator.state = json.loads(state)
