"""One suite workload's PyTorch runner alone, in this process: the suite's check on itself.

    python benchmarks/torch_alone.py KEY [--threads 2] [--units 50] [--repeats 5] [--pause 0.3]

``run.py`` starts this as a plain subprocess (``OPENBLAS_NUM_THREADS=1``, no other framework
in the process, nothing else of the suite running meanwhile) after timing the workload, and
compares the PyTorch figure of its worker with this one: the same model, loop, data and
initial weights (``run.workload(KEY).build(("PyTorch",))``), warmed up as the worker is, timed
``--repeats`` times ``--units`` units, back to back with a pause before each. It prints one
JSON line: the median seconds per unit and every sample.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

import harness  # noqa: E402
import run  # noqa: E402


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("key", help="a workload of run.py (its JSON 'key')")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--units", type=int, default=50)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--pause", type=float, default=0.3)
    args = parser.parse_args(argv)
    run.torch.set_num_threads(args.threads)
    (runner,) = run.workload(args.key).build(("PyTorch",)).values()
    runner.run(2)
    runner.run(max(1, args.units // 4))
    samples = []
    for _ in range(args.repeats):
        time.sleep(args.pause)
        samples.append(harness.timed(runner, args.units))
    print(
        json.dumps(
            {
                "median": statistics.median(s.seconds_per_unit for s in samples),
                "samples": [[s.seconds_per_unit, s.share] for s in samples],
            }
        )
    )


if __name__ == "__main__":
    main()
