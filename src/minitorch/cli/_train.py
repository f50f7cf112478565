"""``minitorch train``: train a network, checkpoint every epoch, stop cleanly on Ctrl-C, resume.

Exact resumption
----------------
A resumed run ends with the same weights and the same metrics, bit for bit, as one that was
never stopped. Everything a run computes follows from its configuration and from state that
the checkpoint holds:

* model, optimizer and scheduler state (``state_dict()`` of each);
* minitorch's global generator, which dropout draws from (its full state, as JSON);
* the training set's shuffling generator, *as it was when the current epoch started*: the epoch
  draws its order of samples from it once, so a resumed epoch draws the same order again;
* the progress of the current epoch (:class:`~minitorch.training.EpochProgress`): how many
  batches were trained, the running loss and accuracy totals. A resumed epoch skips the batches
  already trained and adds to those totals;
* the per-epoch metrics so far.

Ctrl-C does not interrupt a batch half-way: the signal handler only asks training to stop, and
the loop stops between two batches, where the model and the optimizer agree, and saves there.
A second Ctrl-C stops at once; the checkpoint of the last finished epoch is then kept.
"""

from __future__ import annotations

import argparse
import math
import shlex
import signal
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any

import numpy as np
from tqdm import tqdm

from .. import __version__, generator
from .._generator_state import generator_state, set_generator_state
from ..datasets import CLASSIFICATION, DATASETS
from ..models import build_mlp
from ..training import EpochProgress, evaluate, train_epoch
from ._common import (
    EXIT_INTERRUPTED,
    EXIT_OK,
    PROG,
    CLIError,
    InterruptError,
    WriteError,
    display_path,
)
from ._config import shown
from ._options import (
    CNN_DEFAULTS,
    MODEL_OPTIONS,
    RESUME_OPTIONS,
    TRAIN_DEFAULTS,
    given_options,
)
from ._run import (
    ARTEFACTS,
    FORMAT_VERSION,
    RUN_FORMAT,
    RunFolder,
    format_percent,
    history_from_arrays,
    history_to_arrays,
    metric_columns,
)
from ._setup import (
    A_RUN_OF,
    DATASET_OPTIONS,
    IMAGE_DATASETS,
    OPTIMIZERS,
    TEXT_DATASETS,
    Training,
    absolute,
    build_scheduler,
    build_training,
    describe_model,
    describe_optimizer,
    load_data,
    model_of,
)

#: Which scheduler uses which of the options --step-size, --milestones and --gamma.
_SCHEDULER_OPTIONS = {
    "none": (),
    "step": ("step_size", "gamma"),
    "multistep": ("milestones", "gamma"),
    "exponential": ("gamma",),
    "cosine": (),
    "linear": (),
}


# ---------------------------------------------------------------------- configuration
def option_flag(name: str) -> str:
    """``--step-size`` for the option ``step_size``."""
    return "--" + name.replace("_", "-")


def check_model_options(args: argparse.Namespace, model: str) -> None:
    """Refuse an option that belongs to another model, and a data set the model cannot learn."""
    for name in dict.fromkeys(option for options in MODEL_OPTIONS.values() for option in options):
        if getattr(args, name, None) is None or name in MODEL_OPTIONS[model]:
            continue
        users = [m for m, options in MODEL_OPTIONS.items() if name in options]
        why = " (a GPT trains with AdamW, as nanoGPT)" if name == "optimizer" else ""
        option = option_flag(name)
        raise CLIError(
            f"{option} applies to --model {' or '.join(users)}, not to --model {model}{why}"
        )
    dataset = args.dataset
    if dataset is None:
        return
    if model == "gpt" and dataset not in TEXT_DATASETS:
        raise CLIError(
            f"--model gpt learns a text: --dataset {' or '.join(TEXT_DATASETS)}; {dataset} is "
            "not a text (train it with --model mlp)"
        )
    if model != "gpt" and dataset in TEXT_DATASETS:
        raise CLIError(f"{dataset} is a text: train a language model on it with --model gpt")
    if model == "cnn" and dataset not in IMAGE_DATASETS:
        raise CLIError(
            f"--model cnn learns images: --dataset {', '.join(IMAGE_DATASETS)}; {dataset} is "
            "not an image data set (train it with --model mlp)"
        )


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


def new_config(args: argparse.Namespace, argv: list[str]) -> dict[str, Any]:
    """The configuration of a new run: the options given, defaults for the others."""
    model = args.model or "mlp"
    check_model_options(args, model)
    if model == "gpt":
        from ._gpt import new_gpt_config

        return new_gpt_config(args, argv)
    defaults = {**TRAIN_DEFAULTS, **(CNN_DEFAULTS if model == "cnn" else {})}
    values = {
        name: default if getattr(args, name) is None else getattr(args, name)
        for name, default in defaults.items()
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
        dataset_options["root"] = absolute(args.data_root or "data")
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
            flag = "--" + option.replace("_", "-")
            raise CLIError(
                f"{flag} applies to --scheduler {' or '.join(users)}, not to --scheduler {name}"
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


def describe_data(training: Training) -> dict[str, Any]:
    """Facts about the data, recorded in config.json for the reader (not used to rebuild)."""
    train_set, test_set = training.train_set, training.test_set
    return {
        "task": train_set.task,
        "input_dim": train_set.input_dim,
        "output_dim": train_set.output_dim,
        "classes": list(train_set.classes),
        "train_samples": len(train_set),
        "test_samples": len(test_set),
        "parameters": training.model.num_parameters(),
    }


def _build(config: dict[str, Any], download: bool = False) -> Training:
    """Build the run; a data set or option the library refuses becomes a one-line error."""
    try:
        return build_training(config, load_data(config, download=download))
    except (ValueError, TypeError) as error:
        raise CLIError(str(error)) from None


# ---------------------------------------------------------------------- Ctrl-C
class StopRequest:
    """Turns Ctrl-C (SIGINT) and SIGTERM into a request to stop at the next batch boundary."""

    def __init__(self) -> None:
        self.signal_number: int | None = None

    @property
    def requested(self) -> bool:
        return self.signal_number is not None

    def is_requested(self) -> bool:
        return self.requested

    def _handle(self, signal_number: int, frame: Any) -> None:
        if self.requested:  # the second Ctrl-C: stop now, keep the last saved checkpoint
            raise KeyboardInterrupt
        self.signal_number = signal_number

    @contextmanager
    def installed(self) -> Iterator[StopRequest]:
        """Handle the signals inside the ``with`` block; restore the previous handlers after."""
        previous = {}
        try:
            for number in (signal.SIGINT, signal.SIGTERM):
                # Outside the main thread signal() raises ValueError: Ctrl-C then stays a
                # KeyboardInterrupt, and the last finished epoch's checkpoint is what remains.
                with suppress(ValueError):
                    previous[number] = signal.signal(number, self._handle)
            yield self
        finally:
            for number, handler in previous.items():
                signal.signal(number, handler)


# ---------------------------------------------------------------------- output
class Output:
    """What the user sees: a progress bar per epoch (stderr), a line per epoch (stdout)."""

    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet

    def say(self, text: str = "") -> None:
        """Print unless --quiet."""
        if not self.quiet:
            print(text, flush=True)

    @staticmethod
    def always(text: str) -> None:
        print(text, flush=True)

    def progress_bar(self, epoch: int, epochs: int, total: int, done: int) -> tqdm:
        # disable=None: a bar on a terminal, nothing in a log file or a pipe.
        return tqdm(
            total=total,
            initial=done,
            desc=f"epoch {epoch}/{epochs}",
            unit="batch",
            leave=False,
            file=sys.stderr,
            dynamic_ncols=True,
            disable=True if self.quiet else None,
        )

    def epoch_line(self, row: dict[str, float], epochs: int, task: str) -> None:
        width = len(str(epochs))
        parts = [f"epoch {int(row['epoch']):>{width}}/{epochs}"]
        if task == CLASSIFICATION:
            parts += [
                f"train loss {row['train_loss']:.4f}",
                f"train acc {format_percent(row['train_accuracy']):>7}",
                f"test loss {row['test_loss']:.4f}",
                f"test acc {format_percent(row['test_accuracy']):>7}",
            ]
        else:
            parts += [f"train mse {row['train_loss']:.4g}", f"test mse {row['test_loss']:.4g}"]
        parts += [f"lr {row['lr']:.3g}", f"{row['seconds']:.2f}s"]
        self.say("  ".join(parts))


# ---------------------------------------------------------------------- the training session
class Session:
    """One ``minitorch train`` invocation: a run folder, its objects, and the epoch loop."""

    def __init__(
        self,
        run: RunFolder,
        config: dict[str, Any],
        training: Training,
        output: Output,
        stop: StopRequest,
    ) -> None:
        self.run = run
        self.config = config
        self.training = training
        self.output = output
        self.stop = stop
        self.columns = metric_columns(training.task)
        self.history: dict[str, list[float]] = {column: [] for column in self.columns}
        self.epochs_done = 0
        self.progress = EpochProgress()
        #: (epochs, batches) of the checkpoint on disk, once there is one.
        self.saved: tuple[int, int] | None = None

    # ------------------------------------------------------------------ checkpoint
    def save(self, shuffle_state: str) -> None:
        """Write checkpoint.npz: the state after ``epochs_done`` epochs and ``progress``."""
        t = self.training
        state: dict[str, Any] = {
            "epoch": self.epochs_done,
            "progress": self.progress.to_dict(),
            "model": t.model.state_dict(),
            "optimizer": t.optimizer.state_dict(),
            "random": {"shuffle": shuffle_state, "global": generator_state(generator())},
            "history": history_to_arrays(self.history),
        }
        if t.scheduler is not None:
            state["scheduler"] = t.scheduler.state_dict()
        self.run.save_checkpoint(state)
        self.saved = (self.epochs_done, self.progress.batches)

    def restore(self, state: dict[str, Any]) -> None:
        """Load a checkpoint into the freshly built objects (the inverse of :meth:`save`)."""
        t = self.training
        fresh_optimizer = t.optimizer.state_dict()["hyperparameters"]
        fresh_scheduler = None if t.scheduler is None else t.scheduler.state_dict()
        try:
            t.model.load_state_dict(state["model"])
            t.optimizer.load_state_dict(state["optimizer"])
            if t.scheduler is not None:
                t.scheduler.load_state_dict(state["scheduler"])
            set_generator_state(t.shuffle_generator, state["random"]["shuffle"])
            set_generator_state(generator(), state["random"]["global"])
            self.history = history_from_arrays(state["history"], self.columns)
            self.epochs_done = int(state["epoch"])
            self.progress = EpochProgress.from_dict(state["progress"])
            self._check_fits(state, fresh_optimizer, fresh_scheduler)
        except (KeyError, ValueError, TypeError, AttributeError, IndexError, RuntimeError) as error:
            raise CLIError(
                f"{self.run.checkpoint_text} does not fit the run's config.json ({error}); "
                "restore both files from one copy of the run, or start a new run"
            ) from None
        self.saved = (self.epochs_done, self.progress.batches)

    def _check_fits(
        self,
        state: dict[str, Any],
        fresh_optimizer: dict[str, Any],
        fresh_scheduler: dict[str, Any] | None,
    ) -> None:
        """What the checkpoint holds beside the weights must be what config.json rebuilds.

        The settings of the optimizer and the schedule come from config.json; only the
        learning rate changes with training, by the schedule, so it is recomputed. The epoch's
        progress must lie inside the epoch. A ValueError says which value does not fit.
        """
        t, done = self.training, self.epochs_done
        expected_lr = float(self.config["optimizer_options"]["lr"])
        if fresh_scheduler is not None:
            constant = {"last_epoch", "last_lr"}
            for key, value in fresh_scheduler.items():
                saved = state["scheduler"][key]
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
        for key, value in fresh_optimizer.items():
            saved = t.optimizer.state_dict()["hyperparameters"][key]
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
        lengths = {column: len(values) for column, values in self.history.items()}
        if set(lengths.values()) != {done}:
            raise ValueError(f"it records {done} epochs but metrics of {lengths}")

    def save_start(self) -> None:
        """The checkpoint of a new run, before its first batch."""
        self.save(generator_state(self.training.shuffle_generator))

    def saved_text(self) -> str:
        """Where the checkpoint on disk is, e.g. ``epoch 2, batch 5`` (it exists)."""
        epochs, batches = self.saved
        if not epochs and not batches:
            return "the start of training"
        return f"epoch {epochs}" + (f", batch {batches}" if batches else "")

    def write_failure(self, error: WriteError) -> WriteError:
        """The one line for a file that could not be written: what is safe, how to go on."""
        what = f"{error.reason} while writing {display_path(error.path)}"
        if self.saved is None:
            return WriteError(error.path, error.error, f"{what}; {error.fix}")
        state = self.saved_text()
        return WriteError(
            error.path,
            error.error,
            f"{what}; {self.run.checkpoint_text} from {state} is intact; {error.fix}, then "
            f"continue with: {PROG} train --resume {self.run.shell}",
        )

    def tidy(self) -> None:
        """Rewrite metrics.csv and curves.png if they do not match the checkpoint's history.

        A full disk after the last checkpoint can leave them stale or missing; ``--resume`` of
        the run (even of a finished one) puts them right.
        """
        metrics = self.run.path / "metrics.csv"
        try:
            current = metrics.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            current = None
        if current != self.run.metrics_text(self.history, self.columns):
            self.run.write_metrics(self.history, self.columns)
            self.write_curves()
        elif not (self.run.path / "curves.png").is_file():
            self.write_curves()

    # ------------------------------------------------------------------ the loop
    def train(self) -> bool:
        """Train up to ``config['epochs']``; ``False`` if a stop request ended it early."""
        t, epochs = self.training, int(self.config["epochs"])
        for epoch in range(self.epochs_done + 1, epochs + 1):
            if self.stop.requested:
                return False  # between epochs: the last finished epoch is already saved
            shuffle_state = generator_state(t.shuffle_generator)  # before the epoch draws
            lr = float(t.optimizer.lr)
            bar = self.output.progress_bar(epoch, epochs, len(t.loader), self.progress.batches)

            def show(progress: EpochProgress, loss: float, bar: tqdm = bar) -> None:
                bar.set_postfix_str(f"loss {progress.mean_loss:.4f}", refresh=False)
                bar.update()

            try:
                self.progress, finished = train_epoch(
                    t.model,
                    t.loader,
                    t.loss_fn,
                    t.optimizer,
                    task=t.task,
                    progress=self.progress,
                    should_stop=self.stop.is_requested,
                    on_batch=None if bar.disable else show,
                )
            finally:
                bar.close()
            if not finished:
                self.save(shuffle_state)
                return False

            started = time.perf_counter()
            result = evaluate(t.model, t.test_set, t.loss_fn, task=t.task)
            if t.scheduler is not None:
                t.scheduler.step()
            row = {
                "epoch": epoch,
                "train_loss": self.progress.mean_loss,
                "train_accuracy": self.progress.accuracy,
                "test_loss": result.loss,
                "test_accuracy": result.accuracy,
                "lr": lr,
                "seconds": self.progress.seconds + (time.perf_counter() - started),
            }
            for column in self.columns:
                self.history[column].append(row[column])
            self.epochs_done = epoch
            self.progress = EpochProgress()
            self.save(generator_state(t.shuffle_generator))
            self.run.write_metrics(self.history, self.columns)
            self.output.epoch_line(row, epochs, t.task)
        return True

    # ------------------------------------------------------------------ messages
    def header(self, resumed: bool) -> None:
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
        self.output.say(
            f"data:       {config['dataset']}: {len(train_set):,} training and "
            f"{len(test_set):,} test samples, {inputs}, {kind}"
        )
        self.output.say(f"model:      {describe_model(config, t)}")
        self.output.say(
            f"optimizer:  {describe_optimizer(config)}, batch size {config['batch_size']}, "
            f"{config['epochs']} epochs, seed {config['seed']}"
        )
        if resumed:
            where = f"after epoch {self.epochs_done}"
            if self.progress.batches:
                where += (
                    f" and batch {self.progress.batches} of {len(t.loader)} of epoch "
                    f"{self.epochs_done + 1}"
                )
            self.output.always(f"resuming {self.run} {where}")
        else:
            self.output.always(f"run folder: {self.run}")

    def footer(self, finished: bool, seconds: float) -> None:
        quoted = self.run.shell
        if finished:
            plural = "" if self.epochs_done == 1 else "s"
            summary = f"done: {self.epochs_done} epoch{plural} ({seconds:.1f}s)"
            if self.history["epoch"]:
                if self.training.task == CLASSIFICATION:
                    summary += (
                        f"; test accuracy {format_percent(self.history['test_accuracy'][-1])}"
                        f", test loss {self.history['test_loss'][-1]:.4f}"
                    )
                else:
                    summary += f"; test mse {self.history['test_loss'][-1]:.4g}"
            self.output.always(summary)
            self.output.always(f"run folder: {self.run} ({', '.join(ARTEFACTS)})")
            self.output.say(f"next: {PROG} evaluate {quoted}")
            return
        where = f"after epoch {self.epochs_done}"
        if self.progress.batches:
            where = (
                f"in epoch {self.epochs_done + 1} after batch {self.progress.batches} of "
                f"{len(self.training.loader)}"
            )
        name = signal.Signals(self.stop.signal_number or signal.SIGINT).name
        self.output.always(f"stopped by {name} {where}; checkpoint saved")
        self.output.always(f"run folder: {self.run}")
        self.output.always(f"continue with: {PROG} train --resume {quoted}")

    def write_curves(self) -> None:
        if self.history["epoch"]:
            self.run.write_curves(self.history, title=f"{self.config['dataset']} ({self.run})")


# ---------------------------------------------------------------------- the command
def run_train(args: argparse.Namespace, argv: list[str]) -> int:
    """``minitorch train``: a new run, or ``--resume`` of an existing one."""
    output = Output(quiet=bool(args.quiet))
    stop = StopRequest()
    if args.resume is not None:
        return _resume(args, output, stop)

    try:
        config = new_config(args, argv)
        if config["model"] == "gpt":
            from ._gpt import GPTSession, build_gpt, describe_text

            make_session: Any = GPTSession
            training: Any = build_gpt(config)
            config.update(describe_text(training))
        else:
            make_session = Session
            training = _build(config, download=bool(args.download))
            config.update(describe_data(training))
    except KeyboardInterrupt:
        raise InterruptError("stopped by Ctrl-C while starting; nothing was written") from None
    with stop.installed():
        try:
            run = RunFolder.create(args.out, config["dataset"], overwrite=bool(args.overwrite))
        except KeyboardInterrupt:
            raise InterruptError("stopped by Ctrl-C while starting; nothing was written") from None
        session = make_session(run, config, training, output, stop)
        try:
            run.write_config(config)
            # The initial state is saved before the first batch, so the folder is a resumable
            # run from the start, even if training is stopped during the first epoch.
            session.save_start()
            run.write_metrics(session.history, session.columns)
        except BaseException as error:
            # A run that could not even start leaves nothing behind: no half-made run folder.
            run.remove_unstarted()
            if isinstance(error, WriteError):
                raise WriteError(
                    error.path,
                    error.error,
                    f"{error.reason} while writing {display_path(error.path)} before training "
                    f"began, so nothing was kept; {error.fix}, then run the command again",
                ) from None
            if isinstance(error, KeyboardInterrupt):
                raise InterruptError(
                    "stopped by Ctrl-C while starting; nothing was written"
                ) from None
            raise
        session.header(resumed=False)
        return train_and_report(session)


def _resume(args: argparse.Namespace, output: Output, stop: StopRequest) -> int:
    if args.out is not None:
        raise CLIError("--resume continues a run in its own folder; leave out --out")
    changed = [name for name in given_options(args) if name not in RESUME_OPTIONS]
    if changed:
        flags = ", ".join(option_flag(name) for name in changed)
        raise CLIError(
            f"--resume continues a run with its own settings, so {flags} cannot be given "
            "(only --epochs, or a GPT's --iters, to train longer)"
        )
    run = RunFolder.open(args.resume)
    try:
        config = run.read_config()
    except KeyboardInterrupt:
        raise run.interrupted_while_starting() from None
    model = model_of(config)
    if model == "gpt":
        from ._gpt import resume_gpt

        return resume_gpt(args, run, config, output, stop)
    if args.iters is not None:
        raise CLIError(
            f"--iters counts the iterations of a GPT run; {run} is {A_RUN_OF[model]} run: give "
            "--epochs"
        )
    check_data_root_options(args, config["dataset"])
    if args.data_root is not None:  # the files have moved: the run reads them there from now on
        config["dataset_options"]["root"] = absolute(args.data_root)
    try:
        state = run.load_checkpoint(model)
        training = _build(config, download=bool(args.download))
        session = Session(run, config, training, output, stop)
        session.restore(state)
    except KeyboardInterrupt:
        raise run.interrupted_while_starting() from None

    epochs = args.epochs if args.epochs is not None else int(config["epochs"])
    started = session.epochs_done + (1 if session.progress.batches else 0)
    if epochs < started:
        raise CLIError(
            f"{run} has already trained {started} epoch(s); --epochs must be at least {started}"
        )
    horizon = _schedule_end(config["scheduler"])
    if horizon is not None and epochs > horizon:
        name = config["scheduler"]["name"]
        raise CLIError(
            f"{run}'s {name} schedule ends at epoch {horizon}, where its learning rate reaches "
            "its floor; past it a cosine would climb back up (the schedule is periodic, as "
            "PyTorch's) and a linear one would stay at its end. Resume with --epochs "
            f"{horizon} at most, or start a new run with --scheduler {name} --epochs {epochs}"
        )
    try:
        if args.data_root is not None:
            run.write_config(config)
        if epochs == session.epochs_done:
            session.tidy()
            further = (
                f"its {config['scheduler']['name']} schedule has ended, so for a longer run "
                f"start a new one with --epochs {2 * epochs}"
                if horizon is not None
                else f"pass a larger --epochs (e.g. --resume {run.shell} --epochs {2 * epochs})"
            )
            output.always(f"{run} has finished its {epochs} epochs; to train further, {further}")
            return EXIT_OK
        if epochs != config["epochs"]:
            schedule = dict(config["scheduler"])
            name = schedule.pop("name")
            if schedule:  # its horizon was set from the epochs the run started with
                settings = ", ".join(f"{key}={value}" for key, value in schedule.items())
                output.say(
                    f"note: the {name} schedule keeps its settings from the start ({settings})"
                )
            config["epochs"] = epochs
            run.write_config(config)
        with stop.installed():
            # Rewritten from the checkpoint in case a stop came between checkpoint and metrics.
            run.write_metrics(session.history, session.columns)
            session.header(resumed=True)
            return train_and_report(session)
    except WriteError as error:
        raise session.write_failure(error) from None


def train_and_report(session: Session) -> int:
    started = time.perf_counter()
    try:
        finished = session.train()
    except WriteError as error:
        raise session.write_failure(error) from None
    except KeyboardInterrupt:
        # A second Ctrl-C: the latest checkpoint on disk is whole (writes are atomic).
        print(
            f"\n{PROG}: stopped at once; {session.run} keeps its last checkpoint "
            f"(continue with: {PROG} train --resume {session.run.shell})",
            file=sys.stderr,
        )
        return EXIT_INTERRUPTED
    seconds = time.perf_counter() - started
    try:
        session.write_curves()
    except WriteError as error:
        raise session.write_failure(error) from None
    session.footer(finished, seconds)
    if finished:
        return EXIT_OK
    return 128 + (session.stop.signal_number or signal.SIGINT)
