"""``minitorch evaluate RUN`` and ``minitorch datasets``."""

from __future__ import annotations

import argparse

import numpy as np

from ..datasets import CLASSIFICATION, DATASETS
from ..training import evaluate
from ..viz.metrics import confusion_matrix
from ._common import EXIT_OK, CLIError
from ._run import RunFolder, format_percent
from ._setup import DATASET_OPTIONS, build_training, describe_model, load_data


def run_evaluate(args: argparse.Namespace) -> int:
    """Rebuild the run's model from config.json, load its checkpoint, report on one split."""
    run = RunFolder.open(args.run)
    config = run.read_config()
    state = run.load_checkpoint()
    try:
        training = build_training(config, load_data(config))
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
    """List the data sets with their task and the options they take."""
    width = max(len(name) for name in DATASETS)
    for name, info in DATASETS.items():
        print(f"{name:<{width}}  {info.task:<14}  {info.description}")
        flags = [
            f"--{flag}" for flag, keyword in DATASET_OPTIONS.items() if keyword in info.options
        ]
        if info.generated:
            flags.append("--data-seed")
        if flags:
            print(f"{'':<{width}}  {'':<14}  options: {' '.join(flags)}")
    return EXIT_OK
