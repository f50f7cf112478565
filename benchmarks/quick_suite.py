"""The suite's timing workers (``run.py``): each framework in a process of its own.

One workload at a time, ``run.py`` starts two workers with ``quick_steps.start_workers``:

* "minitorch", which builds the workload's minitorch and NumPy runners (both are NumPy, with
  the suite's ``--threads`` BLAS threads);
* "PyTorch", which builds the PyTorch runner alone, with ``torch.set_num_threads(threads)``
  and ``OPENBLAS_NUM_THREADS=1`` (``quick_steps.torch_environment``: no NumPy BLAS pool ever
  runs in torch's process).

Each worker warms its runners up, says "ready", then answers the suite's commands
(``quick_steps.serve``): the names of its runners, a round of ``units`` units timed in the
worker (``harness.timed``), untimed units, the subnormal share of an optimizer's state, the
last loss. The suite takes turns between the runners (``harness.measure``), so only one
computes at any time.

:class:`Alone` is the suite's check on itself: the same PyTorch runner in a plain process
of its own (``torch_alone.py --serve``, started by ``subprocess``), timed in turn with the
workers, in the same rounds.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import harness
import quick_steps

HERE = Path(__file__).resolve().parent


def frameworks_of(worker: str) -> tuple[str, ...]:
    """The runners a worker holds: NumPy's reference lives with minitorch, never with torch."""
    return ("PyTorch",) if worker == "PyTorch" else ("minitorch", "NumPy")


def build(key: str, worker: str, threads: int) -> dict[str, harness.Runner]:
    """The runners of workload ``key`` that ``worker`` holds, built in this process."""
    import run

    if worker == "PyTorch":
        run.torch.set_num_threads(threads)
    return run.workload(key).build(frameworks_of(worker))


def suite_worker(worker: str, key: str, threads: int, connection) -> None:
    runners = build(key, worker, threads)
    for runner in runners.values():  # warm-up: first-touch allocations, lazy optimizer state
        runner.run(2)
    connection.send("ready")

    def subnormal(name: str) -> float | None:
        state = runners[name].state
        return None if state is None else harness.subnormal_fraction(state())

    def loss(name: str) -> float | None:
        found = runners[name].loss
        return None if found is None else found()

    def timed(name: str, units: int) -> tuple[float, float | None, float]:
        sample = harness.timed(runners[name], units)
        return sample.seconds_per_unit, sample.share, sample.cpu_per_wall

    quick_steps.serve(
        {
            "names": lambda _name=None: list(runners),
            "run": lambda name, units: runners[name].run(units),
            "timed": timed,
            "subnormal": subnormal,
            "loss": loss,
        },
        connection,
    )
    connection.send("done")


def start(key: str, threads: int, with_torch: bool) -> tuple[dict, dict[str, harness.Remote]]:
    """The workers of workload ``key`` (ready) and a :class:`harness.Remote` per runner."""
    names = ["minitorch", "PyTorch"] if with_torch else ["minitorch"]
    workers = quick_steps.start_workers(suite_worker, names, (key, threads))
    remotes = {}
    for _, connection in workers.values():
        connection.send(("names", None))
        for name in connection.recv():
            remotes[name] = harness.Remote(connection, name)
    order = [n for n in ("minitorch", "PyTorch", "NumPy") if n in remotes]
    return workers, {name: remotes[name] for name in order}


class Alone(harness.Remote):
    """The workload's PyTorch runner in a fresh plain process (``torch_alone.py --serve``,
    started by ``subprocess``), timed by the suite in turn with its workers, in the same rounds.

    It answers ``run`` and ``timed`` as a worker's :class:`harness.Remote` does, over the
    process's standard input and output; :meth:`close` stops it.
    """

    def __init__(self, key: str, threads: int) -> None:
        environment = dict(os.environ) | quick_steps.torch_environment("PyTorch")
        command = [sys.executable, str(HERE / "torch_alone.py"), key, "--threads", str(threads)]
        self.key, self.name = key, "PyTorch alone"
        self.process = subprocess.Popen(
            [*command, "--serve"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
            env=environment,
        )  # fmt: skip
        self._expect("ready", self.process.stdout.readline())

    def _expect(self, what: str, line: str) -> str:
        if not line:
            self.process.wait()
            raise RuntimeError(
                f"torch_alone.py {self.key} stopped (exit code {self.process.returncode}) before "
                f"it answered {what!r}; its error is printed above"
            )
        return line.strip()

    def ask(self, command: str, *arguments: Any) -> Any:
        self.process.stdin.write(" ".join([command, *map(str, arguments)]) + "\n")
        self.process.stdin.flush()
        answer = self._expect(command, self.process.stdout.readline())
        return None if answer == "ok" else json.loads(answer)

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.stdin.write("stop\n")
            self.process.stdin.close()
            self.process.wait()


#: A PyTorch figure more than this far from the standalone process's is reported as suspect.
SUSPECT = 0.15


def suspect(in_suite: float, alone: float) -> bool:
    """Whether the suite's PyTorch time differs from the standalone one by more than SUSPECT."""
    return abs(in_suite / alone - 1) > SUSPECT
