"""``minitorch train --model gpt``: nanoGPT's loop, by iterations, with checkpoints and resume.

A GPT run trains on random windows of a text, one batch per iteration, not on epochs of
samples. Its default is nanoGPT's CPU recipe for Shakespeare's characters (see
:data:`~minitorch.cli._options.GPT_DEFAULTS`): a GPT of 4 layers, 4 heads and 128 features
over 64 characters of context, its embedding tied to its head and nanoGPT's initialisation;
batches of 12 windows; AdamW at 1e-3 with betas (0.9, 0.99), weight decay 0.1 on the matrices
only (nanoGPT's two parameter groups, here two AdamW), 100 iterations of warm-up and a cosine
decay to 1e-4 at the last of 2,000 iterations; gradients clipped to a norm of 1.

Every ``eval_interval`` iterations, and after the last, the validation loss is measured on the
same fixed windows of the validation split (``eval_batches`` batches, drawn once from seed 0),
a row is added to metrics.csv and a checkpoint is written.

Exact resumption
----------------
The checkpoint holds the model, both optimizers, minitorch's global generator (dropout), the
generator the batches are drawn from, the iterations trained, the totals since the last
evaluation and the metrics so far. The learning rate is a function of the iteration alone.
A run stopped by Ctrl-C (between two iterations) and resumed draws the very batches an
uninterrupted run would have, and ends with the same weights and metrics, bit for bit.
"""

from __future__ import annotations

import argparse
import math
import shlex
import signal
import sys
import time
from typing import Any

import numpy as np
from tqdm import tqdm

from .. import __version__, generator
from .._generator_state import generator_state, set_generator_state
from ..training import LMProgress, lm_loss, train_lm
from ._common import EXIT_OK, PROG, CLIError, WriteError
from ._config import shown
from ._options import GPT_DEFAULTS
from ._run import (
    ARTEFACTS,
    FORMAT_VERSION,
    LANGUAGE_MODEL,
    RUN_FORMAT,
    RunFolder,
    history_from_arrays,
    history_to_arrays,
    metric_columns,
)
from ._setup import (
    GPTTraining,
    build_gpt_training,
    describe_gpt,
    describe_gpt_optimizer,
)
from ._train import Output, Session, StopRequest, train_and_report


# ---------------------------------------------------------------------- configuration
def new_gpt_config(args: argparse.Namespace, argv: list[str]) -> dict[str, Any]:
    """The configuration of a new GPT run: the options given, nanoGPT's recipe for the rest."""
    for name in ("data_root", "download", "samples", "noise", "classes", "data_seed"):
        if getattr(args, name, None) is not None:
            option = "--" + name.replace("_", "-")
            raise CLIError(f"{option} does not apply to --model gpt (it learns a bundled text)")
    d = GPT_DEFAULTS

    def value(name: str) -> Any:
        given = getattr(args, name, None)
        return d[name] if given is None else given

    iters = value("iters")
    return {
        "format": RUN_FORMAT,
        "version": FORMAT_VERSION,
        "minitorch_version": __version__,
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "command": shlex.join([PROG, *argv]),
        "model": "gpt",
        "dataset": value("dataset"),
        "n_layer": value("n_layer"),
        "n_head": value("n_head"),
        "n_embd": value("n_embd"),
        "block_size": value("block_size"),
        "dropout": value("dropout"),
        "tie_weights": True,
        "optimizer": "adamw",
        "optimizer_options": {
            "lr": value("lr"),
            "betas": list(d["betas"]),
            "weight_decay": value("weight_decay"),
        },
        "scheduler": {
            "name": "warmup_cosine",
            "warmup_iters": value("warmup_iters"),
            "decay_iters": iters,
            "min_lr": value("min_lr"),
        },
        "grad_clip": value("grad_clip"),
        "iters": iters,
        "batch_size": value("batch_size"),
        "eval_interval": value("eval_interval"),
        "eval_batches": value("eval_batches"),
        "seed": value("seed"),
    }


def build_gpt(config: dict[str, Any]) -> GPTTraining:
    """Build the run; a setting the library refuses becomes a one-line error."""
    try:
        return build_gpt_training(config)
    except (ValueError, TypeError) as error:
        raise CLIError(str(error)) from None


def describe_text(training: GPTTraining) -> dict[str, Any]:
    """Facts about the text, recorded in config.json for the reader (not used to rebuild)."""
    return {
        "task": LANGUAGE_MODEL,
        "vocab_size": training.train_set.vocab_size,
        "train_characters": len(training.train_set),
        "val_characters": len(training.val_set),
        "parameters": training.model.num_parameters(),
    }


# ---------------------------------------------------------------------- the session
class GPTSession(Session):
    """One ``minitorch train --model gpt`` invocation: the run folder and the iteration loop."""

    def __init__(
        self,
        run: RunFolder,
        config: dict[str, Any],
        training: GPTTraining,
        output: Output,
        stop: StopRequest,
    ) -> None:
        self.run = run
        self.config = config
        self.training = training  # type: ignore[assignment]
        self.output = output
        self.stop = stop
        self.columns = metric_columns(LANGUAGE_MODEL)
        self.history: dict[str, list[float]] = {column: [] for column in self.columns}
        self.iters_done = 0
        self.progress = LMProgress()  # type: ignore[assignment]
        #: The iteration of the checkpoint on disk, once there is one.
        self.saved: int | None = None  # type: ignore[assignment]
        self.lr_at = training.lr_at(config)

    # ------------------------------------------------------------------ checkpoint
    def save(self, shuffle_state: str | None = None) -> None:
        """Write checkpoint.npz: the state after ``iters_done`` iterations."""
        t = self.training
        state: dict[str, Any] = {
            "iter": self.iters_done,
            "progress": self.progress.to_dict(),
            "model": t.model.state_dict(),
            "optimizers": {name: opt.state_dict() for name, opt in t.optimizers.items()},
            "random": {
                "batches": generator_state(t.batch_generator),
                "global": generator_state(generator()),
            },
            "history": history_to_arrays(self.history),
        }
        self.run.save_checkpoint(state)
        self.saved = self.iters_done

    def save_start(self) -> None:
        self.save()

    def saved_text(self) -> str:
        return f"iteration {self.saved}" if self.saved else "the start of training"

    def restore(self, state: dict[str, Any]) -> None:
        """Load a checkpoint into the freshly built objects (the inverse of :meth:`save`)."""
        t = self.training
        fresh = {name: opt.state_dict()["hyperparameters"] for name, opt in t.optimizers.items()}
        try:
            t.model.load_state_dict(state["model"])
            for name, optimizer in t.optimizers.items():
                optimizer.load_state_dict(state["optimizers"][name])
            set_generator_state(t.batch_generator, state["random"]["batches"])
            set_generator_state(generator(), state["random"]["global"])
            self.history = history_from_arrays(state["history"], self.columns)
            self.iters_done = int(state["iter"])
            self.progress = LMProgress.from_dict(state["progress"])  # type: ignore[assignment]
            self._check_gpt_fits(fresh)
        except (KeyError, ValueError, TypeError, AttributeError, IndexError, RuntimeError) as error:
            raise CLIError(
                f"{self.run.checkpoint_text} does not fit the run's config.json ({error}); "
                "restore both files from one copy of the run, or start a new run"
            ) from None
        self.saved = self.iters_done

    def _check_gpt_fits(self, fresh: dict[str, dict[str, Any]]) -> None:
        """The optimizers' settings must be config.json's; the learning rate the schedule's."""
        done = self.iters_done
        if done > int(self.config["iters"]):
            raise ValueError(f"it has trained {done} iterations, more than the config's iters")
        expected_lr = self.lr_at(done) if done else float(self.config["optimizer_options"]["lr"])
        for name, optimizer in self.training.optimizers.items():
            saved = optimizer.state_dict()["hyperparameters"]
            for key, value in fresh[name].items():
                if key == "lr":
                    if not math.isclose(saved[key], expected_lr, rel_tol=1e-9):
                        raise ValueError(
                            f"the {name} optimizer's lr is {saved[key]!r}, not the "
                            f"schedule's {expected_lr!r} at iteration {done}"
                        )
                elif not np.array_equal(np.asarray(saved[key]), value):
                    raise ValueError(
                        f"the {name} optimizer's {key} is {shown(saved[key])}, not {shown(value)}"
                    )

    # ------------------------------------------------------------------ the loop
    def next_evaluation(self) -> int:
        """The iteration of the next evaluation: the next multiple of the interval, or the end."""
        interval, iters = int(self.config["eval_interval"]), int(self.config["iters"])
        start = self.iters_done - self.progress.steps  # where the current interval began
        return min((start // interval + 1) * interval, iters)

    def train(self) -> bool:
        """Train up to ``config['iters']``; ``False`` if a stop request ended it early."""
        t, config = self.training, self.config
        iters = int(config["iters"])
        while self.iters_done < iters:
            if self.stop.requested:
                return False  # just after an evaluation, whose checkpoint is saved
            target = self.next_evaluation()
            bar = self.progress_bar(target)

            def show(step: int, progress: LMProgress, loss: float, bar: tqdm = bar) -> None:
                bar.set_postfix_str(f"loss {loss:.4f}", refresh=False)
                bar.update()

            try:
                self.progress, self.iters_done = train_lm(  # type: ignore[assignment]
                    t.model,
                    t.train_set,
                    list(t.optimizers.values()),
                    batch_size=int(config["batch_size"]),
                    block_size=int(config["block_size"]),
                    start=self.iters_done,
                    stop=target,
                    lr_at=self.lr_at,
                    grad_clip=float(config["grad_clip"]),
                    generator=t.batch_generator,
                    progress=self.progress,  # type: ignore[arg-type]
                    should_stop=self.stop.is_requested,
                    on_step=None if bar.disable else show,
                )
            finally:
                bar.close()
            if self.iters_done < target:
                self.save()
                return False

            started = time.perf_counter()
            val_loss = lm_loss(t.model, t.eval_batches)
            row = {
                "iter": self.iters_done,
                "train_loss": self.progress.mean_loss,
                "val_loss": val_loss,
                "lr": self.lr_at(self.iters_done),
                "seconds": self.progress.seconds + (time.perf_counter() - started),
            }
            for column in self.columns:
                self.history[column].append(row[column])
            self.progress = LMProgress()  # type: ignore[assignment]
            self.save()
            self.run.write_metrics(self.history, self.columns)
            self.evaluation_line(row)
        return True

    def progress_bar(self, target: int) -> tqdm:
        iters = int(self.config["iters"])
        start = self.iters_done - self.progress.steps
        return tqdm(
            total=target - start,
            initial=self.progress.steps,
            desc=f"iterations {start + 1}-{target} of {iters}",
            unit="it",
            leave=False,
            file=sys.stderr,
            dynamic_ncols=True,
            disable=True if self.output.quiet else None,
        )

    def evaluation_line(self, row: dict[str, float]) -> None:
        iters = int(self.config["iters"])
        width = len(str(iters))
        self.output.say(
            f"iter {int(row['iter']):>{width}}/{iters}  train loss {row['train_loss']:.4f}  "
            f"val loss {row['val_loss']:.4f}  lr {row['lr']:.3g}  {row['seconds']:.2f}s"
        )

    # ------------------------------------------------------------------ messages
    def header(self, resumed: bool) -> None:
        t, config = self.training, self.config
        self.output.say(
            f"data:       {config['dataset']}: {len(t.train_set):,} training and "
            f"{len(t.val_set):,} validation characters, {t.train_set.vocab_size} distinct"
        )
        self.output.say(f"model:      {describe_gpt(config, t)}")
        self.output.say(
            f"optimizer:  {describe_gpt_optimizer(config)}; batches of {config['batch_size']} "
            f"windows, {config['iters']} iterations, seed {config['seed']}"
        )
        windows = int(config["eval_batches"]) * int(config["batch_size"])
        self.output.say(
            f"evaluation: every {config['eval_interval']} iterations, on {windows:,} fixed "
            f"validation windows ({config['eval_batches']} batches)"
        )
        if resumed:
            self.output.always(f"resuming {self.run} after iteration {self.iters_done}")
        else:
            self.output.always(f"run folder: {self.run}")

    def footer(self, finished: bool, seconds: float) -> None:
        quoted = self.run.shell
        if finished:
            summary = f"done: {self.iters_done} iterations ({seconds:.1f}s)"
            if self.history["iter"]:
                summary += f"; val loss {self.history['val_loss'][-1]:.4f}"
            self.output.always(summary)
            self.output.always(f"run folder: {self.run} ({', '.join(ARTEFACTS)})")
            self.output.say(f"next: {PROG} sample {quoted} --prompt 'ROMEO:'")
            return
        name = signal.Signals(self.stop.signal_number or signal.SIGINT).name
        iters = self.config["iters"]
        self.output.always(
            f"stopped by {name} after iteration {self.iters_done} of {iters}; checkpoint saved"
        )
        self.output.always(f"run folder: {self.run}")
        self.output.always(f"continue with: {PROG} train --resume {quoted}")

    def write_curves(self) -> None:
        if self.history["iter"]:
            title = f"GPT on {self.config['dataset']} ({self.run})"
            self.run.write_curves(self.history, title=title)


# ---------------------------------------------------------------------- resume
def resume_gpt(
    args: argparse.Namespace,
    run: RunFolder,
    config: dict[str, Any],
    output: Output,
    stop: StopRequest,
) -> int:
    """``minitorch train --resume RUN [--iters N]`` of a GPT run."""
    for name in ("epochs", "data_root", "download"):
        if getattr(args, name, None) is not None:
            option = "--" + name.replace("_", "-")
            give = " (give --iters to train further)" if name == "epochs" else ""
            raise CLIError(f"{option} does not apply to {run}, a GPT run{give}")
    try:
        state = run.load_checkpoint("gpt")
        session = GPTSession(run, config, build_gpt(config), output, stop)
        session.restore(state)
    except KeyboardInterrupt:
        raise run.interrupted_while_starting() from None

    iters = args.iters if args.iters is not None else int(config["iters"])
    if iters < session.iters_done:
        raise CLIError(
            f"{run} has already trained {session.iters_done} iterations; --iters must be at "
            f"least {session.iters_done}"
        )
    try:
        if iters == session.iters_done:
            session.tidy()
            output.always(
                f"{run} has finished its {iters} iterations; to train it further, pass a larger "
                f"--iters (e.g. --resume {run.shell} --iters {2 * iters})"
            )
            return EXIT_OK
        if iters != config["iters"]:
            schedule = config["scheduler"]
            if iters > schedule["decay_iters"]:
                output.say(
                    f"note: the learning rate keeps its schedule from the start: cosine down to "
                    f"{schedule['min_lr']:g} at iteration {schedule['decay_iters']}, then "
                    "constant"
                )
            config["iters"] = iters
            run.write_config(config)
        with stop.installed():
            run.write_metrics(session.history, session.columns)
            session.header(resumed=True)
            return train_and_report(session)
    except WriteError as error:
        raise session.write_failure(error) from None
