"""The command line never shows a traceback for a user's situation.

Each situation is a table with one row per case: damaged checkpoints, damaged or hand-edited
``config.json`` files, output folders that cannot be used, a full disk at each file the trainer
writes, paths that are not valid UTF-8, and Ctrl-C at each step of starting up. Every row
checks the same things: a non-zero exit code, exactly one line on stderr that says what happened
and what to do, no traceback, and nothing half-made left behind.
"""

from __future__ import annotations

import errno
import io
import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

import minitorch
from minitorch.cli import main
from minitorch.cli._common import shell_quote

TINY = ["--dataset", "xor", "--hidden", "4", "--batch-size", "100", "--quiet"]


def one_line(capsys, prefix: str = "minitorch: error: ") -> str:
    """The single line on stderr, checked to be a message and not a traceback."""
    captured = capsys.readouterr()
    lines = captured.err.splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith(prefix), captured.err
    assert "Traceback" not in captured.err
    return lines[0]


def temporaries(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.name.endswith(".tmp")]


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory) -> Path:
    """A tiny run of two epochs, made once; tests work on copies of it."""
    run = tmp_path_factory.mktemp("runs") / "xor"
    assert main(["train", *TINY, "--epochs", "2", "--out", str(run)]) == 0
    return run


@pytest.fixture
def run(finished_run, tmp_path) -> Path:
    copy = tmp_path / "run"
    shutil.copytree(finished_run, copy)
    return copy


def edit_checkpoint(run: Path, change: Callable[[dict], None]) -> None:
    state = minitorch.load(run / "checkpoint.npz")
    change(state)
    minitorch.save(state, run / "checkpoint.npz")


# ====================================================================== damaged checkpoints
def _flip_middle_byte(data: bytes) -> bytes:
    at = len(data) // 2
    return data[:at] + bytes([data[at] ^ 0xFF]) + data[at + 1 :]


def _replace_with(data: bytes) -> Callable[[Path], None]:
    return lambda run: (run / "checkpoint.npz").write_bytes(data)


def _npy_file() -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, np.ones(3))
    return buffer.getvalue()


def _resize_first_weight(state: dict) -> None:
    state["model"]["0.W"] = np.zeros((3, 3), np.float32)


#: name -> (damage the run folder's checkpoint, phrase of the error line)
DAMAGED_CHECKPOINTS: dict[str, tuple[Callable[[Path], None], str]] = {
    "truncated to half": (
        lambda run: (run / "checkpoint.npz").write_bytes(
            (run / "checkpoint.npz").read_bytes()[: (run / "checkpoint.npz").stat().st_size // 2]
        ),
        "is truncated or damaged",
    ),
    "empty": (_replace_with(b""), "is empty (0 bytes)"),
    "a flipped byte": (
        lambda run: (run / "checkpoint.npz").write_bytes(
            _flip_middle_byte((run / "checkpoint.npz").read_bytes())
        ),
        "is damaged",
    ),
    "random bytes": (_replace_with(np.random.default_rng(1).bytes(2000)), "is not a checkpoint"),
    "a bare .npy": (_replace_with(_npy_file()), "is a single NumPy array"),
    "a pickle": (_replace_with(b"\x80\x04\x95\x05\x00\x00\x00\x00\x00\x00\x00}\x94."), "pickle"),
    "a checkpoint of something else": (
        lambda run: minitorch.save({"W": np.ones(2)}, run / "checkpoint.npz"),
        "is not a checkpoint of a minitorch run",
    ),
    "epoch is text": (
        lambda run: edit_checkpoint(run, lambda s: s.update(epoch="two")),
        '"epoch" must be a whole number, 0 or more, got "two"',
    ),
    "progress is missing": (
        lambda run: edit_checkpoint(run, lambda s: s.pop("progress")),
        'the setting "progress" is missing',
    ),
    "progress.batches is negative": (
        lambda run: edit_checkpoint(run, lambda s: s["progress"].update(batches=-1)),
        '"progress.batches" must be a whole number, 0 or more, got -1',
    ),
    "the random state is not JSON": (
        lambda run: edit_checkpoint(run, lambda s: s["random"].update(shuffle="{oops")),
        '"random.shuffle" must be a string holding a JSON object',
    ),
    "weights of another model": (
        lambda run: edit_checkpoint(run, _resize_first_weight),
        "does not fit the run's config.json",
    ),
    "a history shorter than its epochs": (
        lambda run: edit_checkpoint(run, lambda s: s.update(epoch=5)),
        "records 5 epochs but the metrics of 2",
    ),
    "a folder instead of a file": (
        lambda run: ((run / "checkpoint.npz").unlink(), (run / "checkpoint.npz").mkdir()),
        "has no checkpoint.npz",
    ),
}

COMMANDS = {
    "evaluate": lambda run: ["evaluate", str(run)],
    "resume": lambda run: ["train", "--resume", str(run), "--epochs", "3"],
}


@pytest.mark.parametrize("command", list(COMMANDS.values()), ids=list(COMMANDS))
@pytest.mark.parametrize(
    ("damage", "phrase"), list(DAMAGED_CHECKPOINTS.values()), ids=list(DAMAGED_CHECKPOINTS)
)
def test_a_damaged_checkpoint_gets_one_line_saying_what_to_do(damage, phrase, command, run, capsys):
    damage(run)
    before = sorted(p.name for p in run.iterdir())
    assert main(command(run)) == 2
    line = one_line(capsys)
    assert phrase in line
    assert "checkpoint.npz" in line
    if "has no" not in line:
        assert "restore" in line and "new run" in line  # what to do
    assert sorted(p.name for p in run.iterdir()) == before  # nothing was written


def _leaves(tree: dict, prefix: tuple = ()) -> list[tuple]:
    paths = []
    for key, value in tree.items():
        if isinstance(value, dict):
            paths += _leaves(value, (*prefix, key))
        else:
            paths.append((*prefix, key))
    return paths


@pytest.fixture(scope="module")
def scheduled_run(tmp_path_factory) -> Path:
    """A run with momentum and a schedule, so its checkpoint has every kind of entry."""
    run = tmp_path_factory.mktemp("runs") / "scheduled"
    options = ["--optimizer", "sgd", "--scheduler", "step", "--epochs", "2", "--out", str(run)]
    assert main(["train", *TINY, *options]) == 0
    return run


#: Values no entry of a checkpoint may hold.
WRONG_VALUES = {"a string": "x", "an array of another shape": np.zeros((7, 3))}


@pytest.mark.parametrize("wrong", list(WRONG_VALUES.values()), ids=list(WRONG_VALUES))
def test_every_entry_of_a_checkpoint_set_to_a_wrong_value_gets_one_line(
    wrong, scheduled_run, tmp_path, capsys
):
    # One entry at a time: the weights, the optimizer's state and settings, the schedule,
    # the random generators, the progress, the history.
    entries = _leaves(minitorch.load(scheduled_run / "checkpoint.npz"))
    assert len(entries) > 20
    for entry in entries:
        run = tmp_path / "run"
        shutil.rmtree(run, ignore_errors=True)
        shutil.copytree(scheduled_run, run)
        state = minitorch.load(run / "checkpoint.npz")
        node = state
        for key in entry[:-1]:
            node = node[key]
        node[entry[-1]] = wrong
        minitorch.save(state, run / "checkpoint.npz")
        before = (run / "checkpoint.npz").read_bytes()
        assert main(["train", "--resume", str(run), "--epochs", "3"]) == 2, entry
        assert "checkpoint.npz" in one_line(capsys), entry
        assert (run / "checkpoint.npz").read_bytes() == before


# ====================================================================== config.json
def _write_config(text: str | bytes) -> Callable[[Path], None]:
    def write(run: Path) -> None:
        path = run / "config.json"
        path.write_bytes(text if isinstance(text, bytes) else text.encode())

    return write


def _edit_config(change: Callable[[dict], None]) -> Callable[[Path], None]:
    def edit(run: Path) -> None:
        config = json.loads((run / "config.json").read_text())
        change(config)
        (run / "config.json").write_text(json.dumps(config, indent=2))

    return edit


def _truncate_config(run: Path) -> None:
    text = (run / "config.json").read_text()
    (run / "config.json").write_text(text[: len(text) // 2])


def _truncate_config_inside_a_string(run: Path) -> None:
    text = (run / "config.json").read_text()
    (run / "config.json").write_text(text[: text.index('"command": "') + len('"command": "mi')])


DAMAGED_CONFIGS: dict[str, tuple[Callable[[Path], None], str]] = {
    "truncated": (_truncate_config, "is not valid JSON (it ends too early"),
    "truncated inside a string": (
        _truncate_config_inside_a_string,
        "is not valid JSON (it ends too early",
    ),
    "empty": (_write_config(""), "is not valid JSON"),
    "not UTF-8": (_write_config(b'{"epochs": "\xff\xfe"}'), "is not a text file (not UTF-8)"),
    "a list": (_write_config("[1, 2, 3]"), "is not a minitorch run configuration"),
    "another program's JSON": (
        _write_config('{"lr": 0.1}'),
        "is not a minitorch run configuration",
    ),
    "a newer format version": (
        _edit_config(lambda c: c.update(version=2)),
        "has format version 2; this minitorch reads version 1",
    ),
    "a setting given twice": (
        lambda run: (run / "config.json").write_text(
            (run / "config.json").read_text().replace('"epochs": 2', '"epochs": 2, "epochs": 5')
        ),
        'the setting "epochs" appears twice',
    ),
    "nested 100,000 deep": (_write_config("[" * 100_000), "is not valid JSON"),
}


@pytest.mark.parametrize(
    ("damage", "phrase"), list(DAMAGED_CONFIGS.values()), ids=list(DAMAGED_CONFIGS)
)
def test_a_damaged_config_gets_one_line(damage, phrase, run, capsys):
    damage(run)
    for command in COMMANDS.values():
        assert main(command(run)) == 2
        line = one_line(capsys)
        assert "config.json" in line and phrase in line


#: One fixed config.json text (not the run's, whose length depends on the temporary path), with
#: every kind of token a cut can land in: strings with escapes (\u00e9, a surrogate pair, \", \\,
#: \t), negative, fractional and exponent numbers, true, false, null, nested objects and lists.
FIXED_CONFIG_TEXT = json.dumps(
    {
        "format": "minitorch-run",
        "version": 1,
        "command": 'minitorch train --out "caf\u00e9 \U0001f600"\\x\t',
        "hidden": [256, 128],
        "dropout": 0.0,
        "batch_norm": False,
        "data_seed": None,
        "optimizer_options": {"lr": -1.5e-30, "momentum": 1e20, "nesterov": True},
        "scheduler": {"name": "none"},
    },
    indent=2,
)
#: Where the cuts land, by what they cut into: (name, the text up to the cut).
_CUTS = {
    "after a key": '"hidden"',
    "after a colon": '"hidden":',
    "after a comma": "256,",
    "inside a key": '"hidd',
    "inside a string value": '"minitorch tr',
    "inside a \\u escape": "caf\\u00",
    "between two surrogates": "\\ud83d",
    "after a backslash": "\\ud83d\\",
    "inside an escaped quote": '--out \\"caf\\',
    "inside a number": "25",
    "after a minus": '"lr": -',
    "after a decimal point": '"lr": -1.',
    "after an exponent's e": "1.5e",
    "after an exponent's sign": "1.5e-",
    "inside true": "tr",
    "inside false": "fal",
    "inside null": "nu",
    "inside a nested object": '"scheduler": {',
}


def _cut_after(marker: str) -> str:
    at = FIXED_CONFIG_TEXT.index(marker) + len(marker)
    return FIXED_CONFIG_TEXT[:at]


def _read_config_error(folder: Path, text: str) -> str:
    from minitorch.cli._common import CLIError
    from minitorch.cli._run import RunFolder

    (folder / "config.json").write_text(text, encoding="utf-8")
    with pytest.raises(CLIError) as caught:
        RunFolder(folder).read_config()
    return str(caught.value)


@pytest.mark.parametrize("marker", list(_CUTS.values()), ids=list(_CUTS))
def test_a_config_cut_anywhere_is_reported_as_cut_short(marker, tmp_path):
    text = _cut_after(marker)
    message = _read_config_error(tmp_path, text)
    assert message.startswith(f"{tmp_path / 'config.json'} is not valid JSON (it ends too early")
    assert "cut short" in message and "\n" not in message
    end = text.rstrip()
    assert f"at line {end.count(chr(10)) + 1} column {len(end) - end.rfind(chr(10))}:" in message


def test_every_cut_of_the_fixed_config_is_reported_as_cut_short(tmp_path):
    json.loads(FIXED_CONFIG_TEXT)  # the whole text is valid
    for end in range(1, len(FIXED_CONFIG_TEXT)):
        message = _read_config_error(tmp_path, FIXED_CONFIG_TEXT[:end])
        assert "(it ends too early" in message and "cut short" in message, (end, message)


#: Mistakes that are not a cut: json's own words name them, with their line and column.
_MISTYPED = {
    "a missing comma": ('{"a": 1 "b": 2}', "Expecting ',' delimiter, at line 1 column 9"),
    "a misspelt word": ('{"a": tru }', "Expecting value, at line 1 column 7"),
    "two decimal points": ('{"a": 1.5.', "Expecting ',' delimiter, at line 1 column 10"),
    "a trailing comma": ('{"a": [1,]', "Expecting value, at line 1 column 10"),
    "a bad escape": ('{"a": "x\\q', "Invalid \\escape, at line 1 column 9"),
    "a new line in a string": ('{"a": "b\n', "Invalid control character at, at line 1 column 9"),
    "a bad \\u escape": ('{"a": "\\u12x', "Invalid \\uXXXX escape, at line 1 column 9"),
    "a leading zero": ('{"a": 01', "Expecting ',' delimiter, at line 1 column 8"),
}


@pytest.mark.parametrize(("text", "words"), list(_MISTYPED.values()), ids=list(_MISTYPED))
def test_a_mistyped_config_is_not_called_cut_short(text, words, tmp_path):
    message = _read_config_error(tmp_path, text)
    assert f"is not valid JSON ({words}): it is damaged or was mistyped" in message
    assert "too early" not in message


def _set(path: str, value) -> Callable[[dict], None]:
    """Set a (dotted) setting of a config dict."""

    def change(config: dict) -> None:
        *parents, key = path.split(".")
        for parent in parents:
            config = config[parent]
        config[key] = value

    return change


def _delete(path: str) -> Callable[[dict], None]:
    def change(config: dict) -> None:
        *parents, key = path.split(".")
        for parent in parents:
            config = config[parent]
        del config[key]

    return change


#: A hand-edited value per row: (change to config.json, the phrase naming key, rule and value)
BAD_SETTINGS: dict[str, tuple[Callable[[dict], None], str]] = {
    "epochs as text": (
        _set("epochs", "20"),
        '"epochs" must be a positive whole number, got "20" (a string; write 20 without the '
        "quotes)",
    ),
    "epochs with a fraction": (_set("epochs", 2.5), "got 2.5 (a number with a fraction)"),
    "epochs true": (_set("epochs", True), '"epochs" must be a positive whole number, got true'),
    "epochs zero": (_set("epochs", 0), '"epochs" must be a positive whole number, got 0'),
    "epochs null": (_set("epochs", None), "got null"),
    "batch size negative": (_set("batch_size", -1), '"batch_size" must be a positive whole number'),
    "hidden as text": (_set("hidden", "32"), '"hidden" must be a list of positive whole numbers'),
    "hidden with text inside": (_set("hidden", [4, "4"]), 'got [4, "4"] (a list)'),
    "hidden as a number": (_set("hidden", 4), '"hidden" must be a list of positive whole numbers'),
    "activation misspelt": (_set("activation", "rleu"), "did you mean 'relu'?"),
    "activation a number": (_set("activation", 3), '"activation" must be one of'),
    "dropout too large": (
        _set("dropout", 1.5),
        '"dropout" must be a number at least 0 and below 1',
    ),
    "dropout as text": (_set("dropout", "0.1"), "write 0.1 without the quotes"),
    "optimizer misspelt": (_set("optimizer", "adma"), "did you mean 'adam'?"),
    "lr as text": (
        _set("optimizer_options.lr", "fast"),
        '"optimizer_options.lr" must be a positive',
    ),
    "lr negative": (_set("optimizer_options.lr", -1), "got -1"),
    "lr NaN": (_set("optimizer_options.lr", float("nan")), "got NaN (not a finite number)"),
    "momentum for adam": (
        _set("optimizer_options.momentum", 0.9),
        'unknown setting "optimizer_options.momentum"; it takes: lr, weight_decay',
    ),
    "lr missing": (
        _delete("optimizer_options.lr"),
        'the setting "optimizer_options.lr" is missing',
    ),
    "optimizer options not an object": (
        _set("optimizer_options", [0.1]),
        '"optimizer_options" must be an object',
    ),
    "scheduler as text": (_set("scheduler", "cosine"), '"scheduler" must be an object'),
    "scheduler misspelt": (_set("scheduler.name", "cosin"), "did you mean 'cosine'?"),
    "scheduler argument it lacks": (
        _set("scheduler.gamma", 0.5),
        'unknown setting "scheduler.gamma"',
    ),
    "dataset misspelt": (_set("dataset", "mnst5k"), "did you mean 'mnist5k'?"),
    "samples as text": (_set("dataset_options.n_samples", "100"), "write 100 without the quotes"),
    "an option the data set lacks": (
        _set("dataset_options.n_classes", 3),
        'unknown setting "dataset_options.n_classes"',
    ),
    "data seed as text": (_set("data_seed", "0"), '"data_seed" must be a whole number, 0 or more'),
    "seed negative": (_set("seed", -1), '"seed" must be a whole number, 0 or more, got -1'),
    "a misspelt setting": (_set("epoch", 30), "unknown setting \"epoch\" (did you mean 'epochs'?)"),
    "a setting missing": (_delete("seed"), 'the setting "seed" is missing'),
    "classes not a list": (_set("classes", "0 1"), '"classes" must be a list of strings'),
}


@pytest.mark.parametrize(("change", "phrase"), list(BAD_SETTINGS.values()), ids=list(BAD_SETTINGS))
def test_a_hand_edited_setting_of_the_wrong_type_is_named_with_its_rule(
    change, phrase, run, capsys
):
    _edit_config(change)(run)
    assert main(["evaluate", str(run)]) == 2
    line = one_line(capsys)
    assert "config.json: " in line and phrase in line
    assert line.endswith("correct it, or start a new run with 'minitorch train'")


def test_resume_checks_the_config_the_same_way_and_changes_nothing(run, capsys):
    _edit_config(_set("epochs", "3"))(run)
    before = {p.name: p.read_bytes() for p in run.iterdir()}
    assert main(["train", "--resume", str(run)]) == 2
    assert '"epochs" must be a positive whole number, got "3"' in one_line(capsys)
    assert {p.name: p.read_bytes() for p in run.iterdir()} == before


def test_a_datasets_fixed_seed_must_stay_null(tmp_path, capsys):
    run = tmp_path / "digits"
    arguments = ["--hidden", "4", "--epochs", "1", "--batch-size", "500", "--quiet"]
    assert main(["train", *arguments, "--out", str(run)]) == 0
    _edit_config(_set("data_seed", 3))(run)
    assert main(["evaluate", str(run)]) == 2
    assert "digits is a fixed data set" in one_line(capsys)


# ====================================================================== output folders
def _refuse(error_number: int, what: str) -> Callable[..., None]:
    def refuse(*args, **kwargs):
        raise OSError(error_number, os.strerror(error_number), what)

    return refuse


def _folder_is_a_file(tmp_path: Path, monkeypatch) -> list[str]:
    (tmp_path / "out").write_text("a file")
    return ["--out", str(tmp_path / "out")]


def _parent_is_a_file(tmp_path: Path, monkeypatch) -> list[str]:
    (tmp_path / "notes.txt").write_text("a file")
    return ["--out", str(tmp_path / "notes.txt" / "run")]


def _mkdir_refused(error_number: int) -> Callable:
    def setup(tmp_path: Path, monkeypatch) -> list[str]:
        monkeypatch.setattr(Path, "mkdir", _refuse(error_number, "mkdir"))
        return ["--out", str(tmp_path / "new" / "run")]

    return setup


def _default_folder_refused(tmp_path: Path, monkeypatch) -> list[str]:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(Path, "mkdir", _refuse(errno.EACCES, "mkdir"))
    return []


def _empty_folder_not_writable(tmp_path: Path, monkeypatch) -> list[str]:
    (tmp_path / "empty").mkdir()
    real_open = os.open

    def open_refused(path, flags, *args, **kwargs):
        if Path(path).parent == tmp_path / "empty" and flags & os.O_CREAT:
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", open_refused)
    return ["--out", str(tmp_path / "empty")]


def _really_read_only(tmp_path: Path, monkeypatch) -> list[str]:
    if os.name != "posix" or os.geteuid() == 0:
        pytest.skip("needs POSIX permissions that apply (not root)")
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(stat.S_IRUSR | stat.S_IXUSR)
    return ["--out", str(folder / "run")]


#: name -> (set up, return the extra arguments; phrase; exit code)
OUTPUT_PROBLEMS: dict[str, tuple[Callable, str, int]] = {
    "--out is a file": (_folder_is_a_file, "that is a file, not a folder", 2),
    "--out is below a file": (_parent_is_a_file, "notes.txt is a file, so no folder", 2),
    "--out cannot be made (permission)": (
        _mkdir_refused(errno.EACCES),
        "the run folder cannot be made (permission denied)",
        1,
    ),
    "--out is on a read-only disk": (
        _mkdir_refused(errno.EROFS),
        "(the file system is read-only); choose a folder you can write to with --out",
        1,
    ),
    "the default runs/ cannot be made": (
        _default_folder_refused,
        "run from a folder you can write to",
        1,
    ),
    "--out is an empty folder that cannot be written": (
        _empty_folder_not_writable,
        "permission denied while writing",
        1,
    ),
    "--out is below a read-only folder (real permissions)": (
        _really_read_only,
        "permission denied",
        1,
    ),
}


@pytest.mark.parametrize(
    ("setup", "phrase", "code"), list(OUTPUT_PROBLEMS.values()), ids=list(OUTPUT_PROBLEMS)
)
def test_an_output_folder_that_cannot_be_used_gets_one_line(
    setup, phrase, code, tmp_path, monkeypatch, capsys
):
    arguments = setup(tmp_path, monkeypatch)
    before = sorted(tmp_path.rglob("*"))
    assert main(["train", *TINY, "--epochs", "1", *arguments]) == code
    monkeypatch.undo()
    line = one_line(capsys)
    assert phrase in line, line
    assert sorted(tmp_path.rglob("*")) == before  # nothing half-made left behind


# ====================================================================== a full disk
class _FullFile:
    """A file on a full disk: every write fails with ENOSPC."""

    def __init__(self, handle) -> None:
        self._handle = handle

    def write(self, data) -> int:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    def __getattr__(self, name: str):
        return getattr(self._handle, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info) -> None:
        self._handle.close()


class FullDisk:
    """From the ``n``-th file the trainer opens for writing on, the disk is full."""

    def __init__(self, monkeypatch, failing_file: int) -> None:
        self.files = 0
        self.failing_file = failing_file
        self.real = os.fdopen
        monkeypatch.setattr(os, "fdopen", self)

    def __call__(self, descriptor: int, *args, **kwargs):
        handle = self.real(descriptor, *args, **kwargs)
        self.files += 1
        return _FullFile(handle) if self.files >= self.failing_file else handle


def _half_written_checkpoint(monkeypatch, failing_call: int) -> None:
    """The checkpoint's arrays fail half-way, from the ``failing_call``-th one on."""
    real = np.lib.format.write_array
    calls = [0]

    def write_array(stream, array, **kwargs):
        calls[0] += 1
        if calls[0] < failing_call:
            return real(stream, array, **kwargs)
        buffer = io.BytesIO()
        real(buffer, array, **kwargs)
        stream.write(buffer.getvalue()[: len(buffer.getvalue()) // 2])
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(np.lib.format, "write_array", write_array)


# Order of the files a 3-epoch run writes: config.json, checkpoint.npz, metrics.csv, times.csv
# (the start), then checkpoint.npz, metrics.csv and times.csv after each epoch, and curves.png.
#: name -> (the first file that fails, phrase, epoch of the checkpoint left, or None: no run)
FULL_DISK: dict[str, tuple[int, str, int | None]] = {
    "writing config.json": (1, "config.json before training began, so nothing was kept", None),
    "the first checkpoint": (2, "checkpoint.npz before training began", None),
    "times.csv before training": (4, "times.csv before training began", None),
    "the checkpoint after epoch 2": (8, "checkpoint.npz from epoch 1 is intact", 1),
    "metrics.csv after epoch 2": (9, "checkpoint.npz from epoch 2 is intact", 2),
    "times.csv after epoch 2": (10, "checkpoint.npz from epoch 2 is intact", 2),
    "curves.png at the end": (14, "checkpoint.npz from epoch 3 is intact", 3),
}


@pytest.mark.parametrize(
    ("failing_file", "phrase", "kept_epoch"), list(FULL_DISK.values()), ids=list(FULL_DISK)
)
def test_a_full_disk_says_the_last_checkpoint_is_intact_and_how_to_resume(
    failing_file, phrase, kept_epoch, tmp_path, monkeypatch, capsys
):
    run = tmp_path / "run"
    FullDisk(monkeypatch, failing_file)
    assert main(["train", *TINY, "--epochs", "3", "--out", str(run)]) == 1
    monkeypatch.undo()
    line = one_line(capsys)
    assert line.startswith("minitorch: error: the disk is full while writing ")
    assert phrase in line and "free some disk space" in line
    assert temporaries(tmp_path) == []
    if kept_epoch is None:
        assert not run.exists() and "run the command again" in line
        return
    assert f"then continue with: minitorch train --resume {run}" in line
    assert minitorch.load(run / "checkpoint.npz")["epoch"] == kept_epoch
    # ... and that is what happens: the run ends as if the disk had never been full.
    assert main(["train", "--resume", str(run), "--quiet"]) == 0
    capsys.readouterr()
    assert minitorch.load(run / "checkpoint.npz")["epoch"] == 3
    assert len((run / "metrics.csv").read_text().splitlines()) == 4
    assert len((run / "times.csv").read_text().splitlines()) == 4
    assert (run / "curves.png").is_file()


def test_a_checkpoint_half_written_when_the_disk_fills_leaves_the_last_one(
    tmp_path, monkeypatch, capsys
):
    run = tmp_path / "run"
    assert main(["train", *TINY, "--epochs", "1", "--out", str(run)]) == 0
    before = (run / "checkpoint.npz").read_bytes()
    _half_written_checkpoint(monkeypatch, failing_call=1)
    assert main(["train", "--resume", str(run), "--epochs", "2", "--quiet"]) == 1
    monkeypatch.undo()
    line = one_line(capsys)
    assert "the disk is full while writing" in line and "from epoch 1 is intact" in line
    assert (run / "checkpoint.npz").read_bytes() == before
    assert temporaries(tmp_path) == []


# ====================================================================== paths that are not UTF-8
needs_bytes_paths = pytest.mark.skipif(
    not sys.platform.startswith("linux") or sys.getfilesystemencoding() != "utf-8",
    reason="needs a file system that takes any bytes as names (Linux)",
)


@needs_bytes_paths
def test_a_path_that_is_not_utf8_works_and_is_shown_readably(tmp_path, capsys):
    """Bytes on the command line of a real command, its output to a strict UTF-8 pipe."""
    run = os.fsencode(tmp_path) + b"/caf\xe9-run"
    env = {**os.environ, "PYTHONIOENCODING": "utf-8:strict", "PYTHONUTF8": "0"}

    def minitorch_command(*arguments: bytes | str) -> subprocess.CompletedProcess:
        command = [sys.executable.encode(), b"-m", b"minitorch", *map(os.fsencode, arguments)]
        return subprocess.run(command, capture_output=True, env=env, timeout=120)

    trained = minitorch_command("train", *TINY, "--epochs", "1", "--out", run)
    assert trained.returncode == 0, trained.stderr.decode()
    assert b"caf\\xe9-run" in trained.stdout and not trained.stderr
    assert os.path.isfile(run + b"/checkpoint.npz")

    # The same command again finds the run there: one line, with a command to paste into bash.
    capsys.readouterr()
    assert main(["train", *TINY, "--out", os.fsdecode(run)]) == 2
    line = one_line(capsys)
    assert "--resume $'" in line and "caf\\xe9-run'" in line
    assert main(["evaluate", os.fsdecode(run + b"/missing")]) == 2
    assert "caf\\xe9-run/missing does not exist" in one_line(capsys)


@needs_bytes_paths
def test_the_suggested_command_for_a_bytes_path_is_valid_shell(tmp_path):
    bash = shutil.which("bash")
    if bash is None:
        pytest.skip("no bash")
    name = os.fsdecode(b"caf\xe9 'x'\\y")
    result = subprocess.run([bash, "-c", f"printf %s {shell_quote(name)}"], capture_output=True)
    assert result.stdout == os.fsencode(name)


# ====================================================================== Ctrl-C while starting
def _interrupt(*args, **kwargs):
    raise KeyboardInterrupt


#: name -> (the function that Ctrl-C interrupts, the command, the phrase)
CTRL_C_AT_START: dict[str, tuple[str, str, str]] = {
    "building the parser": ("minitorch.cli.build_parser", "new", "stopped by Ctrl-C"),
    "loading the data": ("minitorch.cli._setup.get_dataset", "new", "nothing was written"),
    "building the model": ("minitorch.cli._setup.build_mlp", "new", "nothing was written"),
    "making the run folder": (
        "minitorch.cli._trainer.RunFolder.create",
        "new",
        "nothing was written",
    ),
    "writing config.json": ("minitorch.cli._run.write_text_atomic", "new", "nothing was written"),
    "the first checkpoint": ("minitorch.cli._run.save", "new", "nothing was written"),
    "reading the checkpoint to resume": ("minitorch.cli._run.load", "resume", "is unchanged"),
    "rebuilding the run to resume": ("minitorch.cli._setup.build_mlp", "resume", "is unchanged"),
    "loading data to evaluate": (
        "minitorch.cli._setup.get_dataset",
        "evaluate",
        "stopped by Ctrl-C",
    ),
}


@pytest.mark.parametrize(
    ("target", "command", "phrase"), list(CTRL_C_AT_START.values()), ids=list(CTRL_C_AT_START)
)
def test_ctrl_c_while_starting_stops_with_one_line_and_leaves_nothing_half_made(
    target, command, phrase, run, tmp_path, monkeypatch, capsys
):
    new_run = tmp_path / "new"
    arguments = {
        "new": ["train", *TINY, "--epochs", "1", "--out", str(new_run)],
        "resume": ["train", "--resume", str(run), "--epochs", "3"],
        "evaluate": ["evaluate", str(run)],
    }[command]
    before = {p.name: p.read_bytes() for p in run.iterdir()}
    monkeypatch.setattr(target, _interrupt)
    assert main(arguments) == 130
    monkeypatch.undo()
    line = one_line(capsys, prefix="minitorch: stopped by Ctrl-C")
    assert phrase in line
    if command == "resume":
        assert f"continue with: minitorch train --resume {run}" in line
    assert not new_run.exists()
    assert {p.name: p.read_bytes() for p in run.iterdir()} == before
    assert temporaries(tmp_path) == []


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT cannot be sent to a process there")
def test_a_real_ctrl_c_during_a_slow_start_gives_one_line(tmp_path):
    # The data set takes long to load here (the child slows it down), so SIGINT lands there.
    child = textwrap.dedent(
        f"""
        import sys, time
        import minitorch.cli._setup as setup
        from minitorch.cli import main
        def slow_get_dataset(*args, **kwargs):
            print("loading", flush=True)
            time.sleep(60)
        setup.get_dataset = slow_get_dataset
        sys.exit(main(["train", "--quiet", "--out", {str(tmp_path / "run")!r}]))
        """
    )
    process = subprocess.Popen(
        [sys.executable, "-c", child], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout.readline() == "loading\n"
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=60)
    finally:
        process.kill()
    assert process.returncode == 130
    assert err == "minitorch: stopped by Ctrl-C while starting; nothing was written\n"
    assert not (tmp_path / "run").exists()


def test_the_stale_temporaries_of_a_killed_trainer_are_removed_by_the_next_save(run):
    old = time.time() - 3600
    stale = run / ".checkpoint.npz.999999999-0123456789abcdef.tmp"  # no such process
    stale.write_bytes(b"half a checkpoint")
    os.utime(stale, (old, old))
    assert main(["train", "--resume", str(run), "--epochs", "3", "--quiet"]) == 0
    assert not stale.exists()
