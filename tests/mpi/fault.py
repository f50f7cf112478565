"""Run under ``mpiexec -n 2``: rank 1 raises while rank 0 waits in a collective. The abort hook
of ``minitorch.distributed.init`` must end both within seconds, with a non-zero status."""

import minitorch.distributed as dist

dist.init()
if dist.get_rank() == 1:
    raise RuntimeError("rank 1 fails on purpose")
dist.barrier()  # rank 0 would wait here forever without the abort
print("unreachable: the barrier returned", flush=True)
