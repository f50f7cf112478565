"""minitorch's benchmarks: ``python -m benchmarks`` (the suite, ``run.py``) and the scripts
``bench_*.py``, each of which also runs on its own."""
