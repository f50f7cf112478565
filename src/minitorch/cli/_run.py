"""A run folder: where one training run keeps its configuration, checkpoint, metrics and curves.

::

    runs/digits-20260512-101500/
        config.json       the options the run was started with (enough to rebuild it)
        checkpoint.npz    model, optimizer, scheduler, random generators, progress, history
        metrics.csv       one row per finished epoch
        curves.png        loss, accuracy and learning rate per epoch

The checkpoint is written after every epoch and when training is stopped with Ctrl-C, always
through a temporary file and a rename, so the folder always holds a complete, resumable state.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import time
from pathlib import Path
from typing import Any

import numpy as np

from ..serialization import load, save
from ._common import CLIError, display_path, write_text_atomic

CONFIG_FILE = "config.json"
CHECKPOINT_FILE = "checkpoint.npz"
METRICS_FILE = "metrics.csv"
CURVES_FILE = "curves.png"
ARTEFACTS = (CONFIG_FILE, CHECKPOINT_FILE, METRICS_FILE, CURVES_FILE)

RUN_FORMAT = "minitorch-run"
CHECKPOINT_FORMAT = "minitorch-checkpoint"
FORMAT_VERSION = 1

#: Metric columns, in the order of metrics.csv (accuracy columns only for classification).
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


def metric_columns(task: str) -> tuple[str, ...]:
    """The columns of metrics.csv for a ``'classification'`` or ``'regression'`` run."""
    return CLASSIFICATION_COLUMNS if task == "classification" else REGRESSION_COLUMNS


class RunFolder:
    """The files of one run, by name; reading and writing them.

    Parameters
    ----------
    path : Path
        The folder.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def __str__(self) -> str:
        return display_path(self.path)

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
                    continue
                return cls(path)
            raise CLIError(f"could not find a free run folder name next to {base}")

        path = Path(out)
        if path.exists() and not path.is_dir():
            raise CLIError(f"--out {out}: that is a file, not a folder")
        if path.is_dir() and any(path.iterdir()):
            run = cls(path)
            if not run.looks_like_run():
                raise CLIError(
                    f"--out {out}: that folder already holds other files; choose a new or empty "
                    "folder"
                )
            if not overwrite:
                raise CLIError(
                    f"--out {out} already holds a run; continue it with "
                    f"'minitorch train --resume {out}', choose another folder, or pass "
                    "--overwrite to replace it"
                )
            for name in ARTEFACTS:
                (path / name).unlink(missing_ok=True)
        path.mkdir(parents=True, exist_ok=True)
        return cls(path)

    @classmethod
    def open(cls, path_text: str) -> RunFolder:
        """An existing run folder, or a CLIError saying why ``path_text`` is not one."""
        path = Path(path_text)
        if not path.exists():
            raise CLIError(f"run folder {path_text} does not exist")
        if not path.is_dir():
            raise CLIError(f"{path_text} is a file, not a run folder")
        run = cls(path)
        missing = [name for name in (CONFIG_FILE, CHECKPOINT_FILE) if not (path / name).is_file()]
        if missing:
            raise CLIError(
                f"{path_text} is not a run folder: it has no {' or '.join(missing)} "
                "(run folders are made by 'minitorch train')"
            )
        return run

    def looks_like_run(self) -> bool:
        return (self.path / CONFIG_FILE).is_file() or (self.path / CHECKPOINT_FILE).is_file()

    # ------------------------------------------------------------------ configuration
    def write_config(self, config: dict[str, Any]) -> None:
        write_text_atomic(self.path / CONFIG_FILE, json.dumps(config, indent=2) + "\n")

    def read_config(self) -> dict[str, Any]:
        """The run's configuration, checked to be one minitorch wrote."""
        path = self.path / CONFIG_FILE
        try:
            config = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
            raise CLIError(f"{display_path(path)} is not readable JSON: {error}") from None
        if not isinstance(config, dict) or config.get("format") != RUN_FORMAT:
            raise CLIError(
                f"{display_path(path)} is not a minitorch run configuration (made by "
                "'minitorch train')"
            )
        if config.get("version") != FORMAT_VERSION:
            raise CLIError(
                f"{display_path(path)} has format version {config.get('version')!r}; this "
                f"minitorch reads version {FORMAT_VERSION}"
            )
        return config

    # ------------------------------------------------------------------ checkpoint
    def save_checkpoint(self, state: dict[str, Any]) -> None:
        save({"format": CHECKPOINT_FORMAT, "version": FORMAT_VERSION, **state}, self.checkpoint)

    def load_checkpoint(self) -> dict[str, Any]:
        """The checkpoint's contents, or a CLIError if the file is not a minitorch checkpoint."""
        try:
            state = load(self.checkpoint)
        except (OSError, ValueError, KeyError) as error:
            raise CLIError(f"{self.checkpoint_text} could not be read: {error}") from None
        if state.get("format") != CHECKPOINT_FORMAT or state.get("version") != FORMAT_VERSION:
            raise CLIError(f"{self.checkpoint_text} is not a minitorch run checkpoint")
        return state

    @property
    def checkpoint(self) -> Path:
        return self.path / CHECKPOINT_FILE

    @property
    def checkpoint_text(self) -> str:
        return display_path(self.checkpoint)

    # ------------------------------------------------------------------ metrics and curves
    def write_metrics(self, history: dict[str, list[float]], columns: tuple[str, ...]) -> None:
        """Rewrite metrics.csv from the whole history (one row per finished epoch).

        Numbers are written with ``repr``, the shortest text that reads back as the same float,
        so the file holds exactly the values the run computed.
        """
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(columns)
        for row in zip(*(history[column] for column in columns), strict=True):
            writer.writerow(
                [
                    int(value) if column == "epoch" else repr(float(value))
                    for column, value in zip(columns, row, strict=True)
                ]
            )
        write_text_atomic(self.path / METRICS_FILE, buffer.getvalue())

    def write_curves(self, history: dict[str, list[float]], title: str) -> None:
        """Draw curves.png (matplotlib is imported here, only when a run has curves to draw)."""
        from ..viz import plot_history

        curves = {key: values for key, values in history.items() if key != "seconds"}
        target = self.path / CURVES_FILE
        temporary = target.with_name(f".{target.stem}.tmp{target.suffix}")
        try:
            plot_history(curves, title=title, path=temporary)
            os.replace(temporary, target)
        finally:
            temporary.unlink(missing_ok=True)


def history_to_arrays(history: dict[str, list[float]]) -> dict[str, np.ndarray]:
    """The history as float64 arrays, for the checkpoint."""
    return {key: np.asarray(values, dtype=np.float64) for key, values in history.items()}


def history_from_arrays(arrays: dict[str, Any], columns: tuple[str, ...]) -> dict[str, list[float]]:
    """Inverse of :func:`history_to_arrays` (``epoch`` as ints)."""
    history: dict[str, list[float]] = {}
    for column in columns:
        values = np.atleast_1d(np.asarray(arrays[column], dtype=np.float64)).tolist()
        history[column] = [int(v) for v in values] if column == "epoch" else values
    return history


def format_percent(value: float | None) -> str:
    return "n/a" if value is None or math.isnan(value) else f"{100 * value:.2f}%"
