"""A run's metrics files: metrics.csv holds only what the run computes (identical runs write it
byte for byte), times.csv the seconds of each row, and a GPT run's first row is iteration 0."""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

import pytest

import minitorch
from minitorch import viz
from minitorch.cli import main
from minitorch.cli._gpt import GPTTask
from test_cli import assert_same_run, read_metrics

TINY_GPT = [
    "--model", "gpt", "--n-layer", "1", "--n-head", "2", "--n-embd", "16", "--block-size", "16",
    "--batch-size", "4", "--eval-batches", "3", "--warmup-iters", "1", "--quiet",
]  # fmt: skip


def train(*args: str) -> int:
    return main(["train", *args])


#: name -> (arguments of a short run, its metrics.csv's first column)
IDENTICAL_RUNS = {
    "mlp by epochs": (
        ["--hidden", "16", "--batch-size", "200", "--dropout", "0.1", "--epochs", "2", "--quiet"],
        ["1", "2"],
    ),
    "cnn by epochs": (
        ["--model", "cnn", "--channels", "2", "3", "--hidden", "8", "--epochs", "1", "--quiet"],
        ["1"],
    ),
    "gpt by iterations": (
        [*TINY_GPT, "--dropout", "0.1", "--iters", "6", "--eval-interval", "4"],
        ["0", "4", "6"],
    ),
}


@pytest.mark.parametrize(
    ("arguments", "counts"), list(IDENTICAL_RUNS.values()), ids=list(IDENTICAL_RUNS)
)
def test_two_identical_runs_write_the_same_metrics_csv_byte_for_byte(arguments, counts, tmp_path):
    first, second = tmp_path / "first", tmp_path / "second"
    assert train(*arguments, "--out", str(first)) == 0
    minitorch.manual_seed(1234)  # the run must not depend on the global state it finds
    assert train(*arguments, "--out", str(second)) == 0
    assert (first / "metrics.csv").read_bytes() == (second / "metrics.csv").read_bytes()
    count = "iter" if "gpt" in arguments else "epoch"
    assert [row[count] for row in read_metrics(first)] == counts
    assert "seconds" not in read_metrics(first)[0]
    # The times are kept, apart: one row per row of metrics.csv, as the checkpoint holds them.
    for run in (first, second):
        times = read_metrics(run, "times.csv")
        assert [list(row) for row in times] == [[count, "seconds"]] * len(counts)
        assert [row[count] for row in times] == counts
        history = minitorch.load(run / "checkpoint.npz")["history"]
        assert [float(row["seconds"]) for row in times] == history["seconds"].tolist()
        assert all(float(row["seconds"]) > 0 for row in times)


def test_a_gpt_run_shorter_than_its_interval_plots_two_points(tmp_path, monkeypatch):
    figures = []
    real = viz.plot_history

    def recording(*args, **kwargs):
        figures.append(real(*args, **kwargs))
        return figures[-1]

    monkeypatch.setattr(viz, "plot_history", recording)
    run = tmp_path / "short"
    assert train(*TINY_GPT, "--iters", "3", "--eval-interval", "5", "--out", str(run)) == 0
    assert [row["iter"] for row in read_metrics(run)] == ["0", "3"]
    assert (run / "curves.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    (figure,) = figures
    lines = {line.get_label(): line for ax in figure.axes for line in ax.get_lines()}
    val = lines["val_loss"]
    assert list(val.get_xdata()) == [0, 3]  # a line, not a lone point
    assert val.get_ydata()[1] < val.get_ydata()[0]  # the untrained model's loss, then lower
    assert list(lines["train_loss"].get_xdata()) == [3]  # no training loss before training


@pytest.fixture(scope="module")
def whole_gpt_run(tmp_path_factory) -> Path:
    run = tmp_path_factory.mktemp("gpt") / "whole"
    assert train(*TINY_GPT, "--dropout", "0.1", "--iters", "6", "--eval-interval", "4",
                 "--out", str(run)) == 0  # fmt: skip
    return run


def _stop_after_iteration_0(monkeypatch, how: str) -> None:
    """Ctrl-C during the evaluation of iteration 0: once (a stop after it) or twice (at once,
    before its row is saved: the folder keeps the checkpoint of the start)."""
    real = GPTTask.evaluate_start

    def evaluate_start(self):
        if how == "twice":
            raise KeyboardInterrupt
        row = real(self)
        os.kill(os.getpid(), signal.SIGINT)
        return row

    monkeypatch.setattr(GPTTask, "evaluate_start", evaluate_start)


#: name -> (how the run is stopped, its exit code, rows of metrics.csv left)
STOPS_AT_ITERATION_0 = {
    "a stop after the row of iteration 0": ("once", 130, ["0"]),
    "a second Ctrl-C before it is saved": ("twice", 130, []),
}


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT cannot be sent to a process there")
@pytest.mark.parametrize(
    ("how", "code", "rows"), list(STOPS_AT_ITERATION_0.values()), ids=list(STOPS_AT_ITERATION_0)
)
def test_a_run_stopped_at_iteration_0_resumes_without_a_lost_or_repeated_row(
    how, code, rows, whole_gpt_run, tmp_path, monkeypatch, capsys
):
    run = tmp_path / "stopped"
    with monkeypatch.context() as patch:
        _stop_after_iteration_0(patch, how)
        assert train(*TINY_GPT, "--dropout", "0.1", "--iters", "6", "--eval-interval", "4",
                     "--out", str(run)) == code  # fmt: skip
    assert [row["iter"] for row in read_metrics(run)] == rows
    assert minitorch.load(run / "checkpoint.npz")["iter"] == 0
    capsys.readouterr()
    assert train("--resume", str(run), "--quiet") == 0
    assert [row["iter"] for row in read_metrics(run)] == ["0", "4", "6"]
    assert_same_run(run, whole_gpt_run)
