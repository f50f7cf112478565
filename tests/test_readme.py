"""The README's runnable Python examples run as written and do what the README says."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import numpy as np

from minitorch.datasets import Digits

README = Path(__file__).resolve().parents[1] / "README.md"
# Blocks that begin with an import are complete programs, run below; the others say that they
# are excerpts in their first line.
ALL_BLOCKS = [
    textwrap.dedent(block)
    for block in re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
]
BLOCKS = [block for block in ALL_BLOCKS if block.startswith(("import", "from"))]
RUN_BY_THE_TESTS_BELOW = ("for epoch in range", "class Scale")


def test_every_block_runs_or_is_marked_as_an_excerpt():
    for block in ALL_BLOCKS:
        assert block in BLOCKS or block.startswith("# excerpt"), block
    assert [any(m in b for m in RUN_BY_THE_TESTS_BELOW) for b in BLOCKS] == [True] * len(BLOCKS)


def run(marker: str) -> dict:
    (block,) = [block for block in BLOCKS if marker in block]
    namespace = {"__name__": "readme_example"}
    exec(compile(block, str(README), "exec"), namespace)
    return namespace


def test_training_loop_learns_the_digits():
    namespace = run("for epoch in range")
    model = namespace["model"].eval()
    images, labels = Digits(train=False, flatten=True).tensors
    assert np.mean(model(images).argmax(axis=1) == labels) >= 0.95


def test_own_layer_example_passes_its_checks(capsys):
    namespace = run("class Scale")
    printed = capsys.readouterr().out
    assert "all gradients match" in printed  # gradcheck(..., verbose=True) printed its table
    assert namespace["Scale"](3)(np.ones((2, 3))).shape == (2, 3)
