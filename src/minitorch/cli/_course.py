"""Course mode on the command line: ``minitorch course list | build`` and ``minitorch check``.

::

    minitorch course list [--json]                      # the assignments, tasks and points
    minitorch course build 01-linear --out handout      # a student edition without the answers
    minitorch course build 02-activations --out week2 --keep-from week1
    minitorch check [TASK ...]                          # in an edition: its assignment's checks
    minitorch check --assignment 01-linear              # on the reference: every task passes
    minitorch course grade handout --assignment 01-linear --results results.json
    minitorch course hidden 01-linear --out hidden-01            # an instructor's hidden tests
    minitorch course grade handout --assignment 01-linear --hidden-tests hidden-01
    minitorch course autograder 01-linear --out autograder.zip   # for Gradescope

``check`` exits 0 only when every task checked passes, 1 otherwise. The work is done by
:mod:`minitorch.course`; this module is its options and its output.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from ..course import ASSIGNMENTS, assignment
from ..course.autograder import write_autograder
from ..course.edition import build_edition, edition_info
from ..course.grading import grade, write_results
from ..course.hidden import HiddenTestsError, write_hidden
from ..course.runner import GRADE_USER, TIMEOUT, GradingError, check_tasks, format_table
from ._common import EXIT_FAILURE, EXIT_OK, EXIT_USAGE, PROG, CLIError

__all__ = ["run_course"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=PROG, description="Course mode: hand out, check, grade.")
    commands = parser.add_subparsers(dest="command", required=True)
    course = commands.add_parser("course", help="the course: list, build an edition, grade")
    actions = course.add_subparsers(dest="action", required=True)
    listing = actions.add_parser("list", help="the assignments, their tasks and points")
    listing.add_argument("--json", action="store_true", help="print them as JSON")
    build = actions.add_parser("build", help="write the student edition of an assignment")
    build.add_argument("assignment", help="an assignment id, e.g. 01-linear")
    build.add_argument("--out", required=True, type=Path, help="a new (or empty) folder")
    build.add_argument(
        "--keep-from", type=Path, default=None,
        help="a previous edition whose earlier tasks' bodies (the student's) are kept",
    )
    grade = actions.add_parser("grade", help="grade a submission into Gradescope's results.json")
    grade.add_argument("submission", type=Path, help="the student's edition (a directory)")
    grade.add_argument("--assignment", required=True, help="the assignment to grade")
    grade.add_argument("--results", type=Path, default=Path("results.json"),
                       help="where to write Gradescope's results (default results.json)")
    grade.add_argument("--timeout", type=float, default=TIMEOUT,
                       help=f"seconds per task (default {TIMEOUT:g})")
    grade.add_argument("--hidden-tests", type=Path, default=None, metavar="DIR",
                       help="the hidden tests' inputs (written by `course hidden`); fresh "
                       "inputs for the tasks it does not hold")
    grade.add_argument("--user", default=GRADE_USER,
                       help=f"as root: the user the student's code runs as (default {GRADE_USER})")
    grade.add_argument("--python", default=None,
                       help="as root: a Python that user can run (default: this one)")
    grade.add_argument("--allow-readable-reference", action="store_true",
                       help="as root: grade even if that user can read the reference or the "
                       "hidden tests (the student's code could too)")
    hidden = actions.add_parser("hidden", help="write the inputs of hidden tests for grading")
    hidden.add_argument("assignment", help="an assignment id, e.g. 01-linear")
    hidden.add_argument("--out", required=True, type=Path, help="the folder to write")
    hidden.add_argument("--seed", type=int, default=None, help="draw them from this seed")
    zipped = actions.add_parser("autograder", help="write a Gradescope autograder zip")
    zipped.add_argument("assignment", help="an assignment id, e.g. 01-linear")
    zipped.add_argument("--out", type=Path, default=Path("autograder.zip"),
                        help="the zip to write (default autograder.zip)")
    zipped.add_argument("--hidden-tests", type=Path, default=None, metavar="DIR",
                        help="bundle these hidden tests (written by `course hidden`)")
    check = commands.add_parser("check", help="run the public checks of the assignment")
    check.add_argument("tasks", nargs="*", help="only these tasks (default: all of them)")
    check.add_argument(
        "--assignment", default=None,
        help="the assignment to check (default: the edition's; needed outside an edition)",
    )
    check.add_argument(
        "--timeout", type=float, default=TIMEOUT, help=f"seconds per task (default {TIMEOUT:g})"
    )
    return parser


def _list(as_json: bool) -> int:
    if as_json:
        print(json.dumps([a.to_dict() for a in ASSIGNMENTS], indent=2, ensure_ascii=False))
        return EXIT_OK
    for a in ASSIGNMENTS:
        print(f"{a.id}  {a.title}  ({a.points} points)")
        for task in a.tasks:
            print(f"    {task.name:<42} {task.points:>2}  {task.target}")
    return EXIT_OK


def _build(assignment_id: str, out: Path, keep_from: Path | None) -> int:
    if edition_info() is not None:
        raise CLIError("course build: this is a student edition; build editions from the reference")
    try:
        info = build_edition(assignment_id, out, keep_from=keep_from)
    except KeyError as error:
        raise CLIError(f"course build: {error.args[0]}") from None
    except (FileExistsError, FileNotFoundError) as error:
        raise CLIError(f"course build: {error}") from None
    print(
        f"{out}: the student edition of {info['assignment']} ({len(info['stubbed'])} tasks to "
        f"write); install it with `pip install -e {out}`, then run `minitorch check`"
    )
    return EXIT_OK


def _check(tasks: list[str], assignment_id: str | None, timeout: float) -> int:
    info = edition_info()
    if assignment_id is None:
        if info is None:
            raise CLIError(
                "check: this is the reference, not a student edition; name the assignment, "
                "e.g. `minitorch check --assignment 01-linear`"
            )
        assignment_id = info["assignment"]
    try:
        chosen = assignment(assignment_id)
        results = check_tasks(chosen, tasks, timeout=timeout)
    except KeyError as error:
        raise CLIError(f"check: {error.args[0]}") from None
    print(format_table(chosen, results), flush=True)
    return EXIT_OK if all(r.passed for r in results) else EXIT_FAILURE


def _grade(args: argparse.Namespace) -> int:
    try:
        graded, task_results = grade(
            args.submission, args.assignment, timeout=args.timeout,
            hidden_tests=args.hidden_tests, user=args.user, python=args.python,
            allow_readable=args.allow_readable_reference,
        )
    except KeyError as error:
        raise CLIError(f"course grade: {error.args[0]}") from None
    except (FileNotFoundError, GradingError, RuntimeError, HiddenTestsError) as error:
        raise CLIError(f"course grade: {error}") from None
    write_results(args.results, graded)
    print(format_table(assignment(args.assignment), task_results))
    print(f"{args.results}: score {graded['score']} in {graded['execution_time']:.1f} s")
    return EXIT_OK


def _hidden(assignment_id: str, out: Path, seed: int | None) -> int:
    if edition_info() is not None:
        raise CLIError("course hidden: draw hidden tests on the reference, not an edition")
    try:
        written = write_hidden(assignment_id, out, seed)
    except KeyError as error:
        raise CLIError(f"course hidden: {error.args[0]}") from None
    print(f"{out}: the inputs of {len(written)} hidden tests of {assignment_id} (keep it "
          "from the students; grade with --hidden-tests)")
    return EXIT_OK


def run_course(argv: list[str]) -> int:
    """Run ``course ...`` or ``check ...`` (``argv`` starts with the command)."""
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exit_request:
        code = exit_request.code
        return code if isinstance(code, int) else (EXIT_OK if code is None else EXIT_USAGE)
    if args.command == "check":
        return _check(args.tasks, args.assignment, args.timeout)
    if args.action == "list":
        return _list(args.json)
    if args.action == "autograder":
        if edition_info() is not None:
            raise CLIError("course autograder: build it from the reference, not an edition")
        try:
            written = write_autograder(args.assignment, args.out, args.hidden_tests)
        except KeyError as error:
            raise CLIError(f"course autograder: {error.args[0]}") from None
        except HiddenTestsError as error:
            raise CLIError(f"course autograder: {error}") from None
        print(f"{written}: Gradescope's autograder of {args.assignment}")
        return EXIT_OK
    if args.action == "grade":
        return _grade(args)
    if args.action == "hidden":
        return _hidden(args.assignment, args.out, args.seed)
    return _build(args.assignment, args.out, args.keep_from)
