"""Training speed of minitorch against PyTorch on the MLPs students train (reports, never fails).

    python benchmarks/bench_mlp.py [--repeats 7] [--pause 0.3] [--threads 2]

For each model both frameworks train the same architecture in float32 on the same data, with the
same batch size and optimizer, for one epoch, each framework in a worker process of its own
(PyTorch's with one BLAS thread, so that no NumPy thread pool spins in it), taking turns with a
pause before each; the table gives the median epoch time over the repeats and the ratio
minitorch / PyTorch (below 1: minitorch is faster). As PyTorch does for data
that does not require grad, minitorch's first layer skips the input gradient
(``needs_input_grad = False``). Needs torch==2.13.0.
"""

from __future__ import annotations

import argparse

import quick_steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--pause", type=float, default=0.3, help="seconds before each turn")
    parser.add_argument(
        "--threads", type=int, default=2, help="PyTorch's threads (2: students' machines)"
    )
    quick_steps.run_mlp_epochs(parser.parse_args())


if __name__ == "__main__":
    main()
