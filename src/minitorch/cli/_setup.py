"""From a run's configuration to the objects that train: data, model, loss, optimizer, scheduler.

A run is rebuilt from its ``config.json`` alone, the same way every time, so ``evaluate`` and
``train --resume`` get the very model ``train`` made, and a checkpoint only has to hold the
values that training changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import manual_seed, nn, optim
from ..datasets import CLASSIFICATION, DATASETS, get_dataset
from ..optim import lr_scheduler
from ..training import build_mlp
from ..utils.data import DataLoader
from ._common import CLIError

#: Optimizer name -> (class, the defaults the trainer uses for the options it exposes).
#: SGD gets momentum 0.9 and a larger step than its library default (0.01), which trains the
#: bundled data sets in few epochs; the others keep PyTorch's defaults.
OPTIMIZERS: dict[str, tuple[type[optim.Optimizer], dict[str, float]]] = {
    "sgd": (optim.SGD, {"lr": 0.05, "momentum": 0.9, "weight_decay": 0.0}),
    "adam": (optim.Adam, {"lr": 1e-3, "weight_decay": 0.0}),
    "adamw": (optim.AdamW, {"lr": 1e-3, "weight_decay": 0.01}),
    "rmsprop": (optim.RMSprop, {"lr": 1e-3, "momentum": 0.0, "weight_decay": 0.0}),
    "adagrad": (optim.Adagrad, {"lr": 1e-2, "weight_decay": 0.0}),
}

#: Scheduler name -> class; ``"none"`` keeps the learning rate constant.
SCHEDULERS: dict[str, type[lr_scheduler.LRScheduler] | None] = {
    "none": None,
    "step": lr_scheduler.StepLR,
    "multistep": lr_scheduler.MultiStepLR,
    "exponential": lr_scheduler.ExponentialLR,
    "cosine": lr_scheduler.CosineAnnealingLR,
    "linear": lr_scheduler.LinearLR,
}

#: Command-line option -> keyword of the data set generators (``make_*``).
DATASET_OPTIONS = {"samples": "n_samples", "noise": "noise", "classes": "n_classes"}


@dataclass
class Training:
    """Everything a run trains with, built by :func:`build_training`."""

    train_set: Any
    test_set: Any
    model: nn.Sequential
    loss_fn: nn.Loss
    optimizer: optim.Optimizer
    scheduler: lr_scheduler.LRScheduler | None
    loader: DataLoader
    shuffle_generator: np.random.Generator

    @property
    def task(self) -> str:
        return self.train_set.task


def load_data(config: dict[str, Any]) -> tuple[Any, Any]:
    """The training and test sets a configuration names (images flattened for the MLP)."""
    name = config["dataset"]
    if name not in DATASETS:
        raise CLIError(f"unknown data set {name!r}; choose one of: {', '.join(DATASETS)}")
    options = dict(config.get("dataset_options", {}))
    if DATASETS[name].generated:
        return get_dataset(name, seed=int(config["data_seed"]), **options)
    return get_dataset(name, flatten=True, **options)


def build_scheduler(
    optimizer: optim.Optimizer, settings: dict[str, Any]
) -> lr_scheduler.LRScheduler | None:
    """The scheduler ``{"name": ..., **arguments}`` describes, or ``None``."""
    arguments = dict(settings)
    scheduler_class = SCHEDULERS[arguments.pop("name")]
    return None if scheduler_class is None else scheduler_class(optimizer, **arguments)


def build_training(config: dict[str, Any], data: tuple[Any, Any] | None = None) -> Training:
    """Build data, model, loss, optimizer, scheduler and loader exactly as ``config`` says.

    Randomness: the model's initial weights come from minitorch's global generator, seeded with
    ``config["seed"]`` here; the shuffling of the training set from a generator of its own,
    seeded from the same seed; dropout draws from the global generator as training goes on.
    Generated data sets use ``config["data_seed"]``, so changing ``--seed`` keeps the data.
    """
    train_set, test_set = load_data(config) if data is None else data
    seed = int(config["seed"])
    manual_seed(seed)
    model = build_mlp(
        train_set.input_dim,
        config["hidden"],
        train_set.output_dim,
        activation=config["activation"],
        dropout=float(config["dropout"]),
    )
    model[0].needs_input_grad = False  # its input is data: no one needs dL/dx
    loss_fn = nn.CrossEntropyLoss() if train_set.task == CLASSIFICATION else nn.MSELoss()
    optimizer_class, _ = OPTIMIZERS[config["optimizer"]]
    optimizer = optimizer_class(model, **config["optimizer_options"])
    scheduler = build_scheduler(optimizer, config["scheduler"])
    # A stream of its own ([seed, 1] is a different SeedSequence than seed), so the order of
    # the samples does not depend on how many numbers initialisation or dropout drew.
    shuffle_generator = np.random.default_rng([seed, 1])
    loader = DataLoader(
        train_set, batch_size=int(config["batch_size"]), shuffle=True, generator=shuffle_generator
    )
    return Training(
        train_set=train_set,
        test_set=test_set,
        model=model,
        loss_fn=loss_fn,
        optimizer=optimizer,
        scheduler=scheduler,
        loader=loader,
        shuffle_generator=shuffle_generator,
    )


def describe_model(config: dict[str, Any], training: Training) -> str:
    """One line such as ``64 -> 256 -> 128 -> 10, ReLU, 50,186 parameters``."""
    sizes = [training.train_set.input_dim, *config["hidden"], training.train_set.output_dim]
    model = training.model
    parts = [" -> ".join(str(size) for size in sizes)]
    if config["hidden"]:
        parts.append(type(model[1]).__name__)
    if config["dropout"]:
        parts.append(f"dropout {config['dropout']:g}")
    parts.append(f"{model.num_parameters():,} parameters")
    return ", ".join(parts)


def describe_optimizer(config: dict[str, Any]) -> str:
    """One line such as ``Adam (lr 0.001), cosine schedule``."""
    optimizer_class, _ = OPTIMIZERS[config["optimizer"]]
    options = ", ".join(
        f"{name.replace('_', ' ')} {value:g}"
        for name, value in config["optimizer_options"].items()
        if name == "lr" or value
    )
    text = f"{optimizer_class.__name__} ({options})"
    scheduler = dict(config["scheduler"])
    name = scheduler.pop("name")
    if name != "none":
        arguments = ", ".join(
            f"{key} {value}" for key, value in scheduler.items() if key not in ("eta_min",)
        )
        text += f", {name} schedule ({arguments})"
    return text
