"""Data files are bounded and named (issue 16, category 2): a text file in another encoding is
a ``ValueError`` naming the file, and a damaged bundled text is one line from ``minitorch
train``, ``evaluate`` and ``sample`` alike. (Downloads timing out as a whole and gzip files
bounded by their size are rows of tests/test_mnist.py: ``trickling`` and ``gzip-bomb``.)
"""

from __future__ import annotations

import shutil

import pytest

from minitorch.cli import main
from minitorch.datasets import CharDataset
from minitorch.datasets import text as text_module

TEXT = "First Citizen: café, naïve — ‘quoted’.\n" * 20

# (id, bytes of the file, encoding asked for, words of the message)
BAD_TEXT_FILES = [
    ("latin-1-as-utf-8", TEXT.replace("—", "-").replace("‘", "'").replace("’", "'")
     .encode("latin-1"), "utf-8", ["is not utf-8 text", "0xE9", "encoding='latin-1'"]),
    ("utf-16-as-utf-8", TEXT.encode("utf-16"), "utf-8", ["is not utf-8 text", "0xFF"]),
    ("utf-8-as-ascii", TEXT.encode("utf-8"), "ascii", ["is not ascii text"]),
    ("unknown-encoding", TEXT.encode("utf-8"), "utf-9", ["unknown encoding 'utf-9'"]),
]  # fmt: skip


@pytest.mark.parametrize("content, encoding, words", [r[1:] for r in BAD_TEXT_FILES],
                         ids=[r[0] for r in BAD_TEXT_FILES])  # fmt: skip
def test_a_text_file_in_another_encoding_is_an_error_naming_it(content, encoding, words, tmp_path):
    path = tmp_path / "plays.txt"
    path.write_bytes(content)
    with pytest.raises(ValueError) as caught:
        CharDataset.from_file(path, encoding=encoding)
    message = str(caught.value)
    assert str(path) in message and "\n" not in message
    for word in words:
        assert word in message


def test_the_right_encoding_reads_the_file(tmp_path):
    path = tmp_path / "plays.txt"
    path.write_bytes(TEXT.encode("utf-16"))
    assert CharDataset.from_file(path, encoding="utf-16").text == TEXT[: len(TEXT) * 9 // 10]


# ---------------------------------------------------------------------- the command line
@pytest.fixture(scope="module")
def gpt_run(tmp_path_factory):
    from test_cli_models import TINY_GPT

    run = tmp_path_factory.mktemp("gpt") / "run"
    options = ["--iters", "2", "--warmup-iters", "1", "--eval-interval", "2", "--out", str(run)]
    assert main(["train", *TINY_GPT, *options]) == 0
    return run


@pytest.fixture
def damaged_bundled_text(monkeypatch):
    """The bundled Tiny Shakespeare as if a byte of it had changed on disk."""
    read = text_module._read_bytes

    def damaged(spec, path):
        raw, where = read(spec, path)
        return raw.replace(b"ROMEO", b"ROMEA", 1), where

    monkeypatch.setattr(text_module, "_read_bytes", damaged)
    monkeypatch.setattr(text_module, "_cache", {})


# (id, the command's arguments after the run folder or options)
COMMANDS = [
    ("sample", lambda run, tmp: ["sample", str(run), "--tokens", "5"]),
    ("evaluate", lambda run, tmp: ["evaluate", str(run)]),
    ("train", lambda run, tmp: ["train", "--model", "gpt", "--iters", "200", "--quiet",
                                "--out", str(tmp / "new")]),
]  # fmt: skip


@pytest.mark.parametrize("command", [r[1] for r in COMMANDS], ids=[r[0] for r in COMMANDS])
def test_a_damaged_bundled_text_is_one_line_for_every_command(
    command, gpt_run, damaged_bundled_text, tmp_path, capsys
):
    run = tmp_path / "run"
    shutil.copytree(gpt_run, run)
    code = main(command(run, tmp_path))
    captured = capsys.readouterr()
    lines = captured.err.splitlines()
    assert code == 2 and len(lines) == 1, captured.err
    assert lines[0].startswith("minitorch: error: ") and "corrupt" in lines[0]
    assert "tinyshakespeare.txt" in lines[0]
