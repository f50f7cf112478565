"""Ctrl-C while `import minitorch` runs (the first half second of `minitorch train`) ends
quietly, with exit code 130 and one line, not a traceback; afterwards Ctrl-C is Python's again."""

from __future__ import annotations

import subprocess
import sys

# An import hook sends this process SIGINT in the middle of minitorch's own import, exactly
# when a user's Ctrl-C would land during `minitorch train`'s start.
INTERRUPT_DURING_IMPORT = """
import builtins, os, signal
real_import = builtins.__import__
def hook(name, globals=None, locals=None, fromlist=(), level=0):
    if level == 1 and "nn" in (fromlist or ()) and (globals or {}).get("__name__") == "minitorch":
        os.kill(os.getpid(), signal.SIGINT)  # `from . import ..., nn, ...` in minitorch/__init__
    return real_import(name, globals, locals, fromlist, level)
builtins.__import__ = hook
import minitorch
print("not reached")
"""


def test_ctrl_c_during_import_ends_quietly():
    result = subprocess.run(
        [sys.executable, "-c", INTERRUPT_DURING_IMPORT], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 130
    assert "Traceback" not in result.stderr
    assert result.stderr.strip() == "minitorch: interrupted while starting; nothing was done"
    assert "not reached" not in result.stdout


def test_after_import_ctrl_c_is_pythons_again():
    code = (
        "import signal, minitorch\n"
        "print(signal.getsignal(signal.SIGINT) is signal.default_int_handler)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60
    )
    assert result.stdout.strip() == "True"
