"""Timing of the losses' forward + backward, the last step of every training iteration.

    python benchmarks/bench_loss.py

CrossEntropyLoss with class indices is the hot path of every classifier. It is timed against a
textbook NumPy version that builds a one-hot matrix (what the vectorised minitorch version
avoids) and, when torch is installed, against torch on one thread (a reference, not a target).
"""

from __future__ import annotations

import argparse

import quick_parts


def main() -> None:
    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args()
    quick_parts.run_losses()


if __name__ == "__main__":
    main()
