"""minitorch's benchmarks.

The suite is the library. ``run.py`` is its command line (``python -m benchmarks``: every
workload, interleaved, one table); ``harness.py`` measures on a shared machine (idle waits,
disturbed repeats, medians); ``networks.py`` holds the networks, in minitorch and as PyTorch
copies with the same initial weights; ``workloads.py`` builds the suite's workloads from them;
``quick_steps.py``, ``quick_parts.py`` and ``quick_dataloader.py`` are the quick comparisons of
one subject at a time. Each script ``bench_*.py`` is a front-end over them: its docstring says
what it measures, it parses its options and calls the suite.
"""
