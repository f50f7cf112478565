"""The process group of :mod:`minitorch.distributed`, kept where ``minitorch.nn`` may read it.

``minitorch.distributed.init()`` fills it in; until then (and in a one-process world without
MPI) ``comm`` is ``None`` and every collective below is the identity. ``nn.SyncBatchNorm``
sums its statistics through :func:`all_reduce_sum_`, so the layers never import MPI.
"""

from __future__ import annotations

from typing import Any

import numpy as np

comm: Any = None  # mpi4py's MPI.COMM_WORLD once init() ran with MPI, else None
MPI: Any = None  # the mpi4py.MPI module, once imported
rank = 0
world_size = 1
initialized = False


def all_reduce_sum_(buffer: np.ndarray) -> np.ndarray:
    """Replace ``buffer`` (a contiguous array) by its sum over every process, in place."""
    if comm is not None and world_size > 1:
        comm.Allreduce(MPI.IN_PLACE, buffer, op=MPI.SUM)
    return buffer
