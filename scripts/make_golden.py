"""Regenerate the golden PyTorch outputs in tests/golden/ (needs torch==2.13.0 installed).

    python scripts/make_golden.py

Runs every parity test with MINITORCH_WRITE_GOLDEN=1: each test compares minitorch with live
PyTorch and stores PyTorch's outputs as tests/golden/<case>.npz, which the suite then checks
on machines without torch.
"""

import os
import subprocess
import sys
from pathlib import Path

root = Path(__file__).resolve().parents[1]
env = dict(os.environ, MINITORCH_WRITE_GOLDEN="1")
command = [sys.executable, "-m", "pytest", "-q", "-m", "parity", str(root / "tests")]
sys.exit(subprocess.call(command, env=env, cwd=root))
