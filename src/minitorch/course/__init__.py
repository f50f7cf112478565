"""Course mode: the course as data, the student edition, and the checks that score it.

``minitorch course list`` shows the assignments (:mod:`.syllabus`); ``minitorch course build
ID --out DIR`` writes a student edition without the answers (:mod:`.edition`); ``minitorch
check`` runs the public checks of the edition's assignment (:mod:`.checks`, :mod:`.runner`)
against the stored reference values in ``golden/`` (written by :mod:`.make_golden`).
"""

from .syllabus import ASSIGNMENTS, Assignment, Task, assignment, find_task

__all__ = ["ASSIGNMENTS", "Assignment", "Task", "assignment", "find_task"]
