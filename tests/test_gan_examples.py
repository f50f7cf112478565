"""The GAN examples train as written: finite losses, a figure, and the ring's modes covered.

Each example runs as a student runs it, in a fresh interpreter, with shorter settings. BLAS is
held to one thread there: these matrices are far too small to share between threads, and on a
busy machine the threads make every product many times slower.
"""

from __future__ import annotations

import importlib.util
import inspect
import math
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
DOCS = EXAMPLES.parent / "docs"
PNG = b"\x89PNG\r\n\x1a\n"
LOSSES = re.compile(r"D loss (\S+)\s+G loss (\S+)")


def run(name: str, *arguments: str, cwd: Path | None = None) -> str:
    environment = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "MPLBACKEND": "Agg"}
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / f"{name}.py"), *arguments],
        capture_output=True,
        text=True,
        timeout=120,
        env=environment,
        cwd=cwd,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def finite_losses(output: str) -> list[tuple[float, float]]:
    losses = [(float(d), float(g)) for d, g in LOSSES.findall(output)]
    assert losses, output
    assert all(math.isfinite(d) and math.isfinite(g) for d, g in losses), losses
    return losses


def test_gan_ring_covers_the_modes_and_writes_its_figure(tmp_path):
    # A smaller, faster setting than the example's default (2,000 iterations of 256 points,
    # 64 hidden units, lr 1e-3: a few seconds). With seeds 0, 1 and 2 it covers 8, 8 and 7 of
    # the 8 modes with about half of the points within 3 std of a centre; at the start it
    # covers none. The bounds leave room for other BLAS libraries' rounding.
    figure = tmp_path / "gan_ring.png"
    output = run(
        "gan_ring",
        *("--iterations", "2000", "--batch-size", "256", "--hidden", "64", "--lr", "1e-3"),
        *("--out", str(tmp_path)),
    )
    losses = finite_losses(output)
    assert len(losses) == 5  # one line per snapshot
    first = re.search(r"modes covered (\d)/8", output)
    assert first and int(first.group(1)) <= 1  # the untrained generator covers no mode
    final = re.search(r"final: (\d)/8 modes covered, (\d+)% of the points", output)
    assert final, output
    covered, within = int(final.group(1)), int(final.group(2))
    assert covered >= 6, output
    assert within >= 25, output
    assert figure.read_bytes()[:8] == PNG


def test_gan_digits_trains_and_writes_its_figure(tmp_path):
    # with its default --out: a folder in the working directory, never the README's docs/
    readme_figures = {path: path.read_bytes() for path in DOCS.glob("gan_*.png")}
    output = run("gan_digits", "--epochs", "2", cwd=tmp_path)
    assert len(finite_losses(output)) == 2  # epochs 1 and 2
    assert "2 epochs (44 iterations)" in output  # 1,438 training digits, 22 full batches of 64
    assert (tmp_path / "runs" / "gan_digits" / "gan_digits.png").read_bytes()[:8] == PNG
    assert {path: path.read_bytes() for path in DOCS.glob("gan_*.png")} == readme_figures


@pytest.mark.parametrize("name", ["gan_ring", "gan_digits"])
def test_gan_examples_default_to_a_folder_in_the_working_directory(name):
    # the README's figures in docs/ are written only when asked (--out docs)
    defaults = inspect.signature(load(name).main).parameters["out"].default
    assert defaults == f"runs/{name}"
    assert not Path(defaults).is_absolute()
    assert "--out docs" in (EXAMPLES / f"{name}.py").read_text()
    assert (DOCS / f"{name}.png").read_bytes()[:8] == PNG  # the README's figure stays


def load(name: str):
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_gan_ring_is_reproducible_with_its_seed(capsys):
    # everything random (initialisation, real points, noise) comes from minitorch's generator
    ring = load("gan_ring")
    runs = [ring.train(20, 32, 1e-3, 16, seed, snapshot_at=(20,)) for seed in (0, 0, 1)]
    assert runs[0]["d_losses"] == runs[1]["d_losses"] != runs[2]["d_losses"]
    np.testing.assert_array_equal(runs[0]["snapshots"][20], runs[1]["snapshots"][20])
    assert "iteration    20" in capsys.readouterr().out


def test_mode_coverage_counts_modes_and_points_near_them():
    ring = load("gan_ring")
    assert ring.mode_coverage(np.repeat(ring.CENTRES, 10, axis=0)) == (8, 1.0)
    one_mode = ring.CENTRES[[0]] + 0.01 * np.random.default_rng(0).standard_normal((100, 2))
    assert ring.mode_coverage(one_mode) == (1, 1.0)  # mode collapse: one mode, all "good"
    far = np.vstack([ring.CENTRES * 1.5, np.zeros((8, 2))])  # off the ring, and its centre
    assert ring.mode_coverage(far) == (0, 0.0)
