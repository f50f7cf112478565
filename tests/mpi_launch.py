"""Finding MPI for the tests that launch ``mpiexec -n 2`` (test_distributed, test_cli_distributed).

``mpiexec`` is looked up beside the running interpreter first (the ``mpich`` wheel of the
``[mpi]`` extra installs it in the virtual environment's ``bin``), then on PATH.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys
from pathlib import Path

import pytest

MPIEXEC = shutil.which(
    "mpiexec", path=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
)
HAVE_MPI = MPIEXEC is not None and importlib.util.find_spec("mpi4py") is not None
needs_mpi = pytest.mark.skipif(
    not HAVE_MPI,
    reason='mpi4py or mpiexec is missing: pip install -e ".[mpi]" (mpi4py and the mpich wheel)',
)
