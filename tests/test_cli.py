"""The command-line trainer end to end, in temporary folders, with few epochs.

Most runs call :func:`minitorch.cli.main` in this process (it returns the exit code); the
Ctrl-C test and a few others start ``python -m minitorch`` as a real subprocess.
"""

from __future__ import annotations

import csv
import json
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import minitorch
from idx_folder import write_idx_folder
from minitorch.cli import main
from minitorch.datasets import DATASETS

SMALL = ["--quiet", "--hidden", "32", "--batch-size", "64"]


def train(*args: str) -> int:
    return main(["train", *args])


def read_metrics(run: Path, name: str = "metrics.csv") -> list[dict[str, str]]:
    with open(run / name, newline="") as handle:
        return list(csv.DictReader(handle))


def assert_same_numbers(a, b, where: str = "checkpoint") -> None:
    """Every array and number equal, exactly; wall-clock times (``seconds``) are skipped."""
    if isinstance(a, dict):
        assert isinstance(b, dict) and set(a) == set(b), f"{where}: keys {set(a) ^ set(b)}"
        for key in a:
            if key != "seconds":
                assert_same_numbers(a[key], b[key], f"{where}/{key}")
        return
    a, b = np.asarray(a), np.asarray(b)
    # NaN where both have it (a GPT's row of iteration 0 has no training loss) is equal.
    assert np.array_equal(a, b, equal_nan=a.dtype.kind in "fc"), f"{where} differs"


def assert_same_run(run: Path, reference: Path) -> None:
    """Same checkpoint (weights, optimizer, scheduler, generators, history) and the same
    metrics.csv byte for byte (the times, which differ, are in times.csv)."""
    assert_same_numbers(
        minitorch.load(run / "checkpoint.npz"), minitorch.load(reference / "checkpoint.npz")
    )
    assert len(read_metrics(run)) == len(read_metrics(reference)) > 0
    assert (run / "metrics.csv").read_bytes() == (reference / "metrics.csv").read_bytes()
    counts = [[line.split(",")[0] for line in (r / "times.csv").read_text().splitlines()]
              for r in (run, reference)]  # fmt: skip
    assert counts[0] == counts[1]  # a time for each row of metrics.csv


def state_history(run: Path, column: str) -> list[float]:
    """One column of the history the run's checkpoint holds."""
    return minitorch.load(run / "checkpoint.npz")["history"][column].tolist()


@pytest.fixture(scope="module")
def digits_run(tmp_path_factory) -> Path:
    """A small finished run on the bundled digits: 3 epochs, dropout, a step schedule."""
    run = tmp_path_factory.mktemp("cli") / "digits"
    code = train(
        *SMALL, "--lr", "0.01", "--dropout", "0.1", "--scheduler", "step", "--step-size", "2",
        "--epochs", "3", "--out", str(run),
    )  # fmt: skip
    assert code == 0
    return run


# ---------------------------------------------------------------------- the run folder
def test_train_writes_config_metrics_checkpoint_and_curves(digits_run):
    assert sorted(p.name for p in digits_run.iterdir()) == [
        "checkpoint.npz",
        "config.json",
        "curves.png",
        "metrics.csv",
        "times.csv",
    ]

    config = json.loads((digits_run / "config.json").read_text())
    assert config["dataset"] == "digits" and config["task"] == "classification"
    assert config["hidden"] == [32] and config["epochs"] == 3 and config["dropout"] == 0.1
    assert config["optimizer"] == "adam" and config["optimizer_options"]["lr"] == 0.01
    assert config["scheduler"] == {"name": "step", "step_size": 2, "gamma": 0.1}
    assert (config["train_samples"], config["test_samples"], config["input_dim"]) == (1438, 359, 64)
    assert len(config["classes"]) == 10

    rows = read_metrics(digits_run)
    assert list(rows[0]) == [
        "epoch", "train_loss", "train_accuracy", "test_loss", "test_accuracy", "lr",
    ]  # fmt: skip
    assert [int(row["epoch"]) for row in rows] == [1, 2, 3]
    assert [float(row["lr"]) for row in rows] == pytest.approx([1e-2, 1e-2, 1e-3])
    for row in rows:
        assert 0 < float(row["train_loss"]) < 3 and 0 < float(row["test_loss"]) < 3
        assert 0.5 < float(row["test_accuracy"]) <= 1 and 0.5 < float(row["train_accuracy"]) <= 1
    times = read_metrics(digits_run, "times.csv")  # the wall time of each row, apart
    assert [list(row) for row in times] == [["epoch", "seconds"]] * 3
    assert [int(row["epoch"]) for row in times] == [1, 2, 3]
    assert all(float(row["seconds"]) > 0 for row in times)
    assert [float(row["seconds"]) for row in times] == state_history(digits_run, "seconds")
    assert float(rows[-1]["train_loss"]) < float(rows[0]["train_loss"])
    assert float(rows[-1]["test_accuracy"]) > 0.9

    state = minitorch.load(digits_run / "checkpoint.npz")
    assert state["epoch"] == 3 and state["progress"]["batches"] == 0
    assert state["model"]["0.W"].shape == (64, 32) and state["model"]["3.W"].shape == (32, 10)
    assert state["optimizer"]["optimizer"] == "Adam" and "state" in state["optimizer"]
    assert state["scheduler"]["last_epoch"] == 3
    # The metrics file holds exactly the numbers of the checkpoint's history.
    assert state["history"]["test_accuracy"].tolist() == [
        float(row["test_accuracy"]) for row in rows
    ]


def test_curves_png_is_a_real_image_with_content(digits_run):
    from matplotlib import image

    path = digits_run / "curves.png"
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    pixels = image.imread(path)
    height, width = pixels.shape[:2]
    assert height >= 200 and width >= 400
    rgb = pixels[..., :3].reshape(-1, 3)
    # Not a blank canvas: many colours, and a good share of the pixels are not background.
    assert len(np.unique(np.round(rgb * 255), axis=0)) > 50
    assert np.mean(np.any(rgb < 0.9, axis=1)) > 0.02


def test_train_prints_the_run_folder_and_one_line_per_epoch(tmp_path, capsys):
    run = tmp_path / "run"
    assert train("--hidden", "16", "--epochs", "2", "--out", str(run)) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0].startswith("data:") and "1,438 training and 359 test samples" in lines[0]
    assert "64 -> 16 -> 10" in out and "Adam (lr 0.001)" in out
    folder_lines = [line for line in lines if line.startswith("run folder:")]
    assert len(folder_lines) == 2 and all(str(run) in line for line in folder_lines)
    epoch_lines = [line for line in lines if line.startswith("epoch ")]
    assert len(epoch_lines) == 2
    pattern = (
        r"epoch (\d)/2  train loss \d\.\d{4}  train acc +\d+\.\d\d%  test loss \d\.\d{4}  "
        r"test acc +\d+\.\d\d%  lr 0\.001  \d+\.\d\ds"
    )
    assert [re.fullmatch(pattern, line).group(1) for line in epoch_lines] == ["1", "2"]
    assert re.search(r"done: 2 epochs .*test accuracy \d+\.\d\d%", out)


def test_default_run_reaches_97_percent_on_digits(tmp_path):
    # How long it takes is the benchmarks' business (timings are no test on a shared machine).
    assert train("--quiet", "--out", str(tmp_path / "default")) == 0
    rows = read_metrics(tmp_path / "default")
    assert len(rows) == 20
    assert float(rows[-1]["test_accuracy"]) >= 0.97


def test_default_folder_name_is_dataset_and_time_and_never_reused(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    arguments = ["--dataset", "xor", "--hidden", "4", "--epochs", "1", "--quiet"]
    assert train(*arguments) == 0
    assert train(*arguments) == 0
    runs = sorted((tmp_path / "runs").iterdir())
    assert len(runs) == 2
    for run in runs:
        assert re.fullmatch(r"xor-\d{8}-\d{6}(-\d+)?", run.name)
        assert (run / "checkpoint.npz").is_file()
    out = capsys.readouterr().out
    assert f"run folder: runs/{runs[0].name}" in out


@pytest.fixture(scope="module")
def idx_root(tmp_path_factory) -> Path:
    """Tiny MNIST and Fashion-MNIST folders of IDX files (the data sets read from files)."""
    return write_idx_folder(tmp_path_factory.mktemp("idx"))


@pytest.mark.parametrize("name", list(DATASETS))
def test_every_data_set_trains(name, tmp_path, idx_root):
    run = tmp_path / name
    files = ["--data-root", str(idx_root)] if DATASETS[name].needs_root else []
    assert train(*SMALL, "--dataset", name, *files, "--epochs", "1", "--out", str(run)) == 0
    rows = read_metrics(run)
    assert len(rows) == 1 and np.isfinite(float(rows[0]["test_loss"]))
    if DATASETS[name].task == "regression":
        assert "test_accuracy" not in rows[0]
    else:
        assert 0 <= float(rows[0]["test_accuracy"]) <= 1


@pytest.mark.parametrize(
    "options",
    [
        ["--optimizer", "sgd", "--momentum", "0.5", "--scheduler", "cosine"],
        ["--optimizer", "adamw", "--weight-decay", "0.1", "--scheduler", "exponential"],
        ["--optimizer", "rmsprop", "--scheduler", "multistep", "--milestones", "1"],
        ["--optimizer", "adagrad", "--scheduler", "linear", "--activation", "tanh"],
        ["--hidden", "--activation", "gelu"],  # no hidden layer: softmax regression
    ],
    ids=["sgd-cosine", "adamw-exponential", "rmsprop-multistep", "adagrad-linear", "linear-model"],
)
def test_optimizers_and_schedulers_train_and_checkpoint(options, tmp_path):
    run = tmp_path / "run"
    assert train("--quiet", "--dataset", "moons", "--epochs", "2", *options, "--out", str(run)) == 0
    state = minitorch.load(run / "checkpoint.npz")
    assert state["epoch"] == 2
    config = json.loads((run / "config.json").read_text())
    assert state["optimizer"]["optimizer"].lower() == config["optimizer"]
    assert ("scheduler" in state) == (config["scheduler"]["name"] != "none")


# ---------------------------------------------------------------------- evaluate
def test_evaluate_reports_accuracy_and_confusion_matrix(digits_run, capsys):
    assert main(["evaluate", str(digits_run)]) == 0
    out = capsys.readouterr().out
    final = float(read_metrics(digits_run)[-1]["test_accuracy"])
    match = re.search(r"accuracy: +(\d+\.\d\d)% \((\d+) of 359 correct\)", out)
    assert match and float(match.group(1)) == pytest.approx(100 * final, abs=0.005)

    rows = [line for line in out.splitlines() if re.match(r"\d - \w+ ", line)]
    assert len(rows) == 10
    matrix = np.array([[int(v) for v in row.split()[3:13]] for row in rows])
    assert matrix.sum() == 359
    assert np.trace(matrix) == int(match.group(2)) == round(final * 359)


def test_evaluate_on_the_training_split(digits_run, capsys):
    assert main(["evaluate", str(digits_run), "--split", "train"]) == 0
    out = capsys.readouterr().out
    assert "train set:   1,438 samples" in out and "of 1,438 correct" in out


def test_regression_runs_report_mse(tmp_path, capsys):
    run = tmp_path / "sine"
    arguments = ["--dataset", "sine", "--hidden", "16", "--activation", "tanh", "--epochs", "2"]
    assert train(*arguments, "--out", str(run)) == 0
    out = capsys.readouterr().out
    assert "train mse" in out and "test mse" in out and "acc" not in out
    rows = read_metrics(run)
    assert list(rows[0]) == ["epoch", "train_loss", "test_loss", "lr"]
    assert main(["evaluate", str(run)]) == 0
    out = capsys.readouterr().out
    mse = float(re.search(r"mse: +(\S+)", out).group(1))
    assert mse == pytest.approx(float(rows[-1]["test_loss"]), rel=1e-5)
    assert "confusion" not in out


# ---------------------------------------------------------------------- resume
RESUMABLE = [
    "--quiet", "--hidden", "32", "16", "--dropout", "0.2", "--optimizer", "sgd",
    "--batch-size", "50", "--scheduler", "step", "--step-size", "2", "--gamma", "0.5",
]  # fmt: skip


def test_resume_ends_exactly_where_an_uninterrupted_run_ends(tmp_path):
    uninterrupted, resumed = tmp_path / "uninterrupted", tmp_path / "resumed"
    assert train(*RESUMABLE, "--epochs", "4", "--out", str(uninterrupted)) == 0
    assert train(*RESUMABLE, "--epochs", "2", "--out", str(resumed)) == 0
    minitorch.manual_seed(123)  # the resumed run must not depend on the global state it finds
    assert train("--resume", str(resumed), "--epochs", "4", "--quiet") == 0
    assert_same_run(resumed, uninterrupted)
    assert json.loads((resumed / "config.json").read_text())["epochs"] == 4


def test_resume_of_a_finished_run_does_nothing(digits_run, capsys):
    before = (digits_run / "checkpoint.npz").read_bytes()
    assert train("--resume", str(digits_run)) == 0
    assert "has finished its 3 epochs" in capsys.readouterr().out
    assert (digits_run / "checkpoint.npz").read_bytes() == before


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT cannot be sent to a process there")
def test_ctrl_c_saves_a_checkpoint_that_resumes_exactly(tmp_path):
    # Batches of 2 on MNIST-5k: 2,000 batches, about a second per epoch, so the signal sent
    # shortly after training starts lands inside the first epoch.
    options = ["--dataset", "mnist5k", "--hidden", "32", "--dropout", "0.1", "--batch-size", "2"]
    run = tmp_path / "interrupted"
    command = [sys.executable, "-m", "minitorch", "train", *options, "--epochs", "50"]
    process = subprocess.Popen(
        [*command, "--quiet", "--out", str(run)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        # The run folder becomes a resumable run (initial checkpoint) just before training.
        while not (run / "checkpoint.npz").exists():
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, "the trainer did not start"
            time.sleep(0.01)
        time.sleep(0.3)
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=60)
    finally:
        process.kill()
    assert process.returncode == 130, err
    assert "Traceback" not in err
    assert "stopped by SIGINT in epoch 1 after batch" in out
    assert f"train --resume {run}" in out

    state = minitorch.load(run / "checkpoint.npz")
    assert state["epoch"] == 0 and state["progress"]["batches"] > 0  # stopped mid-epoch
    assert train("--resume", str(run), "--epochs", "1", "--quiet") == 0
    reference = tmp_path / "reference"
    assert train(*options, "--epochs", "1", "--quiet", "--out", str(reference)) == 0
    assert_same_run(run, reference)


# ---------------------------------------------------------------------- mistakes and help
def one_error_line(capsys) -> str:
    captured = capsys.readouterr()
    lines = captured.err.splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith("minitorch: error: ") and "Traceback" not in captured.err
    return lines[0]


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        (["train", "--dataset", "digit"], "unknown data set 'digit' (did you mean 'digits'?)"),
        (["train", "--lr", "-0.1"], "--lr: must be a positive number"),
        (["train", "--epochs", "0"], "--epochs: must be a positive whole number"),
        (["train", "--dropout", "1.5"], "--dropout: must be a number at least 0 and below 1"),
        (["train", "--activation", "rleu"], "unknown activation 'rleu' (did you mean 'relu'?)"),
        (["train", "--learning-rate", "0.1"], "did you mean --lr?"),
        (["train", "--noise", "0.1"], "--noise does not apply to the digits data set"),
        (["train", "--momentum", "0.9"], "--momentum applies to sgd and rmsprop, not to adam"),
        (["train", "--gamma", "0.5"], "--gamma applies to --scheduler step or multistep"),
        (["evaluate", "{missing}"], "does not exist"),
        (["evaluate", "{not_a_run}"], "is not a run folder"),
        (["train", "--resume", "{not_a_run}"], "is not a run folder"),
        (["train", "--resume", "{run}", "--lr", "0.1"], "--lr cannot be given"),
        (["train", "--resume", "{run}", "--epochs", "2"], "--epochs must be at least 3"),
        (["train", "--out", "{run}"], "already holds a run"),
        (["train", "--out", "{not_a_run}"], "already holds other files"),
        (["frobnicate"], "invalid choice: 'frobnicate'"),
    ],
)
def test_mistakes_get_one_clear_line_and_exit_code_2(
    arguments, expected, digits_run, tmp_path, capsys
):
    not_a_run = tmp_path / "photos"
    not_a_run.mkdir()
    (not_a_run / "cat.jpg").write_bytes(b"")
    places = {"missing": tmp_path / "nowhere", "not_a_run": not_a_run, "run": digits_run}
    arguments = [a.format(**places) for a in arguments]
    assert main(arguments) == 2
    assert expected in one_error_line(capsys)


def test_a_damaged_checkpoint_is_reported_in_one_line(tmp_path, capsys):
    run = tmp_path / "run"
    assert (
        train("--dataset", "xor", "--hidden", "4", "--epochs", "1", "--quiet", "--out", str(run))
        == 0
    )
    capsys.readouterr()
    (run / "checkpoint.npz").write_bytes(b"not an npz file")
    assert main(["evaluate", str(run)]) == 2
    line = one_error_line(capsys)
    assert "checkpoint.npz is not a checkpoint" in line and "restore it from a copy" in line


def test_overwrite_replaces_a_run_only_when_asked(tmp_path):
    run = tmp_path / "run"
    arguments = ["--dataset", "xor", "--hidden", "4", "--quiet", "--out", str(run)]
    assert train(*arguments, "--epochs", "1") == 0
    assert train(*arguments, "--epochs", "2") == 2
    assert len(read_metrics(run)) == 1
    assert train(*arguments, "--epochs", "2", "--overwrite") == 0
    assert len(read_metrics(run)) == 2


def test_help_explains_commands_and_options(capsys):
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for word in ("train", "evaluate", "datasets", "examples:", "run folder"):
        assert word in out
    assert main(["train", "--help"]) == 0
    out = capsys.readouterr().out
    for name in DATASETS:
        assert name in out
    for option in ("--hidden", "--activation", "--optimizer", "--lr", "--epochs", "--batch-size",
                   "--scheduler", "--seed", "--out", "--resume", "Ctrl-C"):  # fmt: skip
        assert option in out
    assert main([]) == 2  # no command: the help, and a usage exit code
    assert "COMMAND" in capsys.readouterr().out


def test_datasets_lists_every_data_set(capsys):
    assert main(["datasets"]) == 0
    out = capsys.readouterr().out
    for name, info in DATASETS.items():
        assert re.search(rf"^{name} +{info.task}", out, re.MULTILINE)
        models = "mlp|cnn" if info.image_shape else "mlp"
        options = "options: .*--data-root DIR --download" if info.needs_root else ""
        assert re.search(rf"^{name} .*\n +--model {re.escape(models)}.*{options}", out, re.M)
    assert re.search(r"^shakespeare +language model .*\n +--model gpt\|lstm\|gru\|rnn$", out, re.M)


def test_python_dash_m_minitorch_reports_a_mistake_without_a_traceback():
    result = subprocess.run(
        [sys.executable, "-m", "minitorch", "train", "--dataset", "imagenet"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.startswith("minitorch: error: ") and result.stderr.count("\n") == 1
    assert "unknown data set 'imagenet'" in result.stderr
