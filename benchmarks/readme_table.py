"""The README's Performance table from a suite run's JSON, beside the previous table's ratios.

    python benchmarks/readme_table.py results.json

One Markdown row per workload of ``python -m benchmarks --json results.json``: minitorch's time,
PyTorch's (``?``: suspect, more than 15% from the standalone process, and then no ratio), the
standalone PyTorch process's, NumPy's, the speed ratios, and the ratio to PyTorch the README
printed before issue 20 (2026-12-01, when the MLP, tiny-MLP, optimizer and GPT runners timed
PyTorch beside NumPy's spinning BLAS pool). Then the memory and import rows, and the run's
machine, date, load and settings.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

#: × PyTorch in the README's table of 2026-12-01 (the flawed method, for the comparison).
PREVIOUS = {
    "mlp-b32": 2.98,
    "mlp-b128": 2.42,
    "mlp-b512": 1.39,
    "mlp-loader-b32": 2.34,
    "mlp-loader-b128": 1.28,
    "mlp-loader-b512": 1.87,
    "tiny-b1": 2.27,
    "tiny-b8": 2.65,
    "cnn-lenet5": 0.62,
    "cnn-example": 0.81,
    "gpt": 0.84,
    "optim-sgd": 0.64,
    "optim-adam": 0.59,
    "dataloader": 7.87,
}


def _time(seconds: float | None) -> str:
    if seconds is None or seconds != seconds:
        return ""
    if seconds >= 0.01:
        return f"{seconds * 1e3:.1f} ms"
    if seconds >= 0.001:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds * 1e6:.0f} µs"


def _ratio(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}"


def rows(document: dict) -> list[str]:
    lines = [
        "| workload | minitorch | PyTorch | PyTorch alone | NumPy | × PyTorch | × NumPy "
        "| × PyTorch before |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for result in document["results"]:
        t = result["timings"]
        suspect = bool(result.get("torch_suspect"))
        alone = (result.get("torch_alone") or {}).get("median")
        pt = t.get("PyTorch", {}).get("median")
        lines.append(
            "| "
            + " | ".join(
                [
                    result["title"],
                    _time(t["minitorch"]["median"]),
                    _time(pt) + (" ?" if suspect else ""),
                    _time(alone),
                    _time(t.get("NumPy", {}).get("median")),
                    "suspect" if suspect else _ratio(result["vs_torch"]),
                    _ratio(result["vs_numpy"]),
                    _ratio(PREVIOUS.get(result["key"])),
                ]
            )
            + " |"
        )
    memory = document.get("memory")
    if memory:
        mt, npy = memory["minitorch"]["peak_growth_mib"], memory["NumPy"]["peak_growth_mib"]
        pt = memory.get("PyTorch", {}).get("peak_growth_mib")
        ratio = f"{mt / pt:.2f} (memory)" if pt else ""
        pt_text = f"{pt:.1f} MiB" if pt else ""
        lines.append(
            f"| peak memory while training the MLP (batch 128) | {mt:.1f} MiB | {pt_text} | "
            f"| {npy:.1f} MiB | {ratio} | {mt / npy:.2f} (memory) | 0.69 (memory) |"
        )
    imports = document.get("import")
    if imports and "torch" in imports:
        mt, pt = imports["minitorch"], imports["torch"]
        lines.append(
            f"| `import` time / resident memory after it | {mt['seconds'] * 1e3:.0f} ms / "
            f"{mt['rss_mib']:.0f} MiB | {pt['seconds'] * 1e3:.0f} ms / {pt['rss_mib']:.0f} MiB "
            f"| | | {mt['seconds'] / pt['seconds']:.2f} / {mt['rss_mib'] / pt['rss_mib']:.2f} "
            "(ratios) | | 0.28 / 0.24 (ratios) |"
        )
    return lines


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("json", help="the file written by python -m benchmarks --json")
    args = parser.parse_args(argv)
    document = json.loads(Path(args.json).read_text())
    print("\n".join(rows(document)))
    machine = document["machine"]
    load = document.get("load_average", {})
    settings = document.get("settings", {})
    stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(Path(args.json).stat().st_mtime))
    print(
        f"\nRun finished {stamp}; {machine['cpu']}, {machine['cpus']} CPUs, Python "
        f"{machine['python']}, NumPy {machine['numpy']} (OPENBLAS_NUM_THREADS="
        f"{machine['OPENBLAS_NUM_THREADS']}), PyTorch {machine['torch']} "
        f"({machine['torch_threads']} threads); {document.get('idle_wait')}; load average "
        f"{load.get('start')} -> {load.get('end')}; settings {settings}"
    )


if __name__ == "__main__":
    main()
