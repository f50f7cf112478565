"""Data-parallel training's speed on this machine: two processes with one BLAS thread each
against one process with two (and with one), for the GPT recipe and the example CNN (reports,
never fails).

    python benchmarks/bench_ddp.py [--steps 30] [--warmup 5] [--models gpt cnn]

The workers and the table are tests/mpi/bench_ddp.py's (its docstring says what each column
measures); this front end adds the machine's load before and after (``harness.load_average``
and the other processes' share of the CPUs while it sleeps a second), since two processes on
two shared cores measure the neighbours too. Needs the ``mpi`` extra (mpi4py and mpiexec).
"""

from __future__ import annotations

import argparse
import runpy
from pathlib import Path

import harness


def main() -> None:
    worker = runpy.run_path(str(Path(__file__).resolve().parents[1] / "tests/mpi/bench_ddp.py"))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    worker["add_options"](parser)
    args = parser.parse_args()
    share = harness.others_share()
    print(f"load before: {harness.load_average()}, other processes' share of the CPUs: "
          f"{'unknown' if share is None else f'{100 * share:.0f}%'}", flush=True)
    worker["report"](args)
    print(f"load after: {harness.load_average()}", flush=True)


if __name__ == "__main__":
    main()
