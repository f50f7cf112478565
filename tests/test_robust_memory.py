"""Memory a layer would ask for is checked first (issue 16, category 4): a convolution's patch
matrix and an embedding table larger than the machine's memory are a ``MemoryError`` naming the
layer, the array, its size and the arguments to lower, raised before anything is allocated;
``Embedding`` draws its float32 table without a float64 twin; the command line turns any
``MemoryError`` into one line naming the setting to lower.
"""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

import minitorch
from minitorch import _state, _validation, nn
from minitorch.cli import main


def _huge_batch(shape, dtype=np.float32):
    """An input of ``shape`` that takes no memory: every element is the same float."""
    return np.lib.stride_tricks.as_strided(np.zeros(1, dtype), shape, (0,) * len(shape))


# (id, what runs, words of the message)
TOO_LARGE = [
    ("embedding-table", lambda: nn.Embedding(10**9, 10**4),
     ["Embedding", "the table W", "TiB", "(1000000000, 10000)", "lower num_embeddings"]),
    ("conv-patch-matrix", lambda: nn.Conv2d(1, 8, 3)(_huge_batch((10201, 1, 1000, 1000))),
     ["Conv2d(1 -> 8", "patch matrix", "GiB", "lower the batch size"]),
    ("conv-float64", lambda: nn.Conv2d(3, 4, 5, dtype=np.float64)(
        _huge_batch((4096, 3, 1024, 1024), np.float64)), ["patch matrix", "float64"]),
]  # fmt: skip


@pytest.mark.parametrize("run, words", [r[1:] for r in TOO_LARGE], ids=[r[0] for r in TOO_LARGE])
def test_an_array_larger_than_the_machine_is_refused_before_allocating(run, words):
    tracemalloc.start()
    try:
        with pytest.raises(MemoryError) as caught:
            run()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 50 << 20  # nothing near the size was allocated
    message = str(caught.value)
    assert "than this machine's" in message
    for word in words:
        assert word in message


def test_an_embedding_draws_its_float32_table_without_a_float64_twin():
    minitorch.manual_seed(0)
    tracemalloc.start()
    try:
        table = nn.Embedding(20_000, 512).W  # 40 MB in float32, 80 MB in float64
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert table.dtype == np.float32 and peak < table.nbytes + (12 << 20)
    minitorch.manual_seed(0)  # the same numbers as one draw of the whole table
    expected = _state.generator().standard_normal((20_000, 512)).astype(np.float32)
    np.testing.assert_array_equal(table, expected)


# (id, how memory runs out, options of 'minitorch train', words of the one line)
OUT_OF_MEMORY = [
    ("layer-check", "tiny-machine", ["--model", "cnn", "--channels", "2", "3", "--hidden", "8"],
     ["Conv2d", "patch matrix", "--batch-size"]),
    ("numpy", "numpy", [], ["Unable to allocate 304. GiB", "lower --batch-size"]),
]  # fmt: skip


@pytest.mark.parametrize("how, options, words", [r[1:] for r in OUT_OF_MEMORY],
                         ids=[r[0] for r in OUT_OF_MEMORY])  # fmt: skip
def test_the_command_line_turns_a_memory_error_into_one_line(
    how, options, words, tmp_path, capsys, monkeypatch
):
    if how == "tiny-machine":
        monkeypatch.setattr(_validation, "machine_memory", lambda: 100_000)
    else:
        def allocate(*args, **kwargs):
            raise MemoryError(
                "Unable to allocate 304. GiB for an array with shape (10201, 8000000) and data "
                "type float32"
            )

        monkeypatch.setattr("minitorch.cli.run_train", allocate)
    code = main(["train", *options, "--epochs", "1", "--quiet", "--out", str(tmp_path / "run")])
    lines = capsys.readouterr().err.splitlines()
    assert code == 1 and len(lines) == 1, lines
    assert lines[0].startswith("minitorch: error: out of memory: ")
    for word in words:
        assert word in lines[0]
