"""`minitorch course grade` as root: the student's code runs as an unprivileged user who can
read neither the reference nor the hidden tests, and finds no path to them.

The grader runs from a copy of the reference laid out as the autograder lays it out (unpacked
from its zip, the folder mode 700); the student's code runs in a Python the grading user can
run (:func:`child_python`: the system's Python with this environment's numpy and scipy linked
in, no path back to this checkout). Each attack is one row: a body of ``linear_forward`` that
looks for the reference and calls its function, raising when it finds none; under root grading
the task scores 0. Where the attack works for a student checking their own work (who can
read everything the grader can), a control run of ``minitorch check`` shows it (so the row is
no test that cannot fail). This machine's checkout, and copies of the project left in /tmp,
are readable to every user: the attacks look where a grading layout could leak a path.
"""

from __future__ import annotations

import atexit
import functools
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import zipfile
from pathlib import Path

import pytest

from minitorch.cli import main
from minitorch.course import assignment
from minitorch.course.edition import build_edition
from test_course_check import _set_body

ASSIGNMENT = "01-linear"
AS_ROOT = os.name == "posix" and os.geteuid() == 0
needs_root = pytest.mark.skipif(not AS_ROOT, reason="grading as root needs root")
_LIBRARIES = {"numpy", "numpy.libs", "scipy", "scipy.libs", "tqdm"}


@functools.cache
def child_python() -> str:
    """A Python the user ``nobody`` can run, with numpy, scipy and tqdm: a virtual environment
    of the system's Python in a fresh folder of /tmp, the libraries hard-linked (copied where
    links cannot be made) from this environment. Nothing in it leads back here."""
    system = shutil.which("python3", path="/usr/bin:/bin")
    if system is None or Path(system).resolve().is_relative_to("/root"):
        pytest.skip("no system Python the grading user can run")
    root = Path(tempfile.mkdtemp(prefix="minitorch-child-python-"))
    atexit.register(shutil.rmtree, root, True)
    root.chmod(0o755)
    subprocess.run([system, "-m", "venv", "--without-pip", str(root / "venv")], check=True)
    site = Path(sysconfig.get_paths()["purelib"])
    target = next((root / "venv" / "lib").glob("python3*/site-packages"))

    def link(source: str, destination: str) -> None:
        try:
            os.link(source, destination)
        except OSError:
            shutil.copy2(source, destination)

    for name in _LIBRARIES:
        if (site / name).is_dir():
            shutil.copytree(site / name, target / name, copy_function=link)
    return str(root / "venv" / "bin" / "python")


def grade_flags() -> list[str]:
    """What grading this checkout as root needs: a Python ``nobody`` can run, and the opt-out
    (this checkout is readable to every user); nothing when not root."""
    return ["--python", child_python(), "--allow-readable-reference"] if AS_ROOT else []


def _layout(tmp: Path) -> Path:
    """The autograder's layout in ``tmp`` (world-traversable): ``source`` unpacked from the
    zip, mode 700 as run_autograder makes it. Returns ``source``."""
    zipped = tmp / "autograder.zip"
    assert main(["course", "autograder", ASSIGNMENT, "--out", str(zipped)]) == 0
    with zipfile.ZipFile(zipped) as archive:
        archive.extractall(tmp / "source")
    (tmp / "source").chmod(0o700)
    return tmp / "source"


def _grade_as_root(source: Path, submission: Path, *flags: str) -> tuple[int, str, dict | None]:
    results = submission.parent / "results.json"
    results.unlink(missing_ok=True)
    # The grader runs in that Python too (as run_autograder does, with PYTHON): its command
    # line, which every user may read, names no path into this checkout.
    env = {**os.environ, "PYTHONPATH": str(source / "src")}
    run = subprocess.run(
        [child_python(), "-m", "minitorch", "course", "grade", str(submission), "--assignment",
         ASSIGNMENT, "--results", str(results), *flags],
        capture_output=True, text=True, env=env, cwd=source, timeout=300,
    )
    graded = json.loads(results.read_text()) if results.exists() else None
    return run.returncode, run.stdout + run.stderr, graded


@pytest.fixture
def world(capsys):
    """A folder of /tmp others may pass through (as /autograder is), removed afterwards."""
    root = Path(tempfile.mkdtemp(prefix="minitorch-root-test-"))
    root.chmod(0o755)
    yield root
    capsys.readouterr()
    shutil.rmtree(root, ignore_errors=True)


# Each attack: Python lines that set ``found`` to a path of a reference's
# nn/functional/linear.py the body could read, or leave it None.
_LOAD = """
import importlib.util, sys
if found is None:
    raise NotImplementedError('no reference found')
spec = importlib.util.spec_from_file_location('minitorch.nn.functional._stolen', found)
stolen = importlib.util.module_from_spec(spec)
spec.loader.exec_module(stolen)
return stolen.linear_forward(x, W, b)
"""
_READABLE = """
def readable(path):  # a solved linear.py it can read: not a stub, not this attack
    try:
        text = open(path, encoding='utf-8').read()
    except (OSError, ValueError):
        return False
    return 'def linear_forward' in text and 'is not written yet' not in text \\
        and 'def readable' not in text
found = None
"""
ATTACKS = {
    # minitorch.course.__file__ (the grader's check code) leads to the package beside it.
    "course_file": ("""
import pathlib, minitorch.course
for parent in pathlib.Path(minitorch.course.__file__).resolve().parents:
    for guess in (parent / 'nn/functional/linear.py', parent / 'minitorch/nn/functional/linear.py',
                  parent / 'src/minitorch/nn/functional/linear.py'):
        if found is None and readable(guess):
            found = str(guess)
""", False),
    # Every entry of sys.path, and every path a .pth file or an editable finder names.
    "sys_path_and_pth": ("""
import pathlib, re, sys
places = list(sys.path)
for entry in list(sys.path):
    folder = pathlib.Path(entry)
    if folder.is_dir():
        for pth in [*folder.glob('*.pth'), *folder.glob('__editable__*finder.py')]:
            try:
                places += re.findall(r"/[^\\s'\\"]+", pth.read_text())
            except OSError:
                pass
for place in places:
    for guess in (pathlib.Path(place) / 'minitorch/nn/functional/linear.py',
                  pathlib.Path(place) / 'nn/functional/linear.py'):
        if found is None and readable(guess):
            found = str(guess)
""", True),
    # The grader's process: its working folder, its environment, its command line.
    "parent_process": ("""
import os, pathlib, re
places = []
for parent in (os.getppid(), os.getpgid(0)):
    try:
        places.append(os.readlink(f'/proc/{parent}/cwd'))
    except OSError:
        pass
    for name in ('environ', 'cmdline'):
        try:
            places += re.findall(r'/[^\\x00:= ]+', open(f'/proc/{parent}/{name}', 'rb').read()
                                 .decode(errors='replace'))
        except OSError:
            pass
for place in places:
    for up in [pathlib.Path(place), *pathlib.Path(place).parents]:
        for guess in (up / 'src/minitorch/nn/functional/linear.py',
                      up / 'minitorch/nn/functional/linear.py',
                      up / 'source/src/minitorch/nn/functional/linear.py'):
            if found is None and readable(guess):
                found = str(guess)
""", False),
    # Every folder it can walk where a grader keeps things: the autograder's /autograder, the
    # home folders, and the grader's own folders in /tmp (minitorch-*: this test's layout,
    # the grading folder, the Python). (The rest of /tmp on a shared machine may hold
    # readable copies of this project that no grader put there.)
    "scan_for_linear_py": ("""
import glob, os
tops = ['/autograder', '/root', '/home', '/srv', *glob.glob('/tmp/minitorch-*')]
for top in tops:
    for folder, _, files in os.walk(top):
        path = os.path.join(folder, 'linear.py')
        if found is None and folder.endswith('nn/functional') and readable(path):
            found = path
""", True),
    # A symbolic link in the submission itself, to where the reference is installed.
    "symlink_in_submission": ("""
import pathlib, minitorch
link = pathlib.Path(minitorch.__file__).parent / 'nn/functional/reference_linear.py'
if readable(link):
    found = str(link)
""", True),
}


def _attack_body(code: str) -> str:
    return _READABLE + code + _LOAD


@needs_root
@pytest.mark.parametrize("attack", list(ATTACKS))
def test_importing_the_reference_does_not_change_the_score(attack, world):
    source = _layout(world)
    submission = world / "submission"
    build_edition(ASSIGNMENT, submission)
    forward = assignment(ASSIGNMENT).tasks[0]
    code, control = ATTACKS[attack]
    _set_body(submission, forward.target, _attack_body(code))
    reference = source / "src/minitorch/nn/functional/linear.py"
    (submission / "src/minitorch/nn/functional/reference_linear.py").symlink_to(reference)
    status, output, graded = _grade_as_root(source, submission)
    assert status == 0, output
    test = graded["tests"][0]
    assert (test["name"], test["score"], test["status"]) == (forward.name, 0, "failed"), test
    if control:  # the same body checked by the student's own user, who can read it all
        env = {**os.environ, "PYTHONPATH": str(submission / "src")}
        run = subprocess.run([sys.executable, "-m", "minitorch", "check", forward.name],
                             capture_output=True, text=True, env=env, cwd=submission, timeout=300)
        assert run.returncode == 0, run.stdout + run.stderr  # the attack is real


@needs_root
def test_grading_as_root_refuses_a_readable_reference_and_says_how_to_fix_it(world, capsys):
    """This checkout is readable to every user: grading from it as root is refused."""
    submission = world / "submission"
    build_edition(ASSIGNMENT, submission)
    capsys.readouterr()
    assert main(["course", "grade", str(submission), "--assignment", ASSIGNMENT, "--results",
                 str(world / "r.json"), "--python", child_python()]) == 2
    said = capsys.readouterr().err
    assert "the grading user nobody can read the reference" in said
    assert "chmod 700" in said and "--allow-readable-reference" in said
    assert not (world / "r.json").exists()


@needs_root
def test_grading_as_root_refuses_readable_hidden_tests(world):
    source = _layout(world)
    submission = world / "submission"
    build_edition(ASSIGNMENT, submission)
    hidden = world / "hidden"
    assert main(["course", "hidden", ASSIGNMENT, "--out", str(hidden), "--seed", "3"]) == 0
    status, output, _ = _grade_as_root(source, submission, "--hidden-tests", str(hidden))
    assert status == 2 and "can read the hidden tests" in output and f"chmod 700 {hidden}" in output
    hidden.chmod(0o700)
    status, output, graded = _grade_as_root(source, submission, "--hidden-tests", str(hidden))
    assert status == 0 and graded["score"] == 0, output


@needs_root
@pytest.mark.parametrize(("flags", "said"), [
    (["--python", sys.executable], "cannot run"),  # this Python lives where nobody may go
    (["--user", "no-such-user-here"], "no such user here"),
    (["--user", "root"], "is root"),
])
def test_grading_as_root_refuses_what_would_not_be_safe(flags, said, world, capsys):
    submission = world / "submission"
    build_edition(ASSIGNMENT, submission)
    capsys.readouterr()
    assert main(["course", "grade", str(submission), "--assignment", ASSIGNMENT,
                 "--results", str(world / "r.json"), *flags]) == 2
    assert said in capsys.readouterr().err


_SPY = """
import json, os, pathlib, sys
seen = {'uid': os.getuid(), 'groups': os.getgroups(), 'argv': sys.argv, 'env': dict(os.environ),
        'files': sorted(p.name for p in pathlib.Path.cwd().iterdir())}
grader = pathlib.Path.cwd().parent
try:
    open(grader / 'results.json', 'w').close()
    seen['wrote outside'] = True
except OSError:
    seen['wrote outside'] = False
try:
    os.listdir(grader)
    seen['lists the grader'] = True
except OSError:
    seen['lists the grader'] = False
raise NotImplementedError('spied ' + json.dumps(seen))
"""


@needs_root
def test_the_child_runs_as_nobody_with_only_its_inputs_and_the_grader_s_copies(world):
    source = _layout(world)
    submission = world / "submission"
    build_edition(ASSIGNMENT, submission)
    forward = assignment(ASSIGNMENT).tasks[0]
    _set_body(submission, forward.target, _SPY)
    status, output, graded = _grade_as_root(source, submission)
    assert status == 0, output
    message = graded["tests"][0]["output"]
    seen = json.loads(message[message.index("spied ") + 6 : message.rindex("}") + 1])
    assert seen["uid"] == 65534 and seen["groups"] in ([], [65534])
    assert seen["files"] == ["inputs.npz"]  # its inputs; no expected value, no stored values
    assert not seen["wrote outside"] and not seen["lists the grader"]
    assert set(seen["env"]) <= {"PATH", "HOME", "TMPDIR", "LANG", "OMP_NUM_THREADS",
                                "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "LC_CTYPE"}
    everything = json.dumps(seen)
    assert str(source) not in everything and "/work/" not in everything
