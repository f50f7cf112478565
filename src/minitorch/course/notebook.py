"""The first cell of every assignment notebook: which minitorch runs, and what is to be written."""

from __future__ import annotations

import minitorch

from .edition import edition_info
from .syllabus import Assignment, assignment

__all__ = ["setup_notebook"]


def setup_notebook(assignment_id: str) -> Assignment:
    """Print where the imported minitorch lives, which edition it is and the assignment's tasks
    (name, points, the function to write); return the :class:`Assignment`.

    A notebook run against the wrong checkout (the reference instead of the student's edition,
    or another assignment's edition) says so in its first output.
    """
    chosen = assignment(assignment_id)
    info = edition_info()
    print("minitorch:", minitorch.__path__[0])
    print("edition:", info["assignment"] if info else "the reference (every task solved)")
    width = max(len(task.name) for task in chosen.tasks)
    for task in chosen.tasks:
        print(f"  {task.name:<{width}}  {task.points:>2} points   {task.target}")
    return chosen
