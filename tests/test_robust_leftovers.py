"""Leftovers of the first round (issue 16, category 8): ``to_dtype`` to an integer or complex
dtype is refused as a constructor refuses it (PyTorch's ``Module.to`` accepts only floating
dtypes too); a GPT run whose minimum learning rate is above its learning rate, or whose
warm-up is not shorter than the run, is refused before anything is written. (Orphaned
temporary files of any save in a folder: tests/test_serialization.py, the ``ORPHANS`` rows.)
"""

from __future__ import annotations

import numpy as np
import pytest

from minitorch import nn
from minitorch.cli import main

# (id, dtype, error words)
BAD_DTYPES = [
    ("int32", np.int32, "got dtype int32"),
    ("int64-name", "int64", "got dtype int64"),
    ("complex", np.complex64, "got dtype complex64"),
    ("bool", bool, "got dtype bool"),
    ("not-a-dtype", "nonsense", "dtype must be a NumPy dtype"),
    ("none", None, "give a dtype"),
]


@pytest.mark.parametrize("dtype, words", [r[1:] for r in BAD_DTYPES],
                         ids=[r[0] for r in BAD_DTYPES])  # fmt: skip
def test_to_dtype_refuses_what_parameters_cannot_be_and_changes_nothing(dtype, words):
    model = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3))
    before = model.state_dict()
    with pytest.raises(TypeError) as caught:
        model.to_dtype(dtype)
    assert "Sequential.to_dtype" in str(caught.value) and words in str(caught.value)
    for name, array in model.state_dict().items():
        assert array.dtype == before[name].dtype, name


def test_to_dtype_still_converts_to_every_float_dtype():
    model = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3))
    for dtype in (np.float64, "float16", np.float32):
        model.to_dtype(dtype)
        assert model[0].W.dtype == np.dtype(dtype) and model[1].running_var.dtype == dtype
        assert model[1].num_batches_tracked.dtype == np.int64


# (id, options of 'minitorch train --model gpt', words of the one line)
GPT_SCHEDULES = [
    ("min-lr-above-lr", ["--lr", "0.001", "--min-lr", "0.01"], ['"scheduler.min_lr" (0.01)',
                                                                 "at most --lr"]),
    ("warm-up-longer", ["--iters", "20", "--warmup-iters", "50"], ["warmup_iters\" (50)",
                                                                   "below --iters"]),
    ("warm-up-the-whole-run", ["--iters", "20", "--warmup-iters", "20"], ["(20)"]),
]  # fmt: skip


@pytest.mark.parametrize("options, words", [r[1:] for r in GPT_SCHEDULES],
                         ids=[r[0] for r in GPT_SCHEDULES])  # fmt: skip
def test_a_schedule_that_cannot_work_is_refused_before_the_run(options, words, tmp_path, capsys):
    run = tmp_path / "run"
    assert main(["train", "--model", "gpt", *options, "--out", str(run)]) == 2
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("minitorch: error: ")
    for word in words:
        assert word in lines[0]
    assert not run.exists()
