"""examples/dcgan_mnist.py trains as written, on a tiny setting: finite losses, the figure in
the folder asked for (never the README's docs/), the classifier's verdict on generated digits,
the classifier saved and loaded again, and --help with the defaults.

The example runs as a student runs it, in a fresh interpreter, BLAS held to one thread (the
matrices are small, and on a busy machine threads make every product slower).
"""

from __future__ import annotations

import math
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "dcgan_mnist.py"
DOCS = EXAMPLE.parents[1] / "docs"
PNG = b"\x89PNG\r\n\x1a\n"
LOSSES = re.compile(r"D loss (\S+)\s+G loss (\S+)")
VERDICT = re.compile(
    r"(\d+) generated digits: mean top-class probability (\S+); smallest class (\S+)%"
)
TINY = ("--epochs", "2", "--train-size", "128", "--width", "8", "--classifier-epochs", "1",
        "--samples", "50")  # fmt: skip


def run(*arguments: str, cwd: Path) -> str:
    environment = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "MPLBACKEND": "Agg"}
    result = subprocess.run(
        [sys.executable, str(EXAMPLE), *arguments],
        capture_output=True,
        text=True,
        timeout=180,
        env=environment,
        cwd=cwd,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_the_dcgan_trains_judges_its_digits_and_writes_its_figure(tmp_path):
    readme_figures = {path: path.read_bytes() for path in DOCS.glob("dcgan_*.png")}
    output = run(*TINY, cwd=tmp_path)  # the default --out: runs/dcgan_mnist here
    losses = [(float(d), float(g)) for d, g in LOSSES.findall(output)]
    assert len(losses) == 2, output  # one line per epoch
    assert all(math.isfinite(d) and math.isfinite(g) for d, g in losses), losses
    assert "2 epochs (16 iterations)" in output  # 128 digits, 8 full batches of 16
    folder = tmp_path / "runs" / "dcgan_mnist"
    assert (folder / "dcgan_mnist.png").read_bytes()[:8] == PNG
    assert (folder / "classifier.npz").exists()
    verdict = VERDICT.search(output)
    assert verdict, output
    assert int(verdict.group(1)) == 50
    assert 0.1 <= float(verdict.group(2)) <= 1.0  # a probability, at least 1/10
    assert 0 <= float(verdict.group(3)) <= 10  # the smallest of ten shares
    assert {path: path.read_bytes() for path in DOCS.glob("dcgan_*.png")} == readme_figures

    again = run(*TINY, "--epochs", "1", cwd=tmp_path)  # the saved classifier is used again
    assert "classifier loaded from runs/dcgan_mnist/classifier.npz" in again
    assert "classifier epoch" not in again


def test_help_shows_the_defaults(tmp_path):
    output = " ".join(run("--help", cwd=tmp_path).split())  # argparse wraps lines
    for option, default in [("--epochs", "60"), ("--lr", "0.0002"), ("--samples", "1000"),
                            ("--out", "runs/dcgan_mnist"), ("--classifier-epochs", "12"),
                            ("--batch-size", "16")]:
        assert re.search(rf"{option} .*?\(default: {re.escape(default)}\)", output), option
    assert not (tmp_path / "runs").exists()  # --help trains nothing


def test_compare_trains_the_pytorch_copy_and_judges_its_digits(tmp_path):
    pytest.importorskip("torch")
    output = run(*TINY, "--epochs", "1", "--compare", "--out", str(tmp_path), cwd=tmp_path)
    ours = VERDICT.search(output)
    theirs = re.search(
        r"the PyTorch copy, trained in \d+ s, on the same noise: mean top-class probability "
        r"(\S+); smallest class (\S+)%",
        output,
    )
    assert ours and theirs, output
    assert 0.1 <= float(theirs.group(1)) <= 1.0 and 0 <= float(theirs.group(2)) <= 10
