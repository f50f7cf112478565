"""One suite workload's PyTorch runner alone, in a plain process: the suite's check on itself.

    python benchmarks/torch_alone.py KEY [--threads 2] [--units 50] [--repeats 5] [--pause 0.3]
    python benchmarks/torch_alone.py KEY --serve [--threads 2]

The process holds the workload's PyTorch runner and nothing else: the same model, loop, data
and initial weights as the suite's PyTorch worker (``run.workload(KEY).build(("PyTorch",))``),
started by ``subprocess`` (not ``multiprocessing``) with ``OPENBLAS_NUM_THREADS=1``.

* By hand, it warms up, times ``--repeats`` times ``--units`` units back to back with a pause
  before each, and prints one JSON line: the median seconds per unit and every sample.
* With ``--serve`` (how ``run.py`` uses it, through ``quick_suite.Alone``) it warms up, prints
  "ready", then answers one command per line of its input: ``timed N`` with a JSON sample
  ``[seconds per unit, others' share, cpu/wall]``, ``run N`` with "ok", ``stop`` by exiting.
  The suite then times it in turn with its workers, in the same rounds: the standalone figure
  sees the machine as the worker's does, minutes of drift apart no longer.
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


def serve(runner: harness.Runner) -> None:
    """Answer the suite's commands, one per input line, until "stop" or the end of input."""
    print("ready", flush=True)
    for line in sys.stdin:
        command, *arguments = line.split()
        if command == "stop":
            return
        units = int(arguments[0])
        if command == "timed":
            sample = harness.timed(runner, units)
            answer = json.dumps([sample.seconds_per_unit, sample.share, sample.cpu_per_wall])
        else:
            runner.run(units)
            answer = "ok"
        print(answer, flush=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("key", help="a workload of run.py (its JSON 'key')")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--units", type=int, default=50)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--pause", type=float, default=0.3)
    parser.add_argument("--serve", action="store_true", help="answer the suite's commands")
    args = parser.parse_args(argv)
    run.torch.set_num_threads(args.threads)
    (runner,) = run.workload(args.key).build(("PyTorch",)).values()
    runner.run(2)  # warm-up, as the suite's workers do
    if args.serve:
        serve(runner)
        return
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
