"""Time minitorch's benchmark workloads from two source trees, interleaved, each in its own process.

    python benchmarks/compare_trees.py BEFORE_TREE AFTER_TREE [--rounds 9] [--only mlp-b32 gpt]

For a change to minitorch itself: `git worktree add ../before <rev>`, then compare the two.

Each tree's worker imports that tree's minitorch (PYTHONPATH=<tree>/src) and its benchmark
suite (<tree>/benchmarks), builds the minitorch runner of every workload, and waits for
commands. Round by round the driver asks each worker in turn (order reversed every other
round, a pause between turns) to run one repeat; per-round ratios after/before, medians.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

WORKER = r"""
import json, os, sys, time
sys.modules['torch'] = None          # minitorch only: no PyTorch threads in this process
tree = sys.argv[1]
sys.path.insert(0, os.path.join(tree, 'benchmarks'))
sys.path.insert(0, os.path.join(tree, 'src'))
import minitorch
assert minitorch.__file__.startswith(tree), minitorch.__file__
import run as R
import harness
wanted = json.loads(sys.argv[2])
runners = {}
import inspect
for w in R.all_workloads():
    if w.key in wanted:  # a tree's builders take the frameworks to build, or (older) nothing
        takes = bool(inspect.signature(w.build).parameters)
        runners[w.key] = (w.build(('minitorch',)) if takes else w.build())['minitorch']
for r in runners.values():
    r.run(3)
print(json.dumps(sorted(runners)), flush=True)
for line in sys.stdin:
    name, units = line.split()
    units = int(units)
    with harness.Probe() as probe:
        runners[name].run(units)
    print(json.dumps([probe.wall / units, probe.share]), flush=True)
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("before")
    parser.add_argument("after")
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--seconds", type=float, default=0.4)
    parser.add_argument("--pause", type=float, default=0.3)
    parser.add_argument("--threshold", type=float, default=0.10)
    parser.add_argument("--only", nargs="+")
    args = parser.parse_args()
    names = args.only or [
        "mlp-b32", "mlp-b128", "mlp-b512", "mlp-loader-b128", "mlp-inputgrad-b128",
        "tiny-b1", "tiny-b8", "cnn-lenet5", "cnn-example", "gpt", "optim-sgd", "optim-adam",
        "dataloader",
    ]
    env = dict(os.environ, OPENBLAS_NUM_THREADS="2", PYTHONPATH="")
    workers = {}
    for label, tree in (("before", args.before), ("after", args.after)):
        proc = subprocess.Popen(
            [sys.executable, "-c", WORKER, os.path.abspath(tree), json.dumps(names)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env, cwd=tree,
        )
        found = json.loads(proc.stdout.readline())
        workers[label] = proc
        names = [n for n in names if n in found]

    def ask(label: str, name: str, units: int) -> tuple[float, float | None]:
        proc = workers[label]
        proc.stdin.write(f"{name} {units}\n")
        proc.stdin.flush()
        return tuple(json.loads(proc.stdout.readline()))

    results = {}
    for name in names:
        per_unit = max(ask(label, name, 1)[0] for label in workers)
        units = max(1, round(args.seconds / per_unit))
        times = {"before": [], "after": []}
        ratios = []
        for round_ in range(args.rounds * 3):
            order = ["before", "after"] if round_ % 2 == 0 else ["after", "before"]
            got = {}
            for label in order:
                time.sleep(args.pause)
                got[label] = ask(label, name, units)
            if all(s is None or s <= args.threshold for _, s in got.values()):
                for label in got:
                    times[label].append(got[label][0])
                ratios.append(got["after"][0] / got["before"][0])
            if len(ratios) >= args.rounds:
                break
        if not ratios:
            print(f"{name:22s} all rounds disturbed", flush=True)
            continue
        b, a = statistics.median(times["before"]), statistics.median(times["after"])
        r = statistics.median(ratios)
        results[name] = {"before_s": b, "after_s": a, "after_over_before": r, "kept": len(ratios)}
        print(f"{name:22s} before {b*1e3:9.3f} ms  after {a*1e3:9.3f} ms  "
              f"after/before {r:5.3f}  ({len(ratios)} rounds)", flush=True)
    for proc in workers.values():
        proc.stdin.close()
        proc.wait()
    print(json.dumps(results))


if __name__ == "__main__":
    main()
