"""The command-line trainer: ``minitorch train | evaluate | sample | datasets``.

Installed as the ``minitorch`` command, and runnable as ``python -m minitorch``::

    minitorch train                              # an MLP on the bundled digits, ~98% test accuracy
    minitorch train --dataset spiral --hidden 64 64 --epochs 200 --lr 0.01
    minitorch train --model cnn --dataset mnist5k --batch-norm
    minitorch train --model gpt                  # nanoGPT's CPU recipe on Tiny Shakespeare
    minitorch evaluate runs/digits-20260512-101500
    minitorch train --resume runs/digits-20260512-101500 --epochs 40
    minitorch sample runs/shakespeare-20260512-101500 --prompt "ROMEO:"

:func:`main` takes the arguments as a list and returns the exit code, so the trainer can be run
from Python (and from tests) as well: ``main(["train", "--epochs", "3", "--out", "runs/try"])``.

Layout: ``_options`` (the parser and its checks), ``_config`` (what config.json and the
checkpoint may hold), ``_setup`` (configuration to data, model, optimizer), ``_run`` (the run
folder and its files), ``_trainer`` (the one trainer: checkpoints, Ctrl-C, resume, metrics, and
the :class:`~minitorch.cli._trainer.Task` a model writes), ``_epochs`` (the task of an MLP or a
CNN, by epochs), ``_gpt`` (a GPT's, by iterations), ``_train`` (the ``train`` command),
``_sample`` (text from a GPT run), ``_evaluate`` (evaluation and the list of data sets) and
``_distributed`` (``mpiexec -n N minitorch train``: the same run data-parallel over N
processes). The training loops themselves live in :mod:`minitorch.training`, which has no
command-line parts.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
import traceback
from pathlib import Path

from . import _distributed
from ._common import (
    EXIT_FAILURE,
    EXIT_INTERRUPTED,
    EXIT_USAGE,
    PROG,
    CLIError,
    InterruptError,
    memory_message,
)
from ._common import printable as _printable
from ._course import run_course
from ._evaluate import run_datasets, run_evaluate
from ._options import build_parser, parse
from ._sample import run_sample
from ._train import run_train

__all__ = ["main"]


def main(argv: list[str] | None = None) -> int:
    """Run the trainer with ``argv`` (default: ``sys.argv[1:]``) and return the exit code.

    0: done; 1: the system failed (a full disk, a folder that cannot be written); 2: a mistake
    in the command or a file that cannot be used (one ``minitorch: error: ...`` line on
    stderr, saying what happened and what to do); 130: stopped by Ctrl-C (after saving a
    checkpoint, when training). A user's situation never shows a traceback; in a student
    edition, reaching a task not written yet is one line too (exit 2): the stub's message, where
    it is, and ``minitorch check TASK``.

    Under ``mpiexec`` (``minitorch train`` only), rank 0 prints the line and the processes end
    together, or all at once by ``MPI_Abort`` if they are not at the same step
    (:mod:`._distributed`).
    """
    argv = sys.argv[1:] if argv is None else list(argv)
    return _distributed.finish(_main(argv))


def _main(argv: list[str]) -> int:
    try:
        if argv[:1] in (["course"], ["check"]):  # course mode: cli/_course.py
            return run_course(argv)
        parser = build_parser()
        try:
            args = parse(parser, argv)
        except SystemExit as exit_request:  # --help, --version, or a mistake argparse reported
            code = exit_request.code
            return code if isinstance(code, int) else (0 if code is None else EXIT_USAGE)
        if args.command is None:
            parser.print_help()
            return EXIT_USAGE
        if args.command == "train":
            return run_train(args, argv)
        if args.command == "sample":
            return run_sample(args)
        if args.command == "evaluate":
            return run_evaluate(args)
        return run_datasets(args)
    except InterruptError as stopped:
        _report(f"{PROG}: {stopped}", after_ctrl_c=True)
        return stopped.exit_code
    except CLIError as error:
        _report(f"{PROG}: error: {error}")
        return error.exit_code
    except NotImplementedError as error:
        line = _stub_reached(error)
        if line is None:
            raise  # not a course stub: a bug, whose traceback is wanted
        _report(f"{PROG}: error: {line}")
        return EXIT_USAGE
    except KeyboardInterrupt:
        _report(f"{PROG}: stopped by Ctrl-C", after_ctrl_c=True)
        return EXIT_INTERRUPTED
    except MemoryError as error:  # a batch, a layer or an evaluation too large for the machine
        _report(f"{PROG}: error: {memory_message(error, argv)}")
        return EXIT_FAILURE
    except BrokenPipeError:
        # The reader of our output went away (e.g. `minitorch datasets | head -1`). Point stdout
        # at /dev/null so that Python's final flush does not fail too, and exit quietly.
        with contextlib.suppress(OSError, ValueError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except OSError as error:
        # A file-system failure no part of the trainer expected: still one line, no traceback.
        where = f" ({_printable(os.fsdecode(error.filename))})" if error.filename else ""
        reason = error.strerror or str(error)
        _report(f"{PROG}: error: {reason}{where}; check the disk and the paths given")
        return EXIT_FAILURE


_STUB = re.compile(r"^(?P<task>\S+) \(assignment (?P<assignment>[\w-]+)\) is not written yet")


def _stub_reached(error: NotImplementedError) -> str | None:
    """The line for a stub of a student edition that was reached (its message, the file and
    line of the stub, what to do), or ``None`` for any other NotImplementedError."""
    message = str(error)
    match = _STUB.match(message)
    if match is None:
        return None
    frames = traceback.extract_tb(error.__traceback__)
    where = ""
    if frames:
        path = Path(frames[-1].filename)
        parts = path.parts[path.parts.index("minitorch") + 1 :] if "minitorch" in path.parts else ()
        where = f" (at {'/'.join(parts) or path.name}:{frames[-1].lineno})"
    task, owner = match.group("task"), match.group("assignment")
    from ..course import ASSIGNMENTS
    from ..course.edition import edition_info

    order = [a.id for a in ASSIGNMENTS]
    edition = (edition_info() or {}).get("assignment")
    if edition in order and owner in order and order.index(owner) > order.index(edition):
        return (
            f"{message}{where}; this command needs a task of {owner}, a later assignment than "
            f"this edition's ({edition}): it runs in the edition of {owner} onwards"
        )
    return f"{message}{where}; this command needs it: write it, then `{PROG} check {task}`"


def _report(message: str, after_ctrl_c: bool = False) -> None:
    """Print ``message`` on stderr as one printable line (an error quoted from NumPy or a
    library may span lines: an array's repr). After Ctrl-C on a terminal, which shows ``^C``
    where the cursor was, the line starts on a line of its own."""
    if not _distributed.is_main():
        return  # under mpiexec: rank 0 says it, once
    line = " ".join(_printable(message).split())
    with contextlib.suppress(OSError, ValueError):
        if after_ctrl_c and sys.stderr.isatty():
            line = "\n" + line
        print(line, file=sys.stderr, flush=True)
