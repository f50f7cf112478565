"""``python -m benchmarks``: the benchmark suite (see ``benchmarks/run.py``)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import main

main()
