"""Data-parallel training on several processes (and machines) with MPI.

Every process holds the whole model and trains on its own shard of each batch; before every
step the gradients are averaged over the processes with one all-reduce, so every process takes
the same step and the models stay equal — the same weights as one process training on the
whole batch (PyTorch's ``DistributedDataParallel``, Horovod)::

    import minitorch.distributed as dist

    dist.init()                                   # rank and world size from mpiexec
    model = build_model()                         # the same architecture everywhere
    dist.broadcast_parameters(model)              # ... and rank 0's weights everywhere
    for step in range(steps):
        xb, yb = dist.shard(x_batch, y_batch)     # this process's B/N samples
        loss = criterion(model(xb), yb)           # forward
        model.backward(criterion.backward())      # backward: this shard's gradients
        dist.all_reduce_gradients(model)          # their mean over the N processes
        optimizer.step()                          # the same step on every process

Run with ``mpiexec -n 2 python train.py`` (the ``mpi`` extra, ``pip install -e ".[mpi]"``,
brings mpi4py and MPICH with its ``mpiexec``). Without ``mpiexec`` — or without mpi4py — the
same script runs as a one-process world: every collective is then the identity.

Randomness per rank
-------------------
The parameters are rank 0's (:func:`broadcast_parameters`). Everything drawn later comes from
each process's own global generator (``minitorch.manual_seed``), so seed it per rank after
the broadcast, ``minitorch.manual_seed(seed + dist.get_rank())``, and dropout masks differ per
rank (as one process's masks differ per sample) while the run stays reproducible for a given
world size. The data order is the :class:`~minitorch.utils.data.DistributedSampler`'s: one
permutation seeded by ``seed + epoch``, the same on every rank, cut into disjoint shares.
The trainer (``mpiexec -n N minitorch train``) draws the same global batches on every rank
instead and trains each on its rows (:class:`GlobalBatch`); its dropout streams are described
in :mod:`minitorch.cli._distributed`.

BatchNorm
---------
A plain BatchNorm normalises each process's shard by the shard's own statistics (PyTorch's DDP
does the same), so N processes match one process only up to that; :class:`~minitorch.nn.
SyncBatchNorm` sums the statistics over the processes and matches one process exactly.

Failures
--------
After :func:`init` in a world of several processes, an exception left uncaught on any rank (a
Ctrl-C too) prints its traceback, prefixed with the rank, and calls ``MPI.COMM_WORLD.Abort``:
``mpiexec`` ends every process within seconds with a non-zero status, instead of the others
waiting forever in their next collective.

mpi4py is imported by :func:`init` only; ``import minitorch`` never loads it.
"""

from __future__ import annotations

import os
import sys
import time
import traceback
from typing import Any

import numpy as np

from . import _world
from .nn.module import Module

__all__ = [
    "DistributedDataParallel",
    "GlobalBatch",
    "all_gather_object",
    "all_reduce_gradients",
    "all_reduce_mean_",
    "barrier",
    "broadcast_object",
    "broadcast_optimizer_state",
    "broadcast_parameters",
    "get_rank",
    "get_world_size",
    "init",
    "is_initialized",
    "is_main_process",
    "shard",
]

# Environment variables by which the usual launchers (MPICH's Hydra, Open MPI, PMIx, Slurm)
# tell a process how many were started: without mpi4py, a world larger than 1 is an error.
_LAUNCHER_SIZES = ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "PMIX_SIZE", "MPI_LOCALNRANKS")


def _launched_size() -> int:
    for name in _LAUNCHER_SIZES:
        value = os.environ.get(name, "")
        if value.isdigit():
            return int(value)
    return 1


def init() -> None:
    """Join the process group: rank and world size from MPI, or a one-process world.

    With mpi4py installed, the world is ``MPI.COMM_WORLD`` (size 1 when the script runs
    without ``mpiexec``). Without mpi4py the world has one process, unless a launcher started
    several (then a ``RuntimeError`` says to install the ``mpi`` extra: N copies each training
    alone and writing the same files would be silently wrong). Calling it again does nothing.

    In a world of several processes it also installs the abort-on-exception hook (see the
    module's *Failures*).
    """
    if _world.initialized:
        return
    try:
        from mpi4py import MPI
    except ImportError:
        launched = _launched_size()
        if launched > 1:
            raise RuntimeError(
                f"minitorch.distributed.init(): this process is one of {launched} started by "
                "mpiexec, but mpi4py is not installed, so it cannot talk to the others; "
                'install the extra: pip install "mini-torch[mpi]" (mpi4py and mpich)'
            ) from None
        _world.comm, _world.MPI, _world.rank, _world.world_size = None, None, 0, 1
    else:
        comm = MPI.COMM_WORLD
        _world.comm, _world.MPI = comm, MPI
        _world.rank, _world.world_size = comm.Get_rank(), comm.Get_size()
        if _world.world_size > 1:
            sys.excepthook = _abort_on_exception
    _world.initialized = True


#: The pause before MPI_Abort that lets mpiexec forward a failing rank's last lines.
FORWARD_SECONDS = 0.5


def _abort_on_exception(kind: type[BaseException], error: BaseException, tb: Any) -> None:
    """``sys.excepthook`` in a multi-process world: say which rank failed, then end them all."""
    interrupted = issubclass(kind, KeyboardInterrupt)
    if interrupted:
        message = f"interrupted: ending all {_world.world_size} processes\n"
    else:
        message = "".join(traceback.format_exception(kind, error, tb))
    prefix = f"[rank {_world.rank}] "
    sys.stderr.write("".join(prefix + line for line in message.splitlines(keepends=True)))
    sys.stderr.flush()
    # mpiexec forwards each rank's output through a pipe of its own and kills every process at
    # the abort: a moment first lets it read the lines above, or the user may never see them.
    time.sleep(FORWARD_SECONDS)
    _world.comm.Abort(130 if interrupted else 1)


def _require_init(caller: str) -> None:
    if not _world.initialized:
        raise RuntimeError(
            f"minitorch.distributed.{caller}(): the process group is not initialised; call "
            "minitorch.distributed.init() first (it works without mpiexec too: one process)"
        )


def is_initialized() -> bool:
    """Whether :func:`init` has run in this process."""
    return _world.initialized


def get_rank() -> int:
    """This process's number, 0 .. world size − 1 (0 in a one-process world)."""
    _require_init("get_rank")
    return _world.rank


def get_world_size() -> int:
    """N, the number of processes training together."""
    _require_init("get_world_size")
    return _world.world_size


def is_main_process() -> bool:
    """Whether this is rank 0, the one process that prints, writes files and checkpoints."""
    _require_init("is_main_process")
    return _world.rank == 0


def barrier() -> None:
    """Wait until every process has reached this call."""
    _require_init("barrier")
    if _world.comm is not None:
        _world.comm.Barrier()


# ---------------------------------------------------------------------- the batch
def shard(*arrays: np.ndarray) -> tuple[np.ndarray, ...] | np.ndarray:
    """This process's rows of each array of a global batch: rows ``r·B/N .. (r+1)·B/N``.

    ``B`` (the arrays' first dimension, the same for all) must be a multiple of ``N``, so
    every shard has the same size and the mean of the N shard gradients is exactly the
    global batch's gradient. Returns one array for one argument, else a tuple; views, no copy.
    """
    _require_init("shard")
    n, r = _world.world_size, _world.rank
    size = len(arrays[0]) if arrays else 0
    if not arrays or any(len(a) != size for a in arrays):
        raise ValueError(
            "minitorch.distributed.shard(): give one or more arrays with the same first "
            f"dimension (the batch), got lengths {[len(a) for a in arrays]}"
        )
    if size % n:
        raise ValueError(
            f"minitorch.distributed.shard(): a batch of {size} does not split evenly over "
            f"{n} processes; use a global batch size that is a multiple of {n}"
        )
    per = size // n
    parts = tuple(a[r * per : (r + 1) * per] for a in arrays)
    return parts[0] if len(parts) == 1 else parts


# ---------------------------------------------------------------------- gradients
def _trained_grads(model: Module, caller: str) -> list[np.ndarray]:
    """The gradients an optimizer will use: every unfrozen parameter's, each one once."""
    params, grads, frozen = model.parameters(), model.grads(), model.frozen_flags()
    found, seen = [], set()
    for index, (param, grad, is_frozen) in enumerate(zip(params, grads, frozen, strict=True)):
        if is_frozen or id(param) in seen:
            continue
        seen.add(id(param))
        if grad is None:
            raise RuntimeError(
                f"minitorch.distributed.{caller}(): parameter {index} ({param.shape}) has no "
                f"gradient on rank {_world.rank}; every process must run the backward through "
                "the whole model before the all-reduce (freeze the parts you do not train)"
            )
        found.append(grad)
    return found


def pack(arrays: list[np.ndarray], buffer: np.ndarray | None = None) -> np.ndarray:
    """Copy the arrays one after the other into one flat buffer (made when not given).

    The all-reduce then moves one contiguous message instead of one per array: what
    DistributedDataParallel's buckets do. :func:`unpack` is the inverse.
    """
    total = sum(a.size for a in arrays)
    if buffer is None or buffer.size != total:
        buffer = np.empty(total, dtype=arrays[0].dtype if arrays else np.float32)
    start = 0
    for a in arrays:
        buffer[start : start + a.size] = a.reshape(-1)
        start += a.size
    return buffer


def unpack(buffer: np.ndarray, arrays: list[np.ndarray]) -> None:
    """Copy the flat ``buffer`` back into the arrays, in place (the inverse of :func:`pack`)."""
    start = 0
    for a in arrays:
        a[...] = buffer[start : start + a.size].reshape(a.shape)
        start += a.size


def all_reduce_mean_(arrays: list[np.ndarray], buffer: np.ndarray | None = None) -> np.ndarray:
    """Replace each array by its mean over the N processes, with one ``Allreduce``. In place.

    The four lines of data parallelism::

        buffer = pack(arrays)                              # every gradient in one flat array
        comm.Allreduce(MPI.IN_PLACE, buffer, op=MPI.SUM)   # Σ over the N processes
        buffer /= N                                        # their mean
        unpack(buffer, arrays)                             # back into each layer's dW, db, ...

    Arrays of several dtypes go in one buffer per dtype. Returns the (last) buffer, which the
    caller may pass back next time to reuse its memory.
    """
    _require_init("all_reduce_mean_")
    if _world.world_size == 1 or not arrays:
        return buffer  # one process: the mean over one is the array itself
    by_dtype: dict[np.dtype, list[np.ndarray]] = {}
    for a in arrays:
        by_dtype.setdefault(a.dtype, []).append(a)
    comm, MPI, N = _world.comm, _world.MPI, _world.world_size
    for dtype, group in by_dtype.items():
        reuse = buffer if buffer is not None and buffer.dtype == dtype else None
        buffer = pack(group, reuse)
        comm.Allreduce(MPI.IN_PLACE, buffer, op=MPI.SUM)
        buffer /= N
        unpack(buffer, group)
    return buffer


_buffers: dict[int, np.ndarray] = {}  # id(model) -> its flat gradient buffer, reused


def all_reduce_gradients(model: Module) -> None:
    """Average every gradient of ``model`` over the processes, in place, with one
    ``Allreduce`` of a flat buffer: after it, each process holds the gradient of the global
    batch (the mean of the N shards' gradients), and ``optimizer.step()`` takes the same step
    everywhere. Frozen parameters are left out. Call it between ``backward`` and ``step``.
    """
    _require_init("all_reduce_gradients")
    grads = _trained_grads(model, "all_reduce_gradients")
    _buffers[id(model)] = all_reduce_mean_(grads, _buffers.get(id(model)))


# ---------------------------------------------------------------------- broadcasts
def broadcast_parameters(model: Module, root: int = 0) -> None:
    """Overwrite every parameter and buffer of ``model`` with process ``root``'s, in place.

    Call it once after building the model (and after loading a checkpoint on ``root``), so
    that all processes start from the same weights. It first checks that every process holds
    the same architecture (names, shapes and dtypes), so a mismatch is an error, not garbage.
    """
    _require_init("broadcast_parameters")
    if _world.comm is None:
        return
    arrays = [*model.named_parameters(), *model.named_buffers()]
    layout = [(name, a.shape, str(a.dtype)) for name, a in arrays]
    layouts = _world.comm.allgather(layout)
    for rank, other in enumerate(layouts):
        if other != layouts[root]:
            differ = next(
                (f"{a} against {b}" for a, b in zip(other, layouts[root], strict=False) if a != b),
                f"{len(other)} arrays against {len(layouts[root])}",
            )
            raise RuntimeError(
                f"minitorch.distributed.broadcast_parameters(): rank {rank}'s model differs "
                f"from rank {root}'s ({differ}); build the same model on every process"
            )
    for _, array in arrays:
        if not array.flags.c_contiguous:
            raise ValueError("broadcast_parameters: parameters must be C-contiguous arrays")
        _world.comm.Bcast(array, root=root)


def broadcast_object(obj: Any, root: int = 0) -> Any:
    """Process ``root``'s ``obj`` (any picklable value) on every process."""
    _require_init("broadcast_object")
    return obj if _world.comm is None else _world.comm.bcast(obj, root=root)


def all_gather_object(obj: Any) -> list[Any]:
    """Every process's ``obj`` (any picklable value), in rank order, on every process."""
    _require_init("all_gather_object")
    return [obj] if _world.comm is None else _world.comm.allgather(obj)


def broadcast_optimizer_state(optimizer: Any, root: int = 0) -> None:
    """Give every process ``root``'s optimizer state (step counts, moments, learning rates):
    after resuming from a checkpoint that only ``root`` read."""
    _require_init("broadcast_optimizer_state")
    if _world.comm is None:
        return
    state = broadcast_object(optimizer.state_dict() if _world.rank == root else None, root)
    if _world.rank != root:
        optimizer.load_state_dict(state)


# ---------------------------------------------------------------------- the wrapper
class DistributedDataParallel(Module):
    """``model`` trained data-parallel: its ``backward`` ends with :func:`all_reduce_gradients`.

    >>> model = DistributedDataParallel(build_model())   # broadcasts rank 0's weights
    >>> loss = criterion(model(xb), yb)                  # xb: this process's shard
    >>> model.backward(criterion.backward())             # gradients of the global batch
    >>> optimizer.step()

    The wrapped model is ``model.module`` (save ``model.module.state_dict()``, as in PyTorch,
    so that the checkpoint loads without the wrapper). The optimizer may be built on either.

    Math
    ----
    With a loss that is a mean over the batch, shard r's gradient is
    g_r = (N/B) Σ_{i in shard r} ∇ℓ_i, and the mean over the processes is
    (1/N) Σ_r g_r = (1/B) Σ_i ∇ℓ_i: the gradient of the whole batch of B.
    """

    def __init__(self, module: Module, broadcast: bool = True) -> None:
        super().__init__()
        if not isinstance(module, Module):
            raise TypeError(
                f"DistributedDataParallel wraps a minitorch Module, got {type(module).__name__}"
            )
        init()
        self.module = module
        if broadcast:
            broadcast_parameters(module)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.module(*args, **kwargs)

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        return self.module(*args, **kwargs)

    def backward(self, *args: Any, **kwargs: Any) -> Any:
        grad_input = self.module.backward(*args, **kwargs)
        all_reduce_gradients(self.module)
        return grad_input


# ---------------------------------------------------------------------- a loop's global batch
class GlobalBatch:
    """What a training loop (:func:`minitorch.training.train_epoch`, ``train_lm``) does to be
    data-parallel: every process draws the same global batch of B (the same seed, the same
    order), trains on its rows, and the gradients and the logged numbers are those of all B::

        count = len(targets)                              # B, the global batch
        inputs, targets = parallel.split(inputs, targets) # this process's rows
        loss = loss_fn(model(inputs), targets)
        model.backward(parallel.scale(loss_fn.backward()))
        parallel.all_reduce_gradients(model)              # the mean over the N processes
        optimizer.step()
        loss, correct, stop = parallel.totals(loss, correct, should_stop())

    A batch that N does not divide (the last one of an epoch) is cut into shares of
    ⌊B/N⌋ or ⌈B/N⌉ rows, and :meth:`scale` weighs each share's gradient so that the mean over
    the processes is still the whole batch's gradient. Every share must hold a row.

    Math
    ----
    With a loss that is a mean over the rows, share r of n_r rows has the gradient
    g_r = (1/n_r) Σ_{i in r} ∇ℓ_i; scaled by N·n_r/B and averaged over the N processes,
    (1/N) Σ_r (N n_r/B) g_r = (1/B) Σ_i ∇ℓ_i. The logged loss is Σ_r n_r ℓ̄_r / B, the mean
    over all B (the same number as one process's, up to the order of the float sums). When
    N divides B the factor is exactly 1 and nothing is multiplied.
    """

    def __init__(self) -> None:
        _require_init("GlobalBatch")
        self.world_size, self.rank = _world.world_size, _world.rank
        self.size = 0  # B of the last split
        self.count = 0  # this process's rows of it
        self._totals = np.zeros(3, dtype=np.float64)

    def split(self, *arrays: np.ndarray) -> tuple[np.ndarray, ...]:
        """This process's rows ``⌊r·B/N⌋ .. ⌊(r+1)·B/N⌋`` of each array (views)."""
        size, n, r = len(arrays[0]), self.world_size, self.rank
        start, stop = r * size // n, (r + 1) * size // n
        if stop == start:
            raise ValueError(
                f"minitorch.distributed.GlobalBatch: a batch of {size} leaves process {r} of "
                f"{n} without a sample; use batches of at least {n}"
            )
        self.size, self.count = size, stop - start
        return tuple(a[start:stop] for a in arrays)

    def scale(self, grad: np.ndarray) -> np.ndarray:
        """The loss's gradient for this share, weighed by N·n_r/B (unchanged when even)."""
        if self.count * self.world_size == self.size:
            return grad
        return grad * grad.dtype.type(self.count * self.world_size / self.size)

    def all_reduce_gradients(self, model: Module) -> None:
        """:func:`all_reduce_gradients`: every gradient of ``model``, averaged."""
        all_reduce_gradients(model)

    def totals(self, loss: float, correct: int, stop: bool) -> tuple[float, int, bool]:
        """The global batch's mean loss, its correct predictions, and whether any process was
        asked to stop: one ``Allreduce`` of three numbers (float64)."""
        totals = self._totals
        totals[:] = (loss * self.count, correct, float(stop))
        _world.all_reduce_sum_(totals)
        return float(totals[0]) / self.size, round(float(totals[1])), bool(totals[2])
