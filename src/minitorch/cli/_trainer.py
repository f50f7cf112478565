"""The one trainer of ``minitorch train``: a run folder, its checkpoints, Ctrl-C, resume, metrics.

Every model trains through :class:`Trainer`. What differs from model to model is a small
:class:`Task`: how to build it from config.json, what one *unit* of training is (an epoch of an
MLP or a CNN; the iterations up to the next evaluation of a GPT), how to evaluate after it, what
its checkpoint holds, and how it describes itself. The trainer owns the rest, the same for all:

* the run folder: ``config.json``, ``checkpoint.npz`` (after every unit, and when stopped),
  ``metrics.csv`` (one row per unit, and one before training if the task evaluates there),
  ``times.csv`` (the seconds of each row) and ``curves.png``;
* the progress bar of a unit and the line after it;
* Ctrl-C and SIGTERM (:class:`StopRequest`): the task's loop stops between two steps, where the
  model and the optimizer agree, and the trainer saves there; a second Ctrl-C stops at once;
* resume: the checkpoint loaded into a freshly built task, the run extended to a longer
  ``--epochs`` / ``--iters``, and the files put right if a full disk left them stale;
* under ``mpiexec -n N`` (:mod:`._distributed`): the same run data-parallel, rank 0 alone
  writing and printing, a failure on one process ending all of them.

Exact resumption
----------------
A resumed run ends with the same weights and the same metrics, bit for bit, as one that was
never stopped: a task's checkpoint holds everything its training computes from besides
config.json (model, optimizer and scheduler state, the random generators as they were when the
current unit started, the running totals of the unit), and the trainer adds the metrics so far.
"""

from __future__ import annotations

import argparse
import signal
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager, suppress
from typing import Any

from tqdm import tqdm

from . import _distributed
from ._common import (
    EXIT_INTERRUPTED,
    EXIT_OK,
    PROG,
    CLIError,
    InterruptError,
    WriteError,
    display_path,
)
from ._config import check_new_schedule
from ._run import ARTEFACTS, RunFolder, history_from_arrays, history_to_arrays


# ---------------------------------------------------------------------- Ctrl-C
class StopRequest:
    """Turns Ctrl-C (SIGINT) and SIGTERM into a request to stop at the next step boundary."""

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
                # KeyboardInterrupt, and the last finished unit's checkpoint is what remains.
                with suppress(ValueError):
                    previous[number] = signal.signal(number, self._handle)
            yield self
        finally:
            for number, handler in previous.items():
                signal.signal(number, handler)


# ---------------------------------------------------------------------- output
class Output:
    """What the user sees: a progress bar per unit (stderr), a line per unit (stdout)."""

    def __init__(self, quiet: bool, muted: bool = False) -> None:
        self.quiet = quiet or muted
        #: Nothing at all (the processes other than rank 0 of ``mpiexec``).
        self.muted = muted

    def say(self, text: str = "") -> None:
        """Print unless --quiet."""
        if not self.quiet:
            print(text, flush=True)

    def always(self, text: str) -> None:
        if not self.muted:
            print(text, flush=True)

    def progress_bar(self, desc: str, total: int, done: int, unit: str) -> tqdm:
        # disable=None: a bar on a terminal, nothing in a log file or a pipe.
        return tqdm(
            total=total,
            initial=done,
            desc=desc,
            unit=unit,
            leave=False,
            file=sys.stderr,
            dynamic_ncols=True,
            disable=True if self.quiet else None,
        )


# ---------------------------------------------------------------------- what a model writes
class Task:
    """One model's part of a run; :class:`Trainer` does everything else.

    A new model is one subclass (see ``_epochs.EpochTask`` and ``_gpt.LMTask``) that sets
    :attr:`length` and :attr:`columns` and writes:

    * building: :meth:`new_config` (the options -> config.json), :meth:`build` (config.json ->
      a ready task, the same every time), :meth:`facts` and :meth:`header` (what it says);
    * one unit: :meth:`bar` (its progress bar), :meth:`train_unit` (train until the unit ends
      or a stop is asked for), :meth:`evaluate_unit` (the unit's row of metrics) and
      :meth:`row_line`; :meth:`evaluate_start`, a row before training (a GPT's iteration 0);
    * the checkpoint: :meth:`state_dict`, :meth:`load_state_dict`, :meth:`check_fits`;
    * where the run is, in words: :meth:`position`, :meth:`position_text`,
      :meth:`resume_where`, :meth:`stopped_where`, :meth:`summary`, :meth:`next_command`,
      :meth:`curves_title`;
    * resume: :meth:`prepare_resume`, :meth:`check_target`, :meth:`finished_text`,
      :meth:`extension_note`.
    """

    #: The config key and option that say how long the run is (``"epochs"``, ``"iters"``).
    length: str
    #: The columns of metrics.csv; the first counts the units (``epoch``, ``iter``).
    columns: tuple[str, ...]
    #: Under ``mpiexec``: the :class:`~minitorch.distributed.GlobalBatch` the loop shares out.
    parallel: Any = None

    def __init__(self, config: dict[str, Any]) -> None:
        self.config = config

    # ------------------------------------------------------------------ building
    @classmethod
    def new_config(cls, args: argparse.Namespace, argv: list[str]) -> dict[str, Any]:
        """The configuration of a new run: the options given, the model's defaults for the rest."""
        raise NotImplementedError

    @classmethod
    def build(cls, config: dict[str, Any], download: bool = False) -> Task:
        """The task a (checked) configuration describes; a refused setting is a CLIError."""
        raise NotImplementedError

    def facts(self) -> dict[str, Any]:
        """What config.json records for the reader (not used to rebuild the run)."""
        raise NotImplementedError

    def planned(self) -> int:
        """The units the configuration asks for (its :attr:`length`)."""
        return int(self.config[self.length])

    def plan(self, target: int) -> None:
        """Make the configuration ask for ``target`` units (``--resume`` with a longer one)."""
        self.config[self.length] = target

    def header(self) -> list[str]:
        """The lines printed before training (data, model, optimizer, ...)."""
        raise NotImplementedError

    # ------------------------------------------------------------------ one unit
    @property
    def done(self) -> int:
        """Units finished (epochs, or iterations)."""
        raise NotImplementedError

    def bar(self) -> dict[str, Any]:
        """The next unit's progress bar: ``desc``, ``total``, ``done`` and ``unit``."""
        raise NotImplementedError

    def train_unit(
        self, should_stop: Callable[[], bool], on_step: Callable[[float], None] | None
    ) -> bool:
        """Train the next unit (or the rest of it); ``False`` if ``should_stop`` ended it early.

        ``on_step(loss)`` after every step, when there is a progress bar to move.
        """
        raise NotImplementedError

    def evaluate_unit(self) -> dict[str, float]:
        """After a finished unit: its row of metrics (a value for each of :attr:`columns`)."""
        raise NotImplementedError

    def evaluate_start(self) -> dict[str, float] | None:
        """Before the first step of a run: its row of metrics, or ``None`` (no such row)."""
        return None

    def row_line(self, row: dict[str, float]) -> str:
        raise NotImplementedError

    # ------------------------------------------------------------------ checkpoint
    def state_dict(self) -> dict[str, Any]:
        """What the checkpoint holds besides the metrics (``history``)."""
        raise NotImplementedError

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Load a checkpoint into the freshly built task (the inverse of :meth:`state_dict`)."""
        raise NotImplementedError

    def check_fits(self, history: dict[str, list[float]]) -> None:
        """After loading: a ValueError if the checkpoint does not fit config.json."""

    # ------------------------------------------------------------------ where the run is
    def position(self) -> Any:
        """Where training is now (compared with where the checkpoint on disk is)."""
        return self.done

    def position_text(self, position: Any) -> str:
        """A :meth:`position` in words, e.g. ``epoch 2, batch 5``."""
        raise NotImplementedError

    def resume_where(self) -> str:
        raise NotImplementedError

    def stopped_where(self) -> str:
        raise NotImplementedError

    def summary(self, seconds: float, history: dict[str, list[float]]) -> str:
        raise NotImplementedError

    def next_command(self, run: str) -> str:
        raise NotImplementedError

    def curves_title(self, run: str) -> str:
        raise NotImplementedError

    # ------------------------------------------------------------------ resume
    @classmethod
    def prepare_resume(
        cls, args: argparse.Namespace, run: RunFolder, config: dict[str, Any]
    ) -> bool:
        """Refuse the options that do not apply; ``True`` if ``config`` was changed."""
        raise NotImplementedError

    def check_target(self, target: int, run: RunFolder) -> None:
        """A CLIError if the run cannot be resumed up to ``target`` units."""
        raise NotImplementedError

    def finished_text(self, target: int, run: RunFolder) -> str:
        raise NotImplementedError

    def extension_note(self, target: int) -> str | None:
        raise NotImplementedError


# ---------------------------------------------------------------------- the trainer
class Trainer:
    """One ``minitorch train`` invocation: a run folder, a task, and the loop over its units."""

    def __init__(
        self, run: RunFolder, config: dict[str, Any], task: Task, output: Output, stop: StopRequest
    ) -> None:
        self.run = run
        self.config = config
        self.task = task
        self.output = output
        self.stop = stop
        self.columns = task.columns
        self.history: dict[str, list[float]] = {column: [] for column in self.columns}
        #: The task's position of the checkpoint on disk, once there is one.
        self.saved: Any = None

    # ------------------------------------------------------------------ checkpoint
    def save(self) -> None:
        """Write checkpoint.npz: the task's state and the metrics so far."""
        state = {**self.task.state_dict(), "history": history_to_arrays(self.history)}
        self.run.save_checkpoint(state)
        self.saved = self.task.position()

    def restore(self, state: dict[str, Any]) -> None:
        """Load a checkpoint into the freshly built task (the inverse of :meth:`save`)."""
        try:
            self.task.load_state_dict(state)
            self.history = history_from_arrays(state["history"], self.columns)
            self.task.check_fits(self.history)
        except (KeyError, ValueError, TypeError, AttributeError, IndexError, RuntimeError) as error:
            raise CLIError(
                f"{self.run.checkpoint_text} does not fit the run's config.json ({error}); "
                "restore both files from one copy of the run, or start a new run"
            ) from None
        self.saved = self.task.position()

    def begin(self) -> None:
        """The first files of a new run: config.json, the checkpoint before the first step.

        The folder is then a resumable run from the start, even if training is stopped during
        the first unit. A run that could not even start leaves nothing behind.
        """
        try:
            check_new_schedule(self.config)  # in the options' words: config.json is not yet
            self.run.write_config(self.config)
            self.save()
            self.run.write_metrics(self.history, self.columns)
        except BaseException as error:
            self.run.remove_unstarted()
            if isinstance(error, WriteError):
                raise WriteError(
                    error.path,
                    error.error,
                    f"{error.reason} while writing {display_path(error.path)} before training "
                    f"began, so nothing was kept; {error.fix}, then run the command again",
                ) from None
            raise

    def write_failure(self, error: WriteError) -> WriteError:
        """The one line for a file that could not be written: what is safe, how to go on."""
        what = f"{error.reason} while writing {display_path(error.path)}"
        if self.saved is None:
            return WriteError(error.path, error.error, f"{what}; {error.fix}")
        state = self.task.position_text(self.saved)
        return WriteError(
            error.path,
            error.error,
            f"{what}; {self.run.checkpoint_text} from {state} is intact; {error.fix}, then "
            f"continue with: {PROG} train --resume {self.run.shell}",
        )

    def tidy(self) -> None:
        """Rewrite metrics.csv, times.csv and curves.png if they do not match the checkpoint's
        history.

        A full disk after the last checkpoint can leave them stale or missing; ``--resume`` of
        the run (even of a finished one) puts them right.
        """
        for name, text in self.run.metrics_texts(self.history, self.columns).items():
            try:
                current = (self.run.path / name).read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                current = None
            if current != text:
                self.run.write_metrics(self.history, self.columns)
                self.write_curves()
                return
        if not (self.run.path / "curves.png").is_file():
            self.write_curves()

    # ------------------------------------------------------------------ the loop
    def train(self) -> bool:
        """Train up to ``config[task.length]``; ``False`` if a stop request ended it early.

        A run that has not trained a step and has no row yet first records the task's row
        before training (:meth:`Task.evaluate_start`), if it has one: a resumed run that has
        it does not measure it again.
        """
        task = self.task
        if task.done == 0 and not self.history[self.columns[0]]:
            row = task.evaluate_start()
            if row is not None:
                self.record(row)
        while task.done < task.planned():
            if _distributed.anyone(self.stop.requested):
                return False  # between units: the last finished one is already saved
            bar = self.output.progress_bar(**task.bar())

            def show(loss: float, bar: tqdm = bar) -> None:
                bar.set_postfix_str(f"loss {loss:.4f}", refresh=False)
                bar.update()

            try:
                finished = task.train_unit(self.stop.is_requested, None if bar.disable else show)
            finally:
                bar.close()
            if not finished:
                self.save()
                return False
            self.record(task.evaluate_unit())
        return True

    def record(self, row: dict[str, float]) -> None:
        """Add a row of metrics: to the history, the checkpoint, the metrics files, the screen."""
        for column in self.columns:
            self.history[column].append(row[column])
        self.save()
        self.run.write_metrics(self.history, self.columns)
        self.output.say(self.task.row_line(row))

    # ------------------------------------------------------------------ messages
    def header(self, resumed: bool) -> None:
        for line in self.task.header():
            self.output.say(line)
        if self.task.parallel is not None:
            self.output.say(_distributed.describe(self.task))
        if resumed:
            self.output.always(f"resuming {self.run} {self.task.resume_where()}")
        else:
            self.output.always(f"run folder: {self.run}")

    def footer(self, finished: bool, seconds: float) -> None:
        if finished:
            self.output.always(self.task.summary(seconds, self.history))
            self.output.always(f"run folder: {self.run} ({', '.join(ARTEFACTS)})")
            self.output.say(f"next: {PROG} {self.task.next_command(self.run.shell)}")
            return
        name = signal.Signals(self.stop.signal_number or signal.SIGINT).name
        self.output.always(f"stopped by {name} {self.task.stopped_where()}; checkpoint saved")
        self.output.always(f"run folder: {self.run}")
        self.output.always(f"continue with: {PROG} train --resume {self.run.shell}")

    def write_curves(self) -> None:
        if self.history[self.columns[0]]:
            self.run.write_curves(self.history, title=self.task.curves_title(str(self.run)))

    def train_and_report(self) -> int:
        """Train, draw the curves, say how it ended; the exit code."""
        started = time.perf_counter()
        try:
            finished = self.train()
        except WriteError as error:
            raise self.write_failure(error) from None
        except KeyboardInterrupt:
            # A second Ctrl-C: the latest checkpoint on disk is whole (writes are atomic).
            _distributed.out_of_step()  # under mpiexec: every process ends at once
            if not self.output.muted:
                print(
                    f"\n{PROG}: stopped at once; {self.run} keeps its last checkpoint "
                    f"(continue with: {PROG} train --resume {self.run.shell})",
                    file=sys.stderr,
                )
            return EXIT_INTERRUPTED
        seconds = time.perf_counter() - started
        try:
            self.write_curves()
        except WriteError as error:
            raise self.write_failure(error) from None
        self.footer(finished, seconds)
        if finished:
            return EXIT_OK
        return 128 + (self.stop.signal_number or signal.SIGINT)


# ---------------------------------------------------------------------- a new run, a resumed one
def start_run(
    args: argparse.Namespace,
    make_config: Callable[[], dict[str, Any]],
    tasks: dict[str, type[Task]],
    output: Output,
    stop: StopRequest,
) -> int:
    """A new run: its configuration, its task, its folder and first files, then training.

    Ctrl-C before training begins (Python's own KeyboardInterrupt while building; a second
    Ctrl-C once the folder is being made) leaves nothing behind, and says so in one line.

    Under ``mpiexec`` (:mod:`._distributed`) every process builds the same task; rank 0 alone
    makes the folder and writes; a failure on any process before training is every one's.
    """
    with ExitStack() as handling_signals:
        try:
            config = _distributed.agreed(make_config)

            def build(download: bool) -> Task:
                return tasks[config["model"]].build(config, download=download)

            # Rank 0 first: it alone fetches a data set (--download); then the others read it.
            task = _distributed.on_main(lambda: build(bool(args.download)))
            task = _distributed.agreed(lambda: build(False) if task is None else task)
            _distributed.agreed(lambda: _distributed.attach(task))
            config.update(task.facts())
            handling_signals.enter_context(stop.installed())
            run = _distributed.follower_run(_distributed.on_main(
                lambda: RunFolder.create(args.out, config["dataset"], bool(args.overwrite))
            ))  # fmt: skip
            trainer = Trainer(run, config, task, output, stop)
            _distributed.agreed(trainer.begin)
        except KeyboardInterrupt:
            raise InterruptError("stopped by Ctrl-C while starting; nothing was written") from None
        trainer.header(resumed=False)
        with _distributed.training():
            return trainer.train_and_report()


def resume_run(
    args: argparse.Namespace, tasks: dict[str, type[Task]], output: Output, stop: StopRequest
) -> int:
    """``minitorch train --resume RUN``: the run rebuilt, its checkpoint loaded, then training
    up to the run's own length or a longer ``--epochs`` / ``--iters``.

    Under ``mpiexec``, rank 0 reads config.json and the checkpoint and gives them to the
    others (any number of processes: the run's global batch is the same)."""

    def read() -> tuple[RunFolder, dict[str, Any], bool, dict[str, Any]]:
        run = RunFolder.open(args.resume)
        try:
            config = run.read_config()
            model = str(config.get("model", "mlp"))
            config_changed = tasks[model].prepare_resume(args, run, config)
            return run, config, config_changed, run.load_checkpoint(model)
        except KeyboardInterrupt:
            raise run.interrupted_while_starting() from None

    found = _distributed.on_main(read)
    run = _distributed.follower_run(None if found is None else found[0])
    config, config_changed, state = _distributed.from_main(None if found is None else found[1:])
    try:
        task_class = tasks[str(config.get("model", "mlp"))]
        task = _distributed.agreed(lambda: task_class.build(config, download=bool(args.download)))
        trainer = Trainer(run, config, task, output, stop)
        _distributed.agreed(lambda: trainer.restore(state))
        _distributed.agreed(lambda: _distributed.attach(task))
    except KeyboardInterrupt:
        raise run.interrupted_while_starting() from None

    given = getattr(args, task.length)
    target = task.planned() if given is None else given
    task.check_target(target, run)
    try:
        if config_changed:
            _distributed.on_main(lambda: run.write_config(config))
        if target == task.done:
            _distributed.on_main(trainer.tidy)
            output.always(task.finished_text(target, run))
            return EXIT_OK
        if target != task.planned():
            note = task.extension_note(target)
            if note:
                output.say(note)
            task.plan(target)
            _distributed.on_main(lambda: run.write_config(config))
        with stop.installed():
            # Rewritten from the checkpoint in case a stop came between checkpoint and metrics.
            _distributed.on_main(lambda: run.write_metrics(trainer.history, trainer.columns))
            trainer.header(resumed=True)
            with _distributed.training():
                return trainer.train_and_report()
    except WriteError as error:
        raise trainer.write_failure(error) from None
