"""The command line: subcommands, options, their checks and their help texts."""

from __future__ import annotations

import argparse
import difflib
import textwrap
from typing import Any, NoReturn

from .. import __version__
from ..datasets import DATASETS
from ..models import ACTIVATIONS
from ._common import EXIT_USAGE, PROG
from ._config import (
    CLASS_COUNT,
    DECAY_FACTOR,
    FRACTION,
    NON_NEGATIVE_INT,
    NON_NEGATIVE_NUMBER,
    POSITIVE_INT,
    POSITIVE_NUMBER,
)
from ._setup import MODELS, OPTIMIZERS, SCHEDULERS, TEXT_DATASETS

#: Defaults of ``minitorch train``. They reach about 98% test accuracy on the bundled digits
#: in 20 epochs (a few seconds on two cores). Options are parsed with ``None`` as default so
#: that ``--resume`` can tell which ones were given; these values are filled in afterwards.
TRAIN_DEFAULTS: dict[str, Any] = {
    "dataset": "digits",
    "data_seed": 0,
    "hidden": [256, 128],
    "activation": "relu",
    "dropout": 0.0,
    "optimizer": "adam",
    "epochs": 20,
    "batch_size": 32,
    "scheduler": "none",
    "seed": 0,
}

#: What ``--model cnn`` changes: LeNet's channels and its one hidden layer of 120.
CNN_DEFAULTS: dict[str, Any] = {"channels": [6, 16], "hidden": [120], "batch_norm": False}

#: ``--model gpt``: nanoGPT's CPU recipe for Shakespeare's characters (its README's laptop
#: command), with weight decay on the matrices only and the embedding tied to the head.
GPT_DEFAULTS: dict[str, Any] = {
    "dataset": "shakespeare",
    "n_layer": 4,
    "n_head": 4,
    "n_embd": 128,
    "block_size": 64,
    "dropout": 0.0,
    "batch_size": 12,
    "iters": 2000,
    "lr": 1e-3,
    "min_lr": 1e-4,
    "warmup_iters": 100,
    "betas": [0.9, 0.99],
    "weight_decay": 0.1,
    "grad_clip": 1.0,
    "eval_interval": 250,
    "eval_batches": 200,
    "seed": 0,
}

#: Options that ``train --resume`` accepts besides the run folder; the others are the run's own.
RESUME_OPTIONS = ("epochs", "iters", "quiet", "data_root", "download")

_EPOCH_OPTIONS = ("hidden", "activation", "optimizer", "momentum", "epochs", "scheduler",
                  "step_size", "milestones", "gamma")  # fmt: skip
#: The options of each model (besides those all share); data-set options are checked apart.
MODEL_OPTIONS: dict[str, tuple[str, ...]] = {
    "mlp": _EPOCH_OPTIONS,
    "cnn": ("channels", "batch_norm", *_EPOCH_OPTIONS),
    "gpt": (
        "iters",
        "eval_interval",
        "eval_batches",
        "n_layer",
        "n_head",
        "n_embd",
        "block_size",
        "warmup_iters",
        "min_lr",
        "grad_clip",
    ),
}

DESCRIPTION = """\
Train and evaluate neural networks built with minitorch: multilayer perceptrons, LeNet-style
convolutional networks, and a GPT that learns Shakespeare's characters.

'minitorch train' trains a network and writes a run folder: the checkpoint, the
configuration, the metrics of every epoch (every evaluation, for a GPT) and a plot of the
training curves. 'minitorch evaluate RUN' reports the accuracy and confusion matrix of a
trained run (a GPT's validation loss); 'minitorch sample RUN' writes text with a GPT run.
"""

EXAMPLES = """\
examples:
  minitorch train                          digits, default network (~98% test accuracy)
  minitorch train --dataset spiral --hidden 64 64 --epochs 200 --lr 0.01
  minitorch train --model cnn --dataset mnist5k --batch-norm --epochs 5
  minitorch train --model gpt              nanoGPT's CPU recipe on Tiny Shakespeare
  minitorch train --resume runs/digits-20260512-101500 --epochs 40
  minitorch evaluate runs/digits-20260512-101500
  minitorch sample runs/shakespeare-20260512-101500 --prompt "ROMEO:"
  minitorch datasets                       list the data sets

Run 'minitorch COMMAND --help' for the options of each command.
"""

TRAIN_EXAMPLES = """\
examples:
  minitorch train
  minitorch train --dataset mnist5k --hidden 512 256 --dropout 0.2 --epochs 10
  minitorch train --dataset moons --hidden 16 16 --optimizer sgd --lr 0.1 --epochs 100
  minitorch train --scheduler cosine --epochs 30 --out runs/cosine
  minitorch train --resume runs/cosine --epochs 50    (continue, up to 50 epochs)
  minitorch train --model cnn --dataset mnist --data-root data --download --epochs 3
  minitorch train --model gpt                         (2,000 iterations, val loss ~1.9)
  minitorch train --model gpt --iters 6000 --eval-interval 500
  minitorch train --resume runs/gpt --iters 4000      (continue a GPT run further)

Ctrl-C stops training after the current batch and saves a checkpoint; continue the run later
with --resume: it ends exactly where it would have ended without the interruption.
"""


class Parser(argparse.ArgumentParser):
    """argparse, but a mistake gets one line (``minitorch: error: ...``), not usage and a trace."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        #: Subcommand name -> its parser (filled in on the top-level parser only).
        self.subcommands: dict[str, Parser] = {}

    def error(self, message: str) -> NoReturn:
        command = self.prog.removeprefix(PROG).strip()
        hint = f"; see '{PROG} {command} --help'" if command else f"; see '{PROG} --help'"
        self.exit(EXIT_USAGE, f"{PROG}: error: {message}{hint}\n")


class HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Keep the hand-made line breaks of descriptions and examples; wider option column; never
    break a line inside a name such as ``fashion-mnist`` or ``--data-root``."""

    def __init__(self, prog: str) -> None:
        super().__init__(prog, max_help_position=32)

    def _split_lines(self, text: str, width: int) -> list[str]:  # argparse's hook for help texts
        return textwrap.wrap(" ".join(text.split()), width, break_on_hyphens=False)


# ---------------------------------------------------------------------- value checks
# The rules of config.json (see _config), so an option and a hand-edited setting are checked alike.
positive_int = POSITIVE_INT.option_type()
non_negative_int = NON_NEGATIVE_INT.option_type()
class_count = CLASS_COUNT.option_type()
positive_float = POSITIVE_NUMBER.option_type()
non_negative_float = NON_NEGATIVE_NUMBER.option_type()
fraction = FRACTION.option_type()  # a dropout probability or a momentum, in [0, 1)
decay_factor = DECAY_FACTOR.option_type()  # a learning-rate factor, in (0, 1]


#: Every name ``--dataset`` takes: the registry's data sets and the texts of ``--model gpt``.
DATASET_NAMES = [*DATASETS, *TEXT_DATASETS]


def dataset_name(text: str) -> str:
    name = text.strip().lower().replace("_", "-")
    if name in DATASET_NAMES:
        return name
    close = difflib.get_close_matches(name, DATASET_NAMES, n=1)
    guess = f" (did you mean {close[0]!r}?)" if close else ""
    raise argparse.ArgumentTypeError(
        f"unknown data set {text!r}{guess}; choose one of: {', '.join(DATASET_NAMES)}"
    )


def _choice(kind: str, options: list[str]) -> Any:
    """A case-insensitive choice whose error lists the options (and guesses a typo)."""

    def check(text: str) -> str:
        name = text.strip().lower().replace("-", "_")
        if name in options:
            return name
        close = difflib.get_close_matches(name, options, n=1)
        guess = f" (did you mean {close[0]!r}?)" if close else ""
        raise argparse.ArgumentTypeError(
            f"unknown {kind} {text!r}{guess}; choose one of: {', '.join(options)}"
        )

    check.__name__ = kind
    return check


# ---------------------------------------------------------------------- the parser
def build_parser() -> Parser:
    parser = Parser(
        prog=PROG,
        description=DESCRIPTION,
        epilog=EXAMPLES,
        formatter_class=HelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands")

    parser.subcommands["train"] = _add_train(commands)

    evaluate = commands.add_parser(
        "evaluate",
        help="report a trained run's accuracy (or MSE) and confusion matrix",
        description="Reload a run's checkpoint and report its accuracy (mean squared error for "
        "regression) and, for classification, the confusion matrix.",
        formatter_class=HelpFormatter,
    )
    evaluate.add_argument("run", metavar="RUN", help="the run folder 'minitorch train' wrote")
    parser.subcommands["evaluate"] = evaluate
    evaluate.add_argument(
        "--split",
        choices=["test", "train"],
        default="test",
        help="which part of the data set to evaluate on (default: test; for a GPT run, test "
        "is the validation split)",
    )
    _add_data_root(evaluate, "if they have moved since training")

    parser.subcommands["sample"] = _add_sample(commands)

    parser.subcommands["datasets"] = commands.add_parser(
        "datasets",
        help="list the data sets 'minitorch train --dataset' accepts",
        description="List the data sets 'minitorch train --dataset' accepts.",
        formatter_class=HelpFormatter,
    )
    return parser


#: Defaults of ``minitorch sample``.
SAMPLE_DEFAULTS: dict[str, Any] = {
    "prompt": "\n",
    "tokens": 300,
    "temperature": 0.8,
    "top_k": 40,
    "seed": 0,
}


def _add_data_root(parser: Any, when: str) -> None:
    parser.add_argument(
        "--data-root",
        metavar="DIR",
        help="mnist and fashion-mnist: the folder of their IDX files, in DIR/MNIST/raw/ "
        f"(torchvision's layout) or in DIR itself ({when})",
    )
    parser.add_argument(
        "--download",
        action="store_true",
        default=None,
        help="fetch the MNIST files that are not in --data-root yet (checked by their MD5)",
    )


def _add_sample(commands: Any) -> Parser:
    d = SAMPLE_DEFAULTS
    sample = commands.add_parser(
        "sample",
        help="write text with a trained GPT run",
        description="Continue a prompt with a GPT run's model, one character at a time, and "
        "print the prompt and its continuation.\nThe characters are drawn from minitorch's "
        "generator seeded with --seed: the same seed gives the same text.",
        formatter_class=HelpFormatter,
    )
    sample.add_argument(
        "run", metavar="RUN", help="the folder of a 'minitorch train --model gpt' run"
    )
    sample.add_argument(
        "--prompt",
        metavar="TEXT",
        help="the text to continue (default: a new line, as nanoGPT); only characters of the "
        "training text",
    )
    sample.add_argument(
        "--tokens",
        type=non_negative_int,
        metavar="N",
        help=f"characters to write (default: {d['tokens']})",
    )
    sample.add_argument(
        "--temperature",
        type=positive_float,
        metavar="T",
        help=f"below 1: safer, more repetitive; above 1: more random (default: {d['temperature']})",
    )
    sample.add_argument(
        "--top-k",
        type=positive_int,
        metavar="K",
        help=f"draw only from the K likeliest characters (default: {d['top_k']})",
    )
    sample.add_argument(
        "--seed",
        type=non_negative_int,
        metavar="S",
        help=f"seed of the draws (default: {d['seed']})",
    )
    return sample


def _add_train(commands: Any) -> Parser:
    train = commands.add_parser(
        "train",
        help="train a network and write a run folder",
        description="Train a multilayer perceptron (Linear layers with an activation between\n"
        "them), a LeNet-style convolutional network or a GPT, and write a run folder:\n"
        "checkpoint.npz (model and optimizer state), config.json (the settings),\n"
        "metrics.csv (one row per epoch, or per evaluation of a GPT) and curves.png.",
        epilog=TRAIN_EXAMPLES,
        formatter_class=HelpFormatter,
    )
    d = TRAIN_DEFAULTS
    g = GPT_DEFAULTS

    data = train.add_argument_group("data")
    data.add_argument(
        "--dataset",
        type=dataset_name,
        metavar="NAME",
        help=f"what to learn: {', '.join(DATASET_NAMES)} (default: {d['dataset']}, and "
        f"{g['dataset']} for --model gpt; 'minitorch datasets' describes them)",
    )
    _add_data_root(data, "default: data")
    data.add_argument(
        "--samples",
        type=positive_int,
        metavar="N",
        help="number of points to generate (generated data sets only; default 300)",
    )
    data.add_argument(
        "--noise",
        type=non_negative_float,
        metavar="X",
        help="noise of the generated points (generated data sets only)",
    )
    data.add_argument(
        "--classes",
        type=class_count,
        metavar="K",
        help="number of classes (spiral and blobs only; default 3)",
    )
    data.add_argument(
        "--data-seed",
        type=non_negative_int,
        metavar="S",
        help=f"seed of the generated points (default: {d['data_seed']})",
    )

    model = train.add_argument_group("model")
    model.add_argument(
        "--model",
        type=_choice("model", list(MODELS)),
        metavar="NAME",
        help="mlp (Linear layers), cnn (LeNet: two conv blocks, then linear layers; image data "
        "sets) or gpt (nanoGPT's GPT; text) (default: mlp)",
    )
    model.add_argument(
        "--hidden",
        type=positive_int,
        nargs="*",
        metavar="SIZE",
        help="width of each hidden layer, e.g. --hidden 256 128 (default: "
        f"{' '.join(map(str, d['hidden']))}; for cnn, the layers after the convolutions, "
        f"default {' '.join(map(str, CNN_DEFAULTS['hidden']))}); --hidden alone gives a "
        "linear model (linear layer)",
    )
    model.add_argument(
        "--channels",
        type=positive_int,
        nargs=2,
        metavar=("C1", "C2"),
        help="cnn: output channels of the two convolutions (default: "
        f"{' '.join(map(str, CNN_DEFAULTS['channels']))}, LeNet's)",
    )
    model.add_argument(
        "--batch-norm",
        action="store_true",
        default=None,
        help="cnn: batch normalisation after each convolution",
    )
    model.add_argument(
        "--activation",
        type=_choice("activation", list(ACTIVATIONS)),
        metavar="NAME",
        help=f"non-linearity after each hidden layer: {', '.join(ACTIVATIONS)} "
        f"(default: {d['activation']})",
    )
    model.add_argument(
        "--dropout",
        type=fraction,
        metavar="P",
        help="dropout probability after each hidden layer (a GPT's: in every block) "
        "(default: 0, no dropout)",
    )
    for flag, help_text in (
        ("--n-layer", "gpt: transformer blocks"),
        ("--n-head", "gpt: attention heads per block"),
        ("--n-embd", "gpt: features per position"),
        ("--block-size", "gpt: context length, in characters"),
    ):
        name = flag[2:].replace("-", "_")
        model.add_argument(
            flag, type=positive_int, metavar="N", help=f"{help_text} (default: {g[name]})"
        )

    optimization = train.add_argument_group("optimization")
    optimization.add_argument(
        "--optimizer",
        type=_choice("optimizer", list(OPTIMIZERS)),
        metavar="NAME",
        help=f"{', '.join(OPTIMIZERS)} (default: {d['optimizer']})",
    )
    lr_defaults = ", ".join(f"{name} {opts['lr']:g}" for name, (_, opts) in OPTIMIZERS.items())
    optimization.add_argument(
        "--lr",
        type=positive_float,
        metavar="LR",
        help=f"learning rate (default: {lr_defaults}; gpt {g['lr']:g}, the peak of its schedule)",
    )
    optimization.add_argument(
        "--momentum",
        type=fraction,
        metavar="M",
        help="momentum of sgd (default 0.9) and rmsprop (default 0)",
    )
    optimization.add_argument(
        "--weight-decay",
        type=non_negative_float,
        metavar="W",
        help="weight decay (default: 0.01 for adamw, 0 for the others; gpt 0.1, on its "
        "matrices only)",
    )
    optimization.add_argument(
        "--epochs",
        type=positive_int,
        metavar="N",
        help=f"passes over the training set (default: {d['epochs']}); with --resume, the "
        "total number of epochs to reach",
    )
    optimization.add_argument(
        "--batch-size",
        type=positive_int,
        metavar="B",
        help=f"samples per gradient step (default: {d['batch_size']}; gpt "
        f"{g['batch_size']} windows)",
    )
    optimization.add_argument(
        "--scheduler",
        type=_choice("scheduler", list(SCHEDULERS)),
        metavar="NAME",
        help="how the learning rate changes from epoch to epoch: none (constant), step "
        "(x gamma every --step-size epochs), multistep (x gamma at each of --milestones), "
        "exponential (x gamma every epoch), cosine (down to 0 along a half cosine), "
        "linear (down to 0 in a straight line) (default: none)",
    )
    optimization.add_argument(
        "--step-size",
        type=positive_int,
        metavar="N",
        help="epochs between decays for --scheduler step (default: a third of the epochs)",
    )
    optimization.add_argument(
        "--milestones",
        type=positive_int,
        nargs="+",
        metavar="EPOCH",
        help="epochs at which --scheduler multistep decays (default: half and three quarters "
        "of the epochs)",
    )
    optimization.add_argument(
        "--gamma",
        type=decay_factor,
        metavar="G",
        help="decay factor of step and multistep (default 0.1) and exponential (default 0.9)",
    )
    optimization.add_argument(
        "--seed",
        type=non_negative_int,
        metavar="S",
        help=f"seed of the initial weights, the shuffling and dropout (default: {d['seed']})",
    )

    gpt = train.add_argument_group(
        "gpt training (by iterations: one random batch of windows of the text each)"
    )
    gpt.add_argument(
        "--iters",
        type=positive_int,
        metavar="N",
        help=f"iterations to train (default: {g['iters']}); with --resume, the total to reach",
    )
    gpt.add_argument(
        "--eval-interval",
        type=positive_int,
        metavar="N",
        help="measure the validation loss (and save a checkpoint) every N iterations and at "
        f"the end (default: {g['eval_interval']})",
    )
    gpt.add_argument(
        "--eval-batches",
        type=positive_int,
        metavar="N",
        help=f"fixed validation batches the loss is measured on (default: {g['eval_batches']}, "
        f"of --batch-size x --block-size characters)",
    )
    gpt.add_argument(
        "--warmup-iters",
        type=non_negative_int,
        metavar="N",
        help=f"iterations of linear warm-up before the cosine decay (default: {g['warmup_iters']})",
    )
    gpt.add_argument(
        "--min-lr",
        type=non_negative_float,
        metavar="LR",
        help="learning rate the cosine decay reaches at the last iteration (default: "
        f"{g['min_lr']:g})",
    )
    gpt.add_argument(
        "--grad-clip",
        type=non_negative_float,
        metavar="X",
        help=f"largest joint norm of the gradients, 0 for none (default: {g['grad_clip']:g})",
    )

    run = train.add_argument_group("run folder and output")
    run.add_argument(
        "--out",
        metavar="DIR",
        help="folder to write the run into (default: runs/<dataset>-<date>-<time>); it must be "
        "new or empty",
    )
    run.add_argument(
        "--overwrite",
        action="store_true",
        default=None,
        help="allow --out to be a folder that already holds a run, and replace that run",
    )
    run.add_argument(
        "--resume",
        metavar="RUN",
        help="continue the run in folder RUN from its checkpoint, with its own settings "
        "(only --epochs, or a GPT's --iters, may be changed)",
    )
    run.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        default=None,
        help="no progress bar and no per-epoch lines; print only the run folder and the result",
    )
    return train


#: Options of other trainers (and PyTorch scripts) a newcomer may try, and ours.
_LIKELY_MEANT = {
    "--learning-rate": "--lr",
    "--optim": "--optimizer",
    "--act": "--activation",
    "--layers": "--hidden",
    "--hidden-sizes": "--hidden",
    "--hidden-size": "--hidden",
    "--bs": "--batch-size",
    "--schedule": "--scheduler",
    "--lr-scheduler": "--scheduler",
    "--output": "--out",
    "--output-dir": "--out",
    "--outdir": "--out",
    "--run-dir": "--out",
    "--data": "--dataset",
    "--arch": "--model",
    "--max-iters": "--iters",
    "--steps": "--iters",
    "--root": "--data-root",
    "--data-dir": "--data-root",
    "--batchnorm": "--batch-norm",
    "--num-tokens": "--tokens",
    "--max-new-tokens": "--tokens",
    "--start": "--prompt",
    "--topk": "--top-k",
}


def parse(parser: Parser, argv: list[str]) -> argparse.Namespace:
    """Parse ``argv``; on a mistake print one line and raise ``SystemExit(2)``.

    Unknown options are reported by the subcommand's parser, so the hint points to its help,
    with a guess when the option looks like a misspelt one.
    """
    args, unknown = parser.parse_known_args(argv)
    if unknown:
        reporter = parser.subcommands.get(args.command, parser)
        known = [
            option
            for action in reporter._actions  # argparse keeps no public list of option strings
            for option in action.option_strings
        ]
        option = unknown[0].split("=")[0].replace("_", "-")
        guess = _LIKELY_MEANT.get(option)
        guess = guess if guess in known else None
        close = difflib.get_close_matches(option, known, n=1, cutoff=0.75)
        guess = guess or (close[0] if close else None)
        guess = f" (did you mean {guess}?)" if guess else ""
        reporter.error(f"unrecognized arguments: {' '.join(unknown)}{guess}")
    return args


def option_flag(name: str) -> str:
    """``--step-size`` for the option ``step_size``."""
    return "--" + name.replace("_", "-")


def given_options(args: argparse.Namespace) -> list[str]:
    """The training options given on the command line (``None`` means 'not given')."""
    skip = {"command", "resume"}
    return [name for name, value in vars(args).items() if name not in skip and value is not None]
