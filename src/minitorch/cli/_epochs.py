"""``minitorch train --model mlp|cnn``: training by epochs over a data set of samples.

One unit of training is one epoch (:func:`minitorch.training.train_epoch`), then the test set's
loss and accuracy (:func:`minitorch.training.evaluate`) and a step of the learning-rate schedule.

Exact resumption
----------------
The checkpoint holds model, optimizer and scheduler state; minitorch's global generator, which
dropout draws from; the training set's shuffling generator *as it was when the current epoch
started* (the epoch draws its order of samples from it once, so a resumed epoch draws the same
order again); and the progress of the current epoch
(:class:`~minitorch.training.EpochProgress`: batches trained, the running loss and accuracy
totals). A resumed epoch skips the batches already trained and adds to those totals.
"""

from __future__ import annotations

import argparse
import math
import shlex
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from .. import __version__, generator, get_default_dtype
from .._generator_state import generator_state, set_generator_state
from .._validation import check_memory
from ..datasets import CLASSIFICATION, DATASETS
from ..models import build_mlp
from ..training import EVALUATION_BATCH_SIZE, EpochProgress, evaluate, train_epoch
from ._common import PROG, CLIError, RunMemoryError, lowered_settings
from ._config import DEFAULT_MODEL, SCHEDULER_RULES, SETTING, defaults
from ._options import option_flag
from ._rules import shown
from ._run import FORMAT_VERSION, RUN_FORMAT, RunFolder, format_percent, metric_columns
from ._setup import (
    A_RUN_OF,
    DATASET_OPTIONS,
    OPTIMIZERS,
    Training,
    absolute,
    build_scheduler,
    build_training,
    describe_model,
    describe_optimizer,
    load_data,
    model_of,
)
from ._trainer import Task

#: Which scheduler uses which of the options --step-size, --milestones and --gamma.
_SCHEDULER_OPTIONS = {
    name: tuple(key for key in rules if key in SETTING) for name, rules in SCHEDULER_RULES.items()
}


# ---------------------------------------------------------------------- configuration
def check_data_root_options(args: argparse.Namespace, dataset: str) -> None:
    """--data-root and --download belong to the data sets read from files."""
    if dataset in DATASETS and DATASETS[dataset].needs_root:
        return
    readers = [name for name, info in DATASETS.items() if info.needs_root]
    for name in ("data_root", "download"):
        if getattr(args, name, None) is not None:
            raise CLIError(
                f"{option_flag(name)} applies to the data sets read from files "
                f"({', '.join(readers)}), not to {dataset}"
            )


def new_epoch_config(args: argparse.Namespace, argv: list[str]) -> dict[str, Any]:
    """The configuration of a new MLP or CNN run: the options given, defaults for the others."""
    model = args.model or DEFAULT_MODEL
    values = {
        name: default if getattr(args, name, None) is None else getattr(args, name)
        for name, default in defaults(model).items()
    }
    dataset = values["dataset"]
    info = DATASETS[dataset]
    check_data_root_options(args, dataset)

    dataset_options = {}
    for flag, keyword in DATASET_OPTIONS.items():
        value = getattr(args, flag)
        if value is None:
            continue
        if keyword not in info.options:
            takes = [f"--{f}" for f, k in DATASET_OPTIONS.items() if k in info.options]
            what = f"it takes {', '.join(takes)}" if takes else "it is a fixed data set"
            raise CLIError(f"--{flag} does not apply to the {dataset} data set ({what})")
        dataset_options[keyword] = value
    if info.needs_root:
        dataset_options["root"] = absolute(values["data_root"])
    if args.data_seed is not None and not info.generated:
        raise CLIError(
            f"--data-seed applies to generated data sets only; {dataset} is a fixed, "
            "bundled data set"
        )

    optimizer = values["optimizer"]
    optimizer_options = dict(OPTIMIZERS[optimizer][1])
    if args.lr is not None:
        optimizer_options["lr"] = args.lr
    if args.momentum is not None:
        if "momentum" not in optimizer_options:
            raise CLIError(f"--momentum applies to sgd and rmsprop, not to {optimizer}")
        optimizer_options["momentum"] = args.momentum
    if args.weight_decay is not None:
        optimizer_options["weight_decay"] = args.weight_decay

    config: dict[str, Any] = {
        "format": RUN_FORMAT,
        "version": FORMAT_VERSION,
        "minitorch_version": __version__,
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "command": shlex.join([PROG, *argv]),
        "model": model,
        "dataset": dataset,
        "dataset_options": dataset_options,
        "data_seed": values["data_seed"] if info.generated else None,
    }
    if model == "cnn":
        config["channels"] = list(values["channels"])
        config["batch_norm"] = bool(values["batch_norm"])
    return config | {
        "hidden": list(values["hidden"]),
        "activation": values["activation"],
        "dropout": values["dropout"],
        "optimizer": optimizer,
        "optimizer_options": optimizer_options,
        "scheduler": scheduler_settings(args, values["scheduler"], values["epochs"]),
        "epochs": values["epochs"],
        "batch_size": values["batch_size"],
        "seed": values["seed"],
    }


def scheduler_settings(args: argparse.Namespace, name: str, epochs: int) -> dict[str, Any]:
    """``{"name": ..., **arguments of the scheduler class}``, defaults filled in from ``epochs``."""
    for option in ("step_size", "milestones", "gamma"):
        if getattr(args, option) is not None and option not in _SCHEDULER_OPTIONS[name]:
            users = [n for n, options in _SCHEDULER_OPTIONS.items() if option in options]
            raise CLIError(
                f"{option_flag(option)} applies to --scheduler {' or '.join(users)}, not to "
                f"--scheduler {name}"
            )
    gamma = args.gamma
    if name == "step":
        return {
            "name": name,
            "step_size": args.step_size or max(1, epochs // 3),
            "gamma": gamma or 0.1,
        }
    if name == "multistep":
        milestones = args.milestones or sorted({max(1, epochs // 2), max(1, 3 * epochs // 4)})
        return {"name": name, "milestones": sorted(milestones), "gamma": gamma or 0.1}
    if name == "exponential":
        return {"name": name, "gamma": gamma or 0.9}
    if name == "cosine":
        return {"name": name, "T_max": epochs, "eta_min": 0.0}
    if name == "linear":
        return {"name": name, "start_factor": 1.0, "end_factor": 0.0, "total_iters": epochs}
    return {"name": "none"}


def _schedule_end(scheduler: dict[str, Any]) -> int | None:
    """The epoch where a schedule with an end (cosine, linear) reaches it; None for the others."""
    if scheduler["name"] == "cosine":
        return int(scheduler["T_max"])
    if scheduler["name"] == "linear":
        return int(scheduler["total_iters"])
    return None


def check_epoch_memory(config: dict[str, Any], train_set: Any, test_set: Any) -> None:
    """Refuse (:class:`RunMemoryError`, one line from the command line) an MLP or CNN run whose
    batch could never fit in this machine's memory in its widest fully connected layer, before
    anything is allocated: a training batch (``--batch-size`` samples, at most the training
    set) and an evaluation batch (``EVALUATION_BATCH_SIZE`` samples, at most the test set).
    The layers check their own weights, and a convolution its patch matrix.
    """
    width = max([*config["hidden"], train_set.output_dim])
    evaluated = min(EVALUATION_BATCH_SIZE, len(test_set))
    arrays = [
        ("a training batch's activations in its widest layer",
         min(int(config["batch_size"]), len(train_set)), ("batch_size", "hidden")),
        (f"an evaluation's activations in its widest layer ({evaluated:,} samples at a time)",
         evaluated, ("hidden",)),
    ]  # fmt: skip
    try:
        for what, batch, keys in arrays:
            lower = lowered_settings(keys, in_config=False)
            check_memory("the run", what, (batch, width), get_default_dtype(), lower)
    except MemoryError as error:
        raise RunMemoryError(str(error)) from None


# ---------------------------------------------------------------------- the task
class EpochTask(Task):
    """An MLP or a CNN on a data set of samples: one unit is an epoch, then the test set."""

    length = "epochs"

    def __init__(self, config: dict[str, Any], training: Training) -> None:
        super().__init__(config)
        self.training = training
        self.columns = metric_columns(training.task)
        self.epochs_done = 0
        self.progress = EpochProgress()
        #: The shuffling generator as the current epoch found it (what the checkpoint keeps).
        self.epoch_start = generator_state(training.shuffle_generator)

    # ------------------------------------------------------------------ building
    @classmethod
    def new_config(cls, args: argparse.Namespace, argv: list[str]) -> dict[str, Any]:
        return new_epoch_config(args, argv)

    @classmethod
    def build(cls, config: dict[str, Any], download: bool = False) -> EpochTask:
        try:
            data = load_data(config, download=download)
            check_epoch_memory(config, *data)
            return cls(config, build_training(config, data))
        except (ValueError, TypeError) as error:
            raise CLIError(str(error)) from None

    def facts(self) -> dict[str, Any]:
        train_set, test_set = self.training.train_set, self.training.test_set
        return {
            "task": train_set.task,
            "input_dim": train_set.input_dim,
            "output_dim": train_set.output_dim,
            "classes": list(train_set.classes),
            "train_samples": len(train_set),
            "test_samples": len(test_set),
            "parameters": self.training.model.num_parameters(),
        }

    def header(self) -> list[str]:
        t, config = self.training, self.config
        train_set, test_set = t.train_set, t.test_set
        kind = (
            f"{train_set.num_classes} classes"
            if t.task == CLASSIFICATION
            else f"{train_set.output_dim} output(s), regression"
        )
        inputs = f"{train_set.input_dim} inputs"
        if model_of(config) == "cnn":
            inputs = "images of " + "x".join(map(str, DATASETS[config["dataset"]].image_shape))
        return [
            f"data:       {config['dataset']}: {len(train_set):,} training and "
            f"{len(test_set):,} test samples, {inputs}, {kind}",
            f"model:      {describe_model(config, t)}",
            f"optimizer:  {describe_optimizer(config)}, batch size {config['batch_size']}, "
            f"{config['epochs']} epochs, seed {config['seed']}",
        ]

    # ------------------------------------------------------------------ one epoch
    @property
    def done(self) -> int:
        return self.epochs_done

    def bar(self) -> dict[str, Any]:
        epoch, epochs = self.epochs_done + 1, int(self.config["epochs"])
        total = len(self.training.loader)
        return {"desc": f"epoch {epoch}/{epochs}", "total": total, "done": self.progress.batches,
                "unit": "batch"}  # fmt: skip

    def train_unit(
        self, should_stop: Callable[[], bool], on_step: Callable[[float], None] | None
    ) -> bool:
        t = self.training
        self.progress, finished = train_epoch(
            t.model,
            t.loader,
            t.loss_fn,
            t.optimizer,
            task=t.task,
            progress=self.progress,
            should_stop=should_stop,
            on_batch=None if on_step is None else lambda progress, _: on_step(progress.mean_loss),
            parallel=self.parallel,
        )
        return finished

    def evaluate_unit(self) -> dict[str, float]:
        t = self.training
        lr = float(t.optimizer.lr)  # the rate the epoch trained with, before the schedule's step
        started = time.perf_counter()
        result = evaluate(t.model, t.test_set, t.loss_fn, task=t.task)
        if t.scheduler is not None:
            t.scheduler.step()
        row = {
            "epoch": self.epochs_done + 1,
            "train_loss": self.progress.mean_loss,
            "train_accuracy": self.progress.accuracy,
            "test_loss": result.loss,
            "test_accuracy": result.accuracy,
            "lr": lr,
            "seconds": self.progress.seconds + (time.perf_counter() - started),
        }
        self.epochs_done += 1
        self.progress = EpochProgress()
        self.epoch_start = generator_state(t.shuffle_generator)
        return row

    def row_line(self, row: dict[str, float]) -> str:
        epochs = int(self.config["epochs"])
        width = len(str(epochs))
        parts = [f"epoch {int(row['epoch']):>{width}}/{epochs}"]
        if self.training.task == CLASSIFICATION:
            parts += [
                f"train loss {row['train_loss']:.4f}",
                f"train acc {format_percent(row['train_accuracy']):>7}",
                f"test loss {row['test_loss']:.4f}",
                f"test acc {format_percent(row['test_accuracy']):>7}",
            ]
        else:
            parts += [f"train mse {row['train_loss']:.4g}", f"test mse {row['test_loss']:.4g}"]
        parts += [f"lr {row['lr']:.3g}", f"{row['seconds']:.2f}s"]
        return "  ".join(parts)

    # ------------------------------------------------------------------ checkpoint
    def state_dict(self) -> dict[str, Any]:
        t = self.training
        state: dict[str, Any] = {
            "epoch": self.epochs_done,
            "progress": self.progress.to_dict(),
            "model": t.model.state_dict(),
            "optimizer": t.optimizer.state_dict(),
            "random": {"shuffle": self.epoch_start, "global": generator_state(generator())},
        }
        if t.scheduler is not None:
            state["scheduler"] = t.scheduler.state_dict()
        return state

    def load_state_dict(self, state: dict[str, Any]) -> None:
        t = self.training
        self._fresh_optimizer = t.optimizer.state_dict()["param_groups"]["0"]
        self._fresh_scheduler = None if t.scheduler is None else t.scheduler.state_dict()
        t.model.load_state_dict(state["model"])
        t.optimizer.load_state_dict(state["optimizer"])
        if t.scheduler is not None:
            t.scheduler.load_state_dict(state["scheduler"])
        set_generator_state(t.shuffle_generator, state["random"]["shuffle"])
        set_generator_state(generator(), state["random"]["global"])
        self.epoch_start = state["random"]["shuffle"]
        self._scheduler_state = state.get("scheduler")
        self.epochs_done = int(state["epoch"])
        self.progress = EpochProgress.from_dict(state["progress"])

    def check_fits(self, history: dict[str, list[float]]) -> None:
        """What the checkpoint holds beside the weights must be what config.json rebuilds.

        The settings of the optimizer and the schedule come from config.json; only the
        learning rate changes with training, by the schedule, so it is recomputed. The epoch's
        progress must lie inside the epoch. A ValueError says which value does not fit.
        """
        t, done = self.training, self.epochs_done
        expected_lr = float(self.config["optimizer_options"]["lr"])
        if self._fresh_scheduler is not None:
            constant = {"last_epoch", "last_lr"}
            for key, value in self._fresh_scheduler.items():
                saved = self._scheduler_state[key]
                if key not in constant and not np.array_equal(np.asarray(saved), value):
                    raise ValueError(f"the schedule's {key} is {shown(saved)}, not {shown(value)}")
            if t.scheduler.last_epoch != done:
                raise ValueError(
                    f"the schedule has run {t.scheduler.last_epoch} epochs, not {done}"
                )
            # The schedule replayed on a throwaway optimizer; its tiny model's initialisation
            # must not use up numbers of the global generator, which was just restored.
            restored = generator_state(generator())
            try:
                scratch = type(t.optimizer)(build_mlp(1, [], 1), lr=expected_lr)
                reference = build_scheduler(scratch, self.config["scheduler"])
                for _ in range(done):
                    reference.step()
            finally:
                set_generator_state(generator(), restored)
            expected_lr = float(scratch.lr)
        for key, value in self._fresh_optimizer.items():
            saved = t.optimizer.state_dict()["param_groups"]["0"][key]
            wanted = expected_lr if key == "lr" else value
            if key == "lr" and math.isclose(saved, wanted, rel_tol=1e-9):
                continue
            if not np.array_equal(np.asarray(saved), wanted):
                raise ValueError(f"the optimizer's {key} is {shown(saved)}, not {shown(wanted)}")
        batches, full = self.progress.batches, len(t.loader)
        if batches and not batches < full:
            raise ValueError(f"it is at batch {batches} of an epoch of {full} batches")
        batch_size = int(self.config["batch_size"])
        if self.progress.samples != batches * batch_size:
            raise ValueError(
                f"it counts {self.progress.samples} samples in {batches} batches of {batch_size}"
            )
        if self.progress.correct > self.progress.samples:
            raise ValueError(f"{self.progress.correct} of {self.progress.samples} were correct")
        lengths = {column: len(values) for column, values in history.items()}
        if set(lengths.values()) != {done}:
            raise ValueError(f"it records {done} epochs but metrics of {lengths}")

    # ------------------------------------------------------------------ where the run is
    def position(self) -> tuple[int, int]:
        return self.epochs_done, self.progress.batches

    def position_text(self, position: tuple[int, int]) -> str:
        epochs, batches = position
        if not epochs and not batches:
            return "the start of training"
        return f"epoch {epochs}" + (f", batch {batches}" if batches else "")

    def resume_where(self) -> str:
        where = f"after epoch {self.epochs_done}"
        if self.progress.batches:
            where += (
                f" and batch {self.progress.batches} of {len(self.training.loader)} of epoch "
                f"{self.epochs_done + 1}"
            )
        return where

    def stopped_where(self) -> str:
        if self.progress.batches:
            return (
                f"in epoch {self.epochs_done + 1} after batch {self.progress.batches} of "
                f"{len(self.training.loader)}"
            )
        return f"after epoch {self.epochs_done}"

    def summary(self, seconds: float, history: dict[str, list[float]]) -> str:
        plural = "" if self.epochs_done == 1 else "s"
        summary = f"done: {self.epochs_done} epoch{plural} ({seconds:.1f}s)"
        if history["epoch"]:
            if self.training.task == CLASSIFICATION:
                summary += (
                    f"; test accuracy {format_percent(history['test_accuracy'][-1])}"
                    f", test loss {history['test_loss'][-1]:.4f}"
                )
            else:
                summary += f"; test mse {history['test_loss'][-1]:.4g}"
        return summary

    def next_command(self, run: str) -> str:
        return f"evaluate {run}"

    def curves_title(self, run: str) -> str:
        return f"{self.config['dataset']} ({run})"

    # ------------------------------------------------------------------ resume
    @classmethod
    def prepare_resume(
        cls, args: argparse.Namespace, run: RunFolder, config: dict[str, Any]
    ) -> bool:
        if args.iters is not None:
            raise CLIError(
                f"--iters counts the iterations of a language model's run; {run} is "
                f"{A_RUN_OF[model_of(config)]} run: give --epochs"
            )
        check_data_root_options(args, config["dataset"])
        if args.data_root is None:
            return False
        config["dataset_options"]["root"] = absolute(args.data_root)  # the files have moved
        return True

    def check_target(self, target: int, run: RunFolder) -> None:
        started = self.epochs_done + (1 if self.progress.batches else 0)
        if target < started:
            raise CLIError(
                f"{run} has already trained {started} epoch(s); --epochs must be at least "
                f"{started}"
            )
        horizon = _schedule_end(self.config["scheduler"])
        if horizon is not None and target > horizon:
            name = self.config["scheduler"]["name"]
            raise CLIError(
                f"{run}'s {name} schedule ends at epoch {horizon}, where its learning rate "
                "reaches its floor; past it a cosine would climb back up (the schedule is "
                "periodic, as PyTorch's) and a linear one would stay at its end. Resume with "
                f"--epochs {horizon} at most, or start a new run with --scheduler {name} "
                f"--epochs {target}"
            )

    def finished_text(self, target: int, run: RunFolder) -> str:
        further = (
            f"its {self.config['scheduler']['name']} schedule has ended, so for a longer run "
            f"start a new one with --epochs {2 * target}"
            if _schedule_end(self.config["scheduler"]) is not None
            else f"pass a larger --epochs (e.g. --resume {run.shell} --epochs {2 * target})"
        )
        return f"{run} has finished its {target} epochs; to train further, {further}"

    def extension_note(self, target: int) -> str | None:
        schedule = dict(self.config["scheduler"])
        name = schedule.pop("name")
        if not schedule:
            return None
        # Its horizon was set from the epochs the run started with.
        settings = ", ".join(f"{key}={value}" for key, value in schedule.items())
        return f"note: the {name} schedule keeps its settings from the start ({settings})"
