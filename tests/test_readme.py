"""The README's runnable Python examples run as written and do what the README says."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from minitorch.datasets import Digits

README = Path(__file__).resolve().parents[1] / "README.md"
# Blocks that begin with an import are complete programs; the others are excerpts.
BLOCKS = [
    block
    for block in re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
    if block.startswith(("import", "from"))
]


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
