"""``mpiexec -n N minitorch train ...``: the trainer, data-parallel over N processes.

Started by ``mpiexec`` (the environment says so: ``PMI_SIZE``, ``OMPI_COMM_WORLD_SIZE``,
``PMIX_SIZE`` or ``MPI_LOCALNRANKS`` greater than 1), the trainer joins the process group
(:func:`minitorch.distributed.init`, the one place mpi4py is imported) and trains the run one
process would train, with the same global batch:

* every process builds the same run from the same options (the same seed: the same initial
  weights, the same order of samples, the same windows of text), then rank 0's weights and
  optimizer state are broadcast (a guard: they are equal already);
* each step, every process draws the same global batch of ``--batch-size`` and trains on its
  rows (:class:`minitorch.distributed.GlobalBatch`); the gradients are averaged by one
  all-reduce after the backward, before the clipping and the step, so every process takes the
  step of the whole batch; the loss and accuracy logged are the global batch's;
* a CNN's BatchNorm layers become :class:`~minitorch.nn.SyncBatchNorm`, so the statistics are
  the global batch's too, and N processes compute what one does (same checkpoint keys);
* dropout: rank 0 draws from the run's global generator (the one the checkpoint keeps), rank
  r > 0 from a stream of its own seeded by (seed, r, the units done when the process
  started), so the masks differ per rank;
* evaluation runs whole on every process (the same weights: the same numbers), no messages;
* rank 0 alone writes the run folder, prints and checkpoints; the others follow
  (:class:`FollowerRun`, a run folder that writes nothing; their output is muted);
* ``--resume``: rank 0 reads config.json and the checkpoint and broadcasts them, with any
  number of processes (the global batch is the run's, whatever N);
* Ctrl-C (``mpiexec`` passes it on to every process): the processes agree, with the loss
  of each step, to stop at the same step, rank 0 saves, all end with 130; a second Ctrl-C, a
  failure on one process or the death of one ends every process at once (``MPI_Abort``),
  leaving the last checkpoint, which is written atomically.

What is exact
-------------
The N processes of a run hold the same weights bit for bit (each adds the same all-reduced
sum). Against one process with the same global batch they agree up to float rounding: the
same numbers summed in another order (tests/test_cli_distributed.py: float32 weights within
1e-5, losses within 1e-5 relative, the same accuracies). A run resumed with the same N ends
bit for bit as one never stopped (without dropout: ranks r > 0 reseed their dropout stream
when they start); resumed with another N, up to float rounding again. The run folder does not
record N: it is the same run whatever the number of processes.

Without mpiexec nothing here changes the trainer: every helper is then the identity.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from .. import _world, manual_seed, nn
from .. import distributed as dist
from ._common import EXIT_FAILURE, EXIT_INTERRUPTED, CLIError
from ._run import RunFolder

T = TypeVar("T")

#: Whether every process is known to be at the same point of the command (setting up, or
#: done training): then a failure is everyone's and they end together; otherwise MPI_Abort.
_in_step = {"now": True}


def start() -> None:
    """Join the process group if ``mpiexec`` started several processes; else do nothing."""
    if dist._launched_size() <= 1:
        return
    try:
        dist.init()
    except RuntimeError as error:
        raise CLIError(str(error).replace("minitorch.distributed.init(): ", "")) from None


def parallel() -> bool:
    """Whether this command is one of several processes training together."""
    return _world.world_size > 1


def is_main() -> bool:
    """Whether this process prints and writes (rank 0, or the only process)."""
    return _world.rank == 0


class FollowerRun(RunFolder):
    """Rank 0's run folder as seen by the other processes: they name it, never write it."""

    def save_checkpoint(self, state: dict[str, Any]) -> None:
        pass

    def write_config(self, config: dict[str, Any]) -> None:
        pass

    def write_metrics(self, history: dict[str, list[float]], columns: tuple[str, ...]) -> None:
        pass

    def write_curves(self, history: dict[str, list[float]], title: str) -> None:
        pass

    def remove_unstarted(self) -> None:
        pass


class AgreedError(CLIError):
    """Another process's failure, which ends this one too (rank 0 prints it; the others
    print nothing)."""

    def __init__(self, exit_code: int, message: str) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def _outcome(error: BaseException) -> tuple[int, str]:
    if isinstance(error, CLIError):
        return error.exit_code, str(error)
    if isinstance(error, KeyboardInterrupt):
        return EXIT_INTERRUPTED, "stopped by Ctrl-C while starting"
    return EXIT_FAILURE, f"{type(error).__name__}: {error}"


def agreed(action: Callable[[], T]) -> T:
    """``action()`` on every process; if it fails on any, it fails on all (the same exit
    code), so that no process waits for the others in a collective that never comes."""
    if not parallel():
        return action()
    result, failure = None, None
    try:
        result = action()
    except BaseException as error:  # told to every process, then raised
        failure = error
    outcomes = dist.all_gather_object(None if failure is None else _outcome(failure))
    failed = [(rank, outcome) for rank, outcome in enumerate(outcomes) if outcome is not None]
    if not failed:
        return result  # type: ignore[return-value]
    rank, (code, message) = failed[0]
    if failure is not None and is_main():
        raise failure
    raise AgreedError(code, f"process {rank} of {_world.world_size}: {message}")


def anyone(flag: bool) -> bool:
    """Whether ``flag`` is set on any process (a stop asked between two units: Ctrl-C reaches
    the processes at slightly different moments, and all must stop at the same point)."""
    if not parallel():
        return flag
    return bool(dist.all_gather_object(bool(flag)).count(True))


def on_main(action: Callable[[], T]) -> T | None:
    """``action()`` on rank 0 only (``None`` elsewhere); a failure is every process's."""
    return agreed(lambda: action() if is_main() else None)


def from_main(value: T) -> T:
    """Rank 0's ``value`` on every process."""
    return dist.broadcast_object(value) if parallel() else value


def follower_run(run: RunFolder | None) -> RunFolder:
    """Rank 0's run folder on every process (a :class:`FollowerRun` on the others)."""
    path = from_main(None if run is None else str(run.path))
    return run if is_main() and run is not None else FollowerRun(Path(path))


# ---------------------------------------------------------------------- the task
def check_batches(task: Any) -> None:
    """Refuse a run whose global batch does not split over the processes (one line)."""
    n = _world.world_size
    training = task.training
    if hasattr(training, "loader"):
        batch, option = int(task.config["batch_size"]), "--batch-size"
        last = len(training.train_set) % batch
    else:
        batch, option, last = task.settings.batch_size, "--batch-size", 0
    if batch % n:
        raise CLIError(
            f"{option} {batch} does not split evenly over the {n} processes of mpiexec (the "
            f"global batch is shared out, {batch}/{n} each); use a multiple of {n}"
        )
    if 0 < last < n:
        raise CLIError(
            f"the last batch of every epoch holds {last} sample(s) ({len(training.train_set)} "
            f"training samples, {option} {batch}), fewer than the {n} processes of mpiexec; "
            f"choose a {option} that leaves 0 or at least {n}"
        )


def attach(task: Any) -> None:
    """Make a freshly built (or loaded) task data-parallel: checks, SyncBatchNorm, rank 0's
    weights and optimizer state everywhere, per-rank dropout streams, the global batch."""
    if not parallel():
        return
    check_batches(task)
    training = task.training
    model = training.model
    nn.SyncBatchNorm.convert_sync_batchnorm(model)  # a CNN's BatchNorm: the global statistics
    dist.broadcast_parameters(model)
    optimizers = getattr(training, "optimizers", None) or {"optimizer": training.optimizer}
    for optimizer in optimizers.values():
        dist.broadcast_optimizer_state(optimizer)
    if not is_main():
        seed = np.random.SeedSequence([int(task.config["seed"]), 2, _world.rank, int(task.done)])
        manual_seed(int(seed.generate_state(1)[0]))
    task.parallel = dist.GlobalBatch()


def whole_batch(arrays: tuple[np.ndarray, ...]) -> tuple[np.ndarray, ...]:
    """The global batch's arrays from every process's rows of them (axis 1: a recurrent
    state's (num_layers, batch, hidden)), for the checkpoint; the arrays themselves alone."""
    if not parallel():
        return arrays
    parts = dist.all_gather_object(arrays)
    return tuple(np.concatenate(rows, axis=1) for rows in zip(*parts, strict=True))


def own_rows(arrays: tuple[np.ndarray, ...]) -> tuple[np.ndarray, ...]:
    """This process's rows (axis 1) of the global batch's arrays: the inverse of
    :func:`whole_batch`, after loading a checkpoint."""
    if not parallel():
        return arrays
    n, r = _world.world_size, _world.rank
    size = arrays[0].shape[1]
    return tuple(np.ascontiguousarray(a[:, r * size // n : (r + 1) * size // n]) for a in arrays)


def describe(task: Any) -> str:
    """The header's line of a data-parallel run, e.g. ``parallel:   2 processes (mpiexec),
    each training on 16 of every batch's 32 samples; the gradients averaged by one all-reduce
    a step``."""
    n = _world.world_size
    training = task.training
    if hasattr(training, "loader"):
        batch, what = int(task.config["batch_size"]), "samples"
    else:
        batch, what = task.settings.batch_size, "windows"
    sync = "; BatchNorm as SyncBatchNorm" if any(
        isinstance(m, nn.SyncBatchNorm) for m in training.model.modules()
    ) else ""
    return (
        f"parallel:   {n} processes (mpiexec), each training on {batch // n} of every batch's "
        f"{batch} {what}; the gradients averaged by one all-reduce a step{sync}"
    )


# ---------------------------------------------------------------------- training, the end
@contextmanager
def training() -> Iterator[None]:
    """The training loop's block: its processes meet in a collective every step, so a failure
    on one (an exception leaving the block) ends all of them (:func:`finish` aborts)."""
    _in_step["now"] = False
    yield
    if parallel() and not _in_step.get("lost"):
        dist.barrier()
        _in_step["now"] = True


def out_of_step() -> None:
    """This process left the training loop at its own point (a second Ctrl-C)."""
    _in_step["lost"] = True


def finish(code: int) -> int:
    """The command's exit: together with the others, or ``MPI_Abort`` if out of step."""
    if not parallel():
        return code
    if _in_step["now"]:
        dist.barrier()
        return code
    _world.comm.Abort(code or EXIT_FAILURE)
    return code  # not reached
