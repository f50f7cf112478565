"""The public checks: what each task must compute (the table :data:`CHECKS`).

The rows live by assignment, in :mod:`.checks_basics` (01 to 04), :mod:`.checks_data`
(05, 06), :mod:`.checks_layers` (convolution, batch norm, attention, the GAN's loss) and
:mod:`.checks_gpt` (10), :mod:`.checks_rnn` (12);
:mod:`.check_core` says what a row is and words the message of a failure. The stored
values live in ``golden/<assignment>.npz``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .check_core import Check, compare, golden_path
from .check_core import run_check as _run
from .checks_basics import BASIC_CHECKS
from .checks_data import DATA_CHECKS
from .checks_gpt import GPT_CHECKS
from .checks_layers import LAYER_CHECKS
from .checks_rnn import RNN_CHECKS

__all__ = ["CHECKS", "Check", "checked_assignments", "compare", "golden_path", "run_check"]

CHECKS: dict[str, Check] = {
    **BASIC_CHECKS, **DATA_CHECKS, **LAYER_CHECKS, **GPT_CHECKS, **RNN_CHECKS,
}


def run_check(task_name: str, function: Callable, golden: Any) -> str | None:
    """Check ``function`` for ``task_name`` against the stored values in ``golden`` (an open
    ``.npz``): ``None`` when it passes, else the message of its first failure."""
    return _run(task_name, CHECKS[task_name], function, golden)


def checked_assignments() -> list[str]:
    """The ids of the assignments whose every task has its public checks (so far)."""
    from .syllabus import ASSIGNMENTS

    return [
        a.id for a in ASSIGNMENTS if all(name in CHECKS for t in a.tasks for name in t.tests)
    ]
