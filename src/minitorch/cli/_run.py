"""A run folder: where one training run keeps its configuration, checkpoint, metrics and curves.

::

    runs/digits-20260512-101500/
        config.json       the options the run was started with (enough to rebuild it)
        checkpoint.npz    model, optimizer, scheduler, random generators, progress, history
        metrics.csv       one row per finished epoch (a GPT run: per evaluation, the first
                          at iteration 0): losses, accuracies, learning rate
        times.csv         the wall time of each of those rows, in seconds
        curves.png        loss, accuracy and learning rate per epoch

metrics.csv holds only what the run computes, so two identical runs, or a resumed run and an
uninterrupted one, write the same file byte for byte; the time each row took, which differs
from run to run, is in times.csv.

The checkpoint is written after every epoch and when training is stopped with Ctrl-C, always
through a temporary file and a rename, so the folder always holds a complete, resumable state.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import math
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from .._atomic import atomic_write
from ..serialization import CheckpointFileError, load, save
from ._common import (
    PROG,
    CLIError,
    InterruptError,
    WriteError,
    display_path,
    explain_os_error,
    printable,
    shell_path,
    write_text_atomic,
)
from ._config import (
    CHECKPOINT_FORMAT,
    FORMAT_VERSION,
    RUN_FORMAT,
    check_checkpoint,
    check_config,
)

__all__ = [
    "ARTEFACTS",
    "CHECKPOINT_FORMAT",
    "FORMAT_VERSION",
    "LANGUAGE_MODEL",
    "RUN_FORMAT",
    "RunFolder",
    "format_percent",
    "history_from_arrays",
    "history_to_arrays",
    "metric_columns",
]

CONFIG_FILE = "config.json"
CHECKPOINT_FILE = "checkpoint.npz"
METRICS_FILE = "metrics.csv"
TIMES_FILE = "times.csv"
CURVES_FILE = "curves.png"
ARTEFACTS = (CONFIG_FILE, CHECKPOINT_FILE, METRICS_FILE, TIMES_FILE, CURVES_FILE)

#: The columns of a run's history, in the order of metrics.csv (accuracy columns only for
#: classification); the last, ``seconds``, goes to times.csv instead (:data:`TIME_COLUMNS`).
CLASSIFICATION_COLUMNS = (
    "epoch",
    "train_loss",
    "train_accuracy",
    "test_loss",
    "test_accuracy",
    "lr",
    "seconds",
)
REGRESSION_COLUMNS = ("epoch", "train_loss", "test_loss", "lr", "seconds")
#: A GPT run's rows, one per evaluation: the iterations trained, the mean training loss of the
#: iterations since the previous row, the validation loss, the last learning rate, the time
#: (the row of iteration 0, before training, has no training loss and no learning rate: NaN).
LANGUAGE_MODEL_COLUMNS = ("iter", "train_loss", "val_loss", "lr", "seconds")
#: The task of a GPT run (config.json's "task"; the registry's tasks are the other two).
LANGUAGE_MODEL = "language model"
#: Columns that count (written as whole numbers).
COUNT_COLUMNS = ("epoch", "iter")
#: Columns of wall-clock time: written to times.csv (beside the count), not to metrics.csv.
TIME_COLUMNS = ("seconds",)


def metric_columns(task: str) -> tuple[str, ...]:
    """The columns of metrics.csv for a ``'classification'``, ``'regression'`` or
    ``'language model'`` run."""
    if task == LANGUAGE_MODEL:
        return LANGUAGE_MODEL_COLUMNS
    return CLASSIFICATION_COLUMNS if task == "classification" else REGRESSION_COLUMNS


def _folder_problem(option: str, path: Path, error: OSError) -> CLIError:
    """Why the run folder cannot be made or used, as one line naming the option to change."""
    where = f"{option} {display_path(path)}" if option else display_path(path)
    if isinstance(error, (NotADirectoryError, FileExistsError)):
        blocker = next(
            (parent for parent in [path, *path.parents] if parent.exists() and not parent.is_dir()),
            path,
        )
        return CLIError(
            f"{where}: {display_path(blocker)} is a file, so no folder can be made there; "
            "choose another folder with --out"
        )
    reason, fix = explain_os_error(error, path.parent)
    if reason == "the disk is full":
        choose = f"{fix}, or choose a folder on another disk with --out"
    elif option:
        choose = "choose a folder you can write to with --out"
    else:
        choose = "run from a folder you can write to, or choose one with --out"
    return WriteError(path, error, f"{where}: the run folder cannot be made ({reason}); {choose}")


class RunFolder:
    """The files of one run, by name; reading and writing them.

    Every file is written through :func:`minitorch._atomic.atomic_write` (a temporary file and a
    rename), and every failure to write becomes a :class:`WriteError` naming the file.

    Parameters
    ----------
    path : Path
        The folder.
    made : bool
        Whether this command made the folder (so that it may remove it again if the run could
        not even start).
    """

    def __init__(self, path: Path, made: bool = False) -> None:
        self.path = Path(path)
        self.made = made

    def __str__(self) -> str:
        return display_path(self.path)

    @property
    def shell(self) -> str:
        """The folder quoted for a command line (``minitorch train --resume ...``)."""
        return shell_path(self.path)

    def interrupted_while_starting(self) -> InterruptError:
        """The error for a Ctrl-C before a resumed run trains: the folder is as it was."""
        return InterruptError(
            f"stopped by Ctrl-C while starting; {self} is unchanged (continue with: "
            f"{PROG} train --resume {self.shell})"
        )

    # ------------------------------------------------------------------ creating and finding
    @classmethod
    def create(cls, out: str | None, dataset: str, overwrite: bool) -> RunFolder:
        """Make a new, empty run folder: ``out``, or ``runs/<dataset>-<date>-<time>``.

        An existing folder is used only if it is empty, or if it holds a run and ``overwrite``
        is set (the run's files are then deleted; other files are left alone).
        """
        if out is None:
            stamp = time.strftime("%Y%m%d-%H%M%S")
            base = Path("runs") / f"{dataset}-{stamp}"
            for attempt in range(1, 1000):
                path = base if attempt == 1 else base.with_name(f"{base.name}-{attempt}")
                try:
                    path.mkdir(parents=True)
                except FileExistsError:
                    if path.is_dir():
                        continue
                    raise _folder_problem("", path, FileExistsError()) from None
                except OSError as error:
                    raise _folder_problem("", path, error) from None
                return cls(path, made=True)
            raise CLIError(f"could not find a free run folder name next to {display_path(base)}")

        path = Path(out)
        try:
            return cls._create_at(path, out, overwrite)
        except OSError as error:
            raise _folder_problem("--out", path, error) from None

    @classmethod
    def _create_at(cls, path: Path, out: str, overwrite: bool) -> RunFolder:
        shown = printable(out)
        if path.exists() and not path.is_dir():
            raise CLIError(f"--out {shown}: that is a file, not a folder; choose a folder")
        if path.is_dir() and any(path.iterdir()):
            run = cls(path)
            if not run.looks_like_run():
                raise CLIError(
                    f"--out {shown}: that folder already holds other files; choose a new or "
                    "empty folder"
                )
            if not overwrite:
                raise CLIError(
                    f"--out {shown} already holds a run; continue it with "
                    f"'minitorch train --resume {run.shell}', choose another folder, or pass "
                    "--overwrite to replace it"
                )
            for name in ARTEFACTS:
                (path / name).unlink(missing_ok=True)
        made = not path.exists()
        path.mkdir(parents=True, exist_ok=True)
        return cls(path, made=made)

    @classmethod
    def open(cls, path_text: str) -> RunFolder:
        """An existing run folder, or a CLIError saying why ``path_text`` is not one."""
        path = Path(path_text)
        shown = printable(path_text)
        if not path.exists():
            raise CLIError(f"run folder {shown} does not exist")
        if not path.is_dir():
            raise CLIError(f"{shown} is a file, not a run folder")
        run = cls(path)
        missing = [name for name in (CONFIG_FILE, CHECKPOINT_FILE) if not (path / name).is_file()]
        if missing:
            raise CLIError(
                f"{shown} is not a run folder: it has no {' or '.join(missing)} "
                "(run folders are made by 'minitorch train')"
            )
        return run

    def looks_like_run(self) -> bool:
        return (self.path / CONFIG_FILE).is_file() or (self.path / CHECKPOINT_FILE).is_file()

    def remove_unstarted(self) -> None:
        """Remove what a run that never started wrote (and the folder, if this command made it)."""
        for name in ARTEFACTS:
            with contextlib.suppress(OSError):
                (self.path / name).unlink(missing_ok=True)
        if self.made:
            with contextlib.suppress(OSError):
                self.path.rmdir()  # only if empty: files of the user's stay

    @contextlib.contextmanager
    def _writing(self, name: str) -> Iterator[Path]:
        """Yield the path of ``name``; an OSError while writing it becomes a WriteError."""
        path = self.path / name
        try:
            yield path
        except OSError as error:
            raise WriteError(path, error) from None

    # ------------------------------------------------------------------ configuration
    def write_config(self, config: dict[str, Any]) -> None:
        check_config(config, display_path(self.path / CONFIG_FILE))  # what we write, we can read
        with self._writing(CONFIG_FILE) as path:
            write_text_atomic(path, json.dumps(config, indent=2) + "\n")

    def read_config(self) -> dict[str, Any]:
        """The run's configuration, checked setting by setting (:func:`check_config`)."""
        path = self.path / CONFIG_FILE
        shown = display_path(path)
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise CLIError(
                f"{shown} is not a text file (not UTF-8): it is damaged; restore it from a copy, "
                "or start a new run with 'minitorch train'"
            ) from None
        except OSError as error:
            reason, _ = explain_os_error(error, self.path)
            raise CLIError(f"{shown} cannot be read ({reason})") from None
        try:
            config = json.loads(text, object_pairs_hook=_no_repeated_keys)
        except _RepeatedKeyError as error:
            raise CLIError(
                f'{shown}: the setting "{error}" appears twice; keep one of them'
            ) from None
        except (ValueError, RecursionError) as error:
            where = " (the file is empty)" if not text.strip() else ""
            if isinstance(error, json.JSONDecodeError) and text.strip():
                if json_cut_short(text, error):
                    end = text.rstrip()
                    line, column = end.count("\n") + 1, len(end) - end.rfind("\n")
                    where = (
                        f" (it ends too early, at line {line} column {column}: it was cut short)"
                    )
                else:
                    where = f" ({error.msg}, at line {error.lineno} column {error.colno})"
            raise CLIError(
                f"{shown} is not valid JSON{where}: it is damaged or was mistyped; fix it, or "
                "start a new run with 'minitorch train'"
            ) from None
        return check_config(config, shown)

    # ------------------------------------------------------------------ checkpoint
    def save_checkpoint(self, state: dict[str, Any]) -> None:
        with self._writing(CHECKPOINT_FILE) as path:
            save({"format": CHECKPOINT_FORMAT, "version": FORMAT_VERSION, **state}, path)

    def load_checkpoint(self, model: str = "mlp") -> dict[str, Any]:
        """The checkpoint's contents, checked (:func:`check_checkpoint`) as the checkpoint of a
        ``model`` run (config.json says which), or a CLIError."""
        try:
            state = load(self.checkpoint)
        except CheckpointFileError as error:
            raise CLIError(
                f"{self.checkpoint_text} {error.problem}; the run cannot be continued or "
                "evaluated from it: restore it from a copy, or start a new run"
            ) from None
        except OSError as error:
            reason, _ = explain_os_error(error, self.path)
            raise CLIError(f"{self.checkpoint_text} cannot be read ({reason})") from None
        return check_checkpoint(state, self.checkpoint_text, model)

    @property
    def checkpoint(self) -> Path:
        return self.path / CHECKPOINT_FILE

    @property
    def checkpoint_text(self) -> str:
        return display_path(self.checkpoint)

    # ------------------------------------------------------------------ metrics and curves
    def write_metrics(self, history: dict[str, list[float]], columns: tuple[str, ...]) -> None:
        """Rewrite metrics.csv and times.csv from the whole history (a row per finished unit)."""
        # Not flushed to disk (fsync) each epoch: --resume rewrites them from the checkpoint.
        for name, text in self.metrics_texts(history, columns).items():
            with self._writing(name) as path:
                write_text_atomic(path, text, durable=False)

    @staticmethod
    def metrics_texts(history: dict[str, list[float]], columns: tuple[str, ...]) -> dict[str, str]:
        """The texts of metrics.csv (every column but the times) and times.csv (the count
        column and the times), by file name.

        Numbers are written with ``repr``, the shortest text that reads back as the same float,
        so the files hold exactly the values the run computed.
        """
        count = columns[0]
        split = {
            METRICS_FILE: tuple(c for c in columns if c not in TIME_COLUMNS),
            TIMES_FILE: (count, *(c for c in columns if c in TIME_COLUMNS)),
        }
        return {name: _csv_text(history, written) for name, written in split.items()}

    def write_curves(self, history: dict[str, list[float]], title: str) -> None:
        """Draw curves.png (matplotlib is imported here, only when a run has curves to draw)."""
        from ..viz import plot_history

        # An iteration is what plot_history calls a step (its x axis).
        curves = {
            "step" if key == "iter" else key: values
            for key, values in history.items()
            if key not in TIME_COLUMNS
        }
        figure = plot_history(curves, title=printable(title))
        with self._writing(CURVES_FILE) as path, atomic_write(path, durable=False) as handle:
            figure.savefig(handle, format="png", dpi=100)


def _csv_text(history: dict[str, list[float]], columns: tuple[str, ...]) -> str:
    """The history's ``columns`` as CSV text: a header, then a row per unit."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for row in zip(*(history[column] for column in columns), strict=True):
        writer.writerow(
            [
                int(value) if column in COUNT_COLUMNS else repr(float(value))
                for column, value in zip(columns, row, strict=True)
            ]
        )
    return buffer.getvalue()


#: The start of a JSON word (true, false, null, and Python's NaN and Infinity).
_JSON_WORDS = ("true", "false", "null", "NaN", "Infinity", "-Infinity")
#: A JSON number, as json's scanner reads it (the longest valid number it can take).
_JSON_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?\Z")


def json_cut_short(text: str, error: json.JSONDecodeError) -> bool:
    """Whether ``text``, which ``json.loads`` refused with ``error``, is the start of a valid
    JSON document: a file cut anywhere, not a mistyped one.

    json stops at the first thing it cannot read; the text is cut short when that is its end,
    or the one unfinished token the end cut into: a string (with its escapes), a word such as
    ``tru`` or a number such as ``2.`` or ``1e-`` (json takes the ``2`` and stops at the ``.``).
    """
    rest = text[error.pos :]
    if error.msg.startswith("Invalid control character"):
        return False  # a new line or a tab inside a string: never valid, however it goes on
    if not rest.strip() or error.msg.startswith("Unterminated string"):
        return True  # between two tokens, or inside a string that never ends
    if error.msg.startswith("Invalid \\uXXXX escape"):  # \u00e9 cut after \u00
        return re.fullmatch(r"u[0-9a-fA-F]{0,4}", rest) is not None
    if error.msg == "Expecting value" and any(word.startswith(rest) for word in _JSON_WORDS):
        return True  # tru, nu, -
    number = _JSON_NUMBER.search(text, 0, error.pos)
    if number is None or number.end() != error.pos:
        return False
    fraction, exponent = number.groups()
    if rest == ".":
        return fraction is None and exponent is None
    return exponent is None and re.fullmatch(r"[eE][-+]?", rest) is not None


class _RepeatedKeyError(ValueError):
    pass


def _no_repeated_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object as a dict, refusing a key given twice (JSON would keep the last silently)."""
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _RepeatedKeyError(key)
        result[key] = value
    return result


def history_to_arrays(history: dict[str, list[float]]) -> dict[str, np.ndarray]:
    """The history as float64 arrays, for the checkpoint."""
    return {key: np.asarray(values, dtype=np.float64) for key, values in history.items()}


def history_from_arrays(arrays: dict[str, Any], columns: tuple[str, ...]) -> dict[str, list[float]]:
    """Inverse of :func:`history_to_arrays` (``epoch`` and ``iter`` as ints)."""
    history: dict[str, list[float]] = {}
    for column in columns:
        values = np.atleast_1d(np.asarray(arrays[column], dtype=np.float64)).tolist()
        history[column] = [int(v) for v in values] if column in COUNT_COLUMNS else values
    return history


def format_percent(value: float | None) -> str:
    return "n/a" if value is None or math.isnan(value) else f"{100 * value:.2f}%"
