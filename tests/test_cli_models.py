"""The trainer's models: ``--model mlp|cnn|gpt``, the MNIST files, ``minitorch sample``.

Every model trains on a data set it fits, writes its run folder, evaluates and resumes exactly
(tiny configurations, a few epochs or iterations). The GPT's resume, from a stop half-way
between two evaluations, ends bit for bit where an uninterrupted run ends; ``sample``
reproduces its text from a seed. The new settings of config.json and of a GPT's checkpoint are
checked as the MLP's are: one line naming the key, the rule and the value. The data sets read
from files are served from a tiny folder of IDX files (tests/idx_folder.py), never the network.
The full 2,000-iteration recipe is a ``slow`` test, left out of the default run.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import minitorch
from idx_folder import write_idx_folder
from minitorch.cli import _trainer as train_module
from minitorch.cli import main
from minitorch.cli._options import SAMPLE_DEFAULTS
from minitorch.cli._run import RunFolder
from minitorch.cli._setup import TEXT_DATASETS
from test_cli import assert_same_run, read_metrics

#: A GPT small enough to train a dozen iterations in a fraction of a second.
TINY_GPT = [
    "--model", "gpt", "--n-layer", "1", "--n-head", "2", "--n-embd", "16", "--block-size", "16",
    "--batch-size", "4", "--eval-batches", "3", "--warmup-iters", "3", "--quiet",
]  # fmt: skip
TINY_CNN = ["--model", "cnn", "--channels", "2", "3", "--hidden", "8", "--quiet"]


def train(*args: str) -> int:
    return main(["train", *args])


def one_error_line(capsys) -> str:
    captured = capsys.readouterr()
    lines = captured.err.splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith("minitorch: error: ") and "Traceback" not in captured.err
    return lines[0]


@pytest.fixture(scope="module")
def idx_root(tmp_path_factory) -> Path:
    return write_idx_folder(tmp_path_factory.mktemp("idx"))


def _placeholder_curves(self, history, title) -> None:
    (self.path / "curves.png").write_bytes(b"curves")


@pytest.fixture(autouse=True)
def _quick_curves(monkeypatch):
    """Drawing curves.png takes most of a tiny run's time (matplotlib's layout): these tests
    write a placeholder. test_cli.py checks the real image of an MLP run, and the GPT run of
    :func:`gpt_run` draws its own."""
    monkeypatch.setattr(RunFolder, "write_curves", _placeholder_curves)


@pytest.fixture(scope="module")
def quick_curves():
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(RunFolder, "write_curves", _placeholder_curves)
        yield


# ====================================================================== every model trains
#: name -> (arguments of a short run, the extra arguments that make it longer, rows of each)
MODEL_RUNS: dict[str, tuple[list[str], list[str], list[str], int, int]] = {
    "mlp on digits": (
        ["--hidden", "16", "--batch-size", "200", "--dropout", "0.1", "--quiet"],
        ["--epochs", "1"],
        ["--epochs", "3"],
        1,
        3,
    ),
    "cnn on digits": (
        [*TINY_CNN, "--batch-size", "200"],
        ["--epochs", "1"],
        ["--epochs", "2"],
        1,
        2,
    ),
    "cnn with batch norm and dropout on digits": (
        [*TINY_CNN, "--batch-norm", "--dropout", "0.2", "--batch-size", "300"],
        ["--epochs", "1"],
        ["--epochs", "2"],
        1,
        2,
    ),
    "cnn on mnist files": (
        [*TINY_CNN, "--dataset", "mnist", "--data-root", "{idx}", "--batch-size", "25"],
        ["--epochs", "1"],
        ["--epochs", "2"],
        1,
        2,
    ),
    "mlp on fashion-mnist files": (
        ["--dataset", "fashion-mnist", "--data-root", "{idx}", "--hidden", "8", "--quiet"],
        ["--epochs", "1"],
        ["--epochs", "2"],
        1,
        2,
    ),
    "gpt on shakespeare": (
        [*TINY_GPT, "--eval-interval", "4", "--warmup-iters", "0", "--min-lr", "0.001"],
        ["--iters", "8"],
        ["--iters", "10"],
        3,
        4,
    ),
}


@pytest.mark.parametrize(
    ("arguments", "short", "long", "short_rows", "long_rows"),
    list(MODEL_RUNS.values()),
    ids=list(MODEL_RUNS),
)
def test_each_model_trains_writes_its_folder_evaluates_and_resumes_exactly(
    arguments, short, long, short_rows, long_rows, idx_root, tmp_path, capsys
):
    arguments = [a.format(idx=idx_root) for a in arguments]
    whole, resumed = tmp_path / "whole", tmp_path / "resumed"
    assert train(*arguments, *long, "--out", str(whole)) == 0
    assert sorted(p.name for p in whole.iterdir()) == [
        "checkpoint.npz",
        "config.json",
        "curves.png",
        "metrics.csv",
        "times.csv",
    ]
    assert len(read_metrics(whole)) == long_rows
    assert main(["evaluate", str(whole)]) == 0
    assert re.search(
        r"(accuracy: +\d|loss: +\d\.\d{4} \(cross-entropy, nats)", capsys.readouterr().out
    )

    # A shorter run continued with --resume to the same length ends where the whole one ends
    # (the GPT's constant learning rate keeps the schedule the same for both lengths).
    assert train(*arguments, *short, "--out", str(resumed)) == 0
    assert len(read_metrics(resumed)) == short_rows
    minitorch.manual_seed(321)  # the resumed run must not depend on the global state it finds
    assert train("--resume", str(resumed), *long, "--quiet") == 0
    assert_same_run(resumed, whole)


def test_the_cnn_is_lenet_on_28x28_images_and_fits_8x8_digits(tmp_path, capsys):
    assert (
        train(
            "--model", "cnn", "--epochs", "1", "--batch-size", "500", "--out", str(tmp_path / "c")
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "images of 1x8x8" in out
    assert "conv 3x3 1->6, pool, conv 3x3 6->16, pool, 64 -> 120 -> 10, ReLU" in out
    config = json.loads((tmp_path / "c" / "config.json").read_text())
    assert config["model"] == "cnn" and config["channels"] == [6, 16] and config["hidden"] == [120]
    state = minitorch.load(tmp_path / "c" / "checkpoint.npz")
    assert state["model"]["0.W"].shape == (6, 1, 3, 3) and state["model"]["3.W"].shape == (
        16,
        6,
        3,
        3,
    )

    from minitorch.models import build_cnn

    lenet = build_cnn((1, 28, 28), [6, 16], [120], 10, batch_norm=True)
    kinds = [type(layer).__name__ for layer in lenet]
    assert kinds == [
        "Conv2d",
        "BatchNorm2d",
        "ReLU",
        "MaxPool2d",
        "Conv2d",
        "BatchNorm2d",
        "ReLU",
        "MaxPool2d",
        "Flatten",
        "Linear",
        "ReLU",
        "Linear",
    ]
    assert (lenet[0].kernel_size, lenet[0].padding, lenet[4].padding) == ((5, 5), (2, 2), (0, 0))
    assert lenet[9].input_dim == 16 * 5 * 5
    assert lenet(np.zeros((3, 1, 28, 28), np.float32)).shape == (3, 10)


def test_a_cnn_run_stopped_mid_epoch_resumes_bit_for_bit(tmp_path, capsys):
    options = [
        *TINY_CNN,
        "--batch-norm",
        "--dropout",
        "0.1",
        "--batch-size",
        "300",
        "--epochs",
        "2",
    ]
    reference, stopped = tmp_path / "reference", tmp_path / "stopped"
    assert train(*options, "--out", str(reference)) == 0
    with stopping_after(6):  # asked after batches 1-4 of epoch 1, then 1-2 of epoch 2
        assert train(*options, "--out", str(stopped)) == 130
    out = capsys.readouterr().out
    assert "stopped by SIGINT in epoch 2 after batch 2 of 5; checkpoint saved" in out
    assert train("--resume", str(stopped), "--quiet") == 0
    assert_same_run(stopped, reference)


@contextlib.contextmanager
def stopping_after(asks: int):
    """Ctrl-C, in this process: the stop request comes true at its ``asks``-th question."""
    count = [0]

    def is_requested(self) -> bool:
        count[0] += 1
        if count[0] >= asks:
            self.signal_number = signal.SIGINT
        return self.requested

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(train_module.StopRequest, "is_requested", is_requested)
        yield


# ====================================================================== GPT
GPT_RUN = [*TINY_GPT, "--eval-interval", "5", "--iters", "12"]


@pytest.fixture(scope="module")
def gpt_run(tmp_path_factory) -> Path:
    """A tiny finished GPT run of 12 iterations, evaluated at 0 (before training), 5, 10 and 12."""
    run = tmp_path_factory.mktemp("gpt") / "run"
    assert train(*GPT_RUN, "--dropout", "0.1", "--out", str(run)) == 0
    return run


def test_a_gpt_run_records_its_recipe_metrics_and_checkpoint(gpt_run):
    config = json.loads((gpt_run / "config.json").read_text())
    assert config["model"] == "gpt" and config["dataset"] == "shakespeare"
    assert config["optimizer"] == "adamw" and config["tie_weights"] is True
    assert config["optimizer_options"] == {"lr": 0.001, "betas": [0.9, 0.99], "weight_decay": 0.1}
    assert config["scheduler"] == {
        "name": "warmup_cosine",
        "warmup_iters": 3,
        "decay_iters": 12,
        "min_lr": 0.0001,
    }
    assert (config["grad_clip"], config["vocab_size"], config["task"]) == (
        1.0,
        65,
        "language model",
    )
    assert (config["train_characters"], config["val_characters"]) == (1_003_854, 111_540)

    rows = read_metrics(gpt_run)
    assert list(rows[0]) == ["iter", "train_loss", "val_loss", "lr"]
    assert [row["iter"] for row in rows] == ["0", "5", "10", "12"]
    assert all(3.0 < float(row["val_loss"]) < 4.5 for row in rows)
    # Before training (iteration 0, as nanoGPT's first evaluation): the untrained model's
    # validation loss, near ln 65 (uniform over the characters), and no batch trained yet.
    assert float(rows[0]["val_loss"]) == pytest.approx(np.log(65), abs=0.05)
    assert (rows[0]["train_loss"], rows[0]["lr"]) == ("nan", "nan")
    # The learning rate of the last iteration of each interval: warm-up, cosine, the minimum.
    from minitorch.optim.lr_scheduler import WarmupCosineLR

    schedule = {"min_lr": 1e-4, "warmup_iters": 3, "lr_decay_iters": 11}  # iterations from 0
    assert [float(row["lr"]) for row in rows[1:]] == [
        WarmupCosineLR.lr_at(s - 1, 1e-3, **schedule) for s in (5, 10, 12)
    ]
    assert float(rows[-1]["lr"]) == 1e-4
    times = read_metrics(gpt_run, "times.csv")
    assert [(row["iter"], float(row["seconds"]) > 0) for row in times] == [
        ("0", True), ("5", True), ("10", True), ("12", True)
    ]  # fmt: skip

    state = minitorch.load(gpt_run / "checkpoint.npz")
    assert state["iter"] == 12 and state["progress"]["steps"] == 0
    assert set(state["optimizers"]) == {"adamw"}  # one AdamW, nanoGPT's two groups
    decay, no_decay = (state["optimizers"]["adamw"]["param_groups"][g] for g in ("0", "1"))
    assert decay["weight_decay"] == 0.1 and np.asarray(decay["betas"]).tolist() == [0.9, 0.99]
    assert no_decay["weight_decay"] == 0.0
    assert "head.W" not in state["model"]  # tied: the head reads wte.W

    from matplotlib import image  # the curves against the iterations: a real picture

    pixels = image.imread(gpt_run / "curves.png")
    assert pixels.shape[0] >= 200 and pixels.shape[1] >= 400
    assert len(np.unique(np.round(pixels[..., :3].reshape(-1, 3) * 255), axis=0)) > 50


def test_the_gpt_defaults_are_nanogpts_cpu_recipe():
    from minitorch.cli._gpt import new_gpt_config
    from minitorch.cli._options import build_parser, parse

    args = parse(build_parser(), ["train", "--model", "gpt"])
    config = new_gpt_config(args, ["train", "--model", "gpt"])
    assert {k: config[k] for k in ("n_layer", "n_head", "n_embd", "block_size", "batch_size")} == {
        "n_layer": 4,
        "n_head": 4,
        "n_embd": 128,
        "block_size": 64,
        "batch_size": 12,
    }
    assert (config["iters"], config["dropout"], config["grad_clip"]) == (2000, 0.0, 1.0)
    assert config["optimizer_options"] == {"lr": 1e-3, "betas": [0.9, 0.99], "weight_decay": 0.1}
    assert config["scheduler"] == {
        "name": "warmup_cosine",
        "warmup_iters": 100,
        "decay_iters": 2000,
        "min_lr": 1e-4,
    }
    assert (config["eval_interval"], config["eval_batches"], config["tie_weights"]) == (
        250,
        200,
        True,
    )


def test_a_gpt_run_stopped_between_evaluations_resumes_bit_for_bit(gpt_run, tmp_path, capsys):
    stopped = tmp_path / "stopped"
    with stopping_after(6):  # asked after iterations 1-4, then 6, 7: two after evaluating
        assert train(*GPT_RUN, "--dropout", "0.1", "--out", str(stopped)) == 130
    out = capsys.readouterr().out
    assert "stopped by SIGINT after iteration 7 of 12; checkpoint saved" in out
    assert f"continue with: minitorch train --resume {stopped}" in out
    state = minitorch.load(stopped / "checkpoint.npz")
    assert (state["iter"], state["progress"]["steps"], len(read_metrics(stopped))) == (7, 2, 2)

    assert main(["evaluate", str(stopped)]) == 0  # a stopped run can be evaluated ...
    assert "after iteration 7 of 12" in capsys.readouterr().out
    minitorch.manual_seed(99)
    assert train("--resume", str(stopped), "--quiet") == 0  # ... and finished
    assert_same_run(stopped, gpt_run)


def test_a_finished_gpt_run_is_left_alone_and_can_be_lengthened(gpt_run, tmp_path, capsys):
    run = tmp_path / "run"
    shutil.copytree(gpt_run, run)
    before = (run / "checkpoint.npz").read_bytes()
    assert train("--resume", str(run)) == 0
    assert "has finished its 12 iterations" in capsys.readouterr().out
    assert (run / "checkpoint.npz").read_bytes() == before
    assert train("--resume", str(run), "--iters", "14") == 0
    out = capsys.readouterr().out
    assert "the learning rate keeps its schedule from the start" in out
    assert re.search(r"iter 14/14  train loss \d\.\d{4}  val loss \d\.\d{4}  lr 0\.0001", out)
    assert [row["iter"] for row in read_metrics(run)] == ["0", "5", "10", "12", "14"]
    assert json.loads((run / "config.json").read_text())["iters"] == 14


def test_the_gpt_run_prints_its_recipe_and_one_line_per_evaluation(tmp_path, capsys):
    options = [a for a in GPT_RUN if a != "--quiet"]
    assert train(*options, "--out", str(tmp_path / "g")) == 0
    out = capsys.readouterr().out
    assert "shakespeare: 1,003,854 training and 111,540 validation characters, 65 distinct" in out
    assert "GPT 1 layer, 2 heads, 16 features, context 16, tied embedding and head" in out
    assert (
        "AdamW (lr 0.001, betas 0.9/0.99, weight decay 0.1 on matrices), warm-up 3 then cosine "
        "to 0.0001 at iteration 12, clipping 1" in out
    )
    assert (
        "before training, then every 5 iterations, on 12 fixed validation windows (3 batches); "
        "train loss: the running mean of the batch losses since the previous evaluation" in out
    )
    lines = [line for line in out.splitlines() if line.startswith("iter ")]
    assert re.fullmatch(r"iter  0/12  val loss \d\.\d{4}  before training  \d+\.\d\ds", lines[0])
    pattern = r"iter +(\d+)/12  train loss \d\.\d{4}  val loss \d\.\d{4}  lr \S+  \d+\.\d\ds"
    assert [re.fullmatch(pattern, line).group(1) for line in lines[1:]] == ["5", "10", "12"]
    assert re.search(r"done: 12 iterations \(\d+\.\ds\); val loss \d\.\d{4}", out)
    assert f"next: minitorch sample {tmp_path / 'g'}" in out


def test_evaluate_reports_a_gpt_runs_loss_and_the_unigram_baseline(gpt_run, capsys):
    assert main(["evaluate", str(gpt_run)]) == 0
    out = capsys.readouterr().out
    loss = float(re.search(r"loss: +(\d\.\d{4}) \(cross-entropy", out).group(1))
    assert loss == pytest.approx(float(read_metrics(gpt_run)[-1]["val_loss"]), abs=1e-4)
    assert "split:      validation, 111,540 characters; measured on 12 fixed windows of 16" in out
    assert re.search(r"baseline: +3\.\d{4} \(character frequencies alone", out)
    assert main(["evaluate", str(gpt_run), "--split", "train"]) == 0
    assert "split:      training, 1,003,854 characters" in capsys.readouterr().out


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT cannot be sent to a process there")
def test_a_real_ctrl_c_stops_a_gpt_run_that_then_resumes_exactly(tmp_path):
    # A constant learning rate (no warm-up, min_lr = lr) makes the schedule the same whatever
    # the number of iterations, so a reference run of exactly as many iterations can be made.
    options = [*TINY_GPT, "--warmup-iters", "0", "--min-lr", "0.001", "--eval-interval", "50"]
    run = tmp_path / "interrupted"
    command = [sys.executable, "-m", "minitorch", "train", *options, "--iters", "1000000"]
    process = subprocess.Popen(
        [*command, "--out", str(run)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        deadline = time.monotonic() + 60
        # Training has begun once the row of iteration 0 (before training) is written.
        while not (run / "metrics.csv").is_file() or not read_metrics(run):
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, "the trainer did not start"
            time.sleep(0.01)
        time.sleep(0.2)
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=60)
    finally:
        process.kill()
    assert process.returncode == 130, err
    assert "Traceback" not in err
    done = int(re.search(r"stopped by SIGINT after iteration (\d+) of 1000000", out).group(1))
    assert done > 0
    target = str(done + 3)
    assert train("--resume", str(run), "--iters", target, "--quiet") == 0
    reference = tmp_path / "reference"
    assert train(*options, "--iters", target, "--out", str(reference)) == 0
    assert_same_run(run, reference)


# ====================================================================== sample
def sample(run: Path, *args: str) -> int:
    return main(["sample", str(run), *args])


def test_sample_writes_the_prompt_and_its_continuation_reproducibly(gpt_run, capsys):
    assert sample(gpt_run, "--prompt", "ROMEO:", "--tokens", "40", "--seed", "3") == 0
    first = capsys.readouterr().out
    assert first.startswith("ROMEO:") and len(first) == len("ROMEO:") + 40 + 1
    vocabulary = set(TEXT_DATASETS["shakespeare"].source(train=True).vocab.chars)
    assert set(first[:-1]) <= vocabulary
    assert sample(gpt_run, "--prompt", "ROMEO:", "--tokens", "40", "--seed", "3") == 0
    assert capsys.readouterr().out == first  # the same seed, the same text
    assert sample(gpt_run, "--prompt", "ROMEO:", "--tokens", "40", "--seed", "4") == 0
    assert capsys.readouterr().out != first
    # Defaults: a new line as the prompt (as nanoGPT), 300 characters, temperature 0.8,
    # top-k 40, seed 0.
    assert SAMPLE_DEFAULTS == {
        "prompt": "\n", "tokens": 300, "temperature": 0.8, "top_k": 40, "seed": 0,
    }  # fmt: skip
    assert sample(gpt_run) == 0
    text = capsys.readouterr().out
    assert text.startswith("\n") and len(text) == 1 + 300 + 1
    assert sample(gpt_run, "--tokens", "0", "--prompt", "Hi") == 0
    assert capsys.readouterr().out == "Hi\n"


def test_sample_draws_from_minitorchs_generator_as_gpt_generate_does(gpt_run, capsys):
    from minitorch.models import GPT

    config = json.loads((gpt_run / "config.json").read_text())
    vocab = TEXT_DATASETS["shakespeare"].source(train=True).vocab
    model = GPT(65, 16, 1, 2, 16, tie_weights=True, bias=config["bias"])
    model.load_state_dict(minitorch.load(gpt_run / "checkpoint.npz")["model"])
    minitorch.manual_seed(5)
    ids = model.generate(vocab.encode("KING")[None], 25, temperature=0.5, top_k=10)
    assert config["block_size"] == 16
    args = ["--prompt", "KING", "--tokens", "25", "--temperature", "0.5", "--top-k", "10"]
    assert sample(gpt_run, *args, "--seed", "5") == 0
    assert capsys.readouterr().out == vocab.decode(ids[0]) + "\n"


@pytest.fixture(scope="module")
def mlp_run(tmp_path_factory, quick_curves) -> Path:
    run = tmp_path_factory.mktemp("mlp") / "xor"
    assert (
        train("--dataset", "xor", "--hidden", "4", "--epochs", "1", "--quiet", "--out", str(run))
        == 0
    )
    return run


#: name -> (the run ("gpt" or "mlp"), arguments after it, phrase of the error line)
SAMPLE_MISTAKES: dict[str, tuple[str, list[str], str]] = {
    "not a GPT run": (
        "mlp",
        [],
        "is an MLP run on xor; 'minitorch sample' writes text with a language model's run",
    ),
    "characters it never saw": (
        "gpt",
        ["--prompt", "Hé, ROMEO\t{é}"],
        "--prompt has 4 character(s) the model never saw: 'é' (U+00E9), '\\t' (U+0009), "
        "'{' (U+007B), '}' (U+007D); it knows only the 65 characters of shakespeare",
    ),
    "bytes that are not UTF-8": (
        "gpt",
        ["--prompt", os.fsdecode(b"caf\xe9")],
        "'\\udce9' (U+DCE9)",
    ),
    "an empty prompt": (
        "gpt",
        ["--prompt", ""],
        "--prompt is empty; give it at least one character",
    ),
    "negative tokens": ("gpt", ["--tokens", "-1"], "--tokens: must be a whole number, 0 or more"),
    "tokens with a fraction": ("gpt", ["--tokens", "2.5"], "--tokens: expected a whole number"),
    "temperature < 0": ("gpt", ["--temperature", "-1"], "--temperature: must be a number, 0 or"),
    "temperature not a number": ("gpt", ["--temperature", "hot"], "expected a number, got 'hot'"),
    "temperature infinite": ("gpt", ["--temperature", "inf"], "expected a finite number"),
    "top-k zero": ("gpt", ["--top-k", "0"], "--top-k: must be a positive whole number"),
    "negative seed": ("gpt", ["--seed", "-3"], "--seed: must be a whole number, 0 or more"),
    "a misspelt option": ("gpt", ["--max-new-tokens", "5"], "(did you mean --tokens?)"),
    "no such folder": ("missing", [], "does not exist"),
}


@pytest.mark.parametrize(
    ("which", "arguments", "phrase"), list(SAMPLE_MISTAKES.values()), ids=list(SAMPLE_MISTAKES)
)
def test_sample_mistakes_get_one_line(which, arguments, phrase, gpt_run, mlp_run, tmp_path, capsys):
    run = {"gpt": gpt_run, "mlp": mlp_run, "missing": tmp_path / "nowhere"}[which]
    assert sample(run, *arguments) == 2
    assert phrase in one_error_line(capsys)


def test_sample_help_says_what_it_does(capsys):
    assert main(["sample", "--help"]) == 0
    out = capsys.readouterr().out
    for word in ("--prompt", "--tokens", "--temperature", "--top-k", "--seed", "same text"):
        assert word in out


# ============================================================= mistakes on the command line
#: name -> (arguments of 'minitorch train', phrase of the error line)
TRAIN_MISTAKES: dict[str, tuple[list[str], str]] = {
    "an unknown model": (
        ["--model", "transfomer"],
        "unknown model 'transfomer'; choose one of: mlp, cnn, gpt",
    ),
    "a model misspelt": (["--model", "cnm"], "(did you mean 'cnn'?)"),
    "cnn on points": (
        ["--model", "cnn", "--dataset", "moons"],
        "--model cnn learns images: --dataset digits, mnist5k, mnist, fashion-mnist; moons is not",
    ),
    "cnn on a text": (
        ["--model", "cnn", "--dataset", "shakespeare"],
        "shakespeare is a text: train a language model on it with --model gpt",
    ),
    "mlp on a text": (["--dataset", "shakespeare"], "shakespeare is a text"),
    "gpt on digits": (
        ["--model", "gpt", "--dataset", "digits"],
        "--model gpt learns a text: --dataset shakespeare; digits is not a text",
    ),
    "gpt with hidden layers": (
        ["--model", "gpt", "--hidden", "8"],
        "--hidden applies to --model mlp or cnn, not to --model gpt",
    ),
    "gpt with epochs": (
        ["--model", "gpt", "--epochs", "3"],
        "--epochs applies to --model mlp or cnn, not to --model gpt",
    ),
    "gpt with another optimizer": (
        ["--model", "gpt", "--optimizer", "sgd"],
        "(a GPT trains with AdamW, as nanoGPT)",
    ),
    "gpt with a scheduler": (
        ["--model", "gpt", "--scheduler", "step"],
        "--scheduler applies to --model mlp or cnn",
    ),
    "gpt with a data root": (
        ["--model", "gpt", "--data-root", "x"],
        "--data-root does not apply to --model gpt",
    ),
    "mlp with iterations": (
        ["--iters", "5"], "--iters applies to --model gpt, lstm, gru or rnn, not to --model mlp"
    ),
    "mlp with channels": (
        ["--channels", "4", "8"],
        "--channels applies to --model cnn, not to --model mlp",
    ),
    "cnn with a block size": (
        ["--model", "cnn", "--block-size", "8"],
        "--block-size applies to --model gpt, lstm, gru or rnn, not to --model cnn",
    ),
    "one channel count": (
        ["--model", "cnn", "--channels", "4"],
        "--channels: expected 2 arguments",
    ),
    "zero channels": (
        ["--model", "cnn", "--channels", "4", "0"],
        "--channels: must be a positive whole number",
    ),
    "heads that do not divide": (
        ["--model", "gpt", "--n-embd", "30", "--n-head", "4"],
        "n_embd (30) must be divisible by n_head (4)",
    ),
    "zero iterations": (
        ["--model", "gpt", "--iters", "0"],
        "--iters: must be a positive whole number",
    ),
    "negative warm-up": (
        ["--model", "gpt", "--warmup-iters", "-1"],
        "--warmup-iters: must be a whole number, 0 or more",
    ),
    "negative clipping": (
        ["--model", "gpt", "--grad-clip", "-1"],
        "--grad-clip: must be a number, 0 or more",
    ),
    "a block longer than the text": (
        ["--model", "gpt", "--block-size", "200000"],
        "block_size=200000 leaves no window",
    ),
    "a data root for digits": (
        ["--data-root", "x"],
        "--data-root applies to the data sets read from files (mnist, fashion-mnist), not to "
        "digits",
    ),
    "download for moons": (
        ["--dataset", "moons", "--download"],
        "--download applies to the data sets read from files",
    ),
    "fashion misspelt": (
        ["--dataset", "fashion_mnist", "--data-root", "{nowhere}"],
        "FashionMNIST: the training files are not in",
    ),
    "max_iters as nanoGPT spells it": (
        ["--model", "gpt", "--max-iters", "5"],
        "(did you mean --iters?)",
    ),
}


@pytest.mark.parametrize(
    ("arguments", "phrase"), list(TRAIN_MISTAKES.values()), ids=list(TRAIN_MISTAKES)
)
def test_train_mistakes_of_the_new_options_get_one_line(arguments, phrase, tmp_path, capsys):
    arguments = [a.format(nowhere=tmp_path / "nowhere") for a in arguments]
    assert train(*arguments, "--out", str(tmp_path / "run")) == 2
    assert phrase in one_error_line(capsys)
    assert not (tmp_path / "run").exists()


#: name -> (the run, arguments of 'train --resume RUN', phrase)
RESUME_MISTAKES: dict[str, tuple[str, list[str], str]] = {
    "epochs for a GPT run": ("gpt", ["--epochs", "3"], "--epochs does not apply to"),
    "iterations for an MLP run": (
        "mlp",
        ["--iters", "3"],
        "--iters counts the iterations of a language model's run; ",
    ),
    "fewer iterations than done": (
        "gpt",
        ["--iters", "11"],
        "has already trained 12 iterations; --iters must be at least 12",
    ),
    "a GPT setting": ("gpt", ["--n-layer", "2"], "--n-layer cannot be given"),
    "the model": ("mlp", ["--model", "cnn"], "--model cannot be given"),
    "a data root for xor": (
        "mlp",
        ["--data-root", "x"],
        "--data-root applies to the data sets read from files",
    ),
}


@pytest.mark.parametrize(
    ("which", "arguments", "phrase"), list(RESUME_MISTAKES.values()), ids=list(RESUME_MISTAKES)
)
def test_resume_mistakes_get_one_line(which, arguments, phrase, gpt_run, mlp_run, capsys):
    run = {"gpt": gpt_run, "mlp": mlp_run}[which]
    before = {p.name: p.read_bytes() for p in run.iterdir()}
    assert train("--resume", str(run), *arguments) == 2
    assert phrase in one_error_line(capsys)
    assert {p.name: p.read_bytes() for p in run.iterdir()} == before


# ============================================================= config.json of the new models
def _edited(run: Path, tmp_path: Path, change) -> Path:
    copy = tmp_path / "run"
    shutil.copytree(run, copy)
    config = json.loads((copy / "config.json").read_text())
    change(config)
    (copy / "config.json").write_text(json.dumps(config, indent=2))
    return copy


def _set(path: str, value):
    def change(config: dict) -> None:
        *parents, key = path.split(".")
        for parent in parents:
            config = config[parent]
        if value is _DELETE:
            del config[key]
        else:
            config[key] = value

    return change


_DELETE = object()


@pytest.fixture(scope="module")
def cnn_run(tmp_path_factory, quick_curves) -> Path:
    run = tmp_path_factory.mktemp("cnn") / "run"
    assert train(*TINY_CNN, "--epochs", "1", "--batch-size", "500", "--out", str(run)) == 0
    return run


@pytest.fixture(scope="module")
def mnist_run(tmp_path_factory, idx_root, quick_curves) -> Path:
    run = tmp_path_factory.mktemp("mnist") / "run"
    arguments = ["--dataset", "mnist", "--data-root", str(idx_root), "--hidden", "4", "--quiet"]
    assert train(*arguments, "--epochs", "1", "--out", str(run)) == 0
    return run


#: name -> (the run, the change to its config.json, phrase naming key, rule and value)
BAD_MODEL_SETTINGS: dict[str, tuple[str, object, str]] = {
    "model unknown": (
        "cnn",
        _set("model", "transformer"),
        "\"model\" must be one of 'mlp', 'cnn', 'gpt', 'lstm', 'gru', 'rnn', got \"transformer\"",
    ),
    "model misspelt": ("cnn", _set("model", "cnnn"), "did you mean 'cnn'?"),
    "channels as text": (
        "cnn",
        _set("channels", "6 16"),
        '"channels" must be a list of 2 positive whole numbers',
    ),
    "one channel count": ("cnn", _set("channels", [6]), "got [6] (a list)"),
    "a zero channel count": (
        "cnn",
        _set("channels", [6, 0]),
        '"channels" must be a list of 2 positive',
    ),
    "batch_norm as text": (
        "cnn",
        _set("batch_norm", "yes"),
        '"batch_norm" must be true or false, got "yes"',
    ),
    "batch_norm missing": (
        "cnn",
        _set("batch_norm", _DELETE),
        'the setting "batch_norm" is missing',
    ),
    "a cnn on points": (
        "cnn",
        _set("dataset", "spiral"),
        '"dataset" must be an image data set for the cnn model',
    ),
    "a cnn with a GPT setting": ("cnn", _set("iters", 5), 'unknown setting "iters"'),
    "an mlp with channels": (
        "mlp",
        _set("channels", [6, 16]),
        '"channels" is a setting of a cnn run, and this is an mlp run',
    ),
    "an old run without a model": ("mlp", _set("model", _DELETE), None),
    "gpt layers zero": (
        "gpt",
        _set("n_layer", 0),
        '"n_layer" must be a positive whole number, got 0',
    ),
    "gpt heads as text": ("gpt", _set("n_head", "2"), "write 2 without the quotes"),
    "gpt heads that do not divide": (
        "gpt",
        _set("n_embd", 15),
        '"n_embd" (15) must be divisible by "n_head" (2)',
    ),
    "gpt block size missing": (
        "gpt",
        _set("block_size", _DELETE),
        'the setting "block_size" is missing',
    ),
    "gpt tie_weights a number": (
        "gpt",
        _set("tie_weights", 1),
        '"tie_weights" must be true or false, got 1',
    ),
    "gpt with adam": (
        "gpt",
        _set("optimizer", "adam"),
        '"optimizer" must be one of \'adamw\', got "adam"',
    ),
    "gpt betas too few": (
        "gpt",
        _set("optimizer_options.betas", [0.9]),
        '"optimizer_options.betas" must be a list of 2 numbers',
    ),
    "gpt beta of 1.5": ("gpt", _set("optimizer_options.betas", [0.9, 1.5]), "got [0.9, 1.5]"),
    "gpt momentum": (
        "gpt",
        _set("optimizer_options.momentum", 0.9),
        'unknown setting "optimizer_options.momentum"',
    ),
    "gpt lr missing": (
        "gpt",
        _set("optimizer_options.lr", _DELETE),
        'the setting "optimizer_options.lr" is missing',
    ),
    "gpt schedule of another name": (
        "gpt",
        _set("scheduler.name", "cosine"),
        '"scheduler.name" must be "warmup_cosine"',
    ),
    "gpt warm-up negative": (
        "gpt",
        _set("scheduler.warmup_iters", -1),
        '"scheduler.warmup_iters" must be a whole number, 0 or more',
    ),
    "gpt min_lr as text": (
        "gpt",
        _set("scheduler.min_lr", "1e-4"),
        "write 1e-4 without the quotes",
    ),
    "gpt clipping negative": (
        "gpt",
        _set("grad_clip", -1),
        '"grad_clip" must be a number, 0 or more, got -1',
    ),
    "gpt iters with a fraction": (
        "gpt",
        _set("iters", 2.5),
        '"iters" must be a positive whole number, got 2.5',
    ),
    "gpt eval interval zero": (
        "gpt",
        _set("eval_interval", 0),
        '"eval_interval" must be a positive whole number',
    ),
    "gpt on digits": (
        "gpt",
        _set("dataset", "digits"),
        '"dataset" must be one of \'shakespeare\', got "digits"',
    ),
    "gpt with epochs": ("gpt", _set("epochs", 3), 'unknown setting "epochs"'),
    "gpt of another task": ("gpt", _set("task", "poetry"), '"task" must be one of'),
    "mnist without its root": (
        "mnist",
        _set("dataset_options.root", _DELETE),
        'the setting "dataset_options.root" is missing',
    ),
    "mnist root a number": (
        "mnist",
        _set("dataset_options.root", 3),
        '"dataset_options.root" must be a string, got 3',
    ),
    "mnist root elsewhere": (
        "mnist",
        _set("dataset_options.root", "/nowhere/at/all"),
        "MNIST: the training files are not in /nowhere/at/all: put "
        "/nowhere/at/all/MNIST/raw/train-images-idx3-ubyte.gz",
    ),
}


@pytest.mark.parametrize(
    ("which", "change", "phrase"), list(BAD_MODEL_SETTINGS.values()), ids=list(BAD_MODEL_SETTINGS)
)
def test_the_new_settings_of_config_json_are_checked_by_their_rules(
    which, change, phrase, gpt_run, cnn_run, mlp_run, mnist_run, tmp_path, capsys
):
    runs = {"gpt": gpt_run, "cnn": cnn_run, "mlp": mlp_run, "mnist": mnist_run}
    run = _edited(runs[which], tmp_path, change)
    if phrase is None:  # still a valid configuration
        assert main(["evaluate", str(run)]) == 0
        return
    commands = [["evaluate", str(run)], ["train", "--resume", str(run), "--quiet"]]
    if which == "gpt":
        commands.append(["sample", str(run)])
    for command in commands:
        assert main(command) == 2
        line = one_error_line(capsys)
        assert phrase in line, line


# ====================================================================== a GPT's checkpoint
WRONG_VALUES = {"a string": "x", "an array of another shape": np.zeros((7, 3))}


def _leaves(tree: dict, prefix: tuple = ()) -> list[tuple]:
    paths = []
    for key, value in tree.items():
        if isinstance(value, dict):
            paths += _leaves(value, (*prefix, key))
        else:
            paths.append((*prefix, key))
    return paths


def _at(tree: dict, entry: tuple):
    for key in entry:
        tree = tree[key]
    return tree


def _one_of_each_kind(entries: list[tuple]) -> list[tuple]:
    """The first entry of each kind: weights, and the optimizers' per-parameter state, differ
    only by the parameter they belong to."""
    kinds: dict[tuple, tuple] = {}
    for entry in entries:
        if entry[0] == "model":
            kind: tuple = ("model",)
        elif entry[0] == "optimizers" and entry[2] == "state":
            kind = (*entry[:3], entry[4])
        else:
            kind = entry
        kinds.setdefault(kind, entry)
    return list(kinds.values())


@pytest.mark.parametrize("wrong", list(WRONG_VALUES.values()), ids=list(WRONG_VALUES))
def test_every_kind_of_entry_of_a_gpt_checkpoint_set_to_a_wrong_value_gets_one_line(
    wrong, gpt_run, tmp_path, capsys
):
    saved = minitorch.load(gpt_run / "checkpoint.npz")
    entries = _one_of_each_kind(_leaves(saved))
    assert len(entries) > 30
    if isinstance(wrong, np.ndarray):  # a string goes everywhere; an array where arrays are
        entries = [e for e in entries if isinstance(_at(saved, e), np.ndarray)]
        assert len(entries) >= 10
    run = tmp_path / "run"
    shutil.copytree(gpt_run, run)
    original = (gpt_run / "checkpoint.npz").read_bytes()
    for entry in entries:
        state = minitorch.load(gpt_run / "checkpoint.npz")
        node = state
        for key in entry[:-1]:
            node = node[key]
        node[entry[-1]] = wrong
        minitorch.save(state, run / "checkpoint.npz")
        assert main(["train", "--resume", str(run), "--iters", "13"]) == 2, entry
        assert "checkpoint.npz" in one_error_line(capsys), entry
    (run / "checkpoint.npz").write_bytes(original)
    assert main(["train", "--resume", str(run), "--iters", "13", "--quiet"]) == 0


#: name -> (change to a GPT checkpoint, phrase, whether evaluate sees it too: it reads only
#: the weights, while resume checks that the optimizers fit the configuration)
DAMAGED_GPT_CHECKPOINTS = {
    "an MLP's checkpoint": (
        lambda s: s.update(epoch=s.pop("iter")),
        'unknown setting "epoch"',
        True,
    ),
    "a third optimizer": (
        lambda s: s["optimizers"].update(extra={}),
        'unknown setting "optimizers.extra"',
        True,
    ),
    "steps beyond the last evaluation": (
        lambda s: s["progress"].update(steps=5),
        "it is at iteration 12, 5 iterations after its last evaluation (at iteration 12)",
        True,
    ),
    "evaluations out of order": (
        lambda s: s["history"].update(iter=np.array([0.0, 10.0, 5.0, 12.0])),
        "its metrics' iterations [0, 10, 5, 12] do not rise up to 12",
        True,
    ),
    "an evaluation before iteration 0": (
        lambda s: s["history"].update(iter=np.array([-1.0, 5.0, 10.0, 12.0])),
        "its metrics' iterations [-1, 5, 10, 12] do not rise up to 12",
        True,
    ),
    "a metric column cut short": (
        lambda s: s["history"].update(val_loss=np.array([4.0])),
        "its metrics have columns of different lengths",
        True,
    ),
    "a learning rate off the schedule": (
        lambda s: [g.update(lr=0.5) for g in s["optimizers"]["adamw"]["param_groups"].values()],
        "the adamw optimizer's lr is 0.5, not the schedule's 0.0001 at iteration 12",
        False,
    ),
    "groups with two learning rates": (
        lambda s: s["optimizers"]["adamw"]["param_groups"]["1"].update(lr=0.5),
        '"optimizers.adamw.param_groups.1.lr" is 0.5 (a number with a fraction), and group '
        "0's 0.0001 (a number with a fraction): the two groups differ only in weight decay",
        True,
    ),
    "weight decay changed": (
        lambda s: s["optimizers"]["adamw"]["param_groups"]["0"].update(weight_decay=0.2),
        "the adamw optimizer's weight_decay is 0.2",
        False,
    ),
    "weight decay on the biases": (
        lambda s: s["optimizers"]["adamw"]["param_groups"]["1"].update(weight_decay=0.1),
        '"optimizers.adamw.param_groups.1.weight_decay" must be 0',
        True,
    ),
}


@pytest.mark.parametrize(
    ("change", "phrase", "evaluate_too"),
    list(DAMAGED_GPT_CHECKPOINTS.values()),
    ids=list(DAMAGED_GPT_CHECKPOINTS),
)
def test_a_gpt_checkpoint_that_does_not_add_up_gets_one_line(
    change, phrase, evaluate_too, gpt_run, tmp_path, capsys
):
    run = tmp_path / "run"
    shutil.copytree(gpt_run, run)
    state = minitorch.load(run / "checkpoint.npz")
    change(state)
    minitorch.save(state, run / "checkpoint.npz")
    commands = [["train", "--resume", str(run), "--iters", "20"]]
    if evaluate_too:
        commands.append(["evaluate", str(run)])
    for command in commands:
        assert main(command) == 2
        line = one_error_line(capsys)
        assert phrase in line and "checkpoint.npz" in line, line


# ====================================================================== MNIST files
def test_an_mnist_run_finds_its_files_from_any_folder_and_where_they_moved(
    mnist_run, idx_root, tmp_path, monkeypatch, capsys
):
    config = json.loads((mnist_run / "config.json").read_text())
    assert config["dataset_options"] == {"root": str(idx_root)}  # absolute
    assert config["input_dim"] == 784 and config["train_samples"] == 120
    monkeypatch.chdir(tmp_path)
    assert main(["evaluate", str(mnist_run)]) == 0
    assert "test set:   40 samples" in capsys.readouterr().out

    run = tmp_path / "run"
    shutil.copytree(mnist_run, run)
    moved = tmp_path / "moved"
    shutil.copytree(idx_root, moved)
    _set("dataset_options.root", str(tmp_path / "gone"))(config)
    (run / "config.json").write_text(json.dumps(config))
    assert main(["evaluate", str(run)]) == 2
    assert "or point --data-root at the folder that has them" in one_error_line(capsys)
    assert main(["evaluate", str(run), "--data-root", "moved"]) == 0  # relative to here
    capsys.readouterr()
    assert train("--resume", str(run), "--data-root", "moved", "--epochs", "2", "--quiet") == 0
    assert json.loads((run / "config.json").read_text())["dataset_options"]["root"] == str(moved)


def test_a_failed_download_is_one_line_with_exit_code_1(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("MINITORCH_MNIST_MIRROR", "http://127.0.0.1:9/")  # nothing listens there
    arguments = ["--dataset", "mnist", "--data-root", str(tmp_path / "data"), "--download"]
    assert train(*arguments, "--quiet", "--out", str(tmp_path / "run")) == 1
    err = capsys.readouterr().err
    *progress, line = err.splitlines()  # the data set says what it fetches, then the error
    assert all(text.startswith("MNIST: downloading ") for text in progress) and len(progress) <= 1
    assert line.startswith("minitorch: error: ") and "Traceback" not in err
    assert "MNIST: could not download train-images-idx3-ubyte.gz" in line
    assert not (tmp_path / "run").exists()
    assert not [p for p in (tmp_path / "data").rglob("*") if p.is_file()]


def test_download_fetches_the_files_the_run_then_reads(idx_root, tmp_path, monkeypatch):
    import gzip
    import hashlib
    import http.server
    import threading

    from minitorch.datasets import MNIST

    served = tmp_path / "served"
    served.mkdir()
    resources = []
    for name, _ in MNIST.resources:
        data = gzip.compress((idx_root / "MNIST" / "raw" / name.removesuffix(".gz")).read_bytes())
        (served / name).write_bytes(data)
        resources.append((name, hashlib.md5(data).hexdigest()))
    monkeypatch.setattr(MNIST, "resources", resources)

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(served), **kwargs)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        monkeypatch.setenv("MINITORCH_MNIST_MIRROR", f"http://127.0.0.1:{server.server_port}/")
        root = tmp_path / "data"
        arguments = ["--dataset", "mnist", "--data-root", str(root), "--download", "--quiet"]
        assert (
            train(*arguments, "--hidden", "4", "--epochs", "1", "--out", str(tmp_path / "r")) == 0
        )
    finally:
        server.shutdown()
        server.server_close()
    assert sorted(p.name for p in (root / "MNIST" / "raw").iterdir()) == sorted(
        name for name, _ in MNIST.resources
    )
    assert len(read_metrics(tmp_path / "r")) == 1


# ====================================================================== the recipe itself
@pytest.mark.slow
def test_the_default_gpt_recipe_reaches_nanogpts_validation_loss(tmp_path):
    """nanoGPT's CPU recipe, 2,000 iterations: validation loss at most 1.92 (minutes, not
    seconds: run with ``pytest -m slow``)."""
    run = tmp_path / "recipe"
    assert train("--model", "gpt", "--quiet", "--out", str(run)) == 0
    rows = read_metrics(run)
    assert [int(row["iter"]) for row in rows] == list(range(0, 2001, 250))
    assert float(rows[-1]["val_loss"]) <= 1.92
