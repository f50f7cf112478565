"""The examples run as written and reach the accuracies the README promises."""

from __future__ import annotations

import importlib.util
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def load(name: str):
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_digits_reaches_97_percent_on_held_out_digits(capsys):
    accuracy = load("digits").main()
    assert accuracy >= 0.97
    assert "test accuracy on 359 held-out digits" in capsys.readouterr().out


def test_spiral_reaches_95_percent_training_accuracy(tmp_path):
    plot = tmp_path / "spiral.png"
    assert load("spiral").main(plot=str(plot)) >= 0.95
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_regression_fits_the_sine():
    # the noise variance is 0.01; a good fit is far closer to the clean curve than that
    assert load("regression").main() < 0.005


def test_examples_are_reproducible():
    assert load("digits").main(epochs=3) == load("digits").main(epochs=3)
