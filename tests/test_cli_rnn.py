"""``minitorch train --model lstm|gru|rnn``: char-rnn's character model through the one trainer.

Every cell trains (tiny sizes, a few iterations), samples and evaluates; a run stopped between
two evaluations resumes bit for bit, with random windows and with truncated BPTT
(``--bptt stateful``), whose batches continue one another and carry the state without a
gradient into the previous batch. The defaults are :data:`minitorch.models.CHAR_RNN_RECIPE`;
another model's option, a damaged or foreign checkpoint, and a checkpoint of another cell are
refused in one line.
"""

from __future__ import annotations

import dataclasses
import json
import re
import shlex
import shutil
from pathlib import Path

import numpy as np
import pytest

import minitorch
from minitorch import nn, optim
from minitorch.cli import main
from minitorch.cli._gpt import new_lm_config
from minitorch.cli._options import build_parser, parse
from minitorch.datasets import TinyShakespeare
from minitorch.models import CHAR_RNN_RECIPE, CharRNN
from minitorch.training import TextStreams, train_lm
from test_cli import assert_same_run, read_metrics
from test_cli_models import one_error_line, stopping_after

CELLS = ["lstm", "gru", "rnn"]

#: A character model small enough to train a few iterations in a fraction of a second.
TINY = [
    "--embedding-dim", "8", "--hidden-size", "16", "--num-layers", "2", "--batch-size", "4",
    "--block-size", "8", "--eval-batches", "2", "--warmup-iters", "2", "--quiet",
]  # fmt: skip
RUN = [*TINY, "--iters", "8", "--eval-interval", "3"]


def train(*args: str) -> int:
    return main(["train", *args])


def config_of(run: Path) -> dict:
    return json.loads((run / "config.json").read_text())


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, Path]:
    """A finished tiny run of each cell, and a stateful LSTM's: 8 iterations, evaluated at 0
    (before training), 3, 6 and 8."""
    made = {}
    for name, options in {
        **{cell: ["--model", cell] for cell in CELLS},
        "stateful": ["--model", "lstm", "--bptt", "stateful"],
    }.items():
        made[name] = tmp_path_factory.mktemp(name) / "run"
        assert train(*options, *RUN, "--out", str(made[name])) == 0
    return made


# ====================================================================== train, sample, evaluate
@pytest.mark.parametrize("cell", CELLS)
def test_each_cell_trains_samples_and_evaluates(cell, runs, capsys):
    run = runs[cell]
    config = config_of(run)
    assert (config["model"], config["dataset"], config["bptt"]) == (cell, "shakespeare", "random")
    overrides = {"embedding_dim": 8, "hidden_size": 16, "batch_size": 4, "block_size": 8,
                 "eval_batches": 2, "warmup_iters": 2, "max_iters": 8, "lr_decay_iters": 8,
                 "eval_interval": 3}  # fmt: skip
    expected = dataclasses.replace(CHAR_RNN_RECIPE, cell=cell, **overrides)
    assert config["recipe"] == expected.to_dict()
    assert (config["task"], config["vocab_size"]) == ("language model", 65)
    rows = read_metrics(run)
    assert [row["iter"] for row in rows] == ["0", "3", "6", "8"]
    assert float(rows[0]["val_loss"]) == pytest.approx(np.log(65), abs=0.3)  # untrained
    assert (rows[0]["train_loss"], rows[0]["lr"]) == ("nan", "nan")
    assert float(rows[-1]["lr"]) == CHAR_RNN_RECIPE.min_lr  # the cosine's floor at the end
    state = minitorch.load(run / "checkpoint.npz")
    assert state["iter"] == 8 and set(state["optimizers"]) == {"adamw"}
    group = state["optimizers"]["adamw"]["param_groups"]
    assert list(group) == ["0"] and group["0"]["weight_decay"] == 0.01  # every parameter
    assert (run / "curves.png").stat().st_size > 1000

    assert main(["sample", str(run), "--prompt", "ROMEO:", "--tokens", "30", "--seed", "3"]) == 0
    text = capsys.readouterr().out
    assert text.startswith("ROMEO:") and len(text) == len("ROMEO:") + 30 + 1
    assert main(["sample", str(run), "--prompt", "ROMEO:", "--tokens", "30", "--seed", "3"]) == 0
    assert capsys.readouterr().out == text  # the seed reproduces the text
    options = ["--prompt", "ROMEO:", "--tokens", "30", "--temperature", "0", "--top-k", "5"]
    assert main(["sample", str(run), *options]) == 0
    greedy = capsys.readouterr().out
    model = CharRNN(65, 8, 16, 2, cell)
    model.load_state_dict(state["model"])
    vocab = TinyShakespeare(train=True).vocab
    ids = model.generate(vocab.encode("ROMEO:")[None], 30, temperature=0)
    assert greedy == vocab.decode(ids[0]) + "\n"  # CharRNN.generate's text

    assert main(["evaluate", str(run)]) == 0
    out = capsys.readouterr().out
    loss = float(re.search(r"loss: +(\d\.\d{4}) \(cross-entropy", out).group(1))
    assert loss == pytest.approx(float(rows[-1]["val_loss"]), abs=1e-4)
    assert f"CharRNN: Embedding(65, 8) -> {cell.upper()}(8, 16, 2 layers)" in out
    assert "measured on 8 fixed windows of 8 (2 batches)" in out


def test_the_run_prints_its_recipe_and_one_line_per_evaluation(tmp_path, capsys):
    options = [a for a in RUN if a != "--quiet"]
    assert train("--model", "gru", *options, "--out", str(tmp_path / "g")) == 0
    out = capsys.readouterr().out
    assert "CharRNN: Embedding(65, 8) -> GRU(8, 16, 2 layers) -> Linear(16, 65), context 8" in out
    assert (
        "AdamW (lr 0.002, betas 0.9/0.99, weight decay 0.01 on every parameter), warm-up 2 then "
        "cosine to 0.0002 at iteration 8, clipping 1; batches of 4 windows, 8 iterations" in out
    )
    lines = [line for line in out.splitlines() if line.startswith("iter ")]
    assert [line.split()[1] for line in lines] == ["0/8", "3/8", "6/8", "8/8"]
    assert f"next: minitorch sample {tmp_path / 'g'}" in out


@pytest.mark.parametrize("cell", CELLS)
def test_the_defaults_are_the_recipe(cell):
    argv = ["train", "--model", cell]
    config = new_lm_config(parse(build_parser(), argv), argv)
    assert config["recipe"] == dataclasses.replace(CHAR_RNN_RECIPE, cell=cell).to_dict()
    assert (config["bptt"], config["seed"], config["dataset"]) == ("random", 0, "shakespeare")
    if cell == "lstm":
        assert config["recipe"] == CHAR_RNN_RECIPE.to_dict()


def test_the_options_replace_the_recipes_numbers():
    argv = ["train", "--model", "rnn", "--iters", "300", "--lr", "0.01", "--min-lr", "0.001",
            "--warmup-iters", "10", "--eval-interval", "50", "--batch-size", "8",
            "--block-size", "32", "--seed", "4", "--hidden-size", "64", "--num-layers", "1",
            "--embedding-dim", "16", "--weight-decay", "0", "--grad-clip", "0.5",
            "--eval-batches", "20", "--bptt", "stateful"]  # fmt: skip
    config = new_lm_config(parse(build_parser(), argv), argv)
    assert config["recipe"] == dataclasses.replace(
        CHAR_RNN_RECIPE, cell="rnn", max_iters=300, lr_decay_iters=300, lr=0.01, min_lr=0.001,
        warmup_iters=10, eval_interval=50, batch_size=8, block_size=32, hidden_size=64,
        num_layers=1, embedding_dim=16, weight_decay=0.0, grad_clip=0.5, eval_batches=20,
    ).to_dict()  # fmt: skip
    assert (config["seed"], config["bptt"]) == (4, "stateful")


# ====================================================================== resume
@pytest.mark.parametrize("name", [*CELLS, "stateful"])
def test_a_run_stopped_between_evaluations_resumes_bit_for_bit(name, runs, tmp_path, capsys):
    options = ["--model", "lstm", "--bptt", "stateful"] if name == "stateful" else ["--model", name]
    stopped = tmp_path / "stopped"
    with stopping_after(4):  # asked after iterations 1, 2, then 4, 5: stopped at 5 of 8
        assert train(*options, *RUN, "--out", str(stopped)) == 130
    assert "stopped by SIGINT after iteration 5 of 8; checkpoint saved" in capsys.readouterr().out
    state = minitorch.load(stopped / "checkpoint.npz")
    assert (state["iter"], state["progress"]["steps"]) == (5, 2)
    assert ("stream_state" in state) == (name == "stateful")
    if name == "stateful":
        assert {k: v.shape for k, v in state["stream_state"].items()} == {
            "h": (2, 4, 16), "c": (2, 4, 16)
        }  # fmt: skip
    minitorch.manual_seed(99)  # the resumed run restores every generator it draws from
    assert train("--resume", str(stopped), "--quiet") == 0
    assert_same_run(stopped, runs[name])


def test_a_finished_run_can_be_lengthened(runs, tmp_path, capsys):
    run = tmp_path / "run"
    shutil.copytree(runs["gru"], run)
    assert train("--resume", str(run), "--iters", "10") == 0
    assert "the learning rate keeps its schedule from the start" in capsys.readouterr().out
    assert [row["iter"] for row in read_metrics(run)] == ["0", "3", "6", "8", "9", "10"]
    recipe = config_of(run)["recipe"]
    assert (recipe["max_iters"], recipe["lr_decay_iters"]) == (10, 8)


# ====================================================================== truncated BPTT
@pytest.fixture(scope="module")
def text():
    return TinyShakespeare(train=True)


def test_stateful_batches_continue_one_another_and_start_again_after_a_pass(text):
    stream = TextStreams(text, batch_size=4, block_size=8)
    length = (len(text) - 1) // 4
    assert stream.chunks == length // 8
    x1, y1 = stream.batch(1)
    x2, y2 = stream.batch(2)
    assert np.array_equal(x2[:, 0], y1[:, -1])  # batch k + 1 starts where batch k ended
    assert np.array_equal(x1[:, 1:], y1[:, :-1]) and np.array_equal(x2[:, 1:], y2[:, :-1])
    for b in range(4):  # stream b: the b-th quarter of the text
        assert np.array_equal(x1[b], text.data[b * length : b * length + 8])
        assert np.array_equal(y2[b], text.data[b * length + 9 : b * length + 17])
    stream.state = "carried"
    last = stream.batch(stream.chunks)
    assert stream.state == "carried"
    assert np.array_equal(last[0], stream.x[:, 8 * (stream.chunks - 1) : 8 * stream.chunks])
    again = stream.batch(stream.chunks + 1)  # a new pass: from the start, from zeros
    assert stream.state is None and np.array_equal(again[0], x1)
    with pytest.raises(ValueError, match="lower --batch-size or --block-size"):
        TextStreams(text, batch_size=len(text), block_size=8)


@pytest.mark.parametrize("cell", CELLS)
def test_stateful_training_carries_the_state_without_a_gradient_into_the_previous_batch(
    cell, text
):
    minitorch.manual_seed(0)
    model = CharRNN(65, 8, 16, 2, cell)
    start = {k: v.copy() for k, v in model.state_dict().items()}
    stream = TextStreams(text, batch_size=4, block_size=8)
    optimizer = optim.AdamW(model, lr=1e-2)
    seen = []

    def record(step, progress, loss):
        seen.append((loss, [grad.copy() for grad in model.grads()]))

    train_lm(model, text, [optimizer], batch_size=4, block_size=8, start=0, stop=2,
             lr_at=lambda s: 1e-2, grad_clip=None, stream=stream, on_step=record)  # fmt: skip

    # The same two batches by hand: batch 2 reads the final state of batch 1 as a constant.
    fresh = CharRNN(65, 8, 16, 2, cell)
    fresh.load_state_dict(start)
    loss_fn = nn.CrossEntropyLoss()
    x1, y1 = TextStreams(text, 4, 8).batch(1)
    hand = optim.AdamW(fresh, lr=1e-2)
    hand.zero_grad()
    loss_fn(fresh(x1).reshape(-1, 65), y1.reshape(-1))
    carried = fresh.state
    fresh.backward(loss_fn.backward().reshape(4, 8, 65))
    hand.step()
    after_one = {k: v.copy() for k, v in fresh.state_dict().items()}
    x2, y2 = TextStreams(text, 4, 8).batch(2)

    def gradients(state):
        fresh.load_state_dict(after_one)
        hand.zero_grad()
        loss = float(loss_fn(fresh(x2, state).reshape(-1, 65), y2.reshape(-1)))
        fresh.backward(loss_fn.backward().reshape(4, 8, 65))
        return loss, [grad.copy() for grad in fresh.grads()]

    loss_carried, grads_carried = gradients(carried)
    after_two = fresh.state
    assert seen[1][0] == pytest.approx(loss_carried, rel=1e-6)
    names = [name for name, _ in fresh.named_parameters()]
    for name, kept, grad in zip(names, seen[1][1], grads_carried, strict=True):
        # the gradient of batch 2 is that of its own steps: it stops at the carried state
        np.testing.assert_allclose(kept, grad, rtol=1e-5, atol=1e-7, err_msg=name)
    # What the stream holds after batch 2 is the state batch 3 starts from.
    for kept, expected in zip(*(s if isinstance(s, tuple) else (s,)
                                for s in (stream.state, after_two)), strict=True):  # fmt: skip
        assert kept.shape == (2, 4, 16)
        np.testing.assert_allclose(kept, expected, rtol=1e-5, atol=1e-6)
    loss_zero, _ = gradients(None)
    assert abs(loss_zero - loss_carried) > 1e-4  # the state matters: it is carried


def test_a_stateful_run_says_how_it_reads_the_text(tmp_path, capsys):
    options = [a for a in RUN if a != "--quiet"]
    assert train("--model", "rnn", "--bptt", "stateful", *options, "--out", str(tmp_path)) == 0
    out = capsys.readouterr().out
    assert "batches of 4 parallel streams read 8 characters at a time, the state carried" in out
    assert config_of(tmp_path)["bptt"] == "stateful"


# ====================================================================== mistakes: one line
@pytest.mark.parametrize(("arguments", "phrase"), [
    (["--model", "lstm", "--n-layer", "2"], "--n-layer applies to --model gpt, not to --model "
     "lstm"),
    (["--model", "gru", "--n-embd", "32"], "--n-embd applies to --model gpt, not to --model gru"),
    (["--model", "rnn", "--bias"], "--bias applies to --model gpt, not to --model rnn"),
    (["--model", "lstm", "--dropout", "0.1"], "--dropout applies to --model mlp, cnn or gpt, not "
     "to --model lstm"),
    (["--model", "gpt", "--hidden-size", "8"], "--hidden-size applies to --model lstm, gru or "
     "rnn, not to --model gpt"),
    (["--model", "gpt", "--bptt", "stateful"], "--bptt applies to --model lstm, gru or rnn, not "
     "to --model gpt"),
    (["--model", "mlp", "--num-layers", "2"], "--num-layers applies to --model lstm, gru or rnn"),
    (["--model", "lstm", "--hidden", "8"], "--hidden applies to --model mlp or cnn, not to "
     "--model lstm (a recurrent model's width is --hidden-size, its depth --num-layers)"),
    (["--model", "gpt", "--num-layers", "2"], "not to --model gpt (a GPT's depth is --n-layer)"),
    (["--model", "lstm", "--epochs", "3"], "--epochs applies to --model mlp or cnn, not to "
     "--model lstm"),
    (["--model", "gru", "--optimizer", "sgd"], "--optimizer applies to --model mlp or cnn, not "
     "to --model gru (--model gru trains with AdamW, as CHAR_RNN_RECIPE)"),
    (["--model", "lstm", "--dataset", "digits"], "--model lstm learns a text: --dataset "
     "shakespeare; digits is not a text"),
    (["--model", "rnn", "--samples", "10"], "--samples does not apply to --model rnn (it learns "
     "a bundled text)"),
    (["--model", "lstm", "--min-lr", "0.01"], "minitorch: error: --min-lr 0.01 is above --lr "
     "0.002: the cosine decay would raise the learning rate; give --min-lr at most --lr"),
    (["--model", "lstm", "--warmup-iters", "10", "--iters", "10"], "minitorch: error: "
     "--warmup-iters 10 is not shorter than the run (--iters 10): the learning rate would never "
     "reach --lr nor decay; give --warmup-iters below --iters"),
    (["--model", "lstm", "--bptt", "sideways"], "bptt"),
    (["--model", "gru", "--bptt", "stateful", "--batch-size", "200000", "--block-size", "8",
      "--eval-batches", "1", "--hidden-size", "4", "--embedding-dim", "4", "--num-layers", "1"],
     "200000 streams of a text of 1,003,854 characters are 5 characters long, shorter than one "
     "chunk of block_size 8; lower --batch-size or --block-size"),
    (["--model", "rnn", "--block-size", "2000000"], "block_size=2000000 leaves no window"),
])  # fmt: skip
def test_bad_option_combinations_are_refused_in_one_line(arguments, phrase, tmp_path, capsys):
    assert train(*arguments, "--out", str(tmp_path / "run")) == 2
    assert phrase in one_error_line(capsys)
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize(("arguments", "phrase"), [
    (["--model", "lstm", "--batch-size", "100000000"], "the LSTM run: the fixed evaluation "
     "windows (inputs and targets) would need 18.6 TiB"),
    (["--model", "gru", "--batch-size", "600000", "--block-size", "8", "--eval-batches", "1"],
     "the GRU run: the gates every recurrent layer keeps for a training batch's backward would "
     "need 27.5 GiB (shape (2, 600000, 8, 768), float32)"),
])  # fmt: skip
def test_a_run_that_could_never_fit_in_memory_is_refused_before_it_starts(
    arguments, phrase, tmp_path, capsys, monkeypatch
):
    from minitorch import _validation

    monkeypatch.setattr(_validation, "machine_memory", lambda: 16 * 2**30)  # any machine
    assert train(*arguments, "--out", str(tmp_path / "run")) == 1
    line = capsys.readouterr().err.strip()
    assert line.startswith("minitorch: error: out of memory: ") and phrase in line, line
    assert not (tmp_path / "run").exists()


def _edited(run: Path, tmp_path: Path, change) -> Path:
    copy = tmp_path / "edited"
    shutil.copytree(run, copy)
    change(copy)
    return copy


def _config_change(edit):
    def change(run: Path) -> None:
        config = config_of(run)
        edit(config)
        (run / "config.json").write_text(json.dumps(config))

    return change


def _checkpoint_of(other: str):
    def change(run: Path) -> None:
        shutil.copy(other, run / "checkpoint.npz")

    return change


def _checkpoint_change(edit):
    def change(run: Path) -> None:
        state = minitorch.load(run / "checkpoint.npz")
        edit(state)
        minitorch.save(state, run / "checkpoint.npz")

    return change


@pytest.mark.parametrize(("which", "change", "phrase"), [
    ("lstm", "gru", "does not fit the run's config.json"),  # another cell's weights
    ("gru", "rnn", "does not fit the run's config.json"),
    ("lstm", "gpt", '"optimizers.adamw.param_groups" must hold the parameter groups "0"'),
    ("lstm", lambda run: (run / "checkpoint.npz").write_bytes(b"PK\x03\x04 damaged"),
     "checkpoint.npz"),
    ("lstm", _checkpoint_change(lambda s: s.pop("optimizers")), 'the setting "optimizers" is '
     "missing"),
    ("stateful", _checkpoint_change(lambda s: s["stream_state"].pop("c")), "not the carried h "
     "and c of a stateful LSTM run"),
    ("stateful", _checkpoint_change(lambda s: s["stream_state"].update(h=np.zeros((1, 4, 16)))),
     "stream_state.h is float64 of shape (1, 4, 16)"),
    ("lstm", _config_change(lambda c: c["recipe"].update(cell="gru")), '"recipe.cell" must be '
     '"lstm"'),
    ("lstm", _config_change(lambda c: c["recipe"].pop("hidden_size")), 'the setting '
     '"recipe.hidden_size" is missing'),
    ("gru", _config_change(lambda c: c["recipe"].update(lr=-1)), '"recipe.lr" must be'),
    ("gru", _config_change(lambda c: c["recipe"].update(hidden=3)), 'unknown setting '
     '"recipe.hidden"'),
    ("rnn", _config_change(lambda c: c.update(bptt="sometimes")), '"bptt" must be one of'),
    ("rnn", _config_change(lambda c: c.update(n_layer=2)), 'unknown setting "n_layer"'),
])  # fmt: skip
def test_damaged_or_foreign_checkpoints_and_configs_are_refused_in_one_line(
    which, change, phrase, runs, tmp_path, tmp_path_factory, capsys
):
    if isinstance(change, str):  # the checkpoint of another model's run of the same sizes
        other = tmp_path_factory.mktemp("other") / "run"
        sizes = ["--n-layer", "1", "--n-head", "2", "--n-embd", "16"] if change == "gpt" else TINY
        options = [*sizes, "--batch-size", "4", "--block-size", "8", "--warmup-iters", "2",
                   "--eval-batches", "2", "--iters", "8", "--eval-interval", "3", "--quiet"]
        assert train("--model", change, *options, "--out", str(other)) == 0
        change = _checkpoint_of(str(other / "checkpoint.npz"))
    run = _edited(runs[which], tmp_path, change)
    commands = [["train", "--resume", str(run), "--iters", "9", "--quiet"]]
    if which != "stateful":  # the carried state is for training only
        commands += [["evaluate", str(run)], ["sample", str(run)]]
    for command in commands:
        assert main(command) == 2, command
        assert phrase in one_error_line(capsys), command


# ====================================================================== the README's commands
#: The commands the README gives for the character models (a run folder named as the trainer
#: names it), each run here with tiny sizes added.
README_COMMANDS = [
    "minitorch train --model lstm --dataset shakespeare",
    "minitorch train --model gru --bptt stateful --iters 4000",
    "minitorch train --model rnn --hidden-size 512 --num-layers 1 --lr 1e-3",
    'minitorch sample RUN --prompt "ROMEO:" --tokens 300 --temperature 0.8 --top-k 40',
    "minitorch evaluate RUN",
    "minitorch train --resume RUN --iters 4000",
]


def _readme_commands() -> list[str]:
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    found = re.findall(r"^(minitorch train --model (?:lstm|gru|rnn)\b[^#\n]*)", readme, re.M)
    return list(dict.fromkeys([*README_COMMANDS, *(c.strip() for c in found)]))


def _tiny_for(words: list[str]) -> list[str]:
    """The tiny sizes, less the ones the command gives itself."""
    extra, pairs = [], iter(TINY[:-1])
    for option, value in zip(pairs, pairs, strict=True):
        if option not in words:
            extra += [option, value]
    return [*extra, "--quiet"]


def test_the_readmes_commands_run(tmp_path, capsys):
    run = tmp_path / "run"
    commands = _readme_commands()
    assert commands[: len(README_COMMANDS)] == README_COMMANDS
    for number, command in enumerate(commands):
        words = [str(run) if word == "RUN" else word for word in shlex.split(command)[1:]]
        new = words[0] == "train" and "--resume" not in words
        small = {"--iters": "4" if new else "6", "--hidden-size": "8", "--tokens": "20"}
        words = [small.get(words[i - 1], word) if i else word for i, word in enumerate(words)]
        if new:
            out = tmp_path / f"run{number}"
            iters = [] if "--iters" in words else ["--iters", "4"]
            words += [*_tiny_for(words), *iters, "--eval-interval", "2", "--out", str(out)]
            if not run.exists():
                run = out
        assert main(words) == 0, command
    assert [row["iter"] for row in read_metrics(run)] == ["0", "2", "4", "6"]
    capsys.readouterr()
