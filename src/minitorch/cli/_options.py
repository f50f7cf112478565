"""The command line: subcommands and their parsers; ``train``'s options come from the schema
(:data:`~minitorch.cli._config.SETTINGS`)."""

from __future__ import annotations

import argparse
import difflib
import textwrap
from typing import Any, NoReturn

from .. import __version__
from ._common import EXIT_USAGE, PROG
from ._config import SETTING, SETTINGS, Setting
from ._rules import NON_NEGATIVE_INT, NON_NEGATIVE_NUMBER, POSITIVE_INT, POSITIVE_NUMBER

DESCRIPTION = """\
Train and evaluate neural networks built with minitorch: multilayer perceptrons, LeNet-style
convolutional networks, and language models that learn Shakespeare's characters: a GPT,
and char-rnn's LSTM, GRU or RNN.

'minitorch train' trains a network and writes a run folder: the checkpoint, the
configuration, the metrics of every epoch (every evaluation, for a language model) and a
plot of the training curves. 'minitorch evaluate RUN' reports the accuracy and confusion
matrix of a trained run (a language model's validation loss); 'minitorch sample RUN' writes
text with a language model's run.
"""

EXAMPLES = """\
examples:
  minitorch train                          digits, default network (~98% test accuracy)
  minitorch train --dataset spiral --hidden 64 64 --epochs 200 --lr 0.01
  minitorch train --model cnn --dataset mnist5k --batch-norm --epochs 5
  minitorch train --model gpt              nanoGPT's CPU recipe on Tiny Shakespeare
  minitorch train --model lstm             char-rnn's LSTM, CHAR_RNN_RECIPE (val loss ~1.55)
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
  minitorch train --model lstm                        (2,000 iterations, val loss ~1.55)
  minitorch train --model gru --bptt stateful         (truncated BPTT: the state carried)

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
# The rules of config.json (see _rules), so an option and a hand-edited setting are checked alike.
positive_int = POSITIVE_INT.option_type()
non_negative_int = NON_NEGATIVE_INT.option_type()
positive_float = POSITIVE_NUMBER.option_type()
non_negative_float = NON_NEGATIVE_NUMBER.option_type()


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
        help="which part of the data set to evaluate on (default: test; for a language model's "
        "run, test is the validation split)",
    )
    _add_data_root(evaluate, "if they have moved since training")

    parser.subcommands["sample"] = _add_sample(commands)

    # Course mode has parsers of its own (cli/_course.py, reached before this one); these two
    # entries only list it in `minitorch --help`.
    commands.add_parser(
        "course", help="the course: list, build a student edition, grade (minitorch course -h)"
    )
    commands.add_parser("check", help="check your work in a student edition (minitorch check -h)")

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
    """--data-root and --download, as :data:`~._config.SETTINGS` declares them."""
    for name in ("data_root", "download"):
        add_option(parser, SETTING[name], when=when)


def add_option(parser: Any, setting: Setting, **fill: str) -> None:
    """The option of one setting: its flag, type, metavar, nargs and help, from the schema.

    Options are parsed with ``None`` as default, so that ``--resume`` can tell which ones were
    given; the defaults of a new run are filled in afterwards (:func:`~._config.defaults`).
    """
    flags = [setting.short, setting.option] if setting.short else [setting.option]
    kwargs: dict[str, Any] = {"help": setting.help_text(**fill)}
    if setting.flag:
        kwargs.update(action="store_true", default=None)
    else:
        kwargs.update(type=setting.option_type(), metavar=setting.metavar)
        if setting.nargs is not None:
            kwargs["nargs"] = setting.nargs
    parser.add_argument(*flags, **kwargs)


def _add_sample(commands: Any) -> Parser:
    d = SAMPLE_DEFAULTS
    sample = commands.add_parser(
        "sample",
        help="write text with a trained language model's run (gpt, lstm, gru, rnn)",
        description="Continue a prompt with a language model's run, one character at a time, and "
        "print the prompt and its continuation.\nThe characters are drawn from minitorch's "
        "generator seeded with --seed: the same seed gives the same text.",
        formatter_class=HelpFormatter,
    )
    sample.add_argument(
        "run", metavar="RUN", help="the folder of a 'minitorch train --model gpt' (or lstm, "
        "gru, rnn) run"
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
        type=non_negative_float,
        metavar="T",
        help="below 1: safer, more repetitive; above 1: more random; 0: greedy, always the "
        f"likeliest character (default: {d['temperature']})",
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
        "them), a LeNet-style convolutional network, a GPT or a character-level LSTM,\n"
        "GRU or RNN, and write a run folder: checkpoint.npz (model and optimizer state),\n"
        "config.json (the settings), metrics.csv (one row per epoch, or per evaluation\n"
        "of a language model), times.csv (the seconds of each row) and curves.png.",
        epilog=TRAIN_EXAMPLES,
        formatter_class=HelpFormatter,
    )
    groups: dict[str, Any] = {}
    for setting in SETTINGS:
        if setting.group is not None:
            if setting.group not in groups:
                groups[setting.group] = train.add_argument_group(setting.group)
            add_option(groups[setting.group], setting, when=f"default: {setting.default}")
    return train


#: Options of other trainers (and PyTorch scripts) a newcomer may try, and ours.
_LIKELY_MEANT = {
    "--learning-rate": "--lr",
    "--optim": "--optimizer",
    "--act": "--activation",
    "--layers": "--hidden",
    "--hidden-sizes": "--hidden",
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
