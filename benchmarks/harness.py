"""The benchmark suite's measuring tools: an idle machine, undisturbed repeats, medians.

These machines are shared, so a timing is only worth something if nothing else ran while it
was taken. Every timed block is wrapped in a :class:`Probe`, which reads, besides the wall
time, this process's CPU time (``os.times``, all its threads) and the whole machine's busy
time (``/proc/stat``, all CPUs). Their difference is the CPU time *other* processes used
during the block; as a share of the machine (wall time x CPUs) it says how disturbed the
block was. :func:`wait_for_idle` waits, up to a bound, until that share stays low, and
:func:`measure` discards the repeats above a threshold (running more, up to a bound) and
reports how many it discarded.

Without ``/proc/stat`` (not Linux) the share is unknown: nothing is discarded, and the
report says so.
"""

from __future__ import annotations

import gc
import os
import statistics
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

NCPU = os.cpu_count() or 1
_CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


# ---------------------------------------------------------------------- the machine
def _machine_busy_seconds() -> float | None:
    """CPU seconds all CPUs spent busy since boot (user, nice, system, irq, softirq, steal)."""
    try:
        with open("/proc/stat") as stat:
            fields = stat.readline().split()
    except OSError:
        return None
    values = [int(v) for v in fields[1:9]]  # user nice system idle iowait irq softirq steal
    return (sum(values) - values[3] - values[4]) / _CLOCK_TICKS


def _own_cpu_seconds() -> float:
    times = os.times()
    return times.user + times.system


def load_average() -> tuple[float, float, float] | None:
    try:
        return os.getloadavg()
    except OSError:  # pragma: no cover - not on Linux/macOS
        return None


class Probe:
    """Wall time, own CPU time and the other processes' share of the machine during a block.

    ``share``: CPU time used by other processes / (wall time x CPUs), or ``None`` where the
    machine's busy time cannot be read. ``/proc/stat`` counts in ticks of 10 ms, so a block
    should last a few tenths of a second for the share to mean something.
    """

    def __enter__(self) -> Probe:
        self._busy = _machine_busy_seconds()
        self._cpu = _own_cpu_seconds()
        self._start = time.perf_counter()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.wall = time.perf_counter() - self._start
        self.cpu = _own_cpu_seconds() - self._cpu
        busy = _machine_busy_seconds()
        if busy is None or self._busy is None or self.wall <= 0:
            self.share = None
        else:
            others = max(0.0, busy - self._busy - self.cpu)
            self.share = min(1.0, others / (self.wall * NCPU))


def others_share(seconds: float = 1.0) -> float | None:
    """The other processes' share of the machine over ``seconds`` while this one sleeps."""
    with Probe() as probe:
        time.sleep(seconds)
    return probe.share


@dataclass
class IdleWait:
    waited: float  # seconds
    idle: bool  # whether the machine became idle before the bound
    share: float | None  # the last measured share of other processes
    load: tuple[float, float, float] | None

    def describe(self) -> str:
        load = "n/a" if self.load is None else " ".join(f"{v:.2f}" for v in self.load)
        share = "unknown" if self.share is None else f"{self.share:.0%}"
        if self.share is None:
            return f"the load of other processes cannot be read here (load average {load})"
        if self.idle:
            return f"idle after {self.waited:.0f} s (others {share} of the CPUs; load {load})"
        return (
            f"NOT idle after waiting {self.waited:.0f} s (others use {share} of the CPUs; load "
            f"average {load}): proceeding anyway"
        )


def wait_for_idle(max_wait: float, threshold: float, quiet_seconds: int = 2) -> IdleWait:
    """Wait until other processes use under ``threshold`` of the machine for ``quiet_seconds``
    consecutive seconds, or until ``max_wait`` seconds have passed."""
    start = time.perf_counter()
    quiet = 0
    share = None
    while True:
        share = others_share(1.0)
        if share is None:
            return IdleWait(0.0, False, None, load_average())
        quiet = quiet + 1 if share < threshold else 0
        waited = time.perf_counter() - start
        if quiet >= quiet_seconds:
            return IdleWait(waited, True, share, load_average())
        if waited >= max_wait:
            return IdleWait(waited, False, share, load_average())


# ---------------------------------------------------------------------- timing
@dataclass
class Runner:
    """One framework's version of a workload.

    ``run(n)`` performs ``n`` units of work (training steps, epochs); ``state()`` returns the
    optimizer's state arrays (for the subnormal fraction); ``loss()`` the last training loss.
    """

    run: Callable[[int], None]
    state: Callable[[], Iterable[np.ndarray]] | None = None
    loss: Callable[[], float] | None = None


@dataclass
class Sample:
    seconds_per_unit: float
    share: float | None
    cpu_per_wall: float
    round: int = 0
    kept: bool = True


@dataclass
class Timing:
    """What :func:`measure` found for one runner."""

    samples: list[Sample] = field(default_factory=list)
    median: float = float("nan")  # seconds per unit, over the repeats kept
    kept: int = 0
    discarded: int = 0
    disturbed: bool = False  # too few undisturbed repeats: the least disturbed ones were kept


def timed(runner: Runner, units: int) -> Sample:
    """``units`` units of ``runner``, timed by a :class:`Probe` in this process."""
    with Probe() as probe:
        runner.run(units)
    return Sample(probe.wall / units, probe.share, probe.cpu / probe.wall)


class Remote:
    """A runner that lives in a worker process (``quick_suite.suite_worker``), reached through
    the worker's end of a pipe: the worker times its own units (its :class:`Probe` counts its
    own CPU time, so the share of the others is the machine's minus the worker's) and answers
    with the :class:`Sample`; this process only waits."""

    def __init__(self, connection: Any, name: str) -> None:
        self.connection, self.name = connection, name

    def ask(self, command: str, *arguments: Any) -> Any:
        self.connection.send((command, self.name, *arguments))
        return self.connection.recv()

    def run(self, units: int) -> None:
        self.ask("run", units)

    def timed(self, units: int) -> Sample:
        return Sample(*self.ask("timed", units))


def _timed(runner: Runner | Remote, units: int) -> Sample:
    return runner.timed(units) if isinstance(runner, Remote) else timed(runner, units)


def calibrate(runners: dict[str, Runner | Remote], target_seconds: float, max_units: int) -> int:
    """Units per repeat so that one repeat of the slowest runner lasts about ``target_seconds``.

    Each runner's time for a number of units is the fastest of three tries: one slow try (a
    thread pool waking up, another process's burst) would otherwise make the repeats far too
    short (measured: 3 units of 1.5 ms, where 200 were meant), and short repeats are mostly
    the wake-up after each turn's pause.
    """
    units = 1
    while True:
        slowest = max(
            min(_timed(runner, units).seconds_per_unit for _ in range(3)) * units
            for runner in runners.values()
        )
        if slowest >= target_seconds / 4 or units >= max_units:
            break
        units = min(max_units, units * 4)
    per_unit = slowest / units
    return max(1, min(max_units, round(target_seconds / per_unit)))


def measure(
    runners: dict[str, Runner | Remote],
    units: int,
    repeats: int,
    threshold: float,
    max_rounds: int,
    pause: float = 0.05,
) -> dict[str, Timing]:
    """Interleaved repeats: each round runs every runner once (the order reversed every other
    round), ``units`` units each, until every runner has ``repeats`` undisturbed repeats or
    ``max_rounds`` rounds were run. A repeat is disturbed when other processes used more than
    ``threshold`` of the machine while it ran; disturbed repeats are discarded. A runner left
    with fewer than half its repeats undisturbed keeps its ``repeats`` least disturbed ones and
    is marked ``disturbed``.
    """
    timings = {name: Timing() for name in runners}
    names = list(runners)
    gc.collect()
    for round_ in range(max_rounds):
        for name in names if round_ % 2 == 0 else names[::-1]:
            time.sleep(pause)  # let the other framework's worker threads stop spinning
            sample = _timed(runners[name], units)
            sample.round = round_
            timings[name].samples.append(sample)
        clean = [
            sum(1 for s in t.samples if s.share is None or s.share <= threshold)
            for t in timings.values()
        ]
        if round_ + 1 >= repeats and min(clean) >= repeats:
            break
    for timing in timings.values():
        clean = [s for s in timing.samples if s.share is None or s.share <= threshold]
        if len(clean) >= max(1, repeats // 2):
            kept = clean
        else:
            kept = sorted(timing.samples, key=lambda s: s.share or 0.0)[:repeats]
            timing.disturbed = True
        for sample in timing.samples:
            sample.kept = any(sample is k for k in kept)
        timing.kept = len(kept)
        timing.discarded = len(timing.samples) - len(kept)
        timing.median = statistics.median(s.seconds_per_unit for s in kept)
    return timings


def paired_ratio(theirs: Timing, ours: Timing) -> float | None:
    """Median over the rounds of their time / our time, from the repeats kept in both.

    The machine's speed drifts (other virtual machines on the host, clock boost) in ways no
    counter here shows; two runners timed in the same round see the same drift, so the ratio
    of a round is steadier than the ratio of the two medians. ``None`` with fewer than three
    such rounds (the caller then divides the medians).
    """
    mine = {s.round: s.seconds_per_unit for s in ours.samples if s.kept}
    pairs = [
        s.seconds_per_unit / mine[s.round] for s in theirs.samples if s.kept and s.round in mine
    ]
    return statistics.median(pairs) if len(pairs) >= 3 else None


# ---------------------------------------------------------------------- numbers
def subnormal_fraction(arrays: Iterable[Any]) -> float | None:
    """Share of the floating values that are subnormal (0 < |x| < the dtype's smallest normal)."""
    total = subnormal = 0
    for array in arrays:
        array = np.asarray(array)
        if array.dtype.kind != "f" or array.size == 0:
            continue
        tiny = np.finfo(array.dtype).tiny
        magnitude = np.abs(array)
        subnormal += int(np.count_nonzero((magnitude < tiny) & (magnitude > 0)))
        total += array.size
    return subnormal / total if total else None


def matmul_peak(sizes: tuple[int, ...] = (1024, 2048), repeats: int = 5) -> dict[str, Any]:
    """The machine's float32 matrix-multiply rate through NumPy (``np.matmul``), in GFLOP/s.

    The best of ``repeats`` products of two n x n float32 matrices, for each n; the highest
    rate is the peak the suite's GFLOP/s are compared with.
    """
    rng = np.random.default_rng(0)
    rates = {}
    shares = []
    for n in sizes:
        a = rng.standard_normal((n, n), dtype=np.float32)
        b = rng.standard_normal((n, n), dtype=np.float32)
        out = np.empty((n, n), np.float32)
        np.matmul(a, b, out=out)
        best = float("inf")
        for _ in range(repeats):
            with Probe() as probe:
                np.matmul(a, b, out=out)
            best = min(best, probe.wall)
            if probe.share is not None:
                shares.append(probe.share)
        rates[n] = 2 * n**3 / best / 1e9
    return {
        "gflops": max(rates.values()),
        "by_size": rates,
        "others_share_max": max(shares) if shares else None,
    }


# ---------------------------------------------------------------------- child processes
def rss_kib(field_name: str = "VmRSS") -> int | None:
    """This process's resident set size (or its high-water mark, ``VmHWM``), in KiB."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith(field_name + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def reset_peak_rss() -> bool:
    """Reset the kernel's RSS high-water mark of this process (Linux: ``clear_refs`` 5)."""
    try:
        with open("/proc/self/clear_refs", "w") as clear_refs:
            clear_refs.write("5")
    except OSError:
        return False
    return True


def release_free_memory() -> None:
    """Give the memory the C allocator holds free back to the system (glibc's ``malloc_trim``),
    so that a later allocation shows up in the resident set instead of reusing freed pages."""
    gc.collect()
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc: nothing to do
        pass
