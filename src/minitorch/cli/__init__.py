"""The command-line trainer: ``minitorch train``, ``minitorch evaluate``, ``minitorch datasets``.

Installed as the ``minitorch`` command, and runnable as ``python -m minitorch``::

    minitorch train                              # an MLP on the bundled digits, ~98% test accuracy
    minitorch train --dataset spiral --hidden 64 64 --epochs 200 --lr 0.01
    minitorch evaluate runs/digits-20260512-101500
    minitorch train --resume runs/digits-20260512-101500 --epochs 40

:func:`main` takes the arguments as a list and returns the exit code, so the trainer can be run
from Python (and from tests) as well: ``main(["train", "--epochs", "3", "--out", "runs/try"])``.

Layout: ``_options`` (the parser and its checks), ``_setup`` (configuration to data, model,
optimizer), ``_run`` (the run folder and its files), ``_train`` (training, checkpoints, Ctrl-C,
resume) and ``_evaluate`` (evaluation and the list of data sets). The training loop itself lives
in :mod:`minitorch.training`, which has no command-line parts.
"""

from __future__ import annotations

import contextlib
import os
import sys

from ._common import EXIT_INTERRUPTED, EXIT_USAGE, PROG, CLIError
from ._options import build_parser, parse

__all__ = ["main"]


def main(argv: list[str] | None = None) -> int:
    """Run the trainer with ``argv`` (default: ``sys.argv[1:]``) and return the exit code.

    0: done; 2: a mistake in the command (one ``minitorch: error: ...`` line on stderr);
    130: stopped by Ctrl-C (after saving a checkpoint, when training).
    """
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser()
    try:
        args = parse(parser, argv)
    except SystemExit as exit_request:  # --help, --version, or a mistake argparse reported
        code = exit_request.code
        return code if isinstance(code, int) else (0 if code is None else EXIT_USAGE)
    if args.command is None:
        parser.print_help()
        return EXIT_USAGE

    try:
        if args.command == "train":
            from ._train import run_train

            return run_train(args, argv)
        from ._evaluate import run_datasets, run_evaluate

        if args.command == "evaluate":
            return run_evaluate(args)
        return run_datasets(args)
    except CLIError as error:
        print(f"{PROG}: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print(f"\n{PROG}: stopped", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader of our output went away (e.g. `minitorch datasets | head -1`). Point stdout
        # at /dev/null so that Python's final flush does not fail too, and exit quietly.
        with contextlib.suppress(OSError, ValueError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
