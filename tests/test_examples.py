"""The examples run as written and reach the accuracies the README promises."""

from __future__ import annotations

import importlib.util
import inspect
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

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


@pytest.mark.parametrize("name", sorted(p.stem for p in EXAMPLES.glob("*.py")))
def test_every_example_explains_itself_with_help(name):
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / f"{name}.py"), "--help"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("usage:")


def help_defaults(name: str) -> dict[str, str]:
    """Each option of an example's --help and the default its text shows ("" when none)."""
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / f"{name}.py"), "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "COLUMNS": "200"},
    )
    assert result.returncode == 0, result.stderr
    blocks: list[str] = []
    for line in result.stdout.split("options:", 1)[1].splitlines():
        if line.startswith("  -"):
            blocks.append(line)
        elif blocks:
            blocks[-1] += " " + line
    options = {}
    for block in map(" ".join, (b.split() for b in blocks)):
        option = re.match(r"(?:-\w, )?(--[\w-]+)", block).group(1)
        shown = re.search(r"\(default: ([^)]*)\)$", block)
        options[option] = shown.group(1) if shown else ""
    return options


@pytest.mark.parametrize("name", sorted(p.stem for p in EXAMPLES.glob("*.py")))
def test_every_example_help_shows_each_options_default(name):
    # the default --help shows is the one main() uses when the option's name is main's argument
    main_defaults = inspect.signature(load(name).main).parameters
    options = help_defaults(name)
    options.pop("--help")
    assert options, f"{name}.py has no options"
    for option, shown in options.items():
        assert shown, f"{name}.py --help does not show the default of {option}"
        parameter = main_defaults.get(option[2:].replace("-", "_"))
        if parameter is not None:
            assert shown == str(parameter.default), (name, option, shown, parameter.default)


def test_diagnostics_side_by_side_panels_show_every_panels_values(tmp_path):
    diagnostics = load("diagnostics")
    axes_seen = []

    def panel(low, high):
        def draw(ax):
            ax.bar([0, 1], [low, high], log=True)
            ax.set_ylim(low / 2, high * 2)
            axes_seen.append(ax)

        return draw

    diagnostics.side_by_side(
        {"tiny": panel(1e-7, 1e-6), "big": panel(0.1, 1.0)}, tmp_path / "a.png"
    )
    low, high = axes_seen[0].get_ylim()
    assert low <= 1e-7 / 2 and high >= 2.0  # the tiny bars are not cut off by the big panel


def test_the_readme_gives_the_one_blas_thread_advice_beside_its_first_commands():
    # a newcomer on a busy machine reads the first commands, not the GPT paragraph
    readme = (EXAMPLES.parent / "README.md").read_text(encoding="utf-8")
    introduction = readme.split("\n## ", 1)[0]
    assert "```bash\npip install -e ." in introduction
    assert "OPENBLAS_NUM_THREADS=1 minitorch train" in introduction
