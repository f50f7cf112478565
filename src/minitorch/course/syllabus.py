"""The course, defined once as data: the assignments in order, each a list of tasks.

A :class:`Task` is one function or method the student writes, named by its dotted path
(``target``); the student edition (:mod:`minitorch.course.edition`) replaces its body with a
stub, and the public checks (:mod:`minitorch.course.checks`) named in ``tests`` score it. An
:class:`Assignment` is one week of the course; its tasks only need code of earlier assignments.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ASSIGNMENTS", "Assignment", "Task", "assignment", "find_task"]


@dataclass(frozen=True)
class Task:
    """One function or method a student writes in an afternoon.

    ``name`` is what ``minitorch check NAME`` takes (the function's name, ``Class.method`` for a
    method); ``target`` its dotted path; ``points`` what it is worth; ``tests`` the names of the
    public checks that score it (keys of :data:`minitorch.course.checks.CHECKS`).
    """

    name: str
    target: str
    points: int
    tests: tuple[str, ...]

    def to_dict(self) -> dict:
        return {"name": self.name, "target": self.target, "points": self.points}


@dataclass(frozen=True)
class Assignment:
    """One week: an ``id`` such as ``01-linear``, a ``title``, the part of the specification it
    comes from (``spec_part``) and its tasks, in the order a student writes them."""

    id: str
    title: str
    spec_part: str
    tasks: tuple[Task, ...]

    @property
    def points(self) -> int:
        return sum(task.points for task in self.tasks)

    def to_dict(self) -> dict:
        return {
            "id": self.id,
            "title": self.title,
            "points": self.points,
            "tasks": [task.to_dict() for task in self.tasks],
        }


_F = "minitorch.nn.functional"


def _task(target: str, points: int, *tests: str) -> Task:
    """A task named after its function (``Class.method`` for a method), checked by ``tests``
    (by default the one check named like the task)."""
    parts = target.split(".")
    name = ".".join(parts[-2:]) if parts[-2][:1].isupper() else parts[-1]
    return Task(name, target, points, tests or (name,))


ASSIGNMENTS: tuple[Assignment, ...] = (
    Assignment(
        "01-linear",
        "The Linear layer",
        "Linear layer: y = xW + b, its backward, the spec's initialisation",
        (
            _task(f"{_F}.linear.linear_forward", 4),
            _task(f"{_F}.linear.linear_backward", 6),
            _task("minitorch.nn.init.kaiming_std", 2),
        ),
    ),
    Assignment(
        "02-activations",
        "Activations: ReLU, Sigmoid, GELU",
        "Activations (ReLU, Sigmoid, GELU) and their derivatives",
        (
            _task(f"{_F}.activation.relu_forward", 1),
            _task(f"{_F}.activation.relu_backward", 2),
            _task(f"{_F}.activation.sigmoid_forward", 1),
            _task(f"{_F}.activation.sigmoid_backward", 2),
            _task(f"{_F}.activation.gelu_forward", 2),
            _task(f"{_F}.activation.gelu_backward", 2),
        ),
    ),
    Assignment(
        "03-losses",
        "Losses: mean squared error, a stable log-softmax, cross-entropy",
        "Loss functions: MSE, cross-entropy with a numerically stable log-softmax",
        (
            _task(f"{_F}.regression_loss.mse_loss_forward", 2),
            _task(f"{_F}.regression_loss.mse_loss_backward", 2),
            _task(f"{_F}.activation.log_softmax", 3),
            _task(f"{_F}.activation.log_softmax_backward", 3),
            _task(f"{_F}.multiclass_loss.softmax_cross_entropy_forward", 2),
            _task(f"{_F}.multiclass_loss.softmax_cross_entropy_backward", 2),
        ),
    ),
    Assignment(
        "04-optimizers",
        "Optimizers: zero_grad, SGD with momentum, AdamW",
        "The Optimizer base (zero_grad/step); SGD with momentum; AdamW",
        (
            _task("minitorch.optim.optimizer.Optimizer.zero_grad", 2),
            _task("minitorch.optim.sgd.sgd", 4),
            _task("minitorch.optim.adam.adam", 6),
        ),
    ),
    Assignment(
        "05-data",
        "Dataset and DataLoader",
        "Dataset and DataLoader: indexing, batching, shuffling",
        (
            _task("minitorch.utils.data.dataset.TensorDataset.__getitem__", 2),
            _task("minitorch.utils.data.dataloader.DataLoader.__len__", 1),
            _task("minitorch.utils.data.dataloader.DataLoader.__iter__", 3),
            _task("minitorch.utils.data.dataloader.DataLoader._batches", 3),
            _task("minitorch.utils.data.dataset.random_split", 2),
        ),
    ),
    Assignment(
        "06-training",
        "The training loop: a digit classifier to 97%",
        "The standard training loop (zero_grad, forward, loss, backward, step); evaluation",
        (
            _task("minitorch.training.train_epoch", 5),
            _task("minitorch.training.evaluate", 3),
        ),
    ),
    Assignment(
        "07-conv",
        "Convolution and max pooling",
        "Convolution: im2col, col2im, Conv2d's backward, max pooling",
        (
            _task(f"{_F}.conv.im2col", 3),
            _task(f"{_F}.conv.col2im", 3),
            _task(f"{_F}.conv.conv2d_forward", 2),
            _task(f"{_F}.conv.conv2d_backward", 4),
            _task(f"{_F}.pooling.max_pool2d_forward", 2),
            _task(f"{_F}.pooling.max_pool2d_backward", 3),
        ),
    ),
    Assignment(
        "08-batchnorm",
        "Batch normalisation",
        "Batch normalisation: batch and running statistics, its backward",
        (
            _task(f"{_F}.batchnorm.batch_norm_forward", 4),
            _task(f"{_F}.batchnorm.batch_norm_backward", 5),
        ),
    ),
    Assignment(
        "09-attention",
        "Attention and LayerNorm",
        "Attention: softmax backward, causal multi-head attention, LayerNorm",
        (
            _task(f"{_F}.activation.softmax", 1),
            _task(f"{_F}.activation.softmax_backward", 2),
            _task(f"{_F}.attention.attention_forward", 3),
            _task(f"{_F}.attention.attention_backward", 4),
            _task(f"{_F}.normalization.layer_norm_forward", 3),
            _task(f"{_F}.normalization.layer_norm_backward", 4),
        ),
    ),
    Assignment(
        "10-gpt",
        "A GPT on Tiny Shakespeare",
        "A GPT trained on Tiny Shakespeare: the model's forward and backward, the LM loss",
        (
            _task("minitorch.models.gpt.GPT.forward", 3),
            _task("minitorch.models.gpt.GPT.backward", 4),
            _task("minitorch.training.lm_loss", 2),
            _task("minitorch.models.gpt.sample_next_token", 2),
        ),
    ),
    Assignment(
        "11-gan",
        "A GAN",
        "A GAN: the binary cross-entropy on logits both players train with",
        (
            _task(f"{_F}.binary_loss.binary_cross_entropy_with_logits_forward", 3),
            _task(f"{_F}.binary_loss.binary_cross_entropy_with_logits_backward", 3),
        ),
    ),
    Assignment(
        "12-rnn",
        "Recurrent networks: the RNN, LSTM and GRU steps, backpropagation through time",
        "Recurrent layers: the RNN, LSTM and GRU steps, backpropagation through time",
        (
            _task(f"{_F}.rnn.rnn_step_forward", 2),
            _task(f"{_F}.rnn.rnn_step_backward", 3),
            _task(f"{_F}.rnn.lstm_step_forward", 3),
            _task(f"{_F}.rnn.lstm_step_backward", 4),
            _task(f"{_F}.rnn.gru_step_forward", 3),
            _task(f"{_F}.rnn.gru_step_backward", 4),
            _task(f"{_F}.rnn.rnn_backward", 4),
            _task(f"{_F}.rnn.lstm_backward", 4),
            _task(f"{_F}.rnn.gru_backward", 4),
        ),
    ),
)


def assignment(assignment_id: str) -> Assignment:
    """The assignment with this id; a ``KeyError`` naming the ids there are otherwise."""
    for candidate in ASSIGNMENTS:
        if candidate.id == assignment_id:
            return candidate
    known = ", ".join(a.id for a in ASSIGNMENTS)
    raise KeyError(f"no assignment {assignment_id!r}; the course has: {known}")


def find_task(name: str) -> tuple[Assignment, Task]:
    """The assignment and task called ``name`` (its ``name`` or its dotted ``target``)."""
    for candidate in ASSIGNMENTS:
        for task in candidate.tasks:
            if name in (task.name, task.target):
                return candidate, task
    raise KeyError(f"no task {name!r} in the course; `minitorch course list` shows them")
