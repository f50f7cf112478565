"""From a run's configuration to the objects that train: data, model, loss, optimizer, scheduler.

A run is rebuilt from its ``config.json`` alone, the same way every time, so ``evaluate`` and
``train --resume`` get the very model ``train`` made, and a checkpoint only has to hold the
values that training changes.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import manual_seed, nn, optim, transforms
from ..datasets import CLASSIFICATION, DATASETS, TinyShakespeare, get_dataset
from ..datasets.mnist import DownloadError
from ..models import GPT, build_cnn, build_mlp, cnn_layout
from ..optim import lr_scheduler, weight_decay_groups
from ..utils.data import DataLoader
from ._common import EXIT_FAILURE, CLIError, printable

#: The models ``--model`` builds: mlp (Linear layers), cnn (LeNet-style), gpt (nanoGPT's GPT).
MODELS = ("mlp", "cnn", "gpt")

#: The data sets of images, which a CNN can learn: those the registry gives an image shape.
IMAGE_DATASETS = tuple(name for name, info in DATASETS.items() if info.image_shape is not None)


@dataclass(frozen=True)
class TextDataset:
    """A character-level text for ``--model gpt`` (not in the registry: no samples, only text)."""

    name: str
    description: str
    source: type


#: Name -> the texts ``--model gpt`` trains on.
TEXT_DATASETS: dict[str, TextDataset] = {
    "shakespeare": TextDataset(
        "shakespeare",
        "Tiny Shakespeare: 1,115,394 characters of the plays, split 90/10 as nanoGPT's",
        TinyShakespeare,
    )
}


def models_for(dataset: str) -> tuple[str, ...]:
    """The models that can learn ``dataset`` (for messages and the list of data sets)."""
    if dataset in TEXT_DATASETS:
        return ("gpt",)
    return ("mlp", "cnn") if dataset in IMAGE_DATASETS else ("mlp",)


#: Mean and standard deviation of the training images (after scaling to [0, 1]) of the data
#: sets read from files: their inputs are standardised as MNIST5k's are.
IMAGE_STATISTICS = {"mnist": (0.1307, 0.3081), "fashion-mnist": (0.2860, 0.3530)}

#: Settings that the runs made before them lack -> what such a run trained with. A GPT run
#: made before ``bias`` had biases (GPT-2's layout); new runs take nanoGPT's train.py default,
#: none.
ABSENT_IN_OLD_RUNS: dict[str, Any] = {"bias": True}


def config_value(config: dict[str, Any], key: str) -> Any:
    """The value of a setting of :data:`ABSENT_IN_OLD_RUNS`: ``config``'s, or, in a run made
    before the setting, what that run trained with."""
    return config.get(key, ABSENT_IN_OLD_RUNS[key])


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


def _flatten_images(images: np.ndarray) -> np.ndarray:
    """``(N, C, H, W)`` to rows ``(N, C·H·W)`` (one image ``(C, H, W)`` to one row)."""
    return images.reshape(len(images), -1) if images.ndim == 4 else images.reshape(-1)


def model_of(config: dict[str, Any]) -> str:
    """The run's model; runs made before ``--model`` existed are MLPs."""
    return str(config.get("model", "mlp"))


#: How a message names a run of each model: "an MLP run".
A_RUN_OF = {"mlp": "an MLP", "cnn": "a CNN", "gpt": "a GPT"}


def load_data(config: dict[str, Any], download: bool = False) -> tuple[Any, Any]:
    """The training and test sets a configuration names (images flattened for the MLP).

    The data sets read from files (MNIST, Fashion-MNIST) are read from
    ``dataset_options["root"]``, fetched first if ``download``; a missing or damaged file, or a
    failed download, is a one-line :class:`CLIError`.
    """
    name = config["dataset"]
    if name not in DATASETS:
        raise CLIError(f"unknown data set {name!r}; choose one of: {', '.join(DATASETS)}")
    info = DATASETS[name]
    options = dict(config.get("dataset_options", {}))
    flatten = model_of(config) != "cnn"
    if info.generated:
        return get_dataset(name, seed=int(config["data_seed"]), **options)
    if not info.needs_root:
        return get_dataset(name, flatten=flatten, **options)
    mean, std = IMAGE_STATISTICS[name]
    steps: list[Any] = [transforms.Normalize((mean,), (std,))]
    if flatten:
        steps.append(transforms.Lambda(_flatten_images, batched=True))
    try:
        return get_dataset(
            name,
            root=options["root"],
            download=download,
            transform=transforms.Compose(steps),
        )
    except DownloadError as error:
        failure = CLIError(str(error))
        failure.exit_code = EXIT_FAILURE  # the network or the disk failed, not the user
        raise failure from None
    except FileNotFoundError as error:
        message = str(error).replace(
            "pass download=True to fetch them",
            "pass --download to fetch them, or point --data-root at the folder that has them",
        )
        raise CLIError(message) from None
    except NotADirectoryError:
        raise CLIError(
            f"--data-root {printable(options['root'])} is a file; give the folder of the "
            f"{name} files"
        ) from None
    except (ValueError, OSError) as error:
        raise CLIError(printable(str(error) or type(error).__name__)) from None


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
    if model_of(config) == "cnn":
        model = build_cnn(
            DATASETS[config["dataset"]].image_shape,
            config["channels"],
            config["hidden"],
            train_set.output_dim,
            activation=config["activation"],
            dropout=float(config["dropout"]),
            batch_norm=bool(config["batch_norm"]),
        )
    else:
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
    """One line such as ``64 -> 256 -> 128 -> 10, ReLU, 50,186 parameters``.

    A CNN: ``conv 5x5 1->6, pool, conv 5x5 6->16, pool, 400 -> 120 -> 10, ReLU, ...``.
    """
    model = training.model
    parts = []
    if model_of(config) == "cnn":
        shape = DATASETS[config["dataset"]].image_shape
        flatten = next(i for i, layer in enumerate(model) if isinstance(layer, nn.Flatten))
        convs = []
        in_channels = shape[0]
        for out_channels, (kernel, _) in zip(config["channels"], cnn_layout(shape), strict=True):
            norm = " + batch norm" if config["batch_norm"] else ""
            convs.append(f"conv {kernel}x{kernel} {in_channels}->{out_channels}{norm}, pool")
            in_channels = out_channels
        first = model[flatten + 1].input_dim
        sizes = [first, *config["hidden"], training.train_set.output_dim]
        parts += [*convs, " -> ".join(str(size) for size in sizes)]
        parts.append(type(model[1 + bool(config["batch_norm"])]).__name__)
    else:
        sizes = [training.train_set.input_dim, *config["hidden"], training.train_set.output_dim]
        parts.append(" -> ".join(str(size) for size in sizes))
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


# ---------------------------------------------------------------------- a GPT run
@dataclass
class GPTTraining:
    """Everything a GPT run trains with, built by :func:`build_gpt_training`.

    ``optimizers`` holds one AdamW (``"adamw"``) with nanoGPT's two parameter groups, as its
    ``configure_optimizers`` makes them: group 0 the matrices (embeddings and Linear weights)
    with weight decay, group 1 the biases and LayerNorm parameters without
    (:func:`minitorch.optim.weight_decay_groups`). (Runs made before parameter groups saved
    two AdamW, one per group; the numbers are the same, bit for bit, and their checkpoints
    are read as the one AdamW's: :func:`merged_gpt_optimizers`.) Batches are drawn from
    ``batch_generator``, a stream of its own, so that they do not depend on what dropout draws
    from the global generator.
    """

    train_set: Any
    val_set: Any
    model: Any
    optimizers: dict[str, optim.Optimizer]
    batch_generator: np.random.Generator
    eval_batches: list[tuple[np.ndarray, np.ndarray]]

    def lr_at(self, config: dict[str, Any]) -> Any:
        """Iteration (from 1) -> learning rate, as the config's schedule says.

        nanoGPT's warm-up and cosine (:class:`~minitorch.optim.lr_scheduler.WarmupCosineLR`,
        whose iterations count from 0): config.json's ``decay_iters`` is the iteration (from 1)
        that trains with ``min_lr``, the last of the run. A function of the iteration alone, as
        nanoGPT's ``get_lr``: a resumed run needs no scheduler state.
        """
        schedule = config["scheduler"]
        lr = float(config["optimizer_options"]["lr"])
        settings = {
            "warmup_iters": int(schedule["warmup_iters"]),
            "lr_decay_iters": int(schedule["decay_iters"]) - 1,
            "min_lr": float(schedule["min_lr"]),
        }

        def lr_at(step: int) -> float:
            return lr_scheduler.WarmupCosineLR.lr_at(step - 1, lr, **settings)

        return lr_at


#: The name of a GPT run's optimizer in its checkpoint: one AdamW with nanoGPT's two groups.
GPT_OPTIMIZER = "adamw"
#: The two AdamW of a GPT run made before parameter groups, one per group, in group order.
OLD_GPT_OPTIMIZERS = ("decay", "no_decay")


def merged_gpt_optimizers(old: dict[str, Any]) -> dict[str, Any]:
    """The state dicts of the two AdamW of a run made before parameter groups (``decay``,
    ``no_decay``: one group each, parameters counted from 0 in both) as the one AdamW's with
    two groups: ``no_decay``'s group becomes group 1 and its parameter positions (in
    ``params`` and ``state``) follow ``decay``'s. Both were checked to be optimizer state
    dicts of one group whose ``params`` are whole numbers (``ValueError`` otherwise)."""
    decay, no_decay = (old[name] for name in OLD_GPT_OPTIMIZERS)
    first = dict(decay["param_groups"]["0"])
    second = dict(no_decay["param_groups"]["0"])
    shift = int(np.asarray(first["params"]).size)
    second["params"] = [shift + int(i) for i in np.atleast_1d(np.asarray(second["params"]))]
    state = dict(decay.get("state", {}))
    state.update({str(shift + int(key)): value for key, value in no_decay.get("state", {}).items()})
    merged = {"optimizer": decay["optimizer"], "param_groups": {"0": first, "1": second}}
    if state:
        merged["state"] = state
    return {GPT_OPTIMIZER: merged}


def load_text(config: dict[str, Any]) -> tuple[Any, Any]:
    """The training and validation splits of the text a GPT configuration names."""
    return text_split(config, train=True), text_split(config, train=False)


def text_split(config: dict[str, Any], train: bool) -> Any:
    """One split of the configuration's text; a damaged or unreadable file is a one-line
    :class:`CLIError` (``train``, ``evaluate`` and ``sample`` alike)."""
    try:
        return TEXT_DATASETS[config["dataset"]].source(train=train)
    except (ValueError, OSError) as error:
        raise CLIError(printable(str(error) or type(error).__name__)) from None


def eval_windows(config: dict[str, Any], split: Any) -> list[tuple[np.ndarray, np.ndarray]]:
    """The fixed windows a GPT run is measured on: ``eval_batches`` batches, seed 0."""
    return split.eval_batches(
        int(config["eval_batches"]), int(config["batch_size"]), int(config["block_size"]), seed=0
    )


def gpt_from_config(config: dict[str, Any], vocab_size: int):
    """The GPT of a run's settings (its weights drawn from minitorch's global generator)."""
    return GPT(
        vocab_size=vocab_size,
        block_size=int(config["block_size"]),
        n_layer=int(config["n_layer"]),
        n_head=int(config["n_head"]),
        n_embd=int(config["n_embd"]),
        dropout=float(config["dropout"]),
        tie_weights=bool(config["tie_weights"]),
        bias=bool(config_value(config, "bias")),  # a run made before the setting had biases
    )


def build_gpt_training(config: dict[str, Any], data: tuple[Any, Any] | None = None) -> GPTTraining:
    """Build the text, the GPT, its AdamW and the evaluation windows ``config`` describes.

    The weights come from minitorch's global generator seeded with ``config["seed"]`` (the
    GPT class applies nanoGPT's initialisation); the batches from a generator of their own
    seeded with ``[seed, 1]``; dropout from the global generator as training goes on.
    """
    train_set, val_set = load_text(config) if data is None else data
    windows = eval_windows(config, val_set)  # first: it checks block_size against the text
    seed = int(config["seed"])
    manual_seed(seed)
    model = gpt_from_config(config, train_set.vocab_size)
    options = config["optimizer_options"]
    betas = tuple(float(beta) for beta in options["betas"])
    decay, no_decay = weight_decay_groups(model)
    groups = [
        {"params": [decay], "weight_decay": float(options["weight_decay"])},
        {"params": [no_decay], "weight_decay": 0.0},
    ]
    optimizers = {GPT_OPTIMIZER: optim.AdamW(groups, lr=float(options["lr"]), betas=betas)}
    return GPTTraining(
        train_set=train_set,
        val_set=val_set,
        model=model,
        optimizers=optimizers,
        batch_generator=np.random.default_rng([seed, 1]),
        eval_batches=windows,
    )


def describe_gpt(config: dict[str, Any], training: GPTTraining) -> str:
    """One line such as ``GPT 4 layers, 4 heads, 128 features, context 64, tied, 0.80M ...``."""

    def count(number: int, what: str) -> str:
        return f"{number} {what}" + ("" if number == 1 else "s")

    parts = [
        f"GPT {count(config['n_layer'], 'layer')}, {count(config['n_head'], 'head')}, "
        f"{count(config['n_embd'], 'feature')}, context {config['block_size']}",
        "tied embedding and head" if config["tie_weights"] else "separate head",
        "biases" if config_value(config, "bias") else "no biases",
    ]
    if config["dropout"]:
        parts.append(f"dropout {config['dropout']:g}")
    parts.append(f"{training.model.num_parameters():,} parameters")
    return ", ".join(parts)


def describe_gpt_optimizer(config: dict[str, Any]) -> str:
    """``AdamW (lr 0.001, betas 0.9/0.99, weight decay 0.1 on matrices), warm-up 100 ...``."""
    options, schedule = config["optimizer_options"], config["scheduler"]
    betas = "/".join(f"{beta:g}" for beta in options["betas"])
    clip = f", clipping {config['grad_clip']:g}" if config["grad_clip"] else ", no clipping"
    return (
        f"AdamW (lr {options['lr']:g}, betas {betas}, weight decay "
        f"{options['weight_decay']:g} on matrices), warm-up {schedule['warmup_iters']} then "
        f"cosine to {schedule['min_lr']:g} at iteration {schedule['decay_iters']}{clip}"
    )


def absolute(path: str) -> str:
    """``path`` made absolute (so a run finds its data from any working folder)."""
    return os.path.abspath(os.path.expanduser(path))
