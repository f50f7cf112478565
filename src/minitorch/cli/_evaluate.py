"""``minitorch evaluate RUN`` and ``minitorch datasets``."""

from __future__ import annotations

import argparse
import math

import numpy as np

from ..datasets import CLASSIFICATION, DATASETS
from ..metrics import confusion_matrix
from ..training import evaluate, lm_loss
from ._common import EXIT_OK, CLIError
from ._epochs import check_data_root_options
from ._gpt import LMTask
from ._options import option_flag
from ._run import RunFolder, format_percent
from ._setup import (
    A_RUN_OF,
    DATASET_OPTIONS,
    LANGUAGE_MODELS,
    TEXT_DATASETS,
    absolute,
    build_training,
    describe_model,
    eval_windows,
    load_data,
    model_of,
    models_for,
)


def run_evaluate(args: argparse.Namespace) -> int:
    """Rebuild the run's model from config.json, load its checkpoint, report on one split."""
    run = RunFolder.open(args.run)
    config = run.read_config()
    model = model_of(config)
    if model in LANGUAGE_MODELS:
        return _evaluate_lm(args, run, config)
    check_data_root_options(args, config["dataset"])
    if args.data_root is not None:
        config["dataset_options"]["root"] = absolute(args.data_root)
    state = run.load_checkpoint(model)
    try:
        training = build_training(config, load_data(config, download=bool(args.download)))
        training.model.load_state_dict(state["model"])
    except KeyError as error:
        raise CLIError(f"{run} is incomplete or damaged: missing {error}") from None
    except (ValueError, TypeError, AttributeError, IndexError) as error:
        raise CLIError(
            f"{run.checkpoint_text} does not fit the run's config.json ({error}); restore both "
            "files from one copy of the run, or start a new run"
        ) from None

    dataset = training.test_set if args.split == "test" else training.train_set
    result = evaluate(training.model, dataset, training.loss_fn, task=training.task)

    epochs_done = int(state.get("epoch", 0))
    batches = int(state.get("progress", {}).get("batches", 0))
    when = f"after epoch {epochs_done} of {config['epochs']}"
    if batches:
        when += (
            f" and batch {batches} of {len(training.loader)} of epoch {epochs_done + 1} "
            f"(stopped; 'minitorch train --resume {run.shell}' finishes it)"
        )
    print(f"run:        {run} ({config['dataset']})")
    print(f"checkpoint: {when}")
    print(f"model:      {describe_model(config, training)}")
    print(f"{args.split} set:   {len(dataset):,} samples")
    if training.task != CLASSIFICATION:
        print(f"mse:        {result.loss:.6g}")
        return EXIT_OK

    print(
        f"accuracy:   {format_percent(result.accuracy)} "
        f"({result.correct:,} of {len(dataset):,} correct)"
    )
    print(f"loss:       {result.loss:.4f} (cross-entropy)")
    matrix = confusion_matrix(result.targets, result.predictions, num_classes=dataset.num_classes)
    print()
    print(format_confusion_matrix(matrix, dataset.classes))
    return EXIT_OK


def _evaluate_lm(args: argparse.Namespace, run: RunFolder, config: dict) -> int:
    """A language model's loss on the fixed windows of one split (each read from a zero state
    by a CharRNN), beside the unigram baseline."""
    model = config["model"]
    for name in ("data_root", "download"):
        if getattr(args, name, None) is not None:
            raise CLIError(
                f"{option_flag(name)} does not apply to {run}, {A_RUN_OF[model]} run on a "
                "bundled text"
            )
    state = run.load_checkpoint(model)
    task = LMTask.build(config, in_config=True)
    training, settings = task.training, task.settings
    try:
        training.model.load_state_dict(state["model"])
    except (KeyError, ValueError, TypeError, AttributeError, IndexError) as error:
        raise CLIError(
            f"{run.checkpoint_text} does not fit the run's config.json ({error}); restore both "
            "files from one copy of the run, or start a new run"
        ) from None
    validation = args.split == "test"
    split = training.val_set if validation else training.train_set
    batches = training.eval_batches if validation else eval_windows(settings, split)
    loss = lm_loss(training.model, batches)
    # What a model that knows only how often each character occurs (in the training split)
    # scores on the same windows: the loss to beat.
    counts = np.bincount(training.train_set.data, minlength=training.train_set.vocab_size)
    log_p = np.log(np.maximum(counts, 1) / counts.sum())
    baseline = float(-np.mean(log_p[np.concatenate([y.ravel() for _, y in batches])]))

    done, iters = int(state["iter"]), settings.iters
    when = f"after iteration {done} of {iters}"
    if done < iters:
        when += f" ('minitorch train --resume {run.shell}' continues it)"
    windows = len(batches) * settings.batch_size
    name = "validation" if validation else "training"
    kind = LANGUAGE_MODELS[model]
    print(f"run:        {run} ({config['dataset']}, {kind.title})")
    print(f"checkpoint: {when}")
    print(f"model:      {kind.describe(config, training.model)}")
    print(
        f"split:      {name}, {len(split):,} characters; measured on {windows:,} fixed windows "
        f"of {settings.block_size} ({len(batches)} batches)"
    )
    print(
        f"loss:       {loss:.4f} (cross-entropy, nats per character; {loss / math.log(2):.2f} bits)"
    )
    print(f"baseline:   {baseline:.4f} (character frequencies alone, no context)")
    return EXIT_OK


def format_confusion_matrix(matrix: np.ndarray, classes: list[str]) -> str:
    """The matrix as a text table: a row per true class, a column per predicted class.

    The last column is each class's recall (the share of its samples predicted correctly).
    """
    count = len(matrix)
    labels = [classes[i] if i < len(classes) else str(i) for i in range(count)]
    corner = "true \\ predicted"
    label_width = max(len(corner), *(len(label) for label in labels))
    cell = max(len(str(int(matrix.max()) if matrix.size else 0)), len(str(count - 1))) + 2
    lines = [
        "confusion matrix (rows: true class, columns: predicted class)",
        f"{corner:<{label_width}}" + "".join(f"{j:>{cell}}" for j in range(count)) + "   recall",
    ]
    totals = matrix.sum(axis=1)
    for i, label in enumerate(labels):
        recall = format_percent(matrix[i, i] / totals[i]) if totals[i] else "n/a"
        lines.append(
            f"{label:<{label_width}}"
            + "".join(f"{int(value):>{cell}}" for value in matrix[i])
            + f"  {recall:>7}"
        )
    return "\n".join(lines)


def run_datasets(args: argparse.Namespace) -> int:
    """List the data sets with their task, the models that learn them and their options."""
    width = max(len(name) for name in [*DATASETS, *TEXT_DATASETS])
    for name, info in DATASETS.items():
        print(f"{name:<{width}}  {info.task:<14}  {info.description}")
        flags = [
            f"--{flag}" for flag, keyword in DATASET_OPTIONS.items() if keyword in info.options
        ]
        if info.generated:
            flags.append("--data-seed")
        if info.needs_root:
            flags += ["--data-root DIR", "--download"]
        notes = [f"--model {'|'.join(models_for(name))}"]
        if flags:
            notes.append(f"options: {' '.join(flags)}")
        print(f"{'':<{width}}  {'':<14}  {'; '.join(notes)}")
    for name, text in TEXT_DATASETS.items():
        print(f"{name:<{width}}  {'language model':<14}  {text.description}")
        print(f"{'':<{width}}  {'':<14}  --model {'|'.join(models_for(name))}")
    return EXIT_OK
