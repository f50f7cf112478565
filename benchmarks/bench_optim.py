"""Time ``optimizer.step()`` of minitorch against torch.optim on a ~1M-parameter float32 model.

    python benchmarks/bench_optim.py [--repeats 30]

The model is two Linear layers, 784 -> 1024 -> 256 (1,066,240 float32 parameters), with fixed
random gradients. For each optimizer the script reports the median time of one ``step()`` over
``--repeats`` runs (after a warm-up) for minitorch and for torch.optim with the same settings
(its default, single-tensor implementation on CPU), and their ratio (minitorch / torch: below 1
means minitorch is faster). torch is timed twice: with all its threads, and with one thread,
like NumPy's element-wise operations. A second table times the step of a student-sized MLP,
64 -> 32 -> 10 (2,410 parameters), where the per-step bookkeeping (walking the modules,
checking the parameters) rather than the arithmetic sets the time; each of its timings is the
mean over a batch of 200 steps. It reports; it never fails. Without torch installed it times
minitorch alone.

``--numexpr`` adds the experiment behind dropping numexpr from the dependencies: Adam's update
written as three ``numexpr.evaluate`` expressions (float32 constants, so it computes in float32
like minitorch), timed with 1 and 2 numexpr threads against minitorch's chunked NumPy path on
the same model, and checked bit for bit against minitorch's result after 5 steps.
"""

from __future__ import annotations

import argparse

import quick_parts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--numexpr", action="store_true", help="also time Adam with numexpr")
    quick_parts.run_optimizers(parser.parse_args())


if __name__ == "__main__":
    main()
