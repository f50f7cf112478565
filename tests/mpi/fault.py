"""Run under ``mpiexec -n 2``: a failure on one rank must end every rank within seconds.

``python fault.py raise``: rank 1 raises while rank 0 waits in a collective; the abort hook of
``minitorch.distributed.init`` ends both, with a non-zero status.
``python fault.py wait``: each rank prints its pid and waits (rank 0 in a loop, rank 1 in a
barrier), for the test to interrupt ``mpiexec`` (Ctrl-C) or kill one rank.
"""

import os
import sys
import time

import minitorch.distributed as dist

dist.init()
if sys.argv[1:] == ["raise"] and dist.get_rank() == 1:
    raise RuntimeError("rank 1 fails on purpose")
if sys.argv[1:] == ["wait"]:
    print(f"rank {dist.get_rank()} pid {os.getpid()}", flush=True)
    while dist.get_rank() == 0:
        time.sleep(0.05)
dist.barrier()  # the other rank would wait here forever without the abort
print("unreachable: the barrier returned", flush=True)
