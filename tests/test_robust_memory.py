"""Memory a layer would ask for is checked first (issue 16, category 4): a convolution's patch
matrix, the weights of Linear and Conv2d and an embedding table larger than the machine's memory
are a ``MemoryError`` naming the layer, the array, its size and the arguments to lower, raised
before anything is allocated; ``Embedding`` draws its float32 table without a float64 twin; a
run whose batches or evaluations cannot fit is refused before anything is allocated or written,
naming the option to lower; the command line turns any ``MemoryError`` into one line naming the
setting to lower.
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
    ("linear-weights", lambda: nn.Linear(10**6, 10**6),
     ["Linear(1000000 -> 1000000)", "the weights W", "3.64 TiB", "(1000000, 1000000), float32",
      "lower input_dim or output_dim"]),
    ("linear-float64-weights", lambda: nn.Linear(10**6, 10**6, dtype=np.float64),
     ["Linear(1000000 -> 1000000)", "7.28 TiB", "float64"]),
    ("conv-transpose-patch-matrix", lambda: nn.ConvTranspose2d(1, 8, 4, stride=2)(
        _huge_batch((10201, 1, 1000, 1000))),
     ["ConvTranspose2d(1 -> 8", "patch matrix", "GiB", "lower the batch size"]),
    ("conv-transpose-weights", lambda: nn.ConvTranspose2d(10**5, 10**5, 100),
     ["ConvTranspose2d(100000 -> 100000, kernel_size=(100, 100))", "the weights W", "TiB",
      "lower in_channels, out_channels or kernel_size"]),
    ("conv-weights", lambda: nn.Conv2d(10**5, 10**5, 100),
     ["Conv2d(100000 -> 100000, kernel_size=(100, 100))", "the weights W", "TiB",
      "(100000, 100000, 100, 100)", "lower in_channels, out_channels or kernel_size"]),
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


TINY_GPT = ["--model", "gpt", "--n-layer", "1", "--n-head", "2", "--n-embd", "16",
            "--block-size", "16", "--batch-size", "4", "--eval-batches", "3", "--iters", "1",
            "--warmup-iters", "0"]
TINY_MLP = ["--hidden", "16", "--batch-size", "64", "--epochs", "1"]
# (id, how memory runs out: the machine's bytes (None: this machine's) or "numpy", options of
# 'minitorch train', words of the one line)
OUT_OF_MEMORY = [
    ("layer-check", 100_000, ["--model", "cnn", "--channels", "2", "3", "--hidden", "8",
                              "--epochs", "1"], ["Conv2d", "patch matrix", "--batch-size"]),
    ("numpy", "numpy", ["--epochs", "1"], ["Unable to allocate 304. GiB", "lower --batch-size"]),
    ("gpt-batch-size", None, ["--model", "gpt", "--batch-size", "100000000", "--iters", "1"],
     ["the GPT run: the fixed evaluation windows", "TiB", "(2, 200, 100000000, 64), int64",
      "lower --eval-batches or --batch-size"]),
    ("gpt-eval-batches", None, ["--model", "gpt", "--eval-batches", "1000000000", "--iters", "1"],
     ["evaluation windows", "(2, 1000000000, 12, 64)", "lower --eval-batches"]),
    ("gpt-context", None, ["--model", "gpt", "--block-size", "100000", "--iters", "1"],
     ["the attention weights every block keeps for a training batch's backward", "TiB",
      "(4, 12, 4, 100000, 100000)", "lower --batch-size, --block-size, --n-head or --n-layer"]),
    # 4·16·65 float32 logits (16,640 bytes) of a training batch fit in 30,000; an evaluation's
    # 3 batches at once (49,920 bytes) do not.
    ("gpt-evaluation", 30_000, TINY_GPT,
     ["an evaluation's logits (8 batches at once)", "(12, 16, 65)", "48.8 KiB",
      "lower --batch-size or --block-size"]),
    # 64 samples × 16 units in float32 (4,096 bytes) fit; the evaluation's 359 (22,976) do not.
    ("mlp-evaluation", 10_000, TINY_MLP,
     ["the run: an evaluation's activations in its widest layer (359 samples at a time)",
      "(359, 16)", "lower --hidden"]),
    ("mlp-training-batch", 3_000, TINY_MLP,
     ["the run: a training batch's activations in its widest layer", "(64, 16)",
      "lower --batch-size or --hidden"]),
]  # fmt: skip


@pytest.mark.parametrize("how, options, words", [r[1:] for r in OUT_OF_MEMORY],
                         ids=[r[0] for r in OUT_OF_MEMORY])  # fmt: skip
def test_the_command_line_turns_a_memory_error_into_one_line(
    how, options, words, tmp_path, capsys, monkeypatch
):
    if isinstance(how, int):
        monkeypatch.setattr(_validation, "machine_memory", lambda: how)
    elif how == "numpy":
        def allocate(*args, **kwargs):
            raise MemoryError(
                "Unable to allocate 304. GiB for an array with shape (10201, 8000000) and data "
                "type float32"
            )

        monkeypatch.setattr("minitorch.cli.run_train", allocate)
    tracemalloc.start()
    try:
        code = main(["train", *options, "--quiet", "--out", str(tmp_path / "run")])
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    lines = capsys.readouterr().err.splitlines()
    assert code == 1 and len(lines) == 1, lines
    assert lines[0].startswith("minitorch: error: out of memory: ")
    for word in words:
        assert word in lines[0]
    assert peak < 200 << 20  # refused before the arrays it names were allocated
    if how != "numpy" and "Conv2d" not in words:  # refused before the run folder is made
        assert not (tmp_path / "run").exists()


def test_evaluating_a_run_that_cannot_fit_names_its_config_settings(tmp_path, capsys, monkeypatch):
    """A run trained on a larger machine: evaluate has no options for its batches, so the line
    names the run's config.json settings."""
    run = tmp_path / "run"
    assert main(["train", *TINY_GPT, "--quiet", "--out", str(run)]) == 0
    monkeypatch.setattr(_validation, "machine_memory", lambda: 30_000)
    capsys.readouterr()
    assert main(["evaluate", str(run)]) == 1
    lines = capsys.readouterr().err.splitlines()
    assert lines == [
        "minitorch: error: out of memory: the GPT run: an evaluation's logits (8 batches at once) "
        "would need 48.8 KiB (shape (12, 16, 65), float32), more than this machine's 29.3 KiB of "
        "memory; lower batch_size or block_size in its config.json"
    ]
