"""minitorch.distributed: DistributedSampler against PyTorch's, the one-process world, and the
N-process checks of tests/mpi/ run under ``mpiexec -n 2`` (skipped without mpi4py/mpiexec).

The equality of N processes and one (the MLP, the CNN, the GPT, SyncBatchNorm) is computed by
``tests/mpi/ddp_equivalence.py``, which prints one JSON line per case; the tests here run it
and check each line against its tolerance.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from mpi_launch import MPIEXEC, needs_mpi

try:  # the oracle of the sampler's tests; the rest runs without it
    import torch
    from torch.utils.data.distributed import DistributedSampler as TorchDistributedSampler
except ModuleNotFoundError:
    torch = None

from minitorch import nn
from minitorch.utils.data import DataLoader, DistributedSampler, TensorDataset
from minitorch.utils.data.distributed import shard_indices

ROOT = Path(__file__).resolve().parents[1]
MPI_DIR = ROOT / "tests" / "mpi"
# A fresh interpreter in which `import mpi4py` fails, as on a machine without the extra.
BLOCK_MPI4PY = "import sys; sys.modules['mpi4py'] = None; "


def run_python(code_or_script: list[str], env_extra=None, timeout=60):
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", **(env_extra or {})}
    return subprocess.run([sys.executable, *code_or_script], capture_output=True, text=True,
                          timeout=timeout, env=env, cwd=ROOT)


def mpirun(n: int, *args: str, timeout: float = 60):
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1"}
    return subprocess.run([MPIEXEC, "-n", str(n), sys.executable, *args], capture_output=True,
                          text=True, timeout=timeout, env=env, cwd=ROOT)


def json_lines(stdout: str) -> list[dict]:
    return [json.loads(line) for line in stdout.splitlines() if line.startswith("{")]


# ---------------------------------------------------------------------- DistributedSampler
SIZES = [0, 1, 2, 5, 10, 11, 12, 13, 31]
REPLICAS = [1, 2, 3, 4, 7]


needs_torch = pytest.mark.skipif(torch is None, reason="needs torch, the oracle")


def torch_indices(n, replicas, rank, **kwargs):
    return list(TorchDistributedSampler(range(n), replicas, rank, **kwargs))


@needs_torch
@pytest.mark.parametrize("drop_last", [False, True])
@pytest.mark.parametrize("replicas", REPLICAS)
@pytest.mark.parametrize("n", SIZES)
def test_sampler_without_shuffle_is_pytorchs_index_for_index(n, replicas, drop_last):
    for rank in range(replicas):
        ours = DistributedSampler(range(n), replicas, rank, shuffle=False, drop_last=drop_last)
        theirs = torch_indices(n, replicas, rank, shuffle=False, drop_last=drop_last)
        assert list(ours) == theirs
        assert len(ours) == len(theirs) and ours.total_size == len(theirs) * replicas


@needs_torch
@pytest.mark.parametrize("drop_last", [False, True])
@pytest.mark.parametrize("replicas", REPLICAS)
@pytest.mark.parametrize("n", SIZES)
def test_sampler_cuts_torchs_own_permutation_as_torch_does(n, replicas, drop_last):
    """The shuffled order differs by generator (NumPy's, not torch's), so torch's permutation
    of epoch e (randperm seeded seed + e, as torch's sampler draws it) goes through our cut."""
    seed, epoch = 3, 2
    g = torch.Generator()
    g.manual_seed(seed + epoch)
    order = np.array(torch.randperm(n, generator=g).tolist(), dtype=np.int64)
    for rank in range(replicas):
        theirs = TorchDistributedSampler(range(n), replicas, rank, seed=seed, drop_last=drop_last)
        theirs.set_epoch(epoch)
        assert shard_indices(order, replicas, rank, drop_last).tolist() == list(theirs)


@pytest.mark.parametrize("drop_last", [False, True])
@pytest.mark.parametrize(("n", "replicas"), [(10, 3), (11, 2), (5, 4), (2, 3), (12, 4)])
def test_shuffled_shares_follow_pytorchs_rules(n, replicas, drop_last):
    def shares(epoch, seed=0):
        out = []
        for rank in range(replicas):
            sampler = DistributedSampler(range(n), replicas, rank, seed=seed, drop_last=drop_last)
            sampler.set_epoch(epoch)
            out.append(list(sampler))
        return out

    epoch0 = shares(0)
    size = n // replicas if drop_last else -(-n // replicas)
    assert all(len(share) == size for share in epoch0)  # an even split
    everything = [i for share in epoch0 for i in share]
    if drop_last:  # disjoint, nothing repeated, n mod R samples left out
        assert len(set(everything)) == len(everything) == size * replicas
    else:  # a cover of every sample, padded by total_size − n repeats
        assert set(everything) == set(range(n)) and len(everything) == size * replicas
    assert shares(0) == epoch0  # deterministic per (seed, epoch)
    if n > 4:
        assert shares(1) != epoch0 and shares(0, seed=1) != epoch0


def test_sampler_feeds_the_dataloader_its_share():
    X, y = np.arange(22.0).reshape(11, 2), np.arange(11)
    sampler = DistributedSampler(TensorDataset(X, y), num_replicas=2, rank=1, shuffle=False)
    loader = DataLoader(TensorDataset(X, y), batch_size=4, sampler=sampler)
    assert len(loader) == 2  # 6 indices per rank: 1, 3, 5, 7, 9 and the padding 0
    assert [yb.tolist() for _, yb in loader] == [[1, 3, 5, 7], [9, 0]]
    sampler.set_epoch(1)  # not shuffled: the same order
    assert [yb.tolist() for _, yb in loader] == [[1, 3, 5, 7], [9, 0]]


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"num_replicas": 2, "rank": 2}, ValueError, r"rank must be in \[0, 1\]"),
        ({"num_replicas": 0, "rank": 0}, ValueError, "num_replicas must be >= 1"),
        ({"num_replicas": 2, "rank": -1}, ValueError, "rank must be >= 0"),
        ({"num_replicas": 2.0, "rank": 0}, TypeError, "num_replicas must be an int"),
        ({"num_replicas": 2, "rank": 0, "shuffle": 1}, TypeError, "shuffle must be True"),
        ({"num_replicas": 2}, RuntimeError, r"distributed.init\(\) was not called"),
    ],
)
def test_sampler_refuses_bad_arguments(kwargs, error, message):
    with pytest.raises(error, match=message):
        DistributedSampler(range(5), **kwargs)


# ---------------------------------------------------------------------- SyncBatchNorm alone
def test_sync_batchnorm_in_one_process_is_batchnorm():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 3, 5, 5))
    G = rng.standard_normal(x.shape)
    sync, plain = nn.SyncBatchNorm(3, dtype=np.float64), nn.BatchNorm2d(3, dtype=np.float64)
    np.testing.assert_array_equal(sync(x), plain(x).reshape(x.shape))
    np.testing.assert_array_equal(sync.backward(G), plain.backward(G))
    np.testing.assert_array_equal(sync.running_var.reshape(-1), plain.running_var.reshape(-1))


def test_convert_sync_batchnorm_keeps_the_arrays():
    from minitorch.models import build_cnn

    model = build_cnn((1, 8, 8), [2, 3], [4], 2, batch_norm=True)
    gammas = [m.gamma for m in model.modules() if isinstance(m, nn.BatchNorm2d)]
    nn.SyncBatchNorm.convert_sync_batchnorm(model)
    syncs = [m for m in model.modules() if isinstance(m, nn.SyncBatchNorm)]
    assert len(syncs) == 2 and [m.gamma for m in syncs] == gammas
    assert not [m for m in model.modules() if isinstance(m, nn.BatchNorm2d)]
    assert model(np.zeros((2, 1, 8, 8), dtype=np.float32)).shape == (2, 2)


# ---------------------------------------------------------------------- without MPI
def test_import_minitorch_does_not_load_mpi4py():
    code = ("import sys, minitorch, minitorch.distributed, minitorch.nn; "
            "print('mpi4py' in sys.modules)")
    assert run_python(["-c", code]).stdout.strip() == "False"


def test_one_process_world_without_mpi4py_runs_the_same_script():
    """mpi4py unavailable: init() makes a one-process world and the N-process script runs."""
    code = (BLOCK_MPI4PY + "import runpy; sys.argv = ['x', 'mlp', 'gpt', 'dropout']; "
            f"runpy.run_path({str(MPI_DIR / 'ddp_equivalence.py')!r}, run_name='__main__')")
    result = run_python(["-c", code])
    assert result.returncode == 0, result.stderr
    lines = json_lines(result.stdout)
    assert [line["case"] for line in lines] == ["mlp", "mlp", "gpt", "gpt", "dropout"]
    assert all(line["world"] == 1 and line["diff"] == 0.0 for line in lines[:-1])


def test_launched_by_mpiexec_without_mpi4py_is_refused():
    code = BLOCK_MPI4PY + "import minitorch.distributed as d; d.init()"
    result = run_python(["-c", code], env_extra={"PMI_SIZE": "2", "PMI_RANK": "0"})
    assert result.returncode != 0
    assert "one of 2 started by mpiexec, but mpi4py is not installed" in result.stderr


def test_collectives_before_init_say_to_call_init():
    code = ("import minitorch.distributed as d\ntry:\n    d.get_rank()\n"
            "except RuntimeError as e:\n    print(e)")
    assert "call minitorch.distributed.init() first" in run_python(["-c", code]).stdout


# ---------------------------------------------------------------------- under mpiexec -n 2
@needs_mpi
def test_two_processes_train_to_the_weights_of_one():
    result = mpirun(2, str(MPI_DIR / "ddp_equivalence.py"))
    assert result.returncode == 0, result.stderr
    lines = {(line["case"], line.get("dtype")): line for line in json_lines(result.stdout)}
    assert len(lines) == 11, result.stdout
    for (case, _), line in lines.items():
        if case == "dropout":  # seeded seed + rank after the broadcast: different masks
            assert line["ranks_differ"] == [True]
            continue
        if case == "optimizer_state":  # rank 0's moments and step counts everywhere
            assert line["equal"] and line["entries"] == 6, line
            continue
        assert line["world"] == 2 and line["steps"] == 20
        assert line["spread"] == 0.0, line  # the processes hold bit-identical parameters
        if case == "cnn+BatchNorm":  # per-process statistics: not the one-process result
            assert line["diff"] > 1e-3 and line["buffers_spread"] > 0.0, line
        else:
            assert line["diff"] <= line["tol"] and line["buffers_diff"] <= line["tol"], line


@needs_mpi
def test_an_exception_on_one_rank_ends_every_rank_within_seconds():
    start = time.perf_counter()
    result = mpirun(2, str(MPI_DIR / "fault.py"), "raise", timeout=30)
    assert time.perf_counter() - start < 15
    assert result.returncode != 0
    assert "[rank 1] RuntimeError: rank 1 fails on purpose" in result.stderr
    assert "unreachable" not in result.stdout


@needs_mpi
@pytest.mark.parametrize("how", ["ctrl-c to mpiexec", "kill -9 of rank 1"])
def test_an_interrupt_or_a_dead_rank_ends_every_rank_within_seconds(how):
    job = subprocess.Popen([MPIEXEC, "-n", "2", sys.executable, str(MPI_DIR / "fault.py"), "wait"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        pids, seen = {}, ""
        while len(pids) < 2:  # "rank r pid p" from each rank (mpiexec may join the two lines)
            line = job.stdout.readline()
            assert line, f"the job ended before both ranks started: {seen!r}"
            seen += line
            pids = {int(r): int(pid) for r, pid in re.findall(r"rank (\d+) pid (\d+)", seen)}
        start = time.perf_counter()
        if how.startswith("ctrl-c"):
            job.send_signal(signal.SIGINT)
        else:
            os.kill(pids[1], signal.SIGKILL)
        _, stderr = job.communicate(timeout=20)
        assert time.perf_counter() - start < 10
    finally:
        if job.poll() is None:
            job.kill()
            job.wait()
    assert job.returncode != 0
    if how.startswith("ctrl-c"):
        assert "interrupted: ending all 2 processes" in stderr


@needs_mpi
def test_ddp_gpt_example_runs_on_two_processes(tmp_path):
    out = tmp_path / "model.npz"
    result = mpirun(2, "examples/ddp_gpt.py", "--iters", "4", "--log-every", "2",
                    "--n-layer", "1", "--n-embd", "16", "--block-size", "16",
                    "--batch-size", "4", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert "2 process(es), 2 of 4 windows each" in result.stdout
    losses = [float(line.split()[3]) for line in result.stdout.splitlines()
              if line.startswith("iter")]
    assert len(losses) == 2 and all(np.isfinite(losses))
    assert result.stdout.count("saved") == 1 and out.exists()  # rank 0 alone writes


def test_ddp_gpt_example_help_shows_defaults():
    result = run_python(["examples/ddp_gpt.py", "--help"])
    assert result.returncode == 0 and "(default: 200)" in result.stdout
