"""From a run's configuration to the objects that train: data, model, loss, optimizer, scheduler.

A run is rebuilt from its ``config.json`` alone, the same way every time, so ``evaluate`` and
``train --resume`` get the very model ``train`` made, and a checkpoint only has to hold the
values that training changes.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from .. import manual_seed, nn, optim, transforms
from ..datasets import CLASSIFICATION, DATASETS, TinyShakespeare, get_dataset
from ..datasets.mnist import DownloadError
from ..models import (
    CHAR_RNN_RECIPE,
    GPT,
    CharRNN,
    CharRNNRecipe,
    build_cnn,
    build_mlp,
    cnn_layout,
)
from ..models.char_rnn import CELLS
from ..optim import lr_scheduler, weight_decay_groups
from ..training import TextStreams
from ..utils.data import DataLoader
from ._common import EXIT_FAILURE, CLIError, printable

#: The recurrent character models ``--model`` trains (:class:`minitorch.models.CharRNN` of
#: each cell, with :data:`minitorch.models.CHAR_RNN_RECIPE`).
RNN_MODELS = tuple(CELLS)
#: The language models: they learn a text, by iterations of random windows.
LM_MODELS = ("gpt", *RNN_MODELS)
#: The models ``--model`` builds: mlp (Linear layers), cnn (LeNet-style), gpt (nanoGPT's GPT),
#: lstm, gru and rnn (char-rnn's character model).
MODELS = ("mlp", "cnn", *LM_MODELS)

#: The data sets of images, which a CNN can learn: those the registry gives an image shape.
IMAGE_DATASETS = tuple(name for name, info in DATASETS.items() if info.image_shape is not None)


@dataclass(frozen=True)
class TextDataset:
    """A character-level text for the language models (not in the registry: only text)."""

    name: str
    description: str
    source: type


#: Name -> the texts the language models (``--model gpt``, ``lstm``, ...) train on.
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
        return LM_MODELS
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
A_RUN_OF = {"mlp": "an MLP", "cnn": "a CNN", "gpt": "a GPT", "lstm": "an LSTM", "gru": "a GRU",
            "rnn": "an RNN"}


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


# ---------------------------------------------------------------------- a language model's run
@dataclass(frozen=True)
class LMSettings:
    """The numbers of a language model's run (a GPT's, a CharRNN's), wherever its config.json
    keeps them: read by :func:`~._config.lm_settings` through the schema."""

    iters: int
    batch_size: int
    block_size: int
    eval_interval: int
    eval_batches: int
    grad_clip: float
    lr: float
    betas: tuple[float, float]
    weight_decay: float
    warmup_iters: int
    decay_iters: int
    min_lr: float
    seed: int
    bptt: str = "random"

    def lr_at(self) -> Callable[[int], float]:
        """Iteration (from 1) -> learning rate: nanoGPT's warm-up and cosine.

        :class:`~minitorch.optim.lr_scheduler.WarmupCosineLR` counts its iterations from 0:
        ``decay_iters`` is the iteration (from 1) that trains with ``min_lr``, the last of the
        run. A function of the iteration alone, as nanoGPT's ``get_lr``: a resumed run needs
        no scheduler state.
        """
        lr = self.lr
        schedule = {
            "warmup_iters": self.warmup_iters,
            "lr_decay_iters": self.decay_iters - 1,
            "min_lr": self.min_lr,
        }

        def lr_at(step: int) -> float:
            return lr_scheduler.WarmupCosineLR.lr_at(step - 1, lr, **schedule)

        return lr_at


@dataclass
class LMTraining:
    """Everything a language model's run trains with, built by :func:`build_lm_training`.

    ``optimizers`` holds one AdamW (``"adamw"``): a GPT's with nanoGPT's two parameter groups,
    as its ``configure_optimizers`` makes them (group 0 the matrices with weight decay, group 1
    the biases and LayerNorm parameters without, :func:`minitorch.optim.weight_decay_groups`;
    runs made before parameter groups saved two AdamW, read as the one's:
    :func:`merged_gpt_optimizers`); a CharRNN's with one group, every parameter, as
    :data:`~minitorch.models.CHAR_RNN_RECIPE`. Random windows are drawn from
    ``batch_generator``, a stream of its own, so that they do not depend on what dropout draws
    from the global generator; a stateful run (``--bptt stateful``) reads ``stream`` instead.
    """

    train_set: Any
    val_set: Any
    model: Any
    optimizers: dict[str, optim.Optimizer]
    batch_generator: np.random.Generator
    eval_batches: list[tuple[np.ndarray, np.ndarray]]
    stream: TextStreams | None = None


#: The name of a language model's optimizer in its checkpoint: one AdamW.
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
    """The training and validation splits of the text a language model's configuration names."""
    return text_split(config, train=True), text_split(config, train=False)


def text_split(config: dict[str, Any], train: bool) -> Any:
    """One split of the configuration's text; a damaged or unreadable file is a one-line
    :class:`CLIError` (``train``, ``evaluate`` and ``sample`` alike)."""
    try:
        return TEXT_DATASETS[config["dataset"]].source(train=train)
    except (ValueError, OSError) as error:
        raise CLIError(printable(str(error) or type(error).__name__)) from None


def eval_windows(settings: LMSettings, split: Any) -> list[tuple[np.ndarray, np.ndarray]]:
    """The fixed windows a language model's run is measured on: ``eval_batches`` batches,
    seed 0 (each read from a zero state by a CharRNN)."""
    return split.eval_batches(
        settings.eval_batches, settings.batch_size, settings.block_size, seed=0
    )


def gpt_from_config(config: dict[str, Any], vocab_size: int) -> GPT:
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


def recipe_of(config: dict[str, Any]) -> CharRNNRecipe:
    """A CharRNN run's recipe: :data:`~minitorch.models.CHAR_RNN_RECIPE` with its overrides,
    as config.json's ``"recipe"`` records it (``CharRNNRecipe.to_dict()``)."""
    recipe = dict(config["recipe"])
    recipe["betas"] = tuple(recipe["betas"])
    return replace(CHAR_RNN_RECIPE, **recipe)


def char_rnn_from_config(config: dict[str, Any], vocab_size: int) -> CharRNN:
    """The CharRNN of a run's recipe (its weights drawn from minitorch's global generator)."""
    recipe = recipe_of(config)
    return CharRNN(
        vocab_size, recipe.embedding_dim, recipe.hidden_size, recipe.num_layers, recipe.cell
    )


def _gpt_optimizer(model: GPT, settings: LMSettings) -> optim.AdamW:
    """nanoGPT's AdamW: weight decay on the matrices (group 0), none on the rest (group 1)."""
    decay, no_decay = weight_decay_groups(model)
    groups = [
        {"params": [decay], "weight_decay": settings.weight_decay},
        {"params": [no_decay], "weight_decay": 0.0},
    ]
    return optim.AdamW(groups, lr=settings.lr, betas=settings.betas)


def _char_rnn_optimizer(model: CharRNN, settings: LMSettings) -> optim.AdamW:
    """The recipe's AdamW: one group, weight decay on every parameter (as its torch copy)."""
    return optim.AdamW(
        model, lr=settings.lr, betas=settings.betas, weight_decay=settings.weight_decay
    )


def describe_gpt(config: dict[str, Any], model: GPT) -> str:
    """One line such as ``GPT 4 layers, 4 heads, 128 features, context 64, tied, 0.80M ...``."""
    parts = [
        f"GPT {_count(config['n_layer'], 'layer')}, {_count(config['n_head'], 'head')}, "
        f"{_count(config['n_embd'], 'feature')}, context {config['block_size']}",
        "tied embedding and head" if config["tie_weights"] else "separate head",
        "biases" if config_value(config, "bias") else "no biases",
    ]
    if config["dropout"]:
        parts.append(f"dropout {config['dropout']:g}")
    parts.append(f"{model.num_parameters():,} parameters")
    return ", ".join(parts)


def describe_char_rnn(config: dict[str, Any], model: CharRNN) -> str:
    """One line such as ``CharRNN: Embedding(65, 64) -> LSTM(64, 256, 2 layers) -> ...``."""
    recipe = recipe_of(config)
    layers = _count(recipe.num_layers, "layer")
    return (
        f"CharRNN: Embedding({model.vocab_size}, {recipe.embedding_dim}) -> "
        f"{CELLS[recipe.cell].__name__}({recipe.embedding_dim}, {recipe.hidden_size}, {layers}) "
        f"-> Linear({recipe.hidden_size}, {model.vocab_size}), context {recipe.block_size}, "
        f"{model.num_parameters():,} parameters"
    )


def _count(number: int, what: str) -> str:
    return f"{number} {what}" + ("" if number == 1 else "s")


@dataclass(frozen=True)
class LanguageModel:
    """What differs between the language models the trainer runs by iterations, in one place:
    the model a configuration builds, its optimizer, and how they are described. The loop, the
    evaluations, the checkpoint and resume are the same for all (:mod:`._gpt`)."""

    #: The model's name in messages ("GPT", "LSTM").
    title: str
    #: ``(config, vocab_size) -> model``, its weights from minitorch's global generator.
    build: Callable[[dict[str, Any], int], Any]
    #: ``(model, settings) -> AdamW``.
    optimizer: Callable[[Any, LMSettings], optim.AdamW]
    #: The AdamW's parameter groups (what a checkpoint of the run holds).
    groups: int
    #: The parameters weight decay applies to, in words.
    decayed: str
    #: ``(config, model) -> one line`` saying what the model is.
    describe: Callable[[dict[str, Any], Any], str]


#: ``--model`` -> the language model it trains.
LANGUAGE_MODELS: dict[str, LanguageModel] = {
    "gpt": LanguageModel("GPT", gpt_from_config, _gpt_optimizer, 2, "on matrices", describe_gpt),
    **{
        cell: LanguageModel(cell.upper(), char_rnn_from_config, _char_rnn_optimizer, 1,
                            "on every parameter", describe_char_rnn)
        for cell in RNN_MODELS
    },
}  # fmt: skip


def build_lm_training(
    config: dict[str, Any], settings: LMSettings, data: tuple[Any, Any] | None = None
) -> LMTraining:
    """Build the text, the model, its AdamW and the evaluation windows ``config`` describes.

    The weights come from minitorch's global generator seeded with ``settings.seed`` (a GPT
    applies nanoGPT's initialisation, a CharRNN PyTorch's); random windows from a generator of
    their own seeded with ``[seed, 1]``; dropout from the global generator as training goes
    on. ``settings.bptt == "stateful"``: the training batches are consecutive chunks of
    parallel streams of the text (:class:`~minitorch.training.TextStreams`).
    """
    train_set, val_set = load_text(config) if data is None else data
    windows = eval_windows(settings, val_set)  # first: it checks block_size against the text
    kind = LANGUAGE_MODELS[model_of(config)]
    manual_seed(settings.seed)
    model = kind.build(config, train_set.vocab_size)
    stream = None
    if settings.bptt == "stateful":
        stream = TextStreams(train_set, settings.batch_size, settings.block_size)
    return LMTraining(
        train_set=train_set,
        val_set=val_set,
        model=model,
        optimizers={GPT_OPTIMIZER: kind.optimizer(model, settings)},
        batch_generator=np.random.default_rng([settings.seed, 1]),
        eval_batches=windows,
        stream=stream,
    )


def describe_lm_optimizer(config: dict[str, Any], settings: LMSettings) -> str:
    """``AdamW (lr 0.001, betas 0.9/0.99, weight decay 0.1 on matrices), warm-up 100 ...``."""
    s = settings
    betas = "/".join(f"{beta:g}" for beta in s.betas)
    clip = f", clipping {s.grad_clip:g}" if s.grad_clip else ", no clipping"
    decayed = LANGUAGE_MODELS[model_of(config)].decayed
    return (
        f"AdamW (lr {s.lr:g}, betas {betas}, weight decay {s.weight_decay:g} {decayed}), "
        f"warm-up {s.warmup_iters} then cosine to {s.min_lr:g} at iteration {s.decay_iters}"
        f"{clip}"
    )


def absolute(path: str) -> str:
    """``path`` made absolute (so a run finds its data from any working folder)."""
    return os.path.abspath(os.path.expanduser(path))
