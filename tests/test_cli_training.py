"""minitorch.training: the training-loop helpers the command-line trainer is built on."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

import minitorch
from minitorch import nn, optim
from minitorch._generator_state import generator_state, set_generator_state
from minitorch.datasets import get_dataset
from minitorch.models import ACTIVATIONS, build_mlp
from minitorch.training import EpochProgress, evaluate, fit, train_epoch
from minitorch.utils.data import DataLoader


@pytest.fixture(scope="module")
def moons():
    return get_dataset("moons", seed=0)


def test_build_mlp_layers_and_shapes():
    model = build_mlp(5, [8, 4], 3, activation="tanh", dropout=0.25)
    kinds = [type(layer).__name__ for layer in model]
    assert kinds == ["Linear", "Tanh", "Dropout", "Linear", "Tanh", "Dropout", "Linear"]
    assert [p.shape for p in model.parameters()] == [(5, 8), (1, 8), (8, 4), (1, 4), (4, 3), (1, 3)]
    assert model[2].p == 0.25
    assert model(np.ones((6, 5), dtype=np.float32)).shape == (6, 3)


def test_build_mlp_without_hidden_layers_is_one_linear_layer():
    model = build_mlp(4, [], 2)
    assert len(model) == 1 and isinstance(model[0], nn.Linear)


@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_build_mlp_every_activation(name):
    assert isinstance(build_mlp(3, [4], 2, activation=name)[1], ACTIVATIONS[name])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"activation": "rectifier"}, "unknown activation 'rectifier'"),
        ({"dropout": 1.0}, "dropout must be in [0, 1)"),
        ({"hidden_sizes": [4, 0]}, "layer sizes must be positive"),
    ],
)
def test_build_mlp_rejects_bad_settings(kwargs, message):
    arguments = {"input_dim": 3, "hidden_sizes": [4], "output_dim": 2, **kwargs}
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace(")", r"\)")):
        build_mlp(**arguments)


def _setup(train_set, seed=0):
    """A model, loss, optimizer and loader with their own shuffling generator, all seeded."""
    minitorch.manual_seed(seed)
    model = build_mlp(train_set.input_dim, [16], train_set.output_dim, dropout=0.2)
    optimizer = optim.SGD(model, lr=0.1, momentum=0.9)
    loader = DataLoader(
        train_set, batch_size=16, shuffle=True, generator=np.random.default_rng([seed, 1])
    )
    return model, nn.CrossEntropyLoss(), optimizer, loader


def test_train_epoch_counts_batches_samples_loss_and_accuracy(moons):
    train_set, _ = moons
    model, loss_fn, optimizer, loader = _setup(train_set)
    seen = []
    progress, finished = train_epoch(
        model, loader, loss_fn, optimizer, on_batch=lambda p, loss: seen.append(loss)
    )
    assert finished and model.training
    assert progress.batches == len(loader) == len(seen) == 15
    assert progress.samples == len(train_set) == 240
    # loss_sum weights each batch's mean loss by the batch size (all 16 here).
    assert progress.loss_sum == pytest.approx(16 * sum(seen), rel=1e-12)
    assert progress.mean_loss == pytest.approx(np.mean(seen), rel=1e-12)
    assert 0 < progress.correct <= 240 and progress.accuracy == progress.correct / 240
    assert progress.seconds > 0


def test_an_epoch_stopped_half_way_and_continued_equals_an_uninterrupted_one(moons):
    train_set, _ = moons
    model, loss_fn, optimizer, loader = _setup(train_set)
    whole, finished = train_epoch(model, loader, loss_fn, optimizer)
    assert finished
    expected = [p.copy() for p in model.parameters()]

    model, loss_fn, optimizer, loader = _setup(train_set)
    epoch_start = generator_state(loader.generator)
    asked = []

    def stop_after_six_batches() -> bool:  # asked once after every batch
        asked.append(True)
        return len(asked) == 6

    part, finished = train_epoch(
        model, loader, loss_fn, optimizer, should_stop=stop_after_six_batches
    )
    assert not finished and part.batches == 6 and part.samples == 96
    # Later: the shuffling generator goes back to where the epoch began; the rest follows.
    set_generator_state(loader.generator, epoch_start)
    rest, finished = train_epoch(model, loader, loss_fn, optimizer, progress=part)
    assert finished and part.batches == 6  # the progress passed in is not modified
    for name in ("batches", "samples", "loss_sum", "correct"):
        assert getattr(rest, name) == getattr(whole, name), name
    for got, want in zip(model.parameters(), expected, strict=True):
        np.testing.assert_array_equal(got, want)


def test_should_stop_after_the_last_batch_still_finishes_the_epoch(moons):
    train_set, _ = moons
    model, loss_fn, optimizer, loader = _setup(train_set)
    progress, finished = train_epoch(model, loader, loss_fn, optimizer, should_stop=lambda: True)
    assert not finished and progress.batches == 1
    loader = DataLoader(train_set, batch_size=len(train_set))  # a single batch
    progress, finished = train_epoch(model, loader, loss_fn, optimizer, should_stop=lambda: True)
    assert finished and progress.batches == 1


def test_epoch_progress_round_trips_through_a_checkpoint(tmp_path):
    progress = EpochProgress(batches=3, samples=48, loss_sum=12.345678901234567, correct=40)
    progress.seconds = 0.5
    minitorch.save({"progress": progress.to_dict()}, tmp_path / "p.npz")
    assert EpochProgress.from_dict(minitorch.load(tmp_path / "p.npz")["progress"]) == progress
    assert np.isnan(EpochProgress().mean_loss) and np.isnan(EpochProgress().accuracy)


def test_evaluate_in_eval_mode_in_chunks(moons):
    _, test_set = moons
    minitorch.manual_seed(0)
    model = build_mlp(2, [16], 2, dropout=0.5)
    loss_fn = nn.CrossEntropyLoss()
    small_chunks = evaluate(model, test_set, loss_fn, batch_size=7)
    assert model.training  # the mode it was in is restored
    model.eval()
    logits = model(test_set.data)
    assert small_chunks.loss == pytest.approx(float(loss_fn(logits, test_set.targets)), rel=1e-6)
    np.testing.assert_array_equal(small_chunks.predictions, logits.argmax(axis=1))
    assert small_chunks.accuracy == np.mean(logits.argmax(axis=1) == test_set.targets)
    assert small_chunks.correct == round(small_chunks.accuracy * len(test_set))


def test_evaluate_regression_gives_the_mse_and_no_accuracy():
    _, test_set = get_dataset("sine", seed=0)
    model = build_mlp(1, [8], 1)
    result = evaluate(model, test_set, nn.MSELoss(), task="regression", batch_size=25)
    model.eval()
    outputs = model(test_set.data)
    assert result.accuracy is None and result.correct == 0
    assert result.predictions.shape == (60, 1)
    assert result.loss == pytest.approx(float(np.mean((outputs - test_set.targets) ** 2)), rel=1e-6)


def test_fit_learns_moons_and_records_history(moons):
    train_set, test_set = moons
    minitorch.manual_seed(0)
    model = build_mlp(2, [32, 32], 2)
    optimizer = optim.Adam(model, lr=1e-2)
    scheduler = optim.lr_scheduler.StepLR(optimizer, step_size=10, gamma=0.5)
    ends = []
    history = fit(
        model, train_set, nn.CrossEntropyLoss(), optimizer, epochs=20, test_set=test_set,
        scheduler=scheduler, on_epoch_end=lambda epoch, h: ends.append(epoch),
    )  # fmt: skip
    assert ends == list(range(1, 21))
    assert list(history) == [
        "epoch", "train_loss", "train_accuracy", "test_loss", "test_accuracy", "lr",
    ]  # fmt: skip
    assert all(len(values) == 20 for values in history.values())
    assert history["lr"] == [1e-2] * 10 + [5e-3] * 10
    assert history["train_loss"][-1] < history["train_loss"][0] / 3
    assert history["test_accuracy"][-1] >= 0.95


def test_fit_regression_history_has_no_accuracy():
    train_set, _ = get_dataset("sine", seed=0)
    model = build_mlp(1, [16], 1, activation="tanh")
    history = fit(model, train_set, nn.MSELoss(), optim.Adam(model, lr=1e-2), epochs=30)
    assert list(history) == ["epoch", "train_loss", "lr"]
    assert history["train_loss"][-1] < history["train_loss"][0] / 2


def test_generator_state_is_json_and_restores_exactly():
    generator = np.random.default_rng(7)
    generator.random(3)
    state = generator_state(generator)
    assert isinstance(json.loads(state)["state"]["state"], int)  # 128-bit, kept exactly
    expected = generator.random(5)
    other = np.random.default_rng(99)
    set_generator_state(other, state)
    np.testing.assert_array_equal(other.random(5), expected)


def test_training_helpers_import_neither_tqdm_nor_matplotlib():
    code = "import sys, minitorch.training; print(sorted(sys.modules))"
    loaded = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True
    ).stdout
    assert "tqdm" not in loaded and "matplotlib" not in loaded
