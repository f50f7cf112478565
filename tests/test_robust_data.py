"""Data files are bounded and named (issue 16, category 2): a text file in another encoding is
a ``ValueError`` naming the file, and a damaged bundled text is one line from ``minitorch
train``, ``evaluate`` and ``sample`` alike. (Downloads timing out as a whole and gzip files
bounded by their size are rows of tests/test_mnist.py: ``trickling`` and ``gzip-bomb``; here
the issue's bomb, 100 MB of zeros in a gzip file of about 100 KB, is refused within a few MB of
memory, measured with tracemalloc.)
"""

from __future__ import annotations

import gzip
import shutil
import struct
import tracemalloc
import zlib

import pytest

from minitorch.cli import main
from minitorch.datasets import MNIST, CharDataset
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


def _gzip_of_zeros(header: bytes, megabytes: int) -> bytes:
    """A gzip file of ``header`` and that many MB of zeros, compressed a MB at a time."""
    deflate = zlib.compressobj(9, zlib.DEFLATED, 31)  # wbits 31: a gzip header and trailer
    parts = [deflate.compress(header)]
    parts += [deflate.compress(bytes(1 << 20)) for _ in range(megabytes)]
    return b"".join([*parts, deflate.flush()])


# (id, MB of zeros after the header, the largest tracemalloc peak allowed in MB): the issue's
# bomb (a 102 KB gzip whose header claims 4·10⁹ images inflated 104 MB before it was refused)
GZIP_BOMBS = [
    ("issue-bomb-100-MB", 100, 8),
    ("small-bomb-4-MB", 4, 8),
]  # fmt: skip


@pytest.mark.parametrize("megabytes, peak_mb", [r[1:] for r in GZIP_BOMBS],
                         ids=[r[0] for r in GZIP_BOMBS])  # fmt: skip
def test_a_gzip_bomb_is_refused_before_it_inflates(megabytes, peak_mb, tmp_path):
    count = 2**32 - 1
    images = _gzip_of_zeros(struct.pack(">IIII", 2051, count, 28, 28), megabytes)
    labels = gzip.compress(struct.pack(">II", 2049, count), mtime=0)
    assert len(images) < megabytes * 1100 + 1000  # zeros deflate about 1000:1
    (tmp_path / "train-images-idx3-ubyte.gz").write_bytes(images)
    (tmp_path / "train-labels-idx1-ubyte.gz").write_bytes(labels)
    tracemalloc.start()
    try:
        with pytest.raises(ValueError) as caught:
            MNIST(tmp_path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert "4,294,967,295 images" in str(caught.value) and "holds at most" in str(caught.value)
    assert peak < peak_mb * 2**20, f"peak {peak / 2**20:.1f} MB while refusing"
