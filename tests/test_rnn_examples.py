"""The recurrent examples run as written (tiny settings, a fresh interpreter, their files), and
the sequence generators of minitorch.datasets keep their promises.

BLAS is held to one thread in the examples' processes: their matrices are far too small to
share between threads, and on a busy machine the threads make every product slower.
"""

from __future__ import annotations

import csv
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import minitorch
from minitorch.datasets import make_adding_problem, make_copy_task
from minitorch.models import CharRNN

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
PNG = b"\x89PNG\r\n\x1a\n"


def run(name: str, *arguments: str) -> str:
    environment = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "MPLBACKEND": "Agg"}
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / f"{name}.py"), *arguments],
        capture_output=True, text=True, timeout=300, env=environment,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return result.stdout


def example(name: str):
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_char_lstm_trains_samples_and_writes_its_files(tmp_path):
    output = run(
        "char_lstm",
        *("--iters", "4", "--hidden", "16", "--layers", "1", "--eval-interval", "2"),
        *("--eval-batches", "2", "--sample-chars", "30", "--out", str(tmp_path)),
    )
    assert "iteration     4: train loss" in output and "ROMEO:" in output
    with open(tmp_path / "losses.csv") as file:
        rows = list(csv.DictReader(file))
    assert [int(r["iteration"]) for r in rows] == [2, 4]
    assert all(0 < float(r["val_loss"]) < 5 for r in rows)
    sample = (tmp_path / "sample.txt").read_text()
    assert sample.startswith("ROMEO:\n") and len(sample) == len("ROMEO:\n") + 30 + 1
    model = CharRNN(65, 64, 16, 1)
    model.load_state_dict(minitorch.load(tmp_path / "model.npz"))
    assert (tmp_path / "char_lstm_cells.png").read_bytes().startswith(PNG)


def test_char_lstm_help_shows_the_recipes_defaults():
    text = run("char_lstm", "--help")
    for words in ("--iters ITERS", "(default: 600)", "(default: 0.002)", "(default: lstm)"):
        assert words in text, words


def test_char_lstm_picks_one_cell_per_property():
    char_lstm = example("char_lstm")
    text = "ROMEO:\nO, she doth teach the torches.\n\nJULIET:\nAy me!\n" * 4
    rng = np.random.default_rng(0)
    values = rng.uniform(-1, 1, (len(text), 6))
    features = char_lstm.text_features(text)
    values[:, 4] = np.tanh(features["the position in the line"] / 10)  # a line-position cell
    cells = char_lstm.interesting_cells(values, text)
    assert len(cells) == 4 and len({c for c, _ in cells}) == 4
    assert cells[0][0] == 4 and "position in the line" in cells[0][1]
    name = features["inside a speaker's name"]
    assert name[:6].all() and not name[7:30].any()


def test_vanishing_gradients_writes_its_figure(tmp_path):
    output = run(
        "vanishing_gradients",
        *("--seq-len", "12", "--hidden", "8", "--iterations", "20", "--batch-size", "16"),
        *("--out", str(tmp_path)),
    )
    assert "tanh RNN: at the start" in output and "LSTM: at the start" in output
    assert (tmp_path / "vanishing_gradients.png").read_bytes().startswith(PNG)


def test_the_gradient_per_step_is_the_layers_input_gradient():
    vanishing = example("vanishing_gradients")
    minitorch.manual_seed(0)
    model = vanishing.Reader("tanh RNN", 8)
    X, y = make_adding_problem(5, 30, seed=1)
    norms = vanishing.gradient_per_step(model, X, y)
    assert norms.shape == (30,) and np.isfinite(norms).all() and (norms > 0).all()
    assert norms[0] < norms[-1] * 1e-2  # a tanh RNN at the start: gone after 30 steps
    assert all(g is None for g in model.grads())  # measuring changes nothing


# ---------------------------------------------------------------------- the generators
def test_adding_problem_shapes_and_targets():
    X, y = make_adding_problem(64, 20, seed=0)
    assert X.shape == (64, 20, 2) and X.dtype == np.float32
    assert y.shape == (64, 1) and y.dtype == np.float32
    markers = X[..., 1]
    assert set(np.unique(markers)) == {0.0, 1.0} and (markers.sum(axis=1) == 2).all()
    assert (markers[:, :10].sum(axis=1) == 1).all() and (markers[:, 10:].sum(axis=1) == 1).all()
    np.testing.assert_array_equal(y[:, 0], (X[..., 0] * markers).sum(axis=1))
    assert X[..., 0].min() >= 0 and X[..., 0].max() < 1


def test_copy_task_shapes_and_targets():
    X, y = make_copy_task(50, 9, n_symbols=5, seed=0)
    assert X.shape == (50, 9) and X.dtype == np.int64
    assert y.shape == (50,) and y.dtype == np.int64
    np.testing.assert_array_equal(X[:, 0], y)
    assert (X[:, 1:] == 5).all() and set(np.unique(y)) <= set(range(5))
    assert make_copy_task(3, 1, seed=0)[0].shape == (3, 1)


@pytest.mark.parametrize("make", [make_adding_problem, make_copy_task])
def test_generators_are_deterministic(make):
    first, second = make(8, 10, seed=3), make(8, 10, seed=3)
    for a, b in zip(first, second, strict=True):
        np.testing.assert_array_equal(a, b)
    minitorch.manual_seed(4)
    global_first = make(8, 10)
    minitorch.manual_seed(4)
    global_second = make(8, 10)
    for a, b in zip(global_first, global_second, strict=True):
        np.testing.assert_array_equal(a, b)
    other = make(8, 10, seed=np.random.default_rng(5))
    assert not np.array_equal(other[0], first[0])


# (generator, arguments, error, words of its message)
BAD_ARGUMENTS = [
    (make_adding_problem, (0, 10), ValueError, r"make_adding_problem: n_samples must be"),
    (make_adding_problem, (4, 1), ValueError, r"seq_len must be at least 2"),
    (make_adding_problem, (4.0, 10), TypeError, r"n_samples must be an int"),
    (make_adding_problem, (True, 10), TypeError, r"n_samples must be an int"),
    (make_adding_problem, (4, 10, -1), ValueError, r"seed must be a non-negative int"),
    (make_adding_problem, (4, 10, "0"), TypeError, r"seed must be an int"),
    (make_copy_task, (4, 0), ValueError, r"make_copy_task: seq_len must be at least 1"),
    (make_copy_task, (4, 5, 1), ValueError, r"n_symbols must be at least 2"),
    (make_copy_task, (4, 5, 2.5), TypeError, r"n_symbols must be an int"),
]


@pytest.mark.parametrize("make, arguments, error, words", BAD_ARGUMENTS)
def test_generators_name_bad_arguments(make, arguments, error, words):
    with pytest.raises(error, match=words):
        make(*arguments)
