"""The standard training loop, written once: train an epoch, evaluate, fit; and the loop of a
language model (a GPT), which trains by iterations, not epochs.

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
>>> from minitorch.models import build_mlp
>>> from minitorch.training import fit
>>> train, test = get_dataset("moons", seed=0)
>>> model = build_mlp(train.input_dim, [32, 32], train.output_dim)
>>> history = fit(model, train, nn.CrossEntropyLoss(), optim.Adam(model, lr=1e-2),
...               epochs=20, test_set=test)
>>> history["test_accuracy"][-1] > 0.9
True

What makes a run resumable to the last bit is kept in :class:`EpochProgress` (the running
totals of an epoch, so an epoch stopped half-way can be finished later) and in the random
generators (whose state :mod:`minitorch._generator_state` turns into a JSON string and back).
The models these loops train are built in :mod:`minitorch.models` (``build_mlp``,
``build_cnn``, ``GPT``).

A language model trains on random windows of a text rather than on epochs of samples
(nanoGPT's loop): :func:`train_lm` runs iterations ``start .. stop - 1``, each one batch from
``data.get_batch``, the learning rate of its iteration (nanoGPT's warm-up and cosine:
:meth:`minitorch.optim.lr_scheduler.WarmupCosineLR.lr_at`), gradient clipping and a step of
every optimizer; :func:`lm_loss` measures the loss on a fixed list of batches
(``val.eval_batches(...)``). :class:`LMProgress` holds the running totals since the last
evaluation, as :class:`EpochProgress` does for an epoch. A recurrent model may instead read
the text as :class:`TextStreams`, consecutive chunks of parallel streams, carrying its state
from one batch to the next (truncated backpropagation through time).
"""

from __future__ import annotations

import contextlib
import itertools
import math
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from . import nn
from ._state import no_grad
from .datasets.base import CLASSIFICATION, REGRESSION
from .nn.utils import clip_grad_norm_
from .utils.data import DataLoader

__all__ = [
    "EpochProgress",
    "Evaluation",
    "LMProgress",
    "TextStreams",
    "evaluate",
    "fit",
    "lm_loss",
    "train_epoch",
    "train_lm",
]


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


@contextlib.contextmanager
def timed(progress: Any) -> Iterator[None]:
    """Add the seconds the ``with`` block takes to ``progress.seconds``, also when the block
    ends early (a return, Ctrl-C, an error)."""
    started = time.perf_counter()
    try:
        yield
    finally:
        progress.seconds += time.perf_counter() - started


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
    parallel: Any = None,
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
    parallel : minitorch.distributed.GlobalBatch, optional
        Data-parallel training (under ``mpiexec``): every process draws the same batches from
        ``loader`` and trains on its rows of each; the gradients are averaged over the
        processes before the step, and the totals (and ``batch_loss``) are the global batch's;
        a stop asked on any process stops all of them at the same batch.

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
    # Skipping consumes the batches already trained, so the rest come in the same order.
    batches = itertools.islice(iter(loader), totals.batches, None)
    with timed(totals):
        for inputs, targets in batches:
            count = len(targets)
            if parallel is not None:  # this process's rows of the global batch
                inputs, targets = parallel.split(inputs, targets)
            predictions = model(inputs)
            loss = float(loss_fn(predictions, targets))
            optimizer.zero_grad()
            if parallel is None:
                model.backward(loss_fn.backward())
            else:  # the global batch's gradient, the same on every process
                model.backward(parallel.scale(loss_fn.backward()))
                parallel.all_reduce_gradients(model)
            optimizer.step()

            correct = 0
            if classification:
                correct = int(np.count_nonzero(predictions.argmax(axis=1) == targets))
            stop = None
            if parallel is not None:  # the global batch's numbers; a stop asked anywhere
                asked = should_stop is not None and should_stop()
                loss, correct, stop = parallel.totals(loss, correct, asked)
            totals.batches += 1
            totals.samples += count
            totals.loss_sum += loss * count
            totals.correct += correct
            if on_batch is not None:
                on_batch(totals, loss)
            if totals.batches < total_batches:
                if stop is None:
                    stop = should_stop is not None and should_stop()
                if stop:
                    return totals, False
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


#: Samples :func:`evaluate` puts through the model at once.
EVALUATION_BATCH_SIZE = 1024


def evaluate(
    model: nn.Module,
    dataset: Any,
    loss_fn: nn.Loss,
    *,
    task: str = CLASSIFICATION,
    batch_size: int = EVALUATION_BATCH_SIZE,
) -> Evaluation:
    """Loss and accuracy of ``model`` on a whole data set, in evaluation mode.

    The model is switched to ``eval()`` (Dropout off) and back to the mode it was in, and runs
    under :func:`minitorch.no_grad` (no caches are kept: there is no backward). The
    samples are fed in order, ``batch_size`` at a time, to bound memory; the mean loss is
    weighted by batch size, so it does not depend on ``batch_size`` beyond rounding.

    Parameters
    ----------
    model : Module
    dataset : TensorDataset or Dataset
        With ``tensors == (inputs, targets)`` (any :class:`SupervisedDataset`), sliced in
        order; or any data set of ``(input, target)`` samples, such as
        :class:`~minitorch.datasets.MNIST`, fetched in order by a :class:`DataLoader`.
    loss_fn : Loss
    task : {'classification', 'regression'}
    batch_size : int
    """
    was_training = model.training
    model.eval()
    loss_sum = 0.0
    outputs, target_parts = [], []
    try:
        with no_grad():
            for batch_inputs, batch_targets in _in_order(dataset, batch_size):
                batch_outputs = model(batch_inputs)
                loss_sum += float(loss_fn(batch_outputs, batch_targets)) * len(batch_targets)
                if task == CLASSIFICATION:
                    batch_outputs = batch_outputs.argmax(axis=1)
                outputs.append(batch_outputs)
                target_parts.append(batch_targets)
    finally:
        model.train(was_training)
    predictions = np.concatenate(outputs) if outputs else np.empty(0)
    targets = np.concatenate(target_parts) if target_parts else np.empty(0, dtype=np.int64)
    loss = loss_sum / len(targets) if len(targets) else math.nan
    accuracy = None
    if task == CLASSIFICATION:
        accuracy = float(np.mean(predictions == targets)) if len(targets) else math.nan
    return Evaluation(loss=loss, accuracy=accuracy, predictions=predictions, targets=targets)


def _in_order(dataset: Any, batch_size: int) -> Any:
    """``(inputs, targets)`` batches of ``dataset`` in order, ``batch_size`` at a time."""
    tensors = getattr(dataset, "tensors", None)
    if tensors is not None:
        inputs, targets = tensors
        for start in range(0, len(targets), batch_size):
            yield inputs[start : start + batch_size], targets[start : start + batch_size]
        return
    yield from DataLoader(dataset, batch_size=batch_size)


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


# ---------------------------------------------------------------------- language models
#: Batches :func:`lm_loss` puts through the model at once.
LM_EVALUATION_CHUNK = 8

@dataclass
class LMProgress:
    """Running totals of a language model's training since its last evaluation.

    Attributes
    ----------
    steps : int
        Iterations trained since the last evaluation.
    loss_sum : float
        Sum of those iterations' batch losses: ``loss_sum / steps`` is their mean.
    seconds : float
        Time spent training them.
    """

    steps: int = 0
    loss_sum: float = 0.0
    seconds: float = 0.0

    @property
    def mean_loss(self) -> float:
        """Mean training loss of the iterations since the last evaluation (NaN before one)."""
        return self.loss_sum / self.steps if self.steps else math.nan

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> LMProgress:
        return cls(
            steps=int(values["steps"]),
            loss_sum=float(values["loss_sum"]),
            seconds=float(values["seconds"]),
        )


class TextStreams:
    """Truncated BPTT's batches: a text as ``batch_size`` parallel streams, read chunk by chunk.

    Stream ``b`` is the ``b``-th of ``batch_size`` equal stretches of the text, ``L`` characters
    each; batch ``k`` (from 0) holds characters ``[k·T, (k+1)·T)`` of every stream (``T`` is
    ``block_size``), so row ``b`` of batch ``k + 1`` goes on where row ``b`` of batch ``k``
    ended, and the recurrent state of one batch is the next one's initial state. After the
    ``L // T`` whole chunks the streams start again from their beginnings, from a zero state
    (the rest of a stream, shorter than a chunk, is not read)::

        x = text[:B·L].reshape(B, L)           # stream b: text[b·L : (b+1)·L]
        y = text[1:B·L + 1].reshape(B, L)      # each character's next one
        batch k: x[:, k·T:(k+1)·T], y[:, k·T:(k+1)·T]

    Attributes
    ----------
    state
        The state to start the next batch from: the model's final state after the previous
        batch (``state = model.state``, set by :func:`train_lm`), ``None`` (zeros) at the
        start of a pass.
    chunks : int
        Batches in one pass over the streams, ``L // T``.
    """

    def __init__(self, data: Any, batch_size: int, block_size: int) -> None:
        ids = np.asarray(data.data)
        length = (len(ids) - 1) // batch_size  # one character more: the last one's target
        if length < block_size:
            raise ValueError(
                f"TextStreams: {batch_size} streams of a text of {len(ids):,} characters are "
                f"{length} characters long, shorter than one chunk of block_size {block_size}; "
                "lower --batch-size or --block-size"
            )
        self.block_size = block_size
        self.chunks = length // block_size
        self.x = ids[: batch_size * length].reshape(batch_size, length)
        self.y = ids[1 : batch_size * length + 1].reshape(batch_size, length)
        self.state: Any = None

    def batch(self, step: int) -> tuple[np.ndarray, np.ndarray]:
        """The batch of iteration ``step`` (from 1): chunk ``(step - 1) % chunks``; its first
        chunk forgets the state (a new pass starts from zeros)."""
        k = (step - 1) % self.chunks
        if k == 0:
            self.state = None
        columns = slice(k * self.block_size, (k + 1) * self.block_size)
        return self.x[:, columns], self.y[:, columns]


def _next_token_loss(
    model: nn.Module, loss_fn: nn.Loss, x: np.ndarray, y: np.ndarray, state: Any = None
) -> tuple[float, tuple[int, ...]]:
    """The forward pass and the mean cross-entropy of every next-token prediction.

    ``(B, T)`` ids ``x`` give ``(B, T, V)`` logits, scored against ``y`` as ``B·T`` rows of
    ``V`` scores; a recurrent model starts from ``state`` if one is given. Returns the loss
    and the logits' shape (to shape ``loss_fn.backward()``).
    """
    logits = model(x) if state is None else model(x, state)
    vocab = logits.shape[-1]
    loss = float(loss_fn(logits.reshape(-1, vocab), y.reshape(-1)))
    return loss, logits.shape


def train_lm(
    model: nn.Module,
    data: Any,
    optimizers: Sequence[Any],
    *,
    batch_size: int,
    block_size: int,
    start: int,
    stop: int,
    lr_at: Callable[[int], float],
    grad_clip: float | None = 1.0,
    generator: np.random.Generator | None = None,
    progress: LMProgress | None = None,
    should_stop: Callable[[], bool] | None = None,
    on_step: Callable[[int, LMProgress, float], None] | None = None,
    stream: TextStreams | None = None,
    parallel: Any = None,
) -> tuple[LMProgress, int]:
    """Train a language model for iterations ``start + 1 .. stop`` (nanoGPT's loop).

    Each iteration ``s``: set every optimizer's ``lr`` to ``lr_at(s)``; draw a batch
    ``x, y = data.get_batch(batch_size, block_size)``; forward, cross-entropy over all
    ``batch_size · block_size`` next-character predictions, backward; clip the gradients'
    joint norm to ``grad_clip`` (:func:`minitorch.nn.utils.clip_grad_norm_`); step every
    optimizer::

        for s in range(start + 1, stop + 1):
            for opt in optimizers: opt.lr = lr_at(s)
            x, y = data.get_batch(batch_size, block_size)
            logits = model(x)                                        # (B, T, V)
            loss = loss_fn(logits.reshape(-1, V), y.reshape(-1))
            for opt in optimizers: opt.zero_grad()
            model.backward(loss_fn.backward().reshape(logits.shape))
            clip_grad_norm_(model, grad_clip)
            for opt in optimizers: opt.step()

    Given a ``stream`` (truncated BPTT, a recurrent model such as
    :class:`minitorch.models.CharRNN`), the batch is the stream's next chunk instead, read
    from the state the previous one ended in, which is carried with one line after the
    backward (no gradient flows into the previous batch)::

            x, y = stream.batch(s)
            logits = model(x, stream.state)
            ...
            model.backward(...)
            stream.state = model.state

    Parameters
    ----------
    model : Module
        Maps ``(B, T)`` token ids to ``(B, T, V)`` logits (:class:`minitorch.models.GPT`).
    data : CharDataset
        The training split (anything with ``get_batch(batch_size, block_size, generator=)``).
    optimizers : sequence of Optimizer
        All step every iteration; the trainer's GPT recipe has one AdamW with nanoGPT's two
        parameter groups, the matrices (with weight decay) and the rest (see
        :func:`minitorch.optim.weight_decay_groups`).
    batch_size, block_size : int
    start, stop : int
        Iterations already trained, and the number to reach.
    lr_at : callable
        Iteration (from 1) -> learning rate, e.g. nanoGPT's schedule
        ``lambda s: WarmupCosineLR.lr_at(s - 1, lr, warmup_iters=w, lr_decay_iters=D - 1,
        min_lr=m)`` (:class:`minitorch.optim.lr_scheduler.WarmupCosineLR` counts from 0).
    grad_clip : float or None
        Largest joint gradient norm; ``None`` or 0: no clipping.
    generator : numpy.random.Generator, optional
        Draws the batches (default: minitorch's global generator, which dropout uses too). For
        a resumed run to train on the batches an uninterrupted one would have, restore its
        state along with the model's and the optimizers'.
    progress : LMProgress, optional
        Totals to continue from (not modified; a new object is returned).
    should_stop : callable, optional
        Asked after every iteration but the last; ``True`` stops there, where model and
        optimizers agree and can be saved.
    on_step : callable, optional
        ``on_step(iteration, progress, batch_loss)`` after every iteration.
    stream : TextStreams, optional
        Consecutive chunks of parallel streams instead of random windows (``data``,
        ``batch_size``, ``block_size`` and ``generator`` are then the stream's); for a resumed
        run to go on exactly, restore its ``state`` with the rest.
    parallel : minitorch.distributed.GlobalBatch, optional
        Data-parallel training (as :func:`train_epoch`'s): every process draws the same batch
        and trains on its rows (a stream's state is then its rows' state); the gradients are
        averaged before the clipping, which sees the global batch's gradient.

    Returns
    -------
    progress : LMProgress
    reached : int
        The iterations trained in all: ``stop``, or fewer if ``should_stop`` ended it early.
    """
    totals = LMProgress(**asdict(progress)) if progress is not None else LMProgress()
    loss_fn = nn.CrossEntropyLoss()
    model.train()
    reached = start
    with timed(totals):
        for step in range(start + 1, stop + 1):
            lr = float(lr_at(step))
            for optimizer in optimizers:
                optimizer.lr = lr
            x, y = (
                data.get_batch(batch_size, block_size, generator=generator)
                if stream is None
                else stream.batch(step)
            )
            if parallel is not None:  # under mpiexec: this process's share of the windows
                x, y = parallel.split(x, y)
            state = None if stream is None else stream.state
            loss, shape = _next_token_loss(model, loss_fn, x, y, state)
            for optimizer in optimizers:
                optimizer.zero_grad()
            if parallel is None:
                model.backward(loss_fn.backward().reshape(shape))
            else:  # every process ends with the gradient of all the windows
                model.backward(parallel.scale(loss_fn.backward().reshape(shape)))
                parallel.all_reduce_gradients(model)
            if stream is not None:
                stream.state = model.state  # the next batch starts here, without a gradient
            if grad_clip:
                clip_grad_norm_(model, grad_clip)
            for optimizer in optimizers:
                optimizer.step()
            stopping = None
            if parallel is not None:  # the global batch's loss; a stop asked anywhere
                asked = should_stop is not None and should_stop()
                loss, _, stopping = parallel.totals(loss, 0, asked)
            reached = step
            totals.steps += 1
            totals.loss_sum += loss
            if on_step is not None:
                on_step(step, totals, loss)
            if step < stop:
                if stopping is None:
                    stopping = should_stop is not None and should_stop()
                if stopping:
                    break
    return totals, reached


def lm_loss(
    model: nn.Module,
    batches: Sequence[tuple[np.ndarray, np.ndarray]],
    *,
    chunk: int = LM_EVALUATION_CHUNK,
) -> float:
    """Mean cross-entropy (nats per token) of ``model`` over fixed batches, in evaluation mode.

    ``batches`` is a list of ``(x, y)`` pairs of the same shape ``(B, T)``, e.g.
    ``val.eval_batches(200, 12, 64)``: every evaluation of every run then averages over
    exactly the same windows, a stable estimate (nanoGPT's ``estimate_loss`` draws new random
    batches each time). ``chunk`` batches at a time go through the model (fewer, larger
    matrix products; the mean over equal-sized batches is the same). Runs under
    :func:`minitorch.no_grad`; the model's mode is restored.
    """
    if not batches:
        return math.nan
    loss_fn = nn.CrossEntropyLoss()
    was_training = model.training
    model.eval()
    total, count = 0.0, 0
    try:
        with no_grad():
            for first in range(0, len(batches), chunk):
                part = batches[first : first + chunk]
                x = np.concatenate([xb for xb, _ in part])
                y = np.concatenate([yb for _, yb in part])
                loss, _ = _next_token_loss(model, loss_fn, x, y)
                total += loss * y.size
                count += y.size
    finally:
        model.train(was_training)
    return total / count
